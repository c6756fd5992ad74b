package io.ordo.executor.operators;

import io.ordo.executor.internal.ProtoTypeInfo;
import io.ordo.executor.internal.TransactionEvaluator;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Operation;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.internal.HeldChanges;
import io.ordo.proto.internal.IndexedOp;
import io.ordo.proto.internal.KeyValue;
import io.ordo.proto.internal.KeyWrite;
import io.ordo.proto.internal.LockEntry;
import io.ordo.proto.internal.LockQueue;
import io.ordo.proto.internal.PendingTxn;
import io.ordo.proto.internal.RangeRequest;
import io.ordo.proto.internal.ReadResult;
import io.ordo.proto.internal.WriteResult;
import io.ordo.sequencer.OrderKey;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * KeyTransactionProcessor: owns the data of one key range — each key's value and lock queue —
 * and runs transactions against it in log order (Calvin §3.2, deterministic locking).
 *
 * <p><b>Keying:</b> by key range, on both inputs. <b>Input 1:</b> {@link RangeRequest}s in global
 * order (from the KeyedEventTimeSorter). <b>Input 2:</b> {@link WriteResult}s from the
 * TransactionProcessor (the feedback edge), in any order and possibly duplicated after a
 * recovery. No timers; event time is not used (the feedback input has no watermark).
 *
 * <p><b>State</b> (all per key range): {@code values} key → current value; {@code locks} key →
 * lock queue (only keys with waiting or holding transactions; removed when empty); {@code
 * pending} txn id → transaction waiting for locks or for its write result; {@code early} txn id
 * → a write result that arrived before its request could use it; {@code lastPosition} the
 * position of the last request taken from input 1; {@code lsn} the last changelog LSN; {@code
 * nextSeq}/{@code emittedSeq}/{@code held} number requests in arrival (= log) order and hold the
 * changelog records of a finished transaction until all earlier ones have finished, so that the
 * LSNs of a key range follow log order exactly, whatever the feedback timing. Every
 * per-transaction entry is removed once the transaction is done, so state is bounded by the
 * data and the in-flight transactions, not by history.
 *
 * <p><b>Locking:</b> a request enqueues a lock per distinct key (exclusive if any of its
 * operations writes the key, shared otherwise), in key order. Locks are granted in queue order
 * (= log order): the head always, and a shared lock when every lock before it is shared. No
 * transaction overtakes an earlier conflicting one, so writes to a key are applied in sequence
 * order, never in arrival order, and a read at position p sees exactly the writes ordered before
 * p.
 *
 * <p><b>When all locks of a transaction are granted:</b> if it touches only this key range
 * (single-range fast path) it is evaluated here, its writes applied and its result emitted on
 * {@link #RESULTS}; otherwise the current values of its keys go to the TransactionProcessor as a
 * {@link ReadResult} (main output) and the locks are held until the {@link WriteResult} comes
 * back. Applying writes emits one {@link ChangelogRecord} per written key on {@link #CHANGELOG}.
 *
 * <p><b>Write results and recovery:</b> a write result for a pending transaction whose reads were
 * sent is applied at once. One whose transaction has not reached that point (its request is not
 * yet processed, or it still waits for locks) is kept in {@code early} and applied when its locks
 * are granted — this happens after a restore, when the feedback topic redelivers results that the
 * previous run produced. A write result at or before {@code lastPosition} whose transaction is
 * not pending was already applied: it is a duplicate and dropped. Because execution is
 * deterministic, a redelivered result is identical to the one the current run will produce.
 */
public final class KeyTransactionProcessorFunction
    extends KeyedCoProcessFunction<Integer, RangeRequest, WriteResult, ReadResult> {
  private static final long serialVersionUID = 1L;

  /** Results of single-range transactions. */
  public static final OutputTag<TxnResult> RESULTS =
      new OutputTag<>("key-range-results", ProtoTypeInfo.forMessage(TxnResult.class));
  /** Changelog records, per key in commit order. */
  public static final OutputTag<ChangelogRecord> CHANGELOG =
      new OutputTag<>("changelog", ProtoTypeInfo.forMessage(ChangelogRecord.class));

  private transient MapState<String, Value> values;
  private transient MapState<String, LockQueue> locks;
  private transient MapState<String, PendingTxn> pending;
  private transient MapState<String, WriteResult> early;
  private transient ValueState<Position> lastPosition;
  private transient ValueState<Long> lsn;
  private transient ValueState<Long> nextSeq;
  private transient ValueState<Long> emittedSeq;
  private transient MapState<Long, HeldChanges> held;

  @Override
  public void open(OpenContext openContext) {
    values = getRuntimeContext().getMapState(new MapStateDescriptor<>("values", Types.STRING, ProtoTypeInfo.forMessage(Value.class)));
    locks = getRuntimeContext().getMapState(new MapStateDescriptor<>("locks", Types.STRING, ProtoTypeInfo.forMessage(LockQueue.class)));
    pending = getRuntimeContext().getMapState(new MapStateDescriptor<>("pending", Types.STRING, ProtoTypeInfo.forMessage(PendingTxn.class)));
    early = getRuntimeContext().getMapState(new MapStateDescriptor<>("early-writes", Types.STRING, ProtoTypeInfo.forMessage(WriteResult.class)));
    lastPosition = getRuntimeContext().getState(new ValueStateDescriptor<>("last-position", ProtoTypeInfo.forMessage(Position.class)));
    lsn = getRuntimeContext().getState(new ValueStateDescriptor<>("lsn", Types.LONG));
    nextSeq = getRuntimeContext().getState(new ValueStateDescriptor<>("next-seq", Types.LONG));
    emittedSeq = getRuntimeContext().getState(new ValueStateDescriptor<>("emitted-seq", Types.LONG));
    held = getRuntimeContext().getMapState(new MapStateDescriptor<>("held-changes", Types.LONG, ProtoTypeInfo.forMessage(HeldChanges.class)));
  }

  @Override
  public void processElement1(RangeRequest request, Context ctx, Collector<ReadResult> out) throws Exception {
    Position last = lastPosition.value();
    if (last != null && OrderKey.of(request.getPosition()).compareTo(OrderKey.of(last)) <= 0) {
      throw new IllegalStateException(
          "request of txn " + request.getTxnId() + " at " + OrderKey.of(request.getPosition())
              + " is not after the last processed position " + OrderKey.of(last) + " in key range "
              + request.getKeyRange());
    }
    lastPosition.update(request.getPosition());
    Long seqValue = nextSeq.value();
    long seq = seqValue == null ? 0 : seqValue;
    nextSeq.update(seq + 1);

    int waiting = 0;
    for (Map.Entry<String, Boolean> lock : lockModes(request).entrySet()) {
      LockQueue queue = locks.get(lock.getKey());
      boolean exclusive = lock.getValue();
      boolean granted = queue == null || (!exclusive && allShared(queue));
      LockEntry entry = LockEntry.newBuilder().setTxnId(request.getTxnId()).setExclusive(exclusive).setGranted(granted).build();
      locks.put(lock.getKey(), (queue == null ? LockQueue.newBuilder() : queue.toBuilder()).addEntries(entry).build());
      if (!granted) {
        waiting++;
      }
    }
    PendingTxn txn = PendingTxn.newBuilder().setRequest(request).setLocksWaiting(waiting).setSeq(seq).build();
    if (waiting == 0) {
      Deque<PendingTxn> ready = new ArrayDeque<>();
      ready.add(txn);
      runReady(ready, ctx, out);
    } else {
      pending.put(request.getTxnId(), txn);
    }
  }

  @Override
  public void processElement2(WriteResult write, Context ctx, Collector<ReadResult> out) throws Exception {
    PendingTxn txn = pending.get(write.getTxnId());
    if (txn != null) {
      if (txn.getReadsSent()) {
        finish(txn, write.getWritesList(), ctx, out);
      } else {
        early.put(write.getTxnId(), write);
      }
      return;
    }
    Position last = lastPosition.value();
    if (last == null || OrderKey.of(write.getPosition()).compareTo(OrderKey.of(last)) > 0) {
      // Its request has not been processed yet: keep it until it has.
      early.put(write.getTxnId(), write);
    }
    // Otherwise the transaction is done here: a redelivered duplicate, dropped.
  }

  /** Runs transactions whose locks are all granted; releasing locks may make more ready. */
  private void runReady(Deque<PendingTxn> ready, Context ctx, Collector<ReadResult> out) throws Exception {
    while (!ready.isEmpty()) {
      PendingTxn txn = ready.poll();
      RangeRequest request = txn.getRequest();
      String id = request.getTxnId();
      if (request.getParticipantsCount() == 1) {
        Map<String, Optional<Value>> current = readCurrent(request);
        TransactionEvaluator.Evaluation eval =
            TransactionEvaluator.evaluate(
                id, request.getPosition(), request.getOpsList(), current, request.getReturnPostState(), 1);
        List<KeyWrite> writes = new ArrayList<>();
        for (Map.Entry<String, Optional<Value>> w : eval.writes().entrySet()) {
          writes.add(TransactionEvaluator.toKeyWrite(w.getKey(), w.getValue()));
        }
        ctx.output(RESULTS, eval.result());
        pending.remove(id);
        apply(txn.getSeq(), request, writes, ctx);
        release(request, ready);
        continue;
      }
      ReadResult.Builder reads =
          ReadResult.newBuilder()
              .setTxnId(id)
              .setPosition(request.getPosition())
              .setKeyRange(request.getKeyRange())
              .addAllOps(request.getOpsList())
              .setParticipantCount(request.getParticipantsCount())
              .setReturnPostState(request.getReturnPostState());
      for (Map.Entry<String, Optional<Value>> e : readCurrent(request).entrySet()) {
        KeyValue.Builder kv = KeyValue.newBuilder().setKey(e.getKey()).setFound(e.getValue().isPresent());
        e.getValue().ifPresent(kv::setValue);
        reads.addValues(kv);
      }
      // Always send the reads, even when the write result is already here: the
      // TransactionProcessor may hold the other participants' reads and must complete.
      out.collect(reads.build());
      WriteResult arrived = early.get(id);
      if (arrived != null) {
        early.remove(id);
        pending.remove(id);
        apply(txn.getSeq(), request, arrived.getWritesList(), ctx);
        release(request, ready);
      } else {
        pending.put(id, txn.toBuilder().setLocksWaiting(0).setReadsSent(true).build());
      }
    }
  }

  private void finish(PendingTxn txn, List<KeyWrite> writes, Context ctx, Collector<ReadResult> out) throws Exception {
    RangeRequest request = txn.getRequest();
    pending.remove(request.getTxnId());
    apply(txn.getSeq(), request, writes, ctx);
    Deque<PendingTxn> ready = new ArrayDeque<>();
    release(request, ready);
    runReady(ready, ctx, out);
  }

  /**
   * Applies a finished transaction's writes (key order) to the values, then emits its changelog
   * records once every earlier transaction of the range has finished. Values change at once, so
   * later transactions read them; only the changelog waits, so that LSNs follow log order and do
   * not depend on when feedback arrives. {@code seq} is the transaction's arrival number here.
   */
  private void apply(long seq, RangeRequest request, List<KeyWrite> writes, Context ctx) throws Exception {
    List<KeyWrite> sorted = new ArrayList<>(writes);
    sorted.sort((a, b) -> a.getKey().compareTo(b.getKey()));
    HeldChanges.Builder changes = HeldChanges.newBuilder();
    for (KeyWrite w : sorted) {
      ChangelogRecord.Builder change =
          ChangelogRecord.newBuilder()
              .setKey(w.getKey())
              .setPosition(request.getPosition())
              .setTxnId(request.getTxnId())
              .setKeyRange(request.getKeyRange());
      Value before = values.get(w.getKey());
      if (before != null) {
        change.setBefore(before);
      }
      if (w.getDeleted()) {
        values.remove(w.getKey());
      } else {
        values.put(w.getKey(), w.getValue());
        change.setAfter(w.getValue());
      }
      changes.addChanges(change);
    }
    Long emittedValue = emittedSeq.value();
    long emitted = emittedValue == null ? 0 : emittedValue;
    if (seq != emitted) {
      // An earlier transaction of this range is still running: hold (even an empty set, which
      // marks this one finished).
      held.put(seq, changes.build());
      return;
    }
    Long lastLsn = lsn.value();
    long next = lastLsn == null ? 0 : lastLsn;
    next = emit(changes.build(), next, ctx);
    emitted++;
    HeldChanges waiting;
    while ((waiting = held.get(emitted)) != null) {
      held.remove(emitted);
      next = emit(waiting, next, ctx);
      emitted++;
    }
    emittedSeq.update(emitted);
    lsn.update(next);
  }

  private static long emit(HeldChanges changes, long lastLsn, Context ctx) {
    long next = lastLsn;
    for (ChangelogRecord change : changes.getChangesList()) {
      ctx.output(CHANGELOG, change.toBuilder().setLsn(++next).build());
    }
    return next;
  }

  /** Removes the transaction's locks and grants the next ones; newly ready transactions go to {@code ready}. */
  private void release(RangeRequest request, Deque<PendingTxn> ready) throws Exception {
    String id = request.getTxnId();
    for (String key : lockModes(request).keySet()) {
      LockQueue queue = locks.get(key);
      if (queue == null) {
        throw new IllegalStateException("txn " + id + " releases key '" + key + "' without a lock queue");
      }
      List<LockEntry> entries = new ArrayList<>(queue.getEntriesList());
      entries.removeIf(e -> e.getTxnId().equals(id));
      if (entries.isEmpty()) {
        locks.remove(key);
        continue;
      }
      boolean prefixShared = true;
      for (int i = 0; i < entries.size(); i++) {
        LockEntry e = entries.get(i);
        boolean grant = i == 0 || (prefixShared && !e.getExclusive());
        if (!grant) {
          break;
        }
        if (!e.getGranted()) {
          entries.set(i, e.toBuilder().setGranted(true).build());
          PendingTxn waiter = pending.get(e.getTxnId());
          if (waiter == null) {
            throw new IllegalStateException("lock of key '" + key + "' granted to unknown txn " + e.getTxnId());
          }
          waiter = waiter.toBuilder().setLocksWaiting(waiter.getLocksWaiting() - 1).build();
          pending.put(e.getTxnId(), waiter);
          if (waiter.getLocksWaiting() == 0) {
            ready.add(waiter);
          }
        }
        prefixShared = prefixShared && !e.getExclusive();
      }
      locks.put(key, LockQueue.newBuilder().addAllEntries(entries).build());
    }
  }

  private Map<String, Optional<Value>> readCurrent(RangeRequest request) throws Exception {
    Map<String, Optional<Value>> current = new TreeMap<>();
    for (String key : lockModes(request).keySet()) {
      current.put(key, Optional.ofNullable(values.get(key)));
    }
    return current;
  }

  /** Distinct keys of the request in key order, each with true if some operation writes it. */
  static SortedMap<String, Boolean> lockModes(RangeRequest request) {
    SortedMap<String, Boolean> modes = new TreeMap<>();
    for (IndexedOp indexed : request.getOpsList()) {
      Operation op = indexed.getOp();
      boolean writes =
          switch (op.getOpCase()) {
            case GET, ASSERT -> false;
            default -> true;
          };
      modes.merge(op.getKey(), writes, Boolean::logicalOr);
    }
    return modes;
  }

  private static boolean allShared(LockQueue queue) {
    for (LockEntry e : queue.getEntriesList()) {
      if (e.getExclusive()) {
        return false;
      }
    }
    return true;
  }
}
