package io.ordo.executor.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Append;
import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.Get;
import io.ordo.proto.Increment;
import io.ordo.proto.KeyRead;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransactionEvaluatorTest {
  private static final Position P = Position.newBuilder().setTs(1).build();

  private static Value counter(long n) {
    return Value.newBuilder().setCounter(n).build();
  }

  private static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(s)).build();
  }

  private static Operation op(String key, Operation.Builder b) {
    return b.setKey(key).build();
  }

  private static TransactionEvaluator.Evaluation run(Map<String, Value> state, boolean postState, Operation... ops) {
    List<IndexedOp> indexed = new ArrayList<>();
    Map<String, Optional<Value>> current = new HashMap<>();
    for (int i = 0; i < ops.length; i++) {
      indexed.add(IndexedOp.newBuilder().setIndex(i).setOp(ops[i]).build());
      current.put(ops[i].getKey(), Optional.ofNullable(state.get(ops[i].getKey())));
    }
    return TransactionEvaluator.evaluate("t", P, indexed, current, postState, 1);
  }

  private static Operation inc(String key, long delta, Long min, Long max) {
    Increment.Builder i = Increment.newBuilder().setDelta(delta);
    if (min != null) {
      i.setMin(min);
    }
    if (max != null) {
      i.setMax(max);
    }
    return op(key, Operation.newBuilder().setIncrement(i));
  }

  @Test
  void bankTransferCommitsWhenFundsSufficeAndReturnsPostStateIfAsked() {
    var eval = run(Map.of("a", counter(50), "b", counter(5)), true, inc("a", -30, 0L, null), inc("b", 30, null, null));
    assertThat(eval.committed()).isTrue();
    assertThat(eval.writes()).containsExactly(Map.entry("a", Optional.of(counter(20))), Map.entry("b", Optional.of(counter(35))));
    assertThat(eval.result().getReadsList()).extracting(KeyRead::getKey, KeyRead::getPostState, r -> r.getValue().getCounter())
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", true, 20L), org.assertj.core.groups.Tuple.tuple("b", true, 35L));
  }

  @Test
  void insufficientFundsAbortsWithTheBoundAndNoWrites() {
    var eval = run(Map.of("a", counter(10)), false, inc("a", -30, 0L, null), inc("b", 30, null, null));
    assertThat(eval.result().getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(eval.result().getAbortReason()).isEqualTo(AbortReason.BOUND_VIOLATED);
    assertThat(eval.result().getFailedOpIndex()).isZero();
    assertThat(eval.result().getDetail()).isEqualTo("op 0: increment of 'a' to -20 is below min 0");
    assertThat(eval.writes()).isEmpty();
  }

  @Test
  void maxBoundAndOverflowAbort() {
    assertThat(run(Map.of(), false, inc("a", 5, null, 4L)).result().getAbortReason()).isEqualTo(AbortReason.BOUND_VIOLATED);
    assertThat(run(Map.of("a", counter(Long.MAX_VALUE)), false, inc("a", 1, null, null)).result().getDetail())
        .contains("overflows");
  }

  @Test
  void overflowAbortsOutOfRangeNamingTheKeyEvenWhenABoundWouldAlsoFail() {
    var up = run(Map.of("a", counter(Long.MAX_VALUE)), false, inc("b", 1, null, null), inc("a", 1, null, 5L));
    assertThat(up.result().getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(up.result().getAbortReason()).isEqualTo(AbortReason.OUT_OF_RANGE);
    assertThat(up.result().getFailedOpIndex()).isEqualTo(1);
    assertThat(up.result().getDetail()).isEqualTo("op 1: increment of 'a' by 1 from 9223372036854775807 overflows int64");
    assertThat(up.writes()).isEmpty();
    var down = run(Map.of("a", counter(-(1L << 62))), false, inc("a", Long.MIN_VALUE, 0L, null));
    assertThat(down.result().getAbortReason()).isEqualTo(AbortReason.OUT_OF_RANGE);
    assertThat(down.result().getDetail()).contains("'a'");
    // At the edge itself it is a plain increment.
    var edge = run(Map.of("a", counter(Long.MAX_VALUE - 1)), false, inc("a", 1, null, null));
    assertThat(edge.writes()).containsExactly(Map.entry("a", Optional.of(counter(Long.MAX_VALUE))));
  }

  @Test
  void getsSeeEarlierWritesOfTheSameTransaction() {
    var eval =
        run(
            Map.of("k", bytes("old")),
            false,
            op("k", Operation.newBuilder().setGet(Get.getDefaultInstance())),
            op("k", Operation.newBuilder().setPut(Put.newBuilder().setValue(bytes("new")))),
            op("k", Operation.newBuilder().setGet(Get.getDefaultInstance())),
            op("k", Operation.newBuilder().setDelete(Delete.getDefaultInstance())),
            op("k", Operation.newBuilder().setGet(Get.getDefaultInstance())));
    assertThat(eval.committed()).isTrue();
    assertThat(eval.result().getReadsList()).extracting(KeyRead::getFound).containsExactly(true, true, false);
    assertThat(eval.result().getReads(0).getValue()).isEqualTo(bytes("old"));
    assertThat(eval.result().getReads(1).getValue()).isEqualTo(bytes("new"));
    assertThat(eval.writes()).containsExactly(Map.entry("k", Optional.empty()));
  }

  @Test
  void assertsCompareExactValueOrAbsence() {
    Operation absent = op("k", Operation.newBuilder().setAssert(Assert.newBuilder().setAbsent(true)));
    Operation equalsOld = op("k", Operation.newBuilder().setAssert(Assert.newBuilder().setEquals(bytes("old"))));
    assertThat(run(Map.of(), false, absent).committed()).isTrue();
    assertThat(run(Map.of("k", bytes("old")), false, absent).result().getAbortReason()).isEqualTo(AbortReason.ASSERT_FAILED);
    assertThat(run(Map.of("k", bytes("old")), false, equalsOld).committed()).isTrue();
    assertThat(run(Map.of("k", bytes("other")), false, equalsOld).result().getAbortReason()).isEqualTo(AbortReason.ASSERT_FAILED);
    assertThat(run(Map.of(), false, equalsOld).result().getAbortReason()).isEqualTo(AbortReason.ASSERT_FAILED);
  }

  @Test
  void appendBuildsAListAndRejectsNonLists() {
    Operation append = op("l", Operation.newBuilder().setAppend(Append.newBuilder().setElement(ByteString.copyFromUtf8("x"))));
    var eval = run(Map.of(), false, append, append);
    assertThat(eval.writes().get("l")).contains(
        Value.newBuilder().setList(ListValue.newBuilder().addElements(ByteString.copyFromUtf8("x")).addElements(ByteString.copyFromUtf8("x"))).build());
    assertThat(run(Map.of("l", counter(1)), false, append).result().getAbortReason()).isEqualTo(AbortReason.TYPE_MISMATCH);
    assertThat(run(Map.of("c", bytes("x")), false, inc("c", 1, null, null)).result().getAbortReason()).isEqualTo(AbortReason.TYPE_MISMATCH);
  }

  @Test
  void anOperationWithoutKindIsInvalid() {
    var eval = run(Map.of(), false, Operation.newBuilder().setKey("k").build());
    assertThat(eval.result().getAbortReason()).isEqualTo(AbortReason.INVALID_TRANSACTION);
  }
}
