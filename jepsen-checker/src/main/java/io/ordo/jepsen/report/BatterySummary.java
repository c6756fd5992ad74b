package io.ordo.jepsen.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ordo.jepsen.availability.Availability;
import io.ordo.jepsen.availability.AvailabilityFormat;
import io.ordo.jepsen.availability.Baseline;
import io.ordo.jepsen.availability.FaultInterval;
import io.ordo.jepsen.availability.FaultSummary;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.JsonHistory;
import io.ordo.jepsen.history.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The summary of a battery of runs: one row per run folder (read from its {@value
 * ReportWriter#RESULTS_FILE}), and totals, written as {@value #JSON_FILE} and {@value #MARKDOWN_FILE}.
 *
 * <p>A run's verdict is {@code valid} (every checker valid), {@code invalid} (some checker found an
 * anomaly), {@code unknown} (no checker invalid, some unknown, e.g. a cycle search that timed out)
 * or {@code failed} (no results file: the run crashed or was stopped; its exit code is kept). The
 * battery passes only if every run is valid — Jepsen's rule that unknown is not valid.
 *
 * <p>Availability: every run's {@code history.json} is analysed ({@link Availability}) and the
 * fault intervals of all runs are pooled per fault name into one table (the figures JEPSEN.md
 * reports, and whether each fault meets its goal), with the pooled baseline of gaps outside faults.
 * Availability decides nothing about passing.
 */
public final class BatterySummary {
  /** Name of the JSON summary. */
  public static final String JSON_FILE = "battery.json";
  /** Name of the Markdown summary. */
  public static final String MARKDOWN_FILE = "battery.md";

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A run's verdict. */
  public enum Verdict {
    VALID, INVALID, UNKNOWN, FAILED;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One run of the battery.
   *
   * @param name the run folder's name, e.g. {@code bank-3}
   * @param exitCode the {@code ordo jepsen} process's exit code, or -1 if not known (a kept run)
   * @param seconds wall-clock seconds the run took (for the operator; decides nothing), or -1
   * @param anomalyTypes anomaly types of every checker that was not valid, sorted
   * @param allowedAnomalyTypes anomaly types that valid checkers found and their mode allows (the
   *     stream checker's poll-order anomalies of redelivery), sorted
   * @param unknownCheckers checkers that answered unknown, sorted
   * @param faults nemesis name → faults started, from {@code history.json}'s nemesis ops
   * @param availability the analysis of {@code history.json}, or null if the run has none
   */
  public record Run(String name, String workload, long seed, List<String> nemeses, int exitCode, long seconds, Verdict verdict,
      long ok, long fail, long info, List<String> anomalyTypes, List<String> allowedAnomalyTypes, List<String> unknownCheckers,
      Map<String, Long> faults, Availability availability) {
    public Run {
      Objects.requireNonNull(name, "name");
      nemeses = List.copyOf(nemeses);
      anomalyTypes = List.copyOf(anomalyTypes);
      allowedAnomalyTypes = List.copyOf(allowedAnomalyTypes);
      unknownCheckers = List.copyOf(unknownCheckers);
      faults = new TreeMap<>(faults);
    }
  }

  private final List<Run> runs = new ArrayList<>();

  /** The runs added so far, in the order added. */
  public List<Run> runs() {
    return List.copyOf(runs);
  }

  /**
   * Reads the run folder {@code dir} and adds its row.
   *
   * @param workload the workload the run was asked for (used when the folder has no results)
   * @param seed its seed (likewise)
   * @param exitCode the process's exit code, or -1 if not known
   * @param seconds how long it took, or -1
   * @return the row added
   * @throws IOException if a results file exists but cannot be read or parsed
   */
  public Run add(Path dir, String workload, long seed, int exitCode, long seconds) throws IOException {
    Path results = dir.resolve(ReportWriter.RESULTS_FILE);
    String name = dir.getFileName().toString();
    if (!Files.isRegularFile(results)) {
      Run r = new Run(name, workload, seed, List.of(), exitCode, seconds, Verdict.FAILED, 0, 0, 0, List.of(), List.of(), List.of(),
          Map.of(), null);
      runs.add(r);
      return r;
    }
    JsonNode root = MAPPER.readTree(results.toFile());
    List<String> nemeses = new ArrayList<>();
    root.path("nemeses").forEach(n -> nemeses.add(n.asText()));
    TreeSet<String> anomalies = new TreeSet<>();
    TreeSet<String> allowed = new TreeSet<>();
    TreeSet<String> unknown = new TreeSet<>();
    boolean invalid = false;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("checkers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> checker = it.next();
      JsonNode valid = checker.getValue().path("valid");
      if (valid.isBoolean() && valid.asBoolean()) {
        checker.getValue().path("anomaly-types").forEach(a -> allowed.add(a.asText()));
        continue;
      }
      if (valid.isBoolean()) {
        invalid = true;
        checker.getValue().path("anomaly-types").forEach(a -> anomalies.add(a.asText()));
      } else {
        unknown.add(checker.getKey());
      }
    }
    Verdict verdict = invalid ? Verdict.INVALID : !unknown.isEmpty() ? Verdict.UNKNOWN
        : root.path("valid").asBoolean(false) ? Verdict.VALID : Verdict.INVALID;
    Path history = dir.resolve("history.json");
    History h = Files.isRegularFile(history) ? JsonHistory.read(history) : null;
    Map<String, Long> faults = h != null ? faultsStarted(h) : Map.of();
    Availability availability = h != null ? Availability.of(h) : null;
    Run r = new Run(name, root.path("workload").asText(workload), root.path("seed").asLong(seed), nemeses, exitCode, seconds, verdict,
        root.path("ok").asLong(), root.path("fail").asLong(), root.path("info").asLong(), List.copyOf(anomalies), List.copyOf(allowed),
        List.copyOf(unknown),
        faults, availability);
    runs.add(r);
    return r;
  }

  /**
   * Nemesis name → faults started in {@code h}: completions of the nemesis's {@code start-<name>}
   * ops (Jepsen's nemesis ops complete as info), sorted by name.
   */
  public static Map<String, Long> faultsStarted(History h) {
    Map<String, Long> out = new TreeMap<>();
    for (Op op : h.ops()) {
      if (op.isNemesis() && !op.isInvoke() && op.f().startsWith("start-")) {
        out.merge(op.f().substring("start-".length()), 1L, Long::sum);
      }
    }
    return out;
  }

  /** True if there is at least one run and every run is valid. */
  public boolean passed() {
    return !runs.isEmpty() && runs.stream().allMatch(r -> r.verdict() == Verdict.VALID);
  }

  /** Runs per verdict, in {@link Verdict} order (every verdict present, possibly 0). */
  public Map<Verdict, Long> verdictCounts() {
    Map<Verdict, Long> out = new TreeMap<>();
    for (Verdict v : Verdict.values()) {
      out.put(v, runs.stream().filter(r -> r.verdict() == v).count());
    }
    return out;
  }

  /** Anomaly type → number of runs that showed it, sorted by type. */
  public Map<String, Long> anomalyRunCounts() {
    Map<String, Long> out = new TreeMap<>();
    for (Run r : runs) {
      r.anomalyTypes().forEach(a -> out.merge(a, 1L, Long::sum));
    }
    return out;
  }

  /** Allowed anomaly type → number of runs whose valid checkers reported it, sorted by type. */
  public Map<String, Long> allowedAnomalyRunCounts() {
    Map<String, Long> out = new TreeMap<>();
    for (Run r : runs) {
      r.allowedAnomalyTypes().forEach(a -> out.merge(a, 1L, Long::sum));
    }
    return out;
  }

  /** Nemesis name → faults started over all runs, sorted by name. */
  public Map<String, Long> faultCounts() {
    Map<String, Long> out = new TreeMap<>();
    for (Run r : runs) {
      r.faults().forEach((k, v) -> out.merge(k, v, Long::sum));
    }
    return out;
  }

  /** Per fault name, the summary of the fault intervals of every run's history, pooled; sorted by name. */
  public Map<String, FaultSummary> availability() {
    List<FaultInterval> all = new ArrayList<>();
    for (Run r : runs) {
      if (r.availability() != null) {
        all.addAll(r.availability().intervals());
      }
    }
    return Availability.summarize(all);
  }

  /** The baseline (gaps between ok completions outside faults) of every run's history, pooled. */
  public Baseline availabilityBaseline() {
    List<Long> gaps = new ArrayList<>();
    long okOutside = 0;
    long outsideNanos = 0;
    for (Run r : runs) {
      if (r.availability() != null) {
        gaps.addAll(r.availability().baselineGapsNanos());
        okOutside += r.availability().baseline().okOutside();
        outsideNanos += r.availability().baseline().outsideNanos();
      }
    }
    gaps.sort(null);
    return Baseline.of(gaps, okOutside, outsideNanos);
  }

  /** Writes {@value #JSON_FILE} and {@value #MARKDOWN_FILE} into {@code dir}, replacing them. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(JSON_FILE), toJson(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(MARKDOWN_FILE), toMarkdown(), StandardCharsets.UTF_8);
  }

  /**
   * The JSON summary: {@code {"passed", "runs", "verdicts": {valid, invalid, unknown, failed},
   * "ok", "fail", "info", "anomalies": {type: runs}, "allowed-anomalies": {type: runs}, "faults": {nemesis: count},
   * "availability": {"baseline": <AvailabilityFormat#baselineJson>, "faults": {nemesis: <AvailabilityFormat#summaryJson>}}
   * (pooled over all runs), "run-list": [{name, workload, seed, nemeses, exit-code, seconds, verdict, ok, fail, info,
   * anomaly-types, allowed-anomaly-types, unknown-checkers, faults, availability: {nemesis: <summaryJson>} or null}]}}.
   */
  public String toJson() throws IOException {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("passed", passed());
    root.put("runs", runs.size());
    ObjectNode verdicts = root.putObject("verdicts");
    verdictCounts().forEach((v, n) -> verdicts.put(v.label(), n));
    root.put("ok", runs.stream().mapToLong(Run::ok).sum());
    root.put("fail", runs.stream().mapToLong(Run::fail).sum());
    root.put("info", runs.stream().mapToLong(Run::info).sum());
    ObjectNode anomalies = root.putObject("anomalies");
    anomalyRunCounts().forEach(anomalies::put);
    ObjectNode allowedAnomalies = root.putObject("allowed-anomalies");
    allowedAnomalyRunCounts().forEach(allowedAnomalies::put);
    ObjectNode faults = root.putObject("faults");
    faultCounts().forEach(faults::put);
    ObjectNode availability = root.putObject("availability");
    availability.set("baseline", AvailabilityFormat.baselineJson(availabilityBaseline()));
    availability.set("faults", AvailabilityFormat.summariesJson(availability()));
    ArrayNode list = root.putArray("run-list");
    for (Run r : runs) {
      ObjectNode n = list.addObject();
      n.put("name", r.name());
      n.put("workload", r.workload());
      n.put("seed", r.seed());
      ArrayNode nem = n.putArray("nemeses");
      r.nemeses().forEach(nem::add);
      n.put("exit-code", r.exitCode());
      n.put("seconds", r.seconds());
      n.put("verdict", r.verdict().label());
      n.put("ok", r.ok());
      n.put("fail", r.fail());
      n.put("info", r.info());
      ArrayNode a = n.putArray("anomaly-types");
      r.anomalyTypes().forEach(a::add);
      ArrayNode al = n.putArray("allowed-anomaly-types");
      r.allowedAnomalyTypes().forEach(al::add);
      ArrayNode u = n.putArray("unknown-checkers");
      r.unknownCheckers().forEach(u::add);
      ObjectNode f = n.putObject("faults");
      r.faults().forEach(f::put);
      if (r.availability() == null) {
        n.putNull("availability");
      } else {
        n.set("availability", AvailabilityFormat.summariesJson(r.availability().summaries()));
      }
    }
    return MAPPER.writeValueAsString(root) + "\n";
  }

  /**
   * The Markdown summary: totals, a table with one row per run, then availability under each fault
   * pooled over all runs.
   */
  public String toMarkdown() {
    StringBuilder md = new StringBuilder();
    Map<Verdict, Long> v = verdictCounts();
    md.append("# Jepsen battery: ").append(passed() ? "PASSED" : "NOT PASSED").append("\n\n");
    md.append(String.format(Locale.ROOT, "%d runs: %d valid, %d invalid, %d unknown, %d failed. Ops: %d ok, %d fail, %d info.%n%n",
        runs.size(), v.get(Verdict.VALID), v.get(Verdict.INVALID), v.get(Verdict.UNKNOWN), v.get(Verdict.FAILED),
        runs.stream().mapToLong(Run::ok).sum(), runs.stream().mapToLong(Run::fail).sum(), runs.stream().mapToLong(Run::info).sum()));
    md.append("Faults started: ").append(faultCounts().isEmpty() ? "none" : join(faultCounts())).append(".\n\n");
    md.append("Anomalies (runs showing each): ").append(anomalyRunCounts().isEmpty() ? "none" : join(anomalyRunCounts())).append(".\n\n");
    md.append("Allowed by the checker's mode (runs showing each): ")
        .append(allowedAnomalyRunCounts().isEmpty() ? "none" : join(allowedAnomalyRunCounts())).append(".\n\n");
    md.append("| run | workload | seed | nemeses | verdict | ok | fail | info | faults | anomalies | allowed anomalies | unknown | exit | s |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Run r : runs) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %d | %d | %d | %s | %s | %s | %s | %d | %d |%n", r.name(),
          r.workload(), r.seed(), r.nemeses().isEmpty() ? "none" : String.join(", ", r.nemeses()), r.verdict().label(), r.ok(), r.fail(),
          r.info(), join(r.faults()), String.join(", ", r.anomalyTypes()), String.join(", ", r.allowedAnomalyTypes()),
          String.join(", ", r.unknownCheckers()), r.exitCode(), r.seconds()));
    }
    md.append("\n## Availability under each fault (all runs)\n\n");
    md.append("From each run's history.json: per fault interval (its start to the end of its healing), ok completions of client ops"
        + " per second, the longest time without an ok completion from the last ok before the fault to the first ok after healing,"
        + " and the time from the end of healing (the processes are back) to the first ok. Goals: single-broker faults a longest gap"
        + " of at most 3 s; executor faults the first ok at most 5 s after healing.\n\n");
    md.append(AvailabilityFormat.markdown(availability(), availabilityBaseline()));
    return md.toString();
  }

  private static String join(Map<String, Long> counts) {
    StringBuilder s = new StringBuilder();
    counts.forEach((k, n) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(' ').append(n));
    return s.toString();
  }
}
