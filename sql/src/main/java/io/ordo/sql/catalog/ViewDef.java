package io.ordo.sql.catalog;

import java.util.List;
import java.util.Objects;

/**
 * A materialized view in the catalog. Its rows are the table {@code name} (table id {@code
 * viewId}); a Flink job keeps them equal to {@code query} over its sources.
 *
 * @param name the view's name (also its table's name)
 * @param viewId 16 lower-case hex digits, random at CREATE, also its table's id
 * @param query the SELECT as Ordo normalized it (for SHOW VIEWS)
 * @param flinkQuery the same SELECT in Flink SQL's dialect, run by the view's job
 * @param sources every relation the view reads, in FROM order (at least one)
 * @param allowedLatenessMs for event-time windows: how far (ms, >= 0) a record's event time may
 *     be behind the greatest event time of the records at earlier log positions before it is
 *     dropped as late
 * @param timeColumn the windows' time attribute (the DESCRIPTOR column), empty without windows
 * @param startPosition for a view over a stream: the log position {@code <ts>:<p>:<o>} whose
 *     later records the view counts; empty for a view over a table
 */
public record ViewDef(
    String name, String viewId, String query, String flinkQuery, List<ViewSource> sources,
    long allowedLatenessMs, String timeColumn, String startPosition) {
  public ViewDef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(viewId, "viewId");
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(flinkQuery, "flinkQuery");
    sources = List.copyOf(sources);
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a view reads at least one source");
    }
    if (allowedLatenessMs < 0) {
      throw new IllegalArgumentException(
          "allowedLatenessMs must be >= 0, got " + allowedLatenessMs);
    }
    Objects.requireNonNull(timeColumn, "timeColumn");
    Objects.requireNonNull(startPosition, "startPosition");
  }

  /** A view without windows (over tables). */
  public ViewDef(
      String name, String viewId, String query, String flinkQuery, List<ViewSource> sources) {
    this(name, viewId, query, flinkQuery, sources, 0, "", "");
  }

  /** The first (for one-source views: the) relation the view reads. */
  public String sourceTable() {
    return sources.get(0).name();
  }

  /** The first source's id at CREATE. */
  public String sourceTableId() {
    return sources.get(0).id();
  }

  /** Whether the view reads the relation {@code name}. */
  public boolean reads(String name) {
    return sources.stream().anyMatch(s -> s.name().equals(name));
  }
}
