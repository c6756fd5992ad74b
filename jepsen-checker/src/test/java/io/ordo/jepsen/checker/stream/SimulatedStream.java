package io.ordo.jepsen.checker.stream;

import io.ordo.jepsen.history.History;
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
 * producing a stream history in the checker's compact format. The log is correct unless a {@link
 * Fault} is injected: each partition ("key") is append-only, offsets increase (sometimes by 2, as
 * Kafka's transaction markers take offsets), a send takes effect at its completion, and every
 * worker's consumer reads each key in offset order from where its last poll ended.
 *
 * <p>Workers fail the way real clients do: a send may fail without effect, or time out (info), in
 * which case it may or may not have taken effect and the worker continues under a new process id
 * (Jepsen's rule), keeping its consumer position as a consumer group would.
 *
 * <p>The run ends with final polls until every worker has read every key to its end, so a correct
 * log yields a history that is valid even in the "strict" mode.
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

  private static final int FINAL_POLL_ROUNDS_MAX = 10_000;

  private final Random random;
  private final int keyCount;
  private final int recordsPerPollMax;
  private final Fault fault;
  private final int faultAtSend;

  private final SortedMap<Long, List<long[]>> partitions = new TreeMap<>();
  private final SortedMap<Long, Long> nextOffset = new TreeMap<>();
  private final List<Op> ops = new ArrayList<>();
  private long nextProcess;
  private long nextValue = 1;
  private int sends;
  private boolean faultDone;

  /** One client: its current process id, its open invoke (if any), its consumer's positions. */
  private final class Worker {
    long process = nextProcess++;
    Op open;
    final SortedMap<Long, Long> position = new TreeMap<>();
  }

  /**
   * @param seed the random seed; the same seed gives the same history
   * @param keyCount keys (partitions), 1..100
   * @param recordsPerPollMax records a poll returns per key at most, 1..1000
   * @param fault the fault to inject
   * @param faultAtSend the send (0-based count) at or after which the fault is injected
   */
  SimulatedStream(long seed, int keyCount, int recordsPerPollMax, Fault fault, int faultAtSend) {
    if (keyCount < 1 || keyCount > 100 || recordsPerPollMax < 1 || recordsPerPollMax > 1000) {
      throw new IllegalArgumentException("keyCount 1..100 and recordsPerPollMax 1..1000");
    }
    this.random = new Random(seed);
    this.keyCount = keyCount;
    this.recordsPerPollMax = recordsPerPollMax;
    this.fault = fault;
    this.faultAtSend = faultAtSend;
    for (long k = 0; k < keyCount; k++) {
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
        if (random.nextBoolean()) {
          long key = random.nextInt(keyCount);
          w.open = emit(w.process, OpType.INVOKE, "send", List.of(key, nextValue++));
        } else {
          w.open = emit(w.process, OpType.INVOKE, "poll", null);
        }
      } else {
        complete(w);
      }
    }
    for (Worker w : workers) {
      if (w.open != null) {
        complete(w);
      }
    }
    // Final polls: every worker reads every key to its end.
    for (Worker w : workers) {
      for (int round = 0; round < FINAL_POLL_ROUNDS_MAX && behind(w); round++) {
        w.open = emit(w.process, OpType.INVOKE, "poll", null);
        complete(w);
      }
      if (behind(w)) {
        throw new IllegalStateException("final polls did not catch up in " + FINAL_POLL_ROUNDS_MAX + " rounds");
      }
    }
    return History.of(ops);
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
    Op invoke = w.open;
    w.open = null;
    if (invoke.f().equals("send")) {
      completeSend(w, invoke);
    } else {
      completePoll(w);
    }
  }

  private void completeSend(Worker w, Op invoke) {
    List<?> kv = (List<?>) invoke.value();
    long key = (Long) kv.get(0);
    long value = (Long) kv.get(1);
    boolean faultHere = !faultDone && sends++ >= faultAtSend;
    int roll = random.nextInt(100);
    if (faultHere && fault == Fault.ABORTED_WRITE) {
      faultDone = true;
      append(key, value);
      emit(w.process, OpType.FAIL, "send", invoke.value());
    } else if (roll < 5) {
      emit(w.process, OpType.FAIL, "send", invoke.value());
    } else if (roll < 10) {
      // Timed out: it may have happened; the worker continues as a new process.
      if (random.nextBoolean()) {
        append(key, value);
      }
      emit(w.process, OpType.INFO, "send", invoke.value());
      w.process = nextProcess++;
    } else {
      long offset;
      if (faultHere && fault == Fault.DROP_WRITE) {
        faultDone = true;
        offset = allocate(key);
      } else if (faultHere && fault == Fault.DUPLICATE_RECORD) {
        faultDone = true;
        offset = append(key, value);
        append(key, value);
      } else {
        offset = append(key, value);
      }
      emit(w.process, OpType.OK, "send", List.of(key, List.of(offset, value)));
    }
  }

  private void completePoll(Worker w) {
    SortedMap<Long, List<List<Long>>> result = new TreeMap<>();
    for (Map.Entry<Long, List<long[]>> p : partitions.entrySet()) {
      long key = p.getKey();
      long from = w.position.getOrDefault(key, 0L);
      List<List<Long>> recs = new ArrayList<>();
      for (long[] rec : p.getValue()) {
        if (rec[0] >= from && recs.size() < recordsPerPollMax) {
          recs.add(List.of(rec[0], rec[1]));
        }
      }
      if (!recs.isEmpty()) {
        w.position.put(key, recs.get(recs.size() - 1).get(0) + 1);
        if (fault == Fault.REORDER_POLL && !faultDone && sends > faultAtSend && recs.size() >= 2) {
          faultDone = true;
          Collections.swap(recs, 0, 1);
        }
      }
      result.put(key, List.copyOf(recs));
    }
    emit(w.process, OpType.OK, "poll", result);
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
