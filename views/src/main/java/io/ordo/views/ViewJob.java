package io.ordo.views;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The Flink job of one materialized view, wired in one place ({@link #build}):
 *
 * <pre>
 * PushChangesSource ──▶ split ──data (RowKind)──▶ fromChangelogStream ─▶ the view's SELECT
 *  (+ watermarks)          │    (one stream per source: a table's through      (Flink SQL)
 *                          │     fromChangelogStream, a stream's through fromDataStream;
 *                          │     one Flink view each, so the SELECT can join tables)
 *                          └──markers─────────────┐                           │
 *                                                 ▼                           ▼
 *                                     union ◀── (marker) ◀──── toChangelogStream (upserts, deletes)
 *                                       │
 *                                       ▼
 *                                 ViewApplySink ──▶ gateway Sql/ApplyView, per checkpoint
 * </pre>
 *
 * <p>Everything runs with parallelism 1 and aligned exactly-once checkpoints (the sink relies on
 * the alignment; see {@link ViewApplySink}). Operator uids are fixed, so a job rebuilt from the
 * same view restores from its checkpoints.
 */
public final class ViewJob {
  private ViewJob() {}

  static final String SOURCE_UID = "ordo-view-source";
  static final String SPLIT_UID = "ordo-view-split";
  static final String ROWS_UID = "ordo-view-rows";
  static final String MARKERS_UID = "ordo-view-markers";
  static final String SINK_UID = "ordo-view-sink";

  /** Markers: the position and whether it is an idle marker ({@link PushChangesSource}). */
  private static final OutputTag<Row> MARKERS =
      new OutputTag<>("markers", Types.ROW(Types.STRING, Types.BOOLEAN));

  /**
   * The time attribute of a windowed view's stream in Flink: the records' timestamps (their time
   * column's values, set by the source), an extra column that the view's DESCRIPTOR names in the
   * job ({@link #flinkQuery}).
   */
  static final String ROWTIME = "__ordo_rowtime";

  /** The job's name for view {@code view}. */
  public static String jobName(String view) {
    return "ordo-view-" + view;
  }

  /** Adds the view's job to {@code env} (parallelism 1, checkpoints every spec's interval). */
  public static void build(StreamExecutionEnvironment env, ViewSpec spec) {
    env.setParallelism(1);
    env.enableCheckpointing(spec.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
    int n = spec.sources().size();
    List<TypeInformation<Row>> sourceRows = new ArrayList<>();
    TypeInformation<?>[] eventFields = new TypeInformation<?>[2 + n];
    eventFields[0] = Types.STRING;
    eventFields[1] = Types.BYTE;
    List<OutputTag<Row>> tags = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TypeInformation<Row> t = ViewValues.rowType(spec.sources().get(i).columns());
      sourceRows.add(t);
      eventFields[2 + i] = t;
      // Source 0 is the main output; the others go to side outputs.
      tags.add(i == 0 ? null : new OutputTag<>("source-" + i, t));
    }
    TypeInformation<Row> events = Types.ROW(eventFields);
    DataStream<Row> source = env
        .addSource(new PushChangesSource(spec), "view " + spec.view() + " source", events)
        .uid(SOURCE_UID);
    SingleOutputStreamOperator<Row> data = source
        .process(new ProcessFunction<Row, Row>() {
          @Override
          public void processElement(Row value, Context ctx, Collector<Row> out) {
            String marker = (String) value.getField(0);
            if (marker != null) {
              ctx.output(MARKERS, Row.of(marker, value.getField(1) != null));
              return;
            }
            for (int i = 0; i < n; i++) {
              Row row = (Row) value.getField(2 + i);
              if (row != null) {
                row.setKind(RowKind.fromByteValue((Byte) value.getField(1)));
                if (i == 0) {
                  out.collect(row);
                } else {
                  ctx.output(tags.get(i), row);
                }
                return;
              }
            }
          }
        })
        .returns(sourceRows.get(0))
        .name("view " + spec.view() + " split")
        .uid(SPLIT_UID);

    StreamTableEnvironment tables = StreamTableEnvironment.create(env);
    // Windows over log time (TIMESTAMP_LTZ) align in the session time zone: UTC, never the
    // machine's, so the same log gives the same windows everywhere.
    tables.getConfig().setLocalTimeZone(ZoneOffset.UTC);
    for (int i = 0; i < n; i++) {
      ViewSpec.SourceSpec input = spec.sources().get(i);
      DataStream<Row> rowsOf = i == 0 ? data : data.getSideOutput(tags.get(i));
      String name = quote(input.name());
      if (!input.stream()) {
        tables.createTemporaryView(name, tables.fromChangelogStream(rowsOf));
      } else if (!spec.windowed()) {
        tables.createTemporaryView(name, tables.fromDataStream(rowsOf));
      } else {
        // The watermarks are the source's own (SOURCE_WATERMARK()): emitted from the data.
        tables.createTemporaryView(name, tables.fromDataStream(rowsOf, Schema.newBuilder()
            .columnByMetadata(ROWTIME, DataTypes.TIMESTAMP_LTZ(3), "rowtime")
            .watermark(ROWTIME, "SOURCE_WATERMARK()")
            .build()));
      }
    }
    Table view = tables.sqlQuery(flinkQuery(spec));
    DataStream<Row> changes = tables.toChangelogStream(view);
    TypeInformation<Row> sinkEvents = Types.ROW(Types.STRING, Types.BOOLEAN, changes.getType());
    // -U counts as a delete of its key: usually the +U of the same key follows and, the sink
    // keeping the latest image per key, wins; but a HAVING that the new values fail drops that
    // +U, and then the -U is the only news that the row left the view.
    DataStream<Row> rows = changes
        .map(r -> Row.of(null,
            r.getKind() == RowKind.DELETE || r.getKind() == RowKind.UPDATE_BEFORE, r))
        .returns(sinkEvents)
        .name("view " + spec.view() + " rows")
        .uid(ROWS_UID);
    DataStream<Row> markers = data.getSideOutput(MARKERS)
        .map(m -> Row.of(m.getField(0), m.getField(1), null))
        .returns(sinkEvents)
        .name("view " + spec.view() + " markers")
        .uid(MARKERS_UID);
    rows.union(markers)
        .addSink(new ViewApplySink(spec))
        .name("view " + spec.view() + " sink")
        .uid(SINK_UID)
        .setParallelism(1);
  }

  /**
   * The view's query as the job runs it: a windowed view's DESCRIPTOR names {@link #ROWTIME}, the
   * records' timestamps (the time column's values), so the time column itself keeps its type.
   */
  static String flinkQuery(ViewSpec spec) {
    if (!spec.windowed()) {
      return spec.flinkQuery();
    }
    // The stored query is unparsed in Flink's quoting, so the descriptor reads exactly so.
    String descriptor = "DESCRIPTOR(" + quote(spec.timeColumn()) + ")";
    if (!spec.flinkQuery().contains(descriptor)) {
      throw new IllegalStateException("view " + spec.view() + ": its query has no " + descriptor
          + ": " + spec.flinkQuery());
    }
    return spec.flinkQuery().replace(descriptor, "DESCRIPTOR(" + quote(ROWTIME) + ")");
  }

  private static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /** The view's column names as the Flink query returns them (for checks against the catalog). */
  static List<String> columnNames(ViewSpec spec) {
    List<String> out = new ArrayList<>();
    for (ViewSpec.ColumnSpec c : spec.viewColumns()) {
      out.add(c.name());
    }
    return out;
  }
}
