package io.ordo.sql;

import java.util.List;
import java.util.Objects;

/**
 * What one statement returned: PostgreSQL's command tag (e.g. {@code "SELECT 3"}, {@code "INSERT 0
 * 2"}, {@code "UPDATE 1"}, {@code "CREATE TABLE"}, {@code "BEGIN"}), the result columns (empty
 * for statements that return no rows) and the rows, each a list of values in column order with
 * the Java shapes of {@link SqlType}. Immutable; rows are bounded by the engine's row limit.
 */
public record StatementResult(String commandTag, List<Column> columns, List<List<Object>> rows) {
  public StatementResult {
    Objects.requireNonNull(commandTag, "commandTag");
    columns = List.copyOf(columns);
    rows = List.copyOf(rows);
  }

  /** A result without rows, e.g. {@code CREATE TABLE}. */
  public static StatementResult command(String tag) {
    return new StatementResult(tag, List.of(), List.of());
  }

  /** Whether the statement returns rows (a query, SHOW, DESCRIBE, EXPLAIN). */
  public boolean hasRows() {
    return !columns.isEmpty();
  }
}
