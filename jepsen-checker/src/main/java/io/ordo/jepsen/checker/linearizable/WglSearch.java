package io.ordo.jepsen.checker.linearizable;

import io.ordo.jepsen.history.Op;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The Wing–Gong/Lowe linearizability search over one partition (one key), as Porcupine's
 * checkSingle.
 *
 * <p>Entries: each operation has a call entry (at its invoke's place in history order) and a
 * return entry (at its completion's place; operations that completed with info or never completed
 * have their return after every other entry, in history order). The entries form a doubly linked
 * list with a sentinel head. The search walks the list from the head: a call whose operation is a
 * legal step of the model from the current state is linearized — unless (linearized set, new
 * state) is already in the cache, which means that subtree was explored — and its call and return
 * are lifted out of the list, and the walk restarts at the head; a return entry means its
 * operation should have been linearized by now, so the search backtracks: it pops the last
 * linearized operation, restores its entries and state, and tries the entry after its call. The
 * history is linearizable once every ok operation is linearized: info operations may take effect
 * anywhere after their call, or never.
 *
 * <p>Deterministic: the walk order is history order; the cache only prunes.
 */
final class WglSearch {
  /** One operation of the partition, in invoke order. */
  record KvOp(Op invoke, Op completion, KvModel.Kind kind, Object argument, Object observed) {
    boolean isOk() {
      return completion != null && completion.isOk();
    }
  }

  enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    TIME_LIMIT,
    CACHE_LIMIT
  }

  /**
   * @param linearized the longest sequence of operations (by position in the partition's op list)
   *     found to linearize, in linearization order
   * @param firstIllegal the position of the operation whose return was reached when that longest
   *     prefix could not be extended, or -1
   */
  record Outcome(Verdict verdict, List<Integer> linearized, int firstIllegal, long cacheEntries, long steps) {}

  private static final class Node {
    final int id; // position in the op list; -1 for the head
    final boolean call;
    Node match; // the call's return entry
    Node prev;
    Node next;

    Node(int id, boolean call) {
      this.id = id;
      this.call = call;
    }
  }

  private record CacheKey(BitSet linearized, Object state) {}

  private record Frame(Node entry, Object state) {}

  private WglSearch() {}

  /**
   * Searches for a linearization of {@code ops}.
   *
   * @param ops the partition's operations in invoke order (fail ops and info reads already removed)
   * @param nanoClock read every 1024 steps to enforce {@code deadlineNanos}
   * @param cacheEntriesMax the most cache entries before giving up with {@link Verdict#CACHE_LIMIT}
   *     (each entry holds a bit set of {@code ops.size()} bits and a state)
   */
  static Outcome search(List<KvOp> ops, LongSupplier nanoClock, long deadlineNanos, long cacheEntriesMax) {
    Node head = buildList(ops);
    int okRemaining = 0;
    for (KvOp op : ops) {
      if (op.isOk()) {
        okRemaining++;
      }
    }
    BitSet linearized = new BitSet(ops.size());
    Set<CacheKey> cache = new HashSet<>();
    Deque<Frame> calls = new ArrayDeque<>();
    Object state = null;
    Node entry = head.next;
    int bestDepth = 0;
    boolean bestSaved = false; // so that a partition failing at depth 0 still reports its first illegal op
    List<Integer> best = List.of();
    int firstIllegal = -1;
    long steps = 0;
    while (okRemaining > 0) {
      if ((++steps & 1023) == 0 && nanoClock.getAsLong() - deadlineNanos > 0) {
        return new Outcome(Verdict.TIME_LIMIT, best, firstIllegal, cache.size(), steps);
      }
      if (entry.call) {
        KvOp op = ops.get(entry.id);
        Object next = KvModel.step(state, op.kind(), op.argument(), op.observed());
        boolean advanced = false;
        if (next != KvModel.ILLEGAL) {
          // Probe with the live bit set; only a new entry pays for a copy.
          linearized.set(entry.id);
          if (!cache.contains(new CacheKey(linearized, next))) {
            cache.add(new CacheKey((BitSet) linearized.clone(), next));
            if (cache.size() > cacheEntriesMax) {
              return new Outcome(Verdict.CACHE_LIMIT, best, firstIllegal, cache.size(), steps);
            }
            calls.push(new Frame(entry, state));
            state = next;
            if (op.isOk()) {
              okRemaining--;
            }
            lift(entry);
            if (calls.size() > bestDepth) {
              bestDepth = calls.size();
              bestSaved = false;
            }
            entry = head.next;
            advanced = true;
          } else {
            linearized.clear(entry.id);
          }
        }
        if (!advanced) {
          entry = entry.next;
        }
      } else {
        // A return entry: its operation had to take effect before this point and did not.
        if (!bestSaved && calls.size() == bestDepth) {
          best = stackIds(calls);
          firstIllegal = entry.id;
          bestSaved = true;
        }
        if (calls.isEmpty()) {
          return new Outcome(Verdict.NOT_LINEARIZABLE, best, firstIllegal, cache.size(), steps);
        }
        Frame top = calls.pop();
        entry = top.entry();
        state = top.state();
        linearized.clear(entry.id);
        if (ops.get(entry.id).isOk()) {
          okRemaining++;
        }
        unlift(entry);
        entry = entry.next;
      }
    }
    return new Outcome(Verdict.LINEARIZABLE, stackIds(calls), -1, cache.size(), steps);
  }

  private static List<Integer> stackIds(Deque<Frame> calls) {
    List<Integer> ids = new ArrayList<>(calls.size());
    var it = calls.descendingIterator();
    while (it.hasNext()) {
      ids.add(it.next().entry().id);
    }
    return List.copyOf(ids);
  }

  /** Builds the entry list: calls and ok/fail returns in history order, then info returns. */
  private static Node buildList(List<KvOp> ops) {
    record Event(long index, Node node) {}
    List<Event> events = new ArrayList<>(2 * ops.size());
    List<Node> lateReturns = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      KvOp op = ops.get(i);
      Node call = new Node(i, true);
      Node ret = new Node(i, false);
      call.match = ret;
      events.add(new Event(op.invoke().index(), call));
      if (op.isOk()) {
        events.add(new Event(op.completion().index(), ret));
      } else {
        lateReturns.add(ret);
      }
    }
    events.sort((a, b) -> Long.compare(a.index(), b.index()));
    Node head = new Node(-1, false);
    Node tail = head;
    List<Node> all = new ArrayList<>(events.size() + lateReturns.size());
    for (Event e : events) {
      all.add(e.node());
    }
    all.addAll(lateReturns);
    for (Node n : all) {
      tail.next = n;
      n.prev = tail;
      tail = n;
    }
    return head;
  }

  private static void lift(Node call) {
    call.prev.next = call.next;
    call.next.prev = call.prev;
    Node ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  private static void unlift(Node call) {
    Node ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    call.next.prev = call;
  }
}
