package io.ordo.executor.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.SealShard;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.SubscriptionProgress;
import io.ordo.proto.TrimShard;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The stream operations of {@link TransactionEvaluator} (log.proto: StreamAppend, SealShard, TrimShard, SubscriptionAck). */
class StreamOperationsTest {
  private static final Position P = Position.newBuilder().setTs(7).build();
  private static final String SHARD = "\u0000ordo/shard/orders/0";
  private static final String PROGRESS = "\u0000ordo/subp/billing/0";

  private static Value shard(long next, boolean closed, long start) {
    return Value.newBuilder().setShard(ShardState.newBuilder().setStream("orders").setShardId(0)
        .setNextOffset(next).setClosed(closed).setStartOffset(start)).build();
  }

  private static StreamRecord record(String key, String payload) {
    return StreamRecord.newBuilder().setPartitionKey(key).setRaw(ByteString.copyFromUtf8(payload)).build();
  }

  private static Operation append(Long expected, StreamRecord... records) {
    StreamAppend.Builder a = StreamAppend.newBuilder().setStream("orders").setShardId(0);
    for (StreamRecord r : records) {
      a.addRecords(r);
    }
    if (expected != null) {
      a.setExpectedOffset(expected);
    }
    return Operation.newBuilder().setKey(SHARD).setStreamAppend(a).build();
  }

  private static Value progress(long floor, long... acked) {
    SubscriptionProgress.Builder p = SubscriptionProgress.newBuilder().setSubscription("billing")
        .setStream("orders").setShardId(0).setFloor(floor);
    for (long a : acked) {
      p.addAcked(a);
    }
    return Value.newBuilder().setProgress(p).build();
  }

  private static Operation ack(long... offsets) {
    SubscriptionAck.Builder a = SubscriptionAck.newBuilder().setSubscription("billing").setStream("orders").setShardId(0);
    for (long o : offsets) {
      a.addOffsets(o);
    }
    return Operation.newBuilder().setKey(PROGRESS).setAck(a).build();
  }

  private static TransactionEvaluator.Evaluation run(Map<String, Value> state, Operation... ops) {
    List<IndexedOp> indexed = new ArrayList<>();
    Map<String, Optional<Value>> current = new HashMap<>();
    for (int i = 0; i < ops.length; i++) {
      indexed.add(IndexedOp.newBuilder().setIndex(i).setOp(ops[i]).build());
      current.put(ops[i].getKey(), Optional.ofNullable(state.get(ops[i].getKey())));
    }
    return TransactionEvaluator.evaluate("t", P, indexed, current, false, 1);
  }

  @Test
  void anAppendTakesTheNextOffsetsAndItsVersionCarriesOnlyItsRecords() {
    var eval = run(Map.of(SHARD, shard(5, false, 0)), append(null, record("a", "x"), record("b", "y")));
    assertThat(eval.committed()).isTrue();
    ShardState after = eval.writes().get(SHARD).orElseThrow().getShard();
    assertThat(after.getNextOffset()).isEqualTo(7);
    assertThat(after.getAppendedList()).containsExactly(record("a", "x"), record("b", "y"));
    // The result reports the post-state without the payloads: offsets are [7 - 2, 7).
    KeyRead read = eval.result().getReads(0);
    assertThat(read.getPostState()).isTrue();
    assertThat(read.getValue().getShard().getNextOffset()).isEqualTo(7);
    assertThat(read.getValue().getShard().getAppendedCount()).isZero();
  }

  @Test
  void recordsOfEarlierVersionsAreNotCarriedButThoseOfThisTransactionAre() {
    Value withOldRecords = Value.newBuilder().setShard(shard(1, false, 0).getShard().toBuilder()
        .addAppended(record("old", "o"))).build();
    var eval = run(Map.of(SHARD, withOldRecords), append(null, record("a", "1")), append(null, record("b", "2")));
    ShardState after = eval.writes().get(SHARD).orElseThrow().getShard();
    assertThat(after.getNextOffset()).isEqualTo(3);
    assertThat(after.getAppendedList()).containsExactly(record("a", "1"), record("b", "2"));
    assertThat(eval.result().getReadsList()).extracting(r -> r.getValue().getShard().getNextOffset())
        .containsExactly(2L, 3L);
  }

  @Test
  void aClosedAbsentOrMismatchedShardAbortsWithItsReason() {
    var closed = run(Map.of(SHARD, shard(3, true, 0)), append(null, record("a", "x")));
    assertThat(closed.result().getAbortReason()).isEqualTo(AbortReason.SHARD_CLOSED);
    assertThat(closed.result().getDetail()).isEqualTo("op 0: shard 0 of stream 'orders' is closed at offset 3");
    assertThat(closed.writes()).isEmpty();

    var absent = run(Map.of(), append(null, record("a", "x")));
    assertThat(absent.result().getAbortReason()).isEqualTo(AbortReason.NOT_FOUND);
    assertThat(absent.result().getDetail()).isEqualTo("op 0: shard key '\\u0000ordo/shard/orders/0' does not exist");

    var notShard = run(Map.of(SHARD, Value.newBuilder().setCounter(1).build()), append(null, record("a", "x")));
    assertThat(notShard.result().getAbortReason()).isEqualTo(AbortReason.TYPE_MISMATCH);

    Operation otherStream = Operation.newBuilder().setKey(SHARD).setStreamAppend(
        StreamAppend.newBuilder().setStream("payments").setShardId(0).addRecords(record("a", "x"))).build();
    assertThat(run(Map.of(SHARD, shard(0, false, 0)), otherStream).result().getAbortReason())
        .isEqualTo(AbortReason.INVALID_TRANSACTION);
    assertThat(run(Map.of(SHARD, shard(0, false, 0)), append(null)).result().getAbortReason())
        .isEqualTo(AbortReason.INVALID_TRANSACTION);
  }

  @Test
  void anExpectedOffsetIsOptimisticConcurrency() {
    assertThat(run(Map.of(SHARD, shard(4, false, 0)), append(4L, record("a", "x"))).committed()).isTrue();
    var wrong = run(Map.of(SHARD, shard(4, false, 0)), append(3L, record("a", "x")));
    assertThat(wrong.result().getAbortReason()).isEqualTo(AbortReason.WRONG_EXPECTED_OFFSET);
    assertThat(wrong.result().getDetail()).isEqualTo("op 0: shard 0 of stream 'orders': expected next offset 3, actual 4");
  }

  @Test
  void anAbortingOperationLaterInTheTransactionDropsTheAppend() {
    Operation assertAbsent = Operation.newBuilder().setKey("k")
        .setAssert(io.ordo.proto.Assert.newBuilder().setAbsent(true)).build();
    var eval = run(Map.of(SHARD, shard(0, false, 0), "k", Value.newBuilder().setCounter(1).build()),
        append(null, record("a", "x")), assertAbsent);
    assertThat(eval.result().getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(eval.writes()).isEmpty();
    assertThat(eval.result().getReadsList()).isEmpty();
  }

  @Test
  void sealClosesOnceAndTrimNeverMovesBackOrPastTheEnd() {
    Operation seal = Operation.newBuilder().setKey(SHARD).setSealShard(SealShard.getDefaultInstance()).build();
    var sealed = run(Map.of(SHARD, shard(9, false, 0)), seal);
    assertThat(sealed.writes().get(SHARD)).contains(shard(9, true, 0));
    assertThat(run(Map.of(SHARD, shard(9, true, 0)), seal).result().getAbortReason()).isEqualTo(AbortReason.SHARD_CLOSED);
    assertThat(run(Map.of(), seal).result().getAbortReason()).isEqualTo(AbortReason.NOT_FOUND);

    Operation trim5 = Operation.newBuilder().setKey(SHARD).setTrimShard(TrimShard.newBuilder().setBeforeOffset(5)).build();
    Operation trim99 = Operation.newBuilder().setKey(SHARD).setTrimShard(TrimShard.newBuilder().setBeforeOffset(99)).build();
    assertThat(run(Map.of(SHARD, shard(9, false, 0)), trim5).writes().get(SHARD)).contains(shard(9, false, 5));
    assertThat(run(Map.of(SHARD, shard(9, false, 7)), trim5).writes().get(SHARD)).contains(shard(9, false, 7));
    assertThat(run(Map.of(SHARD, shard(9, false, 0)), trim99).writes().get(SHARD)).contains(shard(9, false, 9));
  }

  @Test
  void acksAdvanceTheFloorOverContiguousOffsetsAndAreIdempotent() {
    var eval = run(Map.of(PROGRESS, progress(2, 5)), ack(3, 2, 1, 7));
    assertThat(eval.writes().get(PROGRESS)).contains(progress(4, 5, 7));
    var again = run(Map.of(PROGRESS, progress(4, 5, 7)), ack(4, 5, 3));
    assertThat(again.writes().get(PROGRESS)).contains(progress(6, 7));
    assertThat(again.result().getReads(0).getValue()).isEqualTo(progress(6, 7));
    assertThat(run(Map.of(), ack(1)).result().getAbortReason()).isEqualTo(AbortReason.NOT_FOUND);
  }

  @Test
  void offsetsThatWouldPassTheLargestLongAbortOutOfRange() {
    var full = run(Map.of(SHARD, shard(Long.MAX_VALUE - 1, false, 0)), append(null, record("a", "x"), record("b", "y")));
    assertThat(full.result().getAbortReason()).isEqualTo(AbortReason.OUT_OF_RANGE);
    assertThat(full.result().getDetail())
        .isEqualTo("op 0: append of 2 records to '\\u0000ordo/shard/orders/0' would pass offset 9223372036854775807");
    assertThat(full.writes()).isEmpty();
    var last = run(Map.of(SHARD, shard(Long.MAX_VALUE - 1, false, 0)), append(null, record("a", "x")));
    assertThat(last.writes().get(SHARD).orElseThrow().getShard().getNextOffset()).isEqualTo(Long.MAX_VALUE);

    var floorAtEnd = run(Map.of(PROGRESS, progress(Long.MAX_VALUE)), ack(Long.MAX_VALUE));
    assertThat(floorAtEnd.result().getAbortReason()).isEqualTo(AbortReason.OUT_OF_RANGE);
    assertThat(floorAtEnd.result().getDetail()).contains("'\\u0000ordo/subp/billing/0'");
    var upToEnd = run(Map.of(PROGRESS, progress(Long.MAX_VALUE - 1)), ack(Long.MAX_VALUE - 1));
    assertThat(upToEnd.writes().get(PROGRESS)).contains(progress(Long.MAX_VALUE));
  }

  @Test
  void ackAndPutInOneTransactionCommitTogether() {
    Operation put = Operation.newBuilder().setKey("total").setPut(Put.newBuilder().setValue(Value.newBuilder().setCounter(42))).build();
    Operation get = Operation.newBuilder().setKey(PROGRESS).setGet(Get.getDefaultInstance()).build();
    var eval = run(Map.of(PROGRESS, progress(0)), ack(0), put, get);
    assertThat(eval.committed()).isTrue();
    assertThat(eval.writes()).containsKeys(PROGRESS, "total");
    assertThat(eval.result().getReadsList()).filteredOn(r -> !r.getPostState())
        .extracting(KeyRead::getValue).containsExactly(progress(1));
  }

  @Test
  void theStateKeepsShardsWithoutTheirRecords() {
    Value v = Value.newBuilder().setShard(shard(2, false, 0).getShard().toBuilder().addAppended(record("a", "x"))).build();
    assertThat(TransactionEvaluator.withoutRecords(v)).isEqualTo(shard(2, false, 0));
    Value counter = Value.newBuilder().setCounter(3).build();
    assertThat(TransactionEvaluator.withoutRecords(counter)).isSameAs(counter);
  }
}
