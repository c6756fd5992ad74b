package io.ordo.views;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * Everything a view's job needs, read from the gateway when the job is built ({@link
 * ViewSupervisor}): shipped to the job's operators, so it is serializable and immutable.
 *
 * @param gateway the gateway's gRPC target, {@code host:port}
 * @param view the view's name
 * @param viewId the view's id (SHOW VIEWS); a re-created view is another job
 * @param sources every relation the view reads, in FROM order (a join reads several tables, a
 *     view over a stream reads that stream only); the job reads their changes as one stream in
 *     commit order
 * @param flinkQuery the view's SELECT in Flink SQL's dialect
 * @param viewColumns the view's columns in order (as the SELECT returns them)
 * @param viewKey indexes into {@code viewColumns} of the view's primary key, in key order
 * @param checkpointIntervalMs how often the job checkpoints, which is how often the view's rows
 *     are written (one Ordo transaction per checkpoint)
 * @param timeColumn the event-time windows' time attribute, a column of the (stream) source;
 *     empty for a view without windows
 * @param allowedLatenessMs how far (ms, >= 0) a record's event time may be behind the greatest
 *     event time of the records at earlier log positions before it is dropped as late
 * @param startPosition for a view over a stream: the log position {@code <ts>:<p>:<o>} whose
 *     later records the view counts (a job without state starts there); empty for a table
 */
public record ViewSpec(
    String gateway,
    String view,
    String viewId,
    List<SourceSpec> sources,
    String flinkQuery,
    List<ColumnSpec> viewColumns,
    List<Integer> viewKey,
    long checkpointIntervalMs,
    String timeColumn,
    long allowedLatenessMs,
    String startPosition)
    implements Serializable {
  public ViewSpec {
    Objects.requireNonNull(gateway, "gateway");
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(viewId, "viewId");
    sources = List.copyOf(sources);
    Objects.requireNonNull(flinkQuery, "flinkQuery");
    viewColumns = List.copyOf(viewColumns);
    viewKey = List.copyOf(viewKey);
    Objects.requireNonNull(timeColumn, "timeColumn");
    Objects.requireNonNull(startPosition, "startPosition");
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a view reads at least one source");
    }
    if (viewKey.isEmpty()) {
      throw new IllegalArgumentException("a view needs a primary key");
    }
    for (SourceSpec s : sources) {
      if (!s.stream() && s.key().isEmpty()) {
        throw new IllegalArgumentException(
            "a view's source table needs a primary key: " + s.name());
      }
    }
    boolean overStream = sources.stream().anyMatch(SourceSpec::stream);
    if (overStream && sources.size() != 1) {
      throw new IllegalArgumentException("a view over a stream reads that stream only");
    }
    if (overStream && startPosition.isEmpty()) {
      throw new IllegalArgumentException("a view over a stream needs its start position");
    }
    if (!timeColumn.isEmpty() && (sources.size() != 1
        || sources.get(0).columns().stream().noneMatch(c -> c.name().equals(timeColumn)))) {
      throw new IllegalArgumentException(
          "time column " + timeColumn + " is not a column of the view's one source");
    }
    if (allowedLatenessMs < 0) {
      throw new IllegalArgumentException(
          "allowedLatenessMs must be >= 0, got " + allowedLatenessMs);
    }
    if (checkpointIntervalMs < 10) {
      throw new IllegalArgumentException(
          "checkpointIntervalMs must be at least 10, got " + checkpointIntervalMs);
    }
  }

  /** A view over one table, without windows. */
  public ViewSpec(String gateway, String view, String viewId, SourceSpec table, String flinkQuery,
      List<ColumnSpec> viewColumns, List<Integer> viewKey, long checkpointIntervalMs) {
    this(gateway, view, viewId, List.of(table), flinkQuery, viewColumns, viewKey,
        checkpointIntervalMs, "", 0, "");
  }

  /** The (first) source. */
  public SourceSpec source() {
    return sources.get(0);
  }

  /** Whether the view has event-time windows (its source then emits watermarks). */
  public boolean windowed() {
    return !timeColumn.isEmpty();
  }

  /**
   * One relation a view reads.
   *
   * @param name the table's or stream's name
   * @param stream whether it is a stream (append-only; its rows are inserts)
   * @param columns its columns in order, as {@code SELECT *} returns them (a stream's end with
   *     _shard, _offset, _log_time)
   * @param key its primary-key column names (the initial read's order); empty for a stream
   */
  public record SourceSpec(String name, boolean stream, List<ColumnSpec> columns, List<String> key)
      implements Serializable {
    public SourceSpec {
      Objects.requireNonNull(name, "name");
      columns = List.copyOf(columns);
      key = List.copyOf(key);
    }
  }

  /**
   * One column: its name and its SQL type as the gateway spells it (SqlColumn.type: BOOLEAN,
   * SMALLINT, INTEGER, BIGINT, DOUBLE, DECIMAL, VARCHAR, TEXT, BYTEA, DATE, TIMESTAMP,
   * TIMESTAMPTZ, JSONB).
   */
  public record ColumnSpec(String name, String type) implements Serializable {
    public ColumnSpec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
    }
  }
}
