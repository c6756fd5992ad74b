package io.ordo.gateway.subscriptions;

import java.util.Collection;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * A subscription's acknowledgement state over one shard, as the gateway knows it: every offset
 * below {@link #floor()} and every offset in {@link #acked()} (each >= floor) is acknowledged.
 * The same rules as the executor's {@code SubscriptionAck} (log.proto): offsets below the floor or
 * already acked are ignored, then the floor moves up over acked offsets. Monotonic: {@link
 * #merge} and {@link #ack} never forget an acknowledgement, so views from different sources (an
 * ack transaction's post-state, the local store, a Get) can be combined in any order. Not
 * thread-safe (owned by one subscription group, under its lock).
 */
final class Progress {
  private long floor;
  private final TreeSet<Long> acked = new TreeSet<>();

  Progress(long floor, Collection<Long> acked) {
    if (floor < 0) {
      throw new IllegalArgumentException("floor must be >= 0, got " + floor);
    }
    this.floor = floor;
    ack(acked);
  }

  /** Every offset below this is acknowledged. */
  long floor() {
    return floor;
  }

  /** Acknowledged offsets at or above the floor, ascending (a read-only view). */
  NavigableSet<Long> acked() {
    return java.util.Collections.unmodifiableNavigableSet(acked);
  }

  boolean isAcked(long offset) {
    return offset < floor || acked.contains(offset);
  }

  /** Whether every offset in {@code [from, end)} is acknowledged. */
  boolean coversRange(long from, long end) {
    long first = Math.max(from, floor);
    if (first >= end) {
      return true;
    }
    return acked.subSet(first, true, end, false).size() == end - first;
  }

  /** Adds acknowledgements (SubscriptionAck's rule); returns whether anything changed. */
  boolean ack(Collection<Long> offsets) {
    boolean changed = false;
    for (long offset : offsets) {
      if (offset >= floor && acked.add(offset)) {
        changed = true;
      }
    }
    while (!acked.isEmpty() && acked.first() == floor) {
      acked.pollFirst();
      floor++;
    }
    return changed;
  }

  /** Adds everything {@code floor}/{@code ackedOffsets} acknowledge; returns whether it changed. */
  boolean merge(long otherFloor, Collection<Long> ackedOffsets) {
    boolean changed = false;
    if (otherFloor > floor) {
      floor = otherFloor;
      acked.headSet(floor).clear();
      changed = true;
    }
    return ack(ackedOffsets) || changed;
  }

  @Override
  public String toString() {
    return "Progress{floor=" + floor + ", acked=" + acked + "}";
  }
}
