package io.ordo.gateway.core;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the results topic and hands each {@link TxnResult} to the request waiting for its
 * transaction id.
 *
 * <p>Threads: one consumer thread polls every partition of the results topic (assigned, no
 * consumer group: every gateway sees every result and keeps those it waits for); one scheduler
 * thread fails waiters whose deadline passes. {@link #await}, {@link #cancel} and {@link #close}
 * are thread-safe.
 *
 * <p>Correlation: a waiter is registered under its transaction id <em>before</em> the
 * transaction is appended, and {@link #start} positions the consumer at the end of every
 * partition before it returns, so no result of a request served afterwards is missed. A result
 * completes its waiter once and removes it; a result with no waiter (another gateway's, or a
 * duplicate) is dropped. The executor re-emits byte-identical results after a recovery, so a
 * remembered set of recently delivered (id, position) pairs also keeps a replayed result from
 * reaching a later request that reuses the id (that request gets its own result, DUPLICATE).
 *
 * <p>The consumer reads uncommitted records (isolation.level=read_uncommitted): the executor is
 * deterministic, so a result written in a Kafka transaction that later aborts is written again,
 * identically, by the replay; answering early is safe because the entry is durable in the log
 * before anything runs and every replay computes the same result (docs/design.md, "Answer early").
 *
 * <p>Bounds: at most {@code inFlightTxnMax} waiters (beyond: {@link WaiterRefusedException});
 * every waiter has a deadline; the remembered set holds at most {@link #DELIVERED_REMEMBERED_MAX}
 * entries.
 */
public final class ResultListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ResultListener.class);

  /** How many delivered (id, position) pairs are remembered to drop replayed duplicates. */
  public static final int DELIVERED_REMEMBERED_MAX = 65_536;

  /**
   * Longest poll of the consumer, in milliseconds. A result ends a poll as soon as it arrives and
   * {@link #close} wakes the consumer, so this only sets how often an idle listener wakes up.
   */
  static final long POLL_TIMEOUT_MS = 1_000;

  /**
   * How long the broker holds a fetch that finds no data, in milliseconds. It adds no latency:
   * with {@code fetch.min.bytes=1} the broker answers a waiting fetch as soon as a result is
   * appended; it only sets how often an idle listener asks (every 5 s).
   */
  static final int FETCH_MAX_WAIT_MS = 5_000;

  /** Pause after a failed poll before the next, in milliseconds. */
  static final long POLL_ERROR_BACKOFF_MS = 200;

  /** How long close waits for the consumer thread, in milliseconds. */
  static final long CLOSE_TIMEOUT_MS = 5_000;

  private final String resultsTopic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<TopicPartition> partitions;
  private final int inFlightTxnMax;
  private final Semaphore inFlightPermits;
  private final ConcurrentHashMap<String, Waiter> waiters = new ConcurrentHashMap<>();
  private final ScheduledThreadPoolExecutor timer;
  private final Thread pollThread;
  // Touched only by the consumer thread: insertion-ordered, evicts the oldest beyond the bound.
  private final Map<String, Boolean> delivered =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > DELIVERED_REMEMBERED_MAX;
        }
      };
  private volatile boolean closing;
  private volatile boolean pollHealthy = true;
  private volatile String lastPollError = "";
  private volatile long resultsSeen;
  private volatile long resultsDelivered;

  /** Why a waiter was not registered. */
  public static final class WaiterRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The reasons a waiter is refused. */
    public enum Reason {
      /** inFlightTxnMax waiters already wait. */
      LIMIT_REACHED,
      /** A waiter for the same transaction id already waits. */
      ID_IN_FLIGHT,
      /** The listener is closed. */
      CLOSED
    }

    private final Reason reason;

    WaiterRefusedException(String message, Reason reason) {
      super(message);
      this.reason = reason;
    }

    /** Why the waiter was refused. */
    public Reason reason() {
      return reason;
    }
  }

  /** The deadline of a waiter passed before its result arrived. */
  public static final class ResultDeadlineException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String txnId;
    private final long timeoutMs;

    ResultDeadlineException(String txnId, long timeoutMs) {
      super(
          "no result for transaction '"
              + txnId
              + "' within "
              + timeoutMs
              + " ms; the outcome is unknown");
      this.txnId = txnId;
      this.timeoutMs = timeoutMs;
    }

    /** The transaction id that was waited for. */
    public String txnId() {
      return txnId;
    }

    /** How long was waited, in milliseconds. */
    public long timeoutMs() {
      return timeoutMs;
    }
  }

  /** The listener closed (the gateway is shutting down) before the result arrived. */
  public static final class ListenerClosedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ListenerClosedException(String txnId) {
      super(
          "the gateway is shutting down; no result for transaction '"
              + txnId
              + "' was received and its outcome is unknown");
    }
  }

  private static final class Waiter {
    final CompletableFuture<TxnResult> future = new CompletableFuture<>();
    volatile ScheduledFuture<?> timeout;
  }

  private ResultListener(
      String resultsTopic,
      KafkaConsumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions,
      int inFlightTxnMax) {
    this.resultsTopic = resultsTopic;
    this.consumer = consumer;
    this.partitions = partitions;
    this.inFlightTxnMax = inFlightTxnMax;
    this.inFlightPermits = new Semaphore(inFlightTxnMax);
    this.timer = new ScheduledThreadPoolExecutor(1, runnable -> daemon(runnable, "ordo-results-timer"));
    // Cancelled timeouts (the common case: the result came first) leave the queue at once.
    this.timer.setRemoveOnCancelPolicy(true);
    this.pollThread = daemon(this::pollLoop, "ordo-results-listener");
  }

  /**
   * Connects to the results topic, positions the consumer at the current end of every partition
   * (forcing the lazy seek, so every result written after this returns is seen) and starts the
   * consumer thread.
   *
   * @param bootstrapServers Kafka bootstrap servers
   * @param resultsTopic the results topic (must exist)
   * @param inFlightTxnMax most waiters at once (> 0)
   * @param startTimeout bound on finding the partitions and their end offsets
   * @throws IllegalArgumentException if inFlightTxnMax is not positive
   * @throws IllegalStateException if the broker does not know the topic
   * @throws org.apache.kafka.common.KafkaException (e.g. TimeoutException) if the broker cannot
   *     be reached within startTimeout
   */
  public static ResultListener start(
      String bootstrapServers, String resultsTopic, int inFlightTxnMax, Duration startTimeout) {
    if (inFlightTxnMax <= 0) {
      throw new IllegalArgumentException("inFlightTxnMax must be > 0, got " + inFlightTxnMax);
    }
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    // A fetch returns as soon as one byte is there, else after FETCH_MAX_WAIT_MS (long poll).
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.toString(FETCH_MAX_WAIT_MS));
    props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ordo-gateway-results");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
    try {
      List<PartitionInfo> infos = consumer.partitionsFor(resultsTopic, startTimeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException(
            "results topic '" + resultsTopic + "' does not exist (the broker lists no partitions)");
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(resultsTopic, info.partition()));
      }
      partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      // seekToEnd is lazy; position() resolves it now, so "the end" is the end at start time
      // and not at the first poll, which could skip results of requests served in between.
      for (TopicPartition partition : partitions) {
        long position = consumer.position(partition, startTimeout);
        LOG.debug("results listener starts {} at offset {}", partition, position);
      }
      ResultListener listener = new ResultListener(resultsTopic, consumer, partitions, inFlightTxnMax);
      listener.pollThread.start();
      LOG.info(
          "results listener on '{}' ({} partitions) started at the end of every partition",
          resultsTopic,
          partitions.size());
      return listener;
    } catch (RuntimeException e) {
      consumer.close(CloseOptions.timeout(Duration.ZERO));
      throw e;
    }
  }

  /**
   * Registers a waiter for {@code txnId}. The returned future completes with the first result
   * for that id that arrives, or fails with {@link ResultDeadlineException} after {@code
   * timeoutMs}, with {@link ListenerClosedException} when the listener closes, or with whatever
   * {@link #cancel} was given.
   *
   * @param txnId the transaction id (non-empty)
   * @param timeoutMs how long to wait, in milliseconds (> 0)
   * @throws WaiterRefusedException if inFlightTxnMax waiters already wait, if a waiter for this id
   *     already waits, or if the listener is closed
   * @throws IllegalArgumentException if txnId is empty or timeoutMs is not positive
   */
  public CompletableFuture<TxnResult> await(String txnId, long timeoutMs) {
    if (txnId.isEmpty()) {
      throw new IllegalArgumentException("txnId must not be empty");
    }
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("timeoutMs must be > 0, got " + timeoutMs);
    }
    if (closing) {
      throw new WaiterRefusedException(
          "the gateway is shutting down", WaiterRefusedException.Reason.CLOSED);
    }
    if (!inFlightPermits.tryAcquire()) {
      throw new WaiterRefusedException(
          "the gateway already waits for "
              + inFlightTxnMax
              + " transactions (inFlightTxnMax); retry later",
          WaiterRefusedException.Reason.LIMIT_REACHED);
    }
    Waiter waiter = new Waiter();
    if (waiters.putIfAbsent(txnId, waiter) != null) {
      inFlightPermits.release();
      throw new WaiterRefusedException(
          "a transaction with id '" + txnId + "' is already in flight on this gateway",
          WaiterRefusedException.Reason.ID_IN_FLIGHT);
    }
    try {
      waiter.timeout =
          timer.schedule(
              () -> {
                if (remove(txnId, waiter)) {
                  waiter.future.completeExceptionally(
                      new ResultDeadlineException(txnId, timeoutMs));
                }
              },
              timeoutMs,
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The timer is shut down only by close(); the check below fails this waiter.
    }
    if (closing) {
      // close() may have drained the map before this waiter was added.
      if (remove(txnId, waiter)) {
        waiter.future.completeExceptionally(new ListenerClosedException(txnId));
      }
    }
    return waiter.future;
  }

  /**
   * Fails the waiter behind {@code future} (as returned by {@link #await} for {@code txnId}) with
   * {@code cause}, if it still waits. Used when the append fails or the client goes away.
   *
   * @return true if the waiter was still waiting and is now failed
   */
  public boolean cancel(String txnId, CompletableFuture<TxnResult> future, Throwable cause) {
    Waiter waiter = waiters.get(txnId);
    if (waiter == null || waiter.future != future || !remove(txnId, waiter)) {
      return false;
    }
    return waiter.future.completeExceptionally(cause);
  }

  /**
   * True while the consumer thread runs and its last poll succeeded.
   */
  public boolean isRunning() {
    return !closing && pollThread.isAlive() && pollHealthy;
  }

  /** A one-line description of the listener's state for health reports. */
  public String describe() {
    String state = isRunning() ? "up" : (closing ? "closed" : "down: " + lastPollError);
    return "results listener "
        + state
        + " ('"
        + resultsTopic
        + "', "
        + partitions.size()
        + " partitions, "
        + waiters.size()
        + " waiting, "
        + resultsSeen
        + " results seen, "
        + resultsDelivered
        + " delivered)";
  }

  /** How many waiters wait now. */
  public int waiting() {
    return waiters.size();
  }

  /**
   * Stops the consumer thread (bounded by {@value #CLOSE_TIMEOUT_MS} ms), closes the consumer and
   * fails every remaining waiter with {@link ListenerClosedException}. Idempotent.
   */
  @Override
  public void close() {
    if (closing) {
      return;
    }
    closing = true;
    consumer.wakeup();
    try {
      pollThread.join(CLOSE_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (pollThread.isAlive()) {
      LOG.warn("results listener thread did not stop within {} ms", CLOSE_TIMEOUT_MS);
    }
    for (String txnId : List.copyOf(waiters.keySet())) {
      Waiter waiter = waiters.get(txnId);
      if (waiter != null && remove(txnId, waiter)) {
        waiter.future.completeExceptionally(new ListenerClosedException(txnId));
      }
    }
    timer.shutdownNow();
  }

  private boolean remove(String txnId, Waiter waiter) {
    if (!waiters.remove(txnId, waiter)) {
      return false;
    }
    inFlightPermits.release();
    ScheduledFuture<?> timeout = waiter.timeout;
    if (timeout != null) {
      timeout.cancel(false);
    }
    return true;
  }

  private void pollLoop() {
    try {
      while (!closing) {
        try {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(POLL_TIMEOUT_MS));
          pollHealthy = true;
          for (ConsumerRecord<byte[], byte[]> record : records) {
            handle(record);
          }
        } catch (WakeupException e) {
          // close() woke us up; the loop condition ends the loop.
        } catch (RuntimeException e) {
          // Keep serving: transient broker trouble must not kill the listener, but health
          // reports it until a poll succeeds again.
          pollHealthy = false;
          lastPollError = e.toString();
          LOG.warn("polling the results topic '{}' failed; retrying", resultsTopic, e);
          sleepQuietly(POLL_ERROR_BACKOFF_MS);
        }
      }
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofMillis(CLOSE_TIMEOUT_MS)));
    }
  }

  private void handle(ConsumerRecord<byte[], byte[]> record) {
    resultsSeen++;
    if (record.value() == null) {
      return;
    }
    TxnResult result;
    try {
      result = TxnResult.parseFrom(record.value());
    } catch (InvalidProtocolBufferException e) {
      LOG.warn(
          "dropping an undecodable record at {}-{} offset {}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
      return;
    }
    String txnId = result.getTxnId();
    Waiter waiter = waiters.get(txnId);
    if (waiter == null) {
      return;
    }
    String deliveryKey = deliveryKey(result);
    if (delivered.containsKey(deliveryKey)) {
      LOG.debug("dropping a replayed result for '{}' already delivered to an earlier request", txnId);
      return;
    }
    if (remove(txnId, waiter)) {
      delivered.put(deliveryKey, Boolean.TRUE);
      resultsDelivered++;
      waiter.future.complete(result);
    }
  }

  private static String deliveryKey(TxnResult result) {
    Position p = result.getPosition();
    return result.getTxnId() + '@' + p.getTs() + '/' + p.getPartition() + '/' + p.getOffset();
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread daemon(Runnable runnable, String name) {
    Thread thread = new Thread(runnable, name);
    thread.setDaemon(true);
    return thread;
  }
}
