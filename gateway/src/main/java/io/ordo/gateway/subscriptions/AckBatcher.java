package io.ordo.gateway.subscriptions;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongPredicate;

/**
 * The acknowledgements of one subscription that wait on this gateway to be written, and the one
 * batch being written: acks are gathered per shard and written by one sequenced transaction of
 * SubscriptionAck operations at a time, once {@value #ACK_BATCH_MAX} are pending ({@link
 * #batchFull}) or {@value #ACK_FLUSH_DELAY_MS} ms after the first (the caller's timer). A batch
 * whose transaction failed is put back ({@link #requeue}): acks are idempotent, so writing one
 * twice is harmless.
 *
 * <p>Bounds: at most {@value #PENDING_ACKS_MAX} acks are added while pending ({@link #hasRoomFor}
 * is the caller's check); a batch put back is not counted against it, so pending acks stay below
 * twice that. Shards and offsets are kept sorted, so a batch's operations come out in the same
 * order on every run.
 *
 * <p>Not thread-safe: owned by one {@link SubscriptionGroup} and used under its monitor.
 */
final class AckBatcher {
  /** Pending (not yet written) acks of one subscription on one gateway. */
  static final int PENDING_ACKS_MAX = 200_000;

  /** Acks that trigger an immediate flush. */
  static final int ACK_BATCH_MAX = 500;

  /** How long an ack waits for others to share its transaction, in milliseconds. */
  static final long ACK_FLUSH_DELAY_MS = 50;

  /** Delay before retrying an ack transaction whose outcome was unknown, in milliseconds. */
  static final long ACK_RETRY_DELAY_MS = 500;

  /** shard id → offsets acknowledged and not yet in a batch. */
  private final TreeMap<Long, TreeSet<Long>> pending = new TreeMap<>();
  private int pendingCount;
  /** The batch being written; empty when none is. */
  private SortedMap<Long, TreeSet<Long>> inFlight = new TreeMap<>();

  /** Acks waiting for a batch (the batch being written not included). */
  int pendingCount() {
    return pendingCount;
  }

  /** Whether {@code acks} more fit under {@value #PENDING_ACKS_MAX} pending ones. */
  boolean hasRoomFor(int acks) {
    return pendingCount + acks <= PENDING_ACKS_MAX;
  }

  /** Whether enough acks are pending to write them at once rather than wait for more. */
  boolean batchFull() {
    return pendingCount >= ACK_BATCH_MAX;
  }

  /** Adds an ack; returns false when it was pending already (it is not counted twice). */
  boolean add(long shardId, long offset) {
    if (pending.computeIfAbsent(shardId, k -> new TreeSet<>()).add(offset)) {
      pendingCount++;
      return true;
    }
    return false;
  }

  /** Whether the ack of {@code offset} of shard {@code shardId} is pending or being written. */
  boolean contains(long shardId, long offset) {
    TreeSet<Long> waiting = pending.get(shardId);
    if (waiting != null && waiting.contains(offset)) {
      return true;
    }
    TreeSet<Long> writing = inFlight.get(shardId);
    return writing != null && writing.contains(offset);
  }

  /** Whether a batch is being written. */
  boolean writing() {
    return !inFlight.isEmpty();
  }

  /** No ack pending and none being written. */
  boolean isEmpty() {
    return pendingCount == 0 && inFlight.isEmpty();
  }

  /**
   * Takes the next batch: the pending acks of every shard that {@code writable} accepts (the
   * others stay pending), which then count as being written until {@link #batchDone}.
   *
   * @param writable whether a shard's acks can be written now (its progress key is known to
   *     exist: an ack on an absent key would abort the whole batch)
   * @return shard id → offsets, ascending; empty when a batch is being written already or no
   *     pending ack is writable
   */
  SortedMap<Long, TreeSet<Long>> takeBatch(LongPredicate writable) {
    if (!inFlight.isEmpty() || pending.isEmpty()) {
      return new TreeMap<>();
    }
    TreeMap<Long, TreeSet<Long>> batch = new TreeMap<>();
    for (Iterator<Map.Entry<Long, TreeSet<Long>>> it = pending.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<Long, TreeSet<Long>> entry = it.next();
      if (writable.test(entry.getKey())) {
        batch.put(entry.getKey(), entry.getValue());
        pendingCount -= entry.getValue().size();
        it.remove();
      }
    }
    inFlight = batch;
    return batch;
  }

  /** The batch's transaction has ended (either way): nothing is being written any more. */
  void batchDone() {
    inFlight = new TreeMap<>();
  }

  /** Puts the acks of a batch whose write failed back among the pending ones. */
  void requeue(SortedMap<Long, ? extends Set<Long>> batch) {
    for (Map.Entry<Long, ? extends Set<Long>> entry : batch.entrySet()) {
      for (long offset : entry.getValue()) {
        add(entry.getKey(), offset);
      }
    }
  }
}
