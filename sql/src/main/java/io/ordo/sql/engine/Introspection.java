package io.ordo.sql.engine;

import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.Stream;
import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.ConnectorStatus;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SHOW TABLES, SHOW STREAMS and DESCRIBE, answered from the catalog. */
final class Introspection {
  private Introspection() {}

  static final List<Column> SHOW_TABLES = List.of(Column.of("name", SqlType.TEXT));
  static final List<Column> SHOW_STREAMS =
      List.of(
          Column.of("name", SqlType.TEXT),
          Column.of("shards", SqlType.INTEGER),
          Column.of("retention_seconds", SqlType.BIGINT),
          Column.of("columns", SqlType.TEXT));
  static final List<Column> SHOW_CONNECTORS =
      List.of(
          Column.of("name", SqlType.TEXT),
          Column.of("source", SqlType.TEXT),
          Column.of("target", SqlType.TEXT),
          Column.of("state", SqlType.TEXT),
          Column.of("owner", SqlType.TEXT),
          Column.of("applied_position", SqlType.TEXT),
          Column.of("source_position", SqlType.TEXT),
          Column.of("lag_bytes", SqlType.BIGINT),
          Column.of("last_error", SqlType.TEXT));
  static final List<Column> DESCRIBE =
      List.of(
          Column.of("column_name", SqlType.TEXT),
          Column.of("data_type", SqlType.TEXT),
          Column.of("nullable", SqlType.BOOLEAN),
          Column.of("default", SqlType.TEXT),
          Column.of("primary_key", SqlType.BOOLEAN));

  /** The result columns of statements whose columns do not depend on a query. */
  static Optional<List<Column>> columns(Plan plan) {
    if (plan instanceof Plan.ShowTables) {
      return Optional.of(SHOW_TABLES);
    }
    if (plan instanceof Plan.ShowStreams) {
      return Optional.of(SHOW_STREAMS);
    }
    if (plan instanceof Plan.ShowConnectors) {
      return Optional.of(SHOW_CONNECTORS);
    }
    if (plan instanceof Plan.ShowViews) {
      return Optional.of(Views.SHOW_VIEWS);
    }
    if (plan instanceof Plan.ShowQueries) {
      return Optional.of(RunningQueries.SHOW_QUERIES);
    }
    if (plan instanceof Plan.Describe) {
      return Optional.of(DESCRIBE);
    }
    if (plan instanceof Plan.Explain || plan instanceof Plan.ExplainCreateView
        || plan instanceof Plan.ExplainView) {
      return Optional.of(Views.EXPLAIN);
    }
    if (plan instanceof Plan.ShowSetting s) {
      return Optional.of(List.of(Column.of(s.name().toLowerCase(java.util.Locale.ROOT),
          SqlType.TEXT)));
    }
    return Optional.empty();
  }

  static StatementResult run(Plan plan, Catalog catalog, SqlBackend backend, OrdoSession session)
      throws SqlException {
    return run(plan, catalog, new java.util.TreeMap<>(), backend, session);
  }

  /** Like the other {@code run}, with the connectors of the snapshot (for SHOW CONNECTORS). */
  static StatementResult run(
      Plan plan, Catalog catalog,
      java.util.SortedMap<String, Map.Entry<ConnectorDef, io.ordo.proto.Value>> connectors,
      SqlBackend backend, OrdoSession session)
      throws SqlException {
    if (plan instanceof Plan.ShowTables) {
      List<List<Object>> rows = new ArrayList<>();
      for (TableDef t : catalog.snapshot().tables()) {
        rows.add(List.of(t.name()));
      }
      return new StatementResult("SHOW " + rows.size(), SHOW_TABLES, rows);
    }
    if (plan instanceof Plan.ShowStreams) {
      List<List<Object>> rows = new ArrayList<>();
      ListStreamsResponse streams = backend.listStreams();
      for (Stream s : streams.getStreamsList()) {
        Optional<StreamDef> def = catalog.stream(s.getName());
        List<Object> row = new ArrayList<>();
        row.add(s.getName());
        row.add(s.getShardCount());
        row.add(s.getRetentionSeconds());
        row.add(def.map(d -> columnList(d.columns())).orElse(null));
        rows.add(row);
      }
      return new StatementResult("SHOW " + rows.size(), SHOW_STREAMS, rows);
    }
    if (plan instanceof Plan.ShowConnectors) {
      List<List<Object>> rows = new ArrayList<>();
      for (Map.Entry<ConnectorDef, io.ordo.proto.Value> e : connectors.values()) {
        ConnectorDef def = e.getKey();
        ConnectorStatus st = backend.connectorStatus(def);
        List<Object> row = new ArrayList<>();
        row.add(def.name());
        String external = def.sourceKind() + " " + def.option("table", def.option("topic", ""));
        String internal =
            def.targetKind().name().toLowerCase(java.util.Locale.ROOT) + " " + def.target();
        row.add(def.sink() ? internal : external);
        row.add(def.sink() ? external : internal);
        row.add(st.state());
        row.add(st.owner().orElse(null));
        row.add(st.appliedPosition().orElse(null));
        row.add(st.sourcePosition().orElse(null));
        row.add(st.lagBytes().isPresent() ? st.lagBytes().getAsLong() : null);
        row.add(st.lastError().orElse(null));
        rows.add(row);
      }
      return new StatementResult("SHOW " + rows.size(), SHOW_CONNECTORS, rows);
    }
    Plan.Describe d = (Plan.Describe) plan;
    Optional<TableDef> table = catalog.table(d.name());
    List<ColumnDef> cols;
    List<String> key;
    if (table.isPresent()) {
      cols = table.get().columns();
      key = table.get().primaryKey();
    } else if (catalog.stream(d.name()).isPresent()) {
      cols = catalog.stream(d.name()).get().columns();
      key = List.of();
    } else {
      throw new SqlException(
          SqlState.UNDEFINED_TABLE, "relation \"" + d.name() + "\" does not exist", d.position());
    }
    List<List<Object>> rows = new ArrayList<>();
    for (ColumnDef c : cols) {
      List<Object> row = new ArrayList<>();
      row.add(c.name());
      row.add(typeText(c));
      row.add(!c.notNull() && !key.contains(c.name()));
      row.add(c.defaultSql().orElse(null));
      row.add(key.contains(c.name()));
      rows.add(row);
    }
    return new StatementResult("DESCRIBE", DESCRIBE, rows);
  }

  /** PostgreSQL's format_type text, e.g. {@code character varying(20)}, {@code numeric(10,2)}. */
  static String typeText(ColumnDef c) {
    return switch (c.type()) {
      case VARCHAR -> c.precision() > 0 ? "character varying(" + c.precision() + ")"
          : "character varying";
      case DECIMAL -> c.precision() > 0
          ? "numeric(" + c.precision() + "," + Math.max(c.scale(), 0) + ")" : "numeric";
      default -> c.type().pgName();
    };
  }

  /** Columns as {@code name type, ...} (SHOW STREAMS, EXPLAIN VIEW). */
  static String columnList(List<ColumnDef> cols) {
    StringBuilder sb = new StringBuilder();
    for (ColumnDef c : cols) {
      sb.append(sb.length() == 0 ? "" : ", ").append(c.name()).append(' ').append(typeText(c));
    }
    return sb.toString();
  }
}
