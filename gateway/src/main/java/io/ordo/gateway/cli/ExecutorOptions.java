package io.ordo.gateway.cli;

import io.ordo.gateway.embedded.EmbeddedOrdo;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
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
      description = "Checkpoint interval of the executor job in ms (default: the executor's).")
  Long checkpointIntervalMs;

  /** True iff any of these options was given. */
  boolean anySet() {
    return bootstrapServers != null
        || keyRanges != null
        || parallelism != null
        || checkpointIntervalMs != null;
  }

  /**
   * Applies these options to {@code options}.
   *
   * @throws IllegalArgumentException if a value is out of range
   */
  EmbeddedOrdo.Options applyTo(EmbeddedOrdo.Options options) {
    return options
        .withBootstrapServers(Optional.ofNullable(bootstrapServers))
        .withExecutor(
            keyRanges == null ? OptionalInt.empty() : OptionalInt.of(keyRanges),
            parallelism == null ? OptionalInt.empty() : OptionalInt.of(parallelism),
            checkpointIntervalMs == null
                ? OptionalLong.empty()
                : OptionalLong.of(checkpointIntervalMs));
  }
}
