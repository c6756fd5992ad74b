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
 * @param sources every relation the view reads, in FROM order (a join reads several); the job
 *     reads their changes as one stream in commit order
 * @param flinkQuery the view's SELECT in Flink SQL's dialect
 * @param viewColumns the view's columns in order (as the SELECT returns them)
 * @param viewKey indexes into {@code viewColumns} of the view's primary key, in key order
 * @param checkpointIntervalMs how often the job checkpoints, which is how often the view's rows
 *     are written (one Ordo transaction per checkpoint)
 */
public record ViewSpec(
    String gateway,
    String view,
    String viewId,
    List<SourceSpec> sources,
    String flinkQuery,
    List<ColumnSpec> viewColumns,
    List<Integer> viewKey,
    long checkpointIntervalMs)
    implements Serializable {
  public ViewSpec {
    Objects.requireNonNull(gateway, "gateway");
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(viewId, "viewId");
    sources = List.copyOf(sources);
    Objects.requireNonNull(flinkQuery, "flinkQuery");
    viewColumns = List.copyOf(viewColumns);
    viewKey = List.copyOf(viewKey);
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a view reads at least one source");
    }
    if (viewKey.isEmpty()
        || sources.stream().anyMatch(s -> !s.stream() && s.key().isEmpty())) {
      throw new IllegalArgumentException("a view and its source tables need a primary key");
    }
    if (checkpointIntervalMs < 10) {
      throw new IllegalArgumentException(
          "checkpointIntervalMs must be at least 10, got " + checkpointIntervalMs);
    }
  }

  /**
   * One relation a view reads.
   *
   * @param name the table's or stream's name
   * @param stream true for a stream (append-only; its key may be empty)
   * @param columns its columns in order, as {@code SELECT *} returns them
   * @param key its primary-key column names (the initial read's order)
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
