package io.ordo.launcher.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import org.HdrHistogram.Histogram;

/**
 * The results of one {@code ordo bench ycsbt} invocation: settings, machine, one {@link
 * LoadRunner.StepResult} per target and offered load, and the money check of each store after its
 * run; rendered as JSON ({@link #toJson}, the {@code results.json} schema below) and as Markdown
 * ({@link #toMarkdown}, {@code results.md} and the printed table).
 *
 * <p>{@code results.json}: {@code {"benchmark":"ycsbt", "startedAt", "machine":{...},
 * "settings":{...}, "runs":[{"target", "offeredRate" (0 = closed loop), "clients", "inFlightPerClient",
 * "windowSeconds", "attempted", "committed", "committedPerSecond", "aborts":{reason:n},
 * "errors":{kind:n}, "retries":{sqlstate:n}, "notIssued", "latencyMs":{"count","p50","p99",
 * "p999","max","mean"}, "cpu":{"processCores", "groupCores":{group:cores}, "topThreads",
 * "postgresCores", "postgresProcesses"}, "brokerRequestsPerSecond":{type:rate}, "latencySplitMs":{"toLogP50","toLogP99","afterLogP50","afterLogP99"} (Ordo)}], "verification":{target:{"ok","detail"}},
 * "ordoToPostgres":[{"offeredRate","ratio"}], "ordoSqlToPostgres" (only when both ran):
 * [{"offeredRate","ratio"}], "kafkaCeiling" (only with a ceiling):
 * {"recordsPerSecond","source","ordoFraction":[{"offeredRate","fraction"}]}, "passed"}}}. Latencies are in milliseconds; CPU in
 * cores (CPU seconds per wall second).
 */
public final class YcsbtReport {
  /**
   * The money check of one store after its run.
   *
   * @param ok true iff the read succeeded, every account exists, none is negative and the total is
   *     the initial total
   * @param detail one human sentence of what was found
   */
  public record Verification(boolean ok, String detail) {}

  private final String startedAt;
  private final Map<String, Object> machine;
  private final Map<String, Object> settings;
  private final List<LoadRunner.StepResult> runs = new ArrayList<>();
  private final Map<String, Verification> verifications = new LinkedHashMap<>();
  private double kafkaCeilingPerSecond;
  private String kafkaCeilingSource;

  /**
   * @param startedAt when the invocation started (ISO-8601, for the reader only)
   * @param machine description of the machine (cores, memory, OS, JVM)
   * @param settings the options of the run, in display order
   */
  public YcsbtReport(String startedAt, Map<String, Object> machine, Map<String, Object> settings) {
    this.startedAt = Objects.requireNonNull(startedAt);
    this.machine = new LinkedHashMap<>(machine);
    this.settings = new LinkedHashMap<>(settings);
  }

  /** Adds a step's result. */
  public synchronized void add(LoadRunner.StepResult run) {
    runs.add(Objects.requireNonNull(run));
  }

  /** Records a store's money check. */
  public synchronized void verified(String target, Verification v) {
    verifications.put(target, Objects.requireNonNull(v));
  }

  /**
   * Sets the log's ceiling (from {@code ordo bench kafka}) so that the report states Ordo's
   * committed/s as a fraction of it.
   *
   * @param recordsPerSecond the ceiling's records/s, positive
   * @param source where it came from (a file name), for the reader
   */
  public synchronized void kafkaCeiling(double recordsPerSecond, String source) {
    if (!(recordsPerSecond > 0)) {
      throw new IllegalArgumentException(
          "the Kafka ceiling must be positive records/s, got " + recordsPerSecond);
    }
    this.kafkaCeilingPerSecond = recordsPerSecond;
    this.kafkaCeilingSource = Objects.requireNonNull(source);
  }

  /** Ordo's committed/s over the Kafka ceiling, per Ordo step; empty without a ceiling. */
  public synchronized Map<Double, Double> ordoToKafkaCeiling() {
    Map<Double, Double> f = new LinkedHashMap<>();
    if (kafkaCeilingSource != null) {
      for (LoadRunner.StepResult r : runs) {
        if (r.target().equals(YcsbtBench.ORDO)) {
          f.put(r.offeredRate(), r.committedPerSecond() / kafkaCeilingPerSecond);
        }
      }
    }
    return f;
  }

  /** The money checks so far, by target, in the order recorded. */
  public synchronized Map<String, Verification> verifications() {
    return new LinkedHashMap<>(verifications);
  }

  /** The results so far, in the order added. */
  public synchronized List<LoadRunner.StepResult> runs() {
    return List.copyOf(runs);
  }

  /**
   * True iff every step committed something and every store that ran has a money check, which
   * passed.
   */
  public synchronized boolean passed() {
    return failures().isEmpty();
  }

  /** Why the run did not pass, one sentence each; empty when it passed. */
  public synchronized List<String> failures() {
    List<String> f = new ArrayList<>();
    if (runs.isEmpty()) {
      f.add("nothing was measured");
    }
    for (LoadRunner.StepResult r : runs) {
      if (r.committed() == 0) {
        f.add(r.target() + " committed nothing at " + loadLabel(r.offeredRate()));
      }
    }
    runs.stream().map(LoadRunner.StepResult::target).distinct()
        .filter(t -> !verifications.containsKey(t))
        .forEach(t -> f.add(t + ": no money check after its run"));
    verifications.forEach((t, v) -> {
      if (!v.ok()) {
        f.add(t + ": " + v.detail());
      }
    });
    return f;
  }

  /** Ordo's committed/s divided by PostgreSQL's, per offered load both targets ran. */
  public synchronized Map<Double, Double> ordoToPostgres() {
    return ratios(YcsbtBench.ORDO, YcsbtBench.POSTGRES);
  }

  /** Ordo SQL's committed/s divided by PostgreSQL's, per offered load both targets ran. */
  public synchronized Map<Double, Double> ordoSqlToPostgres() {
    return ratios(YcsbtBench.ORDO_SQL, YcsbtBench.POSTGRES);
  }

  /** {@code target}'s committed/s over {@code base}'s, per offered load both ran. */
  private Map<Double, Double> ratios(String target, String base) {
    Map<Double, Double> ratios = new LinkedHashMap<>();
    for (LoadRunner.StepResult o : runs) {
      if (!o.target().equals(target)) {
        continue;
      }
      for (LoadRunner.StepResult p : runs) {
        if (p.target().equals(base) && p.offeredRate() == o.offeredRate()
            && p.committedPerSecond() > 0) {
          ratios.put(o.offeredRate(), o.committedPerSecond() / p.committedPerSecond());
        }
      }
    }
    return ratios;
  }

  /**
   * What a target name stands for, for legends and plots: {@code ordo} "Ordo (gRPC Txn API)",
   * {@code ordo-sql} "Ordo SQL (pgjdbc, interactive)", {@code postgres} "PostgreSQL SERIALIZABLE
   * (pgjdbc)"; any other name stands for itself.
   */
  public static String label(String target) {
    return switch (target) {
      case YcsbtBench.ORDO -> "Ordo (gRPC Txn API)";
      case YcsbtBench.ORDO_SQL -> "Ordo SQL (pgjdbc, interactive)";
      case YcsbtBench.POSTGRES -> "PostgreSQL SERIALIZABLE (pgjdbc)";
      default -> target;
    };
  }

  /** The report as pretty-printed JSON (see the class comment). */
  public synchronized String toJson() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("benchmark", "ycsbt");
    root.put("startedAt", startedAt);
    root.set("machine", mapper.valueToTree(machine));
    root.set("settings", mapper.valueToTree(settings));
    ArrayNode runsNode = root.putArray("runs");
    for (LoadRunner.StepResult r : runs) {
      ObjectNode n = runsNode.addObject();
      n.put("target", r.target());
      n.put("offeredRate", r.offeredRate());
      n.put("clients", r.clients());
      n.put("inFlightPerClient", r.inFlight());
      n.put("windowSeconds", r.windowSeconds());
      n.put("attempted", r.attempted());
      n.put("committed", r.committed());
      n.put("committedPerSecond", round(r.committedPerSecond()));
      n.set("aborts", mapper.valueToTree(r.aborts()));
      n.set("errors", mapper.valueToTree(r.errors()));
      n.set("retries", mapper.valueToTree(r.retries()));
      n.put("notIssued", r.notIssued());
      ObjectNode lat = n.putObject("latencyMs");
      Histogram h = r.latency();
      lat.put("count", h.getTotalCount());
      lat.put("p50", ms(h, 50.0));
      lat.put("p99", ms(h, 99.0));
      lat.put("p999", ms(h, 99.9));
      lat.put("max", h.getTotalCount() == 0 ? 0.0 : round(h.getMaxValue() / 1e6));
      lat.put("mean", h.getTotalCount() == 0 ? 0.0 : round(h.getMean() / 1e6));
      if (r.toLogMillis().getTotalCount() > 0) {
        ObjectNode split = n.putObject("latencySplitMs");
        split.put("toLogP50", r.toLogMillis().getValueAtPercentile(50.0));
        split.put("toLogP99", r.toLogMillis().getValueAtPercentile(99.0));
        split.put("afterLogP50", r.afterLogMillis().getValueAtPercentile(50.0));
        split.put("afterLogP99", r.afterLogMillis().getValueAtPercentile(99.0));
      }
      ObjectNode cpu = n.putObject("cpu");
      CpuMeter.Usage u = r.cpu();
      cpu.put("processCores", round(u.processCores()));
      ObjectNode groups = cpu.putObject("groupCores");
      u.groupCores().forEach((g, c) -> groups.put(g, round(c)));
      cpu.set("topThreads", mapper.valueToTree(u.topThreads()));
      if (u.postgresCores() != null) {
        cpu.put("postgresCores", round(u.postgresCores()));
        cpu.put("postgresProcesses", u.postgresProcesses());
      }
      ObjectNode requests = n.putObject("brokerRequestsPerSecond");
      u.brokerRequestsPerSecond().forEach((type, rate) -> requests.put(type, round(rate)));
    }
    ObjectNode ver = root.putObject("verification");
    verifications.forEach((t, v) -> {
      ObjectNode n = ver.putObject(t);
      n.put("ok", v.ok());
      n.put("detail", v.detail());
    });
    putRatios(root.putArray("ordoToPostgres"), ordoToPostgres());
    Map<Double, Double> sqlRatios = ordoSqlToPostgres();
    if (!sqlRatios.isEmpty()) {
      putRatios(root.putArray("ordoSqlToPostgres"), sqlRatios);
    }
    if (kafkaCeilingSource != null) {
      ObjectNode k = root.putObject("kafkaCeiling");
      k.put("recordsPerSecond", round(kafkaCeilingPerSecond));
      k.put("source", kafkaCeilingSource);
      ArrayNode fractions = k.putArray("ordoFraction");
      ordoToKafkaCeiling().forEach((rate, fraction) -> {
        ObjectNode n = fractions.addObject();
        n.put("offeredRate", rate);
        n.put("fraction", Math.round(fraction * 1e6) / 1e6);
      });
    }
    root.put("passed", passed());
    try {
      return mapper.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the report as JSON", e);
    }
  }

  private static void putRatios(ArrayNode array, Map<Double, Double> ratios) {
    ratios.forEach((rate, ratio) -> {
      ObjectNode n = array.addObject();
      n.put("offeredRate", rate);
      n.put("ratio", round(ratio));
    });
  }

  /** The report as Markdown: settings, targets, results table, CPU per group, checks, ratios. */
  public synchronized String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("# ordo bench ycsbt — ").append(startedAt).append("\n\n");
    sb.append("Machine: ").append(inline(machine)).append("\n\n");
    sb.append("Settings: ").append(inline(settings)).append("\n\n");
    List<String> targets = new ArrayList<>();
    runs.stream().map(LoadRunner.StepResult::target).distinct()
        .forEach(t -> targets.add(t + " = " + label(t)));
    if (!targets.isEmpty()) {
      sb.append("Targets: ").append(String.join(", ", targets)).append("\n\n");
    }
    sb.append(resultsTable());
    sb.append("\nCPU in cores (CPU s per wall s) during the measured window:\n\n");
    sb.append(cpuTable());
    sb.append("\nChecks after the runs:\n\n");
    verifications.forEach((t, v) -> sb.append("- ").append(t).append(": ")
        .append(v.ok() ? "OK — " : "FAILED — ").append(v.detail()).append('\n'));
    appendRatios(sb, "Ordo / PostgreSQL committed/s: ", ordoToPostgres());
    appendRatios(sb, "Ordo SQL / PostgreSQL committed/s: ", ordoSqlToPostgres());
    Map<Double, Double> ceiling = ordoToKafkaCeiling();
    if (!ceiling.isEmpty()) {
      List<String> parts = new ArrayList<>();
      ceiling.forEach((rate, f) -> parts.add(String.format(Locale.ROOT, "%.2f%% at %s",
          100 * f, loadLabel(rate))));
      sb.append(String.format(Locale.ROOT, "%nOrdo committed/s as a share of the log's ceiling"
          + " (%.0f records/s, %s): %s%n", kafkaCeilingPerSecond, kafkaCeilingSource,
          String.join(", ", parts)));
    }
    sb.append("\nResult: ").append(passed() ? "PASSED" : "FAILED: "
        + String.join("; ", failures())).append('\n');
    return sb.toString();
  }

  private static void appendRatios(StringBuilder sb, String title, Map<Double, Double> ratios) {
    if (ratios.isEmpty()) {
      return;
    }
    List<String> parts = new ArrayList<>();
    ratios.forEach((rate, ratio) -> parts.add(String.format(Locale.ROOT, "%.2f× at %s",
        ratio, loadLabel(rate))));
    sb.append('\n').append(title).append(String.join(", ", parts)).append('\n');
  }

  /** The Markdown table of committed/s, aborts, retries, errors and latency, one row per step. */
  public synchronized String resultsTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| target | offered/s | clients | committed/s | insufficient funds | other aborts"
        + " | retries | errors | not sent | p50 ms | p99 ms | p99.9 ms | max ms |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (LoadRunner.StepResult r : runs) {
      Histogram h = r.latency();
      long insufficient = r.aborts().getOrDefault(TransferClient.INSUFFICIENT_FUNDS, 0L);
      long otherAborts = sum(r.aborts()) - insufficient;
      sb.append(String.format(Locale.ROOT,
          "| %s | %s | %s | %.1f | %d | %s | %s | %s | %d | %.2f | %.2f | %.2f | %.2f |%n",
          r.target(), r.offeredRate() == 0 ? "closed loop" : fmt(r.offeredRate()),
          r.inFlight() > 1 ? r.clients() + " x " + r.inFlight() + " in flight"
              : Integer.toString(r.clients()),
          r.committedPerSecond(), insufficient,
          otherAborts == 0 ? "0" : otherAborts + " " + counts(r.aborts()),
          counts(r.retries()), counts(r.errors()), r.notIssued(), ms(h, 50.0), ms(h, 99.0),
          ms(h, 99.9), h.getTotalCount() == 0 ? 0.0 : h.getMaxValue() / 1e6));
    }
    return sb.toString();
  }

  private String cpuTable() {
    if (runs.isEmpty()) {
      return "";
    }
    List<String> groups = new ArrayList<>(runs.get(0).cpu().groupCores().keySet());
    StringBuilder sb = new StringBuilder("| target | offered/s | JVM process |");
    for (String g : groups) {
      sb.append(' ').append(g).append(" |");
    }
    sb.append(" postgres server |\n|---|---:|---:|");
    sb.append("---:|".repeat(groups.size())).append("---:|\n");
    for (LoadRunner.StepResult r : runs) {
      CpuMeter.Usage u = r.cpu();
      sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f |", r.target(),
          r.offeredRate() == 0 ? "closed loop" : fmt(r.offeredRate()), u.processCores()));
      for (String g : groups) {
        sb.append(String.format(Locale.ROOT, " %.2f |", u.groupCores().getOrDefault(g, 0.0)));
      }
      sb.append(u.postgresCores() == null ? " – |"
          : String.format(Locale.ROOT, " %.2f (%d procs) |", u.postgresCores(),
              u.postgresProcesses()));
      sb.append('\n');
    }
    for (LoadRunner.StepResult r : runs) {
      if (r.toLogMillis().getTotalCount() > 0) {
        sb.append(String.format(Locale.ROOT,
            "%nLatency split (%s, %s), ms: start → log append p50 %d / p99 %d;"
                + " log append → response p50 %d / p99 %d%n",
            r.target(), loadLabel(r.offeredRate()), r.toLogMillis().getValueAtPercentile(50.0),
            r.toLogMillis().getValueAtPercentile(99.0), r.afterLogMillis().getValueAtPercentile(50.0),
            r.afterLogMillis().getValueAtPercentile(99.0)));
      }
      Map<String, Double> requests = r.cpu().brokerRequestsPerSecond();
      if (!requests.isEmpty()) {
        sb.append(String.format(Locale.ROOT, "%nEmbedded Kafka broker, requests/s (%s, %s):",
            r.target(), loadLabel(r.offeredRate())));
        requests.entrySet().stream()
            .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
            .forEach(e -> sb.append(String.format(Locale.ROOT, " %s %.0f,", e.getKey(), e.getValue())));
        sb.setLength(sb.length() - 1);
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  /** "closed loop" or "R/s". */
  static String loadLabel(double rate) {
    return rate == 0 ? "closed loop" : fmt(rate) + "/s offered";
  }

  private static String fmt(double rate) {
    return rate == Math.rint(rate) ? Long.toString((long) rate)
        : String.format(Locale.ROOT, "%.1f", rate);
  }

  /** The percentile of a histogram in ms, 0 when empty. */
  static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0.0 : round(h.getValueAtPercentile(percentile) / 1e6);
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }

  private static long sum(SortedMap<String, Long> m) {
    return m.values().stream().mapToLong(Long::longValue).sum();
  }

  private static String counts(SortedMap<String, Long> m) {
    if (m.isEmpty()) {
      return "0";
    }
    List<String> parts = new ArrayList<>();
    m.forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(", ", parts);
  }

  private static String inline(Map<String, Object> m) {
    List<String> parts = new ArrayList<>();
    m.forEach((k, v) -> parts.add(k + " " + v));
    return String.join(", ", parts);
  }
}
