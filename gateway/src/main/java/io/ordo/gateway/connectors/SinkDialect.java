package io.ordo.gateway.connectors;

import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What is specific to one kind of sink target ({@code TO POSTGRESQL}, {@code TO MYSQL} / {@code
 * TO MARIADB}) for {@link JdbcSink}: options, connections, catalog queries, the upsert's syntax
 * and how values are bound. Implementations are stateless and thread-safe.
 */
interface SinkDialect {
  /**
   * The dialect of a sink's kind.
   *
   * @throws IllegalArgumentException for a kind no dialect handles
   */
  static SinkDialect of(ConnectorDef def) {
    return switch (def.sourceKind().toLowerCase(Locale.ROOT)) {
      case ConnectorDef.POSTGRESQL -> PostgresSink.DIALECT;
      case ConnectorDef.MYSQL, ConnectorDef.MARIADB -> MySqlSink.DIALECT;
      default -> throw new IllegalArgumentException(
          "no sink connector for \"" + def.sourceKind() + "\"");
    };
  }

  /**
   * Checks the options (without connecting).
   *
   * @throws IllegalArgumentException naming the bad option
   */
  void checkOptions(ConnectorDef def);

  /** A connection to the target, {@code socketTimeoutS} s per network read. */
  Connection connect(ConnectorDef def, int socketTimeoutS) throws SQLException;

  /** The target's product name, for messages ({@code PostgreSQL}, {@code MySQL}, ...). */
  String product(ConnectorDef def);

  /** Where the target is, for messages. */
  String address(ConnectorDef def);

  /** The column names of {@code schema.table}, empty when there is no such table. */
  List<String> columns(Connection c, String schema, String table) throws SQLException;

  /** The primary key's column names of {@code schema.table}, empty when it has none. */
  List<String> primaryKey(Connection c, String schema, String table) throws SQLException;

  /** The statement making the progress table {@code name} if it is missing. */
  String createProgressTable(String name);

  /** An identifier quoted. */
  String quote(String identifier);

  /**
   * An insert of {@code columns} (one parameter each, in order) into {@code table} that updates
   * the row with the same {@code key} instead when there is one.
   */
  String upsert(String table, List<String> columns, List<String> key);

  /** Binds {@code v} (an Ordo column's Java value, or null) as parameter {@code i}. */
  void bind(PreparedStatement ps, int i, ColumnDef col, Object v) throws SQLException;

  /** Binds the values whose JDBC form does not differ between targets. */
  static void bindCommon(PreparedStatement ps, int i, ColumnDef col, Object v)
      throws SQLException {
    switch (col.type()) {
      case TIMESTAMPTZ -> ps.setObject(i, (OffsetDateTime) v);
      case TIMESTAMP -> ps.setObject(i, (LocalDateTime) v);
      case DATE -> ps.setObject(i, (LocalDate) v);
      case DECIMAL -> ps.setBigDecimal(i, (BigDecimal) v);
      case BYTEA -> ps.setBytes(i, (byte[]) v);
      default -> ps.setObject(i, v);
    }
  }

  /** The strings of the first column of a one-parameter-pair query on (schema, table). */
  static List<String> names(Connection c, String sql, String schema, String table)
      throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setQueryTimeout(JdbcSink.QUERY_TIMEOUT_S);
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** {@code names} quoted and joined with ", ". */
  default String list(List<String> names) {
    return names.stream().map(this::quote).collect(Collectors.joining(", "));
  }
}
