package io.ordo.jepsen.checker.stream;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A seeded simulation of a Kafka-like partitioned log with concurrent producers and consumers,
 * producing a stream history. The log is correct unless a {@link Fault} is injected: each
 * partition ("key") is append-only, offsets increase (sometimes by 2, as Kafka's transaction
 * markers take offsets), an operation takes effect at its completion, and every worker's consumer
 * reads its assigned keys in offset order from where its last poll ended.
 *
 * <p>Workers issue compact {@code :send} and {@code :poll} ops, {@code :txn} ops in Jepsen's
 * micro-op form ({@code [[:send k v] [:poll]]}), and {@code :assign} ops that change the keys their
 * consumer reads: keys that stay assigned keep their position (as with Kafka's assign), newly
 * assigned keys start at the beginning or at the end of their log; the checker must not mistake
 * those jumps for skips.
 *
 * <p>Workers fail the way real clients do: an operation may fail without effect, or time out
 * (info), in which case its sends may or may not have taken effect, its polls move nothing, and
 * the worker continues under a new process id (Jepsen's rule), keeping its consumer.
 *
 * <p>The run ends with final polls: every worker continues as a fresh client that reads every key
 * from the beginning until it has read every key to its end, so a correct log yields a history that is valid even in
 * the "strict" mode.
 */
final class SimulatedStream {
  /** A fault to inject once, at the {@code faultAtSend}-th send or the first poll after it. */
  enum Fault {
    NONE,
    /** A send is acknowledged with an offset, but the record is never stored. */
    DROP_WRITE,
    /** A sent record is stored twice, at two offsets. */
    DUPLICATE_RECORD,
    /** A poll returns two records of one key in swapped order. */
    REORDER_POLL,
    /** A send is reported failed, but the record is stored. */
    ABORTED_WRITE
  }

  /**
   * The shape of the workload.
   *
   * @param keyCount keys (partitions), 1..100
   * @param recordsPerPollMax records a poll returns per key at most, 1..1000
   * @param txnPercent share of operations that are {@code :txn} (a send and a poll), 0..100
   * @param assignPercent share of operations that are {@code :assign}, 0..100
   */
  record Workload(int keyCount, int recordsPerPollMax, int txnPercent, int assignPercent) {
    Workload {
      if (keyCount < 1 || keyCount > 100 || recordsPerPollMax < 1 || recordsPerPollMax > 1000
          || txnPercent < 0 || assignPercent < 0 || txnPercent + assignPercent > 100) {
        throw new IllegalArgumentException("workload out of range: " + this);
      }
    }
  }

  private static final Keyword SEND = Keyword.of("send");
  private static final Keyword POLL = Keyword.of("poll");
  private static final int FINAL_POLL_ROUNDS_MAX = 100_000;

  private final Random random;
  private final Workload workload;
  private final Fault fault;
  private final int faultAtSend;

  private final SortedMap<Long, List<long[]>> partitions = new TreeMap<>();
  private final SortedMap<Long, Long> nextOffset = new TreeMap<>();
  private final List<Op> ops = new ArrayList<>();
  private long nextProcess;
  private long nextValue = 1;
  private int sends;
  private boolean faultDone;

  /** One client: its current process id, its open invoke (if any), its consumer. */
  private final class Worker {
    long process = nextProcess++;
    Op open;
    /** Assigned key → the next offset to read. */
    final SortedMap<Long, Long> position = new TreeMap<>();

    Worker() {
      for (long k = 0; k < workload.keyCount(); k++) {
        position.put(k, 0L);
      }
    }
  }

  /**
   * @param seed the random seed; the same seed gives the same history
   * @param fault the fault to inject
   * @param faultAtSend the send (0-based count) at or after which the fault is injected
   */
  SimulatedStream(long seed, Workload workload, Fault fault, int faultAtSend) {
    this.random = new Random(seed);
    this.workload = workload;
    this.fault = fault;
    this.faultAtSend = faultAtSend;
    for (long k = 0; k < workload.keyCount(); k++) {
      partitions.put(k, new ArrayList<>());
      nextOffset.put(k, 0L);
    }
  }

  /** Whether the fault was injected (a fault may find no occasion, e.g. no poll of two records). */
  boolean faultInjected() {
    return faultDone;
  }

  /**
   * Runs {@code stepCount} random steps of {@code workerCount} workers, then the final polls.
   *
   * @return the well-formed history
   */
  History run(int workerCount, int stepCount) {
    List<Worker> workers = new ArrayList<>();
    for (int i = 0; i < workerCount; i++) {
      workers.add(new Worker());
    }
    for (int step = 0; step < stepCount; step++) {
      Worker w = workers.get(random.nextInt(workerCount));
      if (w.open == null) {
        w.open = invoke(w);
      } else {
        complete(w);
      }
    }
    for (Worker w : workers) {
      if (w.open != null) {
        complete(w);
      }
    }
    // Final readers: each worker becomes a fresh client (a new process with a new consumer) that
    // reads every key from the beginning, as Jepsen's final polls do.
    for (Worker w : workers) {
      w.process = nextProcess++;
      for (Long k : partitions.keySet()) {
        w.position.put(k, 0L);
      }
      for (int round = 0; round < FINAL_POLL_ROUNDS_MAX && behind(w); round++) {
        w.open = emit(w.process, OpType.INVOKE, "poll", null);
        completePoll(w);
      }
      if (behind(w)) {
        throw new IllegalStateException("final polls did not catch up in " + FINAL_POLL_ROUNDS_MAX + " rounds");
      }
    }
    return History.of(ops);
  }

  private Op invoke(Worker w) {
    int roll = random.nextInt(100);
    if (roll < workload.assignPercent()) {
      List<Long> keys = new ArrayList<>();
      for (long k = 0; k < workload.keyCount(); k++) {
        if (random.nextBoolean()) {
          keys.add(k);
        }
      }
      return emit(w.process, OpType.INVOKE, "assign", keys);
    }
    if (roll < workload.assignPercent() + workload.txnPercent()) {
      List<Object> send = List.of(SEND, (long) random.nextInt(workload.keyCount()), nextValue++);
      List<Object> poll = List.of(POLL);
      return emit(w.process, OpType.INVOKE, "txn", random.nextBoolean() ? List.of(send, poll) : List.of(poll, send));
    }
    if (random.nextBoolean()) {
      return emit(w.process, OpType.INVOKE, "send", List.of((long) random.nextInt(workload.keyCount()), nextValue++));
    }
    return emit(w.process, OpType.INVOKE, "poll", null);
  }

  private boolean behind(Worker w) {
    for (Map.Entry<Long, List<long[]>> p : partitions.entrySet()) {
      List<long[]> recs = p.getValue();
      if (!recs.isEmpty() && w.position.getOrDefault(p.getKey(), 0L) <= recs.get(recs.size() - 1)[0]) {
        return true;
      }
    }
    return false;
  }

  private void complete(Worker w) {
    switch (w.open.f()) {
      case "send" -> completeSend(w);
      case "poll" -> completePoll(w);
      case "txn" -> completeTxn(w);
      case "assign" -> completeAssign(w);
      default -> throw new IllegalStateException(w.open.f());
    }
  }

  /** The outcome of an operation's sends: ok, failed, or timed out (info). */
  private OpType outcome() {
    int roll = random.nextInt(100);
    return roll < 5 ? OpType.FAIL : roll < 10 ? OpType.INFO : OpType.OK;
  }

  private void completeSend(Worker w) {
    Op invoke = w.open;
    w.open = null;
    List<?> kv = (List<?>) invoke.value();
    long key = (Long) kv.get(0);
    long value = (Long) kv.get(1);
    OpType type = outcome();
    boolean faultHere = !faultDone && sends++ >= faultAtSend;
    if (faultHere && fault == Fault.ABORTED_WRITE) {
      faultDone = true;
      append(key, value);
      emit(w.process, OpType.FAIL, "send", invoke.value());
    } else if (type == OpType.FAIL) {
      emit(w.process, OpType.FAIL, "send", invoke.value());
    } else if (type == OpType.INFO) {
      if (random.nextBoolean()) {
        append(key, value);
      }
      emit(w.process, OpType.INFO, "send", invoke.value());
      w.process = nextProcess++;
    } else {
      emit(w.process, OpType.OK, "send", List.of(key, List.of(send(key, value, faultHere), value)));
    }
  }

  /** Appends an acknowledged send, injecting a write fault here if asked; returns its offset. */
  private long send(long key, long value, boolean faultHere) {
    if (faultHere && fault == Fault.DROP_WRITE) {
      faultDone = true;
      return allocate(key);
    }
    if (faultHere && fault == Fault.DUPLICATE_RECORD) {
      faultDone = true;
      long offset = append(key, value);
      append(key, value);
      return offset;
    }
    return append(key, value);
  }

  private void completePoll(Worker w) {
    w.open = null;
    emit(w.process, OpType.OK, "poll", poll(w));
  }

  private void completeTxn(Worker w) {
    Op invoke = w.open;
    w.open = null;
    OpType type = outcome();
    if (type == OpType.FAIL) {
      emit(w.process, OpType.FAIL, "txn", invoke.value());
      return;
    }
    if (type == OpType.INFO) {
      // Whether the send happened is unknown; the poll's records were never returned.
      for (Object m : (List<?>) invoke.value()) {
        List<?> mop = (List<?>) m;
        if (mop.get(0).equals(SEND) && random.nextBoolean()) {
          append((Long) mop.get(1), (Long) mop.get(2));
        }
      }
      emit(w.process, OpType.INFO, "txn", invoke.value());
      w.process = nextProcess++;
      return;
    }
    List<Object> done = new ArrayList<>();
    for (Object m : (List<?>) invoke.value()) {
      List<?> mop = (List<?>) m;
      if (mop.get(0).equals(SEND)) {
        long key = (Long) mop.get(1);
        long value = (Long) mop.get(2);
        boolean faultHere = !faultDone && sends++ >= faultAtSend;
        done.add(List.of(SEND, key, List.of(send(key, value, faultHere), value)));
      } else {
        done.add(List.of(POLL, poll(w)));
      }
    }
    emit(w.process, OpType.OK, "txn", done);
  }

  private void completeAssign(Worker w) {
    Op invoke = w.open;
    w.open = null;
    List<?> keys = (List<?>) invoke.value();
    SortedMap<Long, Long> next = new TreeMap<>();
    for (Object o : keys) {
      long key = (Long) o;
      Long kept = w.position.get(key);
      if (kept != null) {
        // As with Kafka's assign, a key that stays assigned keeps its position.
        next.put(key, kept);
      } else if (random.nextBoolean()) {
        next.put(key, 0L);
      } else {
        // A newly assigned key may start anywhere, e.g. at the end of its log.
        next.put(key, nextOffset.get(key));
      }
    }
    w.position.clear();
    w.position.putAll(next);
    emit(w.process, OpType.OK, "assign", keys);
  }

  /** Reads up to the per-poll maximum from each assigned key and advances the positions. */
  private SortedMap<Long, List<List<Long>>> poll(Worker w) {
    SortedMap<Long, List<List<Long>>> result = new TreeMap<>();
    for (Map.Entry<Long, Long> pos : w.position.entrySet()) {
      long key = pos.getKey();
      List<List<Long>> recs = new ArrayList<>();
      for (long[] rec : partitions.get(key)) {
        if (rec[0] >= pos.getValue() && recs.size() < workload.recordsPerPollMax()) {
          recs.add(List.of(rec[0], rec[1]));
        }
      }
      if (!recs.isEmpty()) {
        pos.setValue(recs.get(recs.size() - 1).get(0) + 1);
        if (fault == Fault.REORDER_POLL && !faultDone && sends > faultAtSend && recs.size() >= 2) {
          faultDone = true;
          Collections.swap(recs, 0, 1);
        }
      }
      result.put(key, List.copyOf(recs));
    }
    return result;
  }

  private long allocate(long key) {
    long offset = nextOffset.get(key);
    // One offset in four is followed by a gap, as a transaction marker would leave.
    nextOffset.put(key, offset + (random.nextInt(4) == 0 ? 2 : 1));
    return offset;
  }

  private long append(long key, long value) {
    long offset = allocate(key);
    partitions.get(key).add(new long[] {offset, value});
    return offset;
  }

  private Op emit(long process, OpType type, String f, Object value) {
    Op op = new Op(ops.size(), ops.size() * 1_000L, process, type, f, value, null);
    ops.add(op);
    return op;
  }
}
