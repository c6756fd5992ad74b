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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How the time budget is shared among keys: one pathological key (an exponential search) must not
 * hide keys that are quickly found not linearizable, whatever its name, and a verdict must not
 * depend on key names. Time is a fake clock that advances 1 ms each time it is read (the search
 * reads it every 1024 steps), so every timeout here is deterministic.
 */
class LinearizabilityBudgetTest {
  private static final long HARD_WRITES = 12;
  private static final long SMALL_WRITES = 8;
  private static final List<Object> SMALL_KEYS = List.of(10L, 20L, 30L, 40L);
  private static final long TIME_LIMIT_MS = 50;

  /** A checker on a clock that advances 1 ms per read. */
  private static LinearizabilityChecker slowMachine() {
    AtomicLong nanos = new AtomicLong();
    LongSupplier clock = () -> nanos.addAndGet(1_000_000);
    return new LinearizabilityChecker(clock);
  }

  private static CheckResult check(History h) {
    return slowMachine().check(Map.of("time-limit-ms", TIME_LIMIT_MS), h);
  }

  /**
   * Twelve concurrent writes, then a read of a value nobody wrote: refuting the read means trying
   * every order of the writes the cache does not prune, far more steps than the budget allows.
   */
  private static void hardKey(HistoryRecorder rec, Object key) {
    List<Op> invokes = new ArrayList<>();
    for (long p = 0; p < HARD_WRITES; p++) {
      invokes.add(rec.invoke(p, "write", List.of(key, p)));
    }
    for (Op inv : invokes) {
      rec.complete(inv, OpType.OK, inv.value(), null);
    }
    Op read = rec.invoke(100, "read", Arrays.asList(key, null));
    rec.complete(read, OpType.OK, List.of(key, 99L), null);
  }

  /**
   * {@code padding} sequential writes, then {@value #SMALL_WRITES} concurrent writes and a read of
   * a value none of them wrote: refuted in a few thousand steps (more than 1024, so the search
   * reads the clock), as the keys of a real history that a fault made fail.
   */
  private static void badReadKey(HistoryRecorder rec, Object key, int padding) {
    for (long v = 0; v < padding; v++) {
      sequential(rec, "write", List.of(key, 1_000 + v), List.of(key, 1_000 + v));
    }
    List<Op> invokes = new ArrayList<>();
    for (long p = 0; p < SMALL_WRITES; p++) {
      invokes.add(rec.invoke(300 + p, "write", List.of(key, p)));
    }
    for (Op inv : invokes) {
      rec.complete(inv, OpType.OK, inv.value(), null);
    }
    sequential(rec, "read", Arrays.asList(key, null), List.of(key, 99L));
  }

  private static void sequential(HistoryRecorder rec, String f, Object invokeValue, Object okValue) {
    Op inv = rec.invoke(200, f, invokeValue);
    rec.complete(inv, OpType.OK, okValue, null);
  }

  /**
   * The hard key and four bad-read keys, each padded with {@code padding} writes (20: more ops
   * than the hard key, so the hard key is searched first; 0: fewer).
   */
  private static History history(Object hardKey, boolean hardFirst, int padding) {
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::get);
    if (hardFirst) {
      hardKey(rec, hardKey);
    }
    for (Object k : SMALL_KEYS) {
      badReadKey(rec, k, padding);
    }
    if (!hardFirst) {
      hardKey(rec, hardKey);
    }
    return rec.history();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> failures(CheckResult r) {
    return (List<Map<String, Object>>) r.extra().get("failures");
  }

  /**
   * The hard key has fewer ops than the others, so it is searched first, with a fifth of the
   * budget; it runs out, and the next key fails within the rest: invalid, for every name of the
   * hard key (sorting before, between or after the others, a long or a string) and either place in
   * the history.
   */
  @ParameterizedTest
  @ValueSource(strings = {"0", "25", "99", "a", "zzz"})
  void aHardKeySearchedFirstDoesNotHideFailingKeysWhateverItsName(String name) {
    Object hardKey = name.chars().allMatch(Character::isDigit) ? (Object) Long.parseLong(name) : name;
    for (boolean hardFirst : List.of(true, false)) {
      CheckResult r = check(history(hardKey, hardFirst, 20));
      assertThat(r.valid()).as("hard key %s, first in history %s: %s", hardKey, hardFirst, r).isEqualTo(Validity.FALSE);
      assertThat(r.anomalyTypes()).containsExactly("nonlinearizable");
      assertThat(failures(r)).hasSize(1);
      assertThat(failures(r).get(0).get("key")).isIn(SMALL_KEYS);
      assertThat(r.extra()).containsEntry("unknown-keys", List.of(hardKey)).containsEntry("keys", 5L);
      // The hard key and the first bad-read key were searched; the other three were not needed.
      assertThat(r.extra()).containsEntry("keys-unchecked", 3L);
    }
  }

  /** The verdict and the key reported are the same whatever the hard key is called. */
  @Test
  void renamingTheHardKeyChangesNothingButItsName() {
    for (int padding : List.of(0, 20)) {
      CheckResult before = check(history(0L, true, padding));
      CheckResult after = check(history(99L, true, padding));
      CheckResult string = check(history("zzz", true, padding));
      assertThat(after.valid()).isEqualTo(before.valid()).isEqualTo(Validity.FALSE);
      assertThat(string.valid()).isEqualTo(Validity.FALSE);
      assertThat(failures(after)).isEqualTo(failures(before)).isEqualTo(failures(string));
      assertThat(after.anomalies()).isEqualTo(before.anomalies());
      assertThat(after.extra().get("search-steps")).isEqualTo(before.extra().get("search-steps"));
    }
  }

  /**
   * With fewer ops than the hard key, a bad-read key is searched first and decides the verdict:
   * the hard key is never searched.
   */
  @Test
  void theFirstFailingKeyStopsTheSearch() {
    CheckResult r = check(history(0L, true, 0));
    assertThat(r.valid()).isEqualTo(Validity.FALSE);
    // Ties in size go to the key whose first op comes first in the history.
    assertThat(failures(r).get(0).get("key")).isEqualTo(SMALL_KEYS.get(0));
    assertThat(r.extra()).containsEntry("keys-unchecked", 4L).containsEntry("unknown-keys", List.of());
    assertThat((Long) r.extra().get("search-steps")).isEqualTo(badKeySteps(0));
  }

  /** The steps that refute one bad-read key on its own, with the default budget. */
  private static long badKeySteps(int padding) {
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::get);
    badReadKey(rec, 1L, padding);
    CheckResult r = new LinearizabilityChecker().check(Map.of(), rec.history());
    assertThat(r.valid()).isEqualTo(Validity.FALSE);
    long steps = (Long) r.extra().get("search-steps");
    assertThat(steps).as("steps to refute a bad-read key: several clock reads").isGreaterThan(2 * 1024L);
    return steps;
  }

  /** Alone, the hard key gets the whole budget, runs out of it, and the verdict is unknown. */
  @Test
  void aHardKeyAloneIsUnknown() {
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::get);
    hardKey(rec, "k");
    CheckResult r = check(rec.history());
    assertThat(r.valid()).isEqualTo(Validity.UNKNOWN);
    assertThat(r.extra()).containsEntry("unknown-keys", List.of("k"));
    assertThat(r.extra().get("unknown-reason").toString()).contains("time limit of 50 ms").contains("key k");
  }

  /**
   * The hard key's search stops at its share: alone, about the whole budget in clock reads (one
   * per 1024 steps, 1 ms each); first of five keys, about a fifth of it.
   */
  @Test
  void eachKeyKeepsToItsShareOfTheBudget() {
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::get);
    hardKey(rec, 0L);
    long alone = (Long) check(rec.history()).extra().get("search-steps");
    // The deadline read the clock at 1 ms (so it is 51 ms) and the key's start at 2 ms; the search
    // reads 3, 4, ... ms every 1024 steps and stops at the first read past 51 ms, its 50th.
    assertThat(alone).isEqualTo(50 * 1024L);

    CheckResult shared = check(history(0L, true, 20));
    long steps = (Long) shared.extra().get("search-steps");
    // Five keys share the 49 ms left at 2 ms: the hard key may search until 11.8 ms, i.e. 10 reads
    // (10 × 1024 steps); then the first bad-read key is refuted within its share.
    assertThat(steps).isEqualTo(10 * 1024L + badKeySteps(20));
    assertThat(shared.valid()).isEqualTo(Validity.FALSE);
  }
}
