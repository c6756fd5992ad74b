package io.ordo.executor.locking;

import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.LockEntry;
import io.ordo.proto.state.RangeRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Deterministic lock manager of one key range (Thomson et al., "Calvin: Fast Distributed
 * Transactions for Partitioned Database Systems", SIGMOD 2012, §3.2): every transaction requests
 * all its locks when it arrives, in the global log order, and locks are granted in that order,
 * so there are no deadlocks and which transaction runs when is fixed by the log, not by timing.
 * Extended with increment locks admitted by the escrow check (O'Neil, "The Escrow Transactional
 * Method", TODS 1986), with int64 as one more bound.
 *
 * <p>Shapes: a key's queue is a mutable {@code List<LockEntry>} in queue (= log) order, the
 * entries of the stored {@code LockQueue}; the key's current value is an {@code Optional<Value>}
 * (empty = absent; an absent key counts as the counter 0). Every method works on one key's queue
 * and either changes it in place or returns what the caller must do (transaction ids granted,
 * entries drained, a value to apply). The caller (KeyTransactionProcessorFunction) keeps queues
 * and values in keyed state and emits results; this class holds no state, reads no clock and
 * iterates only lists and sorted maps, so the same queue and value always give the same answer.
 *
 * <p><b>Modes</b> ({@link LockMode}): exclusive if some operation of the transaction writes the
 * key, shared if all only read it, increment if its only operation on the key is an increment
 * and it does not ask for post-state. <b>Grants</b>, in queue order: the head always; a shared
 * entry when every entry before it is shared; an increment entry when every entry before it is
 * an increment and the escrow check passes; an exclusive entry only as head. <b>Escrow
 * check</b>: from the key's value, with each earlier entry's delta counted if it committed, not
 * if it aborted, and both ways while its outcome is unknown, the entry's own delta keeps within
 * its bounds and within int64 in every case. An entry that fails the check waits (it is never
 * refused here): it is decided later on the exact value, as serial execution would decide it.
 * <b>Drain</b>: an increment entry whose transaction finished stays queued, marked done; done
 * entries leave the head in queue order and their deltas are applied then, so values follow log
 * order although transactions finish in any order.
 *
 * <p>Errors: {@link IllegalStateException} when the caller's bookkeeping is inconsistent (a
 * transaction without an entry on the key, an increment-mode key without an increment, an
 * escrowed sum leaving int64). None of these depends on the input log: inputs whose counters
 * would overflow abort in the evaluation, with OUT_OF_RANGE.
 */
public final class LockManager {
  private LockManager() {}

  /**
   * Distinct keys of the request in key order, each with its lock mode: increment when the
   * request's only operation on the key is an increment and it does not return post-state,
   * exclusive when some operation writes the key, shared otherwise.
   */
  public static SortedMap<String, LockMode> lockModes(RangeRequest request) {
    SortedMap<String, Integer> opCount = new TreeMap<>();
    SortedMap<String, LockMode> modes = new TreeMap<>();
    for (IndexedOp indexed : request.getOpsList()) {
      Operation op = indexed.getOp();
      LockMode mode =
          switch (op.getOpCase()) {
            case GET, ASSERT -> LockMode.SHARED;
            case INCREMENT -> LockMode.INCREMENT;
            default -> LockMode.EXCLUSIVE;
          };
      opCount.merge(op.getKey(), 1, Integer::sum);
      modes.merge(op.getKey(), mode, (a, b) -> a == LockMode.SHARED && b == LockMode.SHARED ? LockMode.SHARED : LockMode.EXCLUSIVE);
    }
    for (Map.Entry<String, LockMode> e : modes.entrySet()) {
      if (e.getValue() == LockMode.INCREMENT && (opCount.get(e.getKey()) > 1 || request.getReturnPostState())) {
        e.setValue(LockMode.EXCLUSIVE);
      }
    }
    return modes;
  }

  /**
   * The entry {@code request} queues on {@code key} in {@code mode}; an increment entry carries
   * the increment's delta and bounds (the escrow check needs them).
   *
   * @throws IllegalStateException if {@code mode} is INCREMENT and the request has no increment
   *     on {@code key}
   */
  public static LockEntry lockEntry(RangeRequest request, String key, LockMode mode) {
    LockEntry.Builder entry = LockEntry.newBuilder().setTxnId(request.getTxnId()).setExclusive(mode == LockMode.EXCLUSIVE);
    if (mode == LockMode.INCREMENT) {
      Increment inc = incrementOn(request, key);
      entry.setIncrement(true).setDelta(inc.getDelta());
      if (inc.hasMin()) {
        entry.setMin(inc.getMin());
      }
      if (inc.hasMax()) {
        entry.setMax(inc.getMax());
      }
    }
    return entry.build();
  }

  /**
   * Grants, in place, every entry of a key's queue that may now hold its lock (see the class
   * comment) and returns the transaction ids newly granted, in queue order. Entries already
   * granted stay granted and are not returned again. Appending an entry cannot make an earlier
   * one grantable, so after an append only the new entry can be returned.
   *
   * @param queue the key's entries in queue order; not empty
   * @param current the key's value (empty = absent); consulted for the escrow check only
   */
  public static List<String> grant(List<LockEntry> queue, Optional<Value> current) {
    List<String> granted = new ArrayList<>();
    boolean allShared = true;
    boolean allIncrement = true;
    Range range = null; // the possible values after the entries so far; null = not a counter
    for (int i = 0; i < queue.size(); i++) {
      LockEntry e = queue.get(i);
      if (i == 0) {
        if (current.isEmpty() || current.get().getKindCase() == Value.KindCase.COUNTER) {
          long base = current.map(Value::getCounter).orElse(0L);
          range = new Range(base, base);
        }
      }
      boolean grantable;
      if (i == 0) {
        grantable = true;
      } else if (e.getExclusive()) {
        grantable = false;
      } else if (e.getIncrement()) {
        grantable = allIncrement && escrowHolds(range, e);
      } else {
        grantable = allShared;
      }
      if (grantable && !e.getGranted()) {
        queue.set(i, e.toBuilder().setGranted(true).build());
        granted.add(e.getTxnId());
      }
      allShared = allShared && !e.getExclusive() && !e.getIncrement();
      allIncrement = allIncrement && e.getIncrement();
      if (!allShared && !allIncrement) {
        break;
      }
      if (e.getIncrement() && range != null) {
        range = widen(range, e);
      }
    }
    return granted;
  }

  /** The closed interval [lo, hi] of values a counter may hold. */
  record Range(long lo, long hi) {}

  /**
   * Whether {@code e}'s delta keeps within its bounds and int64 for every value in {@code range}
   * (null: unknown or not a counter, never). When it does not, the entry is not refused but left
   * waiting, like an exclusive lock, until the entries ahead have drained; then it is evaluated
   * on the exact value and commits or aborts (BOUND_VIOLATED, OUT_OF_RANGE) as serial execution
   * would. Aborting it here instead would make its outcome depend on which earlier outcomes had
   * come back over the feedback edge by then, which differs between runs and replays.
   */
  static boolean escrowHolds(Range range, LockEntry e) {
    if (range == null) {
      return false;
    }
    try {
      long lo = Math.addExact(range.lo(), e.getDelta());
      long hi = Math.addExact(range.hi(), e.getDelta());
      return (!e.hasMin() || lo >= e.getMin()) && (!e.hasMax() || hi <= e.getMax());
    } catch (ArithmeticException overflow) {
      return false;
    }
  }

  /**
   * The possible values after {@code e}: its delta counted if it committed or may commit; null
   * when they do not all fit in int64 (no later increment can then pass the escrow check).
   */
  static Range widen(Range range, LockEntry e) {
    long d = e.getDelta();
    boolean surely = e.getDone();
    if (surely && !e.getCommitted()) {
      return range;
    }
    try {
      long lo = surely || d < 0 ? Math.addExact(range.lo(), d) : range.lo();
      long hi = surely || d > 0 ? Math.addExact(range.hi(), d) : range.hi();
      return new Range(lo, hi);
    } catch (ArithmeticException overflow) {
      return null;
    }
  }

  /**
   * The value {@code txnId}'s increment-mode entry sees: {@code current} plus the deltas of the
   * earlier entries that committed but have not drained, or {@code current} itself when there is
   * none. This is one of the values the escrow check allowed for, so the evaluation decides as it
   * would on the exact value.
   *
   * <p>Folded onto the value in queue order, never summed apart from it: each partial sum is the
   * value after an earlier increment under outcomes the escrow check allowed for, hence an int64,
   * whereas the deltas alone need not be (-2^62 + 2^62 + 2^62 fits, 2^62 + 2^62 does not;
   * summing them first failed the job on such a log, and again on every replay).
   *
   * @throws IllegalStateException if a partial sum leaves int64 (the escrow invariant is broken)
   */
  public static Optional<Value> escrowedValue(List<LockEntry> queue, String txnId, String key, Optional<Value> current) {
    long sum = current.map(Value::getCounter).orElse(0L);
    boolean any = false;
    for (LockEntry e : queue) {
      if (e.getTxnId().equals(txnId)) {
        break;
      }
      if (e.getDone() && e.getCommitted()) {
        sum = escrowedSum(sum, e.getDelta(), key);
        any = true;
      }
    }
    return any ? Optional.of(Value.newBuilder().setCounter(sum).build()) : current;
  }

  /**
   * Marks {@code txnId}'s increment entry on a key done, committed or not; it drains when it
   * reaches the head ({@link #takeDrained}).
   *
   * @throws IllegalStateException if {@code txnId} has no entry in {@code queue}
   */
  public static void markDone(List<LockEntry> queue, String txnId, String key, boolean committed) {
    int i = indexOf(queue, txnId, key);
    queue.set(i, queue.get(i).toBuilder().setDone(true).setCommitted(committed).build());
  }

  /**
   * Removes the done increment entries at the head of the queue and returns them in queue order:
   * the caller applies each committed one's delta ({@link #valueAfter}) in that order, then calls
   * {@link #grant} for what became grantable.
   */
  public static List<LockEntry> takeDrained(List<LockEntry> queue) {
    List<LockEntry> drained = new ArrayList<>();
    while (!queue.isEmpty() && queue.get(0).getIncrement() && queue.get(0).getDone()) {
      drained.add(queue.remove(0));
    }
    return drained;
  }

  /**
   * The counter a committed increment entry leaves when it drains: the key's value (absent = 0)
   * plus its delta. Its evaluation found this within int64: as head it saw the value exactly;
   * admitted by escrow, every value it could see was checked.
   *
   * @throws IllegalStateException if the sum leaves int64 (the escrow invariant is broken)
   */
  public static Value valueAfter(LockEntry drained, Optional<Value> current, String key) {
    long base = current.map(Value::getCounter).orElse(0L);
    return Value.newBuilder().setCounter(escrowedSum(base, drained.getDelta(), key)).build();
  }

  /**
   * Releases a shared or exclusive lock: removes {@code txnId}'s entry from the queue. The caller
   * then calls {@link #grant} (when the queue is not empty) for what became grantable.
   *
   * @throws IllegalStateException if {@code txnId} has no entry in {@code queue}
   */
  public static void release(List<LockEntry> queue, String txnId, String key) {
    queue.remove(indexOf(queue, txnId, key));
  }

  /**
   * {@code value + delta} where the escrow check guarantees an int64 result. An overflow here is
   * a broken invariant of this class, not a property of the input (inputs that overflow abort
   * with OUT_OF_RANGE in the evaluation), so it fails loudly.
   */
  private static long escrowedSum(long value, long delta, String key) {
    try {
      return Math.addExact(value, delta);
    } catch (ArithmeticException overflow) {
      throw new IllegalStateException(
          "escrow invariant broken on key '" + key + "': " + value + " + " + delta + " leaves int64", overflow);
    }
  }

  private static int indexOf(List<LockEntry> queue, String txnId, String key) {
    for (int i = 0; i < queue.size(); i++) {
      if (queue.get(i).getTxnId().equals(txnId)) {
        return i;
      }
    }
    throw new IllegalStateException("txn " + txnId + " has no lock entry on key '" + key + "'");
  }

  /** The request's increment on {@code key} (its only operation there, in increment mode). */
  private static Increment incrementOn(RangeRequest request, String key) {
    for (IndexedOp indexed : request.getOpsList()) {
      if (indexed.getOp().getKey().equals(key) && indexed.getOp().getOpCase() == Operation.OpCase.INCREMENT) {
        return indexed.getOp().getIncrement();
      }
    }
    throw new IllegalStateException("txn " + request.getTxnId() + " has no increment on key '" + key + "'");
  }
}
