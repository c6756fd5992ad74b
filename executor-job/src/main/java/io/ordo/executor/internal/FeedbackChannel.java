package io.ordo.executor.internal;

import io.ordo.proto.state.WriteResult;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A shortcut of the feedback topic inside one JVM: the TransactionProcessor hands each write
 * result to this channel as well as to the feedback topic, and a {@code FeedbackChannelSource}
 * subtask in the same JVM takes it from here and feeds it to the KeyTransactionProcessor at once,
 * instead of after a produce, a broker append and a fetch (about 1 ms each way on one machine;
 * BENCHMARKS.md, "Where the time goes").
 *
 * <p><b>Why it is safe:</b> the topic stays the durable record and is still read (from its
 * earliest offset, checkpointed as before), so the channel only adds copies of records the topic
 * delivers anyway, usually earlier. The KeyTransactionProcessor already takes a write result at
 * most once, matched by transaction id and log position, and drops a later copy or keeps an early
 * one until its request is there (its "Write results and recovery"), exactly as it does with the
 * topic's redeliveries after a restore. Nothing here is checkpointed: a result lost from the
 * channel (full, no reader in this JVM, a restart) arrives through the topic.
 *
 * <p><b>Scope:</b> one channel per feedback path, named by {@link #key} (bootstrap servers,
 * topic, consumer group: what identifies the topic's records for one job), shared by every
 * producer and reader subtask in this JVM (in a Flink cluster: in this TaskManager's class loader
 * of the job). Any reader may take any record: the readers' output is keyed by key range before
 * it reaches the KeyTransactionProcessor. Results are offered only while a reader is registered,
 * so a TaskManager without a reader holds nothing.
 *
 * <p><b>Bounds:</b> at most {@value #CAPACITY} results wait per channel; an offer to a full
 * channel is dropped (counted), never blocks the producer.
 *
 * <p>Thread-safe. The channel's order is the order of {@link #offer} calls; nothing decided by
 * the executor depends on it (write results are applied when they match, in any order).
 */
public final class FeedbackChannel {
  /** Results waiting per channel at most. */
  public static final int CAPACITY = 8_192;

  private static final Map<String, FeedbackChannel> CHANNELS = new ConcurrentHashMap<>();

  private final String key;
  private final ArrayDeque<WriteResult> queue = new ArrayDeque<>();
  private int producers; // guarded by this
  private int readers; // guarded by this
  private long dropped; // guarded by this
  private CompletableFuture<Void> available = new CompletableFuture<>(); // guarded by this

  private FeedbackChannel(String key) {
    this.key = key;
  }

  /**
   * The channel's name for one job's feedback path.
   *
   * @param bootstrapServers the Kafka cluster of the feedback topic
   * @param topic the feedback topic
   * @param groupId the job's consumer group
   */
  public static String key(String bootstrapServers, String topic, String groupId) {
    return bootstrapServers + "/" + topic + "/" + groupId;
  }

  /** Registers a producer (a TransactionProcessor subtask) of channel {@code key}; see {@link #releaseProducer}. */
  public static FeedbackChannel acquireProducer(String key) {
    FeedbackChannel channel = CHANNELS.computeIfAbsent(Objects.requireNonNull(key, "key"), FeedbackChannel::new);
    synchronized (channel) {
      channel.producers++;
    }
    return channel;
  }

  /** Registers a reader (a FeedbackChannelSource subtask) of channel {@code key}; see {@link #releaseReader}. */
  public static FeedbackChannel acquireReader(String key) {
    FeedbackChannel channel = CHANNELS.computeIfAbsent(Objects.requireNonNull(key, "key"), FeedbackChannel::new);
    synchronized (channel) {
      channel.readers++;
    }
    return channel;
  }

  /** Ends a producer's registration; the channel is forgotten once nobody uses it. */
  public void releaseProducer() {
    synchronized (this) {
      producers--;
    }
    forgetIfUnused();
  }

  /** Ends a reader's registration; without readers the waiting results are dropped. */
  public void releaseReader() {
    synchronized (this) {
      readers--;
      if (readers == 0) {
        queue.clear();
      }
      available.complete(null);
    }
    forgetIfUnused();
  }

  private void forgetIfUnused() {
    CHANNELS.computeIfPresent(key, (k, c) -> {
      synchronized (c) {
        return c.producers <= 0 && c.readers <= 0 ? null : c;
      }
    });
  }

  /**
   * Hands {@code result} to a reader if one is registered and the channel is not full.
   *
   * @return whether it was queued
   */
  public boolean offer(WriteResult result) {
    Objects.requireNonNull(result, "result");
    CompletableFuture<Void> wake;
    synchronized (this) {
      if (readers <= 0) {
        return false;
      }
      if (queue.size() >= CAPACITY) {
        dropped++;
        return false;
      }
      queue.add(result);
      wake = available;
    }
    // Outside the lock: completing runs the reader's availability callbacks.
    wake.complete(null);
    return true;
  }

  /** The next waiting result, or null if none. */
  public WriteResult poll() {
    synchronized (this) {
      WriteResult next = queue.poll();
      if (next == null && available.isDone()) {
        available = new CompletableFuture<>();
      }
      return next;
    }
  }

  /** Completes when a result may be waiting (at once if one is). */
  public CompletableFuture<Void> available() {
    synchronized (this) {
      if (!queue.isEmpty() || readers <= 0) {
        return CompletableFuture.completedFuture(null);
      }
      if (available.isDone()) {
        available = new CompletableFuture<>();
      }
      return available;
    }
  }

  /** Results dropped because the channel was full. */
  public synchronized long droppedCount() {
    return dropped;
  }

  /** Results waiting now. */
  public synchronized int size() {
    return queue.size();
  }
}
