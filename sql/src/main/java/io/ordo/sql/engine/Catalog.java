package io.ordo.sql.engine;

import io.ordo.sql.catalog.ViewDef;
import io.ordo.sql.encoding.ViewCodec;
import io.ordo.proto.Position;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.catalog.CatalogSnapshot;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.encoding.ConnectorCodec;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.storage.MultiVersionStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The SQL catalog as of one snapshot, read from the store: tables and streams are keys of Ordo's
 * key space ({@link Encodings#TABLE_PREFIX}, {@link Encodings#STREAM_PREFIX}) written by DDL
 * transactions, so DDL is ordered against every write like any transaction. Also keeps each
 * table definition's stored value, which statements assert unchanged at commit. Immutable.
 */
final class Catalog {
  /** The most tables (and, separately, streams) one catalog read returns. */
  static final int OBJECTS_MAX = MultiVersionStore.SCAN_LIMIT_MAX;

  private final CatalogSnapshot snapshot;
  private final Map<String, Value> tableValues;
  private final TreeMap<String, Map.Entry<ViewDef, Value>> views;

  private Catalog(CatalogSnapshot snapshot, Map<String, Value> tableValues,
      TreeMap<String, Map.Entry<ViewDef, Value>> views) {
    this.snapshot = snapshot;
    this.tableValues = tableValues;
    this.views = views;
  }

  /** Reads the catalog as of {@code p} (the caller made sure the store holds {@code p}). */
  static Catalog read(MultiVersionStore store, Position p) throws SqlException {
    List<TableDef> tables = new ArrayList<>();
    TreeMap<String, Value> values = new TreeMap<>();
    for (Map.Entry<String, Value> e : store.scanAsOf(Encodings.TABLE_PREFIX, p, OBJECTS_MAX)) {
      TableDef def = Encodings.decodeTable(e.getValue());
      tables.add(def);
      values.put(def.name(), e.getValue());
    }
    List<StreamDef> streams = new ArrayList<>();
    for (Map.Entry<String, Value> e : store.scanAsOf(Encodings.STREAM_PREFIX, p, OBJECTS_MAX)) {
      streams.add(Encodings.decodeStream(e.getValue()));
    }
    TreeMap<String, Map.Entry<ViewDef, Value>> views = new TreeMap<>();
    for (Map.Entry<String, Value> e : store.scanAsOf(ViewCodec.VIEW_KEY_PREFIX, p, OBJECTS_MAX)) {
      ViewDef def = ViewCodec.decode(e.getValue());
      views.put(def.name(), Map.entry(def, e.getValue()));
    }
    return new Catalog(new CatalogSnapshot(tables, streams), values, views);
  }

  /**
   * Identifies this catalog's content (each table's id and version, each stream's columns):
   * plans are cached under it, so a DDL change never reuses a plan made before it.
   */
  String fingerprint() {
    StringBuilder sb = new StringBuilder();
    for (TableDef t : snapshot.tables()) {
      sb.append(t.name()).append('/').append(t.tableId()).append('/').append(t.version()).append(';');
    }
    for (StreamDef s : snapshot.streams()) {
      sb.append(s.name()).append('/').append(s.columns().hashCode()).append(';');
    }
    return sb.toString();
  }

  /**
   * The source connectors as of {@code p}, by name, each with its stored value (which DDL
   * asserts unchanged).
   */
  static TreeMap<String, Map.Entry<ConnectorDef, Value>> connectors(
      MultiVersionStore store, Position p) throws SqlException {
    TreeMap<String, Map.Entry<ConnectorDef, Value>> out = new TreeMap<>();
    for (Map.Entry<String, Value> e
        : store.scanAsOf(ConnectorCodec.CONNECTOR_KEY_PREFIX, p, OBJECTS_MAX)) {
      ConnectorDef def = ConnectorCodec.decode(e.getValue());
      out.put(def.name(), Map.entry(def, e.getValue()));
    }
    return out;
  }

  CatalogSnapshot snapshot() {
    return snapshot;
  }

  Optional<TableDef> table(String name) {
    return snapshot.table(name);
  }

  Optional<StreamDef> stream(String name) {
    return snapshot.stream(name);
  }

  /** The table, or 42P01 ({@code relation "x" does not exist}) at {@code position}. */
  TableDef requireTable(String name, int position) throws SqlException {
    Optional<TableDef> t = table(name);
    if (t.isEmpty()) {
      throw new SqlException(
          SqlState.UNDEFINED_TABLE, "relation \"" + name + "\" does not exist", position);
    }
    return t.get();
  }

  /** The materialized views by name, each with its stored value (which DDL asserts). */
  TreeMap<String, Map.Entry<ViewDef, Value>> views() {
    return views;
  }

  /** Whether {@code name} is a materialized view (whose rows are the table {@code name}). */
  boolean isView(String name) {
    return views.containsKey(name);
  }

  /** The stored value of a table's definition. */
  Value tableValue(String name) {
    return tableValues.get(name);
  }
}
