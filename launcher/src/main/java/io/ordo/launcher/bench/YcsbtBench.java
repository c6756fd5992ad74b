package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import io.grpc.Channel;
import io.ordo.launcher.demo.BankDemo;
import io.ordo.launcher.demo.BankDemoReport;
import io.ordo.gateway.HealthProbe;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Runs the YCSB-T steps of {@link YcsbtSettings} against Ordo (target {@value #ORDO}: a gateway's
 * gRPC transaction API), Ordo through SQL (target {@value #ORDO_SQL}: interactive transactions
 * through pgjdbc on a gateway's PostgreSQL port) and PostgreSQL (target {@value #POSTGRES}), adding each step's result and each store's money check to a {@link
 * YcsbtReport}. The accounts are loaded once per store; the steps run one after the other on the
 * same accounts (money only moves, so later steps start from a shuffled but conserved bank).
 */
public final class YcsbtBench {
  /** How long to wait for a gateway to report SERVING. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  /** Target name of Ordo's native transaction API (gRPC). */
  public static final String ORDO = "ordo";

  /** Target name of Ordo through SQL (pgjdbc on the gateway's PostgreSQL port). */
  public static final String ORDO_SQL = "ordo-sql";

  /** Target name of the PostgreSQL baseline. */
  public static final String POSTGRES = "postgres";

  private final YcsbtSettings settings;
  private final YcsbtReport report;
  private final PrintWriter status;
  // Reads the process and its threads; holds no state between steps.
  private final CpuMeter ordoCpu = new CpuMeter(OptionalInt.empty());

  /**
   * @param settings what to run
   * @param report where results go
   * @param status where progress lines go (stderr), prefixed {@code ordo bench:}
   */
  public YcsbtBench(YcsbtSettings settings, YcsbtReport report, PrintWriter status) {
    this.settings = Objects.requireNonNull(settings);
    this.report = Objects.requireNonNull(report);
    this.status = Objects.requireNonNull(status);
  }

  /**
   * Loads the accounts through {@code channel}, runs every step against it, then reads all
   * accounts in one transaction and records whether money was conserved.
   *
   * @param channel a channel to a gateway (embedded or remote); not closed here
   * @throws Exception if the gateway does not serve, loading fails, or a client thread fails
   */
  public void runOrdo(Channel channel) throws Exception {
    prepareOrdo(channel);
    TransferWorkload workload = settings.workload();
    for (double rate : settings.rates()) {
      ordoStep(channel, step(rate), workload);
    }
    verifyOrdo(channel);
  }

  /**
   * Waits until the gateway behind {@code channel} serves and loads the accounts.
   *
   * @throws Exception if the gateway does not serve or loading fails
   */
  public void prepareOrdo(Channel channel) throws Exception {
    say("ordo: waiting for the gateway to serve");
    HealthProbe.awaitServing(channel, READY_TIMEOUT);
    BankDemo.loadAccounts(channel, settings.accounts(), settings.initialBalance(),
        settings.loadBatchSize(), settings.rpcTimeout(), status, "ordo bench");
  }

  /**
   * Runs one step against Ordo's transaction API (pipelined over one {@code TxnStream} per
   * client when {@code step.inFlight() > 1}) and adds its result to the report.
   *
   * @throws Exception if a client thread fails
   */
  public LoadRunner.StepResult ordoStep(Channel channel, LoadRunner.Step step,
      TransferWorkload workload) throws Exception {
    say(ORDO, step);
    LoadRunner.ClientFactory clients = step.inFlight() > 1
        ? () -> new OrdoPipelinedTransferClient(channel, step.inFlight())
        : () -> new OrdoTransferClient(channel, settings.rpcTimeout());
    LoadRunner.StepResult r = LoadRunner.run(ORDO, clients, workload, step, ordoCpu);
    report.add(r);
    done(r);
    return r;
  }

  /**
   * Reads all accounts in one transaction and records whether money was conserved.
   *
   * @throws Exception if the read cannot be sent
   */
  public void verifyOrdo(Channel channel) throws Exception {
    BankDemoReport.Verification v = BankDemo.verifyAccounts(
        channel, settings.accounts(), settings.expectedTotal(), settings.rpcTimeout());
    String detail = v.readError() != null ? "the all-accounts read failed: " + v.readError()
        : String.format(Locale.ROOT, "total %d (expected %d), %d accounts found, %d missing,"
            + " %d negative, %d not counters", v.totalBalance(), v.expectedTotal(),
            v.accountsFound(), v.missingAccounts(), v.negativeBalances(), v.nonCounterValues());
    report.verified(ORDO, new YcsbtReport.Verification(v.invariantHolds(), detail));
    say("ordo: money check %s: %s", v.invariantHolds() ? "OK" : "FAILED", detail);
  }

  /**
   * Recreates the accounts table, runs every step with one connection per client, then checks
   * the totals.
   *
   * @param bank the PostgreSQL database and table
   * @throws IllegalStateException if the server cannot be reached
   * @throws SQLException if a statement fails outside a transfer
   * @throws Exception if a client thread fails
   */
  public void runPostgres(PostgresBank bank) throws Exception {
    CpuMeter cpu = preparePostgres(bank);
    TransferWorkload workload = settings.workload();
    for (double rate : settings.rates()) {
      postgresStep(bank, step(rate), workload, cpu);
    }
    verifyPostgres(bank);
  }

  /**
   * Recreates and loads the accounts table; returns the CPU meter of the steps (with the server's
   * processes when the server is local).
   *
   * @throws IllegalStateException if the server cannot be reached
   * @throws SQLException if loading fails
   */
  public CpuMeter preparePostgres(PostgresBank bank) throws SQLException {
    String version;
    try {
      version = bank.serverVersion();
    } catch (SQLException e) {
      // The usual failure (no server, wrong user or database): say so in one line.
      throw new IllegalStateException("cannot reach PostgreSQL at " + bank.url() + " (SQLSTATE "
          + e.getSQLState() + "): " + e.getMessage(), e);
    }
    say("postgres: %s at %s, table %s", version, bank.url(), bank.table());
    long startNs = System.nanoTime();
    bank.recreate(settings.accounts(), settings.initialBalance());
    say("postgres: loaded %d accounts with %d each (%.1f s)", settings.accounts(),
        settings.initialBalance(), (System.nanoTime() - startNs) / 1e9);
    OptionalInt postmaster = isLocal(bank.url())
        ? bank.postmasterPid() : OptionalInt.empty();
    if (postmaster.isEmpty()) {
      say("postgres: server CPU not measured (not local, or /proc not readable)");
    }
    return new CpuMeter(postmaster);
  }

  /**
   * Runs one step against PostgreSQL, one connection per client, and adds its result to the
   * report.
   *
   * @throws IllegalStateException if the server refuses a client connection
   * @throws Exception if a client thread fails
   */
  public LoadRunner.StepResult postgresStep(PostgresBank bank, LoadRunner.Step step,
      TransferWorkload workload, CpuMeter cpu) throws Exception {
    say(POSTGRES, step);
    LoadRunner.StepResult r;
    try {
      r = LoadRunner.run(POSTGRES, bank::newClient, workload, step, cpu);
    } catch (SQLException e) {
      // Only opening the clients' connections throws: typically more clients than the
      // server's max_connections.
      throw new IllegalStateException("PostgreSQL refused one of " + step.clients()
          + " client connections (SQLSTATE " + e.getSQLState() + "; is --clients above its"
          + " max_connections?): " + e.getMessage(), e);
    }
    report.add(r);
    done(r);
    return r;
  }

  /** Sums the table and records whether money was conserved. */
  public void verifyPostgres(PostgresBank bank) throws SQLException {
    verifyTotals(POSTGRES, bank.totals());
  }

  /**
   * Recreates and loads the accounts table through Ordo's PostgreSQL port, runs every step with
   * one pgjdbc connection per client ({@link SqlTransferClient}), then checks the totals through
   * SQL. Ordo runs in this process or elsewhere: its CPU shows in the process' groups, no server
   * process is measured apart.
   *
   * @param channel a channel to the same gateway's gRPC endpoint, to wait until it serves; not
   *     closed here
   * @param bank the Ordo gateway's PostgreSQL port and the table
   * @throws IllegalStateException if the gateway does not serve or the port cannot be reached
   * @throws SQLException if a statement fails outside a transfer (loading, the check)
   * @throws Exception if a client thread fails
   */
  public void runOrdoSql(Channel channel, OrdoSqlBank bank) throws Exception {
    say("%s: waiting for the gateway to serve", ORDO_SQL);
    HealthProbe.awaitServing(channel, READY_TIMEOUT);
    long startNs = System.nanoTime();
    try {
      bank.recreate(settings.accounts(), settings.initialBalance(), settings.loadBatchSize());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot load the accounts through Ordo's PostgreSQL port at "
          + bank.url() + " (SQLSTATE " + e.getSQLState() + "): " + e.getMessage(), e);
    }
    say("%s: loaded %d accounts with %d each into table %s at %s (%.1f s)", ORDO_SQL,
        settings.accounts(), settings.initialBalance(), bank.table(), bank.url(),
        (System.nanoTime() - startNs) / 1e9);
    CpuMeter cpu = new CpuMeter(OptionalInt.empty());
    TransferWorkload workload = settings.workload();
    for (double rate : settings.rates()) {
      say(ORDO_SQL, step(rate));
      LoadRunner.StepResult r =
          LoadRunner.run(ORDO_SQL, bank::newClient, workload, step(rate), cpu);
      report.add(r);
      done(r);
    }
    verifyTotals(ORDO_SQL, bank.totals());
  }

  /** Records whether {@code t} shows every account, none negative and the money conserved. */
  private void verifyTotals(String target, PostgresBank.Totals t) {
    boolean ok = t.rows() == settings.accounts() && t.negative() == 0
        && t.total() == settings.expectedTotal();
    String detail = String.format(Locale.ROOT,
        "total %d (expected %d), %d rows (expected %d), %d negative", t.total(),
        settings.expectedTotal(), t.rows(), settings.accounts(), t.negative());
    report.verified(target, new YcsbtReport.Verification(ok, detail));
    say("%s: money check %s: %s", target, ok ? "OK" : "FAILED", detail);
  }

  private LoadRunner.Step step(double rate) {
    return new LoadRunner.Step(settings.clients(), settings.warmup(), settings.duration(), rate,
        settings.seed(), settings.inFlight());
  }

  private void say(String target, LoadRunner.Step step) {
    say("%s: %s, %d client%s%s, warmup %.1f s, measuring %.1f s", target,
        YcsbtReport.loadLabel(step.rate()), step.clients(), step.clients() == 1 ? "" : "s",
        step.inFlight() > 1 ? " x " + step.inFlight() + " in flight" : "",
        step.warmup().toMillis() / 1000.0, step.duration().toMillis() / 1000.0);
  }

  private void done(LoadRunner.StepResult r) {
    say("%s: %.1f committed/s, p50 %.2f ms, p99 %.2f ms, aborts %s, errors %s, retries %s",
        r.target(), r.committedPerSecond(), YcsbtReport.ms(r.latency(), 50.0),
        YcsbtReport.ms(r.latency(), 99.0), r.aborts(), r.errors(), r.retries());
  }

  /** True iff the JDBC URL names this machine (so /proc shows the server's processes). */
  static boolean isLocal(String url) {
    String rest = url.substring("jdbc:postgresql:".length());
    if (!rest.startsWith("//")) {
      return true; // jdbc:postgresql:db means localhost
    }
    String host = rest.substring(2).split("[:/?]", 2)[0];
    return host.isEmpty() || host.equals("localhost") || host.startsWith("127.")
        || host.equals("[::1]");
  }

  private void say(String format, Object... args) {
    status.println("ordo bench: " + String.format(Locale.ROOT, format, args));
    status.flush();
  }
}
