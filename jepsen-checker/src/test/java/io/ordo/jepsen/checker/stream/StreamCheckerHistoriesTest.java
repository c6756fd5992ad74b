package io.ordo.jepsen.checker.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hand-written histories under {@code histories/stream/}: for each file, the options, the
 * verdict and the exact set of anomaly types found. Every anomaly type has a {@code -bad} history;
 * the {@code -ok} histories are near misses that must not be flagged.
 */
class StreamCheckerHistoriesTest {
  static Stream<Arguments> cases() {
    Map<String, Object> strict = Map.of("mode", "strict");
    Map<String, Object> exactlyOnce = Map.of();
    return Stream.of(
        Arguments.of("basic-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("txn-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("inconsistent-offsets-bad", exactlyOnce, Validity.FALSE,
            Set.of("inconsistent-offsets", "duplicate", "lost-write", "unseen")),
        Arguments.of("duplicate-bad", exactlyOnce, Validity.FALSE, Set.of("duplicate")),
        Arguments.of("duplicate-bad", Map.of("mode", "at-least-once"), Validity.TRUE, Set.of("duplicate")),
        Arguments.of("lost-write-bad", exactlyOnce, Validity.FALSE, Set.of("lost-write", "unseen")),
        Arguments.of("lost-write-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("lost-write-duplicate-ok", Map.of("mode", "at-least-once"), Validity.TRUE, Set.of("duplicate", "unseen")),
        Arguments.of("unseen-ok", exactlyOnce, Validity.TRUE, Set.of("unseen")),
        Arguments.of("unseen-ok", strict, Validity.FALSE, Set.of("unseen")),
        Arguments.of("poll-skip-bad", exactlyOnce, Validity.FALSE, Set.of("poll-skip")),
        Arguments.of("poll-skip-bad", Map.of("allowed", List.of("poll-skip")), Validity.TRUE, Set.of("poll-skip")),
        Arguments.of("poll-skip-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("nonmonotonic-poll-bad", exactlyOnce, Validity.FALSE, Set.of("nonmonotonic-poll")),
        Arguments.of("int-poll-skip-bad", exactlyOnce, Validity.FALSE, Set.of("int-poll-skip")),
        Arguments.of("int-nonmonotonic-poll-bad", exactlyOnce, Validity.FALSE, Set.of("int-nonmonotonic-poll")),
        Arguments.of("nonmonotonic-send-bad", exactlyOnce, Validity.FALSE, Set.of("nonmonotonic-send")),
        Arguments.of("int-nonmonotonic-send-bad", exactlyOnce, Validity.FALSE, Set.of("int-nonmonotonic-send")),
        Arguments.of("g1a-bad", exactlyOnce, Validity.FALSE, Set.of("G1a")),
        Arguments.of("g1a-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("inconsistent-offsets-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("duplicate-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("nonmonotonic-poll-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("int-poll-skip-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("int-nonmonotonic-poll-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("nonmonotonic-send-ok", strict, Validity.TRUE, Set.of()),
        Arguments.of("int-nonmonotonic-send-ok", strict, Validity.TRUE, Set.of()));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void historyHasKnownVerdict(String name, Map<String, Object> options, Validity expected, Set<String> types) throws IOException {
    History h = read(name);
    CheckResult r = new StreamChecker().check(options, h);
    assertThat(r.anomalyTypes()).as(r.anomalies().toString()).containsExactlyInAnyOrderElementsOf(types);
    assertThat(r.valid()).isEqualTo(expected);
    for (Anomaly a : r.anomalies()) {
      assertThat(a.ops()).as("ops of %s", a).isNotEmpty();
      assertThat(a.ops()).isSortedAccordingTo((x, y) -> Long.compare(x.index(), y.index()));
    }
  }

  static History read(String name) throws IOException {
    String path = "/histories/stream/" + name + ".edn";
    InputStream in = StreamCheckerHistoriesTest.class.getResourceAsStream(path);
    assertThat(in).as(path).isNotNull();
    try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      return EdnHistory.read(r);
    }
  }
}
