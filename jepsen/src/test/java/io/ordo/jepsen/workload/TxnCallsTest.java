package io.ordo.jepsen.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How Ordo's answers become completions, and how commit positions become ranks. */
class TxnCallsTest {
  private static final TxnRequest REQUEST = TxnRequest.newBuilder().setId("t1").addOps(TxnCalls.get("k")).build();

  private static Completion answer(TxnClient client) {
    return TxnCalls.call(client, REQUEST, 1_000, "invoke-value", r -> "ok-value");
  }

  @Test
  void committedIsOkWithThePosition() {
    Position p = Position.newBuilder().setTs(5).setPartition(1).setOffset(9).build();
    Completion c = answer((req, ms) -> TxnResult.newBuilder().setOutcome(Outcome.COMMITTED).setPosition(p).build());
    assertThat(c.type()).isEqualTo(OpType.OK);
    assertThat(c.value()).isEqualTo("ok-value");
    assertThat(c.position()).isEqualTo(p);
  }

  @Test
  void abortedIsFailWithTheReason() {
    Completion c = answer((req, ms) -> TxnResult.newBuilder().setOutcome(Outcome.ABORTED).setAbortReason(AbortReason.BOUND_VIOLATED)
        .setDetail("below min 0").build());
    assertThat(c.type()).isEqualTo(OpType.FAIL);
    assertThat(c.value()).isEqualTo("invoke-value");
    assertThat(c.error()).isEqualTo("BOUND_VIOLATED: below min 0");
  }

  @Test
  void unknownOutcomesAreInfoAndCrashTheProcess() {
    for (Status s : List.of(Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE, Status.ALREADY_EXISTS.withDescription("id used"))) {
      Completion c = answer((req, ms) -> {
        throw s.asRuntimeException();
      });
      assertThat(c.type()).as(s.getCode().name()).isEqualTo(OpType.INFO);
      assertThat(c.crashesProcess()).isTrue();
      assertThat((String) c.error()).startsWith(s.getCode().name());
    }
  }

  @Test
  void aRejectedRequestCertainlyFailed() {
    Completion c = answer((req, ms) -> {
      throw Status.INVALID_ARGUMENT.withDescription("bad key").asRuntimeException();
    });
    assertThat(c.type()).isEqualTo(OpType.FAIL);
    assertThat(c.error()).isEqualTo("INVALID_ARGUMENT: bad key");
  }

  @Test
  void positionsAreRankedByTsThenPartitionThenOffset() {
    Map<Long, Position> positions = Map.of(
        1L, pos(10, 2, 0),
        3L, pos(10, 1, 7),
        5L, pos(9, 3, 100),
        7L, pos(10, 1, 8));
    assertThat(PositionRanks.rank(positions)).containsExactlyInAnyOrderEntriesOf(Map.of(5L, 0L, 3L, 1L, 7L, 2L, 1L, 3L));
  }

  @Test
  void twoCompletionsAtOnePositionAreRejected() {
    assertThatThrownBy(() -> PositionRanks.rank(Map.of(1L, pos(1, 0, 0), 3L, pos(1, 0, 0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same commit position");
  }

  @Test
  void rankedOkCompletionsCarryTxnAndPosition() {
    History h = History.of(List.of(
        new Op(0, 0, 0, OpType.INVOKE, "txn", List.of(List.of(Keyword.of("w"), 1L, 1L)), null),
        new Op(1, 1, 0, OpType.OK, "txn", List.of(List.of(Keyword.of("w"), 1L, 1L)), null)));
    History positioned = PositionRanks.withPositions(h, Map.of(1L, 0L));
    assertThat(positioned.ops().get(0)).isEqualTo(h.ops().get(0));
    assertThat(positioned.ops().get(1).value())
        .isEqualTo(Map.of(Keyword.of("txn"), List.of(List.of(Keyword.of("w"), 1L, 1L)), Keyword.of("position"), 0L));
  }

  private static Position pos(long ts, int partition, long offset) {
    return Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset).build();
  }
}
