package io.ordo.jepsen.checker.elle;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hand-written list-append histories (test resources histories/elle/list-append) with their known
 * verdicts: each *-bad history shows the anomaly its name says under the given model, each *-ok
 * history is valid under strict serializability.
 */
class ListAppendHistoriesTest {
  static History load(String dir, String name) throws IOException {
    String path = "/histories/elle/" + dir + "/" + name;
    try (Reader r = new InputStreamReader(ListAppendHistoriesTest.class.getResourceAsStream(path), StandardCharsets.UTF_8)) {
      return EdnHistory.read(r);
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("serial-ok.edn", "strict-serializable", Validity.TRUE, List.of()),
        Arguments.of("concurrent-info-ok.edn", "strict-serializable", Validity.TRUE, List.of()),
        Arguments.of("G0-bad.edn", "read-uncommitted", Validity.FALSE, List.of("G0")),
        Arguments.of("G1a-bad.edn", "read-committed", Validity.FALSE, List.of("G1a")),
        Arguments.of("G1a-bad.edn", "read-uncommitted", Validity.TRUE, List.of()),
        Arguments.of("G1b-bad.edn", "read-committed", Validity.FALSE, List.of("G1b")),
        Arguments.of("G1c-bad.edn", "read-committed", Validity.FALSE, List.of("G1c")),
        Arguments.of("G1c-bad.edn", "read-uncommitted", Validity.TRUE, List.of()),
        Arguments.of("G-single-bad.edn", "snapshot-isolation", Validity.FALSE, List.of("G-single")),
        Arguments.of("G-single-bad.edn", "read-committed", Validity.TRUE, List.of()),
        Arguments.of("G-nonadjacent-bad.edn", "snapshot-isolation", Validity.FALSE, List.of("G-nonadjacent")),
        Arguments.of("G2-item-write-skew-bad.edn", "serializable", Validity.FALSE, List.of("G2-item")),
        // Write skew is what snapshot isolation allows.
        Arguments.of("G2-item-write-skew-bad.edn", "snapshot-isolation", Validity.TRUE, List.of()),
        Arguments.of("internal-bad.edn", "read-uncommitted", Validity.FALSE, List.of("internal")),
        Arguments.of("future-read-bad.edn", "read-uncommitted", Validity.FALSE, List.of("future-read")),
        Arguments.of("dirty-update-bad.edn", "read-committed", Validity.FALSE, List.of("dirty-update", "G1a")),
        Arguments.of("lost-update-bad.edn", "snapshot-isolation", Validity.FALSE, List.of("lost-update", "G-single")),
        Arguments.of("duplicate-elements-bad.edn", "read-uncommitted", Validity.FALSE, List.of("duplicate-elements")),
        Arguments.of("incompatible-order-bad.edn", "read-uncommitted", Validity.FALSE, List.of("incompatible-order")),
        // Cycles that need realtime (or process) order: fine for serializable, not for strict.
        Arguments.of("G-single-realtime-stale-read-bad.edn", "serializable", Validity.TRUE, List.of()),
        Arguments.of("G-single-realtime-stale-read-bad.edn", "strong-session-serializable", Validity.TRUE, List.of()),
        Arguments.of("G-single-realtime-stale-read-bad.edn", "strict-serializable", Validity.FALSE, List.of("G-single-realtime")),
        Arguments.of("G0-realtime-bad.edn", "serializable", Validity.TRUE, List.of()),
        Arguments.of("G0-realtime-bad.edn", "strict-serializable", Validity.FALSE, List.of("G0-realtime")),
        Arguments.of("G-single-process-stale-read-bad.edn", "serializable", Validity.TRUE, List.of()),
        Arguments.of("G-single-process-stale-read-bad.edn", "strong-session-serializable", Validity.FALSE, List.of("G-single-process")));
  }

  @ParameterizedTest(name = "{0} under {1} is {2} with {3}")
  @MethodSource("cases")
  void verdictMatchesTheKnownOne(String file, String model, Validity expected, List<String> types) throws IOException {
    CheckResult r = new ListAppendChecker().check(Map.of("consistency-models", List.of(model)), load("list-append", file));
    assertThat(r.valid()).as("%s", r).isEqualTo(expected);
    assertThat(r.anomalyTypes()).as("%s", r).containsAll(types);
    if (expected == Validity.TRUE) {
      assertThat(r.anomalies()).isEmpty();
    } else {
      assertThat(r.anomalies()).allSatisfy(a -> assertThat(a.ops()).isNotEmpty());
    }
  }
}
