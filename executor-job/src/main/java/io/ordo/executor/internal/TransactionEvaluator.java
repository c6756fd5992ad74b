package io.ordo.executor.internal;

import com.google.protobuf.ByteString;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Increment;
import io.ordo.proto.KeyRead;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.SubscriptionProgress;
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
    Map<String, Optional<Value>> working = new HashMap<>(current);
    SortedMap<String, Optional<Value>> writes = new TreeMap<>();
    // Last increment/append op per key, for post-state reporting (sorted for determinism).
    SortedMap<String, Integer> postStateOps = new TreeMap<>();
    TxnResult.Builder result =
        TxnResult.newBuilder()
            .setTxnId(txnId)
            .setPosition(position)
            .setKeyRanges(keyRangeCount)
            .setFailedOpIndex(-1);

    for (IndexedOp indexed : ops) {
      Operation op = indexed.getOp();
      int index = indexed.getIndex();
      String key = op.getKey();
      if (!working.containsKey(key)) {
        throw new IllegalArgumentException("no current value supplied for key '" + key + "'");
      }
      Optional<Value> value = working.get(key);
      switch (op.getOpCase()) {
        case GET -> result.addReads(read(index, key, value, false));
        case PUT -> {
          if (op.getPut().getValue().getKindCase() == Value.KindCase.KIND_NOT_SET) {
            return abort(result, AbortReason.INVALID_TRANSACTION, index, "put of '" + key + "' has no value");
          }
          working.put(key, Optional.of(op.getPut().getValue()));
          writes.put(key, Optional.of(op.getPut().getValue()));
        }
        case DELETE -> {
          working.put(key, Optional.empty());
          writes.put(key, Optional.empty());
        }
        case ASSERT -> {
          switch (op.getAssert().getExpectCase()) {
            case ABSENT -> {
              boolean expectAbsent = op.getAssert().getAbsent();
              if (expectAbsent == value.isPresent()) {
                return abort(
                    result,
                    AbortReason.ASSERT_FAILED,
                    index,
                    "assert on '" + key + "' expected " + (expectAbsent ? "absence" : "presence")
                        + ", found " + (value.isPresent() ? "a value" : "none"));
              }
            }
            case EQUALS -> {
              if (value.isEmpty() || !value.get().equals(op.getAssert().getEquals())) {
                return abort(
                    result,
                    AbortReason.ASSERT_FAILED,
                    index,
                    "assert on '" + key + "' expected a value that "
                        + (value.isEmpty() ? "is absent" : "differs"));
              }
            }
            default -> {
              return abort(result, AbortReason.INVALID_TRANSACTION, index, "assert on '" + key + "' has no expectation");
            }
          }
        }
        case APPEND -> {
          ListValue.Builder list;
          if (value.isEmpty()) {
            list = ListValue.newBuilder();
          } else if (value.get().getKindCase() == Value.KindCase.LIST) {
            list = value.get().getList().toBuilder();
          } else {
            return abort(result, AbortReason.TYPE_MISMATCH, index, "append to '" + key + "', which is not a list");
          }
          ByteString element = op.getAppend().getElement();
          Value next = Value.newBuilder().setList(list.addElements(element)).build();
          working.put(key, Optional.of(next));
          writes.put(key, Optional.of(next));
          postStateOps.put(key, index);
        }
        case INCREMENT -> {
          long before;
          if (value.isEmpty()) {
            before = 0;
          } else if (value.get().getKindCase() == Value.KindCase.COUNTER) {
            before = value.get().getCounter();
          } else {
            return abort(result, AbortReason.TYPE_MISMATCH, index, "increment of '" + key + "', which is not a counter");
          }
          Increment inc = op.getIncrement();
          long after;
          try {
            after = Math.addExact(before, inc.getDelta());
          } catch (ArithmeticException overflow) {
            // The exact value is not an int64, so no bound can be compared with it: its own
            // reason, decided before the bounds (log.proto, Increment).
            return abort(
                result,
                AbortReason.OUT_OF_RANGE,
                index,
                "increment of '" + key + "' by " + inc.getDelta() + " from " + before + " overflows int64");
          }
          if (inc.hasMin() && after < inc.getMin()) {
            return abort(
                result,
                AbortReason.BOUND_VIOLATED,
                index,
                "increment of '" + key + "' to " + after + " is below min " + inc.getMin());
          }
          if (inc.hasMax() && after > inc.getMax()) {
            return abort(
                result,
                AbortReason.BOUND_VIOLATED,
                index,
                "increment of '" + key + "' to " + after + " is above max " + inc.getMax());
          }
          Value next = Value.newBuilder().setCounter(after).build();
          working.put(key, Optional.of(next));
          writes.put(key, Optional.of(next));
          postStateOps.put(key, index);
        }
        case STREAM_APPEND, SEAL_SHARD, TRIM_SHARD -> {
          Optional<Value> next = Optional.empty();
          String problem = null;
          AbortReason reason = AbortReason.ABORT_REASON_UNSPECIFIED;
          if (value.isEmpty()) {
            reason = AbortReason.NOT_FOUND;
            problem = "shard key '" + printable(key) + "' does not exist";
          } else if (value.get().getKindCase() != Value.KindCase.SHARD) {
            reason = AbortReason.TYPE_MISMATCH;
            problem = "stream operation on '" + printable(key) + "', which is not a shard";
          } else {
            ShardState state = value.get().getShard();
            // Records appended earlier in this transaction stay in the version it writes (they
            // are part of the shard log); records of earlier transactions are never carried.
            ShardState.Builder base = state.toBuilder();
            if (!writes.containsKey(key)) {
              base.clearAppended();
            }
            switch (op.getOpCase()) {
              case STREAM_APPEND -> {
                StreamAppend append = op.getStreamAppend();
                if (!append.getStream().equals(state.getStream())
                    || (append.hasShardId() && append.getShardId() != state.getShardId())) {
                  reason = AbortReason.INVALID_TRANSACTION;
                  problem = "append names stream '" + append.getStream() + "' shard "
                      + append.getShardId() + " but '" + printable(key) + "' is stream '"
                      + state.getStream() + "' shard " + state.getShardId();
                } else if (state.getClosed()) {
                  reason = AbortReason.SHARD_CLOSED;
                  problem = "shard " + state.getShardId() + " of stream '" + state.getStream()
                      + "' is closed at offset " + state.getNextOffset();
                } else if (append.hasExpectedOffset()
                    && append.getExpectedOffset() != state.getNextOffset()) {
                  reason = AbortReason.WRONG_EXPECTED_OFFSET;
                  problem = "shard " + state.getShardId() + " of stream '" + state.getStream()
                      + "': expected next offset " + append.getExpectedOffset() + ", actual "
                      + state.getNextOffset();
                } else if (append.getRecordsCount() == 0) {
                  reason = AbortReason.INVALID_TRANSACTION;
                  problem = "append to '" + printable(key) + "' has no records";
                } else if (state.getNextOffset() > Long.MAX_VALUE - append.getRecordsCount()) {
                  reason = AbortReason.OUT_OF_RANGE;
                  problem = "append of " + append.getRecordsCount() + " records to '"
                      + printable(key) + "' would pass offset " + Long.MAX_VALUE;
                } else {
                  next = Optional.of(Value.newBuilder().setShard(base
                      .setNextOffset(state.getNextOffset() + append.getRecordsCount())
                      .addAllAppended(append.getRecordsList())).build());
                }
              }
              case SEAL_SHARD -> {
                if (state.getClosed()) {
                  reason = AbortReason.SHARD_CLOSED;
                  problem = "shard " + state.getShardId() + " of stream '" + state.getStream()
                      + "' is already closed";
                } else {
                  next = Optional.of(Value.newBuilder().setShard(base.setClosed(true)).build());
                }
              }
              default -> {
                long before = op.getTrimShard().getBeforeOffset();
                long start = Math.max(state.getStartOffset(), Math.min(before, state.getNextOffset()));
                next = Optional.of(Value.newBuilder().setShard(base.setStartOffset(start)).build());
              }
            }
          }
          if (problem != null) {
            return abort(result, reason, index, problem);
          }
          working.put(key, next);
          writes.put(key, next);
          result.addReads(read(index, key, Optional.of(withoutRecords(next.get())), true));
        }
        case ACK -> {
          if (value.isEmpty()) {
            return abort(result, AbortReason.NOT_FOUND, index,
                "subscription progress key '" + printable(key) + "' does not exist");
          }
          if (value.get().getKindCase() != Value.KindCase.PROGRESS) {
            return abort(result, AbortReason.TYPE_MISMATCH, index,
                "ack on '" + printable(key) + "', which is not subscription progress");
          }
          SubscriptionProgress progress = value.get().getProgress();
          SubscriptionAck ack = op.getAck();
          if (!ack.getSubscription().equals(progress.getSubscription())
              || !ack.getStream().equals(progress.getStream())
              || ack.getShardId() != progress.getShardId()) {
            return abort(result, AbortReason.INVALID_TRANSACTION, index,
                "ack names subscription '" + ack.getSubscription() + "' stream '"
                    + ack.getStream() + "' shard " + ack.getShardId() + " but '"
                    + printable(key) + "' holds subscription '" + progress.getSubscription()
                    + "' stream '" + progress.getStream() + "' shard " + progress.getShardId());
          }
          Optional<SubscriptionProgress> acked = applyAcks(progress, ack.getOffsetsList());
          if (acked.isEmpty()) {
            return abort(result, AbortReason.OUT_OF_RANGE, index,
                "ack on '" + printable(key) + "' would move its floor past offset " + Long.MAX_VALUE);
          }
          Optional<Value> next = Optional.of(Value.newBuilder().setProgress(acked.get()).build());
          working.put(key, next);
          writes.put(key, next);
          result.addReads(read(index, key, next, true));
        }
        default -> {
          return abort(result, AbortReason.INVALID_TRANSACTION, index, "operation on '" + key + "' has no kind");
        }
      }
    }
    if (returnPostState) {
      postStateOps.entrySet().stream()
          .sorted(Map.Entry.comparingByValue())
          .forEach(e -> result.addReads(read(e.getValue(), e.getKey(), working.get(e.getKey()), true)));
    }
    result.setOutcome(Outcome.COMMITTED);
    return new Evaluation(result.build(), writes);
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
