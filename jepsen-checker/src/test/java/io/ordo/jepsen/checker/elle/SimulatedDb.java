package io.ordo.jepsen.checker.elle;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A simulated in-memory database with a chosen isolation level, driven by a seeded random
 * workload of list-append or rw-register transactions from concurrent processes; it records a
 * Jepsen history (Elle's simulated databases, used to test the checkers against known isolation).
 *
 * <p>Each step picks a random process: an idle one invokes a new transaction; a busy one executes
 * its next micro-op or, when done, commits. SERIALIZABLE runs the whole transaction atomically at
 * its commit step (so it is even strict serializable); SNAPSHOT_ISOLATION reads from the snapshot
 * taken at invoke time plus its own writes and aborts (fail) at commit if another transaction
 * committed a write to one of its keys since (first committer wins); READ_COMMITTED reads the
 * latest committed state at each micro-op and applies its buffered writes at commit without
 * checks. Writes are applied atomically at commit in every mode. With probability {@code
 * infoPercent}% a commit's outcome is lost (info; the writes applied or not at random) and the
 * process is replaced by a new one. Keys are retired after {@code writesPerKeyMax} writes, as
 * Elle's generator does, so reads stay short. Same seed and parameters ⇒ same history.
 */
public final class SimulatedDb {
  /**
   * SERIALIZABLE_STALE_READS is SERIALIZABLE except that a read-only transaction reads the state of
   * up to 5 commits ago (a lagging replica): still serializable, but not strictly.
   */
  public enum Isolation { SERIALIZABLE, SERIALIZABLE_STALE_READS, SNAPSHOT_ISOLATION, READ_COMMITTED }

  public enum Workload { LIST_APPEND, RW_REGISTER }

  /**
   * @param txnCount transactions to invoke
   * @param processes concurrent processes (>= 1)
   * @param activeKeys keys in use at any time (>= 1); fewer keys mean more conflicts
   * @param opsPerTxnMax micro-ops per transaction, 1..this
   * @param writesPerKeyMax writes generated per key before it is retired
   * @param infoPercent percentage of commits whose outcome is lost, 0..100
   * @param withPositions rw-register: ok completions carry {:txn ..., :position n}
   */
  public record Params(int txnCount, int processes, int activeKeys, int opsPerTxnMax, int writesPerKeyMax, int infoPercent, boolean withPositions) {}

  private static final Keyword APPEND = Keyword.of("append");
  private static final Keyword R = Keyword.of("r");
  private static final Keyword W = Keyword.of("w");

  /** One version of a key: the commit sequence number that made it and the value. */
  private record Version(long commitSeq, Object value) {}

  private final Isolation isolation;
  private final Workload workload;
  private final Params params;
  private final Random random;
  private final Map<Long, List<Version>> store = new HashMap<>();
  private final List<Op> ops = new ArrayList<>();
  private long commitSeq;
  private long position;

  private SimulatedDb(Isolation isolation, Workload workload, Params params, long seed) {
    this.isolation = isolation;
    this.workload = workload;
    this.params = params;
    this.random = new Random(seed);
  }

  /** Runs the simulation and returns its history. */
  public static History run(Isolation isolation, Workload workload, Params params, long seed) {
    return new SimulatedDb(isolation, workload, params, seed).simulate();
  }

  /** A transaction in flight. */
  private final class Active {
    final long process;
    final List<List<Object>> mops;
    final long startSeq;
    final List<List<Object>> done = new ArrayList<>();
    final Map<Long, Object> ownWrites = new HashMap<>();
    final Map<Long, java.util.Optional<Object>> firstReads = new HashMap<>();
    int next;

    Active(long process, List<List<Object>> mops) {
      this.process = process;
      this.mops = mops;
      this.startSeq = commitSeq;
    }
  }

  private Object latest(long key) {
    List<Version> vs = store.get(key);
    return vs == null ? null : vs.get(vs.size() - 1).value();
  }

  @SuppressWarnings("unchecked")
  private History simulate() {
    long[] processIds = new long[params.processes()];
    for (int i = 0; i < processIds.length; i++) {
      processIds[i] = i;
    }
    Active[] active = new Active[params.processes()];
    long[] keys = new long[params.activeKeys()];
    int[] writesOfKey = new int[params.activeKeys()];
    long nextKey = 0;
    for (int i = 0; i < keys.length; i++) {
      keys[i] = nextKey++;
    }
    Map<Long, Long> nextValue = new HashMap<>();
    int invoked = 0;
    long step = 0;
    int busy = 0;
    while (invoked < params.txnCount() || busy > 0) {
      step++;
      int slot = random.nextInt(params.processes());
      Active a = active[slot];
      if (a == null) {
        if (invoked == params.txnCount()) {
          continue;
        }
        int n = 1 + random.nextInt(params.opsPerTxnMax());
        List<List<Object>> mops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          int ki = random.nextInt(keys.length);
          long key = keys[ki];
          boolean wroteKey = false;
          for (List<Object> m : mops) {
            wroteKey |= m.get(0) != R && (Long) m.get(1) == key;
          }
          // The read-committed store keeps each key's first read for the rest of the transaction
          // and applies appends onto the latest state at commit; a read after its own append
          // would then not be a prefix of the committed list, so its transactions never do that.
          if (random.nextBoolean() && !(isolation == Isolation.READ_COMMITTED && wroteKey)) {
            mops.add(List.of(R, key, NIL));
          } else {
            long v = nextValue.merge(key, 1L, Long::sum);
            mops.add(List.of(workload == Workload.LIST_APPEND ? APPEND : W, key, v));
            if (++writesOfKey[ki] >= params.writesPerKeyMax()) {
              keys[ki] = nextKey++;
              writesOfKey[ki] = 0;
            }
          }
        }
        active[slot] = new Active(processIds[slot], mops);
        busy++;
        invoked++;
        record(step, processIds[slot], OpType.INVOKE, invokeValue(mops));
        continue;
      }
      boolean atomic = isolation == Isolation.SERIALIZABLE || isolation == Isolation.SERIALIZABLE_STALE_READS;
      if (a.next < a.mops.size()) {
        if (!atomic) {
          execute(a, a.mops.get(a.next), isolation == Isolation.SNAPSHOT_ISOLATION ? a.startSeq : Long.MAX_VALUE);
        }
        a.next++;
        continue;
      }
      active[slot] = null;
      busy--;
      if (atomic) {
        boolean readOnly = a.mops.stream().allMatch(m -> m.get(0) == R);
        long readSeq = isolation == Isolation.SERIALIZABLE_STALE_READS && readOnly
            ? Math.max(0, commitSeq - random.nextInt(6)) : Long.MAX_VALUE;
        for (List<Object> m : a.mops) {
          execute(a, m, readSeq);
        }
      }
      boolean conflict = false;
      if (isolation == Isolation.SNAPSHOT_ISOLATION) {
        for (Long key : a.ownWrites.keySet()) {
          List<Version> vs = store.get(key);
          if (vs != null && vs.get(vs.size() - 1).commitSeq() > a.startSeq) {
            conflict = true;
          }
        }
      }
      boolean lost = random.nextInt(100) < params.infoPercent();
      if (conflict) {
        record(step, a.process, OpType.FAIL, invokeValue(a.mops));
        continue;
      }
      boolean apply = !lost || random.nextBoolean();
      if (apply) {
        commitSeq++;
        // Writes go onto the latest committed state (not the state the transaction read), as a
        // database applies an append or an overwrite at commit; one new version per key.
        Map<Long, Object> installed = new java.util.LinkedHashMap<>();
        for (List<Object> m : a.mops) {
          if (m.get(0) != R) {
            long key = (Long) m.get(1);
            if (workload == Workload.LIST_APPEND) {
              Object base = installed.containsKey(key) ? installed.get(key) : latest(key);
              List<Long> next = new ArrayList<>(base == null ? List.of() : (List<Long>) base);
              next.add((Long) m.get(2));
              installed.put(key, List.copyOf(next));
            } else {
              installed.put(key, m.get(2));
            }
          }
        }
        for (Map.Entry<Long, Object> e : installed.entrySet()) {
          store.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new Version(commitSeq, e.getValue()));
        }
      }
      if (lost) {
        record(step, a.process, OpType.INFO, invokeValue(a.mops));
        // Jepsen's rule: a process whose op is indeterminate never invokes again.
        processIds[slot] += params.processes();
      } else {
        Object value = a.done;
        if (params.withPositions() && apply) {
          Map<Keyword, Object> m = new java.util.LinkedHashMap<>();
          m.put(Keyword.of("txn"), a.done);
          m.put(Keyword.of("position"), ++position);
          value = m;
        }
        record(step, a.process, OpType.OK, value);
      }
    }
    return History.of(ops);
  }

  private static final Object NIL = new Object() {
    @Override
    public String toString() {
      return "nil";
    }
  };

  private static List<Object> invokeValue(List<List<Object>> mops) {
    List<Object> out = new ArrayList<>();
    for (List<Object> m : mops) {
      out.add(java.util.Arrays.asList(m.get(0), m.get(1), m.get(2) == NIL ? null : m.get(2)));
    }
    return out;
  }

  /** Executes one micro-op of {@code a}, reading committed versions up to {@code readSeq}. */
  @SuppressWarnings("unchecked")
  private void execute(Active a, List<Object> m, long readSeq) {
    long key = (Long) m.get(1);
    Object committed = null;
    List<Version> vs = store.get(key);
    if (vs != null) {
      for (int i = vs.size() - 1; i >= 0; i--) {
        if (vs.get(i).commitSeq() <= readSeq) {
          committed = vs.get(i).value();
          break;
        }
      }
    }
    if (isolation == Isolation.READ_COMMITTED && m.get(0) == R) {
      // Reads are stable per key within a transaction (Elle counts a changed re-read as internal).
      committed = a.firstReads.computeIfAbsent(key, k -> java.util.Optional.ofNullable(latest(key))).orElse(null);
    }
    if (workload == Workload.LIST_APPEND) {
      List<Long> base = committed == null ? List.of() : (List<Long>) committed;
      List<Long> current = a.ownWrites.containsKey(key) ? (List<Long>) a.ownWrites.get(key) : base;
      if (m.get(0) == R) {
        a.done.add(java.util.Arrays.asList(R, key, current.isEmpty() ? null : List.copyOf(current)));
      } else {
        List<Long> next = new ArrayList<>(current);
        next.add((Long) m.get(2));
        a.ownWrites.put(key, List.copyOf(next));
        a.done.add(m);
      }
    } else {
      Object current = a.ownWrites.containsKey(key) ? a.ownWrites.get(key) : committed;
      if (m.get(0) == R) {
        a.done.add(java.util.Arrays.asList(R, key, current));
      } else {
        a.ownWrites.put(key, m.get(2));
        a.done.add(m);
      }
    }
  }

  private void record(long step, long process, OpType type, Object value) {
    ops.add(new Op(ops.size(), step * 1000, process, type, "txn", value, null));
  }
}
