package io.ordo.jepsen.checker.elle;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.JsonHistory;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Elle checkers read elle-cli style JSON histories too (micro-op names as strings, maps with
 * string keys): every hand-written history, converted to JSON and back, gets the same verdict.
 */
class JsonHistoryCheckTest {
  private static History viaJson(History h) throws IOException {
    StringWriter w = new StringWriter();
    JsonHistory.write(h, w);
    return JsonHistory.read(new StringReader(w.toString()));
  }

  static java.util.stream.Stream<Arguments> listAppend() {
    return ListAppendHistoriesTest.cases();
  }

  static java.util.stream.Stream<Arguments> rwRegister() {
    return RwRegisterHistoriesTest.cases();
  }

  @ParameterizedTest(name = "{0} under {1}")
  @MethodSource("listAppend")
  void listAppendVerdictSurvivesJson(String file, String model, Validity expected, List<String> types) throws IOException {
    History json = viaJson(ListAppendHistoriesTest.load("list-append", file));
    CheckResult r = new ListAppendChecker().check(Map.of("consistency-models", List.of(model)), json);
    assertThat(r.valid()).as("%s", r).isEqualTo(expected);
    assertThat(r.anomalyTypes()).containsAll(types);
  }

  @ParameterizedTest(name = "{0} under {1} (external-order {2})")
  @MethodSource("rwRegister")
  void rwRegisterVerdictSurvivesJson(String file, String model, boolean externalOrder, Validity expected, List<String> types)
      throws IOException {
    History json = viaJson(ListAppendHistoriesTest.load("rw-register", file));
    CheckResult r = new RwRegisterChecker().check(Map.of("consistency-models", List.of(model), "external-order", externalOrder), json);
    assertThat(r.valid()).as("%s", r).isEqualTo(expected);
    assertThat(r.anomalyTypes()).containsAll(types);
  }
}
