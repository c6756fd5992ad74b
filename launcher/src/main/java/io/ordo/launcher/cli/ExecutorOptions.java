package io.ordo.launcher.cli;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.launcher.embedded.LatencyKnobs;
import io.ordo.sequencer.KafkaClientSettings;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that start an embedded Ordo: which Kafka to use and how to run
 * the executor job. Unset values keep the executor's defaults.
 */
public final class ExecutorOptions {
  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      description = "Use this Kafka instead of starting the embedded broker.")
  String bootstrapServers;

  @Mixin KafkaClientOptions kafkaClient = new KafkaClientOptions();

  @Option(
      names = "--key-ranges",
      paramLabel = "N",
      description = "Number of key ranges of the executor (default: the executor's).")
  Integer keyRanges;

  @Option(
      names = "--parallelism",
      paramLabel = "N",
      description = "Parallelism of the executor job (default: the executor's).")
  Integer parallelism;

  @Option(
      names = "--checkpoint-interval-ms",
      paramLabel = "MS",
      description = "Checkpoint interval of the executor job in ms while the log moves; an idle job takes no checkpoints (default: the executor's).")
  Long checkpointIntervalMs;

  @Option(
      names = "--heartbeat-interval-ms",
      paramLabel = "MS",
      description = "Latency knob: heartbeat interval of the gateway's sequencer per idle log"
          + " partition in ms (default: the gateway's).")
  Long heartbeatIntervalMs;

  @Option(
      names = "--watermark-interval-ms",
      paramLabel = "MS",
      description = "Latency knob: watermark interval of the executor's log source in ms, 0"
          + " emits them with the records, without a timer (default: the executor's).")
  Long watermarkIntervalMs;

  @Option(
      names = "--buffer-timeout-ms",
      paramLabel = "MS",
      description = "Latency knob: Flink network buffer timeout of the executor job in ms, 0"
          + " flushes every record (default: the executor's).")
  Long bufferTimeoutMs;

  /**
   * The options that only shape an Ordo this command starts (every one but --key-ranges, which a
   * client also needs to know how keys map to ranges), as the help names them.
   */
  static final String EMBEDDED_ONLY = "--bootstrap-servers, " + KafkaClientOptions.NAMES
      + ", --parallelism, --checkpoint-interval-ms, --heartbeat-interval-ms,"
      + " --watermark-interval-ms, --buffer-timeout-ms";

  /** True iff any of these options was given. */
  boolean anySet() {
    return keyRanges != null || anyEmbeddedOnlySet();
  }

  /** True iff any option of {@link #EMBEDDED_ONLY} was given. */
  boolean anyEmbeddedOnlySet() {
    return bootstrapServers != null
        || kafkaClient.anySet()
        || parallelism != null
        || checkpointIntervalMs != null
        || heartbeatIntervalMs != null
        || watermarkIntervalMs != null
        || bufferTimeoutMs != null;
  }

  /**
   * Applies these options to {@code options}.
   *
   * @throws IllegalArgumentException if a value is out of range, or a Kafka client option is bad
   *     (see {@link KafkaClientOptions#settings})
   */
  EmbeddedOrdo.Options applyTo(EmbeddedOrdo.Options options) {
    Optional<KafkaClientSettings> kafka = kafkaClient.settings(bootstrapServers);
    EmbeddedOrdo.Options withKafka =
        kafka.isPresent()
            ? options.withKafka(kafka.get())
            : options.withBootstrapServers(Optional.empty());
    return withKafka
        .withExecutor(
            keyRanges == null ? OptionalInt.empty() : OptionalInt.of(keyRanges),
            parallelism == null ? OptionalInt.empty() : OptionalInt.of(parallelism),
            checkpointIntervalMs == null
                ? OptionalLong.empty()
                : OptionalLong.of(checkpointIntervalMs))
        .withLatency(new LatencyKnobs(optional(heartbeatIntervalMs), optional(watermarkIntervalMs),
            optional(bufferTimeoutMs)));
  }

  private static OptionalLong optional(Long value) {
    return value == null ? OptionalLong.empty() : OptionalLong.of(value);
  }
}
