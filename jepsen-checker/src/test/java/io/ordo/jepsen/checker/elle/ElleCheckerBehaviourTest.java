package io.ordo.jepsen.checker.elle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Options, time bound, explanations, model judgement and bad input of the Elle checkers. */
class ElleCheckerBehaviourTest {
  private static History edn(String... lines) throws IOException {
    return EdnHistory.read(new StringReader(String.join("\n", lines)));
  }

  /** Read skew (G-single) with a failed append read by someone (G1a) only if {@code withG1a}. */
  private static History gSingle(boolean withG1a) throws IOException {
    String failed = withG1a ? "[[:r 1 nil] [:r 2 nil] [:r 3 [9]]]" : "[[:r 1 nil] [:r 2 nil]]";
    return edn(
        "{:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:r 1 nil] [:r 2 nil]]}",
        "{:index 1, :time 1, :process 1, :type :invoke, :f :txn, :value [[:append 1 1] [:append 2 1]]}",
        "{:index 2, :time 2, :process 2, :type :invoke, :f :txn, :value [[:append 3 9]]}",
        "{:index 3, :time 3, :process 0, :type :ok, :f :txn, :value " + failed.replace("[[:r 1 nil] [:r 2 nil]", "[[:r 1 nil] [:r 2 [1]]") + "}",
        "{:index 4, :time 4, :process 1, :type :ok, :f :txn, :value [[:append 1 1] [:append 2 1]]}",
        "{:index 5, :time 5, :process 2, :type :fail, :f :txn, :value [[:append 3 9]]}",
        "{:index 6, :time 6, :process 3, :type :invoke, :f :txn, :value [[:r 1 nil]]}",
        "{:index 7, :time 7, :process 3, :type :ok, :f :txn, :value [[:r 1 [1]]]}");
  }

  @Test
  void cycleSearchOutOfTimeIsUnknownNeverValid() throws IOException {
    AtomicLong clock = new AtomicLong();
    // Every reading of this clock is one second later: the search runs out before its first step.
    ListAppendChecker checker = new ListAppendChecker(() -> clock.addAndGet(1_000_000_000L));
    CheckResult r = checker.check(Map.of("time-limit-ms", 500L), gSingle(false));
    assertThat(r.valid()).isEqualTo(Validity.UNKNOWN);
    assertThat(r.extra()).containsEntry("cycle-search-timed-out", true).containsKey("unknown-reason");
    // With the time it needs, the same history is invalid.
    assertThat(new ListAppendChecker().check(Map.of(), gSingle(false)).valid()).isEqualTo(Validity.FALSE);
  }

  @Test
  void aForbiddenAnomalyFoundBeforeTheTimeoutMakesTheVerdictFalse() throws IOException {
    AtomicLong clock = new AtomicLong();
    CheckResult r = new ListAppendChecker(() -> clock.addAndGet(1_000_000_000L)).check(Map.of("time-limit-ms", 500L), gSingle(true));
    assertThat(r.valid()).isEqualTo(Validity.FALSE);
    assertThat(r.anomalyTypes()).containsExactly("G1a");
  }

  @Test
  void aHistoryWithoutCycleCandidatesIsValidEvenWithAZeroBudget() throws IOException {
    History h = edn(
        "{:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:append 1 1]]}",
        "{:index 1, :time 1, :process 0, :type :ok, :f :txn, :value [[:append 1 1]]}",
        "{:index 2, :time 2, :process 1, :type :invoke, :f :txn, :value [[:r 1 nil]]}",
        "{:index 3, :time 3, :process 1, :type :ok, :f :txn, :value [[:r 1 [1]]]}");
    assertThat(new ListAppendChecker().check(Map.of("time-limit-ms", 0L), h).valid()).isEqualTo(Validity.TRUE);
  }

  @Test
  @SuppressWarnings("unchecked")
  void cycleExplanationNamesOpsAndEdgeTypesAndModelsAreJudged() throws IOException {
    CheckResult r = new ListAppendChecker().check(Map.of(), gSingle(false));
    assertThat(r.anomalyTypes()).containsExactly("G-single");
    Anomaly a = r.anomalies().get(0);
    assertThat(a.explanation()).contains("op 3 (process 0) -rw-> op 4 (process 1) -wr-> op 3 (process 0)");
    assertThat(a.explanation())
        .contains("rw op 3 -> op 4: key 1: read [], then it appended the next element 1")
        .contains("wr op 4 -> op 3: key 2: read [1], whose last element 1 it appended");
    assertThat(a.ops()).extracting(op -> op.index()).containsExactly(3L, 4L);
    assertThat(r.extra().get("not")).isEqualTo(List.of("snapshot-isolation"));
    assertThat((List<Object>) r.extra().get("possible")).contains("read-committed", "read-uncommitted");
    assertThat((List<Object>) r.extra().get("also-not")).contains("serializable", "strict-serializable");
  }

  @Test
  void extraAnomaliesOptionForbidsTypesTheModelAllows() throws IOException {
    CheckResult plain = new ListAppendChecker().check(Map.of("consistency-models", List.of("read-committed")), gSingle(false));
    assertThat(plain.valid()).isEqualTo(Validity.TRUE);
    assertThat(plain.extra().get("allowed-anomaly-types")).isEqualTo(List.of("G-single"));
    CheckResult strict = new ListAppendChecker().check(
        Map.of("consistency-models", List.of("read-committed"), "anomalies", List.of("G-single")), gSingle(false));
    assertThat(strict.valid()).isEqualTo(Validity.FALSE);
  }

  @Test
  void sameHistorySameResult() throws IOException {
    History h = SimulatedDb.run(SimulatedDb.Isolation.SNAPSHOT_ISOLATION, SimulatedDb.Workload.LIST_APPEND,
        new SimulatedDb.Params(400, 5, 3, 4, 16, 2, false), 7);
    assertThat(new ListAppendChecker().check(Map.of(), h)).isEqualTo(new ListAppendChecker().check(Map.of(), h));
  }

  @Test
  void badOptionsAndValuesAreRejectedWithTheReason() throws IOException {
    History ok = gSingle(false);
    ListAppendChecker c = new ListAppendChecker();
    assertThatThrownBy(() -> c.check(Map.of("consistency-model", List.of("serializable")), ok))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option 'consistency-model'");
    assertThatThrownBy(() -> c.check(Map.of("consistency-models", List.of("serialisable")), ok))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown consistency model 'serialisable'");
    assertThatThrownBy(() -> c.check(Map.of("time-limit-ms", -1L), ok))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("time-limit-ms");
    History badRead = edn(
        "{:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:r 1 nil]]}",
        "{:index 1, :time 1, :process 0, :type :ok, :f :txn, :value [[:r 1 5]]}");
    assertThatThrownBy(() -> c.check(Map.of(), badRead)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 1");
    History dupAppend = edn(
        "{:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:append 1 5]]}",
        "{:index 1, :time 1, :process 0, :type :ok, :f :txn, :value [[:append 1 5]]}",
        "{:index 2, :time 2, :process 0, :type :invoke, :f :txn, :value [[:append 1 5]]}",
        "{:index 3, :time 3, :process 0, :type :ok, :f :txn, :value [[:append 1 5]]}");
    assertThatThrownBy(() -> c.check(Map.of(), dupAppend)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unique");
    History mapValue = edn(
        "{:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:w 1 5]]}",
        "{:index 1, :time 1, :process 0, :type :ok, :f :txn, :value {:txn [[:w 1 5]], :position 3}}");
    assertThatThrownBy(() -> new RwRegisterChecker().check(Map.of(), mapValue))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("external-order");
    assertThat(new RwRegisterChecker().check(Map.of("external-order", true), mapValue).valid()).isEqualTo(Validity.TRUE);
  }
}
