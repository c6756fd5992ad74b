package io.ordo.executor;

import io.ordo.executor.operators.KeyTransactionProcessorFunction;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.TopicLayout;
import java.util.Objects;

/**
 * Settings of the executor job.
 *
 * @param kafka how the job's Kafka clients (sources, sinks, the embedded executor's admin client)
 *     reach the cluster: bootstrap servers and a secured cluster's client properties
 * @param topics the topic layout (log, results, changelog, feedback)
 * @param keyRangeCount number of hash key ranges (the unit of data ownership), 1..65536; fixed
 *     for the life of a deployment: state is keyed by it (stored in checkpoints; a restore with
 *     another count is refused)
 * @param parallelism parallelism of the operators (sources use at most the partition count)
 * @param checkpointIntervalMs checkpoint interval, milliseconds (>= 10)
 * @param checkpointDir where checkpoints go (a path or URI such as file:///...), or null for none
 *     retained (a job without a checkpoint dir recovers by replaying the log from the start)
 * @param dedupWindowMs log-time window within which a repeated transaction id is a duplicate,
 *     milliseconds; fixed like the key range count (stored in checkpoints, a restore with another
 *     window is refused)
 * @param watermarkIntervalMs how often the log source emits watermarks, milliseconds; 0 (the
 *     default) emits one with every record that raises a partition's largest timestamp and runs
 *     no timer (an idle job then does nothing); with the heartbeat interval it sets the latency
 *     floor
 * @param consumerGroupId Kafka consumer group of the job's sources (offsets come from checkpoints;
 *     the group only labels the consumers)
 * @param bufferTimeoutMs how long a network buffer between operators may wait to fill before it is
 *     sent, milliseconds (0 = send every record at once; more CPU, less latency)
 * @param stateBackend where operator state lives between checkpoints: {@link StateBackend#HASHMAP}
 *     (Java heap, the default: no serialization per state access) or {@link StateBackend#ROCKSDB}
 *     (off-heap, incremental checkpoints; for state larger than the heap)
 * @param stallWarningMs log time, milliseconds (>= 1), after which a key range whose oldest
 *     transaction is still unfinished is reported: a warning log and the {@code stalled} gauge
 *     (docs/metrics.md); reporting only, it changes no output
 */
public record ExecutorConfig(
    KafkaClientSettings kafka,
    TopicLayout topics,
    int keyRangeCount,
    int parallelism,
    long checkpointIntervalMs,
    String checkpointDir,
    long dedupWindowMs,
    long watermarkIntervalMs,
    String consumerGroupId,
    long bufferTimeoutMs,
    StateBackend stateBackend,
    long stallWarningMs) {

  /** Flink state backends the job can run on (Flink's {@code state.backend.type}). */
  public enum StateBackend {
    /** Objects on the Java heap; each checkpoint writes the full state. */
    HASHMAP("hashmap"),
    /** Serialized in an embedded RocksDB; checkpoints are incremental. */
    ROCKSDB("rocksdb");

    private final String flinkName;

    StateBackend(String flinkName) {
      this.flinkName = flinkName;
    }

    /** The value of Flink's {@code state.backend.type} option. */
    public String flinkName() {
      return flinkName;
    }

    /** Parses "hashmap" or "rocksdb" (any case). @throws IllegalArgumentException otherwise */
    public static StateBackend parse(String name) {
      for (StateBackend b : values()) {
        if (b.flinkName.equalsIgnoreCase(name.trim())) {
          return b;
        }
      }
      throw new IllegalArgumentException("state backend must be hashmap or rocksdb, got '" + name + "'");
    }
  }

  /** Default key range count; the gateway's default too (it must equal the executor's). */
  public static final int DEFAULT_KEY_RANGE_COUNT = KeyRanges.DEFAULT_KEY_RANGE_COUNT;
  public static final int DEFAULT_PARALLELISM = 2;
  public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 1_000;
  public static final long DEFAULT_DEDUP_WINDOW_MS = 10 * 60 * 1_000;
  // Latency knobs, chosen on the steady-state benchmark (BENCHMARKS.md "Latency knobs"): with 1 ms
  // watermarks and buffer timeout (and 2 ms heartbeats) the latency floor is ~11 ms p50 instead of
  // ~39 ms with 10 / 5 ms, for ~0.1 core more at 100 txn/s on an embedded Ordo. Watermarks are
  // now emitted with the records (0): no later than a 1 ms timer, and no timer firing while idle.
  // Buffers are flushed with every record (0): no buffer waits for a timer at low load, and no
  // flusher threads wake a thousand times a second each while idle (~0.1 core with 1 ms).
  public static final long DEFAULT_WATERMARK_INTERVAL_MS = 0;
  public static final StateBackend DEFAULT_STATE_BACKEND = StateBackend.HASHMAP;
  public static final long DEFAULT_BUFFER_TIMEOUT_MS = 0;
  /** Default {@link #stallWarningMs}: 10 s of log time. */
  public static final long DEFAULT_STALL_WARNING_MS =
      KeyTransactionProcessorFunction.DEFAULT_STALL_WARNING_MS;

  public ExecutorConfig {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(topics, "topics");
    if (keyRangeCount < 1 || keyRangeCount > KeyRanges.KEY_RANGE_COUNT_MAX) {
      throw new IllegalArgumentException("keyRangeCount must be in [1, " + KeyRanges.KEY_RANGE_COUNT_MAX + "], got " + keyRangeCount);
    }
    if (parallelism < 1 || parallelism > 1024) {
      throw new IllegalArgumentException("parallelism must be in [1, 1024], got " + parallelism);
    }
    if (checkpointIntervalMs < 10) {
      throw new IllegalArgumentException("checkpointIntervalMs must be >= 10, got " + checkpointIntervalMs);
    }
    if (dedupWindowMs < 1) {
      throw new IllegalArgumentException("dedupWindowMs must be >= 1, got " + dedupWindowMs);
    }
    if (watermarkIntervalMs < 0) {
      throw new IllegalArgumentException("watermarkIntervalMs must be >= 0, got " + watermarkIntervalMs);
    }
    Objects.requireNonNull(consumerGroupId, "consumerGroupId");
    if (bufferTimeoutMs < 0 || bufferTimeoutMs > 1_000) {
      throw new IllegalArgumentException("bufferTimeoutMs must be in [0, 1000], got " + bufferTimeoutMs);
    }
    Objects.requireNonNull(stateBackend, "stateBackend");
    if (stallWarningMs < 1) {
      throw new IllegalArgumentException("stallWarningMs must be >= 1, got " + stallWarningMs);
    }
  }

  /** Settings for a plain-text cluster at {@code bootstrapServers} (no client properties). */
  public ExecutorConfig(
      String bootstrapServers,
      TopicLayout topics,
      int keyRangeCount,
      int parallelism,
      long checkpointIntervalMs,
      String checkpointDir,
      long dedupWindowMs,
      long watermarkIntervalMs,
      String consumerGroupId,
      long bufferTimeoutMs,
      StateBackend stateBackend,
      long stallWarningMs) {
    this(
        plaintext(bootstrapServers),
        topics,
        keyRangeCount,
        parallelism,
        checkpointIntervalMs,
        checkpointDir,
        dedupWindowMs,
        watermarkIntervalMs,
        consumerGroupId,
        bufferTimeoutMs,
        stateBackend,
        stallWarningMs);
  }

  /** The settings before {@code stallWarningMs} existed, with its default. */
  public ExecutorConfig(
      String bootstrapServers,
      TopicLayout topics,
      int keyRangeCount,
      int parallelism,
      long checkpointIntervalMs,
      String checkpointDir,
      long dedupWindowMs,
      long watermarkIntervalMs,
      String consumerGroupId,
      long bufferTimeoutMs,
      StateBackend stateBackend) {
    this(
        bootstrapServers,
        topics,
        keyRangeCount,
        parallelism,
        checkpointIntervalMs,
        checkpointDir,
        dedupWindowMs,
        watermarkIntervalMs,
        consumerGroupId,
        bufferTimeoutMs,
        stateBackend,
        DEFAULT_STALL_WARNING_MS);
  }

  /** Defaults: 16 key ranges, parallelism 2, 1 s checkpoints, no checkpoint dir, 10 min dedup window, watermarks with the records, 1 ms buffer timeout, heap state, stall warnings after 10 s of log time. */
  public static ExecutorConfig defaults(String bootstrapServers, TopicLayout topics) {
    return defaults(plaintext(bootstrapServers), topics);
  }

  /** Like {@link #defaults(String, TopicLayout)} with the client settings {@code kafka}. */
  public static ExecutorConfig defaults(KafkaClientSettings kafka, TopicLayout topics) {
    return new ExecutorConfig(
        kafka,
        topics,
        DEFAULT_KEY_RANGE_COUNT,
        DEFAULT_PARALLELISM,
        DEFAULT_CHECKPOINT_INTERVAL_MS,
        null,
        DEFAULT_DEDUP_WINDOW_MS,
        DEFAULT_WATERMARK_INTERVAL_MS,
        topics.logTopic() + "-executor",
        DEFAULT_BUFFER_TIMEOUT_MS,
        DEFAULT_STATE_BACKEND,
        DEFAULT_STALL_WARNING_MS);
  }

  /** The Kafka bootstrap servers ({@code kafka().bootstrapServers()}). */
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** These settings with other Kafka client settings (servers and client properties). */
  public ExecutorConfig withKafka(KafkaClientSettings k) {
    return new ExecutorConfig(k, topics, keyRangeCount, parallelism, checkpointIntervalMs, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withCheckpointDir(String pathOrUri) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, parallelism, checkpointIntervalMs, pathOrUri, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withKeyRangeCount(int n) {
    return new ExecutorConfig(kafka, topics, n, parallelism, checkpointIntervalMs, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withParallelism(int p) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, p, checkpointIntervalMs, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withCheckpointIntervalMs(long ms) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, parallelism, ms, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withTopics(TopicLayout t) {
    return new ExecutorConfig(kafka, t, keyRangeCount, parallelism, checkpointIntervalMs, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withStateBackend(StateBackend b) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, parallelism, checkpointIntervalMs, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, b, stallWarningMs);
  }

  public ExecutorConfig withDedupWindowMs(long ms) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, parallelism, checkpointIntervalMs, checkpointDir, ms, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withWatermarkIntervalMs(long ms) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, parallelism, checkpointIntervalMs, checkpointDir, dedupWindowMs, ms, consumerGroupId, bufferTimeoutMs, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withBufferTimeoutMs(long ms) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, parallelism, checkpointIntervalMs, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, ms, stateBackend, stallWarningMs);
  }

  public ExecutorConfig withStallWarningMs(long ms) {
    return new ExecutorConfig(kafka, topics, keyRangeCount, parallelism, checkpointIntervalMs, checkpointDir, dedupWindowMs, watermarkIntervalMs, consumerGroupId, bufferTimeoutMs, stateBackend, ms);
  }

  /** @throws IllegalArgumentException if bootstrapServers is blank */
  private static KafkaClientSettings plaintext(String bootstrapServers) {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    return KafkaClientSettings.of(bootstrapServers);
  }
}
