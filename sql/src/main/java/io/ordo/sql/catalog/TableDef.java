package io.ordo.sql.catalog;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A SQL table in the catalog.
 *
 * @param name the table name (folded like column names)
 * @param tableId the id its rows are stored under (16 lower-case hex digits, chosen at CREATE;
 *     a table dropped and created again gets a new id, so old rows never reappear)
 * @param columns in declaration order
 * @param primaryKey the primary key's column names, in key order (at least one)
 * @param version the schema version: 1 at CREATE, +1 at each ALTER; statements assert it, so a
 *     statement planned against an older schema fails or retries instead of writing stale rows
 */
public record TableDef(
    String name, String tableId, List<ColumnDef> columns, List<String> primaryKey, long version) {
  public TableDef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(tableId, "tableId");
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
    if (primaryKey.isEmpty()) {
      throw new IllegalArgumentException("a table needs a primary key");
    }
  }

  /** The column with this name, if any. */
  public Optional<ColumnDef> column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
  }

  /** The primary key's columns in key order. */
  public List<ColumnDef> primaryKeyColumns() {
    return primaryKey.stream().map(n -> column(n).orElseThrow()).toList();
  }
}
