package io.ordo.executor.operators;

import io.ordo.executor.evaluation.TransactionEvaluator;
import io.ordo.executor.locking.LockManager;
import io.ordo.executor.locking.LockMode;
import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.HeldChanges;
import io.ordo.proto.state.KeyValue;
import io.ordo.proto.state.KeyWrite;
import io.ordo.proto.state.LockEntry;
import io.ordo.proto.state.LockQueue;
import io.ordo.proto.state.PendingTxn;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import io.ordo.sequencer.LogPosition;
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
 * pending} txn id → transaction waiting for locks, for its write result or for its increments
 * to drain; {@code early} txn id
 * → a write result that arrived before its request could use it; {@code lastPosition} the
 * position of the last request taken from input 1; {@code lsn} the last changelog LSN; {@code
 * nextSeq}/{@code emittedSeq}/{@code held} number requests in arrival (= log) order and hold the
 * changelog records of a finished transaction until all earlier ones have finished, so that the
 * LSNs of a key range follow log order exactly, whatever the feedback timing. Every
 * per-transaction entry is removed once the transaction is done, so state is bounded by the
 * data and the in-flight transactions, not by history.
 *
 * <p><b>Locking</b> ({@link LockManager} decides; this class keeps the queues in state): a
 * request enqueues a lock per distinct key, in key order, in one of three modes: exclusive if
 * some operation writes the key, shared if all only read it, and increment if the request's only
 * operation on the key is an increment and it does not ask for post-state. Locks are granted in
 * queue order (= log order): the head always; a shared lock when every lock before it is shared;
 * an increment lock when every lock before it is an increment and the escrow check passes
 * (O'Neil, "The Escrow Transactional Method", TODS 1986): the increment's bounds and int64 hold
 * for every outcome of the earlier increments still queued. No transaction overtakes
 * an earlier conflicting one, so writes to a key take effect in sequence order, never in arrival
 * order, and a read at position p sees exactly the writes ordered before p. Increments granted
 * together may finish in any order; their deltas are applied when they reach the head of the
 * queue ("drain"), so values and changelog follow log order. Outcomes do not depend on timing:
 * a transaction granted by escrow decides as it would on the exact value, and one refused waits
 * for it. This is what keeps a hot counter (a bank's popular creditor) from serializing every
 * transfer behind the feedback round trip of the one before.
 *
 * <p><b>When all locks of a transaction are granted:</b> if it touches only this key range
 * (single-range fast path) it is evaluated here, its writes applied and its result emitted on
 * {@link #RESULTS}; otherwise the current values of its keys go to the TransactionProcessor as a
 * {@link ReadResult} (main output) and the locks are held until the {@link WriteResult} comes
 * back. Applying writes emits one {@link ChangelogRecord} per written key on {@link #CHANGELOG};
 * a transaction with increment locks finishes when all of them have drained.
 *
 * <p><b>Write results and recovery:</b> a write result belongs to the request with its txn id
 * <em>and</em> its log position (an id may be sequenced again once the dedup window has passed,
 * and the feedback topic, read from its earliest record, may hold results of an earlier run or of
 * another log). One for a pending transaction whose reads were sent is applied at once. One whose
 * transaction has not reached that point (its request is not yet processed, or it still waits for
 * locks) is kept in {@code early} and applied when its locks are granted — this happens after a
 * restore, when the feedback topic redelivers results that the previous run produced, and when a
 * fresh job reads the results of an earlier run of the same log. A write result at or before
 * {@code lastPosition} that matches no pending transaction was already applied, or belongs to no
 * request of this range: it is dropped. Because execution is deterministic, a redelivered result
 * is identical to the one the current run will produce. {@code early} holds at most one result
 * per id (the one with the smaller position; a later instance's result is computed again when
 * its reads are sent), and every {@value #EARLY_PRUNE_INTERVAL} requests of a range the entries
 * that can no longer match (positions before the current request, no pending transaction at that
 * position) are removed, so results of transactions that never arrive (a new log over an old
 * feedback topic) do not stay.
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

  /** Requests of a range between two scans of {@code early} for results that can no longer match. */
  static final int EARLY_PRUNE_INTERVAL = 256;

  private transient MapState<String, Value> values;
  private transient MapState<String, LockQueue> locks;
  private transient MapState<String, PendingTxn> pending;
  private transient MapState<String, WriteResult> early;
  private transient ValueState<Position> lastPosition;
  private transient ValueState<Long> lsn;
  private transient ValueState<Long> nextSeq;
  private transient ValueState<Long> emittedSeq;
  private transient MapState<Long, HeldChanges> held;
  /** Default {@link #stallWarningMs}: 10 s of log time. */
  public static final long DEFAULT_STALL_WARNING_MS = 10_000;

  private final long stallWarningMs;
  // Outputs to the side (never read): OperatorMetrics.
  private transient OperatorMetrics.KeyProcessor metrics;

  /** A processor that reports a range as stalled after {@value #DEFAULT_STALL_WARNING_MS} ms. */
  public KeyTransactionProcessorFunction() {
    this(DEFAULT_STALL_WARNING_MS);
  }

  /**
   * @param stallWarningMs log time (ms, >= 1) after which a key range whose oldest transaction
   *     is still unfinished is reported (warning log, {@code stalled} gauge; docs/metrics.md);
   *     reporting only, it decides nothing
   * @throws IllegalArgumentException if stallWarningMs is below 1
   */
  public KeyTransactionProcessorFunction(long stallWarningMs) {
    if (stallWarningMs < 1) {
      throw new IllegalArgumentException("stallWarningMs must be >= 1, got " + stallWarningMs);
    }
    this.stallWarningMs = stallWarningMs;
  }

  /** This instance's metrics (for tests); null before {@code open}. */
  OperatorMetrics.KeyProcessor metrics() {
    return metrics;
  }

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
    metrics = new OperatorMetrics.KeyProcessor(getRuntimeContext().getMetricGroup(), stallWarningMs);
  }

  @Override
  public void processElement1(RangeRequest request, Context ctx, Collector<ReadResult> out) throws Exception {
    Position last = lastPosition.value();
    if (last != null && LogPosition.of(request.getPosition()).compareTo(LogPosition.of(last)) <= 0) {
      throw new IllegalStateException(
          "request of txn " + request.getTxnId() + " at " + LogPosition.of(request.getPosition())
              + " is not after the last processed position " + LogPosition.of(last) + " in key range "
              + request.getKeyRange());
    }
    lastPosition.update(request.getPosition());
    Long seqValue = nextSeq.value();
    long seq = seqValue == null ? 0 : seqValue;
    nextSeq.update(seq + 1);
    if (seq % EARLY_PRUNE_INTERVAL == 0) {
      pruneEarly(request.getPosition());
    }
    metrics.requestArrived(request.getKeyRange(), seq, request.getPosition().getTs());

    int waiting = 0;
    SortedMap<String, LockMode> modes = LockManager.lockModes(request);
    for (Map.Entry<String, LockMode> lock : modes.entrySet()) {
      String key = lock.getKey();
      LockQueue queue = locks.get(key);
      List<LockEntry> entries = new ArrayList<>(queue == null ? List.of() : queue.getEntriesList());
      entries.add(LockManager.lockEntry(request, key, lock.getValue()));
      metrics.lockQueued(entries.size());
      // Appending cannot make an earlier entry grantable, so only the new one can be granted.
      if (LockManager.grant(entries, Optional.ofNullable(values.get(key))).isEmpty()) {
        waiting++;
      }
      locks.put(key, LockQueue.newBuilder().addAllEntries(entries).build());
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
    if (txn != null && samePosition(txn.getRequest().getPosition(), write.getPosition())) {
      if (txn.getCompleted()) {
        // Its outcome is already applied; it only waits for increments to drain: a duplicate.
        return;
      }
      if (txn.getReadsSent()) {
        Deque<PendingTxn> ready = new ArrayDeque<>();
        complete(txn, LockManager.lockModes(txn.getRequest()), write.getWritesList(), ctx, ready);
        runReady(ready, ctx, out);
      } else {
        keepEarly(write, lastPosition.value());
      }
      return;
    }
    Position last = lastPosition.value();
    if (last == null || LogPosition.of(write.getPosition()).compareTo(LogPosition.of(last)) > 0) {
      // Its request has not been processed yet: keep it until it has.
      keepEarly(write, last);
    }
    // Otherwise the transaction is done here (a redelivered duplicate), or no request of this
    // range has its id and position (a result of another log): dropped.
  }

  /**
   * Keeps {@code write} in {@code early} unless a result for the same id with a smaller position
   * that can still be used is there (the one needed first; a later instance's result is computed
   * again once its reads are sent).
   */
  private void keepEarly(WriteResult write, Position last) throws Exception {
    WriteResult kept = early.get(write.getTxnId());
    if (kept != null
        && LogPosition.of(kept.getPosition()).compareTo(LogPosition.of(write.getPosition())) < 0
        && usable(kept, last)) {
      return;
    }
    early.put(write.getTxnId(), write);
  }

  /** Whether an {@code early} result can still match a request: one not yet processed, or pending. */
  private boolean usable(WriteResult kept, Position last) throws Exception {
    if (last == null || LogPosition.of(kept.getPosition()).compareTo(LogPosition.of(last)) > 0) {
      return true;
    }
    PendingTxn txn = pending.get(kept.getTxnId());
    return txn != null && samePosition(txn.getRequest().getPosition(), kept.getPosition());
  }

  /**
   * Removes the {@code early} results positioned before {@code current} (the request being
   * processed) that match no pending transaction: their request was processed without them (they
   * were computed again), or is in no log this job reads. Does not change any output.
   */
  private void pruneEarly(Position current) throws Exception {
    List<String> stale = new ArrayList<>();
    for (Map.Entry<String, WriteResult> e : early.entries()) {
      WriteResult w = e.getValue();
      if (LogPosition.of(w.getPosition()).compareTo(LogPosition.of(current)) < 0) {
        PendingTxn txn = pending.get(e.getKey());
        if (txn == null || !samePosition(txn.getRequest().getPosition(), w.getPosition())) {
          stale.add(e.getKey());
        }
      }
    }
    for (String id : stale) {
      early.remove(id);
    }
  }

  private static boolean samePosition(Position a, Position b) {
    return a.getTs() == b.getTs() && a.getPartition() == b.getPartition() && a.getOffset() == b.getOffset();
  }

  /** Runs transactions whose locks are all granted; completing them may make more ready. */
  private void runReady(Deque<PendingTxn> ready, Context ctx, Collector<ReadResult> out) throws Exception {
    while (!ready.isEmpty()) {
      PendingTxn txn = ready.poll();
      RangeRequest request = txn.getRequest();
      String id = request.getTxnId();
      SortedMap<String, LockMode> modes = LockManager.lockModes(request);
      if (request.getParticipantsCount() == 1) {
        Map<String, Optional<Value>> current = readCurrent(request, modes);
        TransactionEvaluator.Evaluation eval =
            TransactionEvaluator.evaluate(
                id, request.getPosition(), request.getOpsList(), current, request.getReturnPostState(), 1);
        List<KeyWrite> writes = new ArrayList<>();
        for (Map.Entry<String, Optional<Value>> w : eval.writes().entrySet()) {
          writes.add(TransactionEvaluator.toKeyWrite(w.getKey(), w.getValue()));
        }
        ctx.output(RESULTS, eval.result());
        complete(txn, modes, writes, ctx, ready);
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
      for (Map.Entry<String, Optional<Value>> e : readCurrent(request, modes).entrySet()) {
        KeyValue.Builder kv = KeyValue.newBuilder().setKey(e.getKey()).setFound(e.getValue().isPresent());
        e.getValue().ifPresent(kv::setValue);
        reads.addValues(kv);
      }
      // Always send the reads, even when the write result is already here: the
      // TransactionProcessor may hold the other participants' reads and must complete.
      out.collect(reads.build());
      WriteResult arrived = early.get(id);
      if (arrived != null && !samePosition(arrived.getPosition(), request.getPosition())) {
        if (LogPosition.of(arrived.getPosition()).compareTo(LogPosition.of(request.getPosition())) < 0) {
          early.remove(id); // an earlier instance of the id, or another log's: never usable
        }
        arrived = null; // a later instance's: kept for it
      }
      if (arrived != null) {
        early.remove(id);
        complete(txn, modes, arrived.getWritesList(), ctx, ready);
      } else {
        // An early result of a later run of this id stays for it.
        pending.put(id, txn.toBuilder().setLocksWaiting(0).setReadsSent(true).build());
      }
    }
  }

  /**
   * A transaction's outcome is known ({@code writes} empty when it aborted; {@code modes} its lock
   * modes, from {@link LockManager#lockModes}): applies its writes to
   * the keys it holds shared or exclusively and releases those locks; marks its increment-mode
   * entries done and drains them in log order. It finishes (changelog emitted or held, state
   * removed) once every increment-mode key has drained, which may be now or later. Transactions
   * that become ready go to {@code ready}.
   */
  private void complete(PendingTxn txn, SortedMap<String, LockMode> modes, List<KeyWrite> writes, Context ctx, Deque<PendingTxn> ready)
      throws Exception {
    RangeRequest request = txn.getRequest();
    String id = request.getTxnId();
    Map<String, KeyWrite> byKey = new TreeMap<>();
    for (KeyWrite w : writes) {
      byKey.put(w.getKey(), w);
    }
    HeldChanges.Builder changes = HeldChanges.newBuilder();
    List<String> incrementKeys = new ArrayList<>();
    for (Map.Entry<String, LockMode> lock : modes.entrySet()) {
      String key = lock.getKey();
      if (lock.getValue() == LockMode.INCREMENT) {
        incrementKeys.add(key);
        continue;
      }
      KeyWrite w = byKey.get(key);
      if (w != null) {
        changes.addChanges(applyWrite(request, w));
      }
    }
    for (Map.Entry<String, LockMode> lock : modes.entrySet()) {
      if (lock.getValue() != LockMode.INCREMENT) {
        removeEntry(lock.getKey(), id, ready);
      }
    }
    if (incrementKeys.isEmpty()) {
      pending.remove(id);
      finish(txn.getSeq(), changes, ctx);
      return;
    }
    pending.put(
        id,
        txn.toBuilder()
            .setLocksWaiting(0)
            .setCompleted(true)
            .setIncrementsUndrained(incrementKeys.size())
            .setChanges(changes)
            .build());
    for (String key : incrementKeys) {
      LockQueue queue = locks.get(key);
      if (queue == null) {
        throw new IllegalStateException("txn " + id + " completes on key '" + key + "' without a lock queue");
      }
      List<LockEntry> entries = new ArrayList<>(queue.getEntriesList());
      LockManager.markDone(entries, id, key, byKey.containsKey(key));
      drain(key, entries, ctx, ready);
    }
  }

  /**
   * Applies the done increments at the head of {@code key}'s queue, in queue order, each as its
   * delta on the current value, and grants what becomes grantable; stores the queue.
   */
  private void drain(String key, List<LockEntry> entries, Context ctx, Deque<PendingTxn> ready) throws Exception {
    for (LockEntry head : LockManager.takeDrained(entries)) {
      PendingTxn owner = pending.get(head.getTxnId());
      if (owner == null || !owner.getCompleted()) {
        throw new IllegalStateException("increment of key '" + key + "' drains for txn " + head.getTxnId() + ", which is not completed");
      }
      HeldChanges.Builder changes = owner.getChanges().toBuilder();
      if (head.getCommitted()) {
        Value after = LockManager.valueAfter(head, Optional.ofNullable(values.get(key)), key);
        KeyWrite w = KeyWrite.newBuilder().setKey(key).setValue(after).build();
        changes.addChanges(applyWrite(owner.getRequest(), w));
      }
      int undrained = owner.getIncrementsUndrained() - 1;
      if (undrained == 0) {
        pending.remove(head.getTxnId());
        finish(owner.getSeq(), changes, ctx);
      } else {
        pending.put(head.getTxnId(), owner.toBuilder().setIncrementsUndrained(undrained).setChanges(changes).build());
      }
    }
    grantAndStore(key, entries, ready);
  }

  /** Removes {@code txnId}'s entry from {@code key}'s queue and grants what becomes grantable. */
  private void removeEntry(String key, String txnId, Deque<PendingTxn> ready) throws Exception {
    LockQueue queue = locks.get(key);
    if (queue == null) {
      throw new IllegalStateException("txn " + txnId + " releases key '" + key + "' without a lock queue");
    }
    List<LockEntry> entries = new ArrayList<>(queue.getEntriesList());
    LockManager.release(entries, txnId, key);
    grantAndStore(key, entries, ready);
  }

  private void grantAndStore(String key, List<LockEntry> entries, Deque<PendingTxn> ready) throws Exception {
    if (entries.isEmpty()) {
      locks.remove(key);
      return;
    }
    for (String granted : LockManager.grant(entries, Optional.ofNullable(values.get(key)))) {
      PendingTxn waiter = pending.get(granted);
      if (waiter == null) {
        throw new IllegalStateException("lock of key '" + key + "' granted to unknown txn " + granted);
      }
      waiter = waiter.toBuilder().setLocksWaiting(waiter.getLocksWaiting() - 1).build();
      pending.put(granted, waiter);
      if (waiter.getLocksWaiting() == 0) {
        ready.add(waiter);
      }
    }
    // Drained entries may have emptied the queue's head; an empty queue was handled above.
    locks.put(key, LockQueue.newBuilder().addAllEntries(entries).build());
  }

  /** Applies one write to the values and returns its changelog record (LSN not yet assigned). */
  private ChangelogRecord applyWrite(RangeRequest request, KeyWrite w) throws Exception {
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
      // The changelog carries the whole version (a shard's appended records are the shard
      // log); the state keeps what later transactions need.
      values.put(w.getKey(), TransactionEvaluator.withoutRecords(w.getValue()));
      change.setAfter(w.getValue());
    }
    return change.build();
  }

  /**
   * A transaction has finished: emits its changelog records (sorted by key) once every earlier
   * transaction of the range has finished. Values changed at once, so later transactions read
   * them; only the changelog waits, so that LSNs follow log order and do not depend on when
   * feedback arrives. {@code seq} is the transaction's arrival number here.
   */
  private void finish(long seq, HeldChanges.Builder unsorted, Context ctx) throws Exception {
    List<ChangelogRecord> sorted = new ArrayList<>(unsorted.getChangesList());
    sorted.sort((a, b) -> a.getKey().compareTo(b.getKey()));
    HeldChanges changes = HeldChanges.newBuilder().addAllChanges(sorted).build();
    Long emittedValue = emittedSeq.value();
    long emitted = emittedValue == null ? 0 : emittedValue;
    if (seq != emitted) {
      // An earlier transaction of this range is still running: hold (even an empty set, which
      // marks this one finished).
      held.put(seq, changes);
      metrics.held(ctx.getCurrentKey(), seq, changes.getChangesCount());
      return;
    }
    Long lastLsn = lsn.value();
    long next = lastLsn == null ? 0 : lastLsn;
    next = emit(changes, next, ctx);
    emitted++;
    HeldChanges waiting;
    while ((waiting = held.get(emitted)) != null) {
      held.remove(emitted);
      next = emit(waiting, next, ctx);
      emitted++;
    }
    emittedSeq.update(emitted);
    lsn.update(next);
    metrics.emittedUpTo(ctx.getCurrentKey(), emitted);
  }

  /**
   * Emits one transaction's changes of this range with the LSNs after {@code lastLsn}; returns
   * the last LSN used. The last record says so ({@code last_at_position}): the changes share the
   * transaction's position, and a consumer that applies them in batches may take that position
   * as complete only once it has the last one.
   */
  private static long emit(HeldChanges changes, long lastLsn, Context ctx) {
    long next = lastLsn;
    int count = changes.getChangesCount();
    for (int i = 0; i < count; i++) {
      ChangelogRecord change = changes.getChanges(i);
      ctx.output(
          CHANGELOG,
          change.toBuilder().setLsn(++next).setLastAtPosition(i == count - 1).build());
    }
    return next;
  }

  /**
   * The values the transaction's operations see: the current value of each key; for an
   * increment-mode key, the current value plus the deltas of earlier increments that committed
   * but have not drained (one of the values the escrow check allowed for, so the evaluation
   * decides as it would on the exact value).
   */
  private Map<String, Optional<Value>> readCurrent(RangeRequest request, SortedMap<String, LockMode> modes) throws Exception {
    Map<String, Optional<Value>> current = new TreeMap<>();
    for (Map.Entry<String, LockMode> lock : modes.entrySet()) {
      String key = lock.getKey();
      Optional<Value> value = Optional.ofNullable(values.get(key));
      if (lock.getValue() == LockMode.INCREMENT) {
        LockQueue queue = locks.get(key);
        value = LockManager.escrowedValue(queue == null ? List.of() : queue.getEntriesList(), request.getTxnId(), key, value);
      }
      current.put(key, value);
    }
    return current;
  }
}
