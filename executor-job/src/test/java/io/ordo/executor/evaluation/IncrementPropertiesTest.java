package io.ordo.executor.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.AbortReason;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
 * Increments with extreme deltas, bounds and base values: the evaluation never throws, and its
 * outcome is the one computed on exact integers: committed with the exact values, or aborted at
 * the first increment whose exact value leaves int64 (OUT_OF_RANGE, detail naming the key) or,
 * failing that, leaves its bounds (BOUND_VIOLATED).
 */
class IncrementPropertiesTest {
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final Position P = Position.newBuilder().setTs(1).build();

  record Inc(String key, long delta, Long min, Long max) {}

  /** Values at and around the edges of int64 and ±2^62, plus arbitrary and small ones. */
  static Arbitrary<Long> extremes() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of(
            Long.MIN_VALUE, Long.MIN_VALUE + 1, -(1L << 62) - 1, -(1L << 62), -1L, 0L, 1L,
            1L << 62, (1L << 62) + 1, Long.MAX_VALUE - 1, Long.MAX_VALUE)),
        Tuple.of(2, Arbitraries.longs()),
        Tuple.of(2, Arbitraries.longs().between(-100, 100)));
  }

  @Provide
  Arbitrary<Inc> incs() {
    return Combinators.combine(Arbitraries.of("a", "b"), extremes(), extremes().injectNull(0.5), extremes().injectNull(0.5))
        .as(Inc::new);
  }

  @Provide
  Arbitrary<Long> bases() {
    return extremes().injectNull(0.2);
  }

  @Property(tries = 2000)
  void incrementsCommitWithTheExactValueOrAbortWithTheExactReason(
      @ForAll("bases") Long baseA, @ForAll("bases") Long baseB, @ForAll @Size(min = 1, max = 4) List<@From("incs") Inc> incs) {
    Map<String, Optional<Value>> current = new HashMap<>();
    current.put("a", Optional.ofNullable(baseA).map(IncrementPropertiesTest::counter));
    current.put("b", Optional.ofNullable(baseB).map(IncrementPropertiesTest::counter));
    List<IndexedOp> ops = new ArrayList<>();
    for (int i = 0; i < incs.size(); i++) {
      Inc inc = incs.get(i);
      Increment.Builder b = Increment.newBuilder().setDelta(inc.delta());
      if (inc.min() != null) {
        b.setMin(inc.min());
      }
      if (inc.max() != null) {
        b.setMax(inc.max());
      }
      ops.add(IndexedOp.newBuilder().setIndex(i).setOp(Operation.newBuilder().setKey(inc.key()).setIncrement(b)).build());
    }

    TransactionEvaluator.Evaluation eval = TransactionEvaluator.evaluate("t", P, ops, current, true, 1);

    Map<String, BigInteger> exact = new TreeMap<>();
    exact.put("a", BigInteger.valueOf(baseA == null ? 0 : baseA));
    exact.put("b", BigInteger.valueOf(baseB == null ? 0 : baseB));
    Map<String, Optional<Value>> expectedWrites = new TreeMap<>();
    for (int i = 0; i < incs.size(); i++) {
      Inc inc = incs.get(i);
      BigInteger after = exact.get(inc.key()).add(BigInteger.valueOf(inc.delta()));
      AbortReason reason = null;
      if (after.compareTo(LONG_MIN) < 0 || after.compareTo(LONG_MAX) > 0) {
        reason = AbortReason.OUT_OF_RANGE;
      } else if ((inc.min() != null && after.compareTo(BigInteger.valueOf(inc.min())) < 0)
          || (inc.max() != null && after.compareTo(BigInteger.valueOf(inc.max())) > 0)) {
        reason = AbortReason.BOUND_VIOLATED;
      }
      if (reason != null) {
        assertThat(eval.result().getOutcome()).isEqualTo(Outcome.ABORTED);
        assertThat(eval.result().getAbortReason()).isEqualTo(reason);
        assertThat(eval.result().getFailedOpIndex()).isEqualTo(i);
        assertThat(eval.result().getDetail()).startsWith("op " + i + ": increment of '" + inc.key() + "'");
        assertThat(eval.writes()).isEmpty();
        assertThat(eval.result().getReadsList()).isEmpty();
        return;
      }
      exact.put(inc.key(), after);
      expectedWrites.put(inc.key(), Optional.of(counter(after.longValueExact())));
    }
    assertThat(eval.result().getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(eval.writes()).isEqualTo(expectedWrites);
    // Post-state: each key's final value, reported once.
    assertThat(eval.result().getReadsList())
        .allSatisfy(r -> assertThat(BigInteger.valueOf(r.getValue().getCounter())).isEqualTo(exact.get(r.getKey())));
    assertThat(eval.result().getReadsCount()).isEqualTo(expectedWrites.size());
  }

  private static Value counter(long n) {
    return Value.newBuilder().setCounter(n).build();
  }
}
