package io.ordo.jepsen.checker.linearizable;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checker against simulated stores of known behaviour, driven by seeded random concurrent
 * workloads (a failing seed replays as the same history): an atomic store must always be
 * linearizable; a store whose reads sometimes return the key's previous value must be caught.
 */
class SimulatedKvStoreTest {
  static final int PROCESSES = 5;
  static final int OPS = 300;
  static final int KEYS = 3;

  /**
   * One simulated client op: invoked, then applied to the store at one instant (or never, for some
   * crashed ops), then completed.
   */
  static final class Pending {
    final Op invoke;
    final String f;
    final long key;
    final long arg;
    Object expected; // for cas: the value it compares with
    boolean applied;
    Object observed;

    Pending(Op invoke, String f, long key, long arg) {
      this.invoke = invoke;
      this.f = f;
      this.key = key;
      this.arg = arg;
    }
  }

  /**
   * @param staleReadPercent how often a read returns the key's previous value instead of its
   *     current one (0 for an atomic, linearizable store)
   */
  static History simulate(long seed, int staleReadPercent) {
    return simulate(seed, staleReadPercent, OPS, KEYS);
  }

  /** As {@link #simulate(long, int)} with {@code ops} client ops over {@code keys} keys. */
  static History simulate(long seed, int staleReadPercent, int ops, int keys) {
    return simulate(seed, staleReadPercent, ops, keys, false);
  }

  /** As {@link #simulate(long, int, int, int)}, also issuing compare-and-sets if {@code withCas}. */
  static History simulate(long seed, int staleReadPercent, int ops, int keys, boolean withCas) {
    Random random = new Random(seed);
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::incrementAndGet);
    Map<Long, Object> current = new HashMap<>();
    Map<Long, Object> previous = new HashMap<>();
    long[] processOf = new long[PROCESSES];
    long nextProcess = PROCESSES;
    Pending[] pending = new Pending[PROCESSES];
    for (int w = 0; w < PROCESSES; w++) {
      processOf[w] = w;
    }
    long nextValue = 1;
    int invoked = 0;
    while (invoked < ops || Arrays.stream(pending).anyMatch(p -> p != null)) {
      int w = random.nextInt(PROCESSES);
      Pending p = pending[w];
      if (p == null) {
        if (invoked >= ops) {
          continue;
        }
        invoked++;
        long key = random.nextInt(keys);
        int kind = random.nextInt(withCas ? 4 : 3);
        String f = kind == 0 ? "read" : kind == 1 ? "write" : kind == 2 ? "append" : "cas";
        long arg = nextValue++;
        Object expected = null;
        Object value = f.equals("read") ? Arrays.asList(key, null) : List.of(key, arg);
        if (f.equals("cas")) {
          // Often the current value (so that some succeed), else a random older one or nil.
          Object now = current.get(key);
          expected = now instanceof Long && random.nextBoolean() ? now : random.nextBoolean() ? null : (Object) (long) random.nextInt((int) arg);
          value = List.of(key, Arrays.asList(expected, arg));
        }
        Pending started = new Pending(rec.invoke(processOf[w], f, value), f, key, arg);
        started.expected = expected;
        pending[w] = started;
      } else if (!p.applied && random.nextInt(10) > 0) {
        p.applied = true;
        switch (p.f) {
          case "read" -> p.observed = random.nextInt(100) < staleReadPercent ? previous.get(p.key) : current.get(p.key);
          case "write" -> {
            previous.put(p.key, current.get(p.key));
            current.put(p.key, p.arg);
          }
          case "cas" -> {
            if (java.util.Objects.equals(current.get(p.key), p.expected)) {
              previous.put(p.key, current.get(p.key));
              current.put(p.key, p.arg);
            } else {
              p.observed = "refused";
            }
          }
          default -> {
            Object old = current.get(p.key);
            List<Object> list = old instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>();
            if (old instanceof Long) {
              // Appending to a written long is not legal in the model; the store refuses it.
              p.observed = "refused";
              break;
            }
            list.add(p.arg);
            previous.put(p.key, old);
            current.put(p.key, List.copyOf(list));
          }
        }
      } else {
        boolean crashed = random.nextInt(20) == 0;
        if (crashed) {
          // Indeterminate: it may or may not have been applied. The worker takes a new process.
          rec.complete(p.invoke, OpType.INFO, p.invoke.value(), "timeout");
          processOf[w] = nextProcess++;
        } else if (!p.applied || "refused".equals(p.observed)) {
          if (p.applied) {
            p.applied = false;
          }
          rec.complete(p.invoke, OpType.FAIL, p.invoke.value(), "aborted");
        } else if (p.f.equals("read")) {
          rec.complete(p.invoke, OpType.OK, Arrays.asList(p.key, p.observed), null);
        } else {
          rec.complete(p.invoke, OpType.OK, p.invoke.value(), null);
        }
        pending[w] = null;
      }
    }
    return rec.history();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void anAtomicStoreIsLinearizable(long seed) {
    History h = simulate(seed, 0);
    CheckResult r = new LinearizabilityChecker().check(Map.of(), h);
    assertThat(r.valid()).as("seed %d: %s", seed, r).isEqualTo(Validity.TRUE);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void aStoreWithStaleReadsIsCaught(long seed) {
    History h = simulate(seed, 30);
    CheckResult r = new LinearizabilityChecker().check(Map.of(), h);
    assertThat(r.valid()).as("seed %d: %s", seed, r.extra()).isEqualTo(Validity.FALSE);
    assertThat(r.anomalyTypes()).containsExactly("nonlinearizable");
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void anAtomicStoreWithCompareAndSetsIsLinearizableAndStaleReadsAreStillCaught(long seed) {
    History atomic = simulate(seed, 0, OPS, KEYS, true);
    assertThat(atomic.ops()).anyMatch(op -> op.f().equals("cas") && op.isOk());
    assertThat(new LinearizabilityChecker().check(Map.of(), atomic).valid()).as("seed %d", seed).isEqualTo(Validity.TRUE);
    History stale = simulate(seed, 30, OPS, KEYS, true);
    assertThat(new LinearizabilityChecker().check(Map.of(), stale).valid()).as("seed %d", seed).isEqualTo(Validity.FALSE);
  }
}
