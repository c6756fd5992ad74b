package io.ordo.gateway.subscriptions;

import java.util.Map;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The records of one subscription that this gateway delivered and that are not acknowledged yet,
 * per shard, each with its ack deadline and the consumer it went to last: which are due for
 * redelivery, who holds how many, and how many there are in all (the caller keeps that under the
 * subscription's {@code max_unacked_records}).
 *
 * <p>Only offsets are kept, not records: a redelivery reads the record from the store again, so
 * an entry costs a few dozen bytes whatever the payload. Deadlines are {@link System#nanoTime}
 * readings, compared by difference (so they survive its wrap-around). Offsets and shards are held
 * in sorted maps, so what is due comes out in offset order, the same on every run.
 *
 * <p>Not thread-safe: owned by one {@link SubscriptionGroup} and used under its monitor.
 */
final class UnackedRecords {
  /** One delivered, unacknowledged record (its offset is the map key). */
  private static final class Entry {
    long deadlineNanos;
    String consumer;

    Entry(long deadlineNanos, String consumer) {
      this.deadlineNanos = deadlineNanos;
      this.consumer = consumer;
    }
  }

  /** shard id → offset → entry. */
  private final TreeMap<Long, TreeMap<Long, Entry>> byShard = new TreeMap<>();
  private int count;

  /** Records delivered and not acknowledged, over every shard. */
  int count() {
    return count;
  }

  /** Whether record {@code offset} of shard {@code shardId} was delivered and is not acknowledged. */
  boolean contains(long shardId, long offset) {
    TreeMap<Long, Entry> shard = byShard.get(shardId);
    return shard != null && shard.containsKey(offset);
  }

  /**
   * Records a first delivery: due for redelivery at {@code deadlineNanos} unless acknowledged.
   *
   * @throws IllegalStateException if the record is already held (a redelivery goes through {@link
   *     #redeliver})
   */
  void add(long shardId, long offset, long deadlineNanos, String consumer) {
    Entry previous =
        byShard
            .computeIfAbsent(shardId, id -> new TreeMap<>())
            .putIfAbsent(offset, new Entry(deadlineNanos, consumer));
    if (previous != null) {
      throw new IllegalStateException(
          "record " + offset + " of shard " + shardId + " is already unacked (deadline "
              + previous.deadlineNanos + ")");
    }
    count++;
  }

  /**
   * Records a redelivery of a held record to {@code consumer}, due again at {@code deadlineNanos}.
   *
   * @throws IllegalStateException if the record is not held
   */
  void redeliver(long shardId, long offset, long deadlineNanos, String consumer) {
    TreeMap<Long, Entry> shard = byShard.get(shardId);
    Entry entry = shard == null ? null : shard.get(offset);
    if (entry == null) {
      throw new IllegalStateException(
          "record " + offset + " of shard " + shardId + " is not unacked");
    }
    entry.deadlineNanos = deadlineNanos;
    entry.consumer = consumer;
  }

  /** Forgets one record (acknowledged, or trimmed away); returns whether it was held. */
  boolean remove(long shardId, long offset) {
    TreeMap<Long, Entry> shard = byShard.get(shardId);
    if (shard == null || shard.remove(offset) == null) {
      return false;
    }
    count--;
    return true;
  }

  /** Forgets every record of shard {@code shardId} that {@code progress} acknowledges. */
  void removeAcked(long shardId, Progress progress) {
    TreeMap<Long, Entry> shard = byShard.get(shardId);
    if (shard == null) {
      return;
    }
    SortedMap<Long, Entry> below = shard.headMap(progress.floor());
    count -= below.size();
    below.clear();
    for (long offset : progress.acked()) {
      if (shard.remove(offset) != null) {
        count--;
      }
    }
  }

  /**
   * Makes every record last delivered to {@code consumer} due at {@code nowNanos} (a StreamingFetch
   * consumer left: its acks can no longer arrive).
   */
  void expireFor(String consumer, long nowNanos) {
    for (TreeMap<Long, Entry> shard : byShard.values()) {
      for (Entry entry : shard.values()) {
        if (entry.consumer.equals(consumer)) {
          entry.deadlineNanos = nowNanos;
        }
      }
    }
  }

  /**
   * The lowest offset at or above {@code fromOffset} of shard {@code shardId} whose deadline is at
   * or before {@code nowNanos}; empty when none is due. Callers walk the due records in offset
   * order by asking again from the offset after the one returned.
   */
  OptionalLong nextDue(long shardId, long fromOffset, long nowNanos) {
    TreeMap<Long, Entry> shard = byShard.get(shardId);
    if (shard == null) {
      return OptionalLong.empty();
    }
    for (Map.Entry<Long, Entry> entry : shard.tailMap(fromOffset, true).entrySet()) {
      if (entry.getValue().deadlineNanos - nowNanos <= 0) {
        return OptionalLong.of(entry.getKey());
      }
    }
    return OptionalLong.empty();
  }

  /** Consumer name → records last delivered to it and not acknowledged, in name order. */
  SortedMap<String, Long> countByConsumer() {
    SortedMap<String, Long> out = new TreeMap<>();
    for (TreeMap<Long, Entry> shard : byShard.values()) {
      for (Entry entry : shard.values()) {
        out.merge(entry.consumer, 1L, Long::sum);
      }
    }
    return out;
  }

  /** Whether some record's ack deadline is still ahead of {@code nowNanos}. */
  boolean anyAwaitingAck(long nowNanos) {
    for (TreeMap<Long, Entry> shard : byShard.values()) {
      for (Entry entry : shard.values()) {
        if (entry.deadlineNanos - nowNanos > 0) {
          return true;
        }
      }
    }
    return false;
  }
}
