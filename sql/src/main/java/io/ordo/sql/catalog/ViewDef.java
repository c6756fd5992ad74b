package io.ordo.sql.catalog;

import java.util.List;
import java.util.Objects;

/**
 * A materialized view in the catalog. Its rows are the table {@code name} (table id {@code
 * viewId}); a Flink job keeps them equal to {@code query} over the source table.
 *
 * @param name the view's name (also its table's name)
 * @param viewId 16 lower-case hex digits, random at CREATE, also its table's id
 * @param query the SELECT as Ordo normalized it (for SHOW VIEWS)
 * @param flinkQuery the same SELECT in Flink SQL's dialect, run by the view's job
 * @param sources every relation the view reads, in FROM order (at least one)
 */
public record ViewDef(
    String name, String viewId, String query, String flinkQuery, List<ViewSource> sources) {
  public ViewDef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(viewId, "viewId");
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(flinkQuery, "flinkQuery");
    sources = List.copyOf(sources);
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a view reads at least one source");
    }
  }

  /** A view over one table. */
  public ViewDef(String name, String viewId, String query, String flinkQuery, String sourceTable,
      String sourceTableId) {
    this(name, viewId, query, flinkQuery, List.of(new ViewSource(sourceTable, sourceTableId, false)));
  }

  /** The first source's name (the only one of a one-table view). */
  public String sourceTable() {
    return sources.get(0).name();
  }

  /** The first source's id. */
  public String sourceTableId() {
    return sources.get(0).id();
  }

  /** Whether the view reads the relation {@code name}. */
  public boolean reads(String name) {
    return sources.stream().anyMatch(s -> s.name().equals(name));
  }
}
