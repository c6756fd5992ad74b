package io.ordo.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import org.junit.jupiter.api.Test;

/** Which waiter a result answers: same id and same log entry (partition, offset), nothing else. */
class ResultMatcherTest {
  /** A waiter handle; identity is what counts. */
  private static final class W {
    final String name;

    W(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static TxnResult result(String id, Outcome outcome, long ts, int partition, long offset) {
    return TxnResult.newBuilder()
        .setTxnId(id)
        .setOutcome(outcome)
        .setFailedOpIndex(-1)
        .setPosition(Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset))
        .build();
  }

  @Test
  void aResultAfterTheAckCompletesTheWaiterOfThatEntryOnly() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    W w = new W("w");
    m.add("t", w);
    assertThat(m.appended("t", w, 2, 40)).isNull();
    // Same id, other entry (another gateway's append, or an old one): not this waiter's.
    assertThat(m.offer(result("t", Outcome.COMMITTED, 1_000, 2, 39))).isNull();
    assertThat(m.offer(result("t", Outcome.COMMITTED, 1_000, 3, 40))).isNull();
    assertThat(m.waiting()).isEqualTo(1);
    // Its own entry; the timestamp is the executor's monotonic one, not compared.
    assertThat(m.offer(result("t", Outcome.ABORTED, 999_999, 2, 40))).isSameAs(w);
    assertThat(m.waiting()).isZero();
    assertThat(m.earlyResults()).isZero();
    // Delivered once: a second copy finds nobody.
    assertThat(m.offer(result("t", Outcome.ABORTED, 999_999, 2, 40))).isNull();
  }

  @Test
  void aResultBeforeTheAckIsKeptAndHandedOverByTheAck() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    W w = new W("w");
    m.add("t", w);
    TxnResult mine = result("t", Outcome.COMMITTED, 5, 1, 7);
    assertThat(m.offer(mine)).isNull();
    assertThat(m.earlyResults()).isEqualTo(1);
    assertThat(m.appended("t", w, 1, 7)).isEqualTo(mine);
    assertThat(m.waiting()).isZero();
    assertThat(m.earlyResults()).isZero();
  }

  @Test
  void earlyResultsOfOtherEntriesAreDroppedOnceEveryWaiterOfTheIdKnowsItsEntry() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    W w = new W("w");
    m.add("t", w);
    // A replay of an older entry's result after an executor recovery, read before the ack.
    assertThat(m.offer(result("t", Outcome.COMMITTED, 5, 1, 3))).isNull();
    assertThat(m.earlyResults()).isEqualTo(1);
    assertThat(m.appended("t", w, 1, 9)).isNull();
    assertThat(m.earlyResults()).isZero();
    assertThat(m.waiting()).isEqualTo(1);
    TxnResult mine = result("t", Outcome.DUPLICATE, 6, 1, 9);
    assertThat(m.offer(mine)).isSameAs(w);
  }

  @Test
  void aReplayedResultOfAnAnsweredRequestNeverReachesALaterRequestWithTheSameId() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    W first = new W("first");
    m.add("t", first);
    m.appended("t", first, 0, 11);
    TxnResult original = result("t", Outcome.COMMITTED, 100, 0, 11);
    assertThat(m.offer(original)).isSameAs(first);

    W later = new W("later");
    m.add("t", later);
    m.appended("t", later, 0, 12);
    // The executor recovers and re-emits the original, byte for byte.
    assertThat(m.offer(original)).isNull();
    TxnResult duplicate = result("t", Outcome.DUPLICATE, 101, 0, 12);
    assertThat(m.offer(duplicate)).isSameAs(later);
  }

  @Test
  void twoRequestsWithOneIdEachGetTheirOwnEntrysResultWhateverTheOrder() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    W a = new W("a");
    W b = new W("b");
    m.add("t", a);
    m.add("t", b);
    TxnResult aResult = result("t", Outcome.COMMITTED, 50, 2, 20);
    TxnResult bResult = result("t", Outcome.DUPLICATE, 50, 2, 21);
    // b's result is read before either ack; then a is acknowledged, then a's result is read.
    assertThat(m.offer(bResult)).isNull();
    assertThat(m.appended("t", a, 2, 20)).isNull();
    // b is still unacknowledged, so b's result is still kept.
    assertThat(m.earlyResults()).isEqualTo(1);
    assertThat(m.offer(aResult)).isSameAs(a);
    assertThat(m.appended("t", b, 2, 21)).isEqualTo(bResult);
    assertThat(m.waiting()).isZero();
    assertThat(m.earlyResults()).isZero();
  }

  @Test
  void twoRequestsWithOneIdAcknowledgedFirstEachGetTheirOwn() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    W a = new W("a");
    W b = new W("b");
    m.add("t", a);
    m.add("t", b);
    m.appended("t", b, 0, 5);
    m.appended("t", a, 0, 4);
    assertThat(m.offer(result("t", Outcome.DUPLICATE, 9, 0, 5))).isSameAs(b);
    assertThat(m.offer(result("t", Outcome.COMMITTED, 9, 0, 4))).isSameAs(a);
  }

  @Test
  void removedWaitersGetNothingAndTheirIdsEarlyResultsGo() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    W w = new W("w");
    m.add("t", w);
    m.offer(result("t", Outcome.COMMITTED, 1, 0, 1));
    assertThat(m.remove("t", w)).isTrue();
    assertThat(m.remove("t", w)).isFalse();
    assertThat(m.earlyResults()).isZero();
    assertThat(m.appended("t", w, 0, 1)).isNull();
    assertThat(m.offer(result("t", Outcome.COMMITTED, 1, 0, 1))).isNull();
    assertThat(m.contains("t", w)).isFalse();
    assertThat(m.registered()).isEmpty();
  }

  @Test
  void resultsForIdsNobodyWaitsForAreNotKept() {
    ResultMatcher<W> m = new ResultMatcher<>(16);
    assertThat(m.offer(result("other", Outcome.COMMITTED, 1, 0, 1))).isNull();
    assertThat(m.earlyResults()).isZero();
  }

  @Test
  void earlyResultsAreBoundedAndTheOverflowIsCounted() {
    ResultMatcher<W> m = new ResultMatcher<>(2);
    W w = new W("w");
    m.add("t", w);
    m.offer(result("t", Outcome.COMMITTED, 1, 0, 1));
    m.offer(result("t", Outcome.COMMITTED, 1, 0, 2));
    m.offer(result("t", Outcome.COMMITTED, 1, 0, 3));
    // A copy of a kept one is not a new early result.
    m.offer(result("t", Outcome.COMMITTED, 1, 0, 1));
    assertThat(m.earlyResults()).isEqualTo(2);
    assertThat(m.earlyResultsDropped()).isEqualTo(1);
    // The dropped one was this waiter's: it keeps waiting (its deadline ends it), never
    // getting another entry's result.
    assertThat(m.appended("t", w, 0, 3)).isNull();
    assertThat(m.waiting()).isEqualTo(1);
    assertThat(m.earlyResults()).isZero();
  }

  @Test
  void theBoundMustBePositive() {
    assertThatThrownBy(() -> new ResultMatcher<W>(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("earlyResultsMax must be > 0, got 0");
  }
}
