package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.AbortReason;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.RangeRequest;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Increments of one counter with extreme deltas, bounds and base values through the
 * KeyTransactionProcessor and TransactionProcessor: a multi-range head stays undecided while the
 * rest arrive, so the escrow check decides who may run. Properties: no exception escapes an
 * operator; every increment the escrow check admits past undecided ones fits its bounds and int64
 * for every outcome of those (O'Neil, "The Escrow Transactional Method", TODS 1986, with int64
 * as one more bound); and every outcome, abort reason and the final value are those of serial
 * execution on exact integers (BigInteger), whatever the delivery order of the feedback.
 */
class EscrowAdmissionPropertiesTest {
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  /** One increment of "c"; a multi-range one also reads "x" in range 1. */
  record Inc(long delta, Long min, Long max, boolean multiRange) {}

  /** Values at and around the edges of int64 and of the scenario that used to fail (±2^62). */
  static Arbitrary<Long> extremes() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of(
            Long.MIN_VALUE, Long.MIN_VALUE + 1, -(1L << 62) - 1, -(1L << 62), -(1L << 61), -1L, 0L, 1L,
            1L << 61, 1L << 62, (1L << 62) + 1, Long.MAX_VALUE - 1, Long.MAX_VALUE)),
        Tuple.of(2, Arbitraries.longs()),
        Tuple.of(2, Arbitraries.longs().between(-100, 100)));
  }

  /**
   * Deltas: mostly quarters and eighths of the int64 range, whose sums cross its ends in a few
   * steps (two of 2^62 already do), so queues of admitted increments near the edges are common.
   */
  static Arbitrary<Long> deltas() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.of(-(1L << 62), -(1L << 61), -1L, 1L, 1L << 61, 1L << 62)),
        Tuple.of(3, extremes()));
  }

  @Provide
  Arbitrary<Inc> incs() {
    return Combinators.combine(
            deltas(), extremes().injectNull(0.7), extremes().injectNull(0.8), Arbitraries.integers().between(0, 9))
        .as((delta, min, max, kind) -> new Inc(delta, min, max, kind < 3));
  }

  /** Bases: half the time at an end of int64 or ±2^62, where deltas pointing inward pile up. */
  @Provide
  Arbitrary<Long> bases() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.of(Long.MIN_VALUE, Long.MIN_VALUE + 1, -(1L << 62), 1L << 62, Long.MAX_VALUE - 1, Long.MAX_VALUE)),
        Tuple.of(5, extremes()));
  }

  @Property(tries = 500)
  void escrowAdmitsOnlyWhatHoldsForEveryOutcomeAndOutcomesAreThoseOfSerialExecution(
      @ForAll("bases") long base,
      @ForAll boolean absent,
      @ForAll("incs") Inc head,
      @ForAll @Size(min = 1, max = 6) List<@net.jqwik.api.From("incs") Inc> followers,
      @ForAll @IntRange(min = 0, max = 9) int feedbackAfter,
      @ForAll @IntRange(min = -1, max = 1) int pile,
      @ForAll long deliverySeed)
      throws Exception {
    // Two tries in three pile deltas of one sign onto a base at the opposite end: the shape in
    // which partial sums of the deltas leave int64 while the values do not (base -2^62, +2^62,
    // +2^62), which independent signs would rarely produce.
    if (pile != 0) {
      base = -pile * magnitude(base);
    }
    List<Inc> incs = new ArrayList<>();
    incs.add(new Inc(pile == 0 ? head.delta() : pile * magnitude(head.delta()), head.min(), head.max(), true));
    for (Inc f : followers) {
      incs.add(pile == 0 ? f : new Inc(pile * magnitude(f.delta()), f.min(), f.max(), f.multiRange()));
    }
    Random delivery = new Random(deliverySeed);
    BigInteger start = absent ? BigInteger.ZERO : BigInteger.valueOf(base);
    try (OperatorPair pair = new OperatorPair()) {
      long ts = 1;
      if (!absent) {
        pair.submit(List.of(request("load", ts, 0, List.of(0), put("c", counter(base)))));
      }
      for (int j = 0; j < incs.size(); j++) {
        if (j == 1 + feedbackAfter) {
          pair.deliverAll(delivery);
        }
        // What is known of the increments ahead of j when it arrives.
        BigInteger decided = start;
        List<BigInteger> undecided = new ArrayList<>();
        for (int i = 0; i < j; i++) {
          TxnResult r = pair.results().get("t" + i);
          if (r == null) {
            undecided.add(BigInteger.valueOf(incs.get(i).delta()));
          } else if (r.getOutcome() == Outcome.COMMITTED) {
            decided = decided.add(BigInteger.valueOf(incs.get(i).delta()));
          }
        }
        Inc inc = incs.get(j);
        pair.submit(requests("t" + j, ++ts, inc));
        boolean admitted = pair.readsSent("t" + j, 0) || pair.results().containsKey("t" + j);
        if (admitted && !undecided.isEmpty()) {
          for (int subset = 0; subset < 1 << undecided.size(); subset++) {
            BigInteger before = decided;
            for (int u = 0; u < undecided.size(); u++) {
              if ((subset & (1 << u)) != 0) {
                before = before.add(undecided.get(u));
              }
            }
            BigInteger after = before.add(BigInteger.valueOf(inc.delta()));
            assertThat(fits(after) && withinBounds(after, inc))
                .as("t%d (%s) admitted past undecided increments, but from %s it gives %s", j, inc, before, after)
                .isTrue();
          }
        }
      }
      pair.deliverAll(delivery);

      // Serial execution on exact integers.
      BigInteger value = start;
      boolean written = !absent;
      for (int j = 0; j < incs.size(); j++) {
        Inc inc = incs.get(j);
        BigInteger after = value.add(BigInteger.valueOf(inc.delta()));
        TxnResult got = pair.results().get("t" + j);
        assertThat(got).as("result of t%d", j).isNotNull();
        if (!fits(after)) {
          assertThat(got.getAbortReason()).as("t%d: %s + %s", j, value, inc).isEqualTo(AbortReason.OUT_OF_RANGE);
          assertThat(got.getDetail()).contains("'c'");
        } else if (!withinBounds(after, inc)) {
          assertThat(got.getAbortReason()).as("t%d: %s + %s", j, value, inc).isEqualTo(AbortReason.BOUND_VIOLATED);
        } else {
          assertThat(got.getOutcome()).as("t%d: %s + %s", j, value, inc).isEqualTo(Outcome.COMMITTED);
          value = after;
          written = true;
        }
      }
      List<ChangelogRecord> changes = pair.changelog();
      if (written) {
        assertThat(changes).isNotEmpty();
        assertThat(BigInteger.valueOf(changes.get(changes.size() - 1).getAfter().getCounter())).isEqualTo(value);
      } else {
        assertThat(changes).isEmpty();
      }
      assertThat(pair.tp.numKeyedStateEntries()).isZero();
      assertThat(pair.ktp.numKeyedStateEntries())
          .isLessThanOrEqualTo(KeyTransactionProcessorFunctionTest.IDLE_STATE_ENTRIES * 2);
    }
  }

  private static List<RangeRequest> requests(String id, long ts, Inc inc) {
    var op = increment("c", inc.delta(), inc.min(), inc.max());
    return inc.multiRange() ? twoRanges(id, ts, op, get("x")) : List.of(request(id, ts, 0, List.of(0), op));
  }

  /** |v|, with |MIN| taken as MAX (the nearest int64). */
  private static long magnitude(long v) {
    return v == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(v);
  }

  private static boolean fits(BigInteger v) {
    return v.compareTo(LONG_MIN) >= 0 && v.compareTo(LONG_MAX) <= 0;
  }

  private static boolean withinBounds(BigInteger v, Inc inc) {
    return (inc.min() == null || v.compareTo(BigInteger.valueOf(inc.min())) >= 0)
        && (inc.max() == null || v.compareTo(BigInteger.valueOf(inc.max())) <= 0);
  }
}
