package io.ordo.executor;

import static io.ordo.executor.ExecutorJobConstants.*;

import io.ordo.executor.internal.FeedbackChannel;
import io.ordo.executor.internal.OnEventWatermarks;
import io.ordo.executor.operators.FeedbackChannelSource;
import io.ordo.executor.operators.KeyTransactionProcessorFunction;
import io.ordo.executor.operators.KeyedEventTimeSorterFunction;
import io.ordo.executor.operators.SequenceFanOutFunction;
import io.ordo.executor.operators.TransactionProcessorFunction;
import io.ordo.executor.serialization.KeyedProtoSerializer;
import io.ordo.executor.serialization.LogRecordDeserializer;
import io.ordo.executor.serialization.ProtoRecordDeserializer;
import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.LogRecord;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.KafkaClientTimeouts;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.MultipleParameterTool;

/**
 * The executor job: the one place where the dataflow is wired (ARCHITECTURE.md "Dataflow").
 *
 * <pre>
 * log topic ─▶ LogSource (per-partition watermarks) ─▶ SequenceFanOut (keyed by partition)
 *   ─▶ KeyedEventTimeSorter (keyed by key range) ─▶ KeyTransactionProcessor (keyed by key range)
 *        ◀── FeedbackSource ◀── feedback topic ◀── FeedbackSink ◀─┐
 *   ─▶ TransactionProcessor (keyed by txn id) ────────────────────┘
 * results: SequenceFanOut + KeyTransactionProcessor + TransactionProcessor ─▶ results topic
 * changelog: KeyTransactionProcessor ─▶ changelog topic
 * </pre>
 *
 * <p>Submit to a cluster with {@code flink run -c io.ordo.executor.ExecutorJob
 * executor-job/target/ordo-executor-job-VERSION-job.jar --bootstrap-servers host:9092
 * [--topic-prefix ordo] [--key-ranges 16] [--checkpoint-interval-ms 1000]
 * [--checkpoint-dir s3://...] [--kafka-config client.properties] [--kafka-property NAME=VALUE]...}.
 */
public final class ExecutorJob {
  private ExecutorJob() {}

  /** Maximum parallelism: the number of key groups; fixed so state can be rescaled later. */
  public static final int MAX_PARALLELISM = 128;

  /**
   * How long the broker holds the job's fetches while a topic has nothing new, in milliseconds.
   * It adds no latency (see {@link #consumerProperties}); it sets how often an idle source asks:
   * each empty fetch costs the in-process broker and the source ~2 ms of CPU on a small machine,
   * so the two sources at Kafka's 500 ms cost an idle embedded Ordo ~0.008 core. It is not
   * longer because a Kafka consumer's close waits for its parked fetch, and Flink closes the
   * source readers on every cancel and failover: this is added to each. On replicated topics the
   * sources wait {@link KafkaClientTimeouts#REPLICATED_FETCH_WAIT_MS} instead, for a shorter
   * request timeout at a silent broker.
   */
  static final int IDLE_FETCH_WAIT_MS = 1_000;

  /** The option that gives one Kafka client property, {@code NAME=VALUE}; repeatable. */
  static final String KAFKA_PROPERTY = "kafka-property";

  /** The option that names a Kafka client properties file. */
  static final String KAFKA_CONFIG = "kafka-config";

  /** What Flink's parameter tools hold for an option given without a value. */
  private static final String NO_VALUE = "__NO_VALUE_KEY";

  /** How long {@link #main} waits for Kafka to list (or create) the topics. */
  static final Duration TOPICS_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Flink settings the job relies on: exactly-once checkpoints retained on
   * cancellation (state on the heap or in RocksDB, see ExecutorConfig), fast watermarks and a small network buffer timeout (latency knobs).
   */
  public static Configuration flinkConfiguration(ExecutorConfig config) {
    Configuration conf = new Configuration();
    conf.setString("state.backend.type", config.stateBackend().flinkName());
    if (config.stateBackend() == ExecutorConfig.StateBackend.ROCKSDB) {
      // Only the SST files written since the last checkpoint are uploaded.
      conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
    }
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(config.checkpointIntervalMs()));
    conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    if (config.checkpointDir() != null) {
      conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, config.checkpointDir());
    }
    conf.set(PipelineOptions.AUTO_WATERMARK_INTERVAL, Duration.ofMillis(config.watermarkIntervalMs()));
    conf.set(PipelineOptions.MAX_PARALLELISM, MAX_PARALLELISM);
    // Every record and state value has a protobuf serializer; a type falling back to Kryo
    // would be a bug (slow, and not stable across versions), so the job refuses to build.
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    conf.setString("execution.buffer-timeout.interval", config.bufferTimeoutMs() + " ms");
    return conf;
  }

  /** Wires the dataflow into {@code env}. */
  public static void build(StreamExecutionEnvironment env, ExecutorConfig config) {
    TopicLayout topics = config.topics();
    int logSourceParallelism = Math.min(config.parallelism(), topics.logPartitions());
    int feedbackSourceParallelism = Math.min(config.parallelism(), topics.outputPartitions());

    KafkaSource<LogRecord> logSource =
        KafkaSource.<LogRecord>builder()
            .setBootstrapServers(config.bootstrapServers())
            .setTopics(topics.logTopic())
            .setGroupId(config.consumerGroupId())
            .setClientIdPrefix(config.consumerGroupId() + "-log")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new LogRecordDeserializer())
            .setProperties(consumerProperties(config))
            .build();
    // From the earliest record, never the latest: a restored job resumes at its checkpointed
    // offsets, and the write results after them may be the only copy of a decision whose locks
    // are held in the restored state (the TransactionProcessor's state no longer holds its
    // reads). The connector derives auto.offset.reset from this initializer, so a checkpointed
    // offset that is out of range also falls back to the earliest record rather than skipping to
    // the end. Records of an earlier run of the same log are identical to what this run computes
    // (execution is deterministic) and are matched to their request by id and log position; any
    // other is dropped (KeyTransactionProcessorFunction, "Write results and recovery").
    KafkaSource<WriteResult> feedbackSource =
        KafkaSource.<WriteResult>builder()
            .setBootstrapServers(config.bootstrapServers())
            .setTopics(topics.feedbackTopic())
            .setGroupId(config.consumerGroupId())
            .setClientIdPrefix(config.consumerGroupId() + "-feedback")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new ProtoRecordDeserializer<>(WriteResult.class))
            .setProperties(consumerProperties(config))
            .build();

    DataStream<LogRecord> log =
        env.fromSource(logSource, logWatermarks(config), LOG_SOURCE_NAME)
            .uid(LOG_SOURCE_UID)
            .setParallelism(logSourceParallelism);

    SingleOutputStreamOperator<RangeRequest> requests =
        log.keyBy(LogRecord::getPartition, Types.INT)
            .process(new SequenceFanOutFunction(config.keyRangeCount(), config.dedupWindowMs()), ProtoTypeInfo.forMessage(RangeRequest.class))
            .name(FAN_OUT_NAME)
            .uid(FAN_OUT_UID);

    SingleOutputStreamOperator<RangeRequest> sorted =
        requests
            .keyBy(RangeRequest::getKeyRange, Types.INT)
            .process(new KeyedEventTimeSorterFunction(), ProtoTypeInfo.forMessage(RangeRequest.class))
            .name(SORTER_NAME)
            .uid(SORTER_UID);

    DataStream<WriteResult> feedbackTopic =
        env.fromSource(feedbackSource, WatermarkStrategy.noWatermarks(), FEEDBACK_SOURCE_NAME)
            .uid(FEEDBACK_SOURCE_UID)
            .setParallelism(feedbackSourceParallelism);
    // The in-JVM shortcut of the feedback topic (FeedbackChannel): write results reach the key
    // processor without the produce/append/fetch round trip; the topic above stays the durable
    // copy a restore reads, so duplicates of either kind are dropped there by id and position.
    String channelKey = FeedbackChannel.key(config.bootstrapServers(), topics.feedbackTopic(), config.consumerGroupId());
    DataStream<WriteResult> feedback =
        feedbackTopic.union(
            env.fromSource(new FeedbackChannelSource(channelKey), WatermarkStrategy.noWatermarks(), FEEDBACK_CHANNEL_SOURCE_NAME, ProtoTypeInfo.forMessage(WriteResult.class))
                .uid(FEEDBACK_CHANNEL_SOURCE_UID));

    // The sorter is keyed by the key range with the same parallelism and max parallelism as the
    // key processor, so its output is already partitioned as keyBy(range) would partition it:
    // forwarding it sends each request to the same subtask index over a local channel instead of
    // hashing it again. (Flink does not chain the two: the key processor has a second input, the
    // feedback, and an operator with two inputs always starts a new task.)
    KeyedStream<RangeRequest, Integer> sortedByRange =
        DataStreamUtils.reinterpretAsKeyedStream(sorted, RangeRequest::getKeyRange, Types.INT);
    SingleOutputStreamOperator<ReadResult> reads =
        sortedByRange
            .connect(feedback.keyBy(WriteResult::getKeyRange, Types.INT))
            .process(new KeyTransactionProcessorFunction(config.stallWarningMs()), ProtoTypeInfo.forMessage(ReadResult.class))
            .name(KEY_PROCESSOR_NAME)
            .uid(KEY_PROCESSOR_UID);

    SingleOutputStreamOperator<WriteResult> writes =
        reads
            .keyBy(ReadResult::getTxnId, Types.STRING)
            .process(new TransactionProcessorFunction(channelKey), ProtoTypeInfo.forMessage(WriteResult.class))
            .name(TXN_PROCESSOR_NAME)
            .uid(TXN_PROCESSOR_UID);

    writes
        .sinkTo(sink(config, new KeyedProtoSerializer<WriteResult>(topics.feedbackTopic(), w -> Integer.toString(w.getKeyRange()))))
        .name(FEEDBACK_SINK_NAME)
        .uid(FEEDBACK_SINK_UID);

    requests
        .getSideOutput(SequenceFanOutFunction.RESULTS)
        .union(reads.getSideOutput(KeyTransactionProcessorFunction.RESULTS), writes.getSideOutput(TransactionProcessorFunction.RESULTS))
        .sinkTo(sink(config, new KeyedProtoSerializer<TxnResult>(topics.resultsTopic(), TxnResult::getTxnId)))
        .name(RESULTS_SINK_NAME)
        .uid(RESULTS_SINK_UID);

    reads
        .getSideOutput(KeyTransactionProcessorFunction.CHANGELOG)
        .sinkTo(sink(config, new KeyedProtoSerializer<ChangelogRecord>(topics.changelogTopic(), ChangelogRecord::getKey)))
        .name(CHANGELOG_SINK_NAME)
        .uid(CHANGELOG_SINK_UID);
  }

  /**
   * Per partition: largest broker timestamp − 1; with every record that raises it when the
   * watermark interval is 0 (no periodic timer), else periodically.
   */
  private static WatermarkStrategy<LogRecord> logWatermarks(ExecutorConfig config) {
    return config.watermarkIntervalMs() == 0
        ? OnEventWatermarks.strategy()
        : WatermarkStrategy.<LogRecord>forMonotonousTimestamps();
  }

  /**
   * The sources' consumer properties: the job's tuning, then the client settings (a secured
   * cluster's security properties) on top. The connector copies them into the source, which
   * Flink serializes into the job graph, so the TaskManagers' consumers get them too.
   */
  static Properties consumerProperties(ExecutorConfig config) {
    Properties p = new Properties();
    // A fetch returns as soon as one byte is there (fetch.min.bytes=1: the broker answers a
    // waiting fetch when the partition's high watermark moves), so the wait adds no latency; it
    // only sets how often an idle job asks the broker (IDLE_FETCH_WAIT_MS says why 1 s).
    // The request timeout (fetch wait + 1.5 s) lets a source give up on a silent broker and find
    // the partition's new leader soon after a failover, not after Kafka's 30 s (KafkaClientTimeouts);
    // on a replicated topic the wait is shorter, so that timeout is 2 s.
    KafkaClientTimeouts.putConsumerTimeouts(
        p, KafkaClientTimeouts.idleFetchWaitMs(IDLE_FETCH_WAIT_MS, replicated(config)));
    KafkaClientTimeouts.putReplicatedFailover(p, replicated(config));
    // Offsets live in checkpoints; committing them to the group is only informational.
    p.setProperty("commit.offsets.on.checkpoint", "true");
    return config.kafka().apply(p);
  }

  /**
   * Whether the job's topics are replicated, as its layout says ({@code --replication-factor},
   * which also sizes the topics {@code --create-topics} makes): more than one replica turns on
   * the failover tuning of the sources' and sinks' metadata ({@link KafkaClientTimeouts}).
   */
  static boolean replicated(ExecutorConfig config) {
    return config.topics().replicationFactor() > 1;
  }

  /**
   * At-least-once sinks: outputs are deterministic and carry ids (txn id, key range + LSN), so a
   * replay's duplicates are dropped by consumers, and results are visible without waiting for a
   * checkpoint: the log is durable before anything runs and execution is deterministic, so a
   * result may be returned as soon as it is computed (ARCHITECTURE.md, introduction).
   */
  private static <T extends com.google.protobuf.Message> KafkaSink<T> sink(
      ExecutorConfig config, org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> serializer) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .setKafkaProducerConfig(producerProperties(config))
        .build();
  }

  /**
   * The sinks' producer properties: the job's tuning, then the client settings (a secured
   * cluster's security properties) on top; serialized into the job graph with the sink.
   */
  static Properties producerProperties(ExecutorConfig config) {
    Properties p = new Properties();
    // No linger: a result reaches its gateway, and a write result its key processor, about 1 ms
    // sooner at light load (BENCHMARKS.md, "Latency path"); under load the records still batch
    // while earlier requests are in flight. --kafka-property linger.ms=N overrides it.
    p.setProperty("linger.ms", "0");
    p.setProperty("max.request.size", Integer.toString(16 * 1024 * 1024));
    // Results, changelog and feedback reach a partition's new leader soon after a failover
    // (KafkaClientTimeouts); Kafka's delivery.timeout.ms (120 s) still bounds the retries.
    p.setProperty("request.timeout.ms", Integer.toString(KafkaClientTimeouts.PRODUCER_REQUEST_TIMEOUT_MS));
    // A sink often has nothing in flight when a broker goes silent (the stalled log stalls its
    // input); fresh metadata sends its first records after the failover to the new leader.
    KafkaClientTimeouts.putReplicatedFailover(p, replicated(config));
    config.kafka().apply(p);
    // Not overridable (KafkaClientSettings refuses them): the sinks' duplicates are dropped by
    // id downstream only if the producer neither reorders nor loses acknowledged records.
    p.setProperty("enable.idempotence", "true");
    p.setProperty("acks", "all");
    return p;
  }

  /**
   * Entry point for {@code flink run}. Options: {@code --bootstrap-servers} (required),
   * {@code --topic-prefix} (ordo), {@code --log-topic}, {@code --results-topic}, {@code
   * --changelog-topic}, {@code --feedback-topic} (default: prefix + "-log" etc.), {@code
   * --log-partitions} (4), {@code --output-partitions} (4),
   * {@code --key-ranges} (16), {@code --parallelism} (2), {@code --checkpoint-interval-ms} (1000),
   * {@code --checkpoint-dir}, {@code --dedup-window-ms} (600000), {@code --state-backend}
   * (hashmap|rocksdb, default hashmap), {@code --stall-warning-ms} (10000: log time after which a
   * key range with an unfinished transaction is reported), and the latency knobs {@code --watermark-interval-ms} (0:
   * with the records) and {@code --buffer-timeout-ms} (0). The topics must exist (a gateway creates them on start);
   * {@code --create-topics} lets the job create the missing ones with the same settings (and
   * makes an existing feedback topic keep every record), and without it a missing topic, or a
   * feedback topic that deletes records, fails the submission with a message naming it and the
   * fix. {@code --key-ranges} and {@code --dedup-window-ms} are stored in the checkpoints: a
   * restore with other values fails the job once (no restarts) naming the stored and the given
   * values. Any other option is rejected (see {@link #fromArgs}).
   *
   * <p>A secured Kafka: {@code --kafka-config FILE} (a Kafka client properties file, as {@code
   * kafka-console-producer.sh --command-config} takes; read where this method runs: the {@code
   * flink run} client, or the JobManager for a REST or application-mode submission) and {@code
   * --kafka-property NAME=VALUE} (repeatable; wins over the file), see {@link
   * KafkaClientSettings}. The properties travel to the TaskManagers inside the job graph, so the
   * file need not be there, but files it names (for example {@code ssl.truststore.location}) must
   * exist on every TaskManager. Program arguments are visible to whoever can list processes or
   * the job: give secrets in the file.
   *
   * @throws IllegalStateException naming the missing topics, when they do not exist and
   *     {@code --create-topics} is not given, or the feedback topic whose retention deletes
   *     records, with the {@code kafka-configs.sh} command that fixes it
   */
  public static void main(String[] args) throws Exception {
    ExecutorConfig config = fromArgs(args);
    // Checked here, in the submitting client, so that a job whose topics are missing fails once
    // with a message naming them, rather than restarting forever on UnknownTopicOrPartition.
    if (MultipleParameterTool.fromArgs(args).has("create-topics")) {
      LogTopics.ensure(config.kafka(), config.topics(), TOPICS_TIMEOUT);
    } else {
      LogTopics.requireExisting(config.kafka(), config.topics(), TOPICS_TIMEOUT);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(config));
    env.setParallelism(config.parallelism());
    build(env, config);
    env.execute(JOB_NAME);
  }

  /**
   * Parses {@link #main} options.
   *
   * @throws IllegalArgumentException naming a missing, bad, repeated (other than {@code
   *     --kafka-property}) or unknown option, or a bad {@code --kafka-config} file or Kafka client
   *     property (see {@link KafkaClientSettings#resolve})
   * @throws java.io.UncheckedIOException if the {@code --kafka-config} file cannot be read
   */
  public static ExecutorConfig fromArgs(String[] args) {
    // MultipleParameterTool keeps every value of a repeated option: --kafka-property may be
    // repeated; any other option given twice is an error instead of the last one silently
    // winning (ParameterTool's behaviour).
    MultipleParameterTool params = MultipleParameterTool.fromArgs(args);
    for (Map.Entry<String, Collection<String>> option : new TreeMap<>(params.toMultiMap()).entrySet()) {
      if (option.getValue().size() > 1 && !option.getKey().equals(KAFKA_PROPERTY)) {
        throw new IllegalArgumentException(
            "option --" + option.getKey() + " is given " + option.getValue().size()
                + " times; only --" + KAFKA_PROPERTY + " may be repeated");
      }
    }
    String servers = params.get("bootstrap-servers");
    if (servers == null || servers.isBlank()) {
      throw new IllegalArgumentException("--bootstrap-servers is required");
    }
    KafkaClientSettings kafka = kafkaSettings(servers, params);
    TopicLayout topics =
        TopicLayout.withPrefix(params.get("topic-prefix", "ordo"))
            .withLogPartitions(params.getInt("log-partitions", 4));
    int outputPartitions = params.getInt("output-partitions", topics.outputPartitions());
    topics =
        new TopicLayout(
            params.get("log-topic", topics.logTopic()),
            topics.logPartitions(),
            params.get("results-topic", topics.resultsTopic()),
            params.get("changelog-topic", topics.changelogTopic()),
            params.get("feedback-topic", topics.feedbackTopic()),
            outputPartitions,
            params.getShort("replication-factor", topics.replicationFactor()));
    ExecutorConfig c =
        ExecutorConfig.defaults(kafka, topics)
            .withKeyRangeCount(params.getInt("key-ranges", ExecutorConfig.DEFAULT_KEY_RANGE_COUNT))
            .withParallelism(params.getInt("parallelism", ExecutorConfig.DEFAULT_PARALLELISM))
            .withCheckpointIntervalMs(params.getLong("checkpoint-interval-ms", ExecutorConfig.DEFAULT_CHECKPOINT_INTERVAL_MS))
            .withCheckpointDir(params.get("checkpoint-dir"));
    c = c.withDedupWindowMs(params.getLong("dedup-window-ms", ExecutorConfig.DEFAULT_DEDUP_WINDOW_MS))
        .withWatermarkIntervalMs(params.getLong("watermark-interval-ms", ExecutorConfig.DEFAULT_WATERMARK_INTERVAL_MS))
        .withBufferTimeoutMs(params.getLong("buffer-timeout-ms", ExecutorConfig.DEFAULT_BUFFER_TIMEOUT_MS))
        .withStateBackend(ExecutorConfig.StateBackend.parse(params.get("state-backend", ExecutorConfig.DEFAULT_STATE_BACKEND.flinkName())))
        .withStallWarningMs(params.getLong("stall-warning-ms", ExecutorConfig.DEFAULT_STALL_WARNING_MS));
    // Read by main; asked here so that it counts as known.
    params.has("create-topics");
    // ParameterTool ignores options nobody asks for: a misspelt one would silently keep its
    // default (say, a job without its checkpoint dir), so every option left unread is an error.
    if (!params.getUnrequestedParameters().isEmpty()) {
      throw new IllegalArgumentException(
          "unknown option(s) "
              + params.getUnrequestedParameters().stream().sorted().map(o -> "--" + o).toList()
              + "; the options are listed in ExecutorJob.main's documentation (README, \"The"
              + " executor job on a Flink cluster\")");
    }
    return c;
  }

  /**
   * The client settings of {@code --kafka-config FILE} (a Kafka client properties file, read
   * where this main runs) and the repeated {@code --kafka-property NAME=VALUE} on top.
   */
  private static KafkaClientSettings kafkaSettings(String servers, MultipleParameterTool params) {
    String file = params.get(KAFKA_CONFIG);
    if (file != null && (file.isBlank() || file.equals(NO_VALUE))) {
      throw new IllegalArgumentException("--kafka-config needs a file");
    }
    Map<String, String> overrides = new TreeMap<>();
    Collection<String> given = params.getMultiParameter(KAFKA_PROPERTY);
    if (given != null) {
      for (String property : given) {
        if (property == null || property.equals(NO_VALUE)) {
          throw new IllegalArgumentException(
              "--kafka-property needs NAME=VALUE (e.g. security.protocol=SASL_SSL)");
        }
        Map.Entry<String, String> e = KafkaClientSettings.parseProperty(property);
        if (overrides.put(e.getKey(), e.getValue()) != null) {
          throw new IllegalArgumentException("--kafka-property " + e.getKey() + " is given twice");
        }
      }
    }
    return KafkaClientSettings.resolve(
        servers, Optional.ofNullable(file).map(Path::of), overrides);
  }
}
