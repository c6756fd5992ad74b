package io.ordo.gateway.core;

import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Pairs each waiting request with the one result that answers its own log entry: the result whose
 * position's (partition, offset) is where the sequencer appended that request's entry.
 *
 * <p>Why the position and not the id: transaction ids are chosen by clients, so two requests (on
 * one gateway or several) can carry the same id; the executor answers each log entry with its own
 * result at that entry's position (a repeated id within the dedup window gets a DUPLICATE result
 * at the repeat's position), and a recovery re-emits results of old entries. Matching by id alone
 * would hand one request another's outcome. The timestamp of the position is not compared: the
 * executor makes it monotonic per partition ({@code max(brokerTs, previousTs)}), so it can differ
 * from the broker timestamp of the append's acknowledgement; (partition, offset) names the entry.
 *
 * <p>Life of a waiter: {@link #add} before the append (so no result can be missed), {@link
 * #appended} when the sequencer acknowledges the append with its partition and offset, then
 * either {@link #offer} finds it with the matching result or {@link #remove} takes it out
 * (deadline, cancel, failed append). A result that arrives while a waiter of its id has no
 * acknowledged position yet is kept as an early result, keyed by (id, partition, offset), and
 * handed over by {@link #appended} if the position matches; early results of an id are dropped
 * once no waiter of that id is still unacknowledged. A result for an id nobody waits for, or whose
 * position matches no waiter of its id while every such waiter knows its position, is dropped (it
 * answers another gateway's entry, another request with the same id, or is a replay of an
 * answered one).
 *
 * <p>Bounds: waiters are bounded by the caller ({@link ResultListener}'s {@code inFlightTxnMax});
 * early results by {@code earlyResultsMax} in total: beyond it a new early result is dropped (its
 * waiter then ends with its deadline, outcome unknown, never with a wrong result) and counted
 * ({@link #earlyResultsDropped}).
 *
 * <p>Thread-safe: every method holds the instance's lock briefly; none completes a future, the
 * caller does that with what is returned, outside the lock.
 *
 * @param <W> the caller's waiter handle, compared by identity
 */
final class ResultMatcher<W> {
  /** A log entry's place: the partition and offset of an append acknowledgement or a position. */
  record Entry(int partition, long offset) {
    static Entry of(Position position) {
      return new Entry(position.getPartition(), position.getOffset());
    }
  }

  private static final class Pending<W> {
    final W waiter;
    Entry appendedAt; // null until the append is acknowledged

    Pending(W waiter) {
      this.waiter = waiter;
    }
  }

  private static final class Slot<W> {
    final List<Pending<W>> pending = new ArrayList<>(1);
    // Results that came before the acknowledgement of an append of this id, by their entry.
    final Map<Entry, TxnResult> early = new LinkedHashMap<>();

    boolean anyUnacknowledged() {
      for (Pending<W> p : pending) {
        if (p.appendedAt == null) {
          return true;
        }
      }
      return false;
    }
  }

  private final int earlyResultsMax;
  private final Map<String, Slot<W>> byId = new HashMap<>();
  private int waiting;
  private int earlyResults;
  private long earlyResultsDropped;

  /**
   * @param earlyResultsMax most early results kept at once, over all ids (> 0)
   * @throws IllegalArgumentException if earlyResultsMax is not positive
   */
  ResultMatcher(int earlyResultsMax) {
    if (earlyResultsMax <= 0) {
      throw new IllegalArgumentException("earlyResultsMax must be > 0, got " + earlyResultsMax);
    }
    this.earlyResultsMax = earlyResultsMax;
  }

  /** Registers {@code waiter} for a request with id {@code txnId}, position not known yet. */
  synchronized void add(String txnId, W waiter) {
    Objects.requireNonNull(waiter, "waiter");
    byId.computeIfAbsent(txnId, id -> new Slot<>()).pending.add(new Pending<>(waiter));
    waiting++;
  }

  /**
   * The append of {@code waiter}'s entry was acknowledged at {@code partition}/{@code offset}.
   *
   * @return the early result of that entry, already removed with the waiter (the caller completes
   *     the waiter with it), or null when the waiter keeps waiting or is no longer registered
   */
  synchronized TxnResult appended(String txnId, W waiter, int partition, long offset) {
    Slot<W> slot = byId.get(txnId);
    Pending<W> pending = slot == null ? null : find(slot, waiter);
    if (pending == null) {
      return null;
    }
    Entry entry = new Entry(partition, offset);
    pending.appendedAt = entry;
    TxnResult early = slot.early.remove(entry);
    if (early != null) {
      earlyResults--;
      slot.pending.remove(pending);
      waiting--;
    }
    tidy(txnId, slot);
    return early;
  }

  /**
   * A result was read.
   *
   * @return the waiter it answers, already removed (the caller completes it), or null
   */
  synchronized W offer(TxnResult result) {
    Slot<W> slot = byId.get(result.getTxnId());
    if (slot == null) {
      return null;
    }
    Entry entry = Entry.of(result.getPosition());
    boolean unacknowledged = false;
    for (Iterator<Pending<W>> it = slot.pending.iterator(); it.hasNext(); ) {
      Pending<W> p = it.next();
      if (p.appendedAt == null) {
        unacknowledged = true;
      } else if (p.appendedAt.equals(entry)) {
        it.remove();
        waiting--;
        tidy(result.getTxnId(), slot);
        return p.waiter;
      }
    }
    if (unacknowledged && !slot.early.containsKey(entry)) {
      if (earlyResults < earlyResultsMax) {
        slot.early.put(entry, result);
        earlyResults++;
      } else {
        earlyResultsDropped++;
      }
    }
    return null;
  }

  /**
   * Takes {@code waiter} out (deadline, cancel, failed append, close).
   *
   * @return true if it was registered
   */
  synchronized boolean remove(String txnId, W waiter) {
    Slot<W> slot = byId.get(txnId);
    Pending<W> pending = slot == null ? null : find(slot, waiter);
    if (pending == null) {
      return false;
    }
    slot.pending.remove(pending);
    waiting--;
    tidy(txnId, slot);
    return true;
  }

  /** True if {@code waiter} is registered under {@code txnId}. */
  synchronized boolean contains(String txnId, W waiter) {
    Slot<W> slot = byId.get(txnId);
    return slot != null && find(slot, waiter) != null;
  }

  /** Every registered (id, waiter), in no particular order (for close). */
  synchronized List<Map.Entry<String, W>> registered() {
    List<Map.Entry<String, W>> all = new ArrayList<>(waiting);
    for (Map.Entry<String, Slot<W>> e : byId.entrySet()) {
      for (Pending<W> p : e.getValue().pending) {
        all.add(Map.entry(e.getKey(), p.waiter));
      }
    }
    return all;
  }

  /** Waiters registered now. */
  synchronized int waiting() {
    return waiting;
  }

  /** Early results kept now. */
  synchronized int earlyResults() {
    return earlyResults;
  }

  /** Early results dropped because {@code earlyResultsMax} were kept, since creation. */
  synchronized long earlyResultsDropped() {
    return earlyResultsDropped;
  }

  private void tidy(String txnId, Slot<W> slot) {
    if (!slot.early.isEmpty() && !slot.anyUnacknowledged()) {
      // Every waiter of the id knows its entry: no kept result can be anyone's any more.
      earlyResults -= slot.early.size();
      slot.early.clear();
    }
    if (slot.pending.isEmpty()) {
      byId.remove(txnId);
    }
  }

  private static <W> Pending<W> find(Slot<W> slot, W waiter) {
    for (Pending<W> p : slot.pending) {
      if (p.waiter == waiter) {
        return p;
      }
    }
    return null;
  }
}
