package io.ordo.jepsen.availability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-built histories with exact expected figures (times in ms since the first op). */
class AvailabilityTest {
  private static final long MS = 1_000_000L;

  /** Builds a well-formed history from events given in any order; each client op gets its own process. */
  private static final class Builder {
    private record Event(long timeMs, long seq, long process, OpType type, String f, Object error) {}

    private final List<Event> events = new ArrayList<>();
    private long nextProcess;
    private long seq;

    Builder client(OpType outcome, long invokeMs, long completeMs) {
      long p = nextProcess++;
      events.add(new Event(invokeMs, seq++, p, OpType.INVOKE, "txn", null));
      events.add(new Event(completeMs, seq++, p, outcome, "txn", outcome == OpType.OK ? null : "timeout"));
      return this;
    }

    Builder ok(long invokeMs, long okMs) {
      return client(OpType.OK, invokeMs, okMs);
    }

    Builder openClient(long invokeMs) {
      events.add(new Event(invokeMs, seq++, nextProcess++, OpType.INVOKE, "txn", null));
      return this;
    }

    Builder nemesis(String f, long invokeMs, long completeMs, String error) {
      events.add(new Event(invokeMs, seq++, Op.NEMESIS, OpType.INVOKE, f, null));
      events.add(new Event(completeMs, seq++, Op.NEMESIS, OpType.INFO, f, error));
      return this;
    }

    Builder nemesis(String f, long invokeMs, long completeMs) {
      return nemesis(f, invokeMs, completeMs, null);
    }

    History build() {
      List<Event> sorted = new ArrayList<>(events);
      sorted.sort(Comparator.comparingLong(Event::timeMs).thenComparingLong(Event::seq));
      List<Op> ops = new ArrayList<>();
      for (Event e : sorted) {
        ops.add(new Op(ops.size(), e.timeMs() * MS, e.process(), e.type(), e.f(), null, e.error()));
      }
      return History.of(ops);
    }
  }

  @Test
  void withoutFaultsOnlyTheBaselineIsMeasured() {
    History h = new Builder().ok(0, 100).ok(100, 300).ok(300, 600).ok(600, 1000)
        // A stop without a start, Jepsen's bare nemesis infos and failed or timed-out ops count for nothing.
        .nemesis("stop-pause", 150, 160).nemesis("pause", 200, 210).client(OpType.FAIL, 0, 500).client(OpType.INFO, 0, 700)
        .build();
    Availability a = Availability.of(h);
    assertThat(a.intervals()).isEmpty();
    assertThat(a.summaries()).isEmpty();
    assertThat(a.okCount()).isEqualTo(4);
    assertThat(a.durationNanos()).isEqualTo(1000 * MS);
    assertThat(a.baselineGapsNanos()).containsExactly(200 * MS, 300 * MS, 400 * MS);
    // Nearest rank: the median of 3 is the 2nd, the p99 the 3rd.
    assertThat(a.baseline()).isEqualTo(new Baseline(3, 300 * MS, 400 * MS, 400 * MS, 4, 1000 * MS));
    assertThat(a.baseline().okPerSecond()).isEqualTo(4.0);
  }

  @Test
  void anEmptyHistoryHasNothing() {
    Availability a = Availability.of(History.of(List.of()));
    assertThat(a.intervals()).isEmpty();
    assertThat(a.baseline()).isEqualTo(new Baseline(0, 0, 0, 0, 0, 0));
  }

  /** One pause from 250 to 1800 (healing from 1500); oks at 100, 200, 400, 2600, 2700. */
  static History onePause() {
    return new Builder().ok(0, 100).ok(100, 200).ok(200, 400).client(OpType.INFO, 400, 2000).client(OpType.FAIL, 500, 900)
        .ok(900, 2600).ok(2600, 2700).nemesis("start-pause", 250, 300).nemesis("stop-pause", 1500, 1800).build();
  }

  @Test
  void aHealedFaultsIntervalGapAndFirstOkAfterHealing() {
    Availability a = Availability.of(onePause());
    assertThat(a.intervals()).hasSize(1);
    FaultInterval i = a.intervals().get(0);
    assertThat(i).isEqualTo(new FaultInterval("pause", 250 * MS, 300 * MS, 1500 * MS, 1800 * MS, 1800 * MS, 1,
        // From the last ok before the start (200) through the one ok inside (400) to the first after healing (2600).
        2200 * MS, 400 * MS, 2600 * MS, false, 800 * MS, null, List.of(), null));
    assertThat(i.healed()).isTrue();
    assertThat(i.lengthNanos()).isEqualTo(1550 * MS);
    assertThat(i.okPerSecond()).isCloseTo(1 / 1.55, org.assertj.core.data.Offset.offset(1e-9));
    // Only the gaps 100->200 and 2600->2700 stay clear of [250, 1800].
    assertThat(a.baselineGapsNanos()).containsExactly(100 * MS, 100 * MS);
    assertThat(a.baseline()).isEqualTo(new Baseline(2, 100 * MS, 100 * MS, 100 * MS, 4, 1150 * MS));
    FaultSummary s = a.summaries().get("pause");
    assertThat(s).isEqualTo(new FaultSummary("pause", 1, 0, 1550 * MS, i.okPerSecond(), i.okPerSecond(), 2200 * MS, 2200 * MS, 1,
        800 * MS, 800 * MS, new Goal(Goal.Metric.LONGEST_GAP, 3_000 * MS), Goal.Status.MET, 0));
  }

  @Test
  void anExecutorFaultMissesItsGoalAndAFaultStillActiveAtTheEndIsUnhealed() {
    History h = new Builder().ok(0, 500).ok(500, 900).client(OpType.INFO, 900, 3000).client(OpType.FAIL, 2500, 2600)
        .ok(2600, 14000).ok(14000, 15500).openClient(16000)
        .nemesis("start-kill-job", 1000, 1100).nemesis("stop-kill-job", 2000, 8000)
        .nemesis("start-pause", 15000, 15100, "java.io.IOException: boom").build();
    Availability a = Availability.of(h);
    assertThat(a.intervals()).extracting(FaultInterval::name).containsExactly("kill-job", "pause");
    FaultInterval job = a.intervals().get(0);
    assertThat(job).isEqualTo(new FaultInterval("kill-job", 1000 * MS, 1100 * MS, 2000 * MS, 8000 * MS, 8000 * MS, 0,
        13_100 * MS, 900 * MS, 14_000 * MS, false, 6000 * MS, null, List.of(), null));
    FaultInterval pause = a.intervals().get(1);
    // Unhealed: the interval and the gap run to the last op (16000); the gap is a lower bound.
    assertThat(pause).isEqualTo(new FaultInterval("pause", 15_000 * MS, 15_100 * MS, null, null, 16_000 * MS, 1,
        1500 * MS, 14_000 * MS, 15_500 * MS, true, null, null, List.of(), "java.io.IOException: boom"));
    assertThat(pause.healed()).isFalse();
    Map<String, FaultSummary> s = a.summaries();
    assertThat(s.keySet()).containsExactly("kill-job", "pause");
    // The executor was back at 8000 and the first ok came 6 s later: over the 5 s goal.
    assertThat(s.get("kill-job").goalStatus()).isEqualTo(Goal.Status.NOT_MET);
    assertThat(s.get("kill-job").medianFirstOkAfterHealNanos()).isEqualTo(6000 * MS);
    assertThat(s.get("pause").unhealed()).isEqualTo(1);
    assertThat(s.get("pause").firstOkMeasured()).isZero();
    assertThat(s.get("pause").medianFirstOkAfterHealNanos()).isNull();
    assertThat(s.get("pause").goalStatus()).isEqualTo(Goal.Status.NO_DATA);
    assertThat(s.get("pause").goalUndetermined()).isEqualTo(1);
    assertThat(a.baselineGapsNanos()).containsExactly(400 * MS);
    // Outside: 16000 minus kill-job's 7000 and pause's 1000; oks 500, 900 and 14000.
    assertThat(a.baseline()).isEqualTo(new Baseline(1, 400 * MS, 400 * MS, 400 * MS, 3, 8000 * MS));
  }

  @Test
  void overlappingFaultsAndOneNameStartedTwiceBeforeAStop() {
    History h = new Builder().ok(0, 500).ok(500, 1500).ok(1500, 2500).ok(2500, 4500).ok(4500, 7000)
        .nemesis("start-kill-broker", 1000, 1050).nemesis("start-pause", 2000, 2050).nemesis("stop-pause", 3000, 3100)
        .nemesis("start-kill-broker", 3500, 3550).nemesis("stop-kill-broker", 4000, 4200).nemesis("stop-kill-broker", 6000, 6300)
        .build();
    Availability a = Availability.of(h);
    // First in, first out: the first stop heals the first start.
    assertThat(a.intervals()).containsExactly(
        new FaultInterval("kill-broker", 1000 * MS, 1050 * MS, 4000 * MS, 4200 * MS, 4200 * MS, 2, 2000 * MS, 2500 * MS, 4500 * MS,
            false, 300 * MS, null, List.of("kill-broker", "pause"), null),
        new FaultInterval("pause", 2000 * MS, 2050 * MS, 3000 * MS, 3100 * MS, 3100 * MS, 1, 2000 * MS, 2500 * MS, 4500 * MS, false,
            1400 * MS, null, List.of("kill-broker"), null),
        new FaultInterval("kill-broker", 3500 * MS, 3550 * MS, 6000 * MS, 6300 * MS, 6300 * MS, 1, 2500 * MS, 4500 * MS, 7000 * MS,
            false, 700 * MS, null, List.of("kill-broker"), null));
    FaultSummary kb = a.summaries().get("kill-broker");
    assertThat(kb.intervals()).isEqualTo(2);
    assertThat(kb.medianLengthNanos()).isEqualTo(2800 * MS);
    assertThat(kb.medianLongestGapNanos()).isEqualTo(2000 * MS);
    assertThat(kb.maxLongestGapNanos()).isEqualTo(2500 * MS);
    assertThat(kb.medianFirstOkAfterHealNanos()).isEqualTo(300 * MS);
    assertThat(kb.maxFirstOkAfterHealNanos()).isEqualTo(700 * MS);
    assertThat(kb.goalStatus()).isEqualTo(Goal.Status.MET);
    // Every gap touches a fault; 500 and 7000 lie outside the union [1000, 6300].
    assertThat(a.baselineGapsNanos()).isEmpty();
    assertThat(a.baseline()).isEqualTo(new Baseline(0, 0, 0, 0, 2, 1700 * MS));
  }

  @Test
  void aSingleBrokerFaultMissesItsGoalWhenNoOkCompletesForMoreThanThreeSeconds() {
    History h = new Builder().ok(0, 100).ok(100, 3200).ok(3200, 3300)
        .nemesis("start-partition", 150, 160).nemesis("stop-partition", 1000, 1100).build();
    FaultSummary s = Availability.of(h).summaries().get("partition");
    assertThat(s.maxLongestGapNanos()).isEqualTo(3100 * MS);
    assertThat(s.goalStatus()).isEqualTo(Goal.Status.NOT_MET);
    assertThat(s.medianFirstOkAfterHealNanos()).isEqualTo(2100 * MS);
  }

  @Test
  void anExecutorFaultWithNoOkLongAfterHealingMissesItsGoalEvenAtTheHistorysEnd() {
    // An op in flight from 150 that never completes; the history ends at 7000.
    History h = new Builder().ok(0, 100).openClient(150).client(OpType.FAIL, 6900, 7000)
        .nemesis("start-restart-all", 200, 300).nemesis("stop-restart-all", 400, 1000).build();
    FaultInterval i = Availability.of(h).intervals().get(0);
    assertThat(i.gapOpen()).isTrue();
    assertThat(i.longestGapNanos()).isEqualTo(6850 * MS);
    assertThat(i.firstOkAfterHealNanos()).isNull();
    assertThat(i.withoutOkSinceHealNanos()).isEqualTo(6000 * MS);
    assertThat(Goal.forFault("restart-all").orElseThrow().judge(i)).isEqualTo(Goal.Status.NOT_MET);
  }

  @Test
  void timesAreCountedFromTheEarliestOpEvenIfTheClockWentBackwards() {
    History h = History.of(List.of(
        new Op(0, 500 * MS, 0, OpType.INVOKE, "txn", null, null),
        new Op(1, 100 * MS, Op.NEMESIS, OpType.INVOKE, "start-pause", null, null),
        new Op(2, 150 * MS, Op.NEMESIS, OpType.INFO, "start-pause", null, null),
        new Op(3, 600 * MS, 0, OpType.OK, "txn", null, null),
        new Op(4, 120 * MS, Op.NEMESIS, OpType.INVOKE, "stop-pause", null, null),
        new Op(5, 130 * MS, Op.NEMESIS, OpType.INFO, "stop-pause", null, null)));
    FaultInterval i = Availability.of(h).intervals().get(0);
    assertThat(i.startNanos()).isZero();
    assertThat(i.endNanos()).isEqualTo(30 * MS);
    // The only client op is in flight from 400 to 500 (relative): that is all the waiting.
    assertThat(i.longestGapNanos()).isEqualTo(100 * MS);
    assertThat(i.longestGapToNanos()).isEqualTo(500 * MS);
    assertThat(i.firstOkAfterHealNanos()).isEqualTo(100 * MS);
  }

  @Test
  void timeWithNoClientOpInFlightIsNotCountedAsUnavailability() {
    // The clients stop at 3000 (the last op timed out); the fault heals at 4000; a final read at 6000.
    History h = new Builder().ok(0, 1000).client(OpType.INFO, 1000, 3000).ok(6000, 6050)
        .nemesis("start-kill-job", 1500, 1600).nemesis("stop-kill-job", 2500, 4000).build();
    FaultInterval i = Availability.of(h).intervals().get(0);
    // 1000 -> 3000 waiting, 3000 -> 6000 nobody asked, 6000 -> 6050 waiting.
    assertThat(i.longestGapNanos()).isEqualTo(2050 * MS);
    assertThat(i.longestGapFromNanos()).isEqualTo(1000 * MS);
    assertThat(i.longestGapToNanos()).isEqualTo(6050 * MS);
    assertThat(i.firstOkAfterHealNanos()).isEqualTo(50 * MS);
    assertThat(Availability.of(h).summaries().get("kill-job").goalStatus()).isEqualTo(Goal.Status.MET);
  }

  @Test
  void goalsPerFault() {
    assertThat(Goal.forFault("kill-broker")).contains(new Goal(Goal.Metric.LONGEST_GAP, Goal.SINGLE_BROKER_GAP_NANOS));
    assertThat(Goal.forFault("pause")).contains(new Goal(Goal.Metric.LONGEST_GAP, Goal.SINGLE_BROKER_GAP_NANOS));
    assertThat(Goal.forFault("partition")).contains(new Goal(Goal.Metric.LONGEST_GAP, Goal.SINGLE_BROKER_GAP_NANOS));
    assertThat(Goal.forFault("kill-job")).contains(new Goal(Goal.Metric.FIRST_OK_AFTER_HEAL, Goal.EXECUTOR_FIRST_OK_NANOS));
    assertThat(Goal.forFault("restart-all")).contains(new Goal(Goal.Metric.FIRST_OK_AFTER_HEAL, Goal.EXECUTOR_FIRST_OK_NANOS));
    assertThat(Goal.forFault("count")).isEmpty();
    History h = new Builder().ok(0, 100).ok(100, 9000).nemesis("start-count", 200, 300).nemesis("stop-count", 400, 500).build();
    assertThat(Availability.of(h).summaries().get("count").goalStatus()).isEqualTo(Goal.Status.NONE);
  }

  @Test
  void percentilesAreNearestRankAndRejectBadRanks() {
    List<Long> xs = List.of(1L, 2L, 3L, 4L);
    assertThat(Availability.percentile(xs, 0.5)).isEqualTo(2);
    assertThat(Availability.percentile(xs, 0.99)).isEqualTo(4);
    assertThat(Availability.percentile(xs, 0.25)).isEqualTo(1);
    assertThat(Availability.percentile(List.of(), 0.5)).isZero();
    assertThatThrownBy(() -> Availability.percentile(xs, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0, 1]");
    assertThatThrownBy(() -> Availability.percentile(xs, 1.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void jsonAndMarkdownCarryTheFigures() {
    Availability a = Availability.of(onePause());
    JsonNode json = AvailabilityFormat.json(a);
    assertThat(json.get("duration-ms").asLong()).isEqualTo(2700);
    assertThat(json.get("baseline").get("median-gap-ms").asLong()).isEqualTo(100);
    assertThat(json.get("baseline").get("ok-per-sec").asDouble()).isEqualTo(3.48);
    JsonNode pause = json.get("faults").get("pause");
    assertThat(pause.get("median-longest-gap-ms").asLong()).isEqualTo(2200);
    assertThat(pause.get("max-first-ok-after-heal-ms").asLong()).isEqualTo(800);
    assertThat(pause.get("goal").asText()).isEqualTo("longest gap <= 3.0 s");
    assertThat(pause.get("goal-status").asText()).isEqualTo("met");
    JsonNode interval = json.get("intervals").get(0);
    assertThat(interval.get("start-ms").asLong()).isEqualTo(250);
    assertThat(interval.get("heal-start-ms").asLong()).isEqualTo(1500);
    assertThat(interval.get("heal-end-ms").asLong()).isEqualTo(1800);
    assertThat(interval.get("ok-per-sec").asDouble()).isEqualTo(0.65);
    assertThat(interval.get("longest-gap-from-ms").asLong()).isEqualTo(400);
    assertThat(interval.get("first-ok-after-heal-ms").asLong()).isEqualTo(800);
    assertThat(interval.get("error").isNull()).isTrue();
    String md = AvailabilityFormat.markdown(a.summaries(), a.baseline());
    assertThat(md).contains("| pause | 1 | 1.6 s | 0.6, 0.6 | 2.2 s, 2.2 s | 800 ms, 800 ms | longest gap ≤ 3.0 s | yes |")
        .contains("Outside faults: 2 gaps between ok completions, median 100 ms, p99 100 ms, max 100 ms; 3.5 ok/s.");
    assertThat(AvailabilityFormat.markdown(Map.of(), a.baseline())).startsWith("No faults.");
  }

  /**
   * A real history: {@code ordo jepsen --workload kv --nemesis kill-job --time-limit 40} (embedded
   * one-broker Ordo, 4 workers, closed loop; 2026-12-07). Two kill-jobs; the second is healed by the
   * run's end, after the clients stopped, and is followed only by the final reads.
   */
  @Test
  void aRealKillJobRun() throws Exception {
    History h;
    try (var in = new java.util.zip.GZIPInputStream(
        AvailabilityTest.class.getResourceAsStream("/histories/availability/kv-kill-job-embedded-40s.edn.gz"));
        var reader = new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8)) {
      h = io.ordo.jepsen.history.EdnHistory.read(reader);
    }
    Availability a = Availability.of(h);
    assertThat(a.okCount()).isEqualTo(1543);
    assertThat(a.intervals()).hasSize(2).allSatisfy(i -> {
      assertThat(i.name()).isEqualTo("kill-job");
      assertThat(i.healed()).isTrue();
      assertThat(i.gapOpen()).isFalse();
      // The executor is gone for seconds: far longer than any gap outside faults.
      assertThat(i.longestGapNanos()).isGreaterThan(5 * a.baseline().maxGapNanos());
      // The last oks complete while the kill is under way; none after it took effect until healed.
      assertThat(i.longestGapFromNanos()).isLessThan(i.startedNanos());
      assertThat(i.longestGapToNanos()).isGreaterThan(i.healEndNanos());
    });
    assertThat(a.intervals()).extracting(i -> AvailabilityFormat.ms(i.startNanos())).containsExactly(10_006L, 34_381L);
    assertThat(a.intervals()).extracting(i -> AvailabilityFormat.ms(i.healEndNanos())).containsExactly(24_380L, 45_008L);
    assertThat(a.intervals()).extracting(i -> AvailabilityFormat.ms(i.longestGapNanos())).containsExactly(14_820L, 8_062L);
    // The second: the clients had stopped at the time limit, so the 2 s before the final reads do not count.
    assertThat(a.intervals()).extracting(i -> AvailabilityFormat.ms(i.firstOkAfterHealNanos())).containsExactly(566L, 52L);
    assertThat(a.summaries().get("kill-job").goalStatus()).isEqualTo(Goal.Status.MET);
    assertThat(a.baseline().gaps()).isEqualTo(1528);
    assertThat(AvailabilityFormat.ms(a.baseline().medianGapNanos())).isEqualTo(6);
    assertThat(AvailabilityFormat.ms(a.baseline().p99GapNanos())).isEqualTo(113);
  }

  @Test
  void theSameHistoryGivesTheSameOutput() {
    History h = onePause();
    assertThat(AvailabilityFormat.json(Availability.of(h)).toString()).isEqualTo(AvailabilityFormat.json(Availability.of(h)).toString());
  }
}
