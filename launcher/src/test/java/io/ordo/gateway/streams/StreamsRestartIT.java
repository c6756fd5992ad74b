package io.ordo.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records appended before the whole embedded system (broker, executor, gateway with its local
 * store) is closed are all read after it starts again on the same data directory, and new
 * appends continue at the next offsets.
 */
class StreamsRestartIT {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final long DEADLINE_MS = 30_000;
  private static final int RECORDS = 40;

  private static EmbeddedOrdo.Options options(Path dir) {
    return EmbeddedOrdo.Options.defaults(dir)
        .withFreePorts()
        .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(500));
  }

  private static <T> T withStub(EmbeddedOrdo ordo, Function<StreamsGrpc.StreamsBlockingStub, T> body)
      throws InterruptedException {
    ordo.awaitServing(READY_TIMEOUT);
    ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
    try {
      return body.apply(
          StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS));
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static List<ReceivedRecord> records(Iterator<ReadResponse> responses) {
    List<ReceivedRecord> out = new ArrayList<>();
    responses.forEachRemaining(r -> out.addAll(r.getRecordsList()));
    return out;
  }

  private static StreamRecord record(int i) {
    return StreamRecord.newBuilder()
        .setPartitionKey("key-" + (i % 7))
        .setRaw(ByteString.copyFromUtf8("record-" + i))
        .build();
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void recordsAppendedBeforeARestartAreReadAfterIt(@TempDir Path dir) throws Exception {
    List<RecordId> ids = new ArrayList<>();
    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options(dir))) {
      withStub(ordo, stub -> {
        stub.createStream(CreateStreamRequest.newBuilder().setName("durable").setShardCount(2).build());
        for (int batch = 0; batch < RECORDS / 10; batch++) {
          AppendRequest.Builder request = AppendRequest.newBuilder().setStream("durable");
          for (int i = batch * 10; i < batch * 10 + 10; i++) {
            request.addRecords(record(i));
          }
          AppendResponse response = stub.append(request.build());
          ids.addAll(response.getRecordIdsList());
        }
        return null;
      });
    }

    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options(dir))) {
      withStub(ordo, stub -> {
        List<ReceivedRecord> all =
            records(stub.readStream(ReadStreamRequest.newBuilder().setStream("durable").build()));
        assertThat(all).hasSize(RECORDS);
        assertThat(all).extracting(ReceivedRecord::getId).containsExactlyInAnyOrderElementsOf(ids);
        for (ReceivedRecord r : all) {
          int i = Integer.parseInt(r.getRecord().getRaw().toStringUtf8().substring("record-".length()));
          assertThat(r.getId()).isEqualTo(ids.get(i));
          assertThat(r.getRecord()).isEqualTo(record(i));
        }
        long shard0 = ids.stream().filter(id -> id.getShardId() == 0).count();
        AppendResponse next =
            stub.append(AppendRequest.newBuilder().setStream("durable").setShardId(0)
                .addRecords(record(RECORDS)).build());
        assertThat(next.getRecordIds(0).getOffset()).isEqualTo(shard0);
        assertThat(records(stub.readShard(
                ReadShardRequest.newBuilder().setStream("durable").setShardId(0).build())))
            .hasSize((int) shard0 + 1);
        return null;
      });
    }
  }
}
