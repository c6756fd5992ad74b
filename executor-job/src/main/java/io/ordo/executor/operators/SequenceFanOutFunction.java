package io.ordo.executor.operators;

import io.ordo.executor.internal.ProtoTypeInfo;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.internal.IndexedOp;
import io.ordo.proto.internal.LogRecord;
import io.ordo.proto.internal.RangeRequest;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.OrderKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stamps each log record with its position in the global order and splits transactions into
 * per-key-range requests (design.md "Dataflow": fan-out).
 *
 * <p><b>Keying:</b> by log partition. <b>State:</b> the previous monotonic timestamp of the
 * partition ({@code ts = max(brokerTs, previousTs)}, checkpointed so that a replay from a
 * checkpoint computes the same positions), and the transaction ids first seen within the dedup
 * window with their timestamps. <b>Timers:</b> event-time, one per distinct timestamp, to forget
 * ids whose window has passed. <b>Output:</b> one {@link RangeRequest} per key range a
 * transaction touches, in record order; heartbeats are dropped after they have moved the
 * timestamp; duplicate ids and invalid transactions produce a {@link TxnResult} on {@link
 * #RESULTS} instead.
 *
 * <p>Deduplication is decided by comparing timestamps ({@code ts - firstTs < dedupWindowMs}),
 * never by whether a cleanup timer has fired yet, because timer firing depends on watermark
 * arrival, which is not deterministic. A timer at {@code firstTs + window} fires only when the
 * watermark has passed it, and every later record of the partition has a larger timestamp, so
 * forgetting the id then cannot change a decision.
 */
public final class SequenceFanOutFunction extends KeyedProcessFunction<Integer, LogRecord, RangeRequest> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SequenceFanOutFunction.class);

  /** Results decided here: DUPLICATE ids and INVALID_TRANSACTION aborts. */
  public static final OutputTag<TxnResult> RESULTS =
      new OutputTag<>("fan-out-results", ProtoTypeInfo.forMessage(TxnResult.class));

  private final int keyRangeCount;
  private final long dedupWindowMs;

  private transient ValueState<Long> previousTs;
  private transient MapState<String, Long> firstSeenTs;
  private transient MapState<Long, String> idsByTs;

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
  }

  @Override
  public void open(OpenContext openContext) {
    previousTs = getRuntimeContext().getState(new ValueStateDescriptor<>("previous-ts", Types.LONG));
    firstSeenTs = getRuntimeContext().getMapState(new MapStateDescriptor<>("first-seen-ts", Types.STRING, Types.LONG));
    // Ids per timestamp, newline-separated (ids cannot contain newlines: the gateway's charset).
    idsByTs = getRuntimeContext().getMapState(new MapStateDescriptor<>("ids-by-ts", Types.LONG, Types.STRING));
  }

  @Override
  public void processElement(LogRecord record, Context ctx, Collector<RangeRequest> out) throws Exception {
    Long prev = previousTs.value();
    long ts = OrderKey.monotonicTs(prev == null ? Long.MIN_VALUE : prev, record.getBrokerTs());
    previousTs.update(ts);
    Position position =
        Position.newBuilder().setTs(ts).setPartition(record.getPartition()).setOffset(record.getOffset()).build();

    if (!record.getParseError().isEmpty()) {
      rejectUnparsable(record, position, ctx);
      return;
    }
    switch (record.getEntry().getEntryCase()) {
      case HEARTBEAT -> {
        // A heartbeat has done its job: it moved this partition's timestamp and watermark.
      }
      case TRANSACTION -> fanOut(record.getEntry().getTransaction(), position, ctx, out);
      default -> rejectUnparsable(record.toBuilder().setParseError("empty log entry").build(), position, ctx);
    }
  }

  private void fanOut(Transaction txn, Position position, Context ctx, Collector<RangeRequest> out) throws Exception {
    String id = txn.getId();
    String invalid = validate(txn);
    if (invalid != null) {
      if (!id.isEmpty()) {
        ctx.output(RESULTS, invalidResult(id, position, invalid));
      } else {
        LOG.warn("dropping transaction without id at {}: {}", OrderKey.of(position), invalid);
      }
      return;
    }
    Long firstTs = firstSeenTs.get(id);
    if (firstTs != null && position.getTs() - firstTs < dedupWindowMs) {
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
    remember(id, position.getTs(), ctx);

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

  private void remember(String id, long ts, Context ctx) throws Exception {
    Long previousFirst = firstSeenTs.get(id);
    firstSeenTs.put(id, ts);
    if (previousFirst != null) {
      // The id was seen before, outside the window, and its cleanup timer has not fired yet:
      // detach it from its old timestamp so that timer does not forget the new sighting.
      removeFromIndex(previousFirst, id);
    }
    String ids = idsByTs.get(ts);
    idsByTs.put(ts, ids == null ? id : ids + "\n" + id);
    ctx.timerService().registerEventTimeTimer(ts + dedupWindowMs);
  }

  private void removeFromIndex(long ts, String id) throws Exception {
    String ids = idsByTs.get(ts);
    if (ids == null) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String s : ids.split("\n", -1)) {
      if (!s.equals(id)) {
        kept.add(s);
      }
    }
    if (kept.isEmpty()) {
      idsByTs.remove(ts);
    } else {
      idsByTs.put(ts, String.join("\n", kept));
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<RangeRequest> out) throws Exception {
    long ts = timestamp - dedupWindowMs;
    String ids = idsByTs.get(ts);
    if (ids == null) {
      return;
    }
    for (String id : ids.split("\n", -1)) {
      Long first = firstSeenTs.get(id);
      if (first != null && first == ts) {
        firstSeenTs.remove(id);
      }
    }
    idsByTs.remove(ts);
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
    if (!record.getRecordKey().isEmpty()) {
      ctx.output(RESULTS, invalidResult(record.getRecordKey(), position, "unparsable log entry: " + record.getParseError()));
    } else {
      LOG.warn("dropping unparsable log entry at {}: {}", OrderKey.of(position), record.getParseError());
    }
  }
}
