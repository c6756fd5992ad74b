package io.ordo.sql.catalog;

import java.util.Objects;

/**
 * A materialized view in the catalog. Its rows are the table {@code name} (table id {@code
 * viewId}); a Flink job keeps them equal to {@code query} over the source table.
 *
 * @param name the view's name (also its table's name)
 * @param viewId 16 lower-case hex digits, random at CREATE, also its table's id
 * @param query the SELECT as Ordo normalized it (for SHOW VIEWS)
 * @param flinkQuery the same SELECT in Flink SQL's dialect, run by the view's job
 * @param sourceTable the one table the view reads
 * @param sourceTableId that table's id at CREATE
 */
public record ViewDef(
    String name, String viewId, String query, String flinkQuery, String sourceTable,
    String sourceTableId) {
  public ViewDef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(viewId, "viewId");
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(flinkQuery, "flinkQuery");
    Objects.requireNonNull(sourceTable, "sourceTable");
    Objects.requireNonNull(sourceTableId, "sourceTableId");
  }
}
