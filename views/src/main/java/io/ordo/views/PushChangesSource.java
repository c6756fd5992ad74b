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
 * The changes of a view's source tables, read as one push query from the gateway ({@code SELECT *
 * FROM t EMIT CHANGES [AT POSITION p]}, or {@code SELECT * FROM a, b EMIT CHANGES} for several
 * tables: their changes in one stream in commit order, gRPC Sql/Push). Parallelism 1.
 *
 * <p>Why one query for all the tables: its progress marks cover every table, so a marker is a
 * position of the whole log and the view is never written with one table's side of a
 * transaction and not the other's; independent queries per table would each be consistent on
 * their own only.
 *
 * <p>Output: rows {@code (marker, kind, data_0, ..., data_n-1)}, one data field per source: a data
 * row (source i's columns in field 2 + i, the others null) with its {@link RowKind} as a byte
 * (from {@code _op}: insert +I, update_before -U, update_after +U, delete -D) and a null marker,
 * or a marker {@code <ts>:<partition>:<offset>} with null data, meaning every change up to that
 * position has been emitted (sent after rows and after the initial read, not for a progress mark
 * that brought no rows: see {@link #emit}). The rows of one source position and the marker after them are
 * emitted in one hold of the checkpoint lock, so a checkpoint always falls between positions:
 * the view is never written in the middle of a source transaction.
 *
 * <p>State: the last marker (operator list state, one entry). Restored, the query resumes {@code
 * AT POSITION} it, so no change is lost or read twice. Started without state, the source opens
 * the push query without a start, takes its first progress mark S as the start, reads every
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
    StringBuilder from = new StringBuilder();
    for (ViewSpec.SourceSpec source : spec.sources()) {
      from.append(from.length() == 0 ? "" : ", ").append(quote(source.name()));
    }
    String sql = "SELECT * FROM " + from + " EMIT CHANGES"
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
        pending.add(changeRow(row));
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
        ctx.collect(r);
      }
      position = upTo;
      if (always || !rows.isEmpty()) {
        Row marker = new Row(2 + spec.sources().size());
        marker.setField(0, upTo);
        ctx.collect(marker);
      }
    }
    rows.clear();
  }

  /** Every table AS OF {@code start}, as inserts, then the marker {@code start}. */
  private void initialRead(SourceContext<Row> ctx, SqlGrpc.SqlBlockingStub stub, String start) {
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < spec.sources().size(); s++) {
      ViewSpec.SourceSpec source = spec.sources().get(s);
      StringBuilder order = new StringBuilder();
      for (String k : source.key()) {
        order.append(order.length() == 0 ? "" : ", ").append(quote(k));
      }
      for (long offset = 0; ; offset += PAGE_ROWS) {
        String sql = "SELECT * FROM " + quote(source.name()) + " ORDER BY " + order
            + " LIMIT " + PAGE_ROWS + " OFFSET " + offset + " AS OF LOG POSITION '" + start + "'";
        SqlResponse response = stub.withDeadlineAfter(60, TimeUnit.SECONDS)
            .execute(SqlRequest.newBuilder().setSql(sql).build());
        SqlResult result = response.getResults(0);
        for (SqlRow r : result.getRowsList()) {
          rows.add(event(s, dataRow(r, 0, s, RowKind.INSERT)));
        }
        if (result.getRowsCount() < PAGE_ROWS) {
          break;
        }
      }
    }
    // Always a marker: the sink's first batch (the whole view) needs a position, also when empty.
    emit(ctx, rows, start, true);
  }

  /** Where the push query's values start: after _position, _op (and _table for several). */
  private int firstValue() {
    return spec.sources().size() == 1 ? 2 : 3;
  }

  private void checkColumns(SqlPushResponse columns) {
    List<String> names = new ArrayList<>();
    for (int i = firstValue(); i < columns.getColumnsCount(); i++) {
      names.add(columns.getColumns(i).getName());
    }
    List<String> expected = new ArrayList<>();
    for (ViewSpec.SourceSpec source : spec.sources()) {
      source.columns().forEach(c -> expected.add(c.name()));
    }
    if (!names.equals(expected)) {
      throw new IllegalStateException("tables " + spec.sources().stream()
          .map(ViewSpec.SourceSpec::name).toList() + " have columns " + names
          + " now; view " + spec.view() + " was started for " + expected);
    }
  }

  /** The event of one row of the push query: its source's data field set, the others null. */
  private Row changeRow(SqlRow row) {
    int source = 0;
    int first = firstValue();
    if (spec.sources().size() > 1) {
      String table = row.getValues(2).getStringValue();
      while (!spec.sources().get(source).name().equals(table)) {
        first += spec.sources().get(source).columns().size();
        source++;
        if (source == spec.sources().size()) {
          throw new IllegalStateException("a change of table " + table + ", which view "
              + spec.view() + " does not read");
        }
      }
    }
    return event(source, dataRow(row, first, source, kindOf(row.getValues(1).getStringValue())));
  }

  private Row event(int source, Row data) {
    Row out = new Row(2 + spec.sources().size());
    out.setField(1, data.getKind().toByteValue());
    out.setField(2 + source, data);
    return out;
  }

  private Row dataRow(SqlRow row, int first, int source, RowKind kind) {
    List<ViewSpec.ColumnSpec> columns = spec.sources().get(source).columns();
    Row out = new Row(kind, columns.size());
    for (int i = 0; i < columns.size(); i++) {
      out.setField(i, ViewValues.fromGateway(row.getValues(first + i), columns.get(i).type()));
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
