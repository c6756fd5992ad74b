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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
   * Seeded model test of the dedup window, decision by decision. Three partitions with their own
   * broker clocks (equal timestamps within and across partitions, a clock that steps back now and
   * then) carry ids that repeat at random gaps, often right at the window's edge; each id belongs
   * to one partition, as the sequencer routes it. Watermarks advance, never past the next record of any
   * partition, and the operator is snapshotted and restored into a new harness at random points.
   * After every record the output must be the model's decision for it: a duplicate (one DUPLICATE
   * result naming the log time of the id's last run) iff the id's last run in its partition is
   * less than the window ago in log time, else one request at the record's position. Decisions at
   * the window's edge (gap = window - 1 and = window) and right after a restore must occur, and
   * expired buckets must leave the state.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void everyDedupDecisionMatchesTheWindowRuleAcrossWatermarksAndRestores(long seed) throws Exception {
    final int partitions = 3;
    java.util.Random random = new java.util.Random(seed);
    // Per partition: the monotonic ts of its last record, its next offset, and each id's last run.
    long[] lastTs = new long[partitions];
    long[] brokerClock = new long[partitions];
    long[] nextOffset = new long[partitions];
    List<java.util.Map<String, Long>> lastRun = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      lastTs[p] = Long.MIN_VALUE;
      brokerClock[p] = 1_000;
      lastRun.add(new java.util.HashMap<>());
    }
    var h = harness();
    h.open();
    int duplicates = 0;
    int atEdgeBelow = 0;
    int atEdge = 0;
    int afterRestore = 0;
    boolean restored = false;
    int restores = 0;
    List<List<String>> idsOf = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      idsOf.add(new ArrayList<>());
    }
    for (int n = 0; n < 150; n++) {
      idsOf.get(Math.floorMod(("txn-" + n).hashCode(), partitions)).add("txn-" + n);
    }
    for (int i = 0; i < 2_400; i++) {
      int p = random.nextInt(partitions);
      brokerClock[p] += random.nextInt(10) == 0 ? -random.nextInt(30) : random.nextInt(40); // ties, and steps back
      long ts = Math.max(lastTs[p], brokerClock[p]);
      lastTs[p] = ts;
      String id = pickId(random, idsOf.get(p), lastRun.get(p), ts);
      long offset = nextOffset[p]++;
      Long last = lastRun.get(p).get(id);
      boolean duplicate = last != null && ts - last < WINDOW_MS;
      String record = String.format("record %d: %s at (%d, %d, %d), last run %s, seed %d", i, id, ts, p, offset, last, seed);

      h.processElement(txn(p, offset, brokerClock[p], id, get("k")), ts);
      List<TxnResult> decided = new ArrayList<>();
      for (StreamRecord<TxnResult> r; h.getSideOutput(SequenceFanOutFunction.RESULTS) != null
          && (r = h.getSideOutput(SequenceFanOutFunction.RESULTS).poll()) != null; ) {
        decided.add(r.getValue());
      }
      List<RangeRequest> emitted = new ArrayList<>();
      for (Object o; (o = h.getOutput().poll()) != null; ) {
        if (o instanceof StreamRecord<?> r) {
          emitted.add((RangeRequest) r.getValue());
        }
      }
      if (duplicate) {
        duplicates++;
        assertThat(emitted).as("no request for the duplicate, " + record).isEmpty();
        assertThat(decided).as("a DUPLICATE result, " + record).singleElement().satisfies(r -> {
          assertThat(r.getTxnId()).isEqualTo(id);
          assertThat(r.getOutcome()).isEqualTo(Outcome.DUPLICATE);
          assertThat(r.getPosition()).isEqualTo(pos(ts, p, offset));
          assertThat(r.getDetail()).isEqualTo("transaction id already sequenced at log time " + last + " ms");
        });
      } else {
        lastRun.get(p).put(id, ts);
        assertThat(decided).as("no result for a run, " + record).isEmpty();
        assertThat(emitted).as("one request, " + record).singleElement().satisfies(r -> {
          assertThat(r.getTxnId()).isEqualTo(id);
          assertThat(r.getPosition()).isEqualTo(pos(ts, p, offset));
        });
      }
      if (last != null) {
        atEdgeBelow += ts - last == WINDOW_MS - 1 ? 1 : 0;
        atEdge += ts - last == WINDOW_MS ? 1 : 0;
        afterRestore += restored ? 1 : 0;
      }
      restored = false;

      if (random.nextInt(10) == 0) {
        // The next record of each partition has a ts >= its last: the log source's watermark.
        long watermark = Long.MAX_VALUE;
        for (long t : lastTs) {
          watermark = Math.min(watermark, t);
        }
        if (watermark != Long.MIN_VALUE) {
          h.processWatermark(new Watermark(watermark - random.nextInt(2)));
        }
      }
      if (random.nextInt(150) == 0) {
        OperatorSubtaskState snapshot = h.snapshot(i, i);
        h.close();
        h = harness();
        h.initializeState(snapshot);
        h.open();
        restored = true;
        restores++;
      }
    }
    assertThat(duplicates).as("the workload repeats ids within the window").isGreaterThan(300);
    assertThat(atEdgeBelow).as("repeats one ms inside the window").isPositive();
    assertThat(atEdge).as("repeats exactly one window later").isPositive();
    assertThat(restores).as("restores").isGreaterThan(5);
    assertThat(afterRestore).as("repeated ids decided right after a restore").isPositive();

    // Once the watermark passes every bucket's window, only each partition's timestamp is left.
    long end = Math.max(lastTs[0], Math.max(lastTs[1], lastTs[2]));
    h.processWatermark(new Watermark(end + 2 * WINDOW_MS));
    assertThat(h.numKeyedStateEntries()).as("expired buckets are dropped").isEqualTo(partitions);
    h.close();
  }
  /**
   * A random id of the partition; one time in four, the first one that last ran about one window
   * before {@code ts}, if there is one (aiming at the window's edge).
   */
  private static String pickId(java.util.Random random, List<String> ids, java.util.Map<String, Long> lastRun, long ts) {
    String id = ids.get(random.nextInt(ids.size()));
    if (random.nextInt(4) == 0) {
      for (String candidate : ids) {
        Long run = lastRun.get(candidate);
        if (run != null && Math.abs(ts - run - WINDOW_MS) <= 1) {
          return candidate;
        }
      }
    }
    return id;
  }
}
