package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The goals table of a profile run: figures, ratios, goals met or not, skipped steps, JSON. */
class ProfileReportTest {
  private static final double WINDOW_SECONDS = 10;

  /**
   * A step result with {@code committedPerSecond} over a 10 s window, 98 % of latencies at
   * {@code p50Ms} and the rest at {@code p99Ms}, 0.5 JVM cores of which 0.02 load generator.
   */
  static LoadRunner.StepResult result(String target, int clients, int inFlight, double rate,
      double committedPerSecond, double p50Ms, double p99Ms) {
    Histogram h = LoadRunner.newHistogram();
    h.recordValueWithCount(TimeUnit.MICROSECONDS.toNanos((long) (p50Ms * 1000)), 98);
    h.recordValueWithCount(TimeUnit.MICROSECONDS.toNanos((long) (p99Ms * 1000)), 2);
    TreeMap<String, Long> aborts = new TreeMap<>(Map.of(TransferClient.INSUFFICIENT_FUNDS, 3L));
    CpuMeter.Usage cpu = new CpuMeter.Usage(WINDOW_SECONDS, 0.5,
        Map.of("load generator", 0.02, "flink", 0.2), Map.of(),
        target.equals(YcsbtBench.POSTGRES) ? 0.1 : null,
        target.equals(YcsbtBench.POSTGRES) ? 3 : null, Map.of());
    long committed = Math.round(committedPerSecond * WINDOW_SECONDS);
    return new LoadRunner.StepResult(target, rate, clients, inFlight, WINDOW_SECONDS,
        committed + 3, committed, aborts, new TreeMap<>(), new TreeMap<>(), 0, h, cpu,
        LoadRunner.newSplitHistogram(), LoadRunner.newSplitHistogram());
  }

  private static ProfileReport report() {
    YcsbtProfile.Settings settings = new YcsbtProfile.Settings(
        Duration.ofSeconds(1), Duration.ofSeconds(10), 4, 256, true);
    List<YcsbtProfile.Step> plan = YcsbtProfile.plan(settings);
    Map<String, LoadRunner.StepResult> r = new LinkedHashMap<>();
    r.put("ordo-16", result("ordo", 16, 1, 0, 1_000, 15, 30));
    r.put("ordo-64", result("ordo", 64, 1, 0, 9_000, 7, 20));
    r.put("ordo-256", result("ordo", 256, 1, 0, 12_000, 20, 60));
    r.put("ordo-peak", result("ordo", 4, 256, 0, 9_000, 100, 200));
    r.put("ordo-peak-x0", result("ordo", 4, 256, 0, 32_000, 30, 80));
    r.put("ordo-peak-x100", result("ordo", 4, 256, 0, 10_000, 90, 150));
    r.put("ordo-half-peak", result("ordo", 4, 256, 4_500, 4_500, 8, 40));
    r.put("ordo-floor", result("ordo", 1, 1, 0, 300, 3, 9));
    r.put("postgres-floor", result("postgres", 1, 1, 0, 900, 1, 2));
    r.put("postgres-16", result("postgres", 16, 1, 0, 5_000, 2, 25));
    r.put("postgres-64", result("postgres", 64, 1, 0, 3_000, 3, 300));
    YcsbtReport checks = new YcsbtReport("2026-12-07T12:00:00Z", Map.of(), Map.of());
    r.values().forEach(checks::add);
    checks.verified("ordo", new YcsbtReport.Verification(true, "total 10 (expected 10)"));
    checks.verified("postgres", new YcsbtReport.Verification(true, "total 10 (expected 10)"));
    return new ProfileReport("standard", "2026-12-07T12:00:00Z", "abc1234",
        Map.of("cores", 2, "cpuModel", "Test CPU"), Map.of("theta", 0.99), plan, r,
        Map.of("postgres-256", "skipped: the server accepts 97 more client connections"
            + " (max_connections)"), checks);
  }

  @Test
  void goalsAreFilledFromTheirStepsAndJudged() {
    Map<String, ProfileReport.Goal> goals = new LinkedHashMap<>();
    report().goals().forEach(g -> goals.put(g.what(), g));
    assertThat(goals).hasSize(11);
    ProfileReport.Goal floor = goals.get("latency floor, 1 client, p50 / p99");
    assertThat(floor.ordo()).isEqualTo("3.0 / 9.0 ms");
    assertThat(floor.postgres()).isEqualTo("1.0 / 2.0 ms");
    assertThat(floor.met()).contains(true);
    ProfileReport.Goal at16 = goals.get("committed/s at 16 clients (p50 / p99)");
    assertThat(at16.ordo()).isEqualTo("1,000/s (15.0 / 30.0 ms) = 0.20×");
    assertThat(at16.postgres()).isEqualTo("5,000/s (2.0 / 25.0 ms)");
    assertThat(at16.met()).contains(false);
    assertThat(goals.get("committed/s at 64 clients (p50 / p99)").met()).contains(true);
    ProfileReport.Goal at256 = goals.get("committed/s at 256 clients (p50 / p99)");
    assertThat(at256.postgres()).startsWith("skipped: the server accepts 97 more");
    assertThat(at256.met()).isEmpty();
    assertThat(goals.get("peak, single range (cross-range 0 %), pipelined").met()).contains(true);
    assertThat(goals.get(
        "peak, every transfer across two ranges (cross-range 100 %), pipelined").met())
        .contains(false);
    ProfileReport.Goal half = goals.get("half-peak p50 / p99 (open loop at ½ of the natural peak)");
    assertThat(half.ordo()).isEqualTo("8.0 / 40.0 ms at 4,500/s offered");
    assertThat(half.met()).contains(true);
    ProfileReport.Goal p99 = goals.get("p99 (ms) by client count, Ordo vs PostgreSQL");
    assertThat(p99.ordo()).isEqualTo("1: 9.0, 16: 30.0, 64: 20.0, 256: 60.0");
    assertThat(p99.postgres()).isEqualTo("1: 2.0, 16: 25.0, 64: 300, 256: –");
    assertThat(p99.met()).contains(false);
    ProfileReport.Goal cpu = goals.get("CPU of the whole embedded Ordo at 1 client");
    assertThat(cpu.ordo()).isEqualTo("0.48 cores at 300.0 committed/s");
    assertThat(cpu.postgres()).isEqualTo("server 0.10 cores at 900.0 committed/s");
    assertThat(cpu.met()).contains(false);
    assertThat(goals.get("executor recovery after kill -9").met()).isEqualTo(Optional.empty());
  }

  @Test
  void markdownHasTheHeaderTheGoalsTheStepsAndTheAborts() {
    String md = report().toMarkdown();
    assertThat(md).startsWith("# ordo bench ycsbt --profile standard — 2026-12-07T12:00:00Z")
        .contains("Commit: abc1234").contains("cpuModel Test CPU")
        .contains("| what | Ordo | PostgreSQL | goal | met |")
        .contains("| latency floor, 1 client, p50 / p99 | 3.0 / 9.0 ms | 1.0 / 2.0 ms"
            + " | ≤ 4 / ≤ 10 ms | yes |")
        .contains("| ≥ 1× PostgreSQL | **no** |")
        .contains("| ordo-peak-x0 | ordo | 4 clients x 256 in flight | 0 % | closed loop"
            + " | 32000.0 |")
        .contains("| ordo-half-peak | ordo | 4 clients x 256 in flight | natural"
            + " | 4500/s offered |")
        .contains("| postgres-256 | postgres | 256 clients | natural | skipped: the server")
        .contains("Business aborts (insufficient funds; never counted as committed):"
            + " ordo 24, postgres 9")
        .contains("- ordo: OK — total 10").contains("Result: PASSED");
  }

  @Test
  void jsonCarriesGoalsStepsAndTheMachine() throws Exception {
    JsonNode json = new ObjectMapper().readTree(report().toJson());
    assertThat(json.get("benchmark").asText()).isEqualTo("ycsbt-profile");
    assertThat(json.get("commit").asText()).isEqualTo("abc1234");
    assertThat(json.get("machine").get("cpuModel").asText()).isEqualTo("Test CPU");
    assertThat(json.get("goals")).hasSize(11);
    assertThat(json.get("goals").get(0).get("met").asBoolean()).isTrue();
    assertThat(json.get("goals").get(3).get("met").isNull()).isTrue();
    JsonNode steps = json.get("steps");
    assertThat(steps).hasSize(12);
    assertThat(steps.get(3).get("inFlightPerClient").asInt()).isEqualTo(256);
    assertThat(steps.get(3).get("ordoCores").asDouble()).isEqualTo(0.48);
    assertThat(steps.get(11).get("skipped").asText()).startsWith("skipped:");
    assertThat(steps.get(9).get("postgresServerCores").asDouble()).isEqualTo(0.1);
    assertThat(json.get("businessAborts").get("ordo").asLong()).isEqualTo(24);
    assertThat(json.get("passed").asBoolean()).isTrue();
  }

  @Test
  void numbersAreForPeople() {
    assertThat(ProfileReport.num(31_000)).isEqualTo("31,000");
    assertThat(ProfileReport.num(1234.56)).isEqualTo("1,235");
    assertThat(ProfileReport.num(12.34)).isEqualTo("12.3");
    assertThat(ProfileReport.num(0.25)).isEqualTo("0.25");
  }
}
