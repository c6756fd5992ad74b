package io.ordo.views;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlRow;
import io.ordo.proto.SqlViewApplyRequest;
import io.ordo.proto.SqlViewApplyResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.sink.legacy.RichSinkFunction;
import org.apache.flink.types.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a view's rows into Ordo, one transaction per completed checkpoint (gRPC Sql/ApplyView).
 * Parallelism 1.
 *
 * <p>Input: {@code (marker, delete, row)}: a view row to upsert ({@code delete} false: +I, +U)
 * or to delete (true: -D, -U), or a marker, the source position every earlier row reflects ({@link
 * PushChangesSource}); for a marker the second field says whether it is an idle marker (a
 * progress mark of a log-time windowed view that only moved the watermark), which makes a batch
 * only when windows closed (rows are buffered), so an idle Ordo is not written to forever. With aligned checkpoints the barrier reaches this sink after every row
 * computed from source changes up to the source's checkpointed position and after that
 * position's marker, so at a checkpoint the buffer holds exactly the view's changes up to the
 * last marker.
 *
 * <p>Buffer: the latest image per view key (ordered by the key's encoding, so a batch is built in
 * the same order every time), not a list of deltas. At a checkpoint the buffer and the last
 * marker become the checkpoint's batch; when the checkpoint completes the batch is applied. The
 * engine skips a batch whose position is not after the view's stored progress, which is correct
 * because batches carry whole rows (the argument is in the SQL engine's {@code Views.apply}).
 * A batch pending at a checkpoint is part of that checkpoint's state, so a job restored from it
 * applies it (a second apply is skipped).
 *
 * <p>The first batch of a job started without state carries {@code replace}: it holds the whole
 * view (the source read the whole table first), and rows stored by an earlier job that are not
 * in it are deleted.
 */
final class ViewApplySink extends RichSinkFunction<Row>
    implements CheckpointedFunction, CheckpointListener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ViewApplySink.class);

  /** Tries of one batch while the gateway is unavailable, 1 s apart, before the job fails. */
  static final int APPLY_TRIES_MAX = 30;

  private final ViewSpec spec;

  private transient ListState<byte[]> state;
  private transient TreeMap<String, Change> buffer;
  private transient String marker;
  /** Whether a data marker (not an idle one) came since the last batch. */
  private transient boolean dataSinceBatch;
  /** The position of the last batch made (pending or applied); null before the first. */
  private transient String lastBatchPosition;
  private transient boolean replaceNext;
  /** Batches by checkpoint id, waiting for their checkpoint to complete. */
  private transient TreeMap<Long, SqlViewApplyRequest> pending;
  private transient ManagedChannel channel;

  private record Change(boolean delete, SqlRow values) {}

  ViewApplySink(ViewSpec spec) {
    this.spec = spec;
  }

  @Override
  public void invoke(Row value, Context context) {
    String m = (String) value.getField(0);
    if (m != null) {
      marker = m;
      if (!(Boolean) value.getField(1)) {
        dataSinceBatch = true;
      }
      return;
    }
    boolean delete = (Boolean) value.getField(1);
    Row row = (Row) value.getField(2);
    SqlRow key = ViewValues.toGatewayRow(row, spec.viewKey());
    buffer.put(keyText(key), new Change(delete, ViewValues.toGatewayRow(row, null)));
  }

  private static String keyText(SqlRow key) {
    // Protobuf's text form of the key values: deterministic, and distinct for distinct keys.
    return key.toString();
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    state = context.getOperatorStateStore()
        .getListState(new ListStateDescriptor<>("view-sink-batches", byte[].class));
    buffer = new TreeMap<>();
    pending = new TreeMap<>();
    replaceNext = !context.isRestored();
    marker = null;
    lastBatchPosition = null;
    if (context.isRestored()) {
      for (byte[] entry : state.get()) {
        ByteBuffer b = ByteBuffer.wrap(entry);
        long id = b.getLong();
        SqlViewApplyRequest r = SqlViewApplyRequest.parseFrom(
            ByteBuffer.wrap(entry, 8, entry.length - 8));
        if (id == BUFFER_ID) {
          // Rows buffered before the source's first marker (no position to write them at yet).
          replaceNext = r.getReplace();
          for (SqlRow row : r.getUpsertsList()) {
            SqlRow key = keyOf(row);
            buffer.put(keyText(key), new Change(false, row));
          }
          for (SqlRow row : r.getDeletesList()) {
            buffer.put(keyText(keyOf(row)), new Change(true, row));
          }
          if (!r.getPosition().isEmpty()) {
            lastBatchPosition = r.getPosition();
          }
        } else {
          pending.put(id, r);
          lastBatchPosition = r.getPosition();
        }
      }
      // The checkpoint these batches belong to completed (the job was restored from it).
      applyUpTo(Long.MAX_VALUE);
    }
  }

  /** The id under which the buffer and flags are kept in state. */
  private static final long BUFFER_ID = -1;

  private SqlRow keyOf(SqlRow row) {
    SqlRow.Builder key = SqlRow.newBuilder();
    for (int i : spec.viewKey()) {
      key.addValues(row.getValues(i));
    }
    return key.build();
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    if (marker != null
        && (!buffer.isEmpty() || dataSinceBatch && !marker.equals(lastBatchPosition))) {
      pending.put(context.getCheckpointId(), batch(marker, replaceNext));
      replaceNext = false;
      lastBatchPosition = marker;
      dataSinceBatch = false;
      buffer.clear();
    }
    List<byte[]> entries = new ArrayList<>();
    for (Map.Entry<Long, SqlViewApplyRequest> e : pending.entrySet()) {
      entries.add(entry(e.getKey(), e.getValue()));
    }
    entries.add(entry(BUFFER_ID, batch(lastBatchPosition == null ? "" : lastBatchPosition,
        replaceNext)));
    state.update(entries);
  }

  private SqlViewApplyRequest batch(String position, boolean replace) {
    SqlViewApplyRequest.Builder r = SqlViewApplyRequest.newBuilder()
        .setView(spec.view()).setViewId(spec.viewId()).setPosition(position).setReplace(replace);
    for (Change c : buffer.values()) {
      if (c.delete()) {
        r.addDeletes(c.values());
      } else {
        r.addUpserts(c.values());
      }
    }
    return r.build();
  }

  private static byte[] entry(long id, SqlViewApplyRequest r) {
    byte[] body = r.toByteArray();
    return ByteBuffer.allocate(8 + body.length).putLong(id).put(body).array();
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    applyUpTo(checkpointId);
  }

  private void applyUpTo(long checkpointId) throws InterruptedException {
    Iterator<Map.Entry<Long, SqlViewApplyRequest>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, SqlViewApplyRequest> e = it.next();
      if (e.getKey() > checkpointId) {
        break;
      }
      apply(e.getValue());
      it.remove();
    }
  }

  private void apply(SqlViewApplyRequest r) throws InterruptedException {
    if (channel == null) {
      channel = NettyChannelBuilder.forTarget(spec.gateway()).usePlaintext().build();
    }
    SqlGrpc.SqlBlockingStub stub = SqlGrpc.newBlockingStub(channel);
    for (int attempt = 1; ; attempt++) {
      try {
        SqlViewApplyResponse response =
            stub.withDeadlineAfter(30, TimeUnit.SECONDS).applyView(r);
        LOG.debug("view {} batch at {}: {} rows, {} deletes, applied {}", spec.view(),
            r.getPosition(), r.getUpsertsCount(), r.getDeletesCount(), response.getApplied());
        return;
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        boolean transientFailure = code == Status.Code.UNAVAILABLE
            || code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.ABORTED
            || code == Status.Code.RESOURCE_EXHAUSTED;
        if (!transientFailure || attempt >= APPLY_TRIES_MAX) {
          throw e;
        }
        LOG.info("view {}: a batch failed ({}), retrying", spec.view(), e.getStatus());
        Thread.sleep(1_000);
      }
    }
  }

  @Override
  public void close() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
