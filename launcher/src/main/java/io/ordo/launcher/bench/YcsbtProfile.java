package io.ordo.launcher.bench;

import io.grpc.Channel;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The standard profile of {@code ordo bench ycsbt --profile standard}: the steps that fill the
 * performance goals table (latency floor, 16, 64 and 256 clients on Ordo and PostgreSQL side by
 * side, Ordo's pipelined peak at natural, 0 % and 100 % cross-range, Ordo's latency at half of
 * the natural pipelined peak, and Ordo's CPU at one client) in one run; {@link ProfileReport}
 * renders the table.
 *
 * <p><b>Order.</b> Ordo's steps run first, on one embedded Ordo and one bank: 16, 64, 256
 * clients, the three pipelined peaks, the half-peak step (open loop, pipelined clients, at half
 * of the committed/s the natural-cross-range peak reached), and last the one-client floor, so
 * that its latency and CPU are those of a warmed-up Ordo (JIT done) rather than of the first
 * seconds of a JVM. Then PostgreSQL's: floor, 16, 64, 256 clients (a step with more clients than
 * the server accepts is skipped and reported as such).
 *
 * <p>Closed-loop steps with one transfer per client show what a user with that many connections
 * sees. The pipelined steps keep {@code peakClients x peakInFlight} transfers in flight all the
 * time (closed loop, {@code TxnStream}): the store's peak, not a latency anyone should expect at
 * that load; the half-peak step shows the latency at a load it can sustain.
 */
public final class YcsbtProfile {
  /** The profile's name on the command line. */
  public static final String STANDARD = "standard";

  /** Ids of the steps the goals table reads (see {@link #plan}). */
  public static final String ORDO_FLOOR = "ordo-floor";
  public static final String ORDO_16 = "ordo-16";
  public static final String ORDO_64 = "ordo-64";
  public static final String ORDO_256 = "ordo-256";
  public static final String ORDO_PEAK = "ordo-peak";
  public static final String ORDO_PEAK_X0 = "ordo-peak-x0";
  public static final String ORDO_PEAK_X100 = "ordo-peak-x100";
  public static final String ORDO_HALF_PEAK = "ordo-half-peak";
  public static final String PG_FLOOR = "postgres-floor";
  public static final String PG_16 = "postgres-16";
  public static final String PG_64 = "postgres-64";
  public static final String PG_256 = "postgres-256";

  /** How a step's offered load is set. */
  public enum Load {
    /** Closed loop. */
    CLOSED,
    /** Open loop at half of the committed/s of step {@value #ORDO_PEAK}. */
    HALF_PEAK
  }

  /**
   * One step of the profile.
   *
   * @param id stable name ({@code ordo-16}, ...), used by the report and in the JSON
   * @param target {@link YcsbtBench#ORDO} or {@link YcsbtBench#POSTGRES}
   * @param clients concurrent clients
   * @param inFlight transfers each client keeps outstanding (1, or pipelined)
   * @param crossRangePct cross-range share in percent, or empty for the natural Zipfian creditor
   * @param load closed loop or half of the peak
   */
  public record Step(
      String id, String target, int clients, int inFlight, OptionalInt crossRangePct, Load load) {
    /** Validates the fields. */
    public Step {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(crossRangePct, "crossRangePct");
      Objects.requireNonNull(load, "load");
    }

    /** "16 clients", "4 clients x 256 in flight". */
    public String clientsLabel() {
      return clients + (clients == 1 ? " client" : " clients")
          + (inFlight > 1 ? " x " + inFlight + " in flight" : "");
    }

    /** "natural", "0 %", "100 %". */
    public String crossRangeLabel() {
      return crossRangePct.isPresent() ? crossRangePct.getAsInt() + " %" : "natural";
    }
  }

  /**
   * What the profile runs with.
   *
   * @param warmup unmeasured time before each step, >= 0
   * @param duration measured time of each step, positive
   * @param peakClients clients of the pipelined steps, >= 1
   * @param peakInFlight transfers each of them keeps outstanding, in [2, {@value
   *     PipelinedTransferClient#IN_FLIGHT_MAX}]
   * @param postgres whether PostgreSQL's steps run
   */
  public record Settings(
      Duration warmup, Duration duration, int peakClients, int peakInFlight, boolean postgres) {
    /** Validates the fields. */
    public Settings {
      if (warmup.isNegative()) {
        throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
      }
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("duration must be positive, got " + duration);
      }
      if (peakClients < 1 || peakClients > LoadRunner.CLIENTS_MAX) {
        throw new IllegalArgumentException(
            "peak clients must be in [1, " + LoadRunner.CLIENTS_MAX + "], got " + peakClients);
      }
      if (peakInFlight < 2 || peakInFlight > PipelinedTransferClient.IN_FLIGHT_MAX) {
        throw new IllegalArgumentException("--pipelined must be in [2, "
            + PipelinedTransferClient.IN_FLIGHT_MAX + "] for the profile, got " + peakInFlight);
      }
    }
  }

  /** Default warmup of each step of the standard profile. */
  public static final Duration WARMUP = Duration.ofSeconds(60);

  /** Default measured time of each step of the standard profile. */
  public static final Duration DURATION = Duration.ofSeconds(40);

  /** Warmup of each step with {@code --quick}. */
  public static final Duration QUICK_WARMUP = Duration.ofSeconds(2);

  /** Measured time of each step with {@code --quick}. */
  public static final Duration QUICK_DURATION = Duration.ofSeconds(5);

  /** Default clients of the pipelined steps. */
  public static final int PEAK_CLIENTS = 4;

  /** Default transfers in flight per client in the pipelined steps. */
  public static final int PEAK_IN_FLIGHT = 256;

  private YcsbtProfile() {}

  /** The steps of the profile, in the order they run (see the class comment). */
  public static List<Step> plan(Settings s) {
    List<Step> plan = new ArrayList<>();
    OptionalInt natural = OptionalInt.empty();
    plan.add(new Step(ORDO_16, YcsbtBench.ORDO, 16, 1, natural, Load.CLOSED));
    plan.add(new Step(ORDO_64, YcsbtBench.ORDO, 64, 1, natural, Load.CLOSED));
    plan.add(new Step(ORDO_256, YcsbtBench.ORDO, 256, 1, natural, Load.CLOSED));
    plan.add(new Step(ORDO_PEAK, YcsbtBench.ORDO, s.peakClients(), s.peakInFlight(), natural,
        Load.CLOSED));
    plan.add(new Step(ORDO_PEAK_X0, YcsbtBench.ORDO, s.peakClients(), s.peakInFlight(),
        OptionalInt.of(0), Load.CLOSED));
    plan.add(new Step(ORDO_PEAK_X100, YcsbtBench.ORDO, s.peakClients(), s.peakInFlight(),
        OptionalInt.of(100), Load.CLOSED));
    plan.add(new Step(ORDO_HALF_PEAK, YcsbtBench.ORDO, s.peakClients(), s.peakInFlight(),
        natural, Load.HALF_PEAK));
    plan.add(new Step(ORDO_FLOOR, YcsbtBench.ORDO, 1, 1, natural, Load.CLOSED));
    if (s.postgres()) {
      plan.add(new Step(PG_FLOOR, YcsbtBench.POSTGRES, 1, 1, natural, Load.CLOSED));
      plan.add(new Step(PG_16, YcsbtBench.POSTGRES, 16, 1, natural, Load.CLOSED));
      plan.add(new Step(PG_64, YcsbtBench.POSTGRES, 64, 1, natural, Load.CLOSED));
      plan.add(new Step(PG_256, YcsbtBench.POSTGRES, 256, 1, natural, Load.CLOSED));
    }
    return List.copyOf(plan);
  }

  /** The time the steps take (warmup and measured time each), without start-up and loading. */
  public static Duration estimate(Settings s, List<Step> plan) {
    return s.warmup().plus(s.duration()).multipliedBy(plan.size());
  }

  /**
   * The offered rate of {@code step}: 0 (closed loop), or half of the committed/s of {@value
   * #ORDO_PEAK} in {@code results}.
   *
   * @throws IllegalStateException if the peak is missing or committed nothing
   */
  static double rateOf(Step step, Map<String, LoadRunner.StepResult> results) {
    if (step.load() == Load.CLOSED) {
      return 0;
    }
    LoadRunner.StepResult peak = results.get(ORDO_PEAK);
    if (peak == null || !(peak.committedPerSecond() > 0)) {
      throw new IllegalStateException(
          step.id() + " needs the committed/s of " + ORDO_PEAK + ", which committed nothing");
    }
    return peak.committedPerSecond() / 2;
  }

  /**
   * Runs the plan's Ordo steps against {@code channel} (loading the accounts first and checking
   * the money after), adding each result to {@code results} by step id.
   *
   * @throws Exception if loading, a step or the check fails
   */
  public static void runOrdo(YcsbtBench bench, YcsbtSettings settings, Settings profile,
      List<Step> plan, Channel channel, Map<String, LoadRunner.StepResult> results)
      throws Exception {
    bench.prepareOrdo(channel);
    for (Step step : plan) {
      if (step.target().equals(YcsbtBench.ORDO)) {
        results.put(step.id(), bench.ordoStep(channel, loadOf(step, settings, profile, results),
            settings.workload(step.crossRangePct())));
      }
    }
    bench.verifyOrdo(channel);
  }

  /**
   * Runs the plan's PostgreSQL steps on {@code bank} (recreating the table first and checking the
   * totals after), adding each result to {@code results}; a step with more clients than the
   * server accepts is recorded in {@code skipped} with the reason instead.
   *
   * @throws Exception if loading, a step or the check fails
   */
  public static void runPostgres(YcsbtBench bench, YcsbtSettings settings, Settings profile,
      List<Step> plan, PostgresBank bank, Map<String, LoadRunner.StepResult> results,
      Map<String, String> skipped, PrintWriter status) throws Exception {
    CpuMeter cpu = bench.preparePostgres(bank);
    for (Step step : plan) {
      if (!step.target().equals(YcsbtBench.POSTGRES)) {
        continue;
      }
      int available = bank.connectionsAvailable();
      if (step.clients() > available) {
        String reason = String.format(Locale.ROOT,
            "skipped: the server accepts %d more client connections (max_connections)", available);
        skipped.put(step.id(), reason);
        status.println("ordo bench: " + step.id() + " " + reason);
        status.flush();
        continue;
      }
      results.put(step.id(), bench.postgresStep(bank, loadOf(step, settings, profile, results),
          settings.workload(step.crossRangePct()), cpu));
    }
    bench.verifyPostgres(bank);
  }

  private static LoadRunner.Step loadOf(Step step, YcsbtSettings settings, Settings profile,
      Map<String, LoadRunner.StepResult> results) {
    return new LoadRunner.Step(step.clients(), profile.warmup(), profile.duration(),
        rateOf(step, results), settings.seed(), step.inFlight());
  }
}
