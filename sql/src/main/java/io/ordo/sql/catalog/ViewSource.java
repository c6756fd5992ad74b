package io.ordo.sql.catalog;

import java.util.Objects;

/**
 * One relation a materialized view reads.
 *
 * @param name the table's or stream's name
 * @param id its id at CREATE (a table dropped and created again has another)
 * @param stream true for a stream, false for a table
 */
public record ViewSource(String name, String id, boolean stream) {
  public ViewSource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(id, "id");
  }
}
