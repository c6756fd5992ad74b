package io.ordo.jepsen.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.jepsen.availability.FaultSummary;
import io.ordo.jepsen.availability.Goal;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Availability in a run's report folder and in the battery summary that pools runs. */
class ReportAvailabilityTest {
  private static final long MS = 1_000_000L;

  @TempDir Path dir;

  /**
   * One client completing ok every 500 ms from 500 to {@code endMs}, except none in (faultStartMs,
   * faultStartMs + silenceMs), each op invoked when the previous completed; one fault {@code name}
   * started at {@code faultStartMs} and healed from 20 ms to 1 s after it.
   */
  static History history(String name, long faultStartMs, long silenceMs, long endMs) {
    List<Op> ops = new ArrayList<>();
    ops.add(new Op(0, faultStartMs * MS, Op.NEMESIS, OpType.INVOKE, "start-" + name, null, null));
    ops.add(new Op(0, (faultStartMs + 10) * MS, Op.NEMESIS, OpType.INFO, "start-" + name, null, null));
    ops.add(new Op(0, (faultStartMs + 20) * MS, Op.NEMESIS, OpType.INVOKE, "stop-" + name, null, null));
    ops.add(new Op(0, (faultStartMs + 1000) * MS, Op.NEMESIS, OpType.INFO, "stop-" + name, null, null));
    // Each op is invoked when the previous one completes, so a client op is always in flight.
    long invoked = 100;
    for (long t = 500; t <= endMs; t += 500) {
      if (t > faultStartMs && t < faultStartMs + silenceMs) {
        continue;
      }
      ops.add(new Op(0, invoked * MS, 0, OpType.INVOKE, "txn", null, null));
      ops.add(new Op(0, t * MS, 0, OpType.OK, "txn", null, null));
      invoked = t;
    }
    ops.sort(Comparator.comparingLong(Op::timeNanos)); // stable: an invoke stays before its completion
    List<Op> indexed = new ArrayList<>();
    for (Op op : ops) {
      indexed.add(op.withIndex(indexed.size()));
    }
    return History.of(indexed);
  }

  private static ReportedRun run(History h, String nemesis) {
    return new ReportedRun() {
      @Override public String workload() { return "kv"; }
      @Override public History history() { return h; }
      @Override public WorkloadChecks checks() {
        return new WorkloadChecks(Map.of("kv", CheckResult.valid(Map.of())), Map.of(), List.of());
      }
      @Override public long okCount() { return h.ops().stream().filter(o -> !o.isNemesis() && o.isOk()).count(); }
      @Override public long failCount() { return 0; }
      @Override public long infoCount() { return 0; }
      @Override public long skippedOps() { return 0; }
      @Override public int concurrency() { return 1; }
      @Override public double rateOpsPerSec() { return 0; }
      @Override public long timeLimitMs() { return 10_000; }
      @Override public long seed() { return 1; }
      @Override public List<String> nemesisNames() { return List.of(nemesis); }
    };
  }

  @Test
  void resultsJsonAndTheHtmlReportCarryAvailability() throws Exception {
    // The ok at 2500 is the last before the pause at 2600; the next is at 6000: a 3.5 s gap.
    ReportWriter.write(dir, run(history("pause", 2600, 3300, 8000), "pause"));
    JsonNode a = new ObjectMapper().readTree(dir.resolve(ReportWriter.RESULTS_FILE).toFile()).get("availability");
    assertThat(a.get("intervals")).hasSize(1);
    assertThat(a.get("intervals").get(0).get("longest-gap-ms").asLong()).isEqualTo(3500);
    assertThat(a.get("intervals").get(0).get("first-ok-after-heal-ms").asLong()).isEqualTo(2400);
    assertThat(a.get("faults").get("pause").get("goal-status").asText()).isEqualTo("not met");
    assertThat(a.get("baseline").get("median-gap-ms").asLong()).isEqualTo(500);
    String page = Files.readString(dir.resolve(ReportWriter.HTML_FILE));
    assertThat(page).contains("<h2>Availability under faults</h2>", "<td>pause</td><td>1</td>", "3.5 s, 3.5 s", "not met");
  }

  @Test
  void theBatteryPoolsTheIntervalsOfEveryRun() throws Exception {
    Path a = dir.resolve("kv-1");
    Path b = dir.resolve("kv-2");
    Path c = dir.resolve("kv-3");
    // Healed at 3600, next ok at 6000 (gap 2500 -> 6000); healed at 2100, next ok at 3500 (gap 1000 -> 3500).
    ReportWriter.write(a, run(history("kill-job", 2600, 3300, 8000), "kill-job"));
    ReportWriter.write(b, run(history("kill-job", 1100, 2000, 8000), "kill-job"));
    Files.createDirectories(c);
    BatterySummary s = new BatterySummary();
    s.add(a, "kv", 1, 0, 10);
    s.add(b, "kv", 2, 0, 10);
    s.add(c, "kv", 3, 137, 10);
    FaultSummary pooled = s.availability().get("kill-job");
    assertThat(pooled.intervals()).isEqualTo(2);
    assertThat(pooled.medianFirstOkAfterHealNanos()).isEqualTo(1400 * MS);
    assertThat(pooled.maxFirstOkAfterHealNanos()).isEqualTo(2400 * MS);
    assertThat(pooled.goalStatus()).isEqualTo(Goal.Status.MET);
    s.write(dir);
    String md = Files.readString(dir.resolve(BatterySummary.MARKDOWN_FILE));
    assertThat(md).contains("## Availability under each fault (all runs)",
        "| kill-job | 2 | 1.0 s | 0.0, 0.0 | 2.5 s, 3.5 s | 1.4 s, 2.4 s | first ok after healing ≤ 5.0 s | yes |");
    JsonNode json = new ObjectMapper().readTree(dir.resolve(BatterySummary.JSON_FILE).toFile());
    assertThat(json.get("availability").get("faults").get("kill-job").get("intervals").asInt()).isEqualTo(2);
    assertThat(json.get("availability").get("baseline").get("median-gap-ms").asLong()).isEqualTo(500);
    assertThat(json.get("run-list").get(0).get("availability").get("kill-job").get("goal-status").asText()).isEqualTo("met");
    assertThat(json.get("run-list").get(2).get("availability").isNull()).isTrue();
  }
}
