package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.ordo.executor.internal.ProtoSerializer;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Pins the KeyTransactionProcessor's invariants (ARCHITECTURE.md "Invariants"):
 * sequence-order application, early write results kept, reads see exactly the earlier writes,
 * bounded state, and snapshot → restore → continue equivalence.
 */
class KeyTransactionProcessorFunctionTest {
  private static final List<Integer> ONLY_0 = List.of(0);
  private static final List<Integer> RANGES_0_1 = List.of(0, 1);
  /** Per active key range when idle: values, last-position, lsn, next-seq and emitted-seq. */
  static final int IDLE_STATE_ENTRIES = 5;

  static KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> harness() throws Exception {
    var h =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new KeyedCoProcessOperator<>(new KeyTransactionProcessorFunction()),
            RangeRequest::getKeyRange,
            WriteResult::getKeyRange,
            Types.INT);
    h.setup(new ProtoSerializer<>(ReadResult.class));
    return h;
  }

  static List<TxnResult> results(KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> h) {
    List<TxnResult> out = new ArrayList<>();
    var side = h.getSideOutput(KeyTransactionProcessorFunction.RESULTS);
    if (side != null) { // the harness creates a side output queue on first use
      for (StreamRecord<TxnResult> r : side) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  static List<ChangelogRecord> changelog(KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> h) {
    List<ChangelogRecord> out = new ArrayList<>();
    var side = h.getSideOutput(KeyTransactionProcessorFunction.CHANGELOG);
    if (side != null) {
      for (StreamRecord<ChangelogRecord> r : side) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  @Test
  void singleRangeTransactionsRunAtOnceAndEmitResultAndChangelog() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("t1", 1, 0, ONLY_0, put("k", bytes("a")), get("k")), 1);
      h.processElement1(request("t2", 2, 0, ONLY_0, assertEquals("k", bytes("a")), put("k", bytes("b"))), 2);

      assertThat(results(h)).extracting(TxnResult::getOutcome).containsExactly(Outcome.COMMITTED, Outcome.COMMITTED);
      assertThat(results(h).get(0).getReads(0).getValue()).isEqualTo(bytes("a"));
      List<ChangelogRecord> changes = changelog(h);
      assertThat(changes).extracting(ChangelogRecord::getTxnId).containsExactly("t1", "t2");
      assertThat(changes).extracting(ChangelogRecord::getLsn).containsExactly(1L, 2L);
      assertThat(changes.get(1).getBefore()).isEqualTo(bytes("a"));
      assertThat(changes.get(1).getAfter()).isEqualTo(bytes("b"));
      assertThat(h.extractOutputValues()).as("no reads leave the range on the fast path").isEmpty();
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void streamAppendsGetGaplessOffsetsTheChangelogCarriesTheRecordsAndTheStateDoesNot() throws Exception {
    String shardKey = "\u0000ordo/shard/s/0";
    Value empty = Value.newBuilder().setShard(io.ordo.proto.ShardState.newBuilder().setStream("s")).build();
    try (var h = harness()) {
      h.open();
      h.processElement1(request("create", 1, 0, ONLY_0, put(shardKey, empty)), 1);
      h.processElement1(request("a1", 2, 0, ONLY_0, streamAppend(shardKey, "s", "r0", "r1")), 2);
      h.processElement1(request("a2", 3, 0, ONLY_0, streamAppend(shardKey, "s", "r2"), put("k", bytes("v"))), 3);

      assertThat(results(h)).extracting(TxnResult::getOutcome).containsOnly(Outcome.COMMITTED);
      assertThat(results(h).get(2).getReads(0).getValue().getShard().getNextOffset()).isEqualTo(3);
      List<ChangelogRecord> shardChanges = changelog(h).stream().filter(c -> c.getKey().equals(shardKey)).toList();
      assertThat(shardChanges).extracting(c -> c.getAfter().getShard().getNextOffset()).containsExactly(0L, 2L, 3L);
      assertThat(shardChanges.get(1).getAfter().getShard().getAppendedList())
          .extracting(r -> r.getRaw().toStringUtf8()).containsExactly("r0", "r1");
      assertThat(shardChanges.get(2).getAfter().getShard().getAppendedList())
          .extracting(r -> r.getRaw().toStringUtf8()).containsExactly("r2");
      assertThat(shardChanges.get(2).getBefore().getShard().getAppendedCount())
          .as("the state kept the shard without the records of a1").isZero();
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  /**
   * The stall report: a multi-range transaction whose write result is withheld keeps its range's
   * oldest unfinished transaction old in log time; past the threshold the range is stalled
   * (warning counted, repeated once per threshold of log time), and the write result clears it.
   */
  @Test
  void aWithheldWriteResultStallsItsRangePastTheThresholdAndItsArrivalClearsIt() throws Exception {
    KeyTransactionProcessorFunction fn = new KeyTransactionProcessorFunction(1_000);
    var h =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new KeyedCoProcessOperator<>(fn), RangeRequest::getKeyRange, WriteResult::getKeyRange, Types.INT);
    h.setup(new ProtoSerializer<>(ReadResult.class));
    try (h) {
      h.open();
      h.processElement1(request("t1", 1, 0, RANGES_0_1, put("k", bytes("one"))), 1);
      // Finishes, but its changelog is held behind t1.
      h.processElement1(request("t2", 500, 0, ONLY_0, put("other", bytes("x"))), 500);
      OperatorMetrics.KeyProcessor m = fn.metrics();
      assertThat(m.oldestPendingAgeMs(0)).isEqualTo(499);
      assertThat(m.stalled(0)).isFalse();

      h.processElement1(request("t3", 1_001, 0, ONLY_0, get("other")), 1_001);
      assertThat(m.stalled(0)).as("exactly the threshold is not past it").isFalse();
      h.processElement1(request("t4", 1_200, 0, ONLY_0, get("other")), 1_200);
      assertThat(m.oldestPendingAgeMs(0)).isEqualTo(1_199);
      assertThat(m.stalled(0)).isTrue();
      assertThat(m.stallWarnings()).isEqualTo(1);
      // Still stalled; repeated at most once per threshold of log time.
      h.processElement1(request("t5", 2_100, 0, ONLY_0, get("other")), 2_100);
      assertThat(m.stallWarnings()).isEqualTo(1);
      h.processElement1(request("t6", 2_200, 0, ONLY_0, get("other")), 2_200);
      assertThat(m.stallWarnings()).isEqualTo(2);
      // Another range's requests move log time on: range 0 stays stalled, range 2 is not.
      h.processElement1(request("u1", 2_300, 2, List.of(2), get("z")), 2_300);
      assertThat(m.stalled(0)).isTrue();
      assertThat(m.stalled(2)).isFalse();

      h.processElement2(writeResult("t1", 1, 0, write("k", bytes("one"))), 2_300);
      assertThat(m.oldestPendingAgeMs(0)).isZero();
      assertThat(m.stalled(0)).isFalse();
      assertThat(m.stallWarnings()).isEqualTo(2);
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("t1", "t2");
    }
  }

  @Test
  void writesApplyInSequenceOrderAndLaterReadsWaitForEarlierWriters() throws Exception {
    try (var h = harness()) {
      h.open();
      // t1 spans two ranges: it takes the exclusive lock on k and sends its reads out.
      h.processElement1(request("t1", 1, 0, RANGES_0_1, put("k", bytes("one"))), 1);
      // t2 (single range) reads k: it must wait for t1's write, whatever arrives meanwhile.
      h.processElement1(request("t2", 2, 0, ONLY_0, get("k")), 2);
      // t3 touches another key: not blocked by t1.
      h.processElement1(request("t3", 3, 0, ONLY_0, put("other", bytes("x"))), 3);

      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("t1");
      assertThat(results(h)).extracting(TxnResult::getTxnId).containsExactly("t3");

      h.processElement2(writeResult("t1", 1, 0, write("k", bytes("one"))), 4);

      assertThat(results(h)).extracting(TxnResult::getTxnId).containsExactly("t3", "t2");
      TxnResult t2 = results(h).get(1);
      assertThat(t2.getReads(0).getFound()).isTrue();
      assertThat(t2.getReads(0).getValue()).as("a read at ts 2 sees the write at ts 1").isEqualTo(bytes("one"));
      // t3 finished first, but the changelog follows log order: t1 (ts 1) before t3 (ts 3).
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("t1", "t3");
      assertThat(changelog(h)).extracting(ChangelogRecord::getLsn).containsExactly(1L, 2L);
      assertThat(h.numKeyedStateEntries()).as("locks and pending entries removed").isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void theLastChangeOfATransactionInItsRangeIsMarkedLastAtPosition() throws Exception {
    try (var h = harness()) {
      h.open();
      // "a" (two ranges, writes two keys here) is held until its write result comes; "b" (three
      // keys) and "c" (one key) finish at once and wait behind it; all are emitted together.
      h.processElement1(request("a", 1, 0, RANGES_0_1, put("x", bytes("a")), put("w", bytes("a"))), 1);
      h.processElement1(request("b", 2, 0, ONLY_0, put("q", bytes("b")), put("p", bytes("b")), put("r", bytes("b"))), 2);
      h.processElement1(request("c", 3, 0, ONLY_0, put("z", bytes("c"))), 3);
      h.processElement2(writeResult("a", 1, 0, write("x", bytes("a")), write("w", bytes("a"))), 4);
      List<ChangelogRecord> changes = changelog(h);
      assertThat(changes).extracting(ChangelogRecord::getTxnId, ChangelogRecord::getKey, ChangelogRecord::getLsn)
          .containsExactly(
              tuple("a", "w", 1L), tuple("a", "x", 2L),
              tuple("b", "p", 3L), tuple("b", "q", 4L), tuple("b", "r", 5L),
              tuple("c", "z", 6L));
      assertThat(changes).allSatisfy(c -> assertThat(c.hasLastAtPosition()).as("set on %s", c.getKey()).isTrue());
      assertThat(changes).extracting(ChangelogRecord::getLastAtPosition)
          .containsExactly(false, true, false, false, true, true);
    }
  }

  @Test
  void changelogLsnsFollowLogOrderWhateverOrderTransactionsFinishIn() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("a", 1, 0, RANGES_0_1, put("x", bytes("a"))), 1);
      h.processElement1(request("b", 2, 0, RANGES_0_1, put("y", bytes("b"))), 2);
      h.processElement1(request("c", 3, 0, ONLY_0, put("z", bytes("c"))), 3);
      assertThat(results(h)).extracting(TxnResult::getTxnId).as("c itself is done at once").containsExactly("c");
      assertThat(changelog(h)).as("but its change waits for a and b").isEmpty();

      h.processElement2(writeResult("b", 2, 0, write("y", bytes("b"))), 4);
      assertThat(changelog(h)).isEmpty();
      h.processElement2(writeResult("a", 1, 0, write("x", bytes("a"))), 5);
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("a", "b", "c");
      assertThat(changelog(h)).extracting(ChangelogRecord::getLsn).containsExactly(1L, 2L, 3L);
      assertThat(h.numKeyedStateEntries()).as("held changes removed").isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void aReadDoesNotSeeAWriteOrderedAfterIt() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("t1", 1, 0, RANGES_0_1, get("k")), 1);
      // t2 writes k after t1's read in log order; it waits behind t1's shared lock.
      h.processElement1(request("t2", 2, 0, ONLY_0, put("k", bytes("late"))), 2);
      ReadResult t1Reads = h.extractOutputValues().get(0);
      assertThat(t1Reads.getValues(0).getFound()).isFalse();
      assertThat(results(h)).isEmpty();

      h.processElement2(writeResult("t1", 1, 0), 3);
      assertThat(results(h)).extracting(TxnResult::getTxnId).containsExactly("t2");
    }
  }

  @Test
  void sharedLocksAreGrantedTogetherAndAWriterWaitsForAllOfThem() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("r1", 1, 0, RANGES_0_1, get("k")), 1);
      h.processElement1(request("r2", 2, 0, RANGES_0_1, get("k")), 2);
      h.processElement1(request("w3", 3, 0, RANGES_0_1, put("k", bytes("w"))), 3);
      h.processElement1(request("r4", 4, 0, RANGES_0_1, get("k")), 4);
      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("r1", "r2");

      h.processElement2(writeResult("r2", 2, 0), 5);
      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("r1", "r2");
      h.processElement2(writeResult("r1", 1, 0), 6);
      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("r1", "r2", "w3");
      h.processElement2(writeResult("w3", 3, 0, write("k", bytes("w"))), 7);
      List<ReadResult> out = h.extractOutputValues();
      assertThat(out).extracting(ReadResult::getTxnId).containsExactly("r1", "r2", "w3", "r4");
      assertThat(out.get(3).getValues(0).getValue()).isEqualTo(bytes("w"));
    }
  }

  @Test
  void writeResultArrivingBeforeItsLockRequestIsKeptNotDropped() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement2(writeResult("t1", 5, 0, write("k", bytes("v"))), 1);
      assertThat(changelog(h)).isEmpty();
      assertThat(h.extractOutputValues()).isEmpty();

      h.processElement1(request("t1", 5, 0, RANGES_0_1, put("k", bytes("v"))), 2);
      assertThat(h.extractOutputValues()).as("reads still go out so the decider completes")
          .extracting(ReadResult::getTxnId).containsExactly("t1");
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("t1");

      // The current run's own (identical) write result then arrives: a duplicate, dropped.
      h.processElement2(writeResult("t1", 5, 0, write("k", bytes("v"))), 3);
      assertThat(changelog(h)).hasSize(1);
      h.processElement1(request("t2", 6, 0, ONLY_0, get("k")), 4);
      assertThat(results(h).get(0).getReads(0).getValue()).isEqualTo(bytes("v"));
      assertThat(h.numKeyedStateEntries()).as("early entry removed").isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void writeResultForATransactionStillWaitingForLocksIsAppliedWhenTheLocksAreGranted() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("t1", 1, 0, RANGES_0_1, put("k", bytes("1"))), 1);
      h.processElement1(request("t2", 2, 0, RANGES_0_1, put("k", bytes("2"))), 2);
      // After a restore the feedback topic may redeliver t2's result before t1's.
      h.processElement2(writeResult("t2", 2, 0, write("k", bytes("2"))), 3);
      assertThat(changelog(h)).isEmpty();

      h.processElement2(writeResult("t1", 1, 0, write("k", bytes("1"))), 4);
      List<ChangelogRecord> changes = changelog(h);
      assertThat(changes).extracting(ChangelogRecord::getTxnId).containsExactly("t1", "t2");
      assertThat(changes.get(1).getBefore()).isEqualTo(bytes("1"));
      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("t1", "t2");
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void duplicateWriteResultOfAFinishedTransactionIsDropped() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("t1", 1, 0, RANGES_0_1, increment("c", 5, null)), 1);
      h.processElement2(writeResult("t1", 1, 0, write("c", counter(5))), 2);
      h.processElement2(writeResult("t1", 1, 0, write("c", counter(5))), 3);
      assertThat(changelog(h)).hasSize(1);
      assertThat(h.numKeyedStateEntries()).as("nothing kept for the duplicate").isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void aWriteResultIsMatchedToItsTransactionByPositionNotByIdAlone() throws Exception {
    try (var h = harness()) {
      h.open();
      // "x" runs at ts 1 and finishes; once the dedup window has passed it runs again at ts 5,
      // queued behind y's lock on k.
      h.processElement1(request("x", 1, 0, RANGES_0_1, put("k", bytes("first"))), 1);
      h.processElement2(writeResult("x", 1, 0, write("k", bytes("first"))), 2);
      h.processElement1(request("y", 3, 0, RANGES_0_1, put("k", bytes("y"))), 3);
      h.processElement1(request("x", 5, 0, RANGES_0_1, put("k", bytes("second"))), 4);
      // The first run's result is redelivered while the second waits: a duplicate, not its outcome.
      h.processElement2(writeResult("x", 1, 0, write("k", bytes("first"))), 5);
      h.processElement2(writeResult("y", 3, 0, write("k", bytes("y"))), 6);
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("x", "y");
      h.processElement2(writeResult("x", 5, 0, write("k", bytes("second"))), 7);
      h.processElement1(request("r", 6, 0, ONLY_0, get("k")), 8);
      assertThat(changelog(h)).extracting(ChangelogRecord::getAfter).containsExactly(bytes("first"), bytes("y"), bytes("second"));
      assertThat(results(h)).singleElement().satisfies(r -> assertThat(r.getReads(0).getValue()).isEqualTo(bytes("second")));
      assertThat(h.numKeyedStateEntries()).as("no early or pending entry left").isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void incrementsOnAHotKeyRunConcurrentlyAndDrainInLogOrder() throws Exception {
    try (var h = harness()) {
      h.open();
      // Three multi-range credits of "c": escrow locks, so all three read at once.
      h.processElement1(request("t1", 1, 0, RANGES_0_1, increment("c", 5, null)), 1);
      h.processElement1(request("t2", 2, 0, RANGES_0_1, increment("c", 7, null)), 2);
      h.processElement1(request("t3", 3, 0, RANGES_0_1, increment("c", 11, null)), 3);
      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("t1", "t2", "t3");
      // A read of "c" waits for all of them.
      h.processElement1(request("r", 4, 0, ONLY_0, get("c")), 4);
      assertThat(results(h)).isEmpty();
      // Outcomes arrive in reverse order; t2 aborted elsewhere (no writes). The absolute values
      // in the write results are ignored for increment-mode keys: the delta is applied.
      h.processElement2(writeResult("t3", 3, 0, write("c", counter(999))), 5);
      h.processElement2(writeResult("t2", 2, 0), 6);
      assertThat(changelog(h)).as("t1 has not finished: nothing drains").isEmpty();
      h.processElement2(writeResult("t1", 1, 0, write("c", counter(999))), 7);
      List<ChangelogRecord> changes = changelog(h);
      assertThat(changes).extracting(ChangelogRecord::getTxnId).containsExactly("t1", "t3");
      assertThat(changes).extracting(c -> c.getAfter().getCounter()).containsExactly(5L, 16L);
      assertThat(changes.get(1).getBefore().getCounter()).isEqualTo(5L);
      assertThat(changes).extracting(ChangelogRecord::getLsn).containsExactly(1L, 2L);
      assertThat(results(h)).singleElement().satisfies(r -> assertThat(r.getReads(0).getValue().getCounter()).isEqualTo(16L));
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void aDebitThatMightBreakItsBoundWaitsForEarlierIncrements() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("load", 1, 0, ONLY_0, put("a", counter(10))), 1);
      // Pending debit of 6 from a balance of 10.
      h.processElement1(request("d1", 2, 0, RANGES_0_1, increment("a", -6, 0L)), 2);
      // A debit of 4 holds whatever d1 does: it runs at once, seeing 10 (d1 is undecided).
      h.processElement1(request("d2", 3, 0, ONLY_0, increment("a", -4, 0L)), 3);
      // A debit of 6 more holds only if d1 aborts: it must wait (escrow fails).
      h.processElement1(request("d3", 4, 0, RANGES_0_1, increment("a", -6, 0L)), 4);
      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("d1");
      assertThat(results(h)).extracting(TxnResult::getTxnId).containsExactly("load", "d2");
      assertThat(results(h).get(1).getOutcome()).isEqualTo(Outcome.COMMITTED);
      // d1 commits: d1 and d2 drain (10 - 6 - 4 = 0), and d3, now at the head, reads 0.
      h.processElement2(writeResult("d1", 2, 0, write("a", counter(4))), 5);
      List<ReadResult> reads = h.extractOutputValues();
      assertThat(reads).extracting(ReadResult::getTxnId).containsExactly("d1", "d3");
      assertThat(reads.get(1).getValues(0).getValue().getCounter()).isZero();
      // Its TransactionProcessor aborts it (below min): nothing changes.
      h.processElement2(writeResult("d3", 4, 0), 6);
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("load", "d1", "d2");
      assertThat(changelog(h)).extracting(c -> c.getAfter().getCounter()).containsExactly(10L, 4L, 0L);
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  /** Inputs of a scenario: requests (input 1) and write results (input 2), in arrival order. */
  private static final List<Object> SCENARIO =
      List.of(
          request("a", 1, 0, RANGES_0_1, put("k", bytes("a"))),
          request("b", 2, 0, ONLY_0, append("list", "x"), get("k")),
          request("c", 3, 0, RANGES_0_1, increment("n", 2, 0L)),
          writeResult("c", 3, 0, write("n", counter(2))),
          request("d", 4, 0, ONLY_0, increment("n", -5, 0L)),
          writeResult("a", 1, 0, write("k", bytes("a"))),
          request("e", 5, 0, ONLY_0, delete("k"), get("k"), append("list", "y")));

  private static void feed(KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> h, List<Object> inputs)
      throws Exception {
    long t = 0;
    for (Object in : inputs) {
      if (in instanceof RangeRequest r) {
        h.processElement1(r, ++t);
      } else {
        h.processElement2((WriteResult) in, ++t);
      }
    }
  }

  private record Outputs(List<ReadResult> reads, List<TxnResult> results, List<ChangelogRecord> changes) {}

  private static Outputs outputs(KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> h) {
    return new Outputs(h.extractOutputValues(), results(h), changelog(h));
  }

  @Test
  void snapshotRestoreContinueGivesTheSameOutputAsAnUninterruptedRun() throws Exception {
    Outputs uninterrupted;
    try (var h = harness()) {
      h.open();
      feed(h, SCENARIO);
      uninterrupted = outputs(h);
    }
    assertThat(uninterrupted.results()).extracting(TxnResult::getTxnId).containsExactly("d", "b", "e");
    assertThat(uninterrupted.results().get(0).getOutcome()).isEqualTo(Outcome.ABORTED);

    for (int cut = 1; cut < SCENARIO.size(); cut++) {
      OperatorSubtaskState snapshot;
      Outputs before;
      try (var h = harness()) {
        h.open();
        feed(h, SCENARIO.subList(0, cut));
        before = outputs(h);
        snapshot = h.snapshot(cut, cut);
      }
      try (var h = harness()) {
        h.initializeState(snapshot);
        h.open();
        feed(h, SCENARIO.subList(cut, SCENARIO.size()));
        Outputs after = outputs(h);
        assertThat(concat(before.reads(), after.reads())).as("reads, cut at %d", cut).isEqualTo(uninterrupted.reads());
        assertThat(concat(before.results(), after.results())).as("results, cut at %d", cut).isEqualTo(uninterrupted.results());
        assertThat(concat(before.changes(), after.changes())).as("changelog, cut at %d", cut).isEqualTo(uninterrupted.changes());
      }
    }
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
