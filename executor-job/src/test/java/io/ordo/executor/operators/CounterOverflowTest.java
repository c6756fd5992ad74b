package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.AbortReason;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.RangeRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A log that used to fail the job on every replay (a poison pill): a counter at -2^62, a
 * multi-range increment of it, two increments of +2^62 and a bounded increment, sent 2 ms apart.
 * The escrow check granted the later increments while the multi-range one was undecided, and the
 * bounded one's read summed the deltas ahead of it (2^62 + 2^62) apart from the value: an
 * ArithmeticException in processElement1. Overflow is now an OUT_OF_RANGE abort of the
 * transaction whose exact value leaves int64, and only of it.
 */
class CounterOverflowTest {
  private static final long TWO_62 = 1L << 62;

  /** The log, in order (ts 2 ms apart). "up3" would take c to 2^63; "down" fits again after it. */
  private static List<List<RangeRequest>> log(long multiDelta) {
    return List.of(
        List.of(request("load", 1000, 0, List.of(0), put("c", counter(-TWO_62)))),
        twoRanges("multi", 1002, increment("c", multiDelta, null), get("x")),
        List.of(request("up1", 1004, 0, List.of(0), increment("c", TWO_62, null))),
        List.of(request("up2", 1006, 0, List.of(0), increment("c", TWO_62, null))),
        List.of(request("bounded", 1008, 0, List.of(0), increment("c", -1, 0L))),
        List.of(request("up3", 1010, 0, List.of(0), increment("c", TWO_62, null))),
        List.of(request("down", 1012, 0, List.of(0), increment("c", -5, 0L))));
  }

  private record Run(Map<String, TxnResult> results, List<ChangelogRecord> changelog) {}

  /**
   * Runs the log; the multi-range transaction's messages (its reads to the decider, its write
   * results back) are delivered after {@code laterRequests} of the requests that follow it.
   */
  private static Run run(long multiDelta, int laterRequests) throws Exception {
    List<List<RangeRequest>> log = log(multiDelta);
    try (OperatorPair pair = new OperatorPair()) {
      for (int i = 0; i < log.size(); i++) {
        pair.submit(log.get(i));
        if (i == 1 + laterRequests) {
          pair.deliverAll(null);
        }
      }
      pair.deliverAll(null);
      assertThat(pair.ktp.numKeyedStateEntries())
          .as("no lock, pending or held entry left")
          .isEqualTo(KeyTransactionProcessorFunctionTest.IDLE_STATE_ENTRIES * 2 - 1); // range 1 wrote nothing
      assertThat(pair.tp.numKeyedStateEntries()).isZero();
      return new Run(new TreeMap<>(pair.results()), new ArrayList<>(pair.changelog()));
    }
  }

  @Test
  void theCrashLoopLogAbortsOnlyTheIncrementThatLeavesInt64() throws Exception {
    try (OperatorPair pair = new OperatorPair()) {
      List<List<RangeRequest>> log = log(1);
      for (List<RangeRequest> requests : log) {
        pair.submit(requests);
      }
      // "multi" is undecided; the escrow check let up1, up2 and bounded run (they fit whatever
      // multi does), and holds up3 (c + 2^62 may be 2^63) and down (behind up3's unknown outcome).
      assertThat(pair.results().keySet()).containsExactly("load", "up1", "up2", "bounded");
      assertThat(pair.results().values()).extracting(TxnResult::getOutcome).containsOnly(Outcome.COMMITTED);

      pair.deliverAll(null);
      Map<String, TxnResult> results = pair.results();
      assertThat(results.keySet()).containsExactlyInAnyOrder("load", "multi", "up1", "up2", "bounded", "up3", "down");
      for (String id : List.of("load", "multi", "up1", "up2", "bounded", "down")) {
        assertThat(results.get(id).getOutcome()).as(id).isEqualTo(Outcome.COMMITTED);
      }
      TxnResult up3 = results.get("up3");
      assertThat(up3.getOutcome()).isEqualTo(Outcome.ABORTED);
      assertThat(up3.getAbortReason()).isEqualTo(AbortReason.OUT_OF_RANGE);
      assertThat(up3.getFailedOpIndex()).isZero();
      assertThat(up3.getDetail()).isEqualTo("op 0: increment of 'c' by 4611686018427387904 from 4611686018427387904 overflows int64");

      assertThat(pair.changelog()).filteredOn(c -> c.getKey().equals("c"))
          .extracting(ChangelogRecord::getTxnId, c -> c.getAfter().getCounter())
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("load", -TWO_62),
              org.assertj.core.groups.Tuple.tuple("multi", -TWO_62 + 1),
              org.assertj.core.groups.Tuple.tuple("up1", 1L),
              org.assertj.core.groups.Tuple.tuple("up2", TWO_62 + 1),
              org.assertj.core.groups.Tuple.tuple("bounded", TWO_62),
              org.assertj.core.groups.Tuple.tuple("down", TWO_62 - 5));
    }
  }

  @Test
  void theOutcomesAndChangelogDoNotDependOnWhenTheFeedbackArrives() throws Exception {
    Run last = run(1, 5);
    assertThat(last.results().get("up3").getAbortReason()).isEqualTo(AbortReason.OUT_OF_RANGE);
    for (int later = 0; later < 5; later++) {
      Run run = run(1, later);
      assertThat(run.results()).as("results, feedback after %d later requests", later).isEqualTo(last.results());
      assertThat(run.changelog()).as("changelog, feedback after %d later requests", later).isEqualTo(last.changelog());
    }
  }

  @Test
  void aMultiRangeIncrementThatOverflowsAbortsThereAndTheRestRunOnTheExactValue() throws Exception {
    // multi: -2^62 + MIN leaves int64; while it is undecided nothing after it can be escrowed.
    Run first = run(Long.MIN_VALUE, 0);
    Run last = run(Long.MIN_VALUE, 5);
    assertThat(first.results()).isEqualTo(last.results());
    assertThat(first.changelog()).isEqualTo(last.changelog());
    TxnResult multi = last.results().get("multi");
    assertThat(multi.getAbortReason()).isEqualTo(AbortReason.OUT_OF_RANGE);
    assertThat(multi.getDetail()).contains("'c'");
    // Without multi's +1: -2^62 → 0 → 2^62 → bounded: 2^62 - 1 → up3: exactly 2^63 - 1, the
    // largest int64, so it commits → down.
    assertThat(last.results().get("up3").getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(last.changelog()).filteredOn(c -> c.getKey().equals("c"))
        .extracting(c -> c.getAfter().getCounter())
        .containsExactly(-TWO_62, 0L, TWO_62, TWO_62 - 1, Long.MAX_VALUE, Long.MAX_VALUE - 5);
  }
}
