package io.ordo.executor.evaluation;

import com.google.protobuf.ByteString;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Append;
import io.ordo.proto.Assert;
import io.ordo.proto.Increment;
import io.ordo.proto.KeyRead;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.SubscriptionProgress;
import io.ordo.proto.TrimShard;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.KeyWrite;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Evaluates a transaction against the values its keys hold at its position: the deterministic
 * core shared by the single-key-range fast path (KeyTransactionProcessor) and the multi-range
 * decision (TransactionProcessor).
 *
 * <p>Semantics (log.proto): operations run in index order over a private working copy; a
 * {@code get} sees earlier writes of the same transaction. The transaction commits iff every
 * assert and every increment bound holds, no operation is ill-typed and no counter or offset
 * would leave int64 (OUT_OF_RANGE: an overflow is an abort, never an exception, so no input can
 * fail the job and crash-loop it on replay); then the final value of
 * every written key is the write set. Aborts carry the failing operation's index and a
 * human-readable detail. The evaluation is a pure function of its inputs (no clock, no hash
 * order: the write set is a sorted map).
 */
public final class TransactionEvaluator {
  private TransactionEvaluator() {}

  /**
   * The outcome: the result record, and when committed the write set (key → new value, empty
   * Optional = deleted), sorted by key.
   */
  public record Evaluation(TxnResult result, SortedMap<String, Optional<Value>> writes) {
    public boolean committed() {
      return result.getOutcome() == Outcome.COMMITTED;
    }
  }

  /**
   * Evaluates {@code ops} (sorted by index, covering the whole transaction) against
   * {@code current}, which must hold an entry for every key the operations touch (empty
   * Optional = absent key).
   *
   * @param keyRangeCount number of key ranges the transaction touched (reported in the result)
   * @throws IllegalArgumentException if {@code current} lacks a key the operations touch
   */
  public static Evaluation evaluate(
      String txnId,
      Position position,
      List<IndexedOp> ops,
      Map<String, Optional<Value>> current,
      boolean returnPostState,
      int keyRangeCount) {
    Work work =
        new Work(
            current,
            TxnResult.newBuilder()
                .setTxnId(txnId)
                .setPosition(position)
                .setKeyRanges(keyRangeCount)
                .setFailedOpIndex(-1));
    for (IndexedOp indexed : ops) {
      Operation op = indexed.getOp();
      int index = indexed.getIndex();
      String key = op.getKey();
      if (!work.working.containsKey(key)) {
        throw new IllegalArgumentException("no current value supplied for key '" + key + "'");
      }
      Optional<Value> value = work.working.get(key);
      Failure failure =
          switch (op.getOpCase()) {
            case GET -> get(work, index, key, value);
            case PUT -> put(work, key, op.getPut());
            case DELETE -> delete(work, key);
            case ASSERT -> assertion(key, value, op.getAssert());
            case APPEND -> append(work, index, key, value, op.getAppend());
            case INCREMENT -> increment(work, index, key, value, op.getIncrement());
            case STREAM_APPEND, SEAL_SHARD, TRIM_SHARD -> shardOperation(work, index, key, value, op);
            case ACK -> ack(work, index, key, value, op.getAck());
            default -> new Failure(AbortReason.INVALID_TRANSACTION, "operation on '" + key + "' has no kind");
          };
      if (failure != null) {
        return abort(work.result, failure.reason(), index, failure.detail());
      }
    }
    if (returnPostState) {
      work.postStateOps.entrySet().stream()
          .sorted(Map.Entry.comparingByValue())
          .forEach(e -> work.result.addReads(read(e.getValue(), e.getKey(), work.working.get(e.getKey()), true)));
    }
    work.result.setOutcome(Outcome.COMMITTED);
    return new Evaluation(work.result.build(), work.writes);
  }

  /** Why an operation aborts its transaction: the reason and the detail after "op i: ". */
  private record Failure(AbortReason reason, String detail) {}

  /**
   * One evaluation's private state: the values as the operations so far left them ({@code
   * working}; a get sees earlier writes of the same transaction), the write set (sorted, so its
   * order never depends on hashing), the last increment/append op per key for post-state
   * reporting, and the result being built.
   */
  private static final class Work {
    final Map<String, Optional<Value>> working;
    final SortedMap<String, Optional<Value>> writes = new TreeMap<>();
    final SortedMap<String, Integer> postStateOps = new TreeMap<>();
    final TxnResult.Builder result;

    Work(Map<String, Optional<Value>> current, TxnResult.Builder result) {
      this.working = new HashMap<>(current);
      this.result = result;
    }

    void write(String key, Optional<Value> next) {
      working.put(key, next);
      writes.put(key, next);
    }
  }

  /** get: reports the key's value (as earlier operations of the transaction left it). */
  private static Failure get(Work work, int index, String key, Optional<Value> value) {
    work.result.addReads(read(index, key, value, false));
    return null;
  }

  /** put: the key takes the value; a put without a value is an invalid transaction. */
  private static Failure put(Work work, String key, Put put) {
    if (put.getValue().getKindCase() == Value.KindCase.KIND_NOT_SET) {
      return new Failure(AbortReason.INVALID_TRANSACTION, "put of '" + key + "' has no value");
    }
    work.write(key, Optional.of(put.getValue()));
    return null;
  }

  /** delete: the key becomes absent (deleting an absent key is not an error). */
  private static Failure delete(Work work, String key) {
    work.write(key, Optional.empty());
    return null;
  }

  /** assert (compare for compare-and-set): the key is absent/present, or equals a value. */
  private static Failure assertion(String key, Optional<Value> value, Assert check) {
    switch (check.getExpectCase()) {
      case ABSENT -> {
        boolean expectAbsent = check.getAbsent();
        if (expectAbsent == value.isPresent()) {
          return new Failure(
              AbortReason.ASSERT_FAILED,
              "assert on '" + key + "' expected " + (expectAbsent ? "absence" : "presence")
                  + ", found " + (value.isPresent() ? "a value" : "none"));
        }
        return null;
      }
      case EQUALS -> {
        if (value.isEmpty() || !value.get().equals(check.getEquals())) {
          return new Failure(
              AbortReason.ASSERT_FAILED,
              "assert on '" + key + "' expected a value that "
                  + (value.isEmpty() ? "is absent" : "differs"));
        }
        return null;
      }
      default -> {
        return new Failure(AbortReason.INVALID_TRANSACTION, "assert on '" + key + "' has no expectation");
      }
    }
  }

  /** append: adds an element to a list value (an absent key becomes a one-element list). */
  private static Failure append(Work work, int index, String key, Optional<Value> value, Append append) {
    ListValue.Builder list;
    if (value.isEmpty()) {
      list = ListValue.newBuilder();
    } else if (value.get().getKindCase() == Value.KindCase.LIST) {
      list = value.get().getList().toBuilder();
    } else {
      return new Failure(AbortReason.TYPE_MISMATCH, "append to '" + key + "', which is not a list");
    }
    ByteString element = append.getElement();
    work.write(key, Optional.of(Value.newBuilder().setList(list.addElements(element)).build()));
    work.postStateOps.put(key, index);
    return null;
  }

  /**
   * increment: adds the delta to an int64 counter (an absent key counts as 0). The exact result
   * must be an int64 (else OUT_OF_RANGE) and then within the bounds (else BOUND_VIOLATED).
   */
  private static Failure increment(Work work, int index, String key, Optional<Value> value, Increment inc) {
    long before;
    if (value.isEmpty()) {
      before = 0;
    } else if (value.get().getKindCase() == Value.KindCase.COUNTER) {
      before = value.get().getCounter();
    } else {
      return new Failure(AbortReason.TYPE_MISMATCH, "increment of '" + key + "', which is not a counter");
    }
    long after;
    try {
      after = Math.addExact(before, inc.getDelta());
    } catch (ArithmeticException overflow) {
      // The exact value is not an int64, so no bound can be compared with it: its own reason,
      // decided before the bounds (log.proto, Increment).
      return new Failure(
          AbortReason.OUT_OF_RANGE,
          "increment of '" + key + "' by " + inc.getDelta() + " from " + before + " overflows int64");
    }
    if (inc.hasMin() && after < inc.getMin()) {
      return new Failure(
          AbortReason.BOUND_VIOLATED, "increment of '" + key + "' to " + after + " is below min " + inc.getMin());
    }
    if (inc.hasMax() && after > inc.getMax()) {
      return new Failure(
          AbortReason.BOUND_VIOLATED, "increment of '" + key + "' to " + after + " is above max " + inc.getMax());
    }
    work.write(key, Optional.of(Value.newBuilder().setCounter(after).build()));
    work.postStateOps.put(key, index);
    return null;
  }

  /**
   * stream_append, seal_shard, trim_shard: on an existing shard key; the version written carries
   * the records appended earlier in this transaction (they are part of the shard log), never
   * those of earlier transactions. The post-state, without records, is reported as a read.
   */
  private static Failure shardOperation(Work work, int index, String key, Optional<Value> value, Operation op) {
    if (value.isEmpty()) {
      return new Failure(AbortReason.NOT_FOUND, "shard key '" + printable(key) + "' does not exist");
    }
    if (value.get().getKindCase() != Value.KindCase.SHARD) {
      return new Failure(AbortReason.TYPE_MISMATCH, "stream operation on '" + printable(key) + "', which is not a shard");
    }
    ShardState state = value.get().getShard();
    ShardState.Builder base = state.toBuilder();
    if (!work.writes.containsKey(key)) {
      base.clearAppended();
    }
    ShardChange change =
        switch (op.getOpCase()) {
          case STREAM_APPEND -> streamAppend(key, state, base, op.getStreamAppend());
          case SEAL_SHARD -> sealShard(state, base);
          default -> trimShard(state, base, op.getTrimShard());
        };
    if (change.failure() != null) {
      return change.failure();
    }
    Optional<Value> next = Optional.of(change.next());
    work.write(key, next);
    work.result.addReads(read(index, key, Optional.of(withoutRecords(next.get())), true));
    return null;
  }

  /** A shard operation's new version, or why it aborts (exactly one is set). */
  private record ShardChange(Value next, Failure failure) {
    static ShardChange to(ShardState.Builder shard) {
      return new ShardChange(Value.newBuilder().setShard(shard).build(), null);
    }

    static ShardChange fails(AbortReason reason, String detail) {
      return new ShardChange(null, new Failure(reason, detail));
    }
  }

  /**
   * stream_append: the records take offsets [next_offset, next_offset + n) of an open shard of
   * the named stream; checks the expected offset when given.
   */
  private static ShardChange streamAppend(String key, ShardState state, ShardState.Builder base, StreamAppend append) {
    if (!append.getStream().equals(state.getStream())
        || (append.hasShardId() && append.getShardId() != state.getShardId())) {
      return ShardChange.fails(
          AbortReason.INVALID_TRANSACTION,
          "append names stream '" + append.getStream() + "' shard " + append.getShardId() + " but '"
              + printable(key) + "' is stream '" + state.getStream() + "' shard " + state.getShardId());
    }
    if (state.getClosed()) {
      return ShardChange.fails(
          AbortReason.SHARD_CLOSED,
          "shard " + state.getShardId() + " of stream '" + state.getStream() + "' is closed at offset "
              + state.getNextOffset());
    }
    if (append.hasExpectedOffset() && append.getExpectedOffset() != state.getNextOffset()) {
      return ShardChange.fails(
          AbortReason.WRONG_EXPECTED_OFFSET,
          "shard " + state.getShardId() + " of stream '" + state.getStream() + "': expected next offset "
              + append.getExpectedOffset() + ", actual " + state.getNextOffset());
    }
    if (append.getRecordsCount() == 0) {
      return ShardChange.fails(AbortReason.INVALID_TRANSACTION, "append to '" + printable(key) + "' has no records");
    }
    if (state.getNextOffset() > Long.MAX_VALUE - append.getRecordsCount()) {
      return ShardChange.fails(
          AbortReason.OUT_OF_RANGE,
          "append of " + append.getRecordsCount() + " records to '" + printable(key) + "' would pass offset "
              + Long.MAX_VALUE);
    }
    return ShardChange.to(
        base.setNextOffset(state.getNextOffset() + append.getRecordsCount()).addAllAppended(append.getRecordsList()));
  }

  /** seal_shard: closes an open shard (no more appends). */
  private static ShardChange sealShard(ShardState state, ShardState.Builder base) {
    if (state.getClosed()) {
      return ShardChange.fails(
          AbortReason.SHARD_CLOSED,
          "shard " + state.getShardId() + " of stream '" + state.getStream() + "' is already closed");
    }
    return ShardChange.to(base.setClosed(true));
  }

  /** trim_shard: raises the start offset to before_offset, never backwards nor past the end. */
  private static ShardChange trimShard(ShardState state, ShardState.Builder base, TrimShard trim) {
    long start = Math.max(state.getStartOffset(), Math.min(trim.getBeforeOffset(), state.getNextOffset()));
    return ShardChange.to(base.setStartOffset(start));
  }

  /**
   * ack: acknowledges offsets on the subscription progress of the named subscription, stream and
   * shard (see {@link #applyAcks}); the new progress is reported as a read.
   */
  private static Failure ack(Work work, int index, String key, Optional<Value> value, SubscriptionAck ack) {
    if (value.isEmpty()) {
      return new Failure(AbortReason.NOT_FOUND, "subscription progress key '" + printable(key) + "' does not exist");
    }
    if (value.get().getKindCase() != Value.KindCase.PROGRESS) {
      return new Failure(AbortReason.TYPE_MISMATCH, "ack on '" + printable(key) + "', which is not subscription progress");
    }
    SubscriptionProgress progress = value.get().getProgress();
    if (!ack.getSubscription().equals(progress.getSubscription())
        || !ack.getStream().equals(progress.getStream())
        || ack.getShardId() != progress.getShardId()) {
      return new Failure(
          AbortReason.INVALID_TRANSACTION,
          "ack names subscription '" + ack.getSubscription() + "' stream '" + ack.getStream() + "' shard "
              + ack.getShardId() + " but '" + printable(key) + "' holds subscription '"
              + progress.getSubscription() + "' stream '" + progress.getStream() + "' shard "
              + progress.getShardId());
    }
    Optional<SubscriptionProgress> acked = applyAcks(progress, ack.getOffsetsList());
    if (acked.isEmpty()) {
      return new Failure(
          AbortReason.OUT_OF_RANGE,
          "ack on '" + printable(key) + "' would move its floor past offset " + Long.MAX_VALUE);
    }
    Optional<Value> next = Optional.of(Value.newBuilder().setProgress(acked.get()).build());
    work.write(key, next);
    work.result.addReads(read(index, key, next, true));
    return null;
  }

  /**
   * Acknowledges {@code offsets} on {@code progress}: offsets below the floor or already acked
   * are ignored; then the floor advances over every contiguous acked offset. {@code acked} stays
   * sorted and holds only offsets above the floor. Empty when the floor would have to pass
   * {@link Long#MAX_VALUE} (offset 2^63 - 1 acked with the floor there): not representable.
   */
  static Optional<SubscriptionProgress> applyAcks(SubscriptionProgress progress, List<Long> offsets) {
    java.util.TreeSet<Long> acked = new java.util.TreeSet<>(progress.getAckedList());
    long floor = progress.getFloor();
    for (long offset : offsets) {
      if (offset >= floor) {
        acked.add(offset);
      }
    }
    while (!acked.isEmpty() && acked.first() == floor) {
      if (floor == Long.MAX_VALUE) {
        return Optional.empty();
      }
      acked.pollFirst();
      floor++;
    }
    return Optional.of(progress.toBuilder().setFloor(floor).clearAcked().addAllAcked(acked).build());
  }

  /**
   * The value to keep as a key's current state: a shard's {@code appended} records belong to the
   * version that appended them (the changelog carries them), not to the state later transactions
   * read, so they are dropped here to keep per-key state small.
   */
  public static Value withoutRecords(Value value) {
    if (value.getKindCase() == Value.KindCase.SHARD && value.getShard().getAppendedCount() > 0) {
      return Value.newBuilder().setShard(value.getShard().toBuilder().clearAppended()).build();
    }
    return value;
  }

  /** Internal keys start with U+0000; shown escaped in details. */
  private static String printable(String key) {
    return key.replace("\u0000", "\\u0000");
  }

  /** The write set as KeyWrite records restricted to {@code keys}, in key order. */
  public static List<KeyWrite> keyWrites(SortedMap<String, Optional<Value>> writes, java.util.Set<String> keys) {
    List<KeyWrite> out = new java.util.ArrayList<>();
    for (Map.Entry<String, Optional<Value>> e : writes.entrySet()) {
      if (keys.contains(e.getKey())) {
        out.add(toKeyWrite(e.getKey(), e.getValue()));
      }
    }
    return out;
  }

  public static KeyWrite toKeyWrite(String key, Optional<Value> value) {
    KeyWrite.Builder w = KeyWrite.newBuilder().setKey(key);
    if (value.isPresent()) {
      w.setValue(value.get());
    } else {
      w.setDeleted(true);
    }
    return w.build();
  }

  private static KeyRead read(int index, String key, Optional<Value> value, boolean postState) {
    KeyRead.Builder r = KeyRead.newBuilder().setOpIndex(index).setKey(key).setFound(value.isPresent()).setPostState(postState);
    value.ifPresent(r::setValue);
    return r.build();
  }

  private static Evaluation abort(TxnResult.Builder result, AbortReason reason, int index, String detail) {
    result.clearReads()
        .setOutcome(Outcome.ABORTED)
        .setAbortReason(reason)
        .setFailedOpIndex(index)
        .setDetail("op " + index + ": " + detail);
    return new Evaluation(result.build(), new TreeMap<>());
  }
}
