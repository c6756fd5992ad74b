package io.ordo.jepsen.checker.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BankCheckerTest {
  static final Map<String, Object> OPTIONS = Map.of("total", 100L, "accounts", List.of(0L, 1L, 2L));

  static History load(String name) throws IOException {
    try (Reader r = new InputStreamReader(BankCheckerTest.class.getResourceAsStream("/histories/bank/" + name), StandardCharsets.UTF_8)) {
      return EdnHistory.read(r);
    }
  }

  @Test
  void conservedTotalsAreValidWithInfoAndFailedOpsAndNemesis() throws IOException {
    CheckResult r = new BankChecker().check(OPTIONS, load("transfers-ok.edn"));
    assertThat(r.valid()).isEqualTo(Validity.TRUE);
    assertThat(r.anomalies()).isEmpty();
    assertThat(r.extra()).containsEntry("read-count", 2L).containsEntry("transfer-count", 3L).containsEntry("bad-read-count", 0L);
  }

  @ParameterizedTest
  @CsvSource({
      "wrong-total-bad.edn, wrong-total, 3",
      "negative-balance-bad.edn, negative-balance, 3",
      "unexpected-key-bad.edn, unexpected-key, 1",
      "nil-balance-bad.edn, nil-balance, 1",
  })
  void eachBadHistoryShowsItsAnomalyOnTheReadThatShowsIt(String file, String type, long readIndex) throws IOException {
    History h = load(file);
    CheckResult r = new BankChecker().check(OPTIONS, h);
    assertThat(r.valid()).isEqualTo(Validity.FALSE);
    assertThat(r.anomalyTypes()).contains(type);
    Anomaly a = r.anomalies().stream().filter(x -> x.type().equals(type)).findFirst().orElseThrow();
    assertThat(a.ops()).hasSize(2);
    assertThat(a.ops().get(1).index()).isEqualTo(readIndex);
    assertThat(a.ops().get(0)).isEqualTo(h.invocation(a.ops().get(1)));
    assertThat(r.extra()).containsEntry("bad-read-count", 1L);
  }

  @Test
  void wrongTotalExplanationGivesTheSumAndOnlyTheBadReadIsReported() throws IOException {
    CheckResult r = new BankChecker().check(OPTIONS, load("wrong-total-bad.edn"));
    assertThat(r.anomalyTypes()).containsExactly("wrong-total");
    assertThat(r.anomalies()).hasSize(1);
    assertThat(r.anomalies().get(0).explanation()).contains("sums to 110, expected 100");
  }

  @Test
  void negativeBalancesCanBeAllowedButTheTotalStillCounts() throws IOException {
    CheckResult allowed = new BankChecker().check(
        Map.of("total", 100L, "negative-balances-allowed", true), load("negative-balance-bad.edn"));
    assertThat(allowed.valid()).isEqualTo(Validity.TRUE);
    CheckResult wrongTotal = new BankChecker().check(
        Map.of("total", 99L, "negative-balances-allowed", true), load("negative-balance-bad.edn"));
    assertThat(wrongTotal.anomalyTypes()).containsExactly("wrong-total");
  }

  @Test
  void withoutAccountsAnyKeyIsAccepted() throws IOException {
    assertThat(new BankChecker().check(Map.of("total", 100L), load("unexpected-key-bad.edn")).valid()).isEqualTo(Validity.TRUE);
  }

  @Test
  void badOptionsAndBadShapesAreRejectedNamingTheProblem() throws IOException {
    BankChecker c = new BankChecker();
    History ok = load("transfers-ok.edn");
    assertThatThrownBy(() -> c.check(Map.of(), ok)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("total");
    assertThatThrownBy(() -> c.check(Map.of("total", 100L, "bogus", 1L), ok))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bogus");
    assertThatThrownBy(() -> c.check(Map.of("total", 100L, "negative-balances-allowed", "yes"), ok))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("boolean");
    History badRead = EdnHistory.read(new StringReader(
        "{:index 0, :time 0, :process 0, :type :invoke, :f :read, :value nil}\n"
            + "{:index 1, :time 1, :process 0, :type :ok, :f :read, :value [1 2]}\n"));
    assertThatThrownBy(() -> c.check(Map.of("total", 3L), badRead))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 1");
    History badTransfer = EdnHistory.read(new StringReader(
        "{:index 0, :time 0, :process 0, :type :invoke, :f :transfer, :value {:from 1, :to 1, :amount 5}}\n"));
    assertThatThrownBy(() -> c.check(Map.of("total", 3L), badTransfer))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 0");
    assertThat(c.name()).isEqualTo("bank");
  }

  @Test
  void readsElleCliStyleJsonWithStringKeysAndOldNemesisOps() throws Exception {
    History h = io.ordo.jepsen.history.JsonHistory.read(
        java.nio.file.Path.of(BankCheckerTest.class.getResource("/histories/bank/elle-cli-style-ok.json").toURI()));
    CheckResult r = new BankChecker().check(Map.of("total", 100L, "accounts", List.of(0L, 1L)), h);
    assertThat(r.valid()).isEqualTo(Validity.TRUE);
    assertThat(r.extra()).containsEntry("read-count", 1L).containsEntry("transfer-count", 1L);
    assertThat(new BankChecker().check(Map.of("total", 101L), h).anomalyTypes()).containsExactly("wrong-total");
  }
}
