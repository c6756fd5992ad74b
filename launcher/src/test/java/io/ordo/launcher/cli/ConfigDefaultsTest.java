package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.gateway.GatewayConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Options from flags, ORDO_* environment variables and the --config file, in that order. */
class ConfigDefaultsTest {
  @TempDir Path dir;

  private static GatewayConfig gateway(Map<String, String> env, String... args) {
    CommandLine.ParseResult parsed = OrdoCli.newCommandLine(env).parseArgs(args);
    GatewayCommand command = parsed.subcommand().commandSpec().commandLine().getCommand();
    return command.config();
  }

  private static CliRun run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine(env);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  @Test
  void flagsWinOverEnvironmentWhichWinsOverTheFileWhichWinsOverDefaults() throws Exception {
    Path file = write("ordo.properties", "bootstrap-servers=file:9092\ngrpc-port=7001\nhttp-port=7101\n"
        + "topic-prefix=fromfile\n");
    Map<String, String> env = Map.of("ORDO_GRPC_PORT", "7002", "ORDO_HTTP_PORT", "7102");

    GatewayConfig all = gateway(env, "gateway", "--config", file.toString(), "--grpc-port", "7003");
    assertThat(all.grpcPort()).as("flag").isEqualTo(7003);
    assertThat(all.httpPort()).as("environment").isEqualTo(7102);
    assertThat(all.topics().logTopic()).as("file").isEqualTo("fromfile-log");
    assertThat(all.bootstrapServers()).as("a required option, from the file").isEqualTo("file:9092");
    assertThat(all.bindAddress()).as("default").isEqualTo("127.0.0.1");

    GatewayConfig noFile = gateway(Map.of("ORDO_BOOTSTRAP_SERVERS", "env:9092"), "gateway");
    assertThat(noFile.bootstrapServers()).isEqualTo("env:9092");
    assertThat(noFile.grpcPort()).isEqualTo(6570);
  }

  @Test
  void yamlFilesNestAndQualifiedKeysWinForTheirCommand() throws Exception {
    Path file = write("ordo.yaml", """
        bootstrap-servers: [kafka-1:9092, kafka-2:9092]
        replication-factor: 3
        grpc-port: 7001
        ordo:
          gateway:
            grpc-port: 7002
          start:
            grpc-port: 7003
        """);
    GatewayConfig config = gateway(Map.of(), "gateway", "--config", file.toString());
    assertThat(config.bootstrapServers()).isEqualTo("kafka-1:9092,kafka-2:9092");
    assertThat(config.topics().replicationFactor()).isEqualTo((short) 3);
    assertThat(config.grpcPort()).isEqualTo(7002);
  }

  @Test
  void theFileComesFromAParentCommandOrOrdoConfigAndBooleansFromTheEnvironment() throws Exception {
    Path file = write("gw.properties", "bootstrap-servers=k:1\n");
    assertThat(gateway(Map.of(), "--config", file.toString(), "gateway").bootstrapServers()).isEqualTo("k:1");
    GatewayConfig fromEnv = gateway(
        Map.of("ORDO_CONFIG", file.toString(), "ORDO_NO_INGEST", "true"), "gateway");
    assertThat(fromEnv.bootstrapServers()).isEqualTo("k:1");
    assertThat(fromEnv.ingest()).isFalse();
    // A flag names another file than ORDO_CONFIG: the flag's.
    Path other = write("other.properties", "bootstrap-servers=other:1\n");
    assertThat(gateway(Map.of("ORDO_CONFIG", file.toString()), "gateway", "--config", other.toString())
        .bootstrapServers()).isEqualTo("other:1");
  }

  @Test
  void unknownKeysAndMissingFilesAreUsageErrors() throws Exception {
    Path typo = write("typo.properties", "bootstrap-servers=k:1\ngrpc-prot=7000\n");
    CliRun run = run(Map.of(), "gateway", "--config", typo.toString());
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(run.err()).contains("has keys that name no option: [grpc-prot]");

    CliRun missing = run(Map.of(), "gateway", "--config", dir.resolve("nope.yaml").toString());
    assertThat(missing.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(missing.err()).contains("nope.yaml does not exist");

    CliRun badValue = run(Map.of("ORDO_BOOTSTRAP_SERVERS", "k:1", "ORDO_GRPC_PORT", "many"), "gateway");
    assertThat(badValue.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badValue.err()).contains("many");
  }

  @Test
  void environmentVariableNamesFollowTheLongOptionNames() {
    assertThat(ConfigDefaults.environmentVariable("--bootstrap-servers")).isEqualTo("ORDO_BOOTSTRAP_SERVERS");
    assertThat(ConfigDefaults.environmentVariable("--no-ingest")).isEqualTo("ORDO_NO_INGEST");
    CliRun help = run(Map.of(), "gateway", "--help");
    assertThat(help.out()).contains("--config=FILE").contains("ORDO_CONFIG");
  }
}
