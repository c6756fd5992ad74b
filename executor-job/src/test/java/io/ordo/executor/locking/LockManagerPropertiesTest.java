package io.ordo.executor.locking;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.Value;
import io.ordo.proto.state.LockEntry;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;

/**
 * The escrow check on arbitrary queues of increments with extreme deltas, bounds, values and
 * outcomes: it never throws, never admits an increment that could leave its bounds or int64
 * under some outcome of the increments ahead of it (done ones counted as they ended, undecided
 * ones both ways), and the value an admitted increment reads is the exact sum of the value and
 * the committed deltas ahead of it.
 */
class LockManagerPropertiesTest {
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  /** An increment entry: delta, bounds, and its transaction's state (0 undecided, 1 committed, 2 aborted). */
  record Inc(long delta, Long min, Long max, int state) {}

  static Arbitrary<Long> extremes() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of(
            Long.MIN_VALUE, Long.MIN_VALUE + 1, -(1L << 62), -(1L << 61), -1L, 0L, 1L,
            1L << 61, 1L << 62, Long.MAX_VALUE - 1, Long.MAX_VALUE)),
        Tuple.of(2, Arbitraries.longs()),
        Tuple.of(2, Arbitraries.longs().between(-100, 100)));
  }

  @Provide
  Arbitrary<Inc> incs() {
    return Combinators.combine(extremes(), extremes().injectNull(0.6), extremes().injectNull(0.7), Arbitraries.integers().between(0, 2))
        .as(Inc::new);
  }

  @Provide
  Arbitrary<Long> values() {
    return extremes().injectNull(0.1);
  }

  @Property(tries = 3000)
  void escrowNeverAdmitsAnIncrementThatSomeOutcomeAheadWouldTakeOutOfRange(
      @ForAll("values") Long value, @ForAll @Size(min = 1, max = 8) List<@From("incs") Inc> incs) {
    List<LockEntry> queue = new ArrayList<>();
    for (int i = 0; i < incs.size(); i++) {
      Inc inc = incs.get(i);
      LockEntry.Builder e = LockEntry.newBuilder().setTxnId("t" + i).setIncrement(true).setDelta(inc.delta())
          .setDone(inc.state() != 0).setCommitted(inc.state() == 1);
      if (inc.min() != null) {
        e.setMin(inc.min());
      }
      if (inc.max() != null) {
        e.setMax(inc.max());
      }
      queue.add(e.build());
    }
    Optional<Value> current = Optional.ofNullable(value).map(v -> Value.newBuilder().setCounter(v).build());

    List<String> granted = LockManager.grant(queue, current);

    assertThat(granted).as("the head always").startsWith("t0");
    BigInteger base = BigInteger.valueOf(value == null ? 0 : value);
    for (int j = 1; j < incs.size(); j++) {
      if (!granted.contains("t" + j)) {
        continue;
      }
      // Every outcome of the entries ahead: done ones as they ended, undecided ones both ways.
      BigInteger lo = base;
      BigInteger hi = base;
      BigInteger committedAhead = base;
      for (int i = 0; i < j; i++) {
        BigInteger d = BigInteger.valueOf(incs.get(i).delta());
        switch (incs.get(i).state()) {
          case 1 -> {
            lo = lo.add(d);
            hi = hi.add(d);
            committedAhead = committedAhead.add(d);
          }
          case 0 -> {
            lo = lo.add(d.min(BigInteger.ZERO));
            hi = hi.add(d.max(BigInteger.ZERO));
          }
          default -> { }
        }
      }
      Inc inc = incs.get(j);
      BigInteger d = BigInteger.valueOf(inc.delta());
      // The extreme outcomes are reached (all negative undecided ones commit, or all positive
      // ones), so checking both ends checks every outcome.
      for (BigInteger after : List.of(lo.add(d), hi.add(d))) {
        assertThat(after.compareTo(LONG_MIN) >= 0 && after.compareTo(LONG_MAX) <= 0)
            .as("t%d admitted, but some outcome ahead gives %s", j, after).isTrue();
        assertThat(inc.min() == null || after.compareTo(BigInteger.valueOf(inc.min())) >= 0)
            .as("t%d admitted, but some outcome ahead gives %s < min %s", j, after, inc.min()).isTrue();
        assertThat(inc.max() == null || after.compareTo(BigInteger.valueOf(inc.max())) <= 0)
            .as("t%d admitted, but some outcome ahead gives %s > max %s", j, after, inc.max()).isTrue();
      }
      // The value it reads is exact (and fits: it is one of the outcomes checked above).
      Optional<Value> seen = LockManager.escrowedValue(queue, "t" + j, "c", current);
      assertThat(BigInteger.valueOf(seen.map(Value::getCounter).orElse(0L))).isEqualTo(committedAhead);
    }
  }
}
