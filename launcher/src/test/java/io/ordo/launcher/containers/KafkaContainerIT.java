package io.ordo.launcher.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.Get;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The gateway and the executor job (on a Flink MiniCluster) against Kafka in a container, the
 * image docker/compose.yaml runs (apache/kafka 4.2.0, KRaft), instead of the in-process broker:
 * topics created by the gateway, single- and multi-range transactions, bounded increments.
 *
 * <p>Needs a Docker engine; without one JUnit skips the class ({@code disabledWithoutDocker}) and
 * the embedded-broker ITs cover the same paths (EmbeddedOrdoRestartIT, BankDemoIT, the gateway's
 * ITs).
 */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerIT {
  /** The broker image of docker/compose.yaml. */
  static final String KAFKA_IMAGE = "apache/kafka:4.2.0";

  @Container static final KafkaContainer KAFKA = new KafkaContainer(KAFKA_IMAGE);

  private static final long RPC_DEADLINE_MS = 30_000;

  private static TxnResult txn(OrdoGrpc.OrdoBlockingStub stub, Operation... ops) {
    TxnRequest.Builder request = TxnRequest.newBuilder();
    for (Operation op : ops) {
      request.addOps(op);
    }
    return stub.withDeadlineAfter(RPC_DEADLINE_MS, TimeUnit.MILLISECONDS).txn(request.build()).getResult();
  }

  private static Operation put(String key, String value) {
    return Operation.newBuilder().setKey(key)
        .setPut(Put.newBuilder().setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8(value))))
        .build();
  }

  private static Operation increment(String key, long delta, long min) {
    return Operation.newBuilder().setKey(key)
        .setIncrement(Increment.newBuilder().setDelta(delta).setMin(min)).build();
  }

  private static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void gatewayAndExecutorServeTransactionsOnAKafkaContainer(@TempDir Path dir) throws Exception {
    EmbeddedOrdo.Options options = EmbeddedOrdo.Options.defaults(dir)
        .withFreePorts()
        .withBootstrapServers(Optional.of(KAFKA.getBootstrapServers()));
    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options)) {
      assertThat(ordo.embeddedKafka()).isFalse();
      ordo.awaitServing(Duration.ofSeconds(90));
      ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
      try {
        OrdoGrpc.OrdoBlockingStub stub = OrdoGrpc.newBlockingStub(channel);
        // Keys spread over several key ranges: the multi-range path (read results, feedback topic).
        Operation[] puts = new Operation[16];
        for (int i = 0; i < puts.length; i++) {
          puts[i] = put("container-key-" + i, "v" + i);
        }
        assertThat(txn(stub, puts).getOutcome()).isEqualTo(Outcome.COMMITTED);
        assertThat(txn(stub, increment("alice", 100, 0)).getOutcome()).isEqualTo(Outcome.COMMITTED);
        assertThat(txn(stub, increment("alice", -60, 0), increment("bob", 60, 0)).getOutcome())
            .isEqualTo(Outcome.COMMITTED);
        TxnResult overdraw = txn(stub, increment("alice", -60, 0), increment("bob", 60, 0));
        assertThat(overdraw.getOutcome()).as("%s", overdraw).isNotEqualTo(Outcome.COMMITTED);

        TxnResult read = txn(stub, get("alice"), get("bob"), get("container-key-0"), get("container-key-15"));
        assertThat(read.getOutcome()).isEqualTo(Outcome.COMMITTED);
        assertThat(read.getReads(0).getValue().getCounter()).isEqualTo(40);
        assertThat(read.getReads(1).getValue().getCounter()).isEqualTo(60);
        assertThat(read.getReads(2).getValue().getBytes().toStringUtf8()).isEqualTo("v0");
        assertThat(read.getReads(3).getValue().getBytes().toStringUtf8()).isEqualTo("v15");
      } finally {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
