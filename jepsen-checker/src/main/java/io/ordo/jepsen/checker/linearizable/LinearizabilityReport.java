package io.ordo.jepsen.checker.linearizable;

import io.ordo.jepsen.checker.linearizable.LinearizabilityChecker.KeyFailure;
import io.ordo.jepsen.checker.linearizable.LinearizabilityChecker.OpPair;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Draws failing partitions of a linearizability check as an HTML timeline (plain HTML with inline
 * SVG, no scripts), in the manner of Porcupine's visualization: one row per process, a bar per
 * operation from its invoke to its completion (to the right edge, dashed, for info or unfinished
 * operations), the longest linearizable prefix in green numbered in linearization order, the first
 * operation that could not be linearized in red, and a red vertical line at its completion — the
 * first point by which no linearization could account for it. Hovering a bar shows the op.
 */
public final class LinearizabilityReport {
  /** The file name written in the report directory. */
  public static final String FILE_NAME = "linearizability.html";
  /** At most this many failing keys are drawn (the rest are listed), bounding the file's size. */
  public static final int KEYS_DRAWN_MAX = 20;
  /**
   * Partitions with more operations than this are drawn only around the first illegal op (three
   * quarters of the window before it, for the prefix that led there), so the bars stay readable.
   */
  public static final int OPS_DRAWN_MAX = 80;

  private static final int ROW_HEIGHT_PX = 28;
  private static final int BAR_HEIGHT_PX = 18;
  private static final int LABEL_WIDTH_PX = 90;
  private static final int PLOT_WIDTH_PX = 1100;

  private LinearizabilityReport() {}

  /**
   * Writes {@value #FILE_NAME} into {@code dir} (created if missing), with one timeline per failing
   * key, in the order given.
   *
   * @param failures the failures from {@link LinearizabilityChecker#analyze}; may be empty (the page
   *     then says so)
   * @return the file written
   */
  public static Path writeHtml(Path dir, List<KeyFailure> failures) throws IOException {
    Files.createDirectories(dir);
    StringBuilder html = new StringBuilder(16_384);
    html.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Linearizability failures</title>\n")
        .append("<style>body{font-family:sans-serif;margin:1em}h2{font-size:1.1em}")
        .append(".legend span{display:inline-block;padding:2px 8px;margin-right:8px;border-radius:3px}")
        .append("svg text{font-size:11px;font-family:monospace}</style></head><body>\n")
        .append("<h1>Linearizability failures</h1>\n")
        .append("<p class=\"legend\"><span style=\"background:#9be39b\">in the longest linearizable prefix (number: position)</span>")
        .append("<span style=\"background:#f28b82\">first op that could not be linearized</span>")
        .append("<span style=\"background:#dddddd\">not linearized</span>")
        .append("<span style=\"border:1px dashed #555\">info or unfinished (may take effect any time after invoke)</span></p>\n");
    if (failures.isEmpty()) {
      html.append("<p>No key failed.</p>\n");
    }
    for (int i = 0; i < failures.size(); i++) {
      KeyFailure f = failures.get(i);
      if (i >= KEYS_DRAWN_MAX) {
        html.append("<p>Key ").append(esc(String.valueOf(f.key()))).append(" also failed (not drawn).</p>\n");
        continue;
      }
      timeline(f, html);
    }
    html.append("</body></html>\n");
    Path file = dir.resolve(FILE_NAME);
    Files.writeString(file, html, StandardCharsets.UTF_8);
    return file;
  }

  private static void timeline(KeyFailure f, StringBuilder html) {
    List<OpPair> ops = window(f);
    html.append("<h2>Key ").append(esc(String.valueOf(f.key()))).append("</h2>\n<p>");
    if (f.firstUnlinearizable() != null) {
      html.append("Op ").append(f.firstUnlinearizable().index()).append(" could not be linearized after a prefix of ")
          .append(f.linearizedPrefix().size()).append(" ops.");
    }
    if (ops.size() < f.ops().size()) {
      html.append(" Showing ").append(ops.size()).append(" of ").append(f.ops().size()).append(" ops, around it.");
    }
    html.append("</p>\n");

    // Times: real times if they vary, else history indexes (hand-written histories often have none).
    boolean useIndex = true;
    long firstTime = ops.isEmpty() ? 0 : ops.get(0).invoke().timeNanos();
    for (OpPair p : ops) {
      if (p.invoke().timeNanos() != firstTime || (p.completion() != null && p.completion().timeNanos() != firstTime)) {
        useIndex = false;
        break;
      }
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (OpPair p : ops) {
      min = Math.min(min, at(p.invoke(), useIndex));
      max = Math.max(max, p.completion() == null ? at(p.invoke(), useIndex) : at(p.completion(), useIndex));
    }
    long end = max + Math.max(1, (max - min) / 20); // room on the right for info/unfinished ops
    double scale = PLOT_WIDTH_PX / (double) Math.max(1, end - min);

    TreeSet<Long> processes = new TreeSet<>();
    for (OpPair p : ops) {
      processes.add(p.invoke().process());
    }
    Map<Long, Integer> row = new HashMap<>();
    for (long proc : processes) {
      row.put(proc, row.size());
    }
    Map<Long, Integer> position = new HashMap<>();
    for (int i = 0; i < f.linearizedPrefix().size(); i++) {
      position.put(f.linearizedPrefix().get(i).index(), i + 1);
    }
    int height = processes.size() * ROW_HEIGHT_PX + 24;
    int width = LABEL_WIDTH_PX + PLOT_WIDTH_PX + 10;
    html.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height).append("\">\n");
    for (long proc : processes) {
      int y = row.get(proc) * ROW_HEIGHT_PX;
      html.append("<text x=\"4\" y=\"").append(y + 18).append("\">process ").append(proc).append("</text>\n");
      html.append("<line x1=\"").append(LABEL_WIDTH_PX).append("\" y1=\"").append(y + ROW_HEIGHT_PX - 2).append("\" x2=\"").append(width)
          .append("\" y2=\"").append(y + ROW_HEIGHT_PX - 2).append("\" stroke=\"#eeeeee\"/>\n");
    }
    for (OpPair p : ops) {
      Op inv = p.invoke();
      boolean finished = p.completion() != null && p.completion().isOk();
      double x1 = LABEL_WIDTH_PX + (at(inv, useIndex) - min) * scale;
      double x2 = LABEL_WIDTH_PX + ((finished ? at(p.completion(), useIndex) : end) - min) * scale;
      int y = row.get(inv.process()) * ROW_HEIGHT_PX + 4;
      boolean illegal = f.firstUnlinearizable() != null && f.firstUnlinearizable().index() == inv.index();
      Integer pos = position.get(inv.index());
      String fill = illegal ? "#f28b82" : pos != null ? "#9be39b" : "#dddddd";
      html.append("<g><title>").append(esc(describe(p))).append("</title>")
          .append("<rect x=\"").append(fmt(x1)).append("\" y=\"").append(y).append("\" width=\"").append(fmt(Math.max(2, x2 - x1)))
          .append("\" height=\"").append(BAR_HEIGHT_PX).append("\" rx=\"3\" fill=\"").append(fill).append("\" stroke=\"#555555\"")
          .append(finished ? "" : " stroke-dasharray=\"4 3\"").append("/>")
          .append("<text x=\"").append(fmt(x1 + 3)).append("\" y=\"").append(y + 13).append("\">")
          .append(esc((pos != null ? pos + ": " : "") + label(p))).append("</text></g>\n");
      if (illegal && p.completion() != null && p.completion().isOk()) {
        html.append("<line x1=\"").append(fmt(x2)).append("\" y1=\"0\" x2=\"").append(fmt(x2)).append("\" y2=\"").append(height)
            .append("\" stroke=\"#d93025\" stroke-width=\"2\"><title>first illegal point: op ").append(inv.index())
            .append(" completed here without a linearization</title></line>\n");
      }
    }
    // The time axis: where the drawing starts and ends, in ms since the test started (or history
    // indexes when the ops carry no times).
    int axisY = height - 6;
    html.append("<text x=\"").append(LABEL_WIDTH_PX).append("\" y=\"").append(axisY).append("\" fill=\"#555555\">")
        .append(axisLabel(min, useIndex)).append("</text>")
        .append("<text x=\"").append(width - 4).append("\" y=\"").append(axisY).append("\" fill=\"#555555\" text-anchor=\"end\">")
        .append(axisLabel(end, useIndex)).append("</text>\n");
    html.append("</svg>\n");
  }

  private static String axisLabel(long at, boolean useIndex) {
    if (useIndex) {
      return "index " + at;
    }
    return at < 1_000_000 ? at + " ns" : String.format(Locale.ROOT, "%.3f ms", at / 1e6);
  }

  /** The ops to draw: all, or a window of {@link #OPS_DRAWN_MAX} around the first illegal op. */
  private static List<OpPair> window(KeyFailure f) {
    List<OpPair> ops = f.ops();
    if (ops.size() <= OPS_DRAWN_MAX) {
      return ops;
    }
    int center = 0;
    for (int i = 0; i < ops.size(); i++) {
      if (f.firstUnlinearizable() != null && ops.get(i).invoke().index() == f.firstUnlinearizable().index()) {
        center = i;
        break;
      }
    }
    int from = Math.max(0, Math.min(center - OPS_DRAWN_MAX * 3 / 4, ops.size() - OPS_DRAWN_MAX));
    return ops.subList(from, from + OPS_DRAWN_MAX);
  }

  private static long at(Op op, boolean useIndex) {
    return useIndex ? op.index() : op.timeNanos();
  }

  private static String label(OpPair p) {
    Op shown = p.completion() != null && p.completion().isOk() ? p.completion() : p.invoke();
    String v = shown.value() instanceof List<?> l && l.size() == 2 ? EdnHistory.valueToString(l.get(1)) : EdnHistory.valueToString(shown.value());
    String f = switch (shown.f()) {
      case "read" -> "r";
      case "write" -> "w";
      case "append" -> "a";
      case "cas" -> "cas";
      default -> shown.f();
    };
    return f + " " + v;
  }

  private static String describe(OpPair p) {
    StringBuilder sb = new StringBuilder(EdnHistory.opToString(p.invoke()));
    sb.append('\n').append(p.completion() == null ? "(never completed)" : EdnHistory.opToString(p.completion()));
    return sb.toString();
  }

  private static String fmt(double d) {
    return String.format(Locale.ROOT, "%.1f", d);
  }

  private static String esc(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
