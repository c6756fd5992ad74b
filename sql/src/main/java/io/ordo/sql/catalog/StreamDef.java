package io.ordo.sql.catalog;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A SQL stream: an Ordo stream whose records are rows (a JSON object per record, one member per
 * column) with a schema in the catalog.
 *
 * @param name the stream name (an Ordo stream of that name)
 * @param columns in declaration order
 * @param keyColumn the column whose value is the record's partition key, if any (else the key is
 *     empty and records spread by the stream's hashing of the empty key)
 */
public record StreamDef(String name, List<ColumnDef> columns, Optional<String> keyColumn) {
  public StreamDef {
    Objects.requireNonNull(name, "name");
    columns = List.copyOf(columns);
    Objects.requireNonNull(keyColumn, "keyColumn");
  }
}
