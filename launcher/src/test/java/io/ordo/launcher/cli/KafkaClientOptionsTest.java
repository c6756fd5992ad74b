package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.gateway.GatewayConfig;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sequencer.KafkaClientSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code --kafka-config} and {@code --kafka-property} on the commands that talk to Kafka: parsed
 * through the real {@code ordo} parser (nothing is started), from flags, the environment and the
 * config file.
 */
class KafkaClientOptionsTest {
  private static final String JAAS =
      "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"ordo\""
          + " password=\"pw=1\";";

  @TempDir Path dir;

  private static <T> T command(Map<String, String> env, String... args) {
    CommandLine.ParseResult parsed = OrdoCli.newCommandLine(env).parseArgs(args);
    while (parsed.hasSubcommand()) {
      parsed = parsed.subcommand();
    }
    return parsed.commandSpec().commandLine().getCommand();
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

  private Path clientProperties() throws Exception {
    return Files.writeString(
        dir.resolve("client.properties"),
        "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\nsasl.jaas.config=" + JAAS
            + "\nssl.truststore.location=/etc/ordo/truststore.p12\n");
  }

  @Test
  void gatewayTakesTheFileAndRepeatedPropertiesWhichWin() throws Exception {
    Path file = clientProperties();
    GatewayCommand gateway =
        command(Map.of(), "gateway", "--bootstrap-servers", "k1:9093", "--kafka-config",
            file.toString(), "--kafka-property", "sasl.mechanism=SCRAM-SHA-512",
            "--kafka-property", "client.dns.lookup=use_all_dns_ips");
    KafkaClientSettings kafka = gateway.config().kafka();
    assertThat(kafka.bootstrapServers()).isEqualTo("k1:9093");
    assertThat(kafka.properties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", JAAS)
        .containsEntry("client.dns.lookup", "use_all_dns_ips")
        .hasSize(5);
  }

  @Test
  void aValueMayHoldEqualsSignsAndQuotes() {
    GatewayCommand gateway =
        command(Map.of(), "gateway", "--bootstrap-servers", "k:1", "--kafka-property",
            "sasl.jaas.config=" + JAAS);
    assertThat(gateway.config().kafka().properties()).containsExactly(Map.entry("sasl.jaas.config", JAAS));
  }

  @Test
  void theEnvironmentAndTheConfigFileNameTheClientFile() throws Exception {
    Path file = clientProperties();
    GatewayCommand fromEnv =
        command(Map.of("ORDO_BOOTSTRAP_SERVERS", "k:1", "ORDO_KAFKA_CONFIG", file.toString()),
            "gateway");
    assertThat(fromEnv.config().kafka().properties()).containsEntry("security.protocol", "SASL_SSL");

    Path ordoConfig =
        Files.writeString(
            dir.resolve("ordo.yaml"),
            "bootstrap-servers: k:1\nkafka-config: " + file + "\nkafka-property: client.dns.lookup=use_all_dns_ips\n");
    GatewayCommand fromFile = command(Map.of(), "gateway", "--config", ordoConfig.toString());
    assertThat(fromFile.config().kafka().properties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("client.dns.lookup", "use_all_dns_ips");

    // A flag replaces the environment's single property.
    GatewayCommand flagWins =
        command(Map.of("ORDO_BOOTSTRAP_SERVERS", "k:1", "ORDO_KAFKA_PROPERTY", "security.protocol=SSL"),
            "gateway", "--kafka-property", "security.protocol=SASL_SSL");
    assertThat(flagWins.config().kafka().properties()).containsExactly(Map.entry("security.protocol", "SASL_SSL"));
  }

  @Test
  void startPassesTheSettingsToTheEmbeddedOrdo() throws Exception {
    Path file = clientProperties();
    StartCommand start =
        command(Map.of(), "start", "--bootstrap-servers", "k:1", "--kafka-config", file.toString());
    EmbeddedOrdo.Options options = start.executorOptions.applyTo(EmbeddedOrdo.Options.defaults(dir));
    assertThat(options.kafka()).isPresent();
    assertThat(options.kafka().get().properties()).containsEntry("sasl.mechanism", "SCRAM-SHA-256");
    assertThat(options.kafka().get().bootstrapServers()).isEqualTo("k:1");

    StartCommand embedded = command(Map.of(), "start");
    assertThat(embedded.executorOptions.applyTo(EmbeddedOrdo.Options.defaults(dir)).kafka()).isEmpty();
  }

  @Test
  void badSettingsAreUsageErrorsThatShowNoSecret() throws Exception {
    CliRun withoutServers = run(Map.of(), "start", "--kafka-property", "security.protocol=SSL");
    assertThat(withoutServers.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(withoutServers.err()).contains("give its --bootstrap-servers too");

    CliRun reserved =
        run(Map.of(), "gateway", "--bootstrap-servers", "k:1", "--kafka-property", "isolation.level=read_uncommitted");
    assertThat(reserved.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(reserved.err()).contains("isolation.level cannot be set (--kafka-property)");

    CliRun noEquals =
        run(Map.of(), "gateway", "--bootstrap-servers", "k:1", "--kafka-property", "hunter2");
    assertThat(noEquals.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(noEquals.err()).contains("NAME=VALUE").doesNotContain("hunter2");

    CliRun missing =
        run(Map.of(), "gateway", "--bootstrap-servers", "k:1", "--kafka-config", dir.resolve("nope").toString());
    assertThat(missing.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(missing.err()).contains("nope does not exist");

    CliRun twice =
        run(Map.of(), "bench", "kafka", "--bootstrap-servers", "k:1", "--kafka-property", "a=1",
            "--kafka-property", "a=2");
    assertThat(twice.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(twice.err()).contains("--kafka-property a is given twice");
  }

  @Test
  void everyCommandWithBootstrapServersHasTheOptions() {
    for (String[] path :
        new String[][] {
          {"start"}, {"gateway"}, {"demo"}, {"bench", "kafka"}, {"bench", "ycsbt"}, {"bench", "stream"}
        }) {
      CommandLine cli = OrdoCli.newCommandLine(Map.of());
      for (String name : path) {
        cli = cli.getSubcommands().get(name);
      }
      assertThat(cli.getCommandSpec().findOption("--bootstrap-servers")).as(String.join(" ", path)).isNotNull();
      assertThat(cli.getCommandSpec().findOption("--kafka-config")).as(String.join(" ", path)).isNotNull();
      assertThat(cli.getCommandSpec().findOption("--kafka-property")).as(String.join(" ", path)).isNotNull();
    }
  }

  @Test
  void gatewayConfigCarriesThePlainSettingsWithoutOptions() {
    GatewayCommand gateway = command(Map.of(), "gateway", "--bootstrap-servers", "k:1");
    GatewayConfig config = gateway.config();
    assertThat(config.kafka()).isEqualTo(KafkaClientSettings.of("k:1"));
  }
}
