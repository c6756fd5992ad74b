package io.ordo.jepsen.checker.elle;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hand-written rw-register histories (test resources histories/elle/rw-register) with their known
 * verdicts, including one whose cycle only the external commit order reveals.
 */
class RwRegisterHistoriesTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("serial-ok.edn", "strict-serializable", false, Validity.TRUE, List.of()),
        Arguments.of("G1a-bad.edn", "read-committed", false, Validity.FALSE, List.of("G1a")),
        Arguments.of("G1b-bad.edn", "read-committed", false, Validity.FALSE, List.of("G1b")),
        Arguments.of("G1c-bad.edn", "read-committed", false, Validity.FALSE, List.of("G1c")),
        Arguments.of("G1c-bad.edn", "read-uncommitted", false, Validity.TRUE, List.of()),
        Arguments.of("G-single-bad.edn", "snapshot-isolation", false, Validity.FALSE, List.of("G-single")),
        Arguments.of("G2-item-write-skew-bad.edn", "serializable", false, Validity.FALSE, List.of("G2-item")),
        Arguments.of("G2-item-write-skew-bad.edn", "snapshot-isolation", false, Validity.TRUE, List.of()),
        Arguments.of("internal-bad.edn", "read-uncommitted", false, Validity.FALSE, List.of("internal")),
        Arguments.of("lost-update-bad.edn", "snapshot-isolation", false, Validity.FALSE, List.of("lost-update")),
        Arguments.of("G-single-realtime-stale-read-bad.edn", "serializable", false, Validity.TRUE, List.of()),
        Arguments.of("G-single-realtime-stale-read-bad.edn", "strict-serializable", false, Validity.FALSE, List.of("G-single-realtime")),
        Arguments.of("external-order-G-single-bad.edn", "serializable", true, Validity.FALSE, List.of("G-single")),
        Arguments.of("external-order-ok.edn", "strict-serializable", true, Validity.TRUE, List.of()),
        Arguments.of("linearizable-keys-G-single-bad.edn", "serializable", false, Validity.TRUE, List.of()));
  }

  static Stream<Arguments> orderAssumptionCases() {
    return Stream.of(
        Arguments.of("linearizable-keys-G-single-bad.edn", "linearizable-keys", Validity.FALSE, List.of("G-single")),
        Arguments.of("linearizable-keys-G-single-bad.edn", "sequential-keys", Validity.TRUE, List.of()),
        Arguments.of("sequential-keys-G-single-bad.edn", "sequential-keys", Validity.FALSE, List.of("G-single")),
        Arguments.of("sequential-keys-G-single-bad.edn", "linearizable-keys", Validity.FALSE, List.of("G-single")));
  }

  @ParameterizedTest(name = "{0} with {1} is {2} with {3}")
  @MethodSource("orderAssumptionCases")
  void keyOrderAssumptionsAddVersionOrderEvidence(String file, String option, Validity expected, List<String> types) throws IOException {
    CheckResult r = new RwRegisterChecker().check(
        Map.of("consistency-models", List.of("serializable"), option, true), ListAppendHistoriesTest.load("rw-register", file));
    assertThat(r.valid()).as("%s", r).isEqualTo(expected);
    assertThat(r.anomalyTypes()).as("%s", r).containsAll(types);
  }

  @ParameterizedTest(name = "{0} under {1} (external-order {2}) is {3} with {4}")
  @MethodSource("cases")
  void verdictMatchesTheKnownOne(String file, String model, boolean externalOrder, Validity expected, List<String> types) throws IOException {
    CheckResult r = new RwRegisterChecker().check(
        Map.of("consistency-models", List.of(model), "external-order", externalOrder), ListAppendHistoriesTest.load("rw-register", file));
    assertThat(r.valid()).as("%s", r).isEqualTo(expected);
    assertThat(r.anomalyTypes()).as("%s", r).containsAll(types);
  }
}
