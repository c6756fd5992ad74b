package io.ordo.jepsen.report;

import io.ordo.jepsen.availability.Availability;
import io.ordo.jepsen.availability.AvailabilityFormat;
import io.ordo.jepsen.availability.FaultInterval;
import io.ordo.jepsen.availability.FaultSummary;
import io.ordo.jepsen.availability.Goal;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Renders {@code report.html}: a summary, the checkers' verdicts, latency over time (one point per
 * completed client op at its invoke time, y = latency on a log scale, coloured ok/fail/info) and
 * throughput over time (completions per second, one line per f and type), both with shaded bands
 * where a nemesis fault was active, and availability under each fault ({@link Availability}: per
 * fault name and per interval). Inline SVG only.
 */
public final class HtmlReport {
  /** The most latency points drawn; beyond it every n-th op is drawn (the page says so). */
  public static final int POINTS_DRAWN_MAX = 20_000;

  static final int WIDTH_PX = 1000;
  static final int HEIGHT_PX = 320;
  static final int MARGIN_LEFT_PX = 60;
  static final int MARGIN_RIGHT_PX = 160;
  static final int MARGIN_TOP_PX = 15;
  static final int MARGIN_BOTTOM_PX = 35;

  private static final Map<OpType, String> COLOURS = Map.of(OpType.OK, "#1a9850", OpType.FAIL, "#d73027", OpType.INFO, "#f39c12");
  private static final String[] DASHES = {"", "6,3", "2,2", "8,3,2,3"};
  /** Band fills per nemesis, in order of first appearance; a sixth nemesis reuses the first fill. */
  private static final String[] BAND_FILLS = {"#7f7f7f", "#4575b4", "#d73027", "#9e6bb8", "#e6a117"};

  /** A completed client op: invoke time and latency in nanoseconds. */
  record Point(long invokeNanos, long completeNanos, OpType type, String f) {}

  /** A nemesis fault's active interval, in nanoseconds since the start. */
  record Band(long fromNanos, long toNanos, String name) {}

  private HtmlReport() {}

  /**
   * The page.
   *
   * @param linearizabilityFile relative link to the linearizability timeline, or null for none
   */
  public static String render(ReportedRun run, String linearizabilityFile) {
    History h = run.history();
    List<Point> points = points(h);
    List<Band> bands = bands(h);
    long endNanos = h.ops().isEmpty() ? 1 : Math.max(1, h.ops().get(h.size() - 1).timeNanos());
    StringBuilder html = new StringBuilder(64 * 1024);
    html.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Ordo jepsen: ").append(esc(run.workload()))
        .append("</title>\n<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.valid{color:#1a9850}.invalid{color:#d73027}"
            + "svg text{font-size:11px}</style></head><body>\n");
    html.append("<h1>").append(esc(run.workload())).append(": ")
        .append(run.valid() ? "<span class=\"valid\">valid</span>" : "<span class=\"invalid\">NOT valid</span>").append("</h1>\n");
    // Only an open-loop run can skip operations (its queue was full), so only it says so.
    String skipped = run.rateOpsPerSec() > 0 ? String.format(Locale.ROOT, ", %d skipped (open-loop queue full)", run.skippedOps()) : "";
    html.append(String.format(Locale.ROOT,
        "<p>%d ok, %d fail, %d info%s; concurrency %d, rate %s, time limit %d ms, seed %d,"
            + " nemeses: %s.</p>%n",
        run.okCount(), run.failCount(), run.infoCount(), skipped, run.concurrency(),
        run.rateOpsPerSec() > 0 ? run.rateOpsPerSec() + " ops/s" : "closed loop", run.timeLimitMs(),
        run.seed(), run.nemesisNames().isEmpty() ? "none"
            : esc(String.join(", ", run.nemesisNames()))));
    html.append("<table><tr><th>checker</th><th>valid</th><th>anomaly types</th></tr>\n");
    for (Map.Entry<String, CheckResult> e : run.checks().results().entrySet()) {
      html.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(e.getValue().valid().toJsonValue())
          .append("</td><td>").append(esc(String.join(", ", e.getValue().anomalyTypes()))).append("</td></tr>\n");
    }
    html.append("</table>\n<p>Details: <a href=\"results.json\">results.json</a>, history: <a href=\"history.edn\">EDN</a>,"
        + " <a href=\"history.json\">JSON</a>");
    if (linearizabilityFile != null) {
      html.append(", <a href=\"").append(esc(linearizabilityFile)).append("\">linearizability timeline of the failing keys</a>");
    }
    html.append(".</p>\n<h2>Latency</h2>\n");
    latency(points, bands, endNanos, html);
    html.append("<h2>Throughput (completions per second)</h2>\n");
    throughput(points, bands, endNanos, html);
    availability(Availability.of(h), html);
    html.append("</body></html>\n");
    return html.toString();
  }

  static List<Point> points(History h) {
    List<Point> out = new ArrayList<>();
    for (Op op : h.clientOps()) {
      if (!op.isInvoke()) {
        continue;
      }
      Optional<Op> done = h.completion(op);
      done.ifPresent(d -> out.add(new Point(op.timeNanos(), d.timeNanos(), d.type(), op.f())));
    }
    return out;
  }

  static List<Band> bands(History h) {
    List<Band> out = new ArrayList<>();
    Map<String, Long> open = new TreeMap<>();
    long last = 0;
    for (Op op : h.ops()) {
      last = op.timeNanos();
      if (!op.isNemesis() || op.isInvoke()) {
        continue;
      }
      if (op.f().startsWith("start-")) {
        open.putIfAbsent(op.f().substring("start-".length()), op.timeNanos());
      } else if (op.f().startsWith("stop-")) {
        String name = op.f().substring("stop-".length());
        Long from = open.remove(name);
        if (from != null) {
          out.add(new Band(from, op.timeNanos(), name));
        }
      }
    }
    for (Map.Entry<String, Long> e : open.entrySet()) {
      out.add(new Band(e.getValue(), last, e.getKey()));
    }
    return out;
  }

  private static double x(long nanos, long endNanos) {
    return MARGIN_LEFT_PX + (double) nanos / endNanos * (WIDTH_PX - MARGIN_LEFT_PX - MARGIN_RIGHT_PX);
  }

  /**
   * The fill of each nemesis's bands, keyed by nemesis name in order of first appearance, so that
   * overlapping or alternating faults (kill-broker, then pause, ...) can be told apart.
   */
  static Map<String, String> bandFills(List<Band> bands) {
    Map<String, String> fills = new LinkedHashMap<>();
    for (Band b : bands) {
      fills.computeIfAbsent(b.name(), n -> BAND_FILLS[fills.size() % BAND_FILLS.length]);
    }
    return fills;
  }

  private static void frame(StringBuilder svg, List<Band> bands, long endNanos, String yLabel) {
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">%n", WIDTH_PX, HEIGHT_PX));
    int plotBottom = HEIGHT_PX - MARGIN_BOTTOM_PX;
    Map<String, String> fills = bandFills(bands);
    for (Band b : bands) {
      double x0 = x(b.fromNanos(), endNanos);
      double x1 = x(b.toNanos(), endNanos);
      svg.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.2\"><title>%s</title></rect>%n",
          x0, MARGIN_TOP_PX, Math.max(1, x1 - x0), plotBottom - MARGIN_TOP_PX, fills.get(b.name()), esc(b.name())));
    }
    svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", MARGIN_LEFT_PX, plotBottom,
        WIDTH_PX - MARGIN_RIGHT_PX, plotBottom));
    svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", MARGIN_LEFT_PX, MARGIN_TOP_PX,
        MARGIN_LEFT_PX, plotBottom));
    double seconds = endNanos / 1e9;
    double step = niceStep(seconds / 10);
    for (double s = 0; s <= seconds; s += step) {
      double xs = x((long) (s * 1e9), endNanos);
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", xs, plotBottom + 14, fmt(s)));
    }
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since start (s)</text>%n",
        (WIDTH_PX - MARGIN_RIGHT_PX + MARGIN_LEFT_PX) / 2, HEIGHT_PX - 4));
    svg.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>%n",
        HEIGHT_PX / 2, HEIGHT_PX / 2, esc(yLabel)));
  }

  private static void latency(List<Point> points, List<Band> bands, long endNanos, StringBuilder html) {
    int plotBottom = HEIGHT_PX - MARGIN_BOTTOM_PX;
    double maxMs = 1;
    for (Point p : points) {
      maxMs = Math.max(maxMs, (p.completeNanos() - p.invokeNanos()) / 1e6);
    }
    // Log scale from 0.1 ms to the next power of ten above the slowest op.
    double lo = -1;
    double hi = Math.ceil(Math.log10(maxMs));
    StringBuilder svg = new StringBuilder();
    frame(svg, bands, endNanos, "latency (ms, log)");
    for (int e = (int) lo; e <= hi; e++) {
      double y = plotBottom - (e - lo) / (hi - lo) * (plotBottom - MARGIN_TOP_PX);
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", MARGIN_LEFT_PX - 4, y + 4,
          fmt(Math.pow(10, e))));
    }
    int stride = Math.max(1, (points.size() + POINTS_DRAWN_MAX - 1) / POINTS_DRAWN_MAX);
    for (int i = 0; i < points.size(); i += stride) {
      Point p = points.get(i);
      double ms = Math.max(0.1, (p.completeNanos() - p.invokeNanos()) / 1e6);
      double y = plotBottom - (Math.log10(ms) - lo) / (hi - lo) * (plotBottom - MARGIN_TOP_PX);
      svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\" fill=\"%s\"/>%n", x(p.invokeNanos(), endNanos), y,
          COLOURS.get(p.type())));
    }
    int ly = MARGIN_TOP_PX + 10;
    for (OpType t : List.of(OpType.OK, OpType.FAIL, OpType.INFO)) {
      svg.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
          WIDTH_PX - MARGIN_RIGHT_PX + 15, ly, COLOURS.get(t), WIDTH_PX - MARGIN_RIGHT_PX + 25, ly + 4, t.keywordName()));
      ly += 16;
    }
    for (Map.Entry<String, String> fill : bandFills(bands).entrySet()) {
      svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\" fill-opacity=\"0.3\"/>"
          + "<text x=\"%d\" y=\"%d\">%s active</text>%n", WIDTH_PX - MARGIN_RIGHT_PX + 10, ly - 5, fill.getValue(),
          WIDTH_PX - MARGIN_RIGHT_PX + 25, ly + 4, esc(fill.getKey())));
      ly += 16;
    }
    svg.append("</svg>\n");
    html.append(svg);
    if (stride > 1) {
      html.append("<p>Every ").append(stride).append("th op drawn (").append(points.size()).append(" ops).</p>\n");
    }
  }

  private static void throughput(List<Point> points, List<Band> bands, long endNanos, StringBuilder html) {
    int plotBottom = HEIGHT_PX - MARGIN_BOTTOM_PX;
    int buckets = (int) Math.min(100_000, endNanos / 1_000_000_000L + 1);
    // series "f type" -> completions per second bucket; TreeMap for a stable legend order.
    Map<String, long[]> series = new TreeMap<>();
    List<String> fs = new ArrayList<>();
    for (Point p : points) {
      String key = p.f() + " " + p.type().keywordName();
      if (!fs.contains(p.f())) {
        fs.add(p.f());
      }
      int b = (int) Math.min(buckets - 1, p.completeNanos() / 1_000_000_000L);
      series.computeIfAbsent(key, k -> new long[buckets])[b]++;
    }
    fs.sort(null);
    long max = 1;
    for (long[] s : series.values()) {
      for (long v : s) {
        max = Math.max(max, v);
      }
    }
    StringBuilder svg = new StringBuilder();
    frame(svg, bands, endNanos, "ops/s");
    for (int i = 0; i <= 4; i++) {
      double v = max * i / 4.0;
      double y = plotBottom - v / max * (plotBottom - MARGIN_TOP_PX);
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", MARGIN_LEFT_PX - 4, y + 4, fmt(v)));
    }
    int ly = MARGIN_TOP_PX + 10;
    for (Map.Entry<String, long[]> e : series.entrySet()) {
      String f = e.getKey().substring(0, e.getKey().lastIndexOf(' '));
      OpType type = OpType.fromKeywordName(e.getKey().substring(e.getKey().lastIndexOf(' ') + 1));
      String dash = DASHES[fs.indexOf(f) % DASHES.length];
      StringBuilder pts = new StringBuilder();
      long[] s = e.getValue();
      for (int b = 0; b < s.length; b++) {
        double y = plotBottom - (double) s[b] / max * (plotBottom - MARGIN_TOP_PX);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(b * 1_000_000_000L + 500_000_000L, endNanos), y));
      }
      svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"%s\" points=\"%s\"/>%n",
          COLOURS.get(type), dash, pts.toString().trim()));
      svg.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
          WIDTH_PX - MARGIN_RIGHT_PX + 8, ly, WIDTH_PX - MARGIN_RIGHT_PX + 24, ly, COLOURS.get(type), dash, WIDTH_PX - MARGIN_RIGHT_PX + 28,
          ly + 4, esc(e.getKey())));
      ly += 16;
    }
    svg.append("</svg>\n");
    html.append(svg);
  }

  private static void availability(Availability a, StringBuilder html) {
    html.append("<h2>Availability under faults</h2>\n");
    var b = a.baseline();
    html.append(String.format(Locale.ROOT,
        "<p>Only ok completions of client ops count. Outside faults: %d gaps between ok completions, median %s, p99 %s,"
            + " max %s; %s ok/s. A fault's interval runs from its start to the end of its healing; its longest gap is the"
            + " longest time without an ok completion from the last ok before the fault to the first ok after healing.</p>%n",
        b.gaps(), AvailabilityFormat.seconds(b.medianGapNanos()), AvailabilityFormat.seconds(b.p99GapNanos()),
        AvailabilityFormat.seconds(b.maxGapNanos()), AvailabilityFormat.rateText(b.okPerSecond())));
    if (a.intervals().isEmpty()) {
      html.append("<p>No faults in this history.</p>\n");
      return;
    }
    html.append("<table><tr><th>fault</th><th>intervals</th><th>median length</th><th>ok/s during (median, max)</th>"
        + "<th>longest gap without ok (median, max)</th><th>first ok after healing (median, max)</th><th>goal</th><th>met</th></tr>\n");
    for (FaultSummary s : a.summaries().values()) {
      html.append("<tr><td>").append(esc(s.name())).append("</td><td>").append(s.intervals())
          .append(s.unhealed() > 0 ? " (" + s.unhealed() + " unhealed)" : "").append("</td><td>")
          .append(AvailabilityFormat.seconds(s.medianLengthNanos())).append("</td><td>")
          .append(AvailabilityFormat.rateText(s.medianOkPerSecond())).append(", ").append(AvailabilityFormat.rateText(s.maxOkPerSecond()))
          .append("</td><td>").append(AvailabilityFormat.seconds(s.medianLongestGapNanos())).append(", ")
          .append(AvailabilityFormat.seconds(s.maxLongestGapNanos())).append("</td><td>")
          .append(AvailabilityFormat.seconds(s.medianFirstOkAfterHealNanos())).append(", ")
          .append(AvailabilityFormat.seconds(s.maxFirstOkAfterHealNanos())).append("</td><td>")
          .append(s.goal() == null ? "none" : esc(s.goal().describe())).append("</td><td>").append(esc(AvailabilityFormat.goalText(s)))
          .append("</td></tr>\n");
    }
    html.append("</table>\n<h3>Fault intervals</h3>\n<table><tr><th>fault</th><th>start</th><th>heal start</th><th>heal end</th>"
        + "<th>ok during</th><th>ok/s</th><th>longest gap (from, to)</th><th>first ok after healing</th><th>overlaps</th><th>goal</th></tr>\n");
    for (FaultInterval i : a.intervals()) {
      html.append("<tr><td>").append(esc(i.name())).append("</td><td>").append(AvailabilityFormat.seconds(i.startNanos()))
          .append("</td><td>").append(AvailabilityFormat.seconds(i.healStartNanos())).append("</td><td>")
          .append(i.healed() ? AvailabilityFormat.seconds(i.healEndNanos()) : "unhealed").append("</td><td>").append(i.okDuring())
          .append("</td><td>").append(AvailabilityFormat.rateText(i.okPerSecond())).append("</td><td>")
          .append(AvailabilityFormat.seconds(i.longestGapNanos())).append(i.gapOpen() ? " or more" : "").append(" (")
          .append(AvailabilityFormat.seconds(i.longestGapFromNanos())).append(", ").append(AvailabilityFormat.seconds(i.longestGapToNanos()))
          .append(")</td><td>").append(AvailabilityFormat.seconds(i.firstOkAfterHealNanos())).append("</td><td>")
          .append(esc(String.join(", ", i.overlaps()))).append("</td><td>")
          .append(Goal.forFault(i.name()).map(g -> g.judge(i)).orElse(Goal.Status.NONE).label())
          .append(i.error() == null ? "" : "; transition error: " + esc(i.error())).append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  private static double niceStep(double raw) {
    if (raw <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= raw) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, "%.2g", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
