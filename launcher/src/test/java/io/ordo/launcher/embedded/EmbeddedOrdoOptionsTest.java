package io.ordo.launcher.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class EmbeddedOrdoOptionsTest {

  @Test
  void defaultParallelismIsOnePerTwoCoresBetweenOneAndTheExecutorsDefault() {
    assertThat(EmbeddedOrdo.defaultParallelism(1)).isEqualTo(1);
    assertThat(EmbeddedOrdo.defaultParallelism(2)).isEqualTo(1);
    assertThat(EmbeddedOrdo.defaultParallelism(3)).isEqualTo(1);
    assertThat(EmbeddedOrdo.defaultParallelism(4)).isEqualTo(2);
    assertThat(EmbeddedOrdo.defaultParallelism(64)).isEqualTo(2);
  }

  @Test
  void latencyKnobsAreKeptByEveryCopyAndValidated() {
    LatencyKnobs knobs = new LatencyKnobs(OptionalLong.of(3), OptionalLong.of(1), OptionalLong.of(0));
    EmbeddedOrdo.Options options =
        EmbeddedOrdo.Options.defaults(Path.of("data")).withLatency(knobs).withFreePorts().withPorts(1, 2, 3);
    assertThat(options.latency()).isEqualTo(knobs);
    assertThat(EmbeddedOrdo.Options.defaults(Path.of("data")).latency()).isEqualTo(LatencyKnobs.DEFAULTS);

    assertThatThrownBy(() -> new LatencyKnobs(OptionalLong.of(0), OptionalLong.empty(), OptionalLong.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("heartbeat interval must be >= 1 ms, got 0");
    assertThat(new LatencyKnobs(OptionalLong.empty(), OptionalLong.of(0), OptionalLong.empty())
            .watermarkIntervalMs())
        .as("0: watermarks with the records")
        .hasValue(0);
    assertThatThrownBy(() -> new LatencyKnobs(OptionalLong.empty(), OptionalLong.of(-1), OptionalLong.empty()))
        .hasMessage("watermark interval must be >= 0 ms, got -1");
    assertThatThrownBy(() -> new LatencyKnobs(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.of(-1)))
        .hasMessage("buffer timeout must be >= 0 ms, got -1");
  }

  @Test
  void thePostgresPortIsKeptByEveryCopyAndOffWithFreePorts() {
    EmbeddedOrdo.Options defaults = EmbeddedOrdo.Options.defaults(java.nio.file.Path.of("d"));
    org.assertj.core.api.Assertions.assertThat(defaults.pgPort()).isEqualTo(6566);
    EmbeddedOrdo.Options custom = defaults.withPgPort(5433).withPorts(1, 2, 3).withLatency(LatencyKnobs.DEFAULTS);
    org.assertj.core.api.Assertions.assertThat(custom.pgPort()).isEqualTo(5433);
    org.assertj.core.api.Assertions.assertThat(custom.withFreePorts().pgPort()).isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> defaults.withPgPort(70_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PostgreSQL port");
  }

  @Test
  void kafkaClientPropertiesAreKeptByEveryCopyAndNeedAnExternalKafka() {
    io.ordo.sequencer.KafkaClientSettings kafka =
        new io.ordo.sequencer.KafkaClientSettings(
            "k:9093", java.util.Map.of("security.protocol", "SSL"));
    EmbeddedOrdo.Options options =
        EmbeddedOrdo.Options.defaults(Path.of("d"))
            .withKafka(kafka)
            .withFreePorts()
            .withPorts(1, 2, 3)
            .withLatency(LatencyKnobs.DEFAULTS)
            .withPgPort(0)
            .withMetricsPorts(-1, -1);
    assertThat(options.kafka()).contains(kafka);
    assertThat(options.bootstrapServers()).contains("k:9093");
    assertThat(EmbeddedOrdo.Options.defaults(Path.of("d")).kafka()).isEmpty();
    assertThat(
            options
                .withKafka(
                    new io.ordo.sequencer.KafkaClientSettings(
                        "k:9093", java.util.Map.of("ssl.truststore.password", "do-not-log")))
                .toString())
        .contains("kafkaProperties={ssl.truststore.password=[hidden]}")
        .doesNotContain("do-not-log");

    // Properties without servers: the embedded broker speaks plain text.
    assertThatThrownBy(() -> options.withBootstrapServers(java.util.Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("give its --bootstrap-servers too");
    // Validated like any KafkaClientSettings.
    java.util.SortedMap<String, String> reserved = new java.util.TreeMap<>();
    reserved.put("group.id", "mine");
    assertThatThrownBy(
            () ->
                new EmbeddedOrdo.Options(
                    Path.of("d"), java.util.Optional.of("k:1"), 0, 0, 0,
                    java.util.OptionalInt.empty(), java.util.OptionalInt.empty(), OptionalLong.empty(),
                    LatencyKnobs.DEFAULTS, -1, -1, 0, io.ordo.gateway.auth.GatewaySecurity.NONE, reserved))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("group.id cannot be set");
  }
}
