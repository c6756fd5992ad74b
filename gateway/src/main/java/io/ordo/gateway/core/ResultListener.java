package io.ordo.gateway.core;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.TxnResult;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.KafkaClientTimeouts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * Reads the results topic and hands each {@link TxnResult} to the request whose log entry it
 * answers: same transaction id and same log position (partition, offset) as the request's append.
 *
 * <p>Threads: one consumer thread polls every partition of the results topic (assigned, no
 * consumer group: every gateway sees every result and keeps those it waits for); one scheduler
 * thread fails waiters whose deadline passes. {@link #await}, {@link #cancel} and {@link #close}
 * are thread-safe.
 *
 * <p>Correlation ({@link ResultMatcher}): a waiter is registered under its transaction id
 * <em>before</em> the transaction is appended, and {@link #start} positions the consumer at the
 * end of every partition before it returns, so no result of a request served afterwards is
 * missed. When the append is acknowledged the caller reports where the entry landed ({@link
 * #appended}); only the result at that position completes the waiter. Several requests may wait
 * on one id at once (clients choose ids; two may collide): each gets the result of its own entry,
 * a repeat within the executor's dedup window its own DUPLICATE. A result read before its
 * append's acknowledgement is kept (bounded) until the acknowledgement says whose it is. A result
 * that answers no waiting entry (another gateway's, another request's with the same id, or one the
 * executor re-emitted after a recovery) is dropped.
 *
 * <p>The consumer reads uncommitted records (isolation.level=read_uncommitted): the executor is
 * deterministic, so a result written in a Kafka transaction that later aborts is written again,
 * identically, by the replay; answering early is safe because the entry is durable in the log
 * before anything runs and every replay computes the same result (docs/design.md, "Answer early").
 *
 * <p>Bounds: at most {@code inFlightTxnMax} waiters (beyond: {@link WaiterRefusedException});
 * every waiter has a deadline; at most {@link #EARLY_RESULTS_MAX} results wait for their append's
 * acknowledgement (beyond: dropped and counted; the waiter ends with its deadline).
 */
public final class ResultListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ResultListener.class);

  /**
   * Most results kept while a waiter of their id has no acknowledged append yet. Normally the
   * acknowledgement comes first (the result needs the executor's round trip); the bound holds
   * when replays or a shared id bring many results for unacknowledged ids.
   */
  public static final int EARLY_RESULTS_MAX = 4_096;

  /**
   * Longest poll of the consumer, in milliseconds. A result ends a poll as soon as it arrives and
   * {@link #close} wakes the consumer, so this only sets how often an idle listener wakes up.
   */
  static final long POLL_TIMEOUT_MS = 1_000;

  /**
   * How long the broker holds a fetch that finds no data, in milliseconds. It adds no latency:
   * with {@code fetch.min.bytes=1} the broker answers a waiting fetch as soon as a result is
   * appended; it only sets how often an idle listener asks (every 5 s: each empty fetch costs
   * the in-process broker about a millisecond of CPU). On a replicated results topic the wait is
   * {@value KafkaClientTimeouts#REPLICATED_FETCH_WAIT_MS} ms instead, for failover (see {@link
   * KafkaClientTimeouts}). A consumer's close waits for its parked
   * fetch, so {@link #close} closes it without waiting ({@code CloseOptions.timeout(ZERO)}: the
   * listener is assign-only, nothing is committed, the broker drops the fetch session itself).
   */
  static final int FETCH_MAX_WAIT_MS = 5_000;

  /** Longest wait for the answer whether the results topic is replicated (at start). */
  static final Duration REPLICATION_PROBE_TIMEOUT = Duration.ofSeconds(5);

  /** Pause after a failed poll before the next, in milliseconds. */
  static final long POLL_ERROR_BACKOFF_MS = 200;

  /** How long close waits for the consumer thread, in milliseconds. */
  static final long CLOSE_TIMEOUT_MS = 5_000;

  private final String resultsTopic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<TopicPartition> partitions;
  private final int inFlightTxnMax;
  private final Semaphore inFlightPermits;
  private final ResultMatcher<Waiter> waiters = new ResultMatcher<>(EARLY_RESULTS_MAX);
  private final ScheduledThreadPoolExecutor timer;
  private final Thread pollThread;
  private volatile boolean closing;
  private volatile boolean pollHealthy = true;
  private volatile String lastPollError = "";
  private volatile long resultsSeen;
  private final AtomicLong resultsDelivered = new AtomicLong();

  /** Why a waiter was not registered. */
  public static final class WaiterRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The reasons a waiter is refused. */
    public enum Reason {
      /** inFlightTxnMax waiters already wait. */
      LIMIT_REACHED,
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

  /** A waiter is its own future (what {@link #await} returns), so callers can name it. */
  private static final class Waiter extends CompletableFuture<TxnResult> {
    final CompletableFuture<TxnResult> future = this;
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
    return start(KafkaClientSettings.of(bootstrapServers), resultsTopic, inFlightTxnMax, startTimeout);
  }

  /**
   * Like {@link #start(String, String, int, Duration)} with the client settings {@code kafka}
   * (bootstrap servers and a secured cluster's client properties, over the listener's tuning).
   */
  public static ResultListener start(
      KafkaClientSettings kafka, String resultsTopic, int inFlightTxnMax, Duration startTimeout) {
    if (inFlightTxnMax <= 0) {
      throw new IllegalArgumentException("inFlightTxnMax must be > 0, got " + inFlightTxnMax);
    }
    Properties props = new Properties();
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    // A fetch returns as soon as one byte is there, else after the fetch wait (long poll):
    // FETCH_MAX_WAIT_MS on one broker; on a replicated topic 0.5 s, so that the request timeout
    // (fetch wait + 1.5 s) gives up on a silent broker soon after a failover, and metadata is
    // refreshed every second (KafkaClientTimeouts).
    boolean replicated = KafkaClientTimeouts.replicatedOrUnknown(kafka, resultsTopic,
        startTimeout.compareTo(REPLICATION_PROBE_TIMEOUT) < 0 ? startTimeout : REPLICATION_PROBE_TIMEOUT);
    KafkaClientTimeouts.putConsumerTimeouts(props, KafkaClientTimeouts.idleFetchWaitMs(FETCH_MAX_WAIT_MS, replicated));
    KafkaClientTimeouts.putReplicatedFailover(props, replicated);
    props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ordo-gateway-results");
    kafka.apply(props);
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
   * Registers a waiter for a request with id {@code txnId}, to be called before the request's
   * entry is appended; {@link #appended} then says where it landed. The returned future completes
   * with the result at that position, or fails with {@link ResultDeadlineException} after {@code
   * timeoutMs}, with {@link ListenerClosedException} when the listener closes, or with whatever
   * {@link #cancel} was given. Other waiters may wait on the same id; each gets its own entry's
   * result.
   *
   * @param txnId the transaction id (non-empty)
   * @param timeoutMs how long to wait, in milliseconds (> 0)
   * @throws WaiterRefusedException if inFlightTxnMax waiters already wait or the listener is
   *     closed
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
    waiters.add(txnId, waiter);
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
   * The append of the entry behind {@code future} (as returned by {@link #await} for {@code
   * txnId}) was acknowledged at {@code partition}/{@code offset} of the log: from now on only the
   * result at that position completes it (at once, if it was read already). Called from the
   * producer's I/O thread; does nothing if the waiter no longer waits.
   *
   * @param partition the log partition of the entry
   * @param offset the offset of the entry in that partition
   */
  public void appended(String txnId, CompletableFuture<TxnResult> future, int partition, long offset) {
    Waiter waiter = waiterOf(txnId, future);
    if (waiter == null) {
      return;
    }
    TxnResult early = waiters.appended(txnId, waiter, partition, offset);
    if (early != null) {
      released(waiter);
      resultsDelivered.incrementAndGet();
      waiter.future.complete(early);
    }
  }

  /**
   * Fails the waiter behind {@code future} (as returned by {@link #await} for {@code txnId}) with
   * {@code cause}, if it still waits. Used when the append fails or the client goes away.
   *
   * @return true if the waiter was still waiting and is now failed
   */
  public boolean cancel(String txnId, CompletableFuture<TxnResult> future, Throwable cause) {
    Waiter waiter = waiterOf(txnId, future);
    if (waiter == null || !remove(txnId, waiter)) {
      return false;
    }
    return waiter.future.completeExceptionally(cause);
  }

  private Waiter waiterOf(String txnId, CompletableFuture<TxnResult> future) {
    return future instanceof Waiter waiter && waiters.contains(txnId, waiter) ? waiter : null;
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
        + waiters.waiting()
        + " waiting, "
        + resultsSeen
        + " results seen, "
        + resultsDelivered.get()
        + " delivered, "
        + waiters.earlyResults()
        + " ahead of their append's acknowledgement, "
        + waiters.earlyResultsDropped()
        + " of those dropped at the bound)";
  }

  /** How many waiters wait now. */
  public int waiting() {
    return waiters.waiting();
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
    for (Map.Entry<String, Waiter> registered : waiters.registered()) {
      String txnId = registered.getKey();
      Waiter waiter = registered.getValue();
      if (remove(txnId, waiter)) {
        waiter.future.completeExceptionally(new ListenerClosedException(txnId));
      }
    }
    timer.shutdownNow();
  }

  private boolean remove(String txnId, Waiter waiter) {
    if (!waiters.remove(txnId, waiter)) {
      return false;
    }
    released(waiter);
    return true;
  }

  /** Frees what a waiter the matcher no longer holds had: its permit and its timeout. */
  private void released(Waiter waiter) {
    inFlightPermits.release();
    ScheduledFuture<?> timeout = waiter.timeout;
    if (timeout != null) {
      timeout.cancel(false);
    }
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
      consumer.close(CloseOptions.timeout(Duration.ZERO));
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
    Waiter waiter = waiters.offer(result);
    if (waiter != null) {
      released(waiter);
      resultsDelivered.incrementAndGet();
      waiter.future.complete(result);
    }
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
