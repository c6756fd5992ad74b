package io.ordo.launcher.cli;

import static io.ordo.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Option validation of {@code ordo bench}: bad values end in a usage error before any run. */
class BenchCommandTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
    "--theta 1.0|--theta must be in [0, 1)",
    "--theta -0.5|--theta must be in [0, 1)",
    "--cross-range-pct 101|--cross-range-pct must be in [0, 100]",
    "--cross-range-pct -1|--cross-range-pct must be in [0, 100]",
    "--clients 0|--clients must be in [1, 1024]",
    "--accounts 1|--accounts must be in [2, 10000]",
    "--accounts 20000|--accounts must be in [2, 10000]",
    "--duration 0s|--duration must be in (0, 24h]",
    "--warmup 25h|--warmup must be in [0, 24h]",
    "--rate -5|--rate must be a positive number",
    "--rate 0|--rate must be a positive number",
    "--rates 100,0|--rates must list positive transfers/s",
    "--rate 10 --rates 10,20|--rate and --rates are mutually exclusive",
    "--max-amount 0|--max-amount must be >= 1",
    "--target mysql|Invalid value for option '--target'",
    "--target ordo,mysql|but got 'mysql'",
    "--target ordo,,postgres|an entry is empty",
    "--target ordo-sql --pg-table Bad|the table name must match",
    "--ordo-sql-url jdbc:postgresql://h:1/x|--ordo-sql-url names a running Ordo's",
    "--target ordo --gateway 127.0.0.1:1 --ordo-sql-url jdbc:postgresql://h:1/x|needs --gateway and --target ordo-sql",
    "--target ordo-sql --gateway 127.0.0.1:1 --ordo-sql-url jdbc:mysql://x|must start with jdbc:",
    "--theta abc|Invalid value for option '--theta'",
    "--target postgres --pg-table drop;table|the table name must match",
    "--target postgres --pg-url jdbc:mysql://x/y|must start with jdbc:postgresql:",
    "--target postgres --gateway 127.0.0.1:1|--gateway runs against a running Ordo",
    "--gateway 127.0.0.1:1 --parallelism 2|--gateway runs against a running Ordo",
    "--gateway 127.0.0.1:1 --watermark-interval-ms 2|--gateway runs against a running Ordo",
    "--gateway 127.0.0.1:1 --buffer-timeout-ms 1|takes none of --bootstrap-servers, --kafka-config, --kafka-property, --parallelism",
    "--gateway 127.0.0.1:1 --bootstrap-servers 127.0.0.1:1|--gateway runs against a running Ordo",
    "--gateway 127.0.0.1:1 --checkpoint-interval-ms 500|--gateway runs against a running Ordo",
    "--key-ranges 1 --cross-range-pct 10|no transfer can span two ranges",
    "--pipelined 0|--pipelined must be in [1, 1024]",
    "--pipelined 2000|--pipelined must be in [1, 1024]",
    "--pipelined 8 --target both|--pipelined applies to Ordo's transaction API only",
    "--quick|--quick needs --profile standard",
    "--profile fast|--profile must be 'standard', got 'fast'",
    "--profile standard --clients 8|--clients does not combine with --profile",
    "--profile standard --rate 10|--rate does not combine with --profile",
    "--profile standard --cross-range-pct 0|--cross-range-pct does not combine with --profile",
    "--profile standard --gateway 127.0.0.1:1|--gateway does not combine with --profile",
    "--profile standard --pipelined 1|--pipelined must be in [2, 1024] for the profile",
    "--profile standard --target ordo-sql|--profile runs --target both (the default) or ordo",
  })
  void badYcsbtOptionIsAUsageError(String options, String message) {
    String[] args = (
        "bench ycsbt --out " + System.getProperty("java.io.tmpdir") + "/ordo-bench-never "
            + options).split(" ");
    CliRun r = run(args);
    assertThat(r.exitCode()).as("stderr: %s", r.err()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("ordo bench ycsbt: ").contains(message)
        .contains("Try 'ordo bench ycsbt --help'");
  }

  @Test
  void kafkaCeilingMustBeAKafkaResultsFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path notKafka = dir.resolve("results.json");
    java.nio.file.Files.writeString(notKafka, "{\"benchmark\":\"ycsbt\"}");
    CliRun r = run("bench", "ycsbt", "--kafka-ceiling", notKafka.toString());
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("is not a results.json of `ordo bench kafka`");
    r = run("bench", "ycsbt", "--kafka-ceiling", dir.resolve("missing.json").toString());
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("cannot be read");
  }

  @Test
  void unreachablePostgresIsOneClearError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    // Port 1 on loopback refuses connections at once.
    CliRun r = run("bench", "ycsbt", "--target", "postgres", "--pg-url",
        "jdbc:postgresql://127.0.0.1:1/test", "--warmup", "0s", "--duration", "1s",
        "--out", dir.toString());
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(r.err()).contains("ordo bench ycsbt: error: cannot reach PostgreSQL at"
        + " jdbc:postgresql://127.0.0.1:1/test");
    // The (empty) report is still written, and says why it did not pass.
    assertThat(dir.resolve("results.json")).exists();
    assertThat(r.out()).contains("Result: FAILED: nothing was measured");
  }

  @Test
  void badKafkaOptionIsAUsageError() {
    CliRun r = run("bench", "kafka", "--in-flight", "0");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--in-flight must be in [1, 1000000]");
    r = run("bench", "kafka", "--duration", "0s");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--duration must be positive");
  }

  @Test
  void benchWithoutSubcommandIsAUsageErrorAndHelpListsBoth() {
    CliRun r = run("bench");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("Missing required subcommand");
    CliRun help = run("bench", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("ycsbt").contains("kafka");
  }

  @Test
  void targetListKeepsTheGivenOrderDropsRepeatsAndBothIsOrdoAndPostgres() {
    BenchYcsbtCommand command = new BenchYcsbtCommand();
    CommandLine cli = new CommandLine(command);
    cli.parseArgs();
    assertThat(command.target.names()).containsExactly("ordo");
    cli.parseArgs("--target", "ordo,ordo-sql");
    assertThat(command.target.names()).containsExactly("ordo", "ordo-sql");
    cli.parseArgs("--target", "postgres, ordo-sql,postgres");
    assertThat(command.target.names()).containsExactly("postgres", "ordo-sql");
    cli.parseArgs("--target", "both");
    assertThat(command.target.names()).containsExactly("ordo", "postgres");
    cli.parseArgs("--target", "ordo-sql,both");
    assertThat(command.target.names()).containsExactly("ordo-sql", "ordo", "postgres");
    assertThat(command.target.has("ordo-sql")).isTrue();
  }

  @Test
  void remoteOrdoSqlUrlDefaultsToTheGatewaysHostOnThePostgresPort() {
    assertThat(BenchYcsbtCommand.defaultOrdoSqlUrl("db.example:6570"))
        .isEqualTo("jdbc:postgresql://db.example:6566/ordo");
    assertThat(BenchYcsbtCommand.defaultOrdoSqlUrl("[::1]:6570"))
        .isEqualTo("jdbc:postgresql://[::1]:6566/ordo");
  }

  @Test
  void defaultsAreTheIssuesWorkload() {
    BenchYcsbtCommand command = new BenchYcsbtCommand();
    CommandLine cli = new CommandLine(command);
    cli.parseArgs();
    var s = command.settings();
    assertThat(s.accounts()).isEqualTo(10_000);
    assertThat(s.theta()).isEqualTo(0.99);
    assertThat(s.crossRangePct()).isEqualTo(OptionalInt.empty());
    assertThat(s.keyRanges()).isEqualTo(16);
    assertThat(s.clients()).isEqualTo(16);
    assertThat(s.rates()).containsExactly(0.0);
    assertThat(s.inFlight()).isEqualTo(1);
    // Balances that do not run dry within a run (or the whole standard profile).
    assertThat(s.initialBalance()).isEqualTo(1_000_000);

    cli.parseArgs("--rates", "100,200.5", "--cross-range-pct", "100", "--key-ranges", "8",
        "--pipelined", "64");
    s = command.settings();
    assertThat(s.rates()).isEqualTo(List.of(100.0, 200.5));
    assertThat(s.crossRangePct()).isEqualTo(OptionalInt.of(100));
    assertThat(s.keyRanges()).isEqualTo(8);
    assertThat(s.inFlight()).isEqualTo(64);
  }

  @Test
  void cpuModelAndCommitAreReadWhereAvailable() {
    assertThat(BenchYcsbtCommand.cpuModel()).isNotBlank();
    assertThat(BenchYcsbtCommand.machine()).containsKeys("cores", "cpuModel", "jvm");
    // A hash (with -dirty for uncommitted changes) in a checkout, "unknown" elsewhere.
    assertThat(BenchYcsbtCommand.gitCommit()).matches("unknown|[0-9a-f]{4,40}(-dirty)?");
  }
}
