package io.ordo.launcher.cli;

import io.ordo.sequencer.KafkaClientSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/**
 * The Kafka client settings of the commands that talk to a Kafka cluster given by {@code
 * --bootstrap-servers}: {@code --kafka-config FILE} (a Kafka client properties file, the kind
 * {@code kafka-console-producer.sh --command-config} takes) and {@code --kafka-property
 * NAME=VALUE} (repeatable; wins over the file). Every Kafka client of the command gets them; see
 * {@link KafkaClientSettings} for the rules. Like every option they may also come from {@code
 * ORDO_KAFKA_CONFIG} or a config file's {@code kafka-config} key; {@code ORDO_KAFKA_PROPERTY}
 * holds a single {@code NAME=VALUE}, so more than one property belongs in the file.
 */
public final class KafkaClientOptions {
  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Kafka client properties file for a secured Kafka (security.protocol, sasl.*, ssl.*;"
              + " as kafka-console-producer --command-config takes), given to every Kafka client;"
              + " needs --bootstrap-servers.")
  Path kafkaConfig;

  @Option(
      names = "--kafka-property",
      paramLabel = "NAME=VALUE",
      description =
          "One Kafka client property for every Kafka client (repeatable; wins over"
              + " --kafka-config), e.g. security.protocol=SASL_SSL. Secrets are safer in the"
              + " --kafka-config file: arguments show in process lists.")
  List<String> kafkaProperties;

  /** The option names, as the help shows them. */
  static final String NAMES = "--kafka-config, --kafka-property";

  /** True iff either option was given. */
  boolean anySet() {
    return kafkaConfig != null || (kafkaProperties != null && !kafkaProperties.isEmpty());
  }

  /**
   * The client settings of the cluster at {@code bootstrapServers}: the file's properties, then
   * the single ones on top.
   *
   * @param bootstrapServers the servers, or null when the command starts its own broker
   * @return empty when {@code bootstrapServers} is null (and no option is given)
   * @throws IllegalArgumentException naming the bad option, file or property; when an option is
   *     given without {@code bootstrapServers}; or when the file cannot be read (a usage error
   *     like a missing file)
   */
  Optional<KafkaClientSettings> settings(String bootstrapServers) {
    if (bootstrapServers == null) {
      if (anySet()) {
        throw new IllegalArgumentException(
            NAMES + " describe how to reach an external Kafka: give its --bootstrap-servers too"
                + " (the embedded broker speaks plain text without authentication)");
      }
      return Optional.empty();
    }
    Map<String, String> overrides = new TreeMap<>();
    if (kafkaProperties != null) {
      for (String property : kafkaProperties) {
        Map.Entry<String, String> e = KafkaClientSettings.parseProperty(property);
        if (overrides.put(e.getKey(), e.getValue()) != null) {
          throw new IllegalArgumentException("--kafka-property " + e.getKey() + " is given twice");
        }
      }
    }
    try {
      return Optional.of(
          KafkaClientSettings.resolve(bootstrapServers, Optional.ofNullable(kafkaConfig), overrides));
    } catch (java.io.UncheckedIOException e) {
      throw new IllegalArgumentException(e.getMessage() + ": " + e.getCause().getMessage(), e);
    }
  }
}
