package io.ordo.executor.operators;

import io.ordo.executor.internal.DedupBuckets;
import io.ordo.executor.internal.DigestIndex;
import io.ordo.executor.internal.IdDigest;
import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.DedupBucket;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.LogRecord;
import io.ordo.proto.state.RangeRequest;
import io.ordo.sequencer.ClockStepDetector;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.LogPosition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stamps each log record with its position in the global order and splits transactions into
 * per-key-range requests (ARCHITECTURE.md "Dataflow": SequenceFanOut).
 *
 * <p><b>Keying:</b> by log partition. <b>State:</b> the previous monotonic timestamp of the
 * partition ({@code ts = max(brokerTs, previousTs)}, checkpointed so that a replay from a
 * checkpoint computes the same positions), and the transaction ids first seen within the dedup
 * window, as 128-bit {@link IdDigest}s with their timestamps, grouped in {@value #DEDUP_BUCKETS}
 * buckets of log time (one {@link DedupBucket} each: a packed, immutable byte string of ~18
 * bytes per id, so a checkpoint copies and writes a few dozen values instead of one map entry
 * per id). A per-partition index (digest → first timestamp, a {@link DigestIndex} with no object
 * per id) is kept beside the state and rebuilt from it after a restore. <b>Timers:</b>
 * event-time, one per bucket, to forget a bucket once its window has passed. <b>Output:</b> one
 * {@link RangeRequest} per key range a
 * transaction touches, in record order; heartbeats are dropped after they have moved the
 * timestamp; duplicate ids and invalid transactions produce a {@link TxnResult} on {@link
 * #RESULTS} instead.
 *
 * <p>Deduplication is decided by comparing timestamps ({@code ts - firstTs < dedupWindowMs}),
 * never by whether a cleanup timer has fired yet, because timer firing depends on watermark
 * arrival, which is not deterministic. A timer at {@code firstTs + window} fires only when the
 * watermark has passed it, and every later record of the partition has a larger timestamp, so
 * forgetting the id then cannot change a decision. The same holds per bucket: its timer is at
 * {@code bucketEnd - 1 + window}, past which no entry of the bucket is within the window of any
 * later record.
 *
 * <p><b>Configuration in state:</b> the key range count and the dedup window decide where every
 * key's state lives and which ids are duplicates, so a job restored with other values would
 * route keys to ranges that do not hold them, and decide duplicates differently from the run
 * that took the checkpoint. Both are kept in union operator state ({@value #CONFIG_STATE}: every
 * subtask snapshots them, every subtask gets all copies on restore, whatever the parallelism), and
 * a restore whose values differ fails the job once, with a {@link SuppressRestartsException}
 * (no restart would change the outcome), whose message names the stored and the given values
 * and what to do. A checkpoint without this state (taken before it existed) is accepted, and the
 * next checkpoint stores the values.
 */
public final class SequenceFanOutFunction extends KeyedProcessFunction<Integer, LogRecord, RangeRequest>
    implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SequenceFanOutFunction.class);

  /** Results decided here: DUPLICATE ids and INVALID_TRANSACTION aborts. */
  public static final OutputTag<TxnResult> RESULTS =
      new OutputTag<>("fan-out-results", ProtoTypeInfo.forMessage(TxnResult.class));

  private final int keyRangeCount;
  private final long dedupWindowMs;

  /** Number of buckets the dedup window is cut into (the last one may be partial). */
  static final int DEDUP_BUCKETS = 64;

  private final long bucketMs;

  /** Name of the union list state holding (key range count, dedup window ms) per subtask. */
  public static final String CONFIG_STATE = "executor-config";

  private transient ListState<Tuple2<Integer, Long>> configState;
  private transient ValueState<Long> previousTs;
  private transient MapState<Long, DedupBucket> dedupBuckets;
  // Derived from dedupBuckets, per partition (the key): id digest -> its latest first-seen
  // timestamp. Not state: rebuilt from the buckets when missing, so it cannot disagree with a
  // restore.
  private transient Map<Integer, DigestIndex> indexByPartition;
  // Outputs to the side (never read): OperatorMetrics.
  private transient OperatorMetrics.FanOut metrics;
  // Reports backward steps of broker timestamps (warning, metrics); decides nothing.
  private transient ClockStepDetector clockSteps;

  /**
   * @param keyRangeCount number of key ranges (see {@link KeyRanges})
   * @param dedupWindowMs log-time window within which a repeated transaction id is a duplicate
   */
  public SequenceFanOutFunction(int keyRangeCount, long dedupWindowMs) {
    if (dedupWindowMs < 1) {
      throw new IllegalArgumentException("dedupWindowMs must be >= 1, got " + dedupWindowMs);
    }
    KeyRanges.rangeOf("", keyRangeCount); // validates the count
    this.keyRangeCount = keyRangeCount;
    this.dedupWindowMs = dedupWindowMs;
    this.bucketMs = Math.max(1, (dedupWindowMs + DEDUP_BUCKETS - 1) / DEDUP_BUCKETS);
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    configState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>(CONFIG_STATE, Types.TUPLE(Types.INT, Types.LONG)));
    if (!context.isRestored()) {
      return;
    }
    List<Tuple2<Integer, Long>> stored = new ArrayList<>();
    for (Tuple2<Integer, Long> c : configState.get()) {
      stored.add(c);
    }
    String refusal = restoreRefusal(stored, keyRangeCount, dedupWindowMs);
    if (refusal != null) {
      LOG.error(refusal);
      throw new SuppressRestartsException(new IllegalStateException(refusal));
    }
    if (stored.isEmpty()) {
      LOG.info(
          "restored from a checkpoint without stored configuration: accepting --key-ranges {} and"
              + " --dedup-window-ms {}, stored from the next checkpoint on", keyRangeCount, dedupWindowMs);
    }
  }

  /**
   * Why a restore with {@code keyRangeCount} and {@code dedupWindowMs} is refused given the
   * configurations {@code stored} in the checkpoint (one per subtask that took it), or null when
   * it is accepted: when every stored configuration equals the given one, or none is stored (a
   * checkpoint from before this state existed).
   */
  static String restoreRefusal(List<Tuple2<Integer, Long>> stored, int keyRangeCount, long dedupWindowMs) {
    for (Tuple2<Integer, Long> c : stored) {
      boolean rangesDiffer = c.f0 != keyRangeCount;
      boolean windowDiffers = c.f1 != dedupWindowMs;
      if (rangesDiffer || windowDiffers) {
        StringBuilder what = new StringBuilder();
        if (rangesDiffer) {
          what.append("--key-ranges ").append(c.f0).append(" (given ").append(keyRangeCount).append(")");
        }
        if (windowDiffers) {
          what.append(what.length() == 0 ? "" : " and ")
              .append("--dedup-window-ms ").append(c.f1).append(" (given ").append(dedupWindowMs).append(")");
        }
        return "Refusing to restore: the checkpoint was taken with " + what + ". The key range count"
            + " decides which range holds each key's state and the dedup window which ids are"
            + " duplicates, so neither can change for a running deployment. Restart the job with the"
            + " checkpoint's values, or start a new job over a new log (new topics) with the new ones.";
      }
    }
    return null;
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    configState.update(List.of(Tuple2.of(keyRangeCount, dedupWindowMs)));
  }

  @Override
  public void open(OpenContext openContext) {
    previousTs = getRuntimeContext().getState(new ValueStateDescriptor<>("previous-ts", Types.LONG));
    dedupBuckets =
        getRuntimeContext()
            .getMapState(new MapStateDescriptor<>("dedup-buckets", Types.LONG, ProtoTypeInfo.forMessage(DedupBucket.class)));
    indexByPartition = new HashMap<>();
    clockSteps =
        new ClockStepDetector(
            "executor log reader, subtask " + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
    metrics = new OperatorMetrics.FanOut(getRuntimeContext().getMetricGroup(), clockSteps);
  }

  /** This instance's clock step detector (for tests); null before {@code open}. */
  ClockStepDetector clockSteps() {
    return clockSteps;
  }

  @Override
  public void processElement(LogRecord record, Context ctx, Collector<RangeRequest> out) throws Exception {
    Long prev = previousTs.value();
    long ts = LogPosition.monotonicTs(prev == null ? Long.MIN_VALUE : prev, record.getBrokerTs());
    previousTs.update(ts);
    // A broker timestamp below the partition's maximum is clamped above: a clock step back,
    // which holds this partition's log time (and the whole log's watermark) for its size.
    clockSteps.observe(record.getPartition(), record.getBrokerTs());
    metrics.logRecords.inc();
    Position position =
        Position.newBuilder().setTs(ts).setPartition(record.getPartition()).setOffset(record.getOffset()).build();

    if (!record.getParseError().isEmpty()) {
      rejectUnparsable(record, position, ctx);
      return;
    }
    switch (record.getEntry().getEntryCase()) {
      case HEARTBEAT -> {
        // A heartbeat has done its job: it moved this partition's timestamp and watermark.
        metrics.heartbeats.inc();
      }
      case TRANSACTION -> fanOut(record.getEntry().getTransaction(), position, ctx, out);
      default -> rejectUnparsable(record.toBuilder().setParseError("empty log entry").build(), position, ctx);
    }
  }

  private void fanOut(Transaction txn, Position position, Context ctx, Collector<RangeRequest> out) throws Exception {
    String id = txn.getId();
    String invalid = validate(txn);
    if (invalid != null) {
      metrics.invalid.inc();
      if (!id.isEmpty()) {
        ctx.output(RESULTS, invalidResult(id, position, invalid));
      } else {
        LOG.warn("dropping transaction without id at {}: {}", LogPosition.of(position), invalid);
      }
      return;
    }
    DigestIndex index = dedupIndex(ctx.getCurrentKey());
    IdDigest digest = IdDigest.of(id);
    long firstTs = index.get(digest.hi(), digest.lo());
    if (firstTs != DigestIndex.ABSENT && position.getTs() - firstTs < dedupWindowMs) {
      metrics.duplicates.inc();
      ctx.output(
          RESULTS,
          TxnResult.newBuilder()
              .setTxnId(id)
              .setOutcome(Outcome.DUPLICATE)
              .setFailedOpIndex(-1)
              .setDetail("transaction id already sequenced at log time " + firstTs + " ms")
              .setPosition(position)
              .build());
      return;
    }
    remember(index, digest, position.getTs(), ctx);
    metrics.transactions.inc();
    metrics.dedupWindowIds(dedupIds());

    // Group operations by key range; TreeMap so participants and emission order are sorted.
    Map<Integer, List<IndexedOp>> byRange = new TreeMap<>();
    for (int i = 0; i < txn.getOpsCount(); i++) {
      Operation op = txn.getOps(i);
      int range = KeyRanges.rangeOf(op.getKey(), keyRangeCount);
      byRange.computeIfAbsent(range, r -> new ArrayList<>()).add(IndexedOp.newBuilder().setIndex(i).setOp(op).build());
    }
    List<Integer> participants = new ArrayList<>(byRange.keySet());
    for (Map.Entry<Integer, List<IndexedOp>> e : byRange.entrySet()) {
      out.collect(
          RangeRequest.newBuilder()
              .setTxnId(id)
              .setPosition(position)
              .setKeyRange(e.getKey())
              .addAllOps(e.getValue())
              .addAllParticipants(participants)
              .setReturnPostState(txn.getReturnPostState())
              .build());
    }
  }

  private void remember(DigestIndex index, IdDigest digest, long ts, Context ctx) throws Exception {
    // A re-sighting after the window replaces the index entry; the old bucket's entry stays and
    // is skipped when that bucket expires (its timestamp no longer matches the index).
    index.put(digest.hi(), digest.lo(), ts);
    long bucket = Math.floorDiv(ts, bucketMs) * bucketMs;
    DedupBucket current = dedupBuckets.get(bucket);
    dedupBuckets.put(bucket, DedupBuckets.add(current == null ? DedupBucket.getDefaultInstance() : current, bucket, ts, digest));
    if (current == null) {
      ctx.timerService().registerEventTimeTimer(bucket + bucketMs - 1 + dedupWindowMs);
    }
  }

  /** The current partition's id index, rebuilt from its buckets when this instance has none. */
  private DigestIndex dedupIndex(int partition) throws Exception {
    DigestIndex index = indexByPartition.get(partition);
    if (index == null) {
      DigestIndex target = new DigestIndex();
      for (Map.Entry<Long, DedupBucket> bucket : dedupBuckets.entries()) {
        DedupBuckets.forEach(bucket.getValue(), bucket.getKey(), (ts, d) -> target.putMax(d.hi(), d.lo(), ts));
      }
      index = target;
      indexByPartition.put(partition, index);
    }
    return index;
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<RangeRequest> out) throws Exception {
    DigestIndex index = dedupIndex(ctx.getCurrentKey());
    // Every bucket whose window has passed by this timer (normally exactly the one that set it).
    List<Long> expired = new ArrayList<>();
    for (Long bucket : dedupBuckets.keys()) {
      if (bucket + bucketMs - 1 + dedupWindowMs <= timestamp) {
        expired.add(bucket);
      }
    }
    for (Long bucket : expired) {
      DedupBuckets.forEach(dedupBuckets.get(bucket), bucket, (ts, d) -> index.remove(d.hi(), d.lo(), ts));
      dedupBuckets.remove(bucket);
    }
    metrics.dedupWindowIds(dedupIds());
  }

  /** Ids in this subtask's dedup indexes (for the metric). */
  private long dedupIds() {
    long ids = 0;
    for (DigestIndex index : indexByPartition.values()) {
      ids += index.size();
    }
    return ids;
  }

  /** Returns why the transaction cannot be routed, or null when it can. */
  static String validate(Transaction txn) {
    if (txn.getId().isEmpty()) {
      return "transaction has no id";
    }
    if (txn.getId().indexOf('\n') >= 0) {
      return "transaction id contains a newline";
    }
    if (txn.getOpsCount() == 0) {
      return "transaction has no operations";
    }
    for (int i = 0; i < txn.getOpsCount(); i++) {
      if (txn.getOps(i).getKey().isEmpty()) {
        return "op " + i + ": empty key";
      }
      if (txn.getOps(i).getOpCase() == Operation.OpCase.OP_NOT_SET) {
        return "op " + i + ": operation has no kind";
      }
    }
    return null;
  }

  private static TxnResult invalidResult(String id, Position position, String detail) {
    return TxnResult.newBuilder()
        .setTxnId(id)
        .setOutcome(Outcome.ABORTED)
        .setAbortReason(AbortReason.INVALID_TRANSACTION)
        .setFailedOpIndex(-1)
        .setDetail(detail)
        .setPosition(position)
        .build();
  }

  private void rejectUnparsable(LogRecord record, Position position, Context ctx) {
    metrics.invalid.inc();
    if (!record.getRecordKey().isEmpty()) {
      ctx.output(RESULTS, invalidResult(record.getRecordKey(), position, "unparsable log entry: " + record.getParseError()));
    } else {
      LOG.warn("dropping unparsable log entry at {}: {}", LogPosition.of(position), record.getParseError());
    }
  }
}
