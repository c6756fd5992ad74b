package io.ordo.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.KafkaClientTimeouts;
import io.ordo.storage.internal.ChangelogRecords;
import io.ordo.storage.internal.ShardKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the changelog topic into a MultiVersionStore on one thread: resumes from the offsets
 * stored with the data (so a restart neither loses nor re-applies), bounded poll batches, stops
 * cleanly.
 *
 * <p><b>Consuming.</b> The consumer has no group: it assigns itself every partition of the topic
 * (re-checking the partition count every {@value #PARTITION_REFRESH_INTERVAL_MS} ms, and waiting
 * for the topic if it does not exist yet) and seeks each to the offset stored in the store, or to
 * the beginning for a partition the store has never read. It reads committed records only
 * ({@code isolation.level=read_committed}), so output of an exactly-once executor sink is seen
 * once its transaction commits. Each poll returns at most {@value #POLL_RECORDS_MAX} records;
 * they are applied with their next offsets in one {@link MultiVersionStore#apply} call, so data
 * and offsets never disagree. Offsets no longer in the topic (deleted by retention) stop the
 * materializer with an error rather than silently skipping changes. Before trusting any stored
 * offset the store is bound to the topic's identity ({@code <topic>/<topic id>}, {@link
 * MultiVersionStore#bindSource}): a store materialized from another changelog, or from a topic of
 * the same name that was deleted and created again, stops the materializer with that reason.
 *
 * <p><b>Duplicates.</b> An executor recovering from a checkpoint writes records again, identical
 * and with the same (key range, LSN); the store skips them. {@link #recordsRead()} counts every
 * record taken from the topic, {@link #recordsApplied()} the ones that changed the store.
 *
 * <p><b>Bad records.</b> A record whose value is not a {@link ChangelogRecord}, or that lacks a
 * key, position or LSN, is logged at ERROR, counted in {@link #recordsInvalid()} and skipped (its
 * offset is still stored), so one bad record does not stop the view.
 *
 * <p><b>Failure and stopping.</b> Any other error (the store failing or closed, an offset out of
 * range) stops the thread; {@link #awaitLsn} and {@link #awaitShardEnd} then throw with that cause. {@link #close()} stops
 * the thread and closes the consumer, but not the store, which the caller owns and must close
 * after this. Thread-safe.
 */
public final class ChangelogMaterializer implements AutoCloseable {
  /** The most records one poll returns and one {@link MultiVersionStore#apply} call writes. */
  public static final int POLL_RECORDS_MAX = 500;

  /**
   * How long one poll waits for records, in milliseconds. Records end a poll as soon as they
   * arrive and {@link #close} wakes the consumer, so this only sets how often an idle
   * materializer wakes up.
   */
  public static final long POLL_TIMEOUT_MS = 1_000;

  /**
   * How long the broker holds this consumer's fetch while nothing new is there, in milliseconds.
   * It adds no latency (the broker answers a parked fetch as soon as a change is committed); it
   * sets how often an idle materializer asks (each empty fetch costs the in-process broker about
   * a millisecond of CPU). On a replicated topic (or one whose replication is not known when the
   * thread starts) the wait is {@value KafkaClientTimeouts#REPLICATED_FETCH_WAIT_MS} ms instead, for
   * failover ({@link KafkaClientTimeouts}). A consumer's close waits for its parked fetch, so the
   * thread closes it without waiting: the consumer is assign-only and commits nothing.
   */
  static final int IDLE_FETCH_WAIT_MS = 5_000;

  /** How soon the thread looks again for a topic that does not exist yet, in milliseconds. */
  static final long MISSING_TOPIC_RETRY_MS = 100;

  /** How often the thread looks for new partitions of the topic (or for the topic itself). */
  public static final long PARTITION_REFRESH_INTERVAL_MS = 5_000;

  /** How long {@link #close} waits for the thread to stop. */
  public static final long CLOSE_TIMEOUT_MS = 30_000;

  /** How long one metadata request (partition lookup) may block the thread. */
  private static final long METADATA_TIMEOUT_MS = 5_000;

  private static final Logger LOG = LoggerFactory.getLogger(ChangelogMaterializer.class);

  private final KafkaClientSettings kafka;
  private final String topic;
  private final MultiVersionStore store;
  private final AtomicLong recordsRead = new AtomicLong();
  private final AtomicLong recordsApplied = new AtomicLong();
  private final AtomicLong recordsInvalid = new AtomicLong();
  /** Monitor for progress: notified after every applied batch and when the thread ends. */
  private final Object progress = new Object();

  private Thread thread; // guarded by this
  private boolean closed; // guarded by this
  private volatile boolean running;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile Throwable failure;
  private volatile boolean finished;
  private boolean sourceBound; // only touched by the materializer thread

  /**
   * Creates a materializer; nothing runs until {@link #start()}.
   *
   * @param bootstrapServers Kafka bootstrap servers, {@code host:port[,host:port...]}
   * @param changelogTopic the changelog topic (key: data key, value: {@link ChangelogRecord})
   * @param store the store to write to; it should be fed by this topic only, since its stored
   *     offsets are taken as offsets of this topic
   * @throws IllegalArgumentException if a string is null or blank, or the store is null
   */
  public ChangelogMaterializer(String bootstrapServers, String changelogTopic, MultiVersionStore store) {
    this(plaintext(bootstrapServers), changelogTopic, store);
  }

  /**
   * Creates a materializer whose Kafka clients use {@code kafka} (bootstrap servers and a secured
   * cluster's client properties, over the materializer's own tuning); nothing runs until {@link
   * #start()}.
   *
   * @throws IllegalArgumentException if the topic is null or blank, or the store is null
   */
  public ChangelogMaterializer(KafkaClientSettings kafka, String changelogTopic, MultiVersionStore store) {
    if (kafka == null) {
      throw new IllegalArgumentException("kafka must not be null");
    }
    if (changelogTopic == null || changelogTopic.isBlank()) {
      throw new IllegalArgumentException("changelogTopic must be a non-blank topic name");
    }
    if (store == null) {
      throw new IllegalArgumentException("store must not be null");
    }
    this.kafka = kafka;
    this.topic = changelogTopic;
    this.store = store;
  }

  private static KafkaClientSettings plaintext(String bootstrapServers) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must be a non-blank host:port list");
    }
    return KafkaClientSettings.of(bootstrapServers);
  }

  /**
   * Starts the consuming thread and returns at once.
   *
   * @throws IllegalStateException if already started or closed
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("materializer of '" + topic + "' is closed");
    }
    if (thread != null) {
      throw new IllegalStateException("materializer of '" + topic + "' is already started");
    }
    running = true;
    thread = new Thread(this::run, "ordo-materializer-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Waits at most timeoutMs until the store has applied lsn >= lsn for keyRange; returns whether it
   * did.
   *
   * <p>"Applied" is {@link MultiVersionStore#appliedLsn}: every record of the key range up to
   * {@code lsn} is in the store, so reads of its keys reflect them.
   *
   * @param timeoutMs how long to wait, &gt;= 0
   * @throws IllegalArgumentException if timeoutMs is negative
   * @throws IllegalStateException if the materializer stopped on an error (the cause is attached),
   *     or the store is closed
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public boolean awaitLsn(int keyRange, long lsn, long timeoutMs) throws InterruptedException {
    if (timeoutMs < 0) {
      throw new IllegalArgumentException("timeoutMs must be >= 0, got " + timeoutMs);
    }
    return awaitProgress(() -> store.appliedLsn(keyRange) >= lsn, timeoutMs);
  }

  /**
   * Waits at most timeoutMs until every key range in {@code keyRanges} has its frontier ({@link
   * MultiVersionStore#appliedPosition}) at or after {@code position} (Position order: ts,
   * partition, offset); returns whether it did. A consistent snapshot: once it holds for every key
   * range of the executor, reads AS OF {@code position} see every change at or before it.
   *
   * @param timeoutMs how long to wait, &gt;= 0
   * @throws IllegalArgumentException if timeoutMs is negative
   * @throws IllegalStateException if the materializer stopped on an error (the cause is attached),
   *     or the store is closed
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public boolean awaitPosition(List<Integer> keyRanges, Position position, long timeoutMs)
      throws InterruptedException {
    if (timeoutMs < 0) {
      throw new IllegalArgumentException("timeoutMs must be >= 0, got " + timeoutMs);
    }
    List<Integer> ranges = List.copyOf(keyRanges);
    return awaitProgress(
        () -> {
          for (int r : ranges) {
            Optional<Position> frontier = store.appliedPosition(r);
            if (frontier.isEmpty() || POSITION_ORDER.compare(frontier.get(), position) < 0) {
              return false;
            }
          }
          return true;
        },
        timeoutMs);
  }

  /**
   * Waits at most timeoutMs until more than {@code seen} records have been applied ({@link
   * #recordsApplied}); returns whether they have. Push queries wait here for something new to
   * read: any applied batch wakes them, whatever its positions (a lagging partition's records may
   * be older than ones applied before).
   *
   * @param timeoutMs how long to wait, &gt;= 0
   * @throws IllegalArgumentException if timeoutMs is negative
   * @throws IllegalStateException if the materializer stopped on an error, or the store is closed
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public boolean awaitAppliedBeyond(long seen, long timeoutMs) throws InterruptedException {
    if (timeoutMs < 0) {
      throw new IllegalArgumentException("timeoutMs must be >= 0, got " + timeoutMs);
    }
    return awaitProgress(() -> recordsApplied.get() > seen, timeoutMs);
  }

  /** Position order: ts, then partition, then offset. */
  private static final Comparator<Position> POSITION_ORDER =
      Comparator.comparingLong(Position::getTs)
          .thenComparingInt(Position::getPartition)
          .thenComparingLong(Position::getOffset);

  /**
   * Waits at most timeoutMs (checked >= 0 by the caller) until {@code reached} holds, re-checking
   * it after every applied batch; false on timeout or once the thread has finished.
   *
   * @throws IllegalStateException if the materializer stopped on an error (the cause is attached)
   */
  private boolean awaitProgress(BooleanSupplier reached, long timeoutMs)
      throws InterruptedException {
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    synchronized (progress) {
      while (true) {
        // The failure first: if the store was closed under us, its own error says less.
        Throwable failed = failure;
        if (failed != null) {
          throw new IllegalStateException(
              "materializer of '" + topic + "' stopped on an error: " + failed.getMessage(), failed);
        }
        if (reached.getAsBoolean()) {
          return true;
        }
        long remainingNs = deadlineNs - System.nanoTime();
        if (remainingNs <= 0 || finished) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(progress, remainingNs);
      }
    }
  }

  /**
   * Waits at most timeoutMs until the store has materialized shard {@code shardId} of {@code
   * stream} up to {@code minEnd}: its {@link MultiVersionStore#shardState} exists and has {@code
   * end >= minEnd}. Returns whether it did.
   *
   * <p>For reads that must not report a false end: the caller learns the shard's {@code
   * next_offset} linearizably (a transaction that gets the shard key) and waits for it here
   * before reading; a live tail calls it in a loop with {@code minEnd = } its next offset + 1.
   * Waiters wake once per applied batch (one monitor, notified after the batch is written) and
   * then do one point lookup, so waking is cheap. A shard that is absent (or deleted) never
   * satisfies the wait, whatever {@code minEnd}; neither does a closed shard whose final end is
   * below {@code minEnd}, so check {@link ShardProgressView#closed()} when it returns false.
   *
   * @param stream the stream name (1..{@value ShardKeys#STREAM_BYTES_MAX}
   *     UTF-8 bytes, no U+0000)
   * @param shardId the shard id, &gt;= 0
   * @param minEnd the end to wait for, &gt;= 0
   * @param timeoutMs how long to wait, &gt;= 0
   * @return true once the end is reached; false on timeout or when the materializer was closed
   * @throws IllegalArgumentException if an argument is out of range
   * @throws IllegalStateException if the materializer stopped on an error (the cause is attached),
   *     or the store is closed
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public boolean awaitShardEnd(String stream, long shardId, long minEnd, long timeoutMs)
      throws InterruptedException {
    String reason = ShardKeys.invalidShardReason(stream, shardId);
    if (reason != null) {
      throw new IllegalArgumentException(reason);
    }
    if (minEnd < 0) {
      throw new IllegalArgumentException("minEnd must be >= 0, got " + minEnd);
    }
    if (timeoutMs < 0) {
      throw new IllegalArgumentException("timeoutMs must be >= 0, got " + timeoutMs);
    }
    return awaitProgress(
        () -> {
          Optional<ShardProgressView> state = store.shardState(stream, shardId);
          return state.isPresent() && state.get().end() >= minEnd;
        },
        timeoutMs);
  }

  /** Records that changed the store (duplicates and invalid records not counted), since start. */
  public long recordsApplied() {
    return recordsApplied.get();
  }

  /** Records taken from the topic since start, including duplicates and invalid records. */
  public long recordsRead() {
    return recordsRead.get();
  }

  /** Records skipped because they were not valid changelog records, since start. */
  public long recordsInvalid() {
    return recordsInvalid.get();
  }

  /** The error that stopped the thread, if any. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * Stops the thread (at once: a poll in progress is woken; a wait for a missing topic ends within
   * {@value #MISSING_TOPIC_RETRY_MS} ms) and closes the consumer; waits at most {@value #CLOSE_TIMEOUT_MS} ms.
   * Records already applied stay applied with their offsets. Does not close the store.
   * Idempotent.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
    }
    running = false;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (t == null) {
      return;
    }
    try {
      t.join(CLOSE_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (t.isAlive()) {
      LOG.error("Materializer of '{}' did not stop within {} ms", topic, CLOSE_TIMEOUT_MS);
    }
  }

  private void run() {
    KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    try {
      consumer = c;
      int assignedPartitions = 0;
      long nextRefreshNs = System.nanoTime();
      while (running) {
        if (System.nanoTime() - nextRefreshNs >= 0) {
          assignedPartitions = refreshAssignment(c, assignedPartitions);
          nextRefreshNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PARTITION_REFRESH_INTERVAL_MS);
        }
        if (assignedPartitions == 0) {
          // The topic does not exist yet: look again soon rather than polling nothing.
          nextRefreshNs = Math.min(nextRefreshNs, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MISSING_TOPIC_RETRY_MS));
          sleepQuietly(MISSING_TOPIC_RETRY_MS);
          continue;
        }
        ConsumerRecords<byte[], byte[]> polled = c.poll(Duration.ofMillis(POLL_TIMEOUT_MS));
        if (!polled.isEmpty()) {
          applyBatch(polled);
        }
      }
    } catch (WakeupException e) {
      if (running) {
        fail(e);
      }
    } catch (Throwable e) {
      fail(e);
    } finally {
      consumer = null;
      try {
        c.close(CloseOptions.timeout(Duration.ZERO));
      } catch (RuntimeException e) {
        LOG.debug("closing the consumer of '{}' failed: {}", topic, e.toString());
      }
      finished = true;
      signalProgress();
    }
  }

  private Properties consumerProperties() {
    Properties props = new Properties();
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ordo-materializer-" + topic);
    // Offsets live in the store with the data, not in a consumer group.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, POLL_RECORDS_MAX);
    // See IDLE_FETCH_WAIT_MS; shorter on a replicated topic, so that the request timeout (fetch
    // wait + 1.5 s) gives up on a silent broker soon after a failover, and metadata is refreshed
    // every second (KafkaClientTimeouts).
    boolean replicated = KafkaClientTimeouts.replicatedOrUnknown(kafka, topic, Duration.ofMillis(METADATA_TIMEOUT_MS));
    KafkaClientTimeouts.putConsumerTimeouts(props, KafkaClientTimeouts.idleFetchWaitMs(IDLE_FETCH_WAIT_MS, replicated));
    KafkaClientTimeouts.putReplicatedFailover(props, replicated);
    // Every partition is positioned explicitly; a stored offset that is out of range must fail
    // rather than jump, since jumping would silently drop changes.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) METADATA_TIMEOUT_MS);
    return kafka.apply(props);
  }

  /**
   * Assigns every partition of the topic when their number changed, positioning each at the
   * store's offset or at the beginning. Returns the number of assigned partitions.
   */
  private int refreshAssignment(KafkaConsumer<byte[], byte[]> c, int assigned) {
    List<PartitionInfo> infos;
    try {
      infos = c.partitionsFor(topic, Duration.ofMillis(METADATA_TIMEOUT_MS));
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      // A missing topic or a broker that is not reachable yet: look again later.
      LOG.debug("Cannot list the partitions of '{}' yet: {}", topic, e.toString());
      return assigned;
    }
    if (infos == null || infos.size() == assigned) {
      return assigned;
    }
    if (!sourceBound) {
      if (!bindSource()) {
        return assigned;
      }
      sourceBound = true;
    }
    List<TopicPartition> partitions = new ArrayList<>(infos.size());
    for (PartitionInfo info : infos) {
      partitions.add(new TopicPartition(topic, info.partition()));
    }
    partitions.sort(Comparator.comparingInt(TopicPartition::partition));
    c.assign(partitions);
    // The store's offsets are the truth: every record up to them has been applied. Seeking all
    // partitions (not only new ones) keeps that simple; re-reading is harmless anyway, as
    // duplicates are skipped.
    Map<Integer, Long> stored = store.committedOffsets();
    List<TopicPartition> fromBeginning = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      Long next = stored.get(tp.partition());
      if (next == null) {
        fromBeginning.add(tp);
      } else {
        c.seek(tp, next);
      }
    }
    if (!fromBeginning.isEmpty()) {
      c.seekToBeginning(fromBeginning);
    }
    LOG.info("Materializing '{}': {} partitions, resuming at {}", topic, partitions.size(), stored);
    return partitions.size();
  }

  /**
   * Binds the store to this topic's identity ({@code <topic>/<topic id>}, {@link
   * MultiVersionStore#bindSource}) before any offset of it is trusted. Returns false when the topic
   * cannot be described yet (retried at the next refresh); a store bound to another changelog
   * throws, which stops the materializer with that reason.
   */
  private boolean bindSource() {
    Map<String, Object> props = new java.util.HashMap<>();
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) METADATA_TIMEOUT_MS);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) METADATA_TIMEOUT_MS);
    kafka.apply(props);
    try (Admin admin = Admin.create(props)) {
      TopicDescription description = admin.describeTopics(List.of(topic)).topicNameValues()
          .get(topic).get(METADATA_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      store.bindSource(topic + "/" + description.topicId());
      return true;
    } catch (ExecutionException | java.util.concurrent.TimeoutException | KafkaException e) {
      LOG.debug("Cannot describe '{}' yet: {}", topic, e.toString());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WakeupException();
    }
  }

  private void applyBatch(ConsumerRecords<byte[], byte[]> polled) {
    List<ChangelogRecord> batch = new ArrayList<>(polled.count());
    TreeMap<Integer, Long> nextOffsets = new TreeMap<>();
    // Partition order, so the batch does not depend on the iteration order of the poll result.
    List<TopicPartition> partitions = new ArrayList<>(polled.partitions());
    partitions.sort(Comparator.comparingInt(TopicPartition::partition));
    for (TopicPartition tp : partitions) {
      for (ConsumerRecord<byte[], byte[]> r : polled.records(tp)) {
        recordsRead.incrementAndGet();
        nextOffsets.put(tp.partition(), r.offset() + 1);
        ChangelogRecord change = parse(r);
        if (change != null) {
          batch.add(change);
        }
      }
    }
    int applied = store.apply(batch, nextOffsets);
    recordsApplied.addAndGet(applied);
    signalProgress();
  }

  /** The record's changelog record, or null (logged and counted) if it is not a valid one. */
  private ChangelogRecord parse(ConsumerRecord<byte[], byte[]> r) {
    String reason;
    ChangelogRecord change = null;
    if (r.value() == null) {
      reason = "the value is null";
    } else {
      try {
        change = ChangelogRecord.parseFrom(r.value());
        reason = ChangelogRecords.invalidReason(change);
      } catch (InvalidProtocolBufferException e) {
        reason = "the value is not a ChangelogRecord: " + e.getMessage();
      }
    }
    if (reason != null) {
      recordsInvalid.incrementAndGet();
      LOG.error(
          "Skipping changelog record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), reason);
      return null;
    }
    return change;
  }

  private void fail(Throwable e) {
    failure = e;
    LOG.error("Materializer of '{}' stopped: {}", topic, e.toString(), e);
  }

  private void signalProgress() {
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  private void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  @Override
  public String toString() {
    return "ChangelogMaterializer{topic=" + topic + ", kafka=" + kafka + "}";
  }
}
