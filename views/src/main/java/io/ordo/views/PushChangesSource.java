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
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.source.legacy.RichSourceFunction;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;

/**
 * The changes of a view's source tables (or the records of its one source stream), read as one
 * push query from the gateway ({@code SELECT *
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
 * <p>A stream has no initial read: started without state, the source reads the stream's records
 * after the view's start position ({@link ViewSpec#startPosition}) and emits that position as
 * its first marker.
 *
 * <p><b>Event time</b> (a windowed view, {@link ViewSpec#windowed}): each record carries its time
 * column's value as its timestamp, and watermarks come from the data, never from a timer, so
 * which records are late depends on the log alone. After the records of a position the source
 * emits the watermark {@code M - allowedLateness - 1 ms}, M the greatest event time of the
 * records so far (for the log-time column {@code _log_time} also the position's log time, so a
 * progress mark moves it while the stream is idle; such a watermark is followed by an
 * <i>idle</i> marker, which lets the sink write the windows it closed). A record whose event time
 * is at or below the watermark before its position (or NULL) is dropped and counted in the metric
 * {@value #LATE_METRIC}: it would land in windows that may have been written already. M is part of
 * the source's state and the watermark is emitted again at a restore (Flink does not checkpoint
 * watermarks), so a restored job drops exactly the records the first run would have.
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

  /** The metric counting records dropped as late (or with a NULL event time). */
  static final String LATE_METRIC = "lateRecordsDropped";

  /** The kind field of an idle marker (a data marker's is null). */
  static final Byte IDLE_MARKER = 1;

  private final ViewSpec spec;
  /** Index of the time column in the source's columns; -1 without windows. */
  private final int timeIndex;
  private final boolean logTime;
  private transient ListState<String> positionState;
  private transient ListState<Long> maxEventTimeState;
  /** The last marker emitted; null before the initial read. Guarded by the checkpoint lock. */
  private transient String position;
  /** The greatest event time so far (ms), Long.MIN_VALUE before any. Guarded by the lock. */
  private transient long maxEventTime;
  /** The last watermark emitted (ms); Long.MIN_VALUE before any. */
  private transient long watermark;
  private transient Counter late;
  private transient volatile boolean running;
  private transient volatile Context.CancellableContext call;

  PushChangesSource(ViewSpec spec) {
    this.spec = spec;
    // A windowed view reads one stream (ViewSpec), whose time column this is.
    ViewSpec.SourceSpec source = spec.source();
    int index = -1;
    for (int i = 0; i < source.columns().size(); i++) {
      if (source.columns().get(i).name().equals(spec.timeColumn())) {
        index = i;
      }
    }
    this.timeIndex = index;
    this.logTime = spec.timeColumn().equals(LOG_TIME);
  }

  /** The log-time column of a stream's rows: the log time of the record's position. */
  static final String LOG_TIME = "_log_time";

  @Override
  public void open(OpenContext openContext) throws Exception {
    late = getRuntimeContext().getMetricGroup().counter(LATE_METRIC);
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    positionState = context.getOperatorStateStore()
        .getListState(new ListStateDescriptor<>("view-source-position", String.class));
    maxEventTimeState = context.getOperatorStateStore()
        .getListState(new ListStateDescriptor<>("view-source-max-event-time", Long.class));
    position = null;
    for (String p : positionState.get()) {
      position = p;
    }
    maxEventTime = Long.MIN_VALUE;
    for (Long t : maxEventTimeState.get()) {
      maxEventTime = t;
    }
    watermark = Long.MIN_VALUE;
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    positionState.update(position == null ? List.of() : List.of(position));
    maxEventTimeState.update(List.of(maxEventTime));
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
      // Restored: the watermark the first run had reached (Flink does not restore watermarks).
      emitWatermark(ctx);
    }
    boolean fresh = start == null;
    // A view over a stream reads that stream only (ViewSpec).
    boolean overStream = spec.source().stream();
    if (fresh && overStream) {
      start = spec.startPosition();
    }
    StringBuilder from = new StringBuilder();
    for (ViewSpec.SourceSpec source : spec.sources()) {
      from.append(from.length() == 0 ? "" : ", ").append(quote(source.name()));
    }
    String sql = "SELECT * FROM " + from + " EMIT CHANGES"
        + (start == null ? "" : " AT POSITION '" + start + "'");
    Iterator<SqlPushResponse> it = stub.push(SqlRequest.newBuilder().setSql(sql).build());
    checkColumns(it.next());
    if (fresh && overStream) {
      // The sink's first batch (replace) needs a position, also when no record follows.
      emit(ctx, new ArrayList<>(), start, true);
    } else if (start == null) {
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
      if (!spec.windowed()) {
        for (Row r : rows) {
          ctx.collect(r);
        }
      } else {
        // Records of one position are judged against the watermark before it, then move it.
        long max = maxEventTime;
        for (Row r : rows) {
          Long t = eventTime((Row) r.getField(2));
          if (t == null || t <= watermark) {
            late.inc();
            continue;
          }
          ctx.collectWithTimestamp(r, t);
          max = Math.max(max, t);
        }
        if (logTime) {
          max = Math.max(max, logTimeOf(upTo));
        }
        maxEventTime = max;
      }
      position = upTo;
      long before = watermark;
      emitWatermark(ctx);
      if (always || !rows.isEmpty()) {
        ctx.collect(marker(upTo, null));
      } else if (logTime && watermark > before) {
        ctx.collect(marker(upTo, IDLE_MARKER));
      }
    }
    rows.clear();
  }

  /** A marker event: {@code upTo} in field 0, {@code kind} (null, or {@link #IDLE_MARKER}) in 1. */
  private Row marker(String upTo, Byte kind) {
    Row marker = new Row(2 + spec.sources().size());
    marker.setField(0, upTo);
    marker.setField(1, kind);
    return marker;
  }

  /** Emits the watermark of {@link #maxEventTime} if it is ahead of the last one. */
  private void emitWatermark(SourceContext<Row> ctx) {
    if (!spec.windowed() || maxEventTime == Long.MIN_VALUE) {
      return;
    }
    long w = watermarkOf(maxEventTime, spec.allowedLatenessMs());
    if (w > watermark) {
      watermark = w;
      ctx.emitWatermark(new Watermark(w));
    }
  }

  /** The watermark after records up to event time {@code max}: max - lateness - 1 ms. */
  static long watermarkOf(long max, long latenessMs) {
    return max - latenessMs - 1 < max ? max - latenessMs - 1 : Long.MIN_VALUE;
  }

  /** A record's event time in epoch ms (TIMESTAMP read as UTC), null when the value is NULL. */
  private Long eventTime(Row r) {
    Object v = r.getField(timeIndex);
    if (v instanceof Instant i) {
      return i.toEpochMilli();
    }
    if (v instanceof LocalDateTime t) {
      return t.toInstant(ZoneOffset.UTC).toEpochMilli();
    }
    return null;
  }

  /** The log time (ms) of a position {@code <ts>:<partition>:<offset>[:<n>]}. */
  static long logTimeOf(String position) {
    return Long.parseLong(position.substring(0, position.indexOf(':')));
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
