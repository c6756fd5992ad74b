package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YcsbtReportTest {
  private static LoadRunner.StepResult step(String target, double rate, long committed,
      long p50Micros, Double pgCores) {
    Histogram h = LoadRunner.newHistogram();
    for (int i = 0; i < 99; i++) {
      h.recordValue(p50Micros * 1_000);
    }
    h.recordValue(p50Micros * 10_000);
    Map<String, Double> groups = new LinkedHashMap<>();
    groups.put("load generator", 0.25);
    groups.put("kafka broker", 0.5);
    CpuMeter.Usage cpu = new CpuMeter.Usage(10.0, 1.5, groups,
        Map.of("load generator", List.of("ordo-bench-client-0: 0.250")), pgCores,
        pgCores == null ? null : 9,
        target.equals("ordo") ? new TreeMap<>(Map.of("Produce", 1_500.0, "FetchConsumer", 2_400.4)) : Map.of());
    TreeMap<String, Long> aborts = new TreeMap<>(Map.of(TransferClient.INSUFFICIENT_FUNDS, 7L));
    TreeMap<String, Long> retries = target.equals("postgres")
        ? new TreeMap<>(Map.of("40001", 12L)) : new TreeMap<>();
    Histogram toLog = LoadRunner.newSplitHistogram();
    Histogram afterLog = LoadRunner.newSplitHistogram();
    if (target.equals("ordo")) {
      toLog.recordValueWithCount(3, 99);
      toLog.recordValue(40);
      afterLog.recordValueWithCount(12, 99);
      afterLog.recordValue(90);
    }
    return new LoadRunner.StepResult(target, rate, 4, 1, 10.0, committed + 7, committed, aborts,
        new TreeMap<>(), retries, 0, h, cpu, toLog, afterLog);
  }

  private static YcsbtReport report() {
    YcsbtReport r = new YcsbtReport("2026-11-30T13:00:00Z", Map.of("cores", 2),
        Map.of("accounts", 10_000));
    r.add(step("ordo", 100, 1_000, 2_000, null));
    r.add(step("ordo", 200, 1_900, 3_000, null));
    r.add(step("postgres", 100, 990, 1_000, 0.7));
    r.add(step("postgres", 200, 500, 9_000, 0.9));
    r.verified("ordo", new YcsbtReport.Verification(true, "total 10 (expected 10)"));
    r.verified("postgres", new YcsbtReport.Verification(true, "total 10 (expected 10)"));
    return r;
  }

  @Test
  void jsonCarriesEveryRunWithRatesLatencyCpuAndTheRatio() throws Exception {
    JsonNode root = new ObjectMapper().readTree(report().toJson());
    assertThat(root.get("benchmark").asText()).isEqualTo("ycsbt");
    assertThat(root.get("passed").asBoolean()).isTrue();
    assertThat(root.get("settings").get("accounts").asInt()).isEqualTo(10_000);
    JsonNode runs = root.get("runs");
    assertThat(runs).hasSize(4);
    JsonNode first = runs.get(0);
    assertThat(first.get("target").asText()).isEqualTo("ordo");
    assertThat(first.get("offeredRate").asDouble()).isEqualTo(100.0);
    assertThat(first.get("committedPerSecond").asDouble()).isEqualTo(100.0);
    assertThat(first.get("aborts").get("INSUFFICIENT_FUNDS").asLong()).isEqualTo(7);
    assertThat(first.get("latencyMs").get("p50").asDouble()).isCloseTo(2.0,
        org.assertj.core.api.Assertions.within(0.01));
    assertThat(first.get("latencyMs").get("p999").asDouble()).isCloseTo(20.0,
        org.assertj.core.api.Assertions.within(0.05));
    assertThat(first.get("cpu").get("groupCores").get("kafka broker").asDouble()).isEqualTo(0.5);
    assertThat(first.get("cpu").has("postgresCores")).isFalse();
    assertThat(first.get("latencySplitMs").get("toLogP50").asLong()).isEqualTo(3);
    assertThat(first.get("latencySplitMs").get("afterLogP99").asLong()).isEqualTo(12);
    assertThat(runs.get(2).has("latencySplitMs")).as("no split for PostgreSQL").isFalse();
    assertThat(first.get("brokerRequestsPerSecond").get("FetchConsumer").asDouble()).isEqualTo(2_400.4);
    JsonNode pg = runs.get(2);
    assertThat(pg.get("retries").get("40001").asLong()).isEqualTo(12);
    assertThat(pg.get("cpu").get("postgresCores").asDouble()).isEqualTo(0.7);
    JsonNode ratios = root.get("ordoToPostgres");
    assertThat(ratios).hasSize(2);
    assertThat(ratios.get(1).get("offeredRate").asDouble()).isEqualTo(200.0);
    assertThat(ratios.get(1).get("ratio").asDouble()).isEqualTo(3.8);
    assertThat(root.get("verification").get("postgres").get("ok").asBoolean()).isTrue();
  }

  @Test
  void markdownHasOneRowPerStepTheCpuTableAndTheVerdict() {
    String md = report().toMarkdown();
    assertThat(md).contains("| target | offered/s | clients | committed/s |");
    assertThat(md.lines().filter(l -> l.startsWith("| ordo |"))).hasSize(4); // 2 results + 2 CPU
    assertThat(md).contains("| postgres | 200 | 4 | 50.0 | 7 | 0 | 40001=12 | 0 | 0 |");
    assertThat(md).contains("0.90 (9 procs)");
    assertThat(md).contains("Embedded Kafka broker, requests/s (ordo, 100/s offered): FetchConsumer 2400, Produce 1500\n");
    assertThat(md).doesNotContain("requests/s (postgres");
    assertThat(md).contains("Latency split (ordo, 100/s offered), ms: start → log append p50 3 / p99 3;"
        + " log append → response p50 12 / p99 12");
    assertThat(md).doesNotContain("Latency split (postgres");
    assertThat(md).contains("Ordo / PostgreSQL committed/s: 1.01× at 100/s offered, 3.80× at 200/s"
        + " offered");
    assertThat(md).contains("Result: PASSED");
  }

  @Test
  void ordoSqlIsLabelledAndComparedWithPostgres() throws Exception {
    YcsbtReport r = report();
    r.add(step("ordo-sql", 100, 500, 4_000, null));
    r.add(step("ordo-sql", 200, 400, 8_000, null));
    assertThat(r.failures()).containsExactly("ordo-sql: no money check after its run");
    r.verified("ordo-sql", new YcsbtReport.Verification(true, "total 10 (expected 10)"));
    assertThat(r.passed()).isTrue();
    assertThat(r.ordoSqlToPostgres()).containsExactly(
        Map.entry(100.0, 500 / 990.0), Map.entry(200.0, 0.8));
    String md = r.toMarkdown();
    assertThat(md).contains("Targets: ordo = Ordo (gRPC Txn API), postgres = PostgreSQL"
        + " SERIALIZABLE (pgjdbc), ordo-sql = Ordo SQL (pgjdbc, interactive)\n");
    assertThat(md).contains("| ordo-sql | 200 | 4 | 40.0 | 7 | 0 | 0 | 0 | 0 |");
    assertThat(md).contains("Ordo SQL / PostgreSQL committed/s: 0.51× at 100/s offered, 0.80× at"
        + " 200/s offered");
    JsonNode root = new ObjectMapper().readTree(r.toJson());
    assertThat(root.get("ordoSqlToPostgres").get(1).get("ratio").asDouble()).isEqualTo(0.8);
    assertThat(root.get("ordoToPostgres")).hasSize(2);
    assertThat(new ObjectMapper().readTree(report().toJson()).has("ordoSqlToPostgres")).isFalse();
  }

  @Test
  void kafkaCeilingGivesOrdosShareOfTheLog() throws Exception {
    YcsbtReport r = report();
    assertThat(r.ordoToKafkaCeiling()).isEmpty();
    r.kafkaCeiling(1_000.0, "kafka/results.json");
    assertThat(r.ordoToKafkaCeiling()).containsExactly(
        Map.entry(100.0, 0.1), Map.entry(200.0, 0.19));
    JsonNode k = new ObjectMapper().readTree(r.toJson()).get("kafkaCeiling");
    assertThat(k.get("recordsPerSecond").asDouble()).isEqualTo(1_000.0);
    assertThat(k.get("ordoFraction").get(1).get("fraction").asDouble()).isEqualTo(0.19);
    assertThat(r.toMarkdown()).contains("share of the log's ceiling (1000 records/s,"
        + " kafka/results.json): 10.00% at 100/s offered, 19.00% at 200/s offered");
  }

  @Test
  void failedMoneyCheckOrEmptyStepFailsTheReport() {
    YcsbtReport r = report();
    r.add(step("ordo", 400, 0, 1_000, null));
    r.verified("postgres", new YcsbtReport.Verification(false, "total 9 (expected 10)"));
    assertThat(r.passed()).isFalse();
    assertThat(r.failures()).containsExactly("ordo committed nothing at 400/s offered",
        "postgres: total 9 (expected 10)");
    assertThat(r.toMarkdown()).contains("Result: FAILED: ordo committed nothing");
  }

  @Test
  void sweepPlotIsAPngAndClosedLoopAloneDrawsNothing(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("sweep.png");
    assertThat(SweepPlot.write(report().runs(), "test", png)).isTrue();
    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes.length).isGreaterThan(1_000);
    assertThat(new String(bytes, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("PNG");
    Path none = dir.resolve("none.png");
    assertThat(SweepPlot.write(List.of(step("ordo", 0, 10, 1_000, null)), "t", none)).isFalse();
    assertThat(none).doesNotExist();
  }
}
