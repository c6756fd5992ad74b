package io.ordo.jepsen.availability;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;

/**
 * Renders availability figures as JSON (times in whole milliseconds, rounded half up; rates in ok
 * completions per second with two decimals; absent figures as null) and as Markdown tables
 * (milliseconds below a second, else seconds with one decimal).
 */
public final class AvailabilityFormat {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private AvailabilityFormat() {}

  /**
   * The whole analysis: {@code {"duration-ms", "ok", "baseline": <baseline>, "faults": {name:
   * <summary>}, "intervals": [<interval>]}}; see {@link #baselineJson}, {@link #summaryJson} and
   * {@link #intervalJson}.
   */
  public static ObjectNode json(Availability a) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("duration-ms", ms(a.durationNanos()));
    root.put("ok", a.okCount());
    root.set("baseline", baselineJson(a.baseline()));
    root.set("faults", summariesJson(a.summaries()));
    ArrayNode list = root.putArray("intervals");
    a.intervals().forEach(i -> list.add(intervalJson(i)));
    return root;
  }

  /** {@code {"gaps", "median-gap-ms", "p99-gap-ms", "max-gap-ms", "ok-outside", "outside-ms", "ok-per-sec"}}. */
  public static ObjectNode baselineJson(Baseline b) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("gaps", b.gaps());
    n.put("median-gap-ms", ms(b.medianGapNanos()));
    n.put("p99-gap-ms", ms(b.p99GapNanos()));
    n.put("max-gap-ms", ms(b.maxGapNanos()));
    n.put("ok-outside", b.okOutside());
    n.put("outside-ms", ms(b.outsideNanos()));
    n.put("ok-per-sec", rate(b.okPerSecond()));
    return n;
  }

  /** Fault name → {@link #summaryJson}, in the map's order. */
  public static ObjectNode summariesJson(Map<String, FaultSummary> summaries) {
    ObjectNode n = MAPPER.createObjectNode();
    summaries.forEach((name, s) -> n.set(name, summaryJson(s)));
    return n;
  }

  /**
   * {@code {"intervals", "unhealed", "median-length-ms", "median-ok-per-sec", "max-ok-per-sec",
   * "median-longest-gap-ms", "max-longest-gap-ms", "first-ok-measured", "median-first-ok-after-heal-ms",
   * "max-first-ok-after-heal-ms", "goal" (text or null), "goal-status" (met, not met, no data, none),
   * "goal-undetermined"}}.
   */
  public static ObjectNode summaryJson(FaultSummary s) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("intervals", s.intervals());
    n.put("unhealed", s.unhealed());
    putMs(n, "median-length-ms", s.medianLengthNanos());
    putRate(n, "median-ok-per-sec", s.medianOkPerSecond());
    putRate(n, "max-ok-per-sec", s.maxOkPerSecond());
    putMs(n, "median-longest-gap-ms", s.medianLongestGapNanos());
    putMs(n, "max-longest-gap-ms", s.maxLongestGapNanos());
    n.put("first-ok-measured", s.firstOkMeasured());
    putMs(n, "median-first-ok-after-heal-ms", s.medianFirstOkAfterHealNanos());
    putMs(n, "max-first-ok-after-heal-ms", s.maxFirstOkAfterHealNanos());
    if (s.goal() == null) {
      n.putNull("goal");
    } else {
      n.put("goal", s.goal().describe());
    }
    n.put("goal-status", s.goalStatus().label());
    n.put("goal-undetermined", s.goalUndetermined());
    return n;
  }

  /**
   * {@code {"name", "start-ms", "started-ms", "heal-start-ms", "heal-end-ms", "end-ms", "healed",
   * "ok-during", "ok-per-sec", "longest-gap-ms", "longest-gap-from-ms", "longest-gap-to-ms",
   * "gap-open", "first-ok-after-heal-ms", "without-ok-since-heal-ms", "overlaps", "error", "goal-status"}}; times since the
   * history's earliest op.
   */
  public static ObjectNode intervalJson(FaultInterval i) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("name", i.name());
    n.put("start-ms", ms(i.startNanos()));
    putMs(n, "started-ms", i.startedNanos());
    putMs(n, "heal-start-ms", i.healStartNanos());
    putMs(n, "heal-end-ms", i.healEndNanos());
    n.put("end-ms", ms(i.endNanos()));
    n.put("healed", i.healed());
    n.put("ok-during", i.okDuring());
    n.put("ok-per-sec", rate(i.okPerSecond()));
    n.put("longest-gap-ms", ms(i.longestGapNanos()));
    n.put("longest-gap-from-ms", ms(i.longestGapFromNanos()));
    n.put("longest-gap-to-ms", ms(i.longestGapToNanos()));
    n.put("gap-open", i.gapOpen());
    putMs(n, "first-ok-after-heal-ms", i.firstOkAfterHealNanos());
    putMs(n, "without-ok-since-heal-ms", i.withoutOkSinceHealNanos());
    ArrayNode o = n.putArray("overlaps");
    i.overlaps().forEach(o::add);
    if (i.error() == null) {
      n.putNull("error");
    } else {
      n.put("error", i.error());
    }
    n.put("goal-status", Goal.forFault(i.name()).map(g -> g.judge(i)).orElse(Goal.Status.NONE).label());
    return n;
  }

  /**
   * A Markdown table with one row per fault name: intervals, median length, ok/s during (median,
   * max), longest gap without an ok completion (median, max), first ok after healing (median, max),
   * the goal and whether it is met; then a line with the baseline.
   */
  public static String markdown(Map<String, FaultSummary> summaries, Baseline baseline) {
    StringBuilder md = new StringBuilder();
    if (summaries.isEmpty()) {
      md.append("No faults.\n");
    } else {
      md.append("| fault | intervals | median length | ok/s during (median, max) | longest gap without ok (median, max)"
          + " | first ok after healing (median, max) | goal | met |\n");
      md.append("|---|---|---|---|---|---|---|---|\n");
      for (FaultSummary s : summaries.values()) {
        md.append(String.format(Locale.ROOT, "| %s | %d%s | %s | %s, %s | %s, %s | %s, %s | %s | %s |%n", s.name(), s.intervals(),
            s.unhealed() > 0 ? " (" + s.unhealed() + " unhealed)" : "", seconds(s.medianLengthNanos()), rateText(s.medianOkPerSecond()),
            rateText(s.maxOkPerSecond()), seconds(s.medianLongestGapNanos()), seconds(s.maxLongestGapNanos()),
            seconds(s.medianFirstOkAfterHealNanos()), seconds(s.maxFirstOkAfterHealNanos()),
            s.goal() == null ? "none" : s.goal().describe().replace("<=", "≤"),
            goalText(s)));
      }
    }
    md.append(String.format(Locale.ROOT,
        "%nOutside faults: %d gaps between ok completions, median %s, p99 %s, max %s; %s ok/s.%n", baseline.gaps(),
        seconds(baseline.medianGapNanos()), seconds(baseline.p99GapNanos()), seconds(baseline.maxGapNanos()),
        rateText(baseline.okPerSecond())));
    return md.toString();
  }

  /** "yes", "no", "no data" or "-" (no goal), with the undetermined intervals if any. */
  public static String goalText(FaultSummary s) {
    String text = switch (s.goalStatus()) {
      case MET -> "yes";
      case NOT_MET -> "no";
      case NO_DATA -> "no data";
      case NONE -> "-";
    };
    return s.goalUndetermined() > 0 ? text + " (" + s.goalUndetermined() + " undetermined)" : text;
  }

  /**
   * A duration for people: whole milliseconds below one second (e.g. "52 ms", so short baseline gaps
   * do not all read 0.0 s), else seconds with one decimal (e.g. "3.2 s"); "-" for null.
   */
  public static String seconds(Long nanos) {
    if (nanos == null) {
      return "-";
    }
    return Math.abs(nanos) < 1_000_000_000L ? ms(nanos) + " ms" : String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  /** A rate with one decimal; "-" for null. */
  public static String rateText(Double perSecond) {
    return perSecond == null ? "-" : String.format(Locale.ROOT, "%.1f", perSecond);
  }

  /** Nanoseconds to whole milliseconds, rounded half up. */
  public static long ms(long nanos) {
    return Math.floorDiv(nanos + 500_000, 1_000_000);
  }

  private static double rate(double perSecond) {
    return Math.round(perSecond * 100) / 100.0;
  }

  private static void putMs(ObjectNode n, String field, Long nanos) {
    if (nanos == null) {
      n.putNull(field);
    } else {
      n.put(field, ms(nanos));
    }
  }

  private static void putRate(ObjectNode n, String field, Double perSecond) {
    if (perSecond == null) {
      n.putNull(field);
    } else {
      n.put(field, rate(perSecond));
    }
  }
}
