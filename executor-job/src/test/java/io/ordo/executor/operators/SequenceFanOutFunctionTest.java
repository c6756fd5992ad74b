package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.executor.internal.ProtoSerializer;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Heartbeat;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.LogRecord;
import io.ordo.proto.state.RangeRequest;
import io.ordo.sequencer.KeyRanges;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class SequenceFanOutFunctionTest {
  private static final int RANGES = 8;
  private static final long WINDOW_MS = 1_000;

  static KeyedOneInputStreamOperatorTestHarness<Integer, LogRecord, RangeRequest> harness() throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new SequenceFanOutFunction(RANGES, WINDOW_MS)), LogRecord::getPartition, Types.INT);
    h.setup(new ProtoSerializer<>(RangeRequest.class));
    return h;
  }

  private static LogRecord txn(int partition, long offset, long brokerTs, String id, Operation... ops) {
    return LogRecord.newBuilder()
        .setPartition(partition)
        .setOffset(offset)
        .setBrokerTs(brokerTs)
        .setRecordKey(id)
        .setEntry(LogEntry.newBuilder().setTransaction(Transaction.newBuilder().setId(id).addAllOps(List.of(ops))))
        .build();
  }

  private static LogRecord heartbeat(int partition, long offset, long brokerTs) {
    return LogRecord.newBuilder()
        .setPartition(partition)
        .setOffset(offset)
        .setBrokerTs(brokerTs)
        .setEntry(LogEntry.newBuilder().setHeartbeat(Heartbeat.newBuilder().setOrigin("test")))
        .build();
  }

  private static List<TxnResult> results(KeyedOneInputStreamOperatorTestHarness<Integer, LogRecord, RangeRequest> h) {
    List<TxnResult> out = new ArrayList<>();
    var side = h.getSideOutput(SequenceFanOutFunction.RESULTS);
    if (side != null) {
      for (StreamRecord<TxnResult> r : side) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  /** Two keys in different ranges, found by search so the test does not depend on hash values. */
  private static String[] keysInTwoRanges() {
    String first = "key-0";
    for (int i = 1; i < 1000; i++) {
      String k = "key-" + i;
      if (KeyRanges.rangeOf(k, RANGES) != KeyRanges.rangeOf(first, RANGES)) {
        return new String[] {first, k};
      }
    }
    throw new AssertionError("no two ranges found");
  }

  @Test
  void timestampsAreMadeMonotonicPerPartitionAndHeartbeatsProduceNothing() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement(txn(0, 0, 100, "a", get("k")), 100);
      h.processElement(heartbeat(0, 1, 120), 120);
      h.processElement(txn(0, 2, 90, "b", get("k")), 90); // broker clock went back
      h.processElement(txn(1, 0, 50, "c", get("k")), 50); // another partition has its own clock
      List<RangeRequest> out = h.extractOutputValues();
      assertThat(out).extracting(RangeRequest::getTxnId).containsExactly("a", "b", "c");
      assertThat(out).extracting(r -> r.getPosition().getTs()).containsExactly(100L, 120L, 50L);
      assertThat(out.get(1).getPosition().getOffset()).isEqualTo(2);
    }
  }

  @Test
  void aBackwardClockStepIsCountedWithItsSizeAndLeavesTheOrderUnchanged() throws Exception {
    SequenceFanOutFunction fn = new SequenceFanOutFunction(RANGES, WINDOW_MS);
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(fn), LogRecord::getPartition, Types.INT);
    h.setup(new ProtoSerializer<>(RangeRequest.class));
    try (h) {
      h.open();
      h.processElement(txn(0, 0, 10_000, "a", get("k")), 10_000);
      h.processElement(txn(1, 0, 10_001, "other", get("k")), 10_001);
      // Partition 0's leader clock steps back 4 s; its broker clock then catches up.
      h.processElement(txn(0, 1, 6_000, "b", get("k")), 6_000);
      h.processElement(heartbeat(0, 2, 8_000), 8_000);
      h.processElement(txn(0, 3, 9_999, "c", get("k")), 9_999);
      h.processElement(txn(0, 4, 10_002, "d", get("k")), 10_002);
      List<RangeRequest> out = h.extractOutputValues();
      // Order unchanged: the stepped-back records keep the partition's previous log time and
      // their offsets, as before the step was detected.
      assertThat(out).extracting(RangeRequest::getTxnId).containsExactly("a", "other", "b", "c", "d");
      assertThat(out)
          .extracting(r -> r.getPosition().getTs())
          .containsExactly(10_000L, 10_001L, 10_000L, 10_000L, 10_002L);
      assertThat(fn.clockSteps().steps()).isEqualTo(1);
      assertThat(fn.clockSteps().largestStepMs()).isEqualTo(4_000);
      assertThat(fn.clockSteps().heldRecords()).isEqualTo(3);
      assertThat(fn.clockSteps().partitionsInStep()).isZero();
    }
  }

  @Test
  void aTransactionIsSplitPerKeyRangeWithItsParticipantsAndOriginalOpIndices() throws Exception {
    String[] keys = keysInTwoRanges();
    try (var h = harness()) {
      h.open();
      h.processElement(txn(0, 0, 10, "t", put(keys[0], bytes("x")), get(keys[1]), get(keys[0])), 10);
      List<RangeRequest> out = h.extractOutputValues();
      int r0 = KeyRanges.rangeOf(keys[0], RANGES);
      int r1 = KeyRanges.rangeOf(keys[1], RANGES);
      assertThat(out).hasSize(2);
      assertThat(out).allSatisfy(r -> assertThat(r.getParticipantsList()).containsExactly(Math.min(r0, r1), Math.max(r0, r1)));
      RangeRequest first = out.stream().filter(r -> r.getKeyRange() == r0).findFirst().orElseThrow();
      assertThat(first.getOpsList()).extracting(IndexedOp::getIndex).containsExactly(0, 2);
      RangeRequest second = out.stream().filter(r -> r.getKeyRange() == r1).findFirst().orElseThrow();
      assertThat(second.getOpsList()).extracting(IndexedOp::getIndex).containsExactly(1);
    }
  }

  @Test
  void aRepeatedIdWithinTheWindowIsADuplicateAndIsForgottenAfterIt() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement(txn(0, 0, 1_000, "same", get("k")), 1_000);
      h.processElement(txn(0, 1, 1_500, "same", get("k")), 1_500);
      assertThat(results(h)).extracting(TxnResult::getOutcome).containsExactly(Outcome.DUPLICATE);
      assertThat(h.extractOutputValues()).hasSize(1);

      // The window has passed in log time: the id runs again even before cleanup.
      h.processElement(txn(0, 2, 2_000, "same", get("k")), 2_000);
      assertThat(h.extractOutputValues()).hasSize(2);

      int withIds = h.numKeyedStateEntries();
      h.processWatermark(new Watermark(3_500));
      assertThat(h.numKeyedStateEntries()).as("dedup entries expire by log time").isLessThan(withIds);
      h.processElement(txn(0, 3, 3_600, "same", get("k")), 3_600);
      assertThat(h.extractOutputValues()).hasSize(3);
    }
  }

  @Test
  void invalidTransactionsAreAbortedWithTheReason() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement(txn(0, 0, 10, "no-ops"), 10);
      h.processElement(txn(0, 1, 11, "empty-key", get("")), 11);
      h.processElement(
          LogRecord.newBuilder().setPartition(0).setOffset(2).setBrokerTs(12).setRecordKey("garbage").setParseError("bad tag").build(), 12);
      assertThat(h.extractOutputValues()).isEmpty();
      assertThat(results(h)).allSatisfy(r -> assertThat(r.getAbortReason()).isEqualTo(AbortReason.INVALID_TRANSACTION));
      assertThat(results(h)).extracting(TxnResult::getDetail)
          .containsExactly("transaction has no operations", "op 0: empty key", "unparsable log entry: bad tag");
    }
  }

  @Test
  void theMonotonicTimestampSurvivesSnapshotAndRestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.open();
      h.processElement(txn(0, 0, 500, "a", get("k")), 500);
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness()) {
      h.initializeState(snapshot);
      h.open();
      h.processElement(txn(0, 1, 400, "b", get("k")), 400);
      h.processElement(txn(0, 2, 600, "a", get("k")), 600);
      assertThat(h.extractOutputValues()).extracting(r -> r.getPosition().getTs()).containsExactly(500L);
      assertThat(results(h)).extracting(TxnResult::getOutcome).as("dedup state restored").containsExactly(Outcome.DUPLICATE);
    }
  }

  /**
   * Seeded model test of the dedup window: ids repeat at random gaps around the window, watermarks
   * advance (never past the next record) and the operator is snapshotted and restored at random
   * points; every decision must match the rule "a duplicate iff the id's last run is less than the
   * window ago in log time", and expired buckets must leave the state.
   */
  @Test
  void dedupDecisionsMatchTheWindowRuleAcrossWatermarksAndRestores() throws Exception {
    for (long seed = 1; seed <= 5; seed++) {
      java.util.Random random = new java.util.Random(seed);
      java.util.Map<String, Long> lastRun = new java.util.HashMap<>();
      var h = harness();
      h.open();
      long ts = 1_000;
      int expectedDuplicates = 0;
      int expectedRuns = 0;
      int duplicates = 0;
      int runs = 0;
      for (int offset = 0; offset < 2_000; offset++) {
        ts += random.nextInt(40); // equal timestamps happen too
        String id = "txn-" + random.nextInt(150);
        Long last = lastRun.get(id);
        if (last != null && ts - last < WINDOW_MS) {
          expectedDuplicates++;
        } else {
          expectedRuns++;
          lastRun.put(id, ts);
        }
        h.processElement(txn(0, offset, ts, id, get("k")), ts);
        if (random.nextInt(10) == 0) {
          h.processWatermark(new Watermark(ts)); // the next record's ts is >= ts, as the log's
        }
        if (random.nextInt(200) == 0) {
          duplicates += results(h).size();
          runs += h.extractOutputValues().size();
          OperatorSubtaskState snapshot = h.snapshot(offset, offset);
          h.close();
          h = harness();
          h.initializeState(snapshot);
          h.open();
        }
      }
      duplicates += results(h).size();
      runs += h.extractOutputValues().size();
      assertThat(duplicates).as("duplicates, seed %d", seed).isEqualTo(expectedDuplicates);
      assertThat(runs).as("runs, seed %d", seed).isEqualTo(expectedRuns);
      assertThat(expectedDuplicates).as("the workload repeats ids within the window").isGreaterThan(100);

      // Once the watermark passes every bucket's window, only the timestamp state is left.
      h.processWatermark(new Watermark(ts + 2 * WINDOW_MS));
      assertThat(h.numKeyedStateEntries()).as("expired buckets are dropped, seed %d", seed).isEqualTo(1);
      h.close();
    }
  }
}
