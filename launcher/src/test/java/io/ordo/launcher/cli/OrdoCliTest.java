package io.ordo.launcher.cli;

import static io.ordo.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.launcher.demo.BankDemoConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Parses command lines in-process. Every case that is not help or version is a usage error, found
 * before anything is started (no broker, no MiniCluster).
 */
class OrdoCliTest {
  /** Exit code, stdout and stderr of one run. */
  @Test
  void helpListsTheSubcommands() {
    CliRun run = run("--help");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(run.out()).contains("Usage: ordo").contains("start").contains("demo");
  }

  @Test
  void subcommandHelpListsItsOptions() {
    CliRun demo = run("demo", "--help");
    assertThat(demo.exitCode()).isZero();
    assertThat(demo.out()).contains("--accounts").contains("--theta").contains("--json-summary")
        .contains("--target").contains("Default: 10000").contains("Default: 30s");
    CliRun start = run("help", "start");
    assertThat(start.exitCode()).isZero();
    assertThat(start.out()).contains("--data-dir").contains("--grpc-port").contains("6570");
  }

  @Test
  void demoDefaultsAreTheWorkloadDefaults() {
    CommandLine cli = OrdoCli.newCommandLine();
    CommandLine.ParseResult parsed = cli.parseArgs("demo");
    DemoCommand demo = parsed.subcommand().commandSpec().commandLine().getCommand();
    assertThat(demo.config()).isEqualTo(BankDemoConfig.defaults());
  }

  @Test
  void demoOptionsReachTheWorkload() {
    CommandLine cli = OrdoCli.newCommandLine();
    CommandLine.ParseResult parsed = cli.parseArgs("demo", "--accounts", "200", "--clients=4",
        "--duration", "2m", "--theta", "0.5", "--seed", "7", "--no-progress");
    DemoCommand demo = parsed.subcommand().commandSpec().commandLine().getCommand();
    BankDemoConfig config = demo.config();
    assertThat(config.accounts()).isEqualTo(200);
    assertThat(config.clients()).isEqualTo(4);
    assertThat(config.duration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.theta()).isEqualTo(0.5);
    assertThat(config.seed()).isEqualTo(7);
    assertThat(config.progress()).isFalse();
  }

  @Test
  void versionNamesOrdoAndKafka() {
    CliRun run = run("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("ordo ").contains("Kafka 4.2");
  }

  @Test
  void gatewayNeedsKafkaAndMapsItsOptionsToTheGatewayConfig() {
    CliRun missing = run("gateway");
    assertThat(missing.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(missing.err()).contains("--bootstrap-servers");

    CommandLine.ParseResult parsed =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--topic-prefix", "prod", "--grpc-port", "7000",
                "--http-port", "0", "--bind-address", "0.0.0.0");
    GatewayCommand gateway = parsed.subcommand().commandSpec().commandLine().getCommand();
    io.ordo.gateway.GatewayConfig config = gateway.config();
    assertThat(config.bootstrapServers()).isEqualTo("k1:9092");
    assertThat(config.topics().logTopic()).isEqualTo("prod-log");
    assertThat(config.grpcPort()).isEqualTo(7000);
    assertThat(config.httpPort()).isZero();
    assertThat(config.bindAddress()).isEqualTo("0.0.0.0");
    assertThat(config.dataDir()).contains(Path.of("ordo-data/gateway-store"));
    assertThat(config.topics().replicationFactor()).isEqualTo((short) 1);
    GatewayCommand replicated =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--replication-factor", "3")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(replicated.config().topics().replicationFactor()).isEqualTo((short) 3);
    CliRun badReplication = run("gateway", "--bootstrap-servers", "k1:9092", "--replication-factor", "0");
    assertThat(badReplication.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badReplication.err()).contains("replicationFactor must be >= 1");
    GatewayCommand withDir =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--data-dir", "/var/ordo/gw-1")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(withDir.config().dataDir()).contains(Path.of("/var/ordo/gw-1"));
    assertThat(config.ingest()).isTrue();
    assertThat(withDir.config().ingest()).isTrue();
    GatewayCommand noIngest =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--no-ingest")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(noIngest.config().ingest()).isFalse();
    assertThat(config.heartbeatIntervalMs()).isEqualTo(io.ordo.gateway.GatewayConfig.DEFAULT_HEARTBEAT_INTERVAL_MS);
    GatewayCommand slowHeartbeats =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--heartbeat-interval-ms", "10")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(slowHeartbeats.config().heartbeatIntervalMs()).isEqualTo(10);
    CliRun badHeartbeat = run("gateway", "--bootstrap-servers", "k1:9092", "--heartbeat-interval-ms", "-1");
    assertThat(badHeartbeat.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badHeartbeat.err()).contains("heartbeatIntervalMs must be >= 0");

    CliRun badPort = run("gateway", "--bootstrap-servers", "k1:9092", "--grpc-port", "70000");
    assertThat(badPort.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badPort.err()).contains("70000");
  }

  @Test
  void metricsPortsReachTheGatewayAndTheEmbeddedOptions() {
    GatewayCommand gateway =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--metrics-port", "9464")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(gateway.config().metricsPort()).isEqualTo(9464);
    GatewayCommand without =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(without.config().metricsPort()).isEqualTo(io.ordo.gateway.GatewayConfig.NO_METRICS_PORT);
    CliRun badMetricsPort = run("gateway", "--bootstrap-servers", "k1:9092", "--metrics-port", "70000");
    assertThat(badMetricsPort.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badMetricsPort.err()).contains("metricsPort");

    CliRun startHelp = run("start", "--help");
    assertThat(startHelp.out()).contains("--metrics-port").contains("--executor-metrics-port");
  }

  @Test
  void sqlPortAndKeyRangesReachTheGatewayConfig() {
    GatewayCommand gateway =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--pg-port", "5433", "--key-ranges", "64")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(gateway.config().pgPort()).isEqualTo(5433);
    assertThat(gateway.config().keyRangeCount()).isEqualTo(64);
    GatewayCommand defaults =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(defaults.config().pgPort()).isEqualTo(io.ordo.gateway.GatewayConfig.DEFAULT_PG_PORT);
    assertThat(defaults.config().keyRangeCount())
        .isEqualTo(io.ordo.executor.ExecutorConfig.DEFAULT_KEY_RANGE_COUNT);
    GatewayCommand off =
        OrdoCli.newCommandLine()
            .parseArgs("gateway", "--bootstrap-servers", "k1:9092", "--pg-port", "0")
            .subcommand().commandSpec().commandLine().getCommand();
    assertThat(off.config().pgPort()).isEqualTo(io.ordo.gateway.GatewayConfig.NO_PG_PORT);

    CliRun badRanges = run("gateway", "--bootstrap-servers", "k1:9092", "--key-ranges", "0");
    assertThat(badRanges.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badRanges.err()).contains("keyRangeCount");
    CliRun badPg = run("gateway", "--bootstrap-servers", "k1:9092", "--pg-port", "70000");
    assertThat(badPg.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badPg.err()).contains("pgPort");
    assertThat(run("gateway", "--help").out()).contains("--key-ranges=N").contains("must");
    assertThat(run("start", "--help").out()).contains("--pg-port");
  }

  @Test
  void missingSubcommandIsAUsageError() {
    CliRun run = run();
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(run.err()).contains("Missing required subcommand").contains("Try 'ordo --help'");
  }

  @Test
  void unknownSubcommandOrOptionIsAUsageError() {
    CliRun unknownCommand = run("frobnicate");
    assertThat(unknownCommand.exitCode()).isEqualTo(2);
    assertThat(unknownCommand.err()).contains("frobnicate");
    CliRun unknownOption = run("demo", "--bogus");
    assertThat(unknownOption.exitCode()).isEqualTo(2);
    assertThat(unknownOption.err()).contains("Unknown option: '--bogus'");
  }

  @Test
  void badDurationIsAUsageErrorNamingTheOption() {
    CliRun run = run("demo", "--duration", "5x");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--duration").contains("'5x' is not a duration")
        .contains("Try 'ordo demo --help'").doesNotContain("Usage:");
  }

  @Test
  void malformedNumberIsAUsageError() {
    CliRun run = run("demo", "--accounts", "many");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--accounts").contains("many");
  }

  @Test
  void outOfRangeDemoValuesAreUsageErrors() {
    CliRun theta = run("demo", "--theta", "1.5");
    assertThat(theta.exitCode()).isEqualTo(2);
    assertThat(theta.err()).contains("theta must be in [0, 1), got 1.5");
    CliRun accounts = run("demo", "--accounts", "20000");
    assertThat(accounts.exitCode()).isEqualTo(2);
    assertThat(accounts.err()).contains("accounts must be in [2, 10000]");
    CliRun duration = run("demo", "--duration", "0");
    assertThat(duration.exitCode()).isEqualTo(2);
    assertThat(duration.err()).contains("duration must be in (0, 24h]");
    CliRun clients = run("demo", "--clients", "0");
    assertThat(clients.exitCode()).isEqualTo(2);
    assertThat(clients.err()).contains("clients must be in [1, 1024]");
  }

  @Test
  void targetCannotBeCombinedWithEmbeddedOptions(@TempDir Path dir) {
    CliRun run = run("demo", "--target", "localhost:1", "--data-dir", dir.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--target").contains("--data-dir");
    CliRun parallelism = run("demo", "--target", "localhost:1", "--parallelism", "2");
    assertThat(parallelism.exitCode()).isEqualTo(2);
    assertThat(parallelism.err()).contains("cannot be combined");
  }

  @Test
  void badExecutorOptionOfDemoIsAUsageErrorAndLeavesNoDirectory(@TempDir Path dir)
      throws Exception {
    Path dataDir = dir.resolve("demo-data");
    CliRun run = run("demo", "--data-dir", dataDir.toString(), "--parallelism", "0");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("parallelism must be >= 1, got 0");
    assertThat(Files.exists(dataDir)).isFalse();
  }

  @Test
  void outOfRangeStartValuesAreUsageErrors(@TempDir Path dir) {
    CliRun port = run("start", "--data-dir", dir.toString(), "--grpc-port", "70000");
    assertThat(port.exitCode()).isEqualTo(2);
    assertThat(port.err()).contains("gRPC port must be in [0, 65535], got 70000");
    CliRun keyRanges = run("start", "--data-dir", dir.toString(), "--key-ranges", "0");
    assertThat(keyRanges.exitCode()).isEqualTo(2);
    assertThat(keyRanges.err()).contains("key range count must be >= 1");
    CliRun checkpoint = run("start", "--data-dir", dir.toString(), "--checkpoint-interval-ms", "-5");
    assertThat(checkpoint.exitCode()).isEqualTo(2);
    assertThat(checkpoint.err()).contains("checkpoint interval must be >= 1 ms");
    CliRun heartbeat = run("start", "--data-dir", dir.toString(), "--heartbeat-interval-ms", "0");
    assertThat(heartbeat.exitCode()).isEqualTo(2);
    assertThat(heartbeat.err()).contains("heartbeat interval must be >= 1 ms, got 0");
    CliRun buffer = run("start", "--data-dir", dir.toString(), "--buffer-timeout-ms", "-1");
    assertThat(buffer.exitCode()).isEqualTo(2);
    assertThat(buffer.err()).contains("buffer timeout must be >= 0 ms, got -1");
    CliRun shutdown = run("start", "--data-dir", dir.toString(), "--shutdown-timeout", "0s");
    assertThat(shutdown.exitCode()).isEqualTo(2);
    assertThat(shutdown.err()).contains("--shutdown-timeout must be positive");
  }

  @Test
  void describeJoinsCauseMessagesWithoutRepeats() {
    Exception e = new IllegalStateException("cannot start",
        new RuntimeException("broker failed", new RuntimeException("broker failed")));
    assertThat(OrdoCli.describe(e)).isEqualTo("cannot start: broker failed");
  }
}
