package io.ordo.views;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlPushResponse;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.SqlResponse;
import io.ordo.proto.SqlResult;
import io.ordo.proto.SqlRow;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.source.legacy.RichSourceFunction;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;

/**
 * The changes of a view's source table, read as a push query from the gateway ({@code SELECT *
 * FROM t EMIT CHANGES [AT POSITION p]}, gRPC Sql/Push). Parallelism 1.
 *
 * <p>Output: rows {@code (marker, kind, data)}: a data row (the table's columns) with its {@link
 * RowKind} as a byte (from {@code _op}: insert +I, update_before -U, update_after +U, delete -D)
 * and a null marker, or a marker {@code <ts>:<partition>:<offset>} with null data, meaning every change up to that
 * position has been emitted (sent after rows and after the initial read, not for a progress mark
 * that brought no rows: see {@link #emit}). The rows of one source position and the marker after them are
 * emitted in one hold of the checkpoint lock, so a checkpoint always falls between positions:
 * the view is never written in the middle of a source transaction.
 *
 * <p>State: the last marker (operator list state, one entry). Restored, the query resumes {@code
 * AT POSITION} it, so no change is lost or read twice. Started without state, the source opens
 * the push query without a start, takes its first progress mark S as the start, reads the whole
 * table AS OF S (pages of {@value #PAGE_ROWS} rows ordered by primary key) as inserts, then goes
 * on with the push query, which streams exactly the changes after S.
 *
 * <p>Why the legacy SourceFunction: it gives the checkpoint lock that makes a position's rows and
 * its marker atomic with respect to checkpoints in a few lines; the FLIP-27 reader needs a split,
 * an enumerator and their serializers for one unsplittable stream. It is still in Flink 2.2
 * ({@code StreamExecutionEnvironment.addSource}).
 */
final class PushChangesSource extends RichSourceFunction<Row> implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;

  /** Rows per page of the initial read: below the gateway's 10,000-row statement limit. */
  static final int PAGE_ROWS = 5_000;

  private final ViewSpec spec;
  private transient ListState<String> positionState;
  /** The last marker emitted; null before the initial read. Guarded by the checkpoint lock. */
  private transient String position;
  private transient volatile boolean running;
  private transient volatile Context.CancellableContext call;

  PushChangesSource(ViewSpec spec) {
    this.spec = spec;
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    positionState = context.getOperatorStateStore()
        .getListState(new ListStateDescriptor<>("view-source-position", String.class));
    position = null;
    for (String p : positionState.get()) {
      position = p;
    }
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    positionState.update(position == null ? List.of() : List.of(position));
  }

  @Override
  public void run(SourceContext<Row> ctx) throws Exception {
    running = true;
    ManagedChannel channel = NettyChannelBuilder.forTarget(spec.gateway()).usePlaintext().build();
    call = Context.current().withCancellation();
    try {
      call.call(() -> {
        read(ctx, SqlGrpc.newBlockingStub(channel));
        return null;
      });
    } finally {
      call.cancel(null);
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private void read(SourceContext<Row> ctx, SqlGrpc.SqlBlockingStub stub) throws Exception {
    String start;
    synchronized (ctx.getCheckpointLock()) {
      start = position;
    }
    String sql = "SELECT * FROM " + quote(spec.sourceTable()) + " EMIT CHANGES"
        + (start == null ? "" : " AT POSITION '" + start + "'");
    Iterator<SqlPushResponse> it = stub.push(SqlRequest.newBuilder().setSql(sql).build());
    checkColumns(it.next());
    if (start == null) {
      SqlPushResponse first = it.next();
      if (first.getPosition().isEmpty()) {
        throw new IllegalStateException("a push query without a start sent a row before its"
            + " first progress mark");
      }
      initialRead(ctx, stub, first.getPosition());
    }
    List<Row> pending = new ArrayList<>();
    String pendingBase = null;
    while (running && it.hasNext()) {
      SqlPushResponse m = it.next();
      if (m.hasRow()) {
        SqlRow row = m.getRow();
        String rowPosition = row.getValues(0).getStringValue();
        String base = rowPosition.substring(0, rowPosition.lastIndexOf(':'));
        if (pendingBase != null && !base.equals(pendingBase)) {
          emit(ctx, pending, pendingBase, false);
        }
        pendingBase = base;
        pending.add(dataRow(row, 2, kindOf(row.getValues(1).getStringValue())));
      } else if (!m.getPosition().isEmpty()) {
        // The mark covers every change up to it, the pending position's included.
        emit(ctx, pending, m.getPosition(), false);
        pendingBase = null;
      }
    }
  }

  /**
   * Emits {@code rows} and the marker {@code upTo} in one hold of the checkpoint lock. Without
   * rows only the position moves and no marker is emitted (unless {@code always}): each marker
   * makes the sink write the view's progress, a transaction whose position the push query then
   * reports as its next progress mark, so markers for marks alone would keep an idle Ordo
   * writing forever. The view's progress stays at the last position with source changes, which
   * is the same view.
   */
  private void emit(SourceContext<Row> ctx, List<Row> rows, String upTo, boolean always) {
    synchronized (ctx.getCheckpointLock()) {
      for (Row r : rows) {
        ctx.collect(Row.of(null, r.getKind().toByteValue(), r));
      }
      position = upTo;
      if (always || !rows.isEmpty()) {
        ctx.collect(Row.of(upTo, null, null));
      }
    }
    rows.clear();
  }

  /** The whole table AS OF {@code start}, as inserts, then the marker {@code start}. */
  private void initialRead(SourceContext<Row> ctx, SqlGrpc.SqlBlockingStub stub, String start) {
    List<Row> rows = new ArrayList<>();
    StringBuilder order = new StringBuilder();
    for (String k : spec.sourceKey()) {
      order.append(order.length() == 0 ? "" : ", ").append(quote(k));
    }
    for (long offset = 0; ; offset += PAGE_ROWS) {
      String sql = "SELECT * FROM " + quote(spec.sourceTable()) + " ORDER BY " + order
          + " LIMIT " + PAGE_ROWS + " OFFSET " + offset + " AS OF LOG POSITION '" + start + "'";
      SqlResponse response = stub.withDeadlineAfter(60, TimeUnit.SECONDS)
          .execute(SqlRequest.newBuilder().setSql(sql).build());
      SqlResult result = response.getResults(0);
      for (SqlRow r : result.getRowsList()) {
        rows.add(dataRow(r, 0, RowKind.INSERT));
      }
      if (result.getRowsCount() < PAGE_ROWS) {
        break;
      }
    }
    // Always a marker: the sink's first batch (the whole view) needs a position, also when empty.
    emit(ctx, rows, start, true);
  }

  private void checkColumns(SqlPushResponse columns) {
    List<String> names = new ArrayList<>();
    for (int i = 2; i < columns.getColumnsCount(); i++) {
      names.add(columns.getColumns(i).getName());
    }
    List<String> expected = spec.sourceColumns().stream().map(ViewSpec.ColumnSpec::name).toList();
    if (!names.equals(expected)) {
      throw new IllegalStateException("table " + spec.sourceTable() + " has columns " + names
          + " now; view " + spec.view() + " was started for " + expected);
    }
  }

  private Row dataRow(SqlRow row, int first, RowKind kind) {
    Row out = new Row(kind, spec.sourceColumns().size());
    for (int i = 0; i < spec.sourceColumns().size(); i++) {
      out.setField(i, ViewValues.fromGateway(
          row.getValues(first + i), spec.sourceColumns().get(i).type()));
    }
    return out;
  }

  static RowKind kindOf(String op) {
    return switch (op) {
      case "insert" -> RowKind.INSERT;
      case "update_before" -> RowKind.UPDATE_BEFORE;
      case "update_after" -> RowKind.UPDATE_AFTER;
      case "delete" -> RowKind.DELETE;
      default -> throw new IllegalStateException("unknown change kind " + op);
    };
  }

  static String quote(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  @Override
  public void cancel() {
    running = false;
    Context.CancellableContext c = call;
    if (c != null) {
      c.cancel(null);
    }
  }
}
