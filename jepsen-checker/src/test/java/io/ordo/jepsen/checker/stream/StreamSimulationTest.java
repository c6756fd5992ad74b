package io.ordo.jepsen.checker.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.checker.stream.SimulatedStream.Fault;
import io.ordo.jepsen.checker.stream.SimulatedStream.Workload;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.JsonHistory;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checker against a simulated Kafka-like log ({@link SimulatedStream}): a correct log must
 * check valid in the strict mode for every seed, and each injected fault must be found. A failing
 * seed replays as a plain test case.
 */
class StreamSimulationTest {
  private static final int WORKERS = 5;
  private static final int STEPS = 600;
  private static final int KEYS = 3;
  /** Compact sends and polls, a fifth of txns, and an assign now and then. */
  private static final Workload WORKLOAD = new Workload(KEYS, 4, 20, 4);
  private static final int FAULT_AT_SEND = 20;

  static LongStream seeds() {
    return LongStream.rangeClosed(1, 10);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void correctLogChecksValidInStrictMode(long seed) throws IOException {
    History h = new SimulatedStream(seed, WORKLOAD, Fault.NONE, 0).run(WORKERS, STEPS);
    CheckResult r = new StreamChecker().check(Map.of("mode", "strict"), h);
    assertThat(r.anomalies()).isEmpty();
    assertThat(r.valid()).isEqualTo(Validity.TRUE);
    assertThat(r.extra().get("key-count")).isEqualTo((long) KEYS);
    // The same history through EDN and through elle-cli JSON checks the same.
    StringWriter edn = new StringWriter();
    EdnHistory.write(h, edn);
    assertThat(new StreamChecker().check(Map.of("mode", "strict"), EdnHistory.read(new StringReader(edn.toString())))).isEqualTo(r);
    StringWriter json = new StringWriter();
    JsonHistory.write(h, json);
    assertThat(new StreamChecker().check(Map.of("mode", "strict"), JsonHistory.read(new StringReader(json.toString())))).isEqualTo(r);
  }

  static Stream<Arguments> faults() {
    return Stream.of(Fault.DROP_WRITE, Fault.DUPLICATE_RECORD, Fault.REORDER_POLL, Fault.ABORTED_WRITE)
        .flatMap(f -> LongStream.rangeClosed(1, 4).mapToObj(seed -> Arguments.of(f, seed)));
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("faults")
  void injectedFaultIsFound(Fault fault, long seed) {
    SimulatedStream sim = new SimulatedStream(seed, WORKLOAD, fault, FAULT_AT_SEND);
    History h = sim.run(WORKERS, STEPS);
    assertThat(sim.faultInjected()).isTrue();
    CheckResult r = new StreamChecker().check(Map.of(), h);
    String expected = switch (fault) {
      case DROP_WRITE -> StreamChecker.LOST_WRITE;
      case DUPLICATE_RECORD -> StreamChecker.DUPLICATE;
      case REORDER_POLL -> StreamChecker.INT_NONMONOTONIC_POLL;
      case ABORTED_WRITE -> StreamChecker.G1A;
      case NONE -> throw new AssertionError();
    };
    assertThat(r.anomalyTypes()).as(r.anomalies().toString()).contains(expected);
    assertThat(r.valid()).isEqualTo(Validity.FALSE);
    assertThat(r.extra().get("disallowed-anomaly-types")).asList().contains(expected);
  }
}
