package io.ordo.gateway.connectors;

import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The PostgreSQL {@link SinkDialect} ({@code TO POSTGRESQL}; pgjdbc): options as {@link
 * JdbcSink} lists them with {@code port} 5432, {@code database} required and {@code table} as
 * {@code schema.table} in lower case; upserts by {@code INSERT ... ON CONFLICT (key) DO UPDATE}.
 */
final class PostgresSink {
  static final Set<String> OPTIONS = Set.of("host", "port", "database", "user", "password", "table");
  private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_$]*\\.[a-z_][a-z0-9_$]*");

  private PostgresSink() {}

  static final SinkDialect DIALECT = new SinkDialect() {
    @Override
    public void checkOptions(ConnectorDef def) {
      for (String name : def.options().keySet()) {
        if (!OPTIONS.contains(name)) {
          throw new IllegalArgumentException("unknown option \"" + name
              + "\" for a postgresql sink; known: " + new TreeSet<>(OPTIONS));
        }
      }
      PostgresSource.checkConnection(def, "sink");
      if (!TABLE.matcher(def.option("table", "")).matches()) {
        throw new IllegalArgumentException(
            "option \"table\" must be schema.table in lower case (e.g. 'public.orders_copy'),"
                + " got '" + def.option("table", "") + "'");
      }
    }

    @Override
    public Connection connect(ConnectorDef def, int socketTimeoutS) throws SQLException {
      return PostgresSource.connect(def, socketTimeoutS);
    }

    @Override
    public String product(ConnectorDef def) {
      return "PostgreSQL";
    }

    @Override
    public String address(ConnectorDef def) {
      return PostgresSource.address(def);
    }

    @Override
    public List<String> columns(Connection c, String schema, String table) throws SQLException {
      return SinkDialect.names(c,
          "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
              + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?"
              + " AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped", schema, table);
    }

    @Override
    public List<String> primaryKey(Connection c, String schema, String table)
        throws SQLException {
      return SinkDialect.names(c,
          "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
              + " JOIN pg_namespace n ON n.oid = c.relnamespace"
              + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
              + " WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary", schema, table);
    }

    @Override
    public String createProgressTable(String name) {
      return "CREATE TABLE IF NOT EXISTS " + name
          + " (connector text PRIMARY KEY, position text NOT NULL)";
    }

    @Override
    public String quote(String identifier) {
      return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    @Override
    public String upsert(String table, List<String> columns, List<String> key) {
      List<String> nonKey = columns.stream().filter(n -> !key.contains(n)).toList();
      String onConflict = nonKey.isEmpty() ? "DO NOTHING" : "DO UPDATE SET " + nonKey.stream()
          .map(n -> quote(n) + " = EXCLUDED." + quote(n)).collect(Collectors.joining(", "));
      return "INSERT INTO " + table + " (" + list(columns) + ") VALUES ("
          + columns.stream().map(n -> "?").collect(Collectors.joining(", ")) + ") ON CONFLICT ("
          + list(key) + ") " + onConflict;
    }

    @Override
    public void bind(PreparedStatement ps, int i, ColumnDef col, Object v) throws SQLException {
      if (v == null) {
        ps.setNull(i, Types.OTHER);
      } else if (col.type() == io.ordo.sql.SqlType.JSONB) {
        ps.setObject(i, v.toString(), Types.OTHER);
      } else {
        SinkDialect.bindCommon(ps, i, col, v);
      }
    }
  };

  /**
   * Creates the target table when it does not exist (FROM STREAM and FROM VIEW sinks): {@code
   * table}'s columns, same names and order, types as {@link #targetType}, NOT NULL as in Ordo,
   * primary key {@code table}'s. An existing table is left as it is ({@link JdbcSink#checkTarget}
   * then checks it).
   *
   * @throws IllegalStateException with the reason when the target cannot be reached or the
   *     statement fails
   */
  static void createTargetIfAbsent(ConnectorDef def, TableDef table) {
    StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS ")
        .append(def.option("table", "")).append(" (");
    for (ColumnDef col : table.columns()) {
      ddl.append(DIALECT.quote(col.name())).append(' ').append(targetType(col))
          .append(col.notNull() || table.primaryKey().contains(col.name()) ? " NOT NULL" : "")
          .append(", ");
    }
    ddl.append("PRIMARY KEY (").append(table.primaryKey().stream().map(DIALECT::quote)
        .collect(Collectors.joining(", "))).append("))");
    try (Connection c = JdbcSink.connect(def); Statement s = c.createStatement()) {
      s.setQueryTimeout(JdbcSink.QUERY_TIMEOUT_S);
      s.execute(ddl.toString());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the target table "
          + def.option("table", "") + " at " + PostgresSource.address(def) + ": "
          + e.getMessage(), e);
    }
  }

  /** The PostgreSQL type of a target column made for the Ordo column {@code col}. */
  static String targetType(ColumnDef col) {
    return switch (col.type()) {
      case DECIMAL -> col.precision() > 0
          ? "numeric(" + col.precision() + ", " + Math.max(0, col.scale()) + ")" : "numeric";
      case VARCHAR -> col.precision() > 0 ? "varchar(" + col.precision() + ")" : "varchar";
      default -> col.type().sqlName();
    };
  }
}
