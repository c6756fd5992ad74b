package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.executor.ExecutorConfig;
import io.ordo.launcher.bench.LoadRunner;
import io.ordo.launcher.bench.OrdoSqlBank;
import io.ordo.launcher.bench.PipelinedTransferClient;
import io.ordo.launcher.bench.ProfileReport;
import io.ordo.launcher.bench.YcsbtProfile;
import io.ordo.launcher.bench.PostgresBank;
import io.ordo.launcher.bench.SweepPlot;
import io.ordo.launcher.bench.YcsbtBench;
import io.ordo.launcher.bench.YcsbtReport;
import io.ordo.launcher.bench.YcsbtSettings;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code ordo bench ycsbt}: YCSB-T transfers (see {@link io.ordo.launcher.demo.TransferWorkload})
 * against one or more targets — Ordo's transaction API ({@code ordo}), Ordo through SQL ({@code
 * ordo-sql}: interactive transactions through pgjdbc on the gateway's PostgreSQL port) on an
 * embedded Ordo started for the run (or {@code --gateway}), and PostgreSQL ({@code postgres}) —
 * closed loop or open loop at one or several offered rates. The Ordo targets run first, in the
 * order given, on one Ordo; the embedded Ordo is stopped before PostgreSQL runs. Prints the
 * results table on stdout, progress on stderr, and writes {@code results.json}, {@code results.md}
 * and, for a sweep, {@code ycsbt-sweep.png} into {@code --out}. Exits 1 if a store's money check
 * fails or a step commits nothing; 2 on bad options.
 */
@Command(
    name = "ycsbt",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "YCSB-T (Styx variant): transfers of 2 reads + 2 writes with a sufficient-funds check;"
          + " debtor uniform, creditor Zipfian, debtor != creditor.",
      "Runs Ordo's transaction API and/or Ordo SQL (interactive pgjdbc transactions; Ordo"
          + " embedded unless --gateway) and/or PostgreSQL SERIALIZABLE, one after the other with"
          + " the same settings, and reports committed/s, aborts, latency and CPU."
    })
public final class BenchYcsbtCommand implements Callable<Integer> {
  /**
   * The targets of a run, in the order given, without repeats: names {@value YcsbtBench#ORDO},
   * {@value YcsbtBench#ORDO_SQL} and {@value YcsbtBench#POSTGRES}.
   */
  record Targets(List<String> names) {
    /** The names {@code --target} accepts besides {@code both}. */
    static final List<String> KNOWN =
        List.of(YcsbtBench.ORDO, YcsbtBench.ORDO_SQL, YcsbtBench.POSTGRES);

    Targets {
      names = List.copyOf(names);
    }

    /**
     * Parses a comma-separated list of {@link #KNOWN} names and {@code both} (= {@code
     * ordo,postgres}); repeats are dropped.
     *
     * @throws TypeConversionException naming the first unknown or empty entry
     */
    static Targets parse(String text) {
      java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
      for (String part : text.split(",", -1)) {
        String name = part.strip();
        if (name.equals("both")) {
          names.add(YcsbtBench.ORDO);
          names.add(YcsbtBench.POSTGRES);
        } else if (KNOWN.contains(name)) {
          names.add(name);
        } else {
          throw new TypeConversionException("expected a comma-separated list of " + KNOWN
              + " or both, but " + (name.isEmpty() ? "an entry is empty" : "got '" + name + "'"));
        }
      }
      return new Targets(List.copyOf(names));
    }

    boolean has(String name) {
      return names.contains(name);
    }

    @Override
    public String toString() {
      return String.join(",", names);
    }
  }

  /**
   * Default initial balance: large enough that no account runs dry within a run at the defaults
   * (or the whole standard profile) on either store, so aborts for insufficient funds stay rare
   * and never stand in for throughput. With 10,000 accounts and amounts of at most 100, an
   * account pays about 50 per transfer that draws it as debtor (uniform): 20,000 transfers/s for
   * 30 minutes cost the coldest accounts about 180,000.
   */
  static final long DEFAULT_INITIAL_BALANCE = 1_000_000;

  /** Default database user of the Ordo SQL sessions (Ordo's PostgreSQL port sends no password). */
  static final String ORDO_SQL_USER = "ordo";

  /** Maximum gRPC message size accepted (the all-accounts read is a few hundred KiB). */
  static final int INBOUND_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

  @Spec CommandSpec spec;

  @Option(names = "--target", paramLabel = "TARGET[,TARGET...]", converter = TargetsConverter.class,
      description = "Targets, run in this order (Ordo's first): ordo (Ordo's transaction API),"
          + " ordo-sql (Ordo SQL: interactive transactions through pgjdbc on the PostgreSQL"
          + " port), postgres (PostgreSQL SERIALIZABLE); both = ordo,postgres.")
  Targets target = Targets.parse(YcsbtBench.ORDO);

  @Option(names = "--ordo-sql-url", paramLabel = "JDBC-URL",
      description = "With --gateway and --target ordo-sql: JDBC URL of that Ordo's PostgreSQL"
          + " port. Default: the gateway's host, port " + EmbeddedOrdo.Options.DEFAULT_PG_PORT
          + ", database ordo.")
  String ordoSqlUrl;

  @Option(names = "--gateway", paramLabel = "HOST:PORT",
      description = "gRPC address of a running Ordo gateway; no embedded Ordo is started"
          + " (pass its --key-ranges for --cross-range-pct).")
  String gateway;

  @Mixin ExecutorOptions executorOptions;

  @Option(names = "--accounts", paramLabel = "N", description = "Number of accounts.")
  int accounts = 10_000;

  @Option(names = "--initial-balance", paramLabel = "AMOUNT",
      description = "Initial balance of every account.")
  long initialBalance = DEFAULT_INITIAL_BALANCE;

  @Option(names = "--max-amount", paramLabel = "AMOUNT",
      description = "Transfer amounts are uniform in [1, AMOUNT].")
  long maxAmount = 100;

  @Option(names = "--theta", paramLabel = "THETA",
      description = "Zipfian skew of the creditor, in [0, 1); 0 = uniform.")
  double theta = 0.99;

  @Option(names = "--cross-range-pct", paramLabel = "PCT",
      description = "Share (0..100) of transfers whose debtor and creditor lie in different key"
          + " ranges; the creditor is Zipfian within the chosen class. Default: unconstrained"
          + " (plain Zipfian creditor, about (ranges-1)/ranges cross-range).")
  Integer crossRangePct;

  @Option(names = "--clients", paramLabel = "N",
      description = "Concurrent clients (one thread and connection each).")
  int clients = 16;

  @Option(names = "--duration", defaultValue = "30s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Measured time per step.")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "10s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Unmeasured time before each step.")
  Duration warmup;

  @Option(names = "--rate", paramLabel = "TXN/S",
      description = "Open loop: offered transfers/s over all clients, latency measured from the"
          + " intended start. Default: closed loop.")
  Double rate;

  @Option(names = "--pipelined", paramLabel = "N",
      description = "Ordo's transaction API only: each client keeps N transfers in flight on one"
          + " TxnStream (gRPC bidirectional stream) instead of one unary call at a time, 1.."
          + PipelinedTransferClient.IN_FLIGHT_MAX + ". Closed loop: N x --clients transfers are"
          + " always in flight (a peak, not a user's latency). With --profile: the in-flight count"
          + " of the pipelined steps (default " + YcsbtProfile.PEAK_IN_FLIGHT + ").")
  Integer pipelined;

  @Option(names = "--profile", paramLabel = "NAME",
      description = "Run a whole profile instead of one configuration: '" + YcsbtProfile.STANDARD
          + "' = latency floor, 16, 64 and 256 clients on Ordo and PostgreSQL, Ordo's pipelined"
          + " peaks (natural, 0 % and 100 % cross-range), half-peak latency and CPU at 1 client,"
          + " written as the goals table (about 22 minutes at the defaults: --warmup 60s"
          + " --duration 40s per step). --target ordo skips PostgreSQL.")
  String profile;

  @Option(names = "--quick",
      description = "With --profile: a smoke run of about 2 minutes (--warmup 2s --duration 5s per"
          + " step unless given); the figures are not steady state.")
  boolean quick;

  @Option(names = "--rates", paramLabel = "RATE", split = ",",
      description = "A sweep: one open-loop step per offered rate (and a plot).")
  List<Double> rates;

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the clients' Randoms.")
  long seed = 42;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output folder (default: reports/bench-ycsbt-<yyyyMMdd-HHmmss>).")
  Path out;

  @Option(names = "--pg-url", paramLabel = "JDBC-URL", description = "PostgreSQL JDBC URL.")
  String pgUrl = "jdbc:postgresql://127.0.0.1:5432/test";

  @Option(names = "--pg-user", paramLabel = "USER", description = "PostgreSQL user.")
  String pgUser = "postgres";

  @Option(names = "--pg-table", paramLabel = "NAME",
      description = "Table of the SQL targets (PostgreSQL, Ordo SQL), dropped and recreated by"
          + " each run.")
  String pgTable = "ordo_bench_accounts";

  @Option(names = "--rpc-timeout", defaultValue = "30s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Deadline of each Ordo transfer.")
  Duration rpcTimeout;

  @Option(names = "--kafka-ceiling", paramLabel = "FILE",
      description = "results.json of `ordo bench kafka`: the report then states Ordo's"
          + " committed/s as a share of the log's records/s.")
  Path kafkaCeiling;

  @Option(names = "--load-batch-size", paramLabel = "N",
      description = "Accounts loaded per Ordo transaction.")
  int loadBatchSize = 1_000;

  @Override
  public Integer call() throws Exception {
    if (profile != null || quick) {
      return runProfile();
    }
    YcsbtSettings settings = settings();
    if (settings.inFlight() > 1
        && (target.has(YcsbtBench.POSTGRES) || target.has(YcsbtBench.ORDO_SQL))) {
      throw new ParameterException(spec.commandLine(), "--pipelined applies to Ordo's"
          + " transaction API only: use --target ordo");
    }
    double ceiling = kafkaCeiling == null ? 0 : ceilingOf(kafkaCeiling);
    boolean anyOrdo = target.has(YcsbtBench.ORDO) || target.has(YcsbtBench.ORDO_SQL);
    PostgresBank bank = target.has(YcsbtBench.POSTGRES) ? postgresBank() : null;
    if (gateway != null && (!anyOrdo || executorOptions.anyEmbeddedOnlySet())) {
      throw new ParameterException(spec.commandLine(), "--gateway runs against a running Ordo:"
          + " it needs a target ordo or ordo-sql and takes none of "
          + ExecutorOptions.EMBEDDED_ONLY);
    }
    if (ordoSqlUrl != null && (gateway == null || !target.has(YcsbtBench.ORDO_SQL))) {
      throw new ParameterException(spec.commandLine(), "--ordo-sql-url names a running Ordo's"
          + " PostgreSQL port: it needs --gateway and --target ordo-sql");
    }
    if (target.has(YcsbtBench.ORDO_SQL)) {
      // Checked before an embedded Ordo is started for nothing.
      try {
        PostgresBank.checkTableName(pgTable);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
    }
    OrdoSqlBank remoteSql = gateway != null && target.has(YcsbtBench.ORDO_SQL)
        ? ordoSqlBank(ordoSqlUrl != null ? ordoSqlUrl : defaultOrdoSqlUrl(gateway)) : null;
    Path dir = out != null ? out : Path.of("reports", "bench-ycsbt-"
        + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Files.createDirectories(dir);
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    YcsbtReport report = new YcsbtReport(
        java.time.Instant.now().toString(), machine(), settings.describe());
    if (kafkaCeiling != null) {
      report.kafkaCeiling(ceiling, kafkaCeiling.toString());
    }
    YcsbtBench bench = new YcsbtBench(settings, report, err);
    try {
      if (anyOrdo) {
        if (gateway != null) {
          runOrdoTargets(bench, gateway, remoteSql);
        } else {
          runEmbedded(bench);
        }
      }
      if (bank != null) {
        bench.runPostgres(bank);
      }
    } finally {
      write(report, dir, stdout, err);
    }
    return report.passed() ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  /**
   * The PostgreSQL port of the Ordo behind {@code gateway} (HOST:PORT) when it listens on the
   * default port (package-private for tests).
   */
  static String defaultOrdoSqlUrl(String gateway) {
    int colon = gateway.lastIndexOf(':');
    String host = colon > 0 ? gateway.substring(0, colon) : gateway;
    return "jdbc:postgresql://" + host + ":" + EmbeddedOrdo.Options.DEFAULT_PG_PORT + "/ordo";
  }

  private OrdoSqlBank ordoSqlBank(String url) {
    try {
      return new OrdoSqlBank(url, ORDO_SQL_USER, pgTable);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  private void write(YcsbtReport report, Path dir, PrintWriter stdout, PrintWriter err)
      throws Exception {
    Files.writeString(dir.resolve("results.json"), report.toJson(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("results.md"), report.toMarkdown(), StandardCharsets.UTF_8);
    boolean plotted = SweepPlot.write(report.runs(), plotTitle(), dir.resolve("ycsbt-sweep.png"));
    stdout.print(report.toMarkdown());
    stdout.flush();
    err.println("ordo bench: wrote " + dir.resolve("results.json") + ", results.md"
        + (plotted ? ", ycsbt-sweep.png" : ""));
    err.flush();
  }

  private String plotTitle() {
    return String.format(java.util.Locale.ROOT,
        "YCSB-T: %d accounts, Zipf %s, cross-range %s, %d clients, %s s per step", accounts,
        theta, crossRangePct == null ? "natural" : crossRangePct + "%", clients,
        duration.toMillis() / 1000.0);
  }

  /**
   * The settings these options describe (package-private for tests).
   *
   * @throws ParameterException if a value is out of range or options conflict
   */
  YcsbtSettings settings() {
    if (rate != null && rates != null) {
      throw new ParameterException(spec.commandLine(),
          "--rate and --rates are mutually exclusive");
    }
    List<Double> steps = new ArrayList<>();
    if (rates != null) {
      steps.addAll(rates);
      if (steps.stream().anyMatch(r -> !(r > 0))) {
        throw new ParameterException(spec.commandLine(),
            "--rates must list positive transfers/s, got " + rates);
      }
    } else if (rate != null) {
      if (!(rate > 0) || rate.isInfinite()) {
        throw new ParameterException(spec.commandLine(),
            "--rate must be a positive number of transfers/s, got " + rate);
      }
      steps.add(rate);
    } else {
      steps.add(0.0);
    }
    int keyRanges = executorOptions.keyRanges != null
        ? executorOptions.keyRanges : ExecutorConfig.DEFAULT_KEY_RANGE_COUNT;
    try {
      return new YcsbtSettings(accounts, initialBalance, maxAmount, theta,
          crossRangePct == null ? OptionalInt.empty() : OptionalInt.of(crossRangePct),
          keyRanges, clients, warmup, duration, steps, seed, rpcTimeout, loadBatchSize,
          pipelined == null || profile != null ? 1 : pipelined);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** The records/s of a {@code bench kafka} results.json; a usage error if it has none. */
  private double ceilingOf(Path file) {
    try {
      com.fasterxml.jackson.databind.JsonNode root =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
      com.fasterxml.jackson.databind.JsonNode rps = root.get("recordsPerSecond");
      if (root.path("benchmark").asText().equals("kafka") && rps != null && rps.asDouble() > 0) {
        return rps.asDouble();
      }
      throw new ParameterException(spec.commandLine(), "--kafka-ceiling " + file
          + " is not a results.json of `ordo bench kafka` with positive recordsPerSecond");
    } catch (java.io.IOException e) {
      throw new ParameterException(spec.commandLine(),
          "--kafka-ceiling " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  private PostgresBank postgresBank() {
    try {
      return new PostgresBank(pgUrl, pgUser, pgTable);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** What runs against an Ordo: its gRPC target and, with ordo-sql, its SQL bank. */
  @FunctionalInterface
  private interface OrdoBody {
    void run(String grpcTarget, OrdoSqlBank sql) throws Exception;
  }

  private void runEmbedded(YcsbtBench bench) throws Exception {
    runEmbedded((grpcTarget, sql) -> runOrdoTargets(bench, grpcTarget, sql));
  }

  private void runEmbedded(OrdoBody body) throws Exception {
    Path dir = Files.createTempDirectory("ordo-bench-");
    try {
      EmbeddedOrdo.Options options;
      try {
        options = executorOptions.applyTo(EmbeddedOrdo.Options.defaults(dir).withFreePorts());
        if (target.has(YcsbtBench.ORDO_SQL)) {
          options = options.withPgPort(io.ordo.gateway.GatewayConfig.ANY_FREE_PG_PORT);
        }
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      PrintWriter err = spec.commandLine().getErr();
      err.println("ordo bench: starting embedded Ordo in " + dir.toAbsolutePath());
      err.flush();
      try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options)) {
        OrdoSqlBank sql = null;
        if (target.has(YcsbtBench.ORDO_SQL)) {
          int port = ordo.pgPort().orElseThrow(() -> new IllegalStateException(
              "the embedded Ordo serves no PostgreSQL port"));
          sql = ordoSqlBank("jdbc:postgresql://127.0.0.1:" + port + "/ordo");
        }
        body.run(ordo.grpcTarget(), sql);
      }
    } finally {
      DemoCommand.deleteRecursively(dir);
    }
  }

  /** Runs the Ordo targets in the order given; {@code sql} is set iff ordo-sql is one. */
  private void runOrdoTargets(YcsbtBench bench, String grpcTarget, OrdoSqlBank sql)
      throws Exception {
    withChannel(grpcTarget, channel -> {
      for (String name : target.names()) {
        switch (name) {
          case YcsbtBench.ORDO -> bench.runOrdo(channel);
          case YcsbtBench.ORDO_SQL -> bench.runOrdoSql(channel, sql);
          default -> {
            // PostgreSQL runs after the Ordo targets, with Ordo stopped.
          }
        }
      }
    });
  }

  /** Uses a channel to {@code grpcTarget}. */
  @FunctionalInterface
  private interface ChannelBody {
    void run(ManagedChannel channel) throws Exception;
  }

  private static void withChannel(String grpcTarget, ChannelBody body) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(grpcTarget)
        .usePlaintext()
        .maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
        .build();
    try {
      body.run(channel);
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /**
   * {@code --profile standard}: runs {@link YcsbtProfile#plan} on an embedded Ordo and (unless
   * {@code --target ordo}) PostgreSQL, and writes the goals table ({@link ProfileReport}).
   */
  private Integer runProfile() throws Exception {
    if (profile == null) {
      throw new ParameterException(spec.commandLine(), "--quick needs --profile "
          + YcsbtProfile.STANDARD);
    }
    if (!profile.equals(YcsbtProfile.STANDARD)) {
      throw new ParameterException(spec.commandLine(), "--profile must be '"
          + YcsbtProfile.STANDARD + "', got '" + profile + "'");
    }
    for (String option : List.of("--clients", "--rate", "--rates", "--cross-range-pct",
        "--gateway", "--ordo-sql-url", "--kafka-ceiling")) {
      if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
        throw new ParameterException(spec.commandLine(), option + " does not combine with"
            + " --profile: the profile sets clients, loads and cross-range shares per step and"
            + " runs an embedded Ordo");
      }
    }
    boolean postgres;
    if (target.names().equals(List.of(YcsbtBench.ORDO))
        && spec.commandLine().getParseResult().hasMatchedOption("--target")) {
      postgres = false;
    } else if (target.names().equals(List.of(YcsbtBench.ORDO, YcsbtBench.POSTGRES))
        || !spec.commandLine().getParseResult().hasMatchedOption("--target")) {
      postgres = true;
    } else {
      throw new ParameterException(spec.commandLine(), "--profile runs --target both (the"
          + " default) or ordo, got " + target);
    }
    boolean warmupSet = spec.commandLine().getParseResult().hasMatchedOption("--warmup");
    boolean durationSet = spec.commandLine().getParseResult().hasMatchedOption("--duration");
    YcsbtProfile.Settings profileSettings;
    try {
      profileSettings = new YcsbtProfile.Settings(
          warmupSet ? warmup : quick ? YcsbtProfile.QUICK_WARMUP : YcsbtProfile.WARMUP,
          durationSet ? duration : quick ? YcsbtProfile.QUICK_DURATION : YcsbtProfile.DURATION,
          YcsbtProfile.PEAK_CLIENTS, pipelined == null ? YcsbtProfile.PEAK_IN_FLIGHT : pipelined,
          postgres);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    YcsbtSettings settings = settings();
    PostgresBank bank = postgres ? postgresBank() : null;
    if (bank != null) {
      try {
        bank.serverVersion();
      } catch (java.sql.SQLException e) {
        // Found out now, not after Ordo's steps.
        throw new IllegalStateException("cannot reach PostgreSQL at " + bank.url() + " (SQLSTATE "
            + e.getSQLState() + "): " + e.getMessage() + "; start it, pass --pg-url, or run"
            + " --target ordo", e);
      }
    }
    List<YcsbtProfile.Step> plan = YcsbtProfile.plan(profileSettings);
    PrintWriter err = spec.commandLine().getErr();
    long loadSeconds = YcsbtProfile.estimate(profileSettings, plan).toSeconds();
    err.printf(java.util.Locale.ROOT, "ordo bench: profile %s%s: %d steps, %.0f s warmup and %.0f"
            + " s measured each, %s of load (plus start-up and loading)%n", profile,
        quick ? " --quick" : "", plan.size(), profileSettings.warmup().toMillis() / 1000.0,
        profileSettings.duration().toMillis() / 1000.0,
        loadSeconds < 120 ? loadSeconds + " s" : Math.round(loadSeconds / 60.0) + " minutes");
    err.flush();
    Path dir = out != null ? out : Path.of("reports", "bench-ycsbt-profile-"
        + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Files.createDirectories(dir);
    String startedAt = java.time.Instant.now().toString();
    Map<String, Object> described = new LinkedHashMap<>(settings.describe());
    described.remove("clients");
    described.remove("rates");
    described.remove("crossRangePct");
    described.remove("inFlightPerClient");
    described.put("warmupSeconds", profileSettings.warmup().toMillis() / 1000.0);
    described.put("durationSeconds", profileSettings.duration().toMillis() / 1000.0);
    described.put("pipelinedClients", profileSettings.peakClients());
    described.put("pipelinedInFlightPerClient", profileSettings.peakInFlight());
    YcsbtReport checks = new YcsbtReport(startedAt, machine(), described);
    YcsbtBench bench = new YcsbtBench(settings, checks, err);
    Map<String, LoadRunner.StepResult> results = new LinkedHashMap<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    try {
      runEmbedded((grpcTarget, sql) -> withChannel(grpcTarget, channel ->
          YcsbtProfile.runOrdo(bench, settings, profileSettings, plan, channel, results)));
      if (bank != null) {
        YcsbtProfile.runPostgres(
            bench, settings, profileSettings, plan, bank, results, skipped, err);
      }
    } finally {
      ProfileReport report = new ProfileReport(profile + (quick ? " --quick" : ""), startedAt,
          gitCommit(), machine(), described, plan, results, skipped, checks);
      Files.writeString(dir.resolve("results.json"), report.toJson(), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("results.md"), report.toMarkdown(), StandardCharsets.UTF_8);
      PrintWriter stdout = spec.commandLine().getOut();
      stdout.print(report.toMarkdown());
      stdout.flush();
      err.println("ordo bench: wrote " + dir.resolve("results.json") + ", results.md");
      err.flush();
    }
    return checks.passed() ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  /**
   * The git commit of the working directory ({@code git rev-parse --short HEAD}, with {@code
   * -dirty} when tracked files differ from it), or "unknown" without git or outside a repository.
   */
  static String gitCommit() {
    try {
      String head = run("git", "rev-parse", "--short", "HEAD");
      if (head.isEmpty()) {
        return "unknown";
      }
      String status = run("git", "status", "--porcelain", "--untracked-files=no");
      return head + (status.isEmpty() ? "" : "-dirty");
    } catch (java.io.IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /** Runs a short command and returns its stdout, stripped; empty when it fails. */
  private static String run(String... command) throws java.io.IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] output = p.getInputStream().readNBytes(64 * 1024);
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "";
    }
    return p.exitValue() == 0 ? new String(output, StandardCharsets.UTF_8).strip() : "";
  }

  /** Converts {@code --target}'s value (see {@link Targets#parse}). */
  static final class TargetsConverter implements ITypeConverter<Targets> {
    @Override
    public Targets convert(String value) {
      return Targets.parse(value);
    }
  }

  /** The first "model name" of /proc/cpuinfo, or "unknown". */
  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("model name")) {
          int colon = line.indexOf(':');
          return colon < 0 ? "unknown" : line.substring(colon + 1).strip();
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // Not Linux, or not readable: the report says so.
    }
    return "unknown";
  }

  /** Cores, CPU model, memory, OS and JVM of this machine, for the report. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("cpuModel", cpuModel());
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      m.put("memoryGiB", Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024)));
    }
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    return m;
  }
}
