package io.ordo.jepsen.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import java.io.IOException;
import java.io.StringReader;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-written kv histories with known verdicts for "each client's appends appear exactly once and in order". */
class KvAppendsCheckerTest {
  private static CheckResult check(String edn) throws IOException {
    History h = EdnHistory.read(new StringReader(edn));
    return new KvAppendsChecker().check(Map.of(), h);
  }

  /** Process 0 appends 1 then 2 (both ok); process 1 reads. */
  private static final String APPENDS =
      """
      {:index 0, :time 0, :process 0, :type :invoke, :f :append, :value [7 1]}
      {:index 1, :time 1, :process 0, :type :ok, :f :append, :value [7 1]}
      {:index 2, :time 2, :process 0, :type :invoke, :f :append, :value [7 2]}
      {:index 3, :time 3, :process 0, :type :ok, :f :append, :value [7 2]}
      {:index 4, :time 4, :process 0, :type :invoke, :f :append, :value [7 3]}
      {:index 5, :time 5, :process 0, :type :ok, :f :append, :value [7 3]}
      {:index 6, :time 6, :process 1, :type :invoke, :f :read, :value [7 nil]}
      """;

  private static String read(String observed) {
    return APPENDS + "{:index 7, :time 7, :process 1, :type :ok, :f :read, :value [7 " + observed + "]}\n";
  }

  @Test
  void allAppendsInOrderIsValid() throws Exception {
    CheckResult r = check(read("[1 2 3]"));
    assertThat(r.valid()).isEqualTo(Validity.TRUE);
    assertThat(r.extra().get("read-count")).isEqualTo(1L);
  }

  @Test
  void aPrefixIsValidBecauseLaterAppendsMayNotHaveLandedInItsView() throws Exception {
    assertThat(check(read("[1 2]")).valid()).isEqualTo(Validity.TRUE);
  }

  @Test
  void aListResetByAPutKeepsOnlyLaterAppends() throws Exception {
    String edn = APPENDS
        + "{:index 7, :time 7, :process 1, :type :ok, :f :read, :value [7 [9 3]]}\n"
        + "{:index 8, :time 8, :process 2, :type :invoke, :f :write, :value [7 [9]]}\n"
        + "{:index 9, :time 9, :process 2, :type :info, :f :write, :value [7 [9]]}\n";
    assertThat(check(edn).valid()).isEqualTo(Validity.TRUE);
  }

  @Test
  void aDuplicatedAppendIsFound() throws Exception {
    assertThat(check(read("[1 2 2 3]")).anomalyTypes()).containsExactly("duplicate-append");
  }

  @Test
  void appendsOutOfTheirClientsOrderAreFound() throws Exception {
    assertThat(check(read("[2 1 3]")).anomalyTypes()).containsExactly("append-order");
  }

  @Test
  void aMissingOkAppendBetweenTwoPresentOnesIsLost() throws Exception {
    CheckResult r = check(read("[1 3]"));
    assertThat(r.anomalyTypes()).containsExactly("lost-append");
    assertThat(r.anomalies().get(0).ops()).hasSize(2);
  }

  @Test
  void anInfoAppendMayOrMayNotAppear() throws Exception {
    // The process that saw info never invokes again (the worker continues as process 3).
    String edn =
        """
        {:index 0, :time 0, :process 0, :type :invoke, :f :append, :value [7 1]}
        {:index 1, :time 1, :process 0, :type :ok, :f :append, :value [7 1]}
        {:index 2, :time 2, :process 0, :type :invoke, :f :append, :value [7 2]}
        {:index 3, :time 3, :process 0, :type :info, :f :append, :value [7 2]}
        {:index 4, :time 4, :process 3, :type :invoke, :f :append, :value [7 3]}
        {:index 5, :time 5, :process 3, :type :ok, :f :append, :value [7 3]}
        {:index 6, :time 6, :process 1, :type :invoke, :f :read, :value [7 nil]}
        {:index 7, :time 7, :process 1, :type :ok, :f :read, :value [7 [1 3]]}
        {:index 8, :time 8, :process 1, :type :invoke, :f :read, :value [7 nil]}
        {:index 9, :time 9, :process 1, :type :ok, :f :read, :value [7 [1 3 2]]}
        """;
    CheckResult r = check(edn);
    assertThat(r.valid()).isEqualTo(Validity.TRUE);
    assertThat(r.extra().get("read-count")).isEqualTo(2L);
  }

  @Test
  void anElementNobodyAppendedIsFound() throws Exception {
    assertThat(check(read("[1 2 3 44]")).anomalyTypes()).containsExactly("unknown-element");
  }

  @Test
  void aFailedAppendMustNotAppear() throws Exception {
    String edn = read("[1 2 3]").replace("{:index 5, :time 5, :process 0, :type :ok, :f :append, :value [7 3]}",
        "{:index 5, :time 5, :process 0, :type :fail, :f :append, :value [7 3]}");
    assertThat(check(edn).anomalyTypes()).containsExactly("unknown-element");
  }

  @Test
  void optionsAreRejected() {
    assertThatThrownBy(() -> new KvAppendsChecker().check(Map.of("x", 1L), History.of(java.util.List.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no options");
  }
}
