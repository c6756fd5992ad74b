package io.ordo.launcher.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.proto.Delete;
import io.ordo.proto.Get;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.Increment;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.PutRequest;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts an embedded Ordo on a temporary directory, writes through gRPC, closes it, starts it
 * again on the same directory and reads everything back: committed state survives a restart (the
 * broker keeps the log, the executor restores from its retained checkpoint).
 */
class EmbeddedOrdoRestartIT {
  private static final int KEYS = 20;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final long RPC_DEADLINE_MS = 30_000;

  private static String key(int i) {
    return "restart-key-" + i;
  }

  private static EmbeddedOrdo.Options options(Path dir) {
    return EmbeddedOrdo.Options.defaults(dir)
        .withFreePorts()
        .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(500));
  }

  /** Runs {@code body} with a blocking stub to {@code ordo}'s gateway once it serves. */
  private static <T> T withStub(EmbeddedOrdo ordo, Function<OrdoGrpc.OrdoBlockingStub, T> body)
      throws InterruptedException {
    ordo.awaitServing(READY_TIMEOUT);
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
    try {
      return body.apply(OrdoGrpc.newBlockingStub(channel));
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static TxnResult txn(OrdoGrpc.OrdoBlockingStub stub, TxnRequest request) {
    return stub.withDeadlineAfter(RPC_DEADLINE_MS, TimeUnit.MILLISECONDS).txn(request).getResult();
  }

  private static TxnRequest readAll() {
    TxnRequest.Builder read = TxnRequest.newBuilder();
    for (int i = 0; i < KEYS; i++) {
      read.addOps(Operation.newBuilder().setKey(key(i)).setGet(Get.getDefaultInstance()));
    }
    read.addOps(Operation.newBuilder().setKey("restart-counter").setGet(Get.getDefaultInstance()));
    read.addOps(Operation.newBuilder().setKey("restart-deleted").setGet(Get.getDefaultInstance()));
    return read.build();
  }

  private static void assertRecovered(TxnResult result, long counter) {
    assertThat(result.getOutcome()).as("%s", result).isEqualTo(Outcome.COMMITTED);
    assertThat(result.getReadsList()).hasSize(KEYS + 2);
    for (int i = 0; i < KEYS; i++) {
      KeyRead read = result.getReads(i);
      assertThat(read.getKey()).isEqualTo(key(i));
      assertThat(read.getFound()).as("key %s found", key(i)).isTrue();
      assertThat(read.getValue().getBytes().toStringUtf8()).isEqualTo("value-" + i);
    }
    assertThat(result.getReads(KEYS).getValue().getCounter()).isEqualTo(counter);
    assertThat(result.getReads(KEYS + 1).getFound()).as("deleted key is absent").isFalse();
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void committedStateSurvivesARestartOnTheSameDirectory(@TempDir Path dir) throws Exception {
    Optional<Path> checkpointAfterWrites;
    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options(dir))) {
      assertThat(ordo.dataDir()).isEqualTo(dir.toAbsolutePath().normalize());
      assertThat(ordo.embeddedKafka()).isTrue();
      TxnResult afterWrites = withStub(ordo, stub -> {
        TxnRequest.Builder puts = TxnRequest.newBuilder();
        for (int i = 0; i < KEYS; i++) {
          puts.addOps(Operation.newBuilder().setKey(key(i)).setPut(Put.newBuilder()
              .setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8("value-" + i)))));
        }
        assertThat(txn(stub, puts.build()).getOutcome()).isEqualTo(Outcome.COMMITTED);
        for (int i = 0; i < 3; i++) {
          TxnResult increment = txn(stub, TxnRequest.newBuilder().addOps(Operation.newBuilder()
              .setKey("restart-counter").setIncrement(Increment.newBuilder().setDelta(10)))
              .build());
          assertThat(increment.getOutcome()).isEqualTo(Outcome.COMMITTED);
        }
        stub.withDeadlineAfter(RPC_DEADLINE_MS, TimeUnit.MILLISECONDS).put(PutRequest.newBuilder()
            .setKey("restart-deleted")
            .setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8("gone soon")))
            .build());
        TxnResult delete = txn(stub, TxnRequest.newBuilder().addOps(Operation.newBuilder()
            .setKey("restart-deleted").setDelete(Delete.getDefaultInstance())).build());
        assertThat(delete.getOutcome()).isEqualTo(Outcome.COMMITTED);
        return txn(stub, readAll());
      });
      assertRecovered(afterWrites, 30);

      // Let a checkpoint complete after the writes, so the restart exercises the restore path.
      Optional<Path> before = EmbeddedExecutor.latestCheckpoint(ordo.checkpointDir());
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      checkpointAfterWrites = before;
      while (checkpointAfterWrites.equals(before) && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(100);
        checkpointAfterWrites = EmbeddedExecutor.latestCheckpoint(ordo.checkpointDir());
      }
      assertThat(checkpointAfterWrites).as("a checkpoint completed after the writes")
          .isPresent().isNotEqualTo(before);
    }

    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options(dir))) {
      assertThat(ordo.executorRestoredFrom()).as("the executor restored from a checkpoint")
          .isPresent();
      withStub(ordo, stub -> {
        assertRecovered(txn(stub, readAll()), 30);
        // The recovered state keeps working: a new increment builds on the recovered value.
        TxnResult increment = txn(stub, TxnRequest.newBuilder().setReturnPostState(true)
            .addOps(Operation.newBuilder().setKey("restart-counter")
                .setIncrement(Increment.newBuilder().setDelta(1)))
            .build());
        assertThat(increment.getOutcome()).isEqualTo(Outcome.COMMITTED);
        GetResponse get = stub.withDeadlineAfter(RPC_DEADLINE_MS, TimeUnit.MILLISECONDS)
            .get(GetRequest.newBuilder().setKey("restart-counter").build());
        assertThat(get.getValue().getCounter()).isEqualTo(31);
        return null;
      });
    }
  }
}
