package io.ordo.executor.locking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Get;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Put;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.LockEntry;
import io.ordo.proto.state.RangeRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LockManagerTest {
  private static final long TWO_62 = 1L << 62;

  private static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }

  private static Operation put(String key) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(counter(1))).build();
  }

  private static Operation increment(String key, long delta, Long min, Long max) {
    Increment.Builder inc = Increment.newBuilder().setDelta(delta);
    if (min != null) {
      inc.setMin(min);
    }
    if (max != null) {
      inc.setMax(max);
    }
    return Operation.newBuilder().setKey(key).setIncrement(inc).build();
  }

  private static RangeRequest request(String id, Operation... ops) {
    RangeRequest.Builder r = RangeRequest.newBuilder().setTxnId(id).addParticipants(0).addParticipants(1);
    for (int i = 0; i < ops.length; i++) {
      r.addOps(IndexedOp.newBuilder().setIndex(i).setOp(ops[i]));
    }
    return r.build();
  }

  private static Value counter(long n) {
    return Value.newBuilder().setCounter(n).build();
  }

  private static LockEntry shared(String id) {
    return LockEntry.newBuilder().setTxnId(id).build();
  }

  private static LockEntry exclusive(String id) {
    return LockEntry.newBuilder().setTxnId(id).setExclusive(true).build();
  }

  private static LockEntry inc(String id, long delta, Long min, Long max) {
    return LockManager.lockEntry(request(id, increment("c", delta, min, max)), "c", LockMode.INCREMENT);
  }

  private static LockEntry inc(String id, long delta) {
    return inc(id, delta, null, null);
  }

  /** Queues the entries one at a time, as requests arrive, and returns every id granted on arrival. */
  private static List<String> arrive(List<LockEntry> queue, Optional<Value> value, LockEntry... entries) {
    List<String> granted = new ArrayList<>();
    for (LockEntry e : entries) {
      queue.add(e);
      granted.addAll(LockManager.grant(queue, value));
    }
    return granted;
  }

  private static void finish(List<LockEntry> queue, String id, boolean committed) {
    LockManager.markDone(queue, id, "c", committed);
  }

  @Test
  void anIncrementThatAlsoReadsTheKeyTakesAnExclusiveLock() {
    RangeRequest plain = request("p", increment("c", 1, null, null), get("x"));
    RangeRequest readsToo = request("q", increment("c", 1, null, null), get("c"));
    assertThat(LockManager.lockModes(plain))
        .containsEntry("c", LockMode.INCREMENT)
        .containsEntry("x", LockMode.SHARED);
    assertThat(LockManager.lockModes(readsToo)).containsEntry("c", LockMode.EXCLUSIVE);
    RangeRequest postState = plain.toBuilder().setReturnPostState(true).build();
    assertThat(LockManager.lockModes(postState)).containsEntry("c", LockMode.EXCLUSIVE);
  }

  @Test
  void lockModesAreInKeyOrderAndAWriteMakesTheLockExclusive() {
    RangeRequest r = request("t", get("b"), put("a"), get("a"), get("c"), increment("c", 1, null, null));
    assertThat(LockManager.lockModes(r)).containsExactly(
        java.util.Map.entry("a", LockMode.EXCLUSIVE), java.util.Map.entry("b", LockMode.SHARED), java.util.Map.entry("c", LockMode.EXCLUSIVE));
  }

  @Test
  void anIncrementEntryCarriesDeltaAndBoundsAndAMissingIncrementIsAnError() {
    LockEntry e = inc("t", -5, 0L, 100L);
    assertThat(e.getIncrement()).isTrue();
    assertThat(e.getExclusive()).isFalse();
    assertThat(e.getDelta()).isEqualTo(-5);
    assertThat(e.getMin()).isZero();
    assertThat(e.getMax()).isEqualTo(100);
    assertThat(LockManager.lockEntry(request("w", put("c")), "c", LockMode.EXCLUSIVE).getExclusive()).isTrue();
    assertThatThrownBy(() -> LockManager.lockEntry(request("w", put("c")), "c", LockMode.INCREMENT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("txn w has no increment on key 'c'");
  }

  @Test
  void sharedLocksAreGrantedTogetherAndNothingOvertakesAWaitingWriter() {
    List<LockEntry> queue = new ArrayList<>();
    Optional<Value> none = Optional.empty();
    assertThat(arrive(queue, none, shared("r1"), shared("r2"), exclusive("w3"), shared("r4"), inc("i5", 1)))
        .containsExactly("r1", "r2");
    LockManager.release(queue, "r2", "c");
    assertThat(LockManager.grant(queue, none)).isEmpty();
    LockManager.release(queue, "r1", "c");
    assertThat(LockManager.grant(queue, none)).containsExactly("w3");
    LockManager.release(queue, "w3", "c");
    assertThat(LockManager.grant(queue, none)).as("r4 is head; i5 waits behind a shared lock").containsExactly("r4");
    LockManager.release(queue, "r4", "c");
    assertThat(LockManager.grant(queue, none)).containsExactly("i5");
    assertThat(queue).extracting(LockEntry::getGranted).containsExactly(true);
  }

  @Test
  void aReadAfterIncrementsWaitsForThemAll() {
    List<LockEntry> queue = new ArrayList<>();
    assertThat(arrive(queue, Optional.of(counter(0)), inc("i1", 1), inc("i2", 2), shared("r3"))).containsExactly("i1", "i2");
  }

  @Test
  void escrowAdmitsADebitThatHoldsWhateverTheUndecidedOnesDo() {
    List<LockEntry> queue = new ArrayList<>();
    Optional<Value> ten = Optional.of(counter(10));
    // d1 (-6, undecided) is head; d2 (-4) holds either way; d3 (-6) holds only if d1 aborts.
    assertThat(arrive(queue, ten, inc("d1", -6, 0L, null), inc("d2", -4, 0L, null), inc("d3", -6, 0L, null)))
        .containsExactly("d1", "d2");
    // d1 aborted: 10 - 4 - 6 = 0 still holds, so d3 is admitted now, before anything drains.
    finish(queue, "d1", false);
    assertThat(LockManager.grant(queue, ten)).containsExactly("d3");
  }

  @Test
  void aMaxBoundIsCheckedAgainstTheHighestPossibleValue() {
    List<LockEntry> queue = new ArrayList<>();
    // b might reach 0 + 5 + 3 > 7 and waits; c may pass it: at most 0 + 5 + 3 + 2 = 10.
    assertThat(arrive(queue, Optional.of(counter(0)), inc("a", 5), inc("b", 3, null, 7L), inc("c", 2, null, 10L)))
        .containsExactly("a", "c");
  }

  @Test
  void escrowAdmitsNothingThatMightLeaveInt64AndNothingBehindIt() {
    List<LockEntry> queue = new ArrayList<>();
    Optional<Value> base = Optional.of(counter(-TWO_62));
    // The log that used to fail the job: "multi" stays undecided; the single-range ones finish
    // as soon as they are granted.
    assertThat(arrive(queue, base, inc("multi", 1))).containsExactly("multi");
    assertThat(arrive(queue, base, inc("up1", TWO_62))).containsExactly("up1");
    finish(queue, "up1", true);
    assertThat(arrive(queue, base, inc("up2", TWO_62))).containsExactly("up2");
    finish(queue, "up2", true);
    assertThat(arrive(queue, base, inc("bounded", -1, 0L, null))).containsExactly("bounded");
    // What "bounded" reads: the value plus the committed deltas ahead of it, folded in order
    // (the deltas alone, 2^62 + 2^62, leave int64).
    assertThat(LockManager.escrowedValue(queue, "bounded", "c", base)).contains(counter(TWO_62));
    finish(queue, "bounded", true);
    // up3 could reach 2^63 (2^62 - 1 + {0, 1} + 2^62); "down" sits behind an entry whose
    // possible values leave int64: both wait.
    assertThat(arrive(queue, base, inc("up3", TWO_62), inc("down", -5, 0L, null))).isEmpty();
    assertThat(LockManager.escrowedValue(queue, "up3", "c", base)).contains(counter(TWO_62 - 1));
    assertThat(LockManager.escrowedValue(queue, "multi", "c", base)).as("nothing ahead").isEqualTo(base);
    assertThat(LockManager.takeDrained(queue)).as("the head is undecided: nothing drains").isEmpty();

    finish(queue, "multi", true);
    List<LockEntry> drained = LockManager.takeDrained(queue);
    assertThat(drained).extracting(LockEntry::getTxnId).containsExactly("multi", "up1", "up2", "bounded");
    Optional<Value> value = base;
    for (LockEntry e : drained) {
      value = Optional.of(LockManager.valueAfter(e, value, "c"));
    }
    assertThat(value).contains(counter(TWO_62));
    assertThat(LockManager.grant(queue, value)).as("up3 is head now; down waits behind its unknown outcome").containsExactly("up3");
    finish(queue, "up3", false);
    assertThat(LockManager.grant(queue, value)).containsExactly("down");
  }

  @Test
  void incrementsOnANonCounterWaitForTheHead() {
    List<LockEntry> queue = new ArrayList<>();
    Value bytes = Value.newBuilder().setBytes(com.google.protobuf.ByteString.copyFromUtf8("x")).build();
    assertThat(arrive(queue, Optional.of(bytes), inc("a", 1), inc("b", 1))).containsExactly("a");
  }

  @Test
  void onlyDoneIncrementsAtTheHeadDrainInQueueOrder() {
    List<LockEntry> queue = new ArrayList<>();
    arrive(queue, Optional.empty(), inc("a", 1), inc("b", 2), inc("c", 4), shared("r"));
    finish(queue, "b", true);
    finish(queue, "c", false);
    assertThat(LockManager.takeDrained(queue)).isEmpty();
    finish(queue, "a", true);
    assertThat(LockManager.takeDrained(queue)).extracting(LockEntry::getTxnId, LockEntry::getCommitted)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", true), org.assertj.core.groups.Tuple.tuple("b", true),
            org.assertj.core.groups.Tuple.tuple("c", false));
    assertThat(queue).extracting(LockEntry::getTxnId).containsExactly("r");
    assertThat(LockManager.grant(queue, Optional.of(counter(3)))).containsExactly("r");
  }

  @Test
  void anEntryAlreadyGrantedIsNotGrantedAgain() {
    List<LockEntry> queue = new ArrayList<>();
    arrive(queue, Optional.empty(), shared("r1"), shared("r2"));
    assertThat(LockManager.grant(queue, Optional.empty())).isEmpty();
  }

  @Test
  void bookkeepingErrorsNameTheTransactionAndTheKey() {
    List<LockEntry> queue = new ArrayList<>(List.of(shared("r1")));
    assertThatThrownBy(() -> LockManager.release(queue, "zz", "k"))
        .isInstanceOf(IllegalStateException.class).hasMessage("txn zz has no lock entry on key 'k'");
    assertThatThrownBy(() -> LockManager.markDone(queue, "zz", "k", true))
        .isInstanceOf(IllegalStateException.class).hasMessage("txn zz has no lock entry on key 'k'");
    LockEntry broken = inc("x", 1).toBuilder().setDone(true).setCommitted(true).build();
    assertThatThrownBy(() -> LockManager.valueAfter(broken, Optional.of(counter(Long.MAX_VALUE)), "k"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("escrow invariant broken on key 'k'");
  }
}
