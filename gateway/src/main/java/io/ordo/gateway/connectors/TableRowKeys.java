package io.ordo.gateway.connectors;

import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.encoding.KeyCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The encoded row keys of a table's first rows in primary-key order, read through SQL at a fresh
 * snapshot (so they include every transaction that committed before the call): what a source
 * connector deletes, page by page, when Debezium takes its snapshot again ({@link
 * ConnectorWorker}).
 */
final class TableRowKeys {
  private final Supplier<SqlEngine> engine;

  /** @param engine the gateway's SQL engine, or null while none is attached */
  TableRowKeys(Supplier<SqlEngine> engine) {
    this.engine = engine;
  }

  /**
   * The row keys ({@link KeyCodec#encode}) of the first {@code limit} rows of {@code table}.
   *
   * @param limit rows at most, >= 1
   * @return at most {@code limit} keys, in primary-key order; empty for an empty table
   * @throws SqlException when the query fails (e.g. 42P01 if the table is gone)
   * @throws IllegalStateException when the gateway has no SQL engine
   */
  List<String> first(TableDef table, int limit) throws SqlException {
    SqlEngine e = engine.get();
    if (e == null) {
      throw new IllegalStateException("this gateway has no SQL engine to read table \""
          + table.name() + "\"");
    }
    String order = table.primaryKey().stream().map(SinkWorker::quote)
        .collect(Collectors.joining(", "));
    String query = "SELECT " + order + " FROM " + SinkWorker.quote(table.name())
        + " ORDER BY " + order + " LIMIT " + limit;
    List<String> keys = new ArrayList<>();
    try (SqlSession s = e.openSession(ConnectorManager.SQL_USER, ConnectorManager.SQL_DATABASE)) {
      for (List<Object> pk : s.prepare(query, List.of()).get(0).execute(List.of()).rows()) {
        keys.add(KeyCodec.encode(table, pk));
      }
    }
    return keys;
  }
}
