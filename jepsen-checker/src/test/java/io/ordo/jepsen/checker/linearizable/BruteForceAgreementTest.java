package io.ordo.jepsen.checker.linearizable;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The Wing–Gong/Lowe search against a dumb model: on many small seeded histories (one key, a few
 * concurrent processes, stale reads, compare-and-sets and crashed ops), it must agree with a brute-force search over
 * every order of the operations that respects real time.
 */
class BruteForceAgreementTest {
  /** An op for the brute force: the invoke index, the ok completion index (or -1), and its step. */
  record Candidate(long invokeIndex, long okIndex, KvModel.Kind kind, Object argument, Object observed) {}

  static List<Candidate> candidates(History h) {
    List<Candidate> out = new ArrayList<>();
    for (Op inv : h.clientOps()) {
      if (!inv.isInvoke()) {
        continue;
      }
      Op done = h.completion(inv).orElse(null);
      if (done != null && done.isFail()) {
        continue;
      }
      boolean ok = done != null && done.isOk();
      KvModel.Kind kind = KvModel.Kind.valueOf(inv.f().toUpperCase(java.util.Locale.ROOT));
      if (kind == KvModel.Kind.READ && !ok) {
        continue;
      }
      Object argument = ((List<?>) inv.value()).get(1);
      Object observed = kind == KvModel.Kind.READ ? ((List<?>) done.value()).get(1) : null;
      out.add(new Candidate(inv.index(), ok ? done.index() : -1, kind, argument, observed));
    }
    return out;
  }

  /** Is there an order of all ok ops and some info ops, respecting real time, legal in the model? */
  static boolean bruteForce(List<Candidate> ops, boolean[] used, Object state) {
    boolean allOkUsed = true;
    for (int i = 0; i < ops.size(); i++) {
      if (!used[i] && ops.get(i).okIndex() >= 0) {
        allOkUsed = false;
      }
    }
    if (allOkUsed) {
      return true;
    }
    for (int i = 0; i < ops.size(); i++) {
      if (used[i] || !mayGoNext(ops, used, i)) {
        continue;
      }
      Candidate c = ops.get(i);
      Object next = KvModel.step(state, c.kind(), c.argument(), c.observed());
      if (next == KvModel.ILLEGAL) {
        continue;
      }
      used[i] = true;
      boolean found = bruteForce(ops, used, next);
      used[i] = false;
      if (found) {
        return true;
      }
    }
    return false;
  }

  /** Op i may come next unless some unused ok op completed before i was invoked. */
  static boolean mayGoNext(List<Candidate> ops, boolean[] used, int i) {
    for (int j = 0; j < ops.size(); j++) {
      if (j != i && !used[j] && ops.get(j).okIndex() >= 0 && ops.get(j).okIndex() < ops.get(i).invokeIndex()) {
        return false;
      }
    }
    return true;
  }

  /** Verdicts over seeds 1..400: [valid, invalid, indeterminate ops dropped]; each must agree with the brute force. */
  static long[] agreement(java.util.function.LongFunction<History> histories) {
    long[] counts = new long[3];
    for (long seed = 1; seed <= 400; seed++) {
      History h = histories.apply(seed);
      List<Candidate> ops = candidates(h);
      boolean expected = bruteForce(ops, new boolean[ops.size()], null);
      CheckResult r = new LinearizabilityChecker().check(Map.of(), h);
      assertThat(r.valid()).as("seed %d: %s", seed, h.ops()).isEqualTo(expected ? Validity.TRUE : Validity.FALSE);
      counts[expected ? 0 : 1]++;
      counts[2] += (Long) r.extra().get("indeterminate-dropped");
    }
    return counts;
  }

  @Test
  void agreesWithBruteForceOnSmallHistories() {
    long[] counts = agreement(seed -> SimulatedKvStoreTest.simulate(seed, (int) (seed % 4) * 15, 9, 1, seed % 2 == 0));
    // The seeds exercise both verdicts, not just one.
    assertThat(counts[0]).isGreaterThan(50);
    assertThat(counts[1]).isGreaterThan(20);
  }

  /**
   * One key of lists only (writes of [v], appends), three processes, many crashed ops (a crashed op
   * took effect or not, by a coin) and some stale reads: the histories where dropping unobserved
   * crashed appends and writes applies. Every long is unique, as in the kv workload.
   */
  static History simulateLists(long seed) {
    Random random = new Random(seed);
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::incrementAndGet);
    List<Long> current = null;
    List<Long> previous = null;
    Op[] pending = new Op[3];
    long[] process = {0, 1, 2};
    long nextProcess = 3;
    long nextValue = 1;
    int invoked = 0;
    while (invoked < 9 || Arrays.stream(pending).anyMatch(java.util.Objects::nonNull)) {
      int w = random.nextInt(3);
      if (pending[w] == null) {
        if (invoked >= 9) {
          continue;
        }
        invoked++;
        int kind = random.nextInt(3);
        long v = nextValue++;
        pending[w] = kind == 0 ? rec.invoke(process[w], "read", Arrays.asList(1L, null))
            : kind == 1 ? rec.invoke(process[w], "write", List.of(1L, List.of(v))) : rec.invoke(process[w], "append", List.of(1L, v));
        continue;
      }
      Op inv = pending[w];
      pending[w] = null;
      boolean crashed = random.nextInt(10) < 3;
      boolean applies = !crashed || random.nextBoolean();
      if (inv.f().equals("read")) {
        List<Long> seen = random.nextInt(10) < 2 ? previous : current;
        if (crashed) {
          rec.complete(inv, OpType.INFO, inv.value(), "timeout");
          process[w] = nextProcess++;
        } else {
          rec.complete(inv, OpType.OK, Arrays.asList(1L, seen), null);
        }
        continue;
      }
      if (applies) {
        previous = current;
        Object arg = ((List<?>) inv.value()).get(1);
        if (inv.f().equals("write")) {
          current = List.of(((List<Long>) arg).get(0));
        } else {
          List<Long> next = current == null ? new ArrayList<>() : new ArrayList<>(current);
          next.add((Long) arg);
          current = List.copyOf(next);
        }
      }
      if (crashed) {
        rec.complete(inv, OpType.INFO, inv.value(), "timeout");
        process[w] = nextProcess++;
      } else {
        rec.complete(inv, OpType.OK, inv.value(), null);
      }
    }
    return rec.history();
  }

  @Test
  void droppingUnobservedCrashedAppendsAndWritesAgreesWithBruteForce() {
    long[] counts = agreement(BruteForceAgreementTest::simulateLists);
    assertThat(counts[0]).isGreaterThan(50);
    assertThat(counts[1]).isGreaterThan(20);
    // The rule fired often enough for the agreement to say something about it.
    assertThat(counts[2]).isGreaterThan(100);
  }
}
