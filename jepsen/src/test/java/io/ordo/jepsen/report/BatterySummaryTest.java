package io.ordo.jepsen.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.jepsen.report.BatterySummary.Verdict;
import io.ordo.jepsen.runner.CountingNemesis;
import io.ordo.jepsen.runner.JepsenRunner;
import io.ordo.jepsen.runner.RunConfig;
import io.ordo.jepsen.runner.RunResult;
import io.ordo.jepsen.workload.KvWorkload;
import io.ordo.jepsen.workload.RwRegisterWorkload;
import io.ordo.jepsen.workload.SerialTxnStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The battery summary over real report folders: verdicts, faults from the histories, totals, files. */
class BatterySummaryTest {
  @TempDir Path dir;

  @Test
  void summarizesValidInvalidUnknownAndFailedRuns() throws Exception {
    RunResult valid = new JepsenRunner().run(new RwRegisterWorkload("p/", 4), new SerialTxnStore(0),
        RunConfig.closedLoop(2, 800, 1).withRate(200).withNemeses(List.of(new CountingNemesis()), 150).withRecoveryWaitMs(0), "v");
    ReportWriter.write(dir.resolve("rw-register-1"), valid);
    // A store that loses a write: the linearizability checker finds the kv history invalid.
    RunResult invalid = new JepsenRunner().run(new KvWorkload("p/", 2), new SerialTxnStore(4),
        RunConfig.closedLoop(3, 600, 2).withRate(300).withRecoveryWaitMs(0), "k");
    ReportWriter.write(dir.resolve("kv-2"), invalid);
    // The same valid run, with one checker's answer turned into unknown (a timed-out search).
    Path unknownDir = dir.resolve("rw-register-3");
    ReportWriter.write(unknownDir, valid);
    ObjectMapper json = new ObjectMapper();
    JsonNode results = json.readTree(unknownDir.resolve(ReportWriter.RESULTS_FILE).toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) results.get("checkers").get("rw-register")).put("valid", "unknown");
    ((com.fasterxml.jackson.databind.node.ObjectNode) results).put("valid", false);
    json.writeValue(unknownDir.resolve(ReportWriter.RESULTS_FILE).toFile(), results);
    Files.createDirectories(dir.resolve("bank-4"));
    // A valid run whose checker reports an anomaly its mode allows (as the stream checker does
    // for redelivery's poll skips).
    Path allowedDir = dir.resolve("rw-register-5");
    ReportWriter.write(allowedDir, valid);
    JsonNode allowedResults = json.readTree(allowedDir.resolve(ReportWriter.RESULTS_FILE).toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) allowedResults.get("checkers").get("rw-register")).putArray("anomaly-types")
        .add("poll-skip");
    json.writeValue(allowedDir.resolve(ReportWriter.RESULTS_FILE).toFile(), allowedResults);

    BatterySummary s = new BatterySummary();
    BatterySummary.Run v = s.add(dir.resolve("rw-register-1"), "rw-register", 1, 0, 12);
    BatterySummary.Run i = s.add(dir.resolve("kv-2"), "kv", 2, 1, 13);
    BatterySummary.Run u = s.add(dir.resolve("rw-register-3"), "rw-register", 3, 1, 14);
    BatterySummary.Run f = s.add(dir.resolve("bank-4"), "bank", 4, 137, 15);
    BatterySummary.Run a = s.add(allowedDir, "rw-register", 5, 0, 16);

    assertThat(v.verdict()).isEqualTo(Verdict.VALID);
    assertThat(v.ok()).isEqualTo(valid.okCount());
    assertThat(v.nemeses()).containsExactly("count");
    long started = valid.history().ops().stream().filter(op -> op.isNemesis() && !op.isInvoke() && op.f().equals("start-count")).count();
    assertThat(started).isPositive();
    assertThat(v.faults()).isEqualTo(Map.of("count", started));
    assertThat(i.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(i.anomalyTypes()).contains("nonlinearizable");
    assertThat(u.verdict()).isEqualTo(Verdict.UNKNOWN);
    assertThat(u.unknownCheckers()).containsExactly("rw-register");
    assertThat(f.verdict()).isEqualTo(Verdict.FAILED);
    assertThat(f.exitCode()).isEqualTo(137);
    assertThat(a.verdict()).isEqualTo(Verdict.VALID);
    assertThat(a.anomalyTypes()).isEmpty();
    assertThat(a.allowedAnomalyTypes()).containsExactly("poll-skip");
    assertThat(v.allowedAnomalyTypes()).isEmpty();

    assertThat(s.passed()).isFalse();
    assertThat(s.verdictCounts()).containsOnly(Map.entry(Verdict.VALID, 2L), Map.entry(Verdict.INVALID, 1L),
        Map.entry(Verdict.UNKNOWN, 1L), Map.entry(Verdict.FAILED, 1L));
    assertThat(List.copyOf(s.verdictCounts().keySet())).containsExactly(Verdict.values());
    assertThat(s.anomalyRunCounts()).containsEntry("nonlinearizable", 1L).doesNotContainKey("poll-skip");
    assertThat(s.allowedAnomalyRunCounts()).containsExactly(Map.entry("poll-skip", 1L));
    assertThat(s.faultCounts()).containsEntry("count", 3 * started);

    s.write(dir);
    JsonNode root = json.readTree(dir.resolve(BatterySummary.JSON_FILE).toFile());
    assertThat(root.get("passed").asBoolean()).isFalse();
    assertThat(root.get("runs").asInt()).isEqualTo(5);
    assertThat(root.get("ok").asLong()).isEqualTo(3 * valid.okCount() + invalid.okCount());
    assertThat(root.get("allowed-anomalies").get("poll-skip").asLong()).isEqualTo(1);
    assertThat(root.get("run-list").get(3).get("verdict").asText()).isEqualTo("failed");
    String md = Files.readString(dir.resolve(BatterySummary.MARKDOWN_FILE));
    assertThat(md).contains("# Jepsen battery: NOT PASSED", "5 runs: 2 valid, 1 invalid, 1 unknown, 1 failed",
        "Allowed by the checker's mode (runs showing each): poll-skip 1.",
        "| kv-2 | kv | 2 | none | invalid |", "| bank-4 | bank | 4 | none | failed | 0 | 0 | 0 |",
        "## Availability under each fault (all runs)", "| count | ");
    // The counting nemesis's intervals of the three runs with its history (rw-register-1, -3 and -5), pooled.
    long intervals = v.availability().intervals().size();
    assertThat(intervals).isPositive();
    assertThat(s.availability().get("count").intervals()).isEqualTo(3 * intervals);
    assertThat(root.get("availability").get("faults").get("count").get("goal-status").asText()).isEqualTo("none");
    assertThat(f.availability()).isNull();
  }

  @Test
  void onlyABatteryOfValidRunsPasses() throws Exception {
    BatterySummary empty = new BatterySummary();
    assertThat(empty.passed()).as("no runs is not a pass").isFalse();
    RunResult valid = new JepsenRunner().run(new RwRegisterWorkload("p/", 4), new SerialTxnStore(0),
        RunConfig.closedLoop(2, 300, 5).withRate(200).withRecoveryWaitMs(0), "v");
    ReportWriter.write(dir.resolve("a-5"), valid);
    empty.add(dir.resolve("a-5"), "rw-register", 5, 0, 1);
    assertThat(empty.passed()).isTrue();
  }
}
