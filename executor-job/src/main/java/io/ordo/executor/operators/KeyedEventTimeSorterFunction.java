package io.ordo.executor.operators;

import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.Position;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.RangeRequestBatch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * KeyedEventTimeSorter: turns the arrival order of a key range's requests into the global log
 * order (ARCHITECTURE.md "Dataflow").
 *
 * <p><b>Keying:</b> by key range. <b>State:</b> requests buffered per timestamp (MapState ts →
 * batch); an entry is removed as soon as its timestamp is emitted, so state holds only what the
 * watermark has not yet passed. <b>Timers:</b> one event-time timer per buffered timestamp.
 * <b>Output order:</b> when the watermark passes ts, all requests with that ts are emitted sorted
 * by (partition, offset); timers fire in timestamp order, so the output is ordered by
 * (ts, partition, offset) — the same for every run over the same log, whatever the arrival
 * interleaving of partitions.
 *
 * <p>Completeness: the source's watermark per partition is (max timestamp seen − 1) and the
 * timestamps of a partition are made monotonic upstream, so once the watermark passes ts no
 * request with ts can still arrive. A request at or behind the current watermark would break the
 * order silently; it fails the job instead (it indicates a misconfigured watermark strategy).
 */
public final class KeyedEventTimeSorterFunction extends KeyedProcessFunction<Integer, RangeRequest, RangeRequest> {
  private static final long serialVersionUID = 1L;

  /** Order within one timestamp. */
  static final Comparator<RangeRequest> LOG_ORDER =
      Comparator.comparingInt((RangeRequest r) -> r.getPosition().getPartition())
          .thenComparingLong(r -> r.getPosition().getOffset());

  private transient MapState<Long, RangeRequestBatch> buffer;
  // Outputs to the side (never read): OperatorMetrics.
  private transient OperatorMetrics.Sorter metrics;

  @Override
  public void open(OpenContext openContext) {
    buffer =
        getRuntimeContext()
            .getMapState(new MapStateDescriptor<>("buffer", Types.LONG, ProtoTypeInfo.forMessage(RangeRequestBatch.class)));
    metrics = new OperatorMetrics.Sorter(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(RangeRequest request, Context ctx, Collector<RangeRequest> out) throws Exception {
    Position p = request.getPosition();
    long watermark = ctx.timerService().currentWatermark();
    if (p.getTs() <= watermark) {
      throw new IllegalStateException(
          "request of txn " + request.getTxnId() + " at ts " + p.getTs() + " arrived behind the watermark "
              + watermark + " in key range " + request.getKeyRange() + ": the global order cannot be kept");
    }
    RangeRequestBatch batch = buffer.get(p.getTs());
    if (batch == null) {
      batch = RangeRequestBatch.newBuilder().addRequests(request).build();
      ctx.timerService().registerEventTimeTimer(p.getTs());
    } else {
      batch = batch.toBuilder().addRequests(request).build();
    }
    buffer.put(p.getTs(), batch);
    metrics.buffered(ctx.getCurrentKey(), p.getTs(), watermark);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<RangeRequest> out) throws Exception {
    RangeRequestBatch batch = buffer.get(timestamp);
    if (batch == null) {
      return;
    }
    List<RangeRequest> requests = new ArrayList<>(batch.getRequestsList());
    requests.sort(LOG_ORDER);
    for (RangeRequest r : requests) {
      out.collect(r);
    }
    buffer.remove(timestamp);
    metrics.released(ctx.getCurrentKey(), timestamp, requests.size(), ctx.timerService().currentWatermark());
  }
}
