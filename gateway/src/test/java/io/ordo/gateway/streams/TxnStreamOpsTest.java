package io.ordo.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.Limits;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Position;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Resolution of stream operations in a client Txn, and the mapping of result indexes back. */
class TxnStreamOpsTest {
  private static final StreamMetadata TWO_SHARDS = metadata("s", 2);

  private static StreamMetadata metadata(String name, int shards) {
    StreamMetadata.Builder m = StreamMetadata.newBuilder().setName(name).setNextShardId(shards);
    List<ByteString[]> ranges = HashRanges.evenSplit(shards);
    for (int i = 0; i < shards; i++) {
      m.addShards(ShardInfo.newBuilder().setId(i).setStartHash(ranges.get(i)[0]).setEndHash(ranges.get(i)[1]));
    }
    return m.build();
  }

  private static Map<String, StreamMetadataReader.Snapshot> known(StreamMetadata metadata) {
    return Map.of(
        metadata.getName(),
        StreamMetadataReader.snapshotOf(
            metadata.getName(),
            Optional.of(StreamMetadataReader.valueOf(metadata)),
            Position.getDefaultInstance()));
  }

  /** Partition keys that route to shard 0 and shard 1 of TWO_SHARDS. */
  private static String keyOfShard(long shard) {
    for (int i = 0; ; i++) {
      String key = "k" + i;
      if (StreamMetadataReader.route(TWO_SHARDS, key).getId() == shard) {
        return key;
      }
    }
  }

  private static StreamRecord record(String key) {
    return StreamRecord.newBuilder().setPartitionKey(key).setRaw(ByteString.copyFromUtf8(key)).build();
  }

  @Test
  void aRoutedAppendIsSplitPerShardAndIndexesMapBack() {
    String a = keyOfShard(0);
    String b = keyOfShard(1);
    Transaction client =
        Transaction.newBuilder()
            .setId("t")
            .addOps(Operation.newBuilder().setKey("kv").setGet(Get.getDefaultInstance()))
            .addOps(Operation.newBuilder().setStreamAppend(StreamAppend.newBuilder().setStream("s")
                .addRecords(record(b)).addRecords(record(a)).addRecords(record(b))))
            .addOps(Operation.newBuilder().setAck(
                SubscriptionAck.newBuilder().setSubscription("sub").setStream("s").setShardId(1).addOffsets(4)))
            .build();
    TxnStreamOps.Resolution resolution =
        TxnStreamOps.resolve(client, "t", known(TWO_SHARDS), Limits.defaults());
    List<Operation> ops = resolution.txn().getOpsList();
    assertThat(ops).hasSize(4);
    assertThat(ops.get(1).getKey()).isEqualTo(StreamKeys.shard("s", 0));
    assertThat(ops.get(1).getStreamAppend().getRecordsList()).containsExactly(record(a));
    assertThat(ops.get(2).getKey()).isEqualTo(StreamKeys.shard("s", 1));
    assertThat(ops.get(2).getStreamAppend().getShardId()).isEqualTo(1);
    assertThat(ops.get(2).getStreamAppend().getRecordsList()).containsExactly(record(b), record(b));
    assertThat(ops.get(3).getKey()).isEqualTo(StreamKeys.progress("sub", 1));
    assertThat(resolution.originalIndex()).containsExactly(0, 1, 1, 2);
    assertThat(resolution.routed()).containsExactly(false, true, true, false);

    TxnResult result =
        TxnResult.newBuilder()
            .addReads(KeyRead.newBuilder().setOpIndex(0))
            .addReads(KeyRead.newBuilder().setOpIndex(2).setPostState(true))
            .addReads(KeyRead.newBuilder().setOpIndex(3).setPostState(true))
            .setFailedOpIndex(2)
            .build();
    TxnResult remapped = TxnStreamOps.remap(result, resolution);
    List<Integer> indexes = new ArrayList<>();
    remapped.getReadsList().forEach(r -> indexes.add(r.getOpIndex()));
    assertThat(indexes).containsExactly(0, 1, 2);
    assertThat(remapped.getFailedOpIndex()).isEqualTo(1);
  }

  @Test
  void aPinnedAppendKeepsItsShardAndNeedsNoMetadata() {
    Transaction client =
        Transaction.newBuilder().setId("t")
            .addOps(Operation.newBuilder().setStreamAppend(StreamAppend.newBuilder().setStream("other")
                .setShardId(7).setExpectedOffset(3).addRecords(record("x"))))
            .build();
    TxnStreamOps.Resolution resolution = TxnStreamOps.resolve(client, "t.r1", Map.of(), Limits.defaults());
    assertThat(resolution.txn().getId()).isEqualTo("t.r1");
    assertThat(resolution.txn().getOps(0).getKey()).isEqualTo(StreamKeys.shard("other", 7));
    assertThat(resolution.routed()).containsExactly(false);
  }

  @Test
  void anExpectedOffsetOverSeveralShardsOrAMissingStreamIsRejected() {
    Transaction spread =
        Transaction.newBuilder().setId("t")
            .addOps(Operation.newBuilder().setStreamAppend(StreamAppend.newBuilder().setStream("s")
                .setExpectedOffset(0).addRecords(record(keyOfShard(0))).addRecords(record(keyOfShard(1)))))
            .build();
    assertThatThrownBy(() -> TxnStreamOps.resolve(spread, "t", known(TWO_SHARDS), Limits.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("op 0: expected_offset needs a single target shard, but the records map to shards [0, 1] (set shard_id)");
    Transaction missing =
        Transaction.newBuilder().setId("t")
            .addOps(Operation.newBuilder().setStreamAppend(StreamAppend.newBuilder().setStream("gone")
                .addRecords(record("x"))))
            .build();
    assertThatThrownBy(() -> TxnStreamOps.resolve(missing, "t", Map.of(), Limits.defaults()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).isEqualTo("op 0: stream 'gone' does not exist");
        });
  }
}
