package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The standard profile's plan: its steps, their order and loads, and its settings' bounds. */
class YcsbtProfileTest {
  private static final YcsbtProfile.Settings STANDARD = new YcsbtProfile.Settings(
      YcsbtProfile.WARMUP, YcsbtProfile.DURATION, YcsbtProfile.PEAK_CLIENTS,
      YcsbtProfile.PEAK_IN_FLIGHT, true);

  @Test
  void theStandardPlanRunsOrdoFirstAndTheFloorLast() {
    List<YcsbtProfile.Step> plan = YcsbtProfile.plan(STANDARD);
    assertThat(plan).extracting(YcsbtProfile.Step::id).containsExactly(
        "ordo-16", "ordo-64", "ordo-256", "ordo-peak", "ordo-peak-x0", "ordo-peak-x100",
        "ordo-half-peak", "ordo-floor", "postgres-floor", "postgres-16", "postgres-64",
        "postgres-256");
    assertThat(plan).extracting(YcsbtProfile.Step::clients)
        .containsExactly(16, 64, 256, 4, 4, 4, 4, 1, 1, 16, 64, 256);
    assertThat(plan).extracting(YcsbtProfile.Step::inFlight)
        .containsExactly(1, 1, 1, 256, 256, 256, 256, 1, 1, 1, 1, 1);
    assertThat(plan).extracting(YcsbtProfile.Step::crossRangeLabel).containsExactly(
        "natural", "natural", "natural", "natural", "0 %", "100 %", "natural", "natural",
        "natural", "natural", "natural", "natural");
    assertThat(plan).filteredOn(s -> s.load() == YcsbtProfile.Load.HALF_PEAK)
        .extracting(YcsbtProfile.Step::id).containsExactly("ordo-half-peak");
    assertThat(plan.get(3).clientsLabel()).isEqualTo("4 clients x 256 in flight");
    assertThat(plan.get(7).clientsLabel()).isEqualTo("1 client");
  }

  @Test
  void withoutPostgresOnlyOrdosStepsRunAndTheEstimateCountsEveryStep() {
    YcsbtProfile.Settings ordoOnly = new YcsbtProfile.Settings(
        YcsbtProfile.WARMUP, YcsbtProfile.DURATION, 4, 256, false);
    assertThat(YcsbtProfile.plan(ordoOnly)).allMatch(s -> s.target().equals(YcsbtBench.ORDO))
        .hasSize(8);
    // 12 steps of 60 s + 40 s: the "about 20 minutes" of the documentation.
    assertThat(YcsbtProfile.estimate(STANDARD, YcsbtProfile.plan(STANDARD)))
        .isEqualTo(Duration.ofMinutes(20));
    YcsbtProfile.Settings quick = new YcsbtProfile.Settings(
        YcsbtProfile.QUICK_WARMUP, YcsbtProfile.QUICK_DURATION, 4, 256, true);
    assertThat(YcsbtProfile.estimate(quick, YcsbtProfile.plan(quick)))
        .isEqualTo(Duration.ofSeconds(84));
  }

  @Test
  void theHalfPeakOffersHalfOfTheNaturalPeak() {
    YcsbtProfile.Step half = YcsbtProfile.plan(STANDARD).get(6);
    YcsbtProfile.Step closed = YcsbtProfile.plan(STANDARD).get(0);
    LoadRunner.StepResult peak = ProfileReportTest.result("ordo", 4, 256, 0, 9_000, 20, 60);
    assertThat(YcsbtProfile.rateOf(closed, Map.of())).isZero();
    assertThat(YcsbtProfile.rateOf(half, Map.of(YcsbtProfile.ORDO_PEAK, peak)))
        .isEqualTo(4_500.0);
    assertThatThrownBy(() -> YcsbtProfile.rateOf(half, Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs the committed/s of ordo-peak");
  }

  @Test
  void settingsAreBounded() {
    assertThatThrownBy(() -> new YcsbtProfile.Settings(Duration.ZERO, Duration.ZERO, 4, 256, true))
        .hasMessageContaining("duration must be positive");
    assertThatThrownBy(() -> new YcsbtProfile.Settings(Duration.ZERO, Duration.ofSeconds(1), 0,
        256, true)).hasMessageContaining("peak clients must be in [1, 1024]");
    assertThatThrownBy(() -> new YcsbtProfile.Settings(Duration.ZERO, Duration.ofSeconds(1), 4,
        1_025, true)).hasMessageContaining("--pipelined must be in [2, 1024]");
    assertThat(new YcsbtProfile.Step("x", YcsbtBench.ORDO, 1, 1, OptionalInt.of(0),
        YcsbtProfile.Load.CLOSED).crossRangeLabel()).isEqualTo("0 %");
  }
}
