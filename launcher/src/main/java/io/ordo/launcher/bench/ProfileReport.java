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
import java.util.Optional;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * The results of a {@link YcsbtProfile} run as the goals table: one row per goal with Ordo's and
 * PostgreSQL's figures, the goal and whether it was met; then one row per step; then the money
 * checks. Rendered as Markdown ({@link #toMarkdown}, {@code results.md}) and JSON ({@link
 * #toJson}, {@code results.json}: {@code {"benchmark":"ycsbt-profile", "profile", "startedAt",
 * "commit", "machine":{...}, "settings":{...}, "goals":[{"what", "ordo", "postgres", "goal",
 * "met" (true, false or null when not applicable or not measured)}], "steps":[{"id", "target",
 * "clients", "inFlightPerClient", "crossRange", "offeredRate" (0 = closed loop),
 * "committedPerSecond", "latencyMs":{"p50","p99","p999"}, "insufficientFunds", "otherAborts",
 * "retries" (PostgreSQL: serialization failures retried), "errors", "notSent", "jvmCores",
 * "ordoCores" (Ordo steps: JVM less the load generator), "postgresServerCores"} or {"id",
 * "skipped"}], "businessAborts":{target:n}, "checks":{target:{"ok","detail"}}, "passed"}}). Latencies in ms, CPU in cores (CPU s per wall s).
 *
 * <p>Business aborts (the debtor short of money) are counted apart from committed transfers in
 * every figure, never as throughput.
 */
public final class ProfileReport {
  /** The goals, as stated in the performance issue. */
  static final double FLOOR_P50_MS = 4;
  static final double FLOOR_P99_MS = 10;
  static final double AT_16_VS_POSTGRES = 1;
  static final double AT_64_VS_POSTGRES = 3;
  static final double PEAK_SINGLE_RANGE = 31_000;
  static final double PEAK_TWO_RANGES = 16_600;
  static final double HALF_PEAK_P50_MS = 10;
  static final double HALF_PEAK_P99_MS = 50;
  static final double CPU_AT_ONE_CLIENT = 0.25;

  /**
   * One row of the goals table.
   *
   * @param what the goal's subject
   * @param ordo Ordo's figures
   * @param postgres PostgreSQL's figures, or "–"
   * @param goal the goal
   * @param met whether it was met; empty when it has no goal or was not measured
   */
  public record Goal(String what, String ordo, String postgres, String goal, Optional<Boolean> met) {}

  private final String profile;
  private final String startedAt;
  private final String commit;
  private final Map<String, Object> machine;
  private final Map<String, Object> settings;
  private final List<YcsbtProfile.Step> plan;
  private final Map<String, LoadRunner.StepResult> results;
  private final Map<String, String> skipped;
  private final YcsbtReport checks;

  /**
   * @param profile the profile's name ({@code standard}, {@code standard --quick})
   * @param startedAt when the run started (ISO-8601)
   * @param commit the build's git commit, or "unknown"
   * @param machine cores, CPU model, memory, OS, JVM
   * @param settings the run's settings, in display order
   * @param plan the profile's steps
   * @param results the steps' results by step id (a step missing here did not run)
   * @param skipped steps skipped on purpose, by id, with the reason
   * @param checks the money checks and failures of the stores ({@link YcsbtReport#verified})
   */
  public ProfileReport(String profile, String startedAt, String commit,
      Map<String, Object> machine, Map<String, Object> settings, List<YcsbtProfile.Step> plan,
      Map<String, LoadRunner.StepResult> results, Map<String, String> skipped,
      YcsbtReport checks) {
    this.profile = Objects.requireNonNull(profile);
    this.startedAt = Objects.requireNonNull(startedAt);
    this.commit = Objects.requireNonNull(commit);
    this.machine = new LinkedHashMap<>(machine);
    this.settings = new LinkedHashMap<>(settings);
    this.plan = List.copyOf(plan);
    this.results = Map.copyOf(results);
    this.skipped = Map.copyOf(skipped);
    this.checks = Objects.requireNonNull(checks);
  }

  /** True iff every step that ran committed something and every store's money check passed. */
  public boolean passed() {
    return checks.passed();
  }

  /** The goals table's rows, in the order. */
  public List<Goal> goals() {
    List<Goal> g = new ArrayList<>();
    LoadRunner.StepResult floor = results.get(YcsbtProfile.ORDO_FLOOR);
    g.add(new Goal("latency floor, 1 client, p50 / p99", latency(YcsbtProfile.ORDO_FLOOR),
        latency(YcsbtProfile.PG_FLOOR), String.format(Locale.ROOT, "≤ %s / ≤ %s ms",
            num(FLOOR_P50_MS), num(FLOOR_P99_MS)),
        floor == null ? Optional.empty() : Optional.of(p(floor, 50) <= FLOOR_P50_MS
            && p(floor, 99) <= FLOOR_P99_MS)));
    g.add(versusPostgres(16, YcsbtProfile.ORDO_16, YcsbtProfile.PG_16, AT_16_VS_POSTGRES));
    g.add(versusPostgres(64, YcsbtProfile.ORDO_64, YcsbtProfile.PG_64, AT_64_VS_POSTGRES));
    g.add(new Goal("committed/s at 256 clients (p50 / p99)", throughput(YcsbtProfile.ORDO_256),
        throughput(YcsbtProfile.PG_256), "–", Optional.empty()));
    g.add(peak("peak, single range (cross-range 0 %), pipelined", YcsbtProfile.ORDO_PEAK_X0,
        PEAK_SINGLE_RANGE));
    g.add(peak("peak, every transfer across two ranges (cross-range 100 %), pipelined",
        YcsbtProfile.ORDO_PEAK_X100, PEAK_TWO_RANGES));
    g.add(new Goal("peak, natural cross-range, pipelined (the half-peak's reference)",
        throughput(YcsbtProfile.ORDO_PEAK), "–", "–", Optional.empty()));
    LoadRunner.StepResult half = results.get(YcsbtProfile.ORDO_HALF_PEAK);
    g.add(new Goal("half-peak p50 / p99 (open loop at ½ of the natural peak)",
        half == null ? notRun(YcsbtProfile.ORDO_HALF_PEAK) : String.format(Locale.ROOT,
            "%s at %s/s offered", latency(YcsbtProfile.ORDO_HALF_PEAK), num(half.offeredRate())),
        "–", String.format(Locale.ROOT, "≤ %s / ≤ %s ms", num(HALF_PEAK_P50_MS),
            num(HALF_PEAK_P99_MS)),
        half == null ? Optional.empty() : Optional.of(p(half, 50) <= HALF_PEAK_P50_MS
            && p(half, 99) <= HALF_PEAK_P99_MS)));
    g.add(p99BelowPostgres());
    LoadRunner.StepResult pgFloor = results.get(YcsbtProfile.PG_FLOOR);
    g.add(new Goal("CPU of the whole embedded Ordo at 1 client",
        floor == null ? notRun(YcsbtProfile.ORDO_FLOOR) : String.format(Locale.ROOT,
            "%.2f cores at %.1f committed/s", ordoCores(floor), floor.committedPerSecond()),
        pgFloor == null || pgFloor.cpu().postgresCores() == null ? "–"
            : String.format(Locale.ROOT, "server %.2f cores at %.1f committed/s",
                pgFloor.cpu().postgresCores(), pgFloor.committedPerSecond()),
        "≤ " + num(CPU_AT_ONE_CLIENT) + " cores",
        floor == null ? Optional.empty() : Optional.of(ordoCores(floor) <= CPU_AT_ONE_CLIENT)));
    g.add(new Goal("executor recovery after kill -9", "not measured by this profile", "–",
        "≤ 1 s to the first result / ≤ 2.5 s to full throughput", Optional.empty()));
    return g;
  }

  private Goal versusPostgres(int clients, String ordoId, String pgId, double factor) {
    LoadRunner.StepResult o = results.get(ordoId);
    LoadRunner.StepResult pg = results.get(pgId);
    String ordo = throughput(ordoId);
    Optional<Boolean> met = Optional.empty();
    if (o != null && pg != null && pg.committedPerSecond() > 0) {
      double ratio = o.committedPerSecond() / pg.committedPerSecond();
      ordo += String.format(Locale.ROOT, " = %.2f×", ratio);
      met = Optional.of(ratio >= factor);
    }
    return new Goal("committed/s at " + clients + " clients (p50 / p99)", ordo, throughput(pgId),
        "≥ " + num(factor) + "× PostgreSQL", met);
  }

  private Goal peak(String what, String id, double goal) {
    LoadRunner.StepResult r = results.get(id);
    return new Goal(what, throughput(id), "–", "≥ " + num(goal) + "/s",
        r == null ? Optional.empty() : Optional.of(r.committedPerSecond() >= goal));
  }

  private Goal p99BelowPostgres() {
    String[][] pairs = {
      {"1", YcsbtProfile.ORDO_FLOOR, YcsbtProfile.PG_FLOOR},
      {"16", YcsbtProfile.ORDO_16, YcsbtProfile.PG_16},
      {"64", YcsbtProfile.ORDO_64, YcsbtProfile.PG_64},
      {"256", YcsbtProfile.ORDO_256, YcsbtProfile.PG_256}
    };
    List<String> ordo = new ArrayList<>();
    List<String> pg = new ArrayList<>();
    boolean compared = false;
    boolean below = true;
    for (String[] pair : pairs) {
      LoadRunner.StepResult o = results.get(pair[1]);
      LoadRunner.StepResult q = results.get(pair[2]);
      ordo.add(pair[0] + ": " + (o == null ? "–" : lat(p(o, 99))));
      pg.add(pair[0] + ": " + (q == null ? "–" : lat(p(q, 99))));
      if (o != null && q != null) {
        compared = true;
        below &= p(o, 99) < p(q, 99);
      }
    }
    return new Goal("p99 (ms) by client count, Ordo vs PostgreSQL", String.join(", ", ordo),
        String.join(", ", pg), "below PostgreSQL's at every client count",
        compared ? Optional.of(below) : Optional.empty());
  }

  /** "1,234.5/s (12.1 / 30.2 ms)", or why there is no figure. */
  private String throughput(String id) {
    LoadRunner.StepResult r = results.get(id);
    if (r == null) {
      return notRun(id);
    }
    return String.format(Locale.ROOT, "%s/s (%s / %s ms)", num(r.committedPerSecond()),
        lat(p(r, 50)), lat(p(r, 99)));
  }

  /** "12.1 / 30.2 ms", or why there is no figure. */
  private String latency(String id) {
    LoadRunner.StepResult r = results.get(id);
    if (r == null) {
      return notRun(id);
    }
    return String.format(Locale.ROOT, "%s / %s ms", lat(p(r, 50)), lat(p(r, 99)));
  }

  private String notRun(String id) {
    if (skipped.containsKey(id)) {
      return skipped.get(id);
    }
    return plan.stream().anyMatch(s -> s.id().equals(id)) ? "not run (failed earlier)" : "–";
  }

  /** CPU of the embedded Ordo in a step: the JVM less the load generator's threads. */
  static double ordoCores(LoadRunner.StepResult r) {
    return r.cpu().processCores() - r.cpu().groupCores().getOrDefault("load generator", 0.0);
  }

  private static double p(LoadRunner.StepResult r, double percentile) {
    return YcsbtReport.ms(r.latency(), percentile);
  }

  /** A latency in ms: one decimal below 100 ms, none above. */
  static String lat(double ms) {
    return String.format(Locale.ROOT, ms >= 100 ? "%,.0f" : "%.1f", ms);
  }

  /**
   * A number for people: thousands separated; whole numbers and numbers of 100 or more without
   * decimals, numbers below 1 with two, others with one.
   */
  static String num(double v) {
    if (v == Math.rint(v) || Math.abs(v) >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, Math.abs(v) < 1 ? "%.2f" : "%,.1f", v);
  }

  /** Business aborts (insufficient funds) over all steps, by target. */
  public Map<String, Long> businessAborts() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (YcsbtProfile.Step s : plan) {
      LoadRunner.StepResult r = results.get(s.id());
      if (r != null) {
        m.merge(s.target(), r.aborts().getOrDefault(TransferClient.INSUFFICIENT_FUNDS, 0L),
            Long::sum);
      }
    }
    return m;
  }

  /** The report as Markdown: header, goals table, steps table, aborts, checks. */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("# ordo bench ycsbt --profile ").append(profile).append(" — ").append(startedAt)
        .append("\n\n");
    sb.append("Commit: ").append(commit).append("\n\n");
    sb.append("Machine: ").append(inline(machine)).append("\n\n");
    sb.append("Settings: ").append(inline(settings)).append("\n\n");
    sb.append(goalsTable()).append('\n');
    sb.append(stepsTable()).append('\n');
    sb.append("Business aborts (insufficient funds; never counted as committed): ");
    List<String> parts = new ArrayList<>();
    businessAborts().forEach((t, n) -> parts.add(t + " " + n));
    sb.append(parts.isEmpty() ? "none measured" : String.join(", ", parts)).append("\n\n");
    sb.append("Checks after the runs:\n\n");
    checks.verifications().forEach((t, v) -> sb.append("- ").append(t).append(": ")
        .append(v.ok() ? "OK — " : "FAILED — ").append(v.detail()).append('\n'));
    sb.append("\nResult: ").append(passed() ? "PASSED"
        : "FAILED: " + String.join("; ", checks.failures())).append('\n');
    return sb.toString();
  }

  /** The goals table in Markdown. */
  public String goalsTable() {
    StringBuilder sb = new StringBuilder("| what | Ordo | PostgreSQL | goal | met |\n"
        + "|---|---|---|---|---|\n");
    for (Goal g : goals()) {
      sb.append("| ").append(g.what()).append(" | ").append(g.ordo()).append(" | ")
          .append(g.postgres()).append(" | ").append(g.goal()).append(" | ")
          .append(g.met().map(m -> m ? "yes" : "**no**").orElse("–")).append(" |\n");
    }
    return sb.toString();
  }

  /** One row per step of the plan, in the order run. */
  public String stepsTable() {
    StringBuilder sb = new StringBuilder("| step | target | clients | cross-range | load"
        + " | committed/s | p50 ms | p99 ms | p99.9 ms | insufficient funds | other aborts"
        + " | retries | errors | not sent | JVM cores | Ordo cores | PostgreSQL server cores |\n"
        + "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (YcsbtProfile.Step s : plan) {
      LoadRunner.StepResult r = results.get(s.id());
      if (r == null) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%s%n", s.id(),
            s.target(), s.clientsLabel(), s.crossRangeLabel(), notRun(s.id()),
            " – |".repeat(12)));
        continue;
      }
      Histogram h = r.latency();
      long insufficient = r.aborts().getOrDefault(TransferClient.INSUFFICIENT_FUNDS, 0L);
      sb.append(String.format(Locale.ROOT,
          "| %s | %s | %s | %s | %s | %.1f | %.2f | %.2f | %.2f | %d | %d | %d | %d | %d | %.2f | %s"
              + " | %s |%n",
          s.id(), s.target(), s.clientsLabel(), s.crossRangeLabel(),
          YcsbtReport.loadLabel(r.offeredRate()), r.committedPerSecond(),
          YcsbtReport.ms(h, 50.0), YcsbtReport.ms(h, 99.0), YcsbtReport.ms(h, 99.9),
          insufficient, sum(r.aborts()) - insufficient, sum(r.retries()), sum(r.errors()),
          r.notIssued(), r.cpu().processCores(),
          s.target().equals(YcsbtBench.ORDO)
              ? String.format(Locale.ROOT, "%.2f", ordoCores(r)) : "–",
          r.cpu().postgresCores() == null ? "–"
              : String.format(Locale.ROOT, "%.2f", r.cpu().postgresCores())));
    }
    return sb.toString();
  }

  /** The report as pretty-printed JSON (see the class comment). */
  public String toJson() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("benchmark", "ycsbt-profile");
    root.put("profile", profile);
    root.put("startedAt", startedAt);
    root.put("commit", commit);
    root.set("machine", mapper.valueToTree(machine));
    root.set("settings", mapper.valueToTree(settings));
    ArrayNode goals = root.putArray("goals");
    for (Goal g : goals()) {
      ObjectNode n = goals.addObject();
      n.put("what", g.what());
      n.put("ordo", g.ordo());
      n.put("postgres", g.postgres());
      n.put("goal", g.goal());
      if (g.met().isPresent()) {
        n.put("met", g.met().get());
      } else {
        n.putNull("met");
      }
    }
    ArrayNode steps = root.putArray("steps");
    Function<Double, Double> round = v -> Math.round(v * 1000.0) / 1000.0;
    for (YcsbtProfile.Step s : plan) {
      ObjectNode n = steps.addObject();
      n.put("id", s.id());
      n.put("target", s.target());
      n.put("clients", s.clients());
      n.put("inFlightPerClient", s.inFlight());
      n.put("crossRange", s.crossRangeLabel());
      LoadRunner.StepResult r = results.get(s.id());
      if (r == null) {
        n.put("skipped", notRun(s.id()));
        continue;
      }
      long insufficient = r.aborts().getOrDefault(TransferClient.INSUFFICIENT_FUNDS, 0L);
      n.put("offeredRate", round.apply(r.offeredRate()));
      n.put("committedPerSecond", round.apply(r.committedPerSecond()));
      ObjectNode lat = n.putObject("latencyMs");
      lat.put("p50", YcsbtReport.ms(r.latency(), 50.0));
      lat.put("p99", YcsbtReport.ms(r.latency(), 99.0));
      lat.put("p999", YcsbtReport.ms(r.latency(), 99.9));
      n.put("insufficientFunds", insufficient);
      n.put("otherAborts", sum(r.aborts()) - insufficient);
      n.put("retries", sum(r.retries()));
      n.put("errors", sum(r.errors()));
      n.put("notSent", r.notIssued());
      n.put("jvmCores", round.apply(r.cpu().processCores()));
      if (s.target().equals(YcsbtBench.ORDO)) {
        n.put("ordoCores", round.apply(ordoCores(r)));
      }
      if (r.cpu().postgresCores() != null) {
        n.put("postgresServerCores", round.apply(r.cpu().postgresCores()));
      }
    }
    root.set("businessAborts", mapper.valueToTree(businessAborts()));
    ObjectNode ver = root.putObject("checks");
    checks.verifications().forEach((t, v) -> {
      ObjectNode n = ver.putObject(t);
      n.put("ok", v.ok());
      n.put("detail", v.detail());
    });
    root.put("passed", passed());
    try {
      return mapper.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the profile report as JSON", e);
    }
  }

  private static long sum(Map<String, Long> m) {
    return m.values().stream().mapToLong(Long::longValue).sum();
  }

  private static String inline(Map<String, Object> m) {
    List<String> parts = new ArrayList<>();
    m.forEach((k, v) -> parts.add(k + " " + v));
    return String.join(", ", parts);
  }
}
