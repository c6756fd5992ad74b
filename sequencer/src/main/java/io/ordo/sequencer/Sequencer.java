package io.ordo.sequencer;

import io.ordo.proto.Heartbeat;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Transaction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Appends log entries ({@link LogEntry}) to the log topic of a {@link TopicLayout}.
 *
 * <p>Uses one idempotent Kafka producer (acks=all) with byte[] keys and values. A transaction's
 * record key is its id (UTF-8) and its partition is chosen explicitly as {@link
 * #partitionFor(String)}, so the same id always lands in the same partition whatever partitioner
 * the producer is configured with; this lets the executor deduplicate ids per partition.
 * Heartbeats have no record key.
 *
 * <p>Producer defaults: {@code enable.idempotence=true}, {@code acks=all}, {@code linger.ms=0},
 * {@code max.in.flight.requests.per.connection=5}, {@code delivery.timeout.ms=30000}, {@code
 * request.timeout.ms=}{@value KafkaClientTimeouts#PRODUCER_REQUEST_TIMEOUT_MS} (failover, see {@link
 * KafkaClientTimeouts}), {@code max.block.ms=30000}, {@code max.request.size=}{@value
 * LogTopics#MESSAGE_BYTES_MAX} (matching the topics' {@code max.message.bytes}) and Kafka's default
 * bounded {@code buffer.memory}. The client settings ({@link KafkaClientSettings}: a secured
 * cluster's security properties) go on top of these, then the overrides replace them key by key;
 * the serializers cannot be overridden.
 *
 * <p>The returned futures complete with the entry's {@link AppendAck} once the broker has
 * acknowledged it, or exceptionally with the Kafka exception (for example {@code
 * RecordTooLargeException}, {@code TimeoutException}). They complete on the producer's I/O thread:
 * dependent stages must not block (use the {@code *Async} variants for heavy work).
 *
 * <p>Thread-safe: any number of threads may append concurrently. Entries appended by one thread to
 * one partition keep their order (idempotent producer with at most 5 requests in flight).
 */
public final class Sequencer implements AutoCloseable {
  /** Upper bound on a transaction id's UTF-8 length (log.proto: ids are 1..128 bytes). */
  public static final int TXN_ID_BYTES_MAX = 128;

  /** How long {@link #close()} waits for pending entries (the delivery timeout). */
  public static final long CLOSE_TIMEOUT_MS = 30_000;

  private final TopicLayout layout;
  private final KafkaProducer<byte[], byte[]> producer;
  // Transactions handed to the producer, per log partition (heartbeat suppression reads it).
  private final AtomicLongArray transactionAppends;
  // What this sequencer's transactions still need from heartbeats.
  private final AppendCoverage coverage;
  // Backward steps of the broker timestamps in this sequencer's acknowledgements.
  private final ClockStepDetector clockSteps;

  /**
   * Connects to the cluster at {@code bootstrapServers} ("host:port,...") with the default producer
   * settings. Does not create topics (see {@link LogTopics#ensure}).
   */
  public Sequencer(String bootstrapServers, TopicLayout layout) {
    this(bootstrapServers, layout, Map.of());
  }

  /**
   * Connects with the default producer settings replaced by {@code producerOverrides} (Kafka
   * producer config names to values).
   *
   * @throws IllegalArgumentException if bootstrapServers is blank
   * @throws org.apache.kafka.common.config.ConfigException if the resulting producer config is
   *     invalid
   */
  public Sequencer(
      String bootstrapServers, TopicLayout layout, Map<String, Object> producerOverrides) {
    this(checkedSettings(bootstrapServers), layout, producerOverrides);
  }

  /**
   * Connects with the client settings {@code kafka} (bootstrap servers and a secured cluster's
   * security properties, applied over the producer defaults) and the default producer settings.
   *
   * @throws org.apache.kafka.common.config.ConfigException if the resulting producer config is
   *     invalid
   */
  public Sequencer(KafkaClientSettings kafka, TopicLayout layout) {
    this(kafka, layout, Map.of());
  }

  /**
   * Connects with the client settings {@code kafka}, then {@code producerOverrides} on top (the
   * caller's own tuning wins over both).
   *
   * @throws org.apache.kafka.common.config.ConfigException if the resulting producer config is
   *     invalid
   */
  public Sequencer(
      KafkaClientSettings kafka, TopicLayout layout, Map<String, Object> producerOverrides) {
    Objects.requireNonNull(kafka, "kafka");
    this.layout = Objects.requireNonNull(layout, "layout");
    this.transactionAppends = new AtomicLongArray(layout.logPartitions());
    this.coverage = new AppendCoverage(layout.logPartitions());
    this.clockSteps =
        new ClockStepDetector("acknowledgements of appends to '" + layout.logTopic() + "'");
    Objects.requireNonNull(producerOverrides, "producerOverrides");
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    // No linger: an append is sent at once, so a lone transaction reaches the log about 1 ms
    // sooner (BENCHMARKS.md, "Latency path"); under load records still batch while the five
    // requests in flight per connection are answered.
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    // An append fails only after 30 s of retries (delivery.timeout.ms >= linger.ms +
    // request.timeout.ms); each request gives up on a silent broker after 2 s, so a retry reaches
    // the partition's new leader soon after a failover (KafkaClientTimeouts says why).
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, KafkaClientTimeouts.PRODUCER_REQUEST_TIMEOUT_MS);
    // Bounds how long append() may block the caller for metadata or buffer space.
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, LogTopics.MESSAGE_BYTES_MAX);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "ordo-sequencer-" + layout.logTopic());
    kafka.apply(config);
    config.putAll(producerOverrides);
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.producer = new KafkaProducer<>(config);
  }

  private static KafkaClientSettings checkedSettings(String bootstrapServers) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must not be blank");
    }
    return KafkaClientSettings.of(bootstrapServers);
  }

  /**
   * Appends {@code LogEntry{transaction: txn}} to partition {@link #partitionFor}(txn.id) with
   * record key = the id's UTF-8 bytes.
   *
   * @throws IllegalArgumentException if the id is empty or longer than {@value #TXN_ID_BYTES_MAX}
   *     UTF-8 bytes (the caller's bug; nothing is appended)
   */
  public CompletableFuture<AppendAck> append(Transaction txn) {
    Objects.requireNonNull(txn, "txn");
    byte[] key = txn.getId().getBytes(StandardCharsets.UTF_8);
    if (key.length == 0 || key.length > TXN_ID_BYTES_MAX) {
      throw new IllegalArgumentException(
          "transaction id must be 1.." + TXN_ID_BYTES_MAX + " UTF-8 bytes, got " + key.length);
    }
    byte[] value = LogEntry.newBuilder().setTransaction(txn).build().toByteArray();
    int partition = partitionOf(key);
    transactionAppends.incrementAndGet(partition);
    coverage.transactionHanded();
    return send(partition, key, value, true);
  }

  /**
   * How many transactions this sequencer has handed to the producer for log partition {@code
   * partition} so far (successful or not): a {@link HeartbeatService} skips a partition's
   * heartbeat when this moved since its previous round.
   *
   * @throws IllegalArgumentException if partition is not in [0, logPartitions)
   */
  public long transactionAppends(int partition) {
    checkPartition(partition);
    return transactionAppends.get(partition);
  }

  /**
   * Appends {@code LogEntry{heartbeat}} to {@code partition}, without a record key.
   *
   * @throws IllegalArgumentException if partition is not in [0, logPartitions)
   */
  public CompletableFuture<AppendAck> appendHeartbeat(int partition, Heartbeat heartbeat) {
    Objects.requireNonNull(heartbeat, "heartbeat");
    checkPartition(partition);
    byte[] value = LogEntry.newBuilder().setHeartbeat(heartbeat).build().toByteArray();
    return send(partition, null, value, false);
  }

  /**
   * Appends raw bytes as a log record to a given partition with a given key (either may be
   * arbitrary; used by tests to write malformed entries).
   *
   * @param key the record key, or null for none
   * @param value the record value, or null for a tombstone
   * @throws IllegalArgumentException if partition is not in [0, logPartitions)
   */
  public CompletableFuture<AppendAck> appendRaw(int partition, byte[] key, byte[] value) {
    checkPartition(partition);
    return send(partition, key, value, false);
  }

  /**
   * The log partition of a transaction id: {@code toPositive(murmur2(utf8(id))) % logPartitions}.
   * Stable across processes and versions.
   */
  public int partitionFor(String txnId) {
    Objects.requireNonNull(txnId, "txnId");
    return partitionOf(txnId.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * What this sequencer's transactions still need from heartbeats: whether every partition holds
   * an entry appended by this sequencer and stamped after its newest transaction.
   */
  public AppendCoverage coverage() {
    return coverage;
  }

  /**
   * Backward steps of the broker timestamps (LogAppendTime) in this sequencer's append
   * acknowledgements, transactions and heartbeats alike, per partition (counted and logged; the
   * gateway's metrics read them).
   */
  public ClockStepDetector clockSteps() {
    return clockSteps;
  }

  /** The layout this sequencer appends to. */
  public TopicLayout layout() {
    return layout;
  }

  /**
   * Closes the producer: waits at most {@value #CLOSE_TIMEOUT_MS} ms for entries already handed to
   * it to be acknowledged; entries still pending after that fail their futures.
   */
  @Override
  public void close() {
    producer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
  }

  private int partitionOf(byte[] key) {
    return Utils.toPositive(Utils.murmur2(key)) % layout.logPartitions();
  }

  private void checkPartition(int partition) {
    if (partition < 0 || partition >= layout.logPartitions()) {
      throw new IllegalArgumentException(
          "partition must be in [0, " + layout.logPartitions() + "), got " + partition);
    }
  }

  private CompletableFuture<AppendAck> send(
      int partition, byte[] key, byte[] value, boolean transaction) {
    CompletableFuture<AppendAck> result = new CompletableFuture<>();
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(layout.logTopic(), partition, key, value);
    try {
      producer.send(
          record,
          (metadata, exception) -> {
            // Coverage first, so whoever the future wakes already sees it.
            if (exception != null) {
              if (transaction) {
                coverage.transactionFailed();
              }
              result.completeExceptionally(exception);
            } else {
              // Acknowledgements of one partition arrive in offset order (one producer).
              clockSteps.observe(metadata.partition(), metadata.timestamp());
              if (transaction) {
                coverage.transactionAcked(metadata.partition(), metadata.timestamp());
              } else {
                coverage.entryAcked(metadata.partition(), metadata.timestamp());
              }
              result.complete(
                  new AppendAck(metadata.partition(), metadata.offset(), metadata.timestamp()));
            }
          });
    } catch (RuntimeException e) {
      // send() throws synchronously when the producer is closed, when metadata or buffer space
      // is not available within max.block.ms, or on an interrupt; report it like a send failure.
      if (transaction) {
        coverage.transactionFailed();
      }
      result.completeExceptionally(e);
    }
    return result;
  }
}
