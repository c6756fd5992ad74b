package io.ordo.jepsen.checker.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bank checker against simulated banks driven by seeded random workloads: one whose transfers
 * and reads are atomic (serializable) must be valid; one whose reads see each account at a
 * different moment (read committed, transfers interleaving with the read) must show wrong totals;
 * one that lets transfers overdraw must show negative balances.
 */
class SimulatedBankTest {
  static final int ACCOUNTS = 5;
  static final long TOTAL = 100;
  static final int WORKERS = 4;
  static final int OPS = 400;

  enum Bank {
    SERIALIZABLE,
    READ_COMMITTED,
    OVERDRAWING
  }

  /** A read in progress: the balances seen so far (read committed reads one account per step). */
  record Pending(Op invoke, Map<Long, Long> seen) {}

  static History simulate(long seed, Bank bank) {
    Random random = new Random(seed);
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::incrementAndGet);
    long[] balances = new long[ACCOUNTS];
    for (int a = 0; a < ACCOUNTS; a++) {
      balances[a] = TOTAL / ACCOUNTS;
    }
    Pending[] pending = new Pending[WORKERS];
    int invoked = 0;
    while (invoked < OPS || java.util.Arrays.stream(pending).anyMatch(p -> p != null)) {
      int w = random.nextInt(WORKERS);
      Pending p = pending[w];
      if (p == null) {
        if (invoked >= OPS) {
          continue;
        }
        invoked++;
        if (random.nextBoolean()) {
          pending[w] = new Pending(rec.invoke(w, "read", null), new LinkedHashMap<>());
        } else {
          long from = random.nextInt(ACCOUNTS);
          long to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
          Map<Keyword, Object> value = new LinkedHashMap<>();
          value.put(Keyword.of("from"), from);
          value.put(Keyword.of("to"), to);
          value.put(Keyword.of("amount"), 1L + random.nextInt(10));
          pending[w] = new Pending(rec.invoke(w, "transfer", value), null);
        }
      } else if (p.invoke().f().equals("read")) {
        if (bank == Bank.READ_COMMITTED) {
          long next = p.seen().size();
          p.seen().put(next, balances[(int) next]);
        } else {
          for (long a = 0; a < ACCOUNTS; a++) {
            p.seen().put(a, balances[(int) a]);
          }
        }
        if (p.seen().size() == ACCOUNTS) {
          rec.complete(p.invoke(), OpType.OK, new java.util.TreeMap<>(p.seen()), null);
          pending[w] = null;
        }
      } else {
        Map<?, ?> v = (Map<?, ?>) p.invoke().value();
        int from = ((Long) v.get(Keyword.of("from"))).intValue();
        int to = ((Long) v.get(Keyword.of("to"))).intValue();
        long amount = (Long) v.get(Keyword.of("amount"));
        if (balances[from] >= amount || bank == Bank.OVERDRAWING) {
          balances[from] -= amount;
          balances[to] += amount;
          rec.complete(p.invoke(), OpType.OK, v, null);
        } else {
          rec.complete(p.invoke(), OpType.FAIL, v, Keyword.of("insufficient-funds"));
        }
        pending[w] = null;
      }
    }
    return rec.history();
  }

  static CheckResult check(History h) {
    List<Long> accounts = new ArrayList<>();
    for (long a = 0; a < ACCOUNTS; a++) {
      accounts.add(a);
    }
    return new BankChecker().check(Map.of("total", TOTAL, "accounts", accounts), h);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void aSerializableBankIsValid(long seed) {
    CheckResult r = check(simulate(seed, Bank.SERIALIZABLE));
    assertThat(r.valid()).as("seed %d: %s", seed, r).isEqualTo(Validity.TRUE);
    assertThat((Long) r.extra().get("read-count")).isGreaterThan(100L);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void aReadCommittedBankShowsWrongTotals(long seed) {
    CheckResult r = check(simulate(seed, Bank.READ_COMMITTED));
    assertThat(r.valid()).as("seed %d", seed).isEqualTo(Validity.FALSE);
    assertThat(r.anomalyTypes()).contains("wrong-total").doesNotContain("unexpected-key", "nil-balance");
    @SuppressWarnings("unchecked")
    Map<String, Long> counts = (Map<String, Long>) r.extra().get("anomaly-counts");
    long listed = r.anomalies().stream().filter(a -> a.type().equals("wrong-total")).count();
    assertThat(listed).isEqualTo(Math.min(counts.get("wrong-total"), BankChecker.ANOMALIES_PER_TYPE_MAX));
    assertThat(counts.get("wrong-total")).isLessThanOrEqualTo((Long) r.extra().get("bad-read-count"));
  }

  @org.junit.jupiter.api.Test
  void aLongBrokenRunListsABoundedNumberOfAnomaliesButCountsAll() {
    // Four seeds' worth of read committed reads, concatenated by re-indexing, exceed the bound.
    History h = simulate(3, Bank.READ_COMMITTED);
    List<Op> ops = new ArrayList<>(h.ops());
    for (long seed = 4; seed < 8; seed++) {
      for (Op op : simulate(seed, Bank.READ_COMMITTED).ops()) {
        ops.add(new Op(ops.size(), op.timeNanos(), op.process() + 10 * seed, op.type(), op.f(), op.value(), op.error()));
      }
    }
    CheckResult r = check(History.of(ops));
    @SuppressWarnings("unchecked")
    Map<String, Long> counts = (Map<String, Long>) r.extra().get("anomaly-counts");
    assertThat(counts.get("wrong-total")).isGreaterThan((long) BankChecker.ANOMALIES_PER_TYPE_MAX);
    assertThat(r.anomalies().stream().filter(a -> a.type().equals("wrong-total")).count()).isEqualTo(BankChecker.ANOMALIES_PER_TYPE_MAX);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void anOverdrawingBankShowsNegativeBalancesButConservesTheTotal(long seed) {
    CheckResult r = check(simulate(seed, Bank.OVERDRAWING));
    assertThat(r.valid()).as("seed %d", seed).isEqualTo(Validity.FALSE);
    assertThat(r.anomalyTypes()).containsExactly("negative-balance");
  }
}
