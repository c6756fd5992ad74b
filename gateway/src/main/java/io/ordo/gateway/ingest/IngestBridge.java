package io.ordo.gateway.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.core.Validation;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.TopicLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends the records of one stream's Kafka ingest topic ({@code <prefix>-ingest-<stream>}) to
 * the stream through the log, exactly once.
 *
 * <p><b>API.</b> {@link #start} creates the ingest topic if it is missing (with {@link
 * Settings#topicPartitions()} partitions) and starts one thread with one stock {@link
 * KafkaConsumer} in the group {@code <prefix>-ingest} (so the gateways running a bridge for the
 * same stream share its partitions); {@link #close} stops it. {@link IngestManager} keeps one
 * bridge per stream.
 *
 * <p><b>Exactly once.</b> Every ingest partition {@code p} has a counter key {@code
 * \u0000ordo/ingest/<stream>/<p>} holding the offset of the next record to append. The records
 * one poll returns for one partition (cut into chunks that fit a transaction: at most {@value
 * #CHUNK_RECORDS_MAX} records and the gateway's txnBytesMax) become ONE transaction: {@code
 * Assert(counter == expected)} (or {@code Assert(absent)} before the first append), {@code
 * Put(counter = last offset + 1)}, and one {@code StreamAppend} per target shard. The assert makes
 * the append happen at most once whoever runs it (two gateways, a retry after an unknown
 * outcome, a restart); the counter only moves with the records, so nothing is lost. {@code
 * expected} is the counter as this bridge last read or wrote it, not the first record's offset,
 * so offset gaps (transaction markers of transactional producers, compaction) are harmless.
 *
 * <p><b>Positioning.</b> When the bridge gets a partition it reads the counter (a Get through the
 * log) and seeks there; without a counter it starts where the group's committed offset (or the
 * earliest record) is. Kafka offsets are committed manually after each committed transaction,
 * for lag monitoring only: the counter is the truth.
 *
 * <p><b>Routing.</b> A record goes to the open shard whose hash range holds MD5 of its partition
 * key (the Kafka key as UTF-8; a null key is the empty partition key); records keep their Kafka
 * order within each shard. Headers become {@code Header}s, the value {@code StreamRecord.raw}.
 * Metadata ({@code \u0000ordo/stream/<name>}) is read once and again after an abort with
 * SHARD_CLOSED or NOT_FOUND (a split, merge or delete was sequenced first).
 *
 * <p><b>Failures.</b> ASSERT_FAILED (someone appended this batch already): read the counter,
 * seek there, continue (the batch is skipped). SHARD_CLOSED / NOT_FOUND: re-read the metadata
 * and retry. Anything else (an unknown outcome, the log unavailable, a stream that does not
 * exist): retry with exponential backoff ({@value #BACKOFF_INITIAL_MS}..{@value #BACKOFF_MAX_MS}
 * ms), at most {@value #ATTEMPTS_MAX} attempts per batch; then the batch is put back (the
 * consumer seeks to it), an ERROR is logged and {@link #lastError()} set, and the bridge pauses
 * {@value #PAUSE_AFTER_FAILURE_MS} ms before polling again, so it never skips records and never
 * spins. A record an Append request would refuse (a partition key or header key above
 * keyBytesMax, an empty header key, an encoded record above valueBytesMax) cannot be appended:
 * it is logged at ERROR, counted in {@link #recordsSkipped()}, and passed over (the counter moves
 * past it), so it does not block the partition. An unexpected error stops the thread ({@link
 * #failure()}); {@link IngestManager#ensure} restarts such a bridge.
 *
 * <p>Thread-safe: the consumer lives on the bridge's thread; the getters may be called anywhere.
 */
public final class IngestBridge implements AutoCloseable {
  /** Most records one poll returns. */
  public static final int POLL_RECORDS_MAX = 500;

  /** Most records in one transaction. */
  public static final int CHUNK_RECORDS_MAX = 500;

  /**
   * How long one poll waits when no record comes, in milliseconds. Records end a poll as soon as
   * they arrive and {@link #close} wakes the consumer, so this only sets how often an idle bridge
   * wakes up (once a second, not ten times).
   */
  public static final long POLL_TIMEOUT_MS = 1_000;

  /** How long the bridge waits for one transaction's result, in milliseconds. */
  public static final long TXN_WAIT_MS = 20_000;

  /** Most attempts to append one batch before it is put back and the bridge pauses. */
  public static final int ATTEMPTS_MAX = 5;

  /** First pause between attempts; doubled per attempt up to {@link #BACKOFF_MAX_MS}. */
  public static final long BACKOFF_INITIAL_MS = 100;

  /** Longest pause between attempts. */
  public static final long BACKOFF_MAX_MS = 5_000;

  /** Pause after a batch failed {@value #ATTEMPTS_MAX} times. */
  public static final long PAUSE_AFTER_FAILURE_MS = 10_000;

  /** How long {@link #close} waits for the thread. */
  public static final long CLOSE_TIMEOUT_MS = 30_000;

  /**
   * How long the broker holds the bridge's fetch while the ingest topic has nothing new, in
   * milliseconds. No latency: a parked fetch is answered as soon as a record is appended. It sets
   * how often an idle bridge asks (each empty fetch costs the in-process broker and the consumer
   * about a millisecond or two of CPU; at Kafka's 500 ms one idle bridge cost ~0.01 core). A
   * consumer's close waits for its parked fetch, so the consumer is closed with
   * {@link #CONSUMER_CLOSE_MS}; newly assigned partitions may wait up to this long for their first fetch.
   */
  static final int IDLE_FETCH_WAIT_MS = 5_000;

  /**
   * Bound of the consumer's close, in milliseconds: enough for its leave-group heartbeat (sent
   * first, on the coordinator's own connection), not for the fetch session's close, which would
   * queue behind the parked fetch. Offsets are already committed after every batch.
   */
  static final long CONSUMER_CLOSE_MS = 500;

  /** How long one Kafka metadata or admin request may block the thread. */
  private static final long KAFKA_API_TIMEOUT_MS = 10_000;

  /** How often the thread looks at a pending result for {@link #close}. */
  private static final long RESULT_SLICE_MS = 100;

  private static final Logger LOG = LoggerFactory.getLogger(IngestBridge.class);

  /**
   * Where and how bridges run.
   *
   * @param kafka the Kafka cluster and client settings: the gateway's own (an ingest topic is on
   *     the cluster of Ordo's topics, so a secured cluster's client properties apply to it too)
   * @param topics the Ordo topic layout: its prefix names the ingest topics and the group
   * @param limits the gateway's request bounds: records an Append would refuse are refused here
   *     too, and a transaction stays within txnBytesMax
   * @param topicPartitions partitions of an ingest topic the bridge creates (1..{@value
   *     TopicLayout#PARTITION_COUNT_MAX}); an existing topic is used as it is
   * @param groupId the consumer group, normally {@link #groupId(TopicLayout)}
   */
  public record Settings(
      KafkaClientSettings kafka, TopicLayout topics, Limits limits, int topicPartitions, String groupId) {
    /** Default partitions of an ingest topic the bridge creates. */
    public static final int DEFAULT_TOPIC_PARTITIONS = 4;

    /** Checks every component. */
    public Settings {
      Objects.requireNonNull(kafka, "kafka");
      Objects.requireNonNull(topics, "topics");
      Objects.requireNonNull(limits, "limits");
      if (topicPartitions < 1 || topicPartitions > TopicLayout.PARTITION_COUNT_MAX) {
        throw new IllegalArgumentException(
            "topicPartitions must be in 1.." + TopicLayout.PARTITION_COUNT_MAX + ", got "
                + topicPartitions);
      }
      if (groupId == null || groupId.isBlank()) {
        throw new IllegalArgumentException("groupId must not be blank");
      }
    }

    /** Settings with {@value #DEFAULT_TOPIC_PARTITIONS} partitions and the group {@code <prefix>-ingest}. */
    public static Settings of(String bootstrapServers, TopicLayout topics, Limits limits) {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("bootstrapServers must be a non-blank host:port list");
      }
      return of(KafkaClientSettings.of(bootstrapServers), topics, limits);
    }

    /** Like {@link #of(String, TopicLayout, Limits)} with the client settings {@code kafka}. */
    public static Settings of(KafkaClientSettings kafka, TopicLayout topics, Limits limits) {
      return new Settings(
          kafka, topics, limits, DEFAULT_TOPIC_PARTITIONS, IngestBridge.groupId(topics));
    }

    /** The Kafka bootstrap servers ({@code kafka().bootstrapServers()}). */
    public String bootstrapServers() {
      return kafka.bootstrapServers();
    }

    /** These settings with another consumer group. */
    public Settings withGroupId(String group) {
      return new Settings(kafka, topics, limits, topicPartitions, group);
    }

    /** These settings with another partition count for created topics. */
    public Settings withTopicPartitions(int partitions) {
      return new Settings(kafka, topics, limits, partitions, groupId);
    }
  }

  private enum ChunkOutcome {
    /** Appended; the next chunk of the partition follows. */
    APPENDED,
    /** The consumer was moved; the partition's remaining records of this poll are dropped. */
    REPOSITIONED,
    /** The bridge is closing. */
    STOPPED
  }

  /** What the bridge knows of one assigned partition. */
  private static final class PartitionState {
    /** The counter as last read or written: the first offset not yet appended; empty = absent. */
    OptionalLong expected;

    PartitionState(OptionalLong expected) {
      this.expected = expected;
    }
  }

  private final Settings settings;
  private final String stream;
  private final String topic;
  private final TxnRunner runner;
  private final Thread thread;
  private final CountDownLatch closing = new CountDownLatch(1);
  private final AtomicLong recordsAppended = new AtomicLong();
  private final AtomicLong recordsSkipped = new AtomicLong();
  private final AtomicLong transactionsCommitted = new AtomicLong();
  private final AtomicLong repositions = new AtomicLong();

  /** Touched by the bridge thread only. */
  private final TreeMap<Integer, PartitionState> partitions = new TreeMap<>();
  /** The stream's metadata as last read (bridge thread only); null = read it before the next append. */
  private StreamMetadata metadata;

  private volatile boolean running = true;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile Throwable failure;
  private volatile String lastError = "";

  private IngestBridge(Settings settings, String stream, TxnRunner runner) {
    this.settings = settings;
    this.stream = stream;
    this.topic = IngestTopics.topic(settings.topics(), stream);
    this.runner = runner;
    this.thread = new Thread(this::run, "ordo-ingest-" + stream);
    this.thread.setDaemon(true);
  }

  /**
   * Starts a bridge for {@code stream} and returns at once (the topic is created and the consumer
   * started on the bridge's thread).
   *
   * @param settings where Kafka is and how to run
   * @param stream the stream name ({@link Validation#checkName}); the stream need not exist yet:
   *     records wait in the topic (with ERRORs logged) until it does
   * @param runner runs the transactions through the log
   * @throws IllegalArgumentException if the name is invalid or makes an illegal topic name
   */
  public static IngestBridge start(Settings settings, String stream, TxnRunner runner) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(runner, "runner");
    Validation.checkName(stream, "stream");
    String topic = IngestTopics.topic(settings.topics(), stream);
    if (topic.length() > TopicLayout.TOPIC_NAME_LENGTH_MAX) {
      throw new IllegalArgumentException(
          "the ingest topic of stream '" + stream + "' would be " + topic.length()
              + " characters, more than Kafka's " + TopicLayout.TOPIC_NAME_LENGTH_MAX);
    }
    IngestBridge bridge = new IngestBridge(settings, stream, runner);
    bridge.thread.start();
    return bridge;
  }

  /** The consumer group of the bridges: {@code <prefix>-ingest} ({@link IngestTopics#prefix}). */
  public static String groupId(TopicLayout topics) {
    return IngestTopics.prefix(topics) + "-ingest";
  }

  /** The stream this bridge appends to. */
  public String stream() {
    return stream;
  }

  /** The ingest topic this bridge consumes. */
  public String topic() {
    return topic;
  }

  /** Records appended to the stream by this bridge's committed transactions. */
  public long recordsAppended() {
    return recordsAppended.get();
  }

  /** Records passed over because an Append would refuse them (see the class comment). */
  public long recordsSkipped() {
    return recordsSkipped.get();
  }

  /** Transactions of this bridge that committed. */
  public long transactionsCommitted() {
    return transactionsCommitted.get();
  }

  /** How often the bridge found a batch already appended (ASSERT_FAILED) and moved on. */
  public long repositions() {
    return repositions.get();
  }

  /** The last problem the bridge met (a failed attempt, a refused record), or empty. */
  public String lastError() {
    return lastError;
  }

  /** The error that stopped the thread, if any. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /** Whether the thread still runs (false after {@link #close} or an unexpected error). */
  public boolean isRunning() {
    return thread.isAlive() && running;
  }

  /**
   * Stops the thread within a poll (or the current wait for a result, at most {@value
   * #RESULT_SLICE_MS} ms later) and closes the consumer; waits at most {@value #CLOSE_TIMEOUT_MS}
   * ms. A transaction already appended may still commit; its records are then in the stream and
   * the counter says so. Idempotent.
   */
  @Override
  public void close() {
    running = false;
    closing.countDown();
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      thread.join(CLOSE_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.error("Ingest bridge of stream '{}' did not stop within {} ms", stream, CLOSE_TIMEOUT_MS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The bridge thread

  private void run() {
    try {
      if (!ensureTopic()) {
        return;
      }
      KafkaConsumer<byte[], byte[]> c =
          new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      try {
        consumer = c;
        if (!running) {
          return; // close() ran before the consumer was visible to it
        }
        c.subscribe(List.of(topic), new Rebalance());
        LOG.info("Ingesting '{}' into stream '{}' (group {})", topic, stream, settings.groupId());
        while (running) {
          ConsumerRecords<byte[], byte[]> polled = c.poll(Duration.ofMillis(POLL_TIMEOUT_MS));
          List<TopicPartition> tps = new ArrayList<>(polled.partitions());
          tps.sort(Comparator.comparingInt(TopicPartition::partition));
          for (TopicPartition tp : tps) {
            if (!running) {
              break;
            }
            ingestPartition(c, tp, polled.records(tp));
          }
        }
      } finally {
        c.close(CloseOptions.timeout(Duration.ofMillis(CONSUMER_CLOSE_MS)));
      }
    } catch (WakeupException e) {
      if (running) {
        fail(e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail(e);
    } finally {
      consumer = null;
      running = false;
    }
  }

  private Properties consumerProperties() {
    Properties props = new Properties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
    // KIP-848 groups: members join and leave without stopping the others.
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ordo-ingest-" + stream);
    // Offsets are committed after each appended batch; the counter key is the truth.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Records of aborted producer transactions must not become stream records.
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, POLL_RECORDS_MAX);
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_API_TIMEOUT_MS);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, IDLE_FETCH_WAIT_MS);
    return settings.kafka().apply(props);
  }

  /** Creates the ingest topic unless it exists; retries until it is there or the bridge closes. */
  private boolean ensureTopic() throws InterruptedException {
    Properties props = new Properties();
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_API_TIMEOUT_MS);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) KAFKA_API_TIMEOUT_MS);
    settings.kafka().apply(props);
    try (Admin admin = Admin.create(props)) {
      for (int attempt = 1; running; attempt++) {
        try {
          admin
              .createTopics(
                  List.of(
                      new NewTopic(
                          topic, settings.topicPartitions(), settings.topics().replicationFactor())))
              .all()
              .get(KAFKA_API_TIMEOUT_MS, TimeUnit.MILLISECONDS);
          LOG.info("Created ingest topic {} ({} partitions)", topic, settings.topicPartitions());
          return true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof TopicExistsException) {
            return true;
          }
          problem(false, "cannot create ingest topic " + topic + " (attempt " + attempt + "): " + e.getCause());
        } catch (TimeoutException e) {
          problem(false, "creating ingest topic " + topic + " timed out (attempt " + attempt + ")");
        }
        backoff(attempt);
      }
    }
    return false;
  }

  /** Forgets partitions this member no longer owns; positions are re-read when one comes back. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      revoked.forEach(tp -> partitions.remove(tp.partition()));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      lost.forEach(tp -> partitions.remove(tp.partition()));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      // Positioned lazily, at the first records (ingestPartition): a Get through the log does not
      // belong in the group protocol's callback.
    }
  }

  private void ingestPartition(
      KafkaConsumer<byte[], byte[]> c, TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> records)
      throws InterruptedException {
    if (records.isEmpty()) {
      return;
    }
    PartitionState state = partitions.get(tp.partition());
    if (state == null) {
      // First records since the partition was assigned: the counter says where to start.
      Optional<OptionalLong> counter = readCounter(tp.partition());
      if (counter.isEmpty()) {
        c.seek(tp, records.get(0).offset()); // Fetched again once the counter can be read.
        backoff(1);
        return;
      }
      state = new PartitionState(counter.get());
      partitions.put(tp.partition(), state);
      if (state.expected.isPresent() && records.get(0).offset() != state.expected.getAsLong()) {
        // Records below the counter were appended already; above it the group's offset ran
        // ahead (it is only advisory). Either way the counter is where this partition goes on.
        LOG.info("Ingest {}: resuming at the counter, offset {}", tp, state.expected.getAsLong());
        c.seek(tp, state.expected.getAsLong());
        return;
      }
    }
    long bytesMax = Math.max(1, settings.limits().txnBytesMax() - IngestBatches.TXN_OVERHEAD_BYTES);
    for (List<ConsumerRecord<byte[], byte[]>> chunk :
        IngestBatches.chunks(records, CHUNK_RECORDS_MAX, bytesMax)) {
      if (appendChunk(c, tp, state, chunk) != ChunkOutcome.APPENDED) {
        return;
      }
    }
  }

  private ChunkOutcome appendChunk(
      KafkaConsumer<byte[], byte[]> c,
      TopicPartition tp,
      PartitionState state,
      List<ConsumerRecord<byte[], byte[]>> chunk)
      throws InterruptedException {
    long first = chunk.get(0).offset();
    long next = chunk.get(chunk.size() - 1).offset() + 1;
    List<StreamRecord> records = new ArrayList<>(chunk.size());
    int skipped = 0;
    for (ConsumerRecord<byte[], byte[]> r : chunk) {
      StreamRecord record = IngestBatches.toStreamRecord(r);
      String reason = IngestBatches.invalidReason(record, settings.limits());
      if (reason == null) {
        records.add(record);
      } else {
        skipped++;
        problem(true, "record " + tp + "@" + r.offset() + " cannot be appended and is passed over: "
            + reason);
      }
    }
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      if (!running) {
        return ChunkOutcome.STOPPED;
      }
      if (attempt > 1) {
        backoff(attempt - 1);
      }
      SortedMap<Long, List<StreamRecord>> byShard;
      try {
        byShard = route(records);
      } catch (StatusRuntimeException | TimeoutException | ExecutionException e) {
        problem(false, "reading the metadata of stream '" + stream + "' failed: " + e);
        continue;
      }
      if (byShard == null) {
        continue; // Logged by route; the metadata is re-read next attempt.
      }
      Transaction txn =
          IngestBatches.transaction(
              TxnRunner.newTxnId(), stream, tp.partition(), state.expected, next, byShard);
      Optional<TxnResult> result;
      try {
        result = run(txn);
      } catch (StatusRuntimeException | TimeoutException | ExecutionException e) {
        // The outcome is unknown; the assert makes the retry safe (it aborts if this one ran).
        problem(false, "appending " + tp + " offsets " + first + ".." + (next - 1) + " (txn " + txn.getId()
            + ") failed, will retry: " + e);
        continue;
      }
      if (result.isEmpty()) {
        return ChunkOutcome.STOPPED;
      }
      TxnResult r = result.get();
      if (r.getOutcome() == Outcome.COMMITTED) {
        state.expected = OptionalLong.of(next);
        recordsAppended.addAndGet(records.size());
        recordsSkipped.addAndGet(skipped);
        transactionsCommitted.incrementAndGet();
        c.commitAsync(
            Map.of(tp, new OffsetAndMetadata(next)),
            (offsets, error) -> {
              if (error != null) {
                LOG.debug("Ingest {}: committing offset {} failed: {}", tp, next, error.toString());
              }
            });
        return ChunkOutcome.APPENDED;
      }
      if (r.getOutcome() == Outcome.ABORTED && r.getAbortReason() == AbortReason.ASSERT_FAILED) {
        return reposition(c, tp, first);
      }
      if (r.getOutcome() == Outcome.ABORTED
          && (r.getAbortReason() == AbortReason.SHARD_CLOSED
              || r.getAbortReason() == AbortReason.NOT_FOUND)) {
        // A split, merge or delete was sequenced before this append: route again.
        LOG.info("Ingest {}: {} ({}); re-reading the metadata of stream '{}'",
            tp, r.getAbortReason(), r.getDetail(), stream);
        metadata = null;
        continue;
      }
      problem(false, "appending " + tp + " offsets " + first + ".." + (next - 1) + " (txn " + txn.getId()
          + ") ended " + r.getOutcome() + " " + r.getAbortReason() + ": " + r.getDetail());
    }
    LOG.error(
        "Ingest {}: offsets {}..{} could not be appended to stream '{}' in {} attempts (last: {});"
            + " they stay in the topic and are tried again in {} ms",
        tp, first, next - 1, stream, ATTEMPTS_MAX, lastError, PAUSE_AFTER_FAILURE_MS);
    c.seek(tp, first);
    closing.await(PAUSE_AFTER_FAILURE_MS, TimeUnit.MILLISECONDS);
    return ChunkOutcome.REPOSITIONED;
  }

  /**
   * After ASSERT_FAILED: the counter moved (another bridge or an earlier attempt of this one
   * appended these records), so read it and continue from there.
   */
  private ChunkOutcome reposition(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long first)
      throws InterruptedException {
    repositions.incrementAndGet();
    Optional<OptionalLong> counter = readCounter(tp.partition());
    if (counter.isEmpty()) {
      // Read again with the next records: forget the partition and fetch this batch again.
      partitions.remove(tp.partition());
      c.seek(tp, first);
      return ChunkOutcome.REPOSITIONED;
    }
    partitions.put(tp.partition(), new PartitionState(counter.get()));
    if (counter.get().isPresent()) {
      long at = counter.get().getAsLong();
      LOG.info("Ingest {}: offsets from {} were appended already; continuing at {}", tp, first, at);
      c.seek(tp, at);
    } else {
      // The counter was deleted (for example with the stream): start again from this batch.
      LOG.warn("Ingest {}: the counter {} is gone; continuing at {}", tp,
          StreamKeys.ingest(stream, tp.partition()), first);
      c.seek(tp, first);
    }
    return ChunkOutcome.REPOSITIONED;
  }

  /**
   * Records by target shard with the current metadata (read first when unknown), or null when a
   * record has no open shard or the stream does not exist (logged; the metadata is read again).
   */
  private SortedMap<Long, List<StreamRecord>> route(List<StreamRecord> records)
      throws TimeoutException, ExecutionException, InterruptedException {
    if (metadata == null) {
      Optional<Value> value = readKeys(List.of(StreamKeys.stream(stream))).get(0);
      if (value.isEmpty()) {
        problem(false, "stream '" + stream + "' does not exist; its ingest records wait in " + topic);
        return null;
      }
      try {
        metadata = StreamMetadata.parseFrom(value.get().getBytes());
      } catch (InvalidProtocolBufferException e) {
        problem(true, "the metadata of stream '" + stream + "' is not a StreamMetadata: " + e.getMessage());
        return null;
      }
    }
    List<ShardInfo> open = StreamMetadataReader.openShards(metadata);
    Optional<SortedMap<Long, List<StreamRecord>>> routed = IngestBatches.route(open, records);
    if (routed.isEmpty()) {
      problem(false, "stream '" + stream + "' (metadata version " + metadata.getVersion()
          + ") has no open shard for some partition key; re-reading its metadata");
      metadata = null;
      return null;
    }
    return routed.get();
  }

  /**
   * The counter of {@code partition}: present with its value, present-empty when the key is
   * absent; empty (logged) when it could not be read.
   */
  private Optional<OptionalLong> readCounter(int partition) throws InterruptedException {
    String key = StreamKeys.ingest(stream, partition);
    try {
      Optional<Value> value = readKeys(List.of(key)).get(0);
      if (value.isEmpty()) {
        return Optional.of(OptionalLong.empty());
      }
      if (value.get().getKindCase() != Value.KindCase.COUNTER) {
        problem(true, "the ingest counter " + key + " holds a " + value.get().getKindCase()
            + ", not a counter");
        return Optional.empty();
      }
      return Optional.of(OptionalLong.of(value.get().getCounter()));
    } catch (StatusRuntimeException | TimeoutException | ExecutionException e) {
      problem(false, "reading the ingest counter of partition " + partition + " failed: " + e);
      return Optional.empty();
    }
  }

  /** Values of {@code keys}, read in one Get transaction; throws when it did not commit. */
  private List<Optional<Value>> readKeys(List<String> keys)
      throws TimeoutException, ExecutionException, InterruptedException {
    Transaction.Builder txn = Transaction.newBuilder().setId(TxnRunner.newTxnId());
    for (String key : keys) {
      txn.addOps(Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()));
    }
    Optional<TxnResult> result = run(txn.build());
    if (result.isEmpty()) {
      throw new InterruptedException("the ingest bridge is closing");
    }
    TxnResult r = result.get();
    if (r.getOutcome() != Outcome.COMMITTED) {
      throw new ExecutionException(
          new IllegalStateException("read transaction " + r.getTxnId() + " ended " + r.getOutcome()
              + " " + r.getAbortReason() + ": " + r.getDetail()));
    }
    List<Optional<Value>> out = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      out.add(Optional.empty());
    }
    for (KeyRead read : r.getReadsList()) {
      if (!read.getPostState() && read.getFound() && read.getOpIndex() < keys.size()) {
        out.set(read.getOpIndex(), Optional.of(read.getValue()));
      }
    }
    return out;
  }

  /**
   * Runs a transaction and waits for its result (at most {@value #TXN_WAIT_MS} ms); empty when
   * the bridge is closing. The wait is sliced so that {@link #close} is noticed.
   */
  private Optional<TxnResult> run(Transaction txn)
      throws TimeoutException, ExecutionException, InterruptedException {
    CompletableFuture<TxnResult> future = runner.execute(txn, TXN_WAIT_MS);
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TXN_WAIT_MS + 1_000);
    while (true) {
      if (!running) {
        return Optional.empty();
      }
      try {
        return Optional.of(future.get(RESULT_SLICE_MS, TimeUnit.MILLISECONDS));
      } catch (TimeoutException e) {
        if (System.nanoTime() - deadlineNs > 0) {
          throw new TimeoutException(
              "no result for transaction " + txn.getId() + " within " + TXN_WAIT_MS + " ms");
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof StatusRuntimeException status) {
          throw status;
        }
        throw e;
      }
    }
  }

  private void backoff(int attempt) throws InterruptedException {
    long ms = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS << Math.min(attempt - 1, 20));
    closing.await(ms, TimeUnit.MILLISECONDS);
  }

  /** Records a problem: ERROR when data is affected, WARN for what a retry may fix. */
  private void problem(boolean error, String message) {
    lastError = message;
    if (error) {
      LOG.error("Ingest bridge of stream '{}': {}", stream, message);
    } else {
      LOG.warn("Ingest bridge of stream '{}': {}", stream, message);
    }
  }

  private void fail(Throwable e) {
    failure = e;
    lastError = e.toString();
    LOG.error("Ingest bridge of stream '{}' stopped: {}", stream, e.toString(), e);
  }

  @Override
  public String toString() {
    return "IngestBridge{stream=" + stream + ", topic=" + topic + ", group=" + settings.groupId() + "}";
  }
}
