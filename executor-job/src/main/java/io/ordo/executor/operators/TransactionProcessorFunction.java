package io.ordo.executor.operators;

import io.ordo.executor.evaluation.TransactionEvaluator;
import io.ordo.executor.internal.FeedbackChannel;
import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.GatheredReads;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.KeyValue;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * TransactionProcessor: decides transactions that span several key ranges (Calvin §3.2: the
 * participants exchange their local reads, then each applies its writes).
 *
 * <p><b>Keying:</b> by transaction id. <b>State:</b> the {@link ReadResult}s gathered so far for
 * the transaction, removed as soon as the decision is made (bounded by in-flight transactions).
 * <b>Timers:</b> none. <b>Output:</b> once every participant's reads are here, the transaction is
 * evaluated over the union of their operations and values ({@link TransactionEvaluator}); its
 * {@link TxnResult} goes to {@link #RESULTS} and one {@link WriteResult} per participant key
 * range (the writes of that range, empty when aborted) to the main output, in ascending key
 * range order, which feeds back to the KeyTransactionProcessor.
 *
 * <p>A participant's reads arrive once per run (in-job channels are exactly-once); a second
 * ReadResult of the same range is ignored defensively rather than double counted.
 */
public final class TransactionProcessorFunction extends KeyedProcessFunction<String, ReadResult, WriteResult> {
  private static final long serialVersionUID = 1L;

  /** Results of multi-range transactions. */
  public static final OutputTag<TxnResult> RESULTS =
      new OutputTag<>("multi-range-results", ProtoTypeInfo.forMessage(TxnResult.class));

  // The in-JVM shortcut of the feedback topic (FeedbackChannel), or null for the topic only.
  private final String feedbackChannelKey;
  private transient FeedbackChannel feedbackChannel;
  private transient ValueState<GatheredReads> gathered;
  // Outputs to the side (never read): OperatorMetrics.
  private transient OperatorMetrics.TxnProcessor metrics;

  /** A processor whose write results travel through the feedback topic only. */
  public TransactionProcessorFunction() {
    this(null);
  }

  /**
   * @param feedbackChannelKey the {@link FeedbackChannel} that also gets each write result (the
   *     topic still gets it too), or null for none
   */
  public TransactionProcessorFunction(String feedbackChannelKey) {
    this.feedbackChannelKey = feedbackChannelKey;
  }

  @Override
  public void open(OpenContext openContext) {
    if (feedbackChannelKey != null) {
      feedbackChannel = FeedbackChannel.acquireProducer(feedbackChannelKey);
    }
    gathered = getRuntimeContext().getState(new ValueStateDescriptor<>("gathered-reads", ProtoTypeInfo.forMessage(GatheredReads.class)));
    metrics = new OperatorMetrics.TxnProcessor(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(ReadResult reads, Context ctx, Collector<WriteResult> out) throws Exception {
    GatheredReads so = gathered.value();
    GatheredReads.Builder parts = so == null ? GatheredReads.newBuilder() : so.toBuilder();
    for (ReadResult part : parts.getPartsList()) {
      if (part.getKeyRange() == reads.getKeyRange()) {
        return;
      }
    }
    parts.addParts(reads);
    if (parts.getPartsCount() < reads.getParticipantCount()) {
      gathered.update(parts.build());
      return;
    }
    gathered.clear();

    List<ReadResult> all = new ArrayList<>(parts.getPartsList());
    all.sort(Comparator.comparingInt(ReadResult::getKeyRange));
    List<IndexedOp> ops = new ArrayList<>();
    Map<String, Optional<Value>> current = new HashMap<>();
    for (ReadResult part : all) {
      ops.addAll(part.getOpsList());
      for (KeyValue kv : part.getValuesList()) {
        current.put(kv.getKey(), kv.getFound() ? Optional.of(kv.getValue()) : Optional.empty());
      }
    }
    ops.sort(Comparator.comparingInt(IndexedOp::getIndex));
    TransactionEvaluator.Evaluation eval =
        TransactionEvaluator.evaluate(
            reads.getTxnId(), reads.getPosition(), ops, current, reads.getReturnPostState(), all.size());
    ctx.output(RESULTS, eval.result());
    metrics.decided.inc();
    if (eval.result().getOutcome() == io.ordo.proto.Outcome.ABORTED) {
      metrics.aborted.inc();
    }
    for (ReadResult part : all) {
      Set<String> keys = new TreeSet<>();
      for (KeyValue kv : part.getValuesList()) {
        keys.add(kv.getKey());
      }
      WriteResult write =
          WriteResult.newBuilder()
              .setTxnId(reads.getTxnId())
              .setPosition(reads.getPosition())
              .setKeyRange(part.getKeyRange())
              .addAllWrites(TransactionEvaluator.keyWrites(eval.writes(), keys))
              .build();
      out.collect(write);
      if (feedbackChannel != null && feedbackChannel.offer(write)) {
        metrics.feedbackShortcuts.inc();
      }
    }
  }

  @Override
  public void close() throws Exception {
    if (feedbackChannel != null) {
      feedbackChannel.releaseProducer();
      feedbackChannel = null;
    }
    super.close();
  }
}
