package io.ordo.views;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
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
 *                          │    (one stream per source table, one view      (Flink SQL)
 *                          │     each, so the SELECT can join them)
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

  private static final OutputTag<String> MARKERS = new OutputTag<>("markers", Types.STRING);

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
              ctx.output(MARKERS, marker);
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
    for (int i = 0; i < n; i++) {
      DataStream<Row> rowsOf = i == 0 ? data : data.getSideOutput(tags.get(i));
      tables.createTemporaryView("`" + spec.sources().get(i).name().replace("`", "``") + "`",
          tables.fromChangelogStream(rowsOf));
    }
    Table view = tables.sqlQuery(spec.flinkQuery());
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
        .map(m -> Row.of(m, false, null))
        .returns(sinkEvents)
        .name("view " + spec.view() + " markers")
        .uid(MARKERS_UID);
    rows.union(markers)
        .addSink(new ViewApplySink(spec))
        .name("view " + spec.view() + " sink")
        .uid(SINK_UID)
        .setParallelism(1);
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
