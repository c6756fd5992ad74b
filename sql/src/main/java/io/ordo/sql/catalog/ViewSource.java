package io.ordo.sql.catalog;

import java.util.Objects;

/**
 * One relation a materialized view reads.
 *
 * @param name the table's or stream's name
 * @param id its id at CREATE (a table dropped and created again has another); empty for a
 *     stream (streams have no id of their own)
 * @param stream whether it is a stream (append-only) rather than a table
 */
public record ViewSource(String name, String id, boolean stream) {
  public ViewSource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(id, "id");
  }
}
