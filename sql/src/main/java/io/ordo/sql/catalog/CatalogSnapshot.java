package io.ordo.sql.catalog;

import java.util.List;
import java.util.Optional;

/** The catalog as of one snapshot: tables and streams, each list sorted by name. Immutable. */
public record CatalogSnapshot(List<TableDef> tables, List<StreamDef> streams) {
  public CatalogSnapshot {
    tables = List.copyOf(tables);
    streams = List.copyOf(streams);
  }

  public Optional<TableDef> table(String name) {
    return tables.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  public Optional<StreamDef> stream(String name) {
    return streams.stream().filter(s -> s.name().equals(name)).findFirst();
  }
}
