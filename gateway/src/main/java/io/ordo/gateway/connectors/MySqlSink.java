package io.ordo.gateway.connectors;

import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The MySQL and MariaDB {@link SinkDialect} ({@code TO MYSQL}, {@code TO MARIADB}; MySQL
 * Connector/J, the session in UTC): options {@code host}, {@code port} (3306), {@code user},
 * {@code password}, {@code table} ({@code database.table}, InnoDB: the sink's transactions need
 * a transactional engine) and {@code database} (optional, the table's); upserts by {@code INSERT
 * ... ON DUPLICATE KEY UPDATE} (MySQL and MariaDB alike). The progress table is made in the
 * target table's database, InnoDB.
 */
final class MySqlSink {
  static final Set<String> OPTIONS = Set.of("host", "port", "user", "password", "table", "database");

  private MySqlSink() {}

  static final SinkDialect DIALECT = new SinkDialect() {
    @Override
    public void checkOptions(ConnectorDef def) {
      MySqlSource.checkConnection(def, "sink", OPTIONS);
    }

    @Override
    public Connection connect(ConnectorDef def, int socketTimeoutS) throws SQLException {
      return MySqlSource.connect(def, socketTimeoutS);
    }

    @Override
    public String product(ConnectorDef def) {
      return MySqlSource.product(def);
    }

    @Override
    public String address(ConnectorDef def) {
      return MySqlSource.address(def);
    }

    @Override
    public List<String> columns(Connection c, String schema, String table) throws SQLException {
      return SinkDialect.names(c, "SELECT COLUMN_NAME FROM information_schema.COLUMNS"
          + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", schema, table);
    }

    @Override
    public List<String> primaryKey(Connection c, String schema, String table)
        throws SQLException {
      return SinkDialect.names(c, "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE"
          + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'",
          schema, table);
    }

    @Override
    public String createProgressTable(String name) {
      return "CREATE TABLE IF NOT EXISTS " + name + " (`connector` VARCHAR(255) PRIMARY KEY,"
          + " `position` TEXT NOT NULL) ENGINE = InnoDB";
    }

    @Override
    public String quote(String identifier) {
      return "`" + identifier.replace("`", "``") + "`";
    }

    @Override
    public String upsert(String table, List<String> columns, List<String> key) {
      List<String> nonKey = columns.stream().filter(n -> !key.contains(n)).toList();
      // With only key columns, "update" the key to itself: the row exists, nothing changes.
      List<String> set = nonKey.isEmpty() ? key : nonKey;
      return "INSERT INTO " + table + " (" + list(columns) + ") VALUES ("
          + columns.stream().map(n -> "?").collect(Collectors.joining(", "))
          + ") ON DUPLICATE KEY UPDATE " + set.stream()
              .map(n -> quote(n) + " = VALUES(" + quote(n) + ")").collect(Collectors.joining(", "));
    }

    @Override
    public void bind(PreparedStatement ps, int i, ColumnDef col, Object v) throws SQLException {
      if (v == null) {
        ps.setNull(i, Types.NULL);
      } else if (col.type() == SqlType.JSONB) {
        ps.setString(i, v.toString());
      } else {
        SinkDialect.bindCommon(ps, i, col, v);
      }
    }
  };
}
