package io.ordo.jepsen.checker.linearizable;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  @Test
  void agreesWithBruteForceOnSmallHistories() {
    int valid = 0;
    int invalid = 0;
    for (long seed = 1; seed <= 400; seed++) {
      int stalePercent = (int) (seed % 4) * 15;
      History h = SimulatedKvStoreTest.simulate(seed, stalePercent, 9, 1, seed % 2 == 0);
      List<Candidate> ops = candidates(h);
      boolean expected = bruteForce(ops, new boolean[ops.size()], null);
      Validity actual = new LinearizabilityChecker().check(Map.of(), h).valid();
      assertThat(actual).as("seed %d", seed).isEqualTo(expected ? Validity.TRUE : Validity.FALSE);
      if (expected) {
        valid++;
      } else {
        invalid++;
      }
    }
    // The seeds exercise both verdicts, not just one.
    assertThat(valid).isGreaterThan(50);
    assertThat(invalid).isGreaterThan(20);
  }
}
