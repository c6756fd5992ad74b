package io.ordo.gateway.connectors;

import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What is specific to a PostgreSQL sink: its options, the checks at CREATE, and the JDBC writes
 * (pgjdbc, prepared statements).
 *
 * <p>Options: {@code host} (required), {@code port} (5432), {@code database} (required), {@code
 * user} (required), {@code password} (empty), {@code table} (required, {@code schema.table} of the
 * target, which must exist with every column of the Ordo table, same names, and a primary key on
 * the Ordo table's primary key columns).
 *
 * <p><b>Progress table.</b> {@code <schema>.ordo_sink_progress(connector text primary key,
 * position text not null)}, in the target table's schema, made by CREATE if missing: one row per
 * sink, keyed {@code <connector name>/<connector id>}, holding the push-query position after
 * which the next change comes. It is written in the same transaction as the rows it covers.
 *
 * <p>Stateless apart from {@link Writer}; JDBC calls bounded by {@link
 * PostgresSource#CONNECT_TIMEOUT_S} s to connect and {@value #QUERY_TIMEOUT_S} s per statement.
 */
final class PostgresSink {
  static final Set<String> OPTIONS = Set.of("host", "port", "database", "user", "password", "table");
  static final int QUERY_TIMEOUT_S = 30;
  static final String PROGRESS_TABLE = "ordo_sink_progress";
  private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_$]*\\.[a-z_][a-z0-9_$]*");

  private PostgresSink() {}

  /**
   * Checks the options (without connecting).
   *
   * @throws IllegalArgumentException naming the bad option
   */
  static void checkOptions(ConnectorDef def) {
    for (String name : def.options().keySet()) {
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException("unknown option \"" + name
            + "\" for a postgresql sink; known: " + new TreeSet<>(OPTIONS));
      }
    }
    PostgresSource.checkConnection(def, "sink");
    if (!TABLE.matcher(def.option("table", "")).matches()) {
      throw new IllegalArgumentException(
          "option \"table\" must be schema.table in lower case (e.g. 'public.orders_copy'), got '"
              + def.option("table", "") + "'");
    }
  }

  /**
   * Connects and checks the target table: it exists, has every column of {@code table} and a
   * primary key of exactly {@code table}'s key columns; then makes the progress table if missing.
   *
   * @throws IllegalStateException with the reason
   */
  static void checkTarget(ConnectorDef def, TableDef table) {
    String[] target = def.option("table", "").split("\\.", 2);
    try (Connection c = connect(def)) {
      List<String> columns = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
              + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?"
              + " AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
        ps.setQueryTimeout(QUERY_TIMEOUT_S);
        ps.setString(1, target[0]);
        ps.setString(2, target[1]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(rs.getString(1));
          }
        }
      }
      if (columns.isEmpty()) {
        throw new IllegalStateException("the target table " + def.option("table", "")
            + " does not exist in database " + def.option("database", "") + " at "
            + PostgresSource.address(def) + "; create it with the columns of table \""
            + table.name() + "\"");
      }
      List<String> missing = table.columns().stream().map(ColumnDef::name)
          .filter(n -> !columns.contains(n)).toList();
      if (!missing.isEmpty()) {
        throw new IllegalStateException("the target table " + def.option("table", "")
            + " lacks the columns " + missing + " of table \"" + table.name() + "\"");
      }
      List<String> key = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
              + " JOIN pg_namespace n ON n.oid = c.relnamespace"
              + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
              + " WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary")) {
        ps.setQueryTimeout(QUERY_TIMEOUT_S);
        ps.setString(1, target[0]);
        ps.setString(2, target[1]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            key.add(rs.getString(1));
          }
        }
      }
      if (!new TreeSet<>(key).equals(new TreeSet<>(table.primaryKey()))) {
        throw new IllegalStateException("the target table " + def.option("table", "")
            + " needs the primary key " + table.primaryKey() + " (that of table \"" + table.name()
            + "\"; it has " + (key.isEmpty() ? "none" : new TreeSet<>(key)) + "): the sink"
            + " writes upserts and deletes by it");
      }
      try (Statement s = c.createStatement()) {
        s.setQueryTimeout(QUERY_TIMEOUT_S);
        s.execute("CREATE TABLE IF NOT EXISTS " + progressTable(def)
            + " (connector text PRIMARY KEY, position text NOT NULL)");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot reach PostgreSQL at " + PostgresSource.address(def)
          + ": " + e.getMessage(), e);
    }
  }

  static String progressTable(ConnectorDef def) {
    return def.option("table", "").split("\\.", 2)[0] + "." + PROGRESS_TABLE;
  }

  /** The progress row's key of {@code def}. */
  static String progressKey(ConnectorDef def) {
    return def.name() + "/" + def.connectorId();
  }

  /**
   * The stored position of {@code def} at the target, if any.
   *
   * @throws SQLException if the target cannot be asked
   */
  static Optional<String> storedPosition(ConnectorDef def) throws SQLException {
    try (Connection c = connect(def)) {
      return storedPosition(c, def);
    }
  }

  private static Optional<String> storedPosition(Connection c, ConnectorDef def)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT position FROM " + progressTable(def) + " WHERE connector = ?")) {
      ps.setQueryTimeout(QUERY_TIMEOUT_S);
      ps.setString(1, progressKey(def));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /** Deletes the progress row of a dropped sink (best effort: empty, or why not). */
  static Optional<String> release(ConnectorDef def) {
    try (Connection c = connect(def);
        PreparedStatement ps = c.prepareStatement(
            "DELETE FROM " + progressTable(def) + " WHERE connector = ?")) {
      ps.setQueryTimeout(QUERY_TIMEOUT_S);
      ps.setString(1, progressKey(def));
      ps.executeUpdate();
      return Optional.empty();
    } catch (SQLException e) {
      return Optional.of("the progress row '" + progressKey(def) + "' in " + progressTable(def)
          + " was not deleted: " + e.getMessage());
    }
  }

  static Connection connect(ConnectorDef def) throws SQLException {
    return PostgresSource.connect(def, QUERY_TIMEOUT_S + 5);
  }

  /**
   * Writes batches of an Ordo table's changes to the target over one connection: each {@link
   * #apply} is ONE transaction holding the rows' upserts and deletes and the progress row.
   * Not thread-safe.
   */
  static final class Writer implements SinkWriter {
    private final ConnectorDef def;
    private final TableDef table;
    private final Connection c;
    private final PreparedStatement upsert;
    private final PreparedStatement delete;
    private final PreparedStatement progress;

    /** @throws SQLException when the target cannot be reached or the statements prepared */
    Writer(ConnectorDef def, TableDef table) throws SQLException {
      this.def = def;
      this.table = table;
      this.c = connect(def);
      try {
        c.setAutoCommit(false);
        String target = def.option("table", "");
        String cols = table.columns().stream().map(col -> quote(col.name()))
            .collect(Collectors.joining(", "));
        String marks = table.columns().stream().map(col -> "?").collect(Collectors.joining(", "));
        String key = table.primaryKey().stream().map(PostgresSink::quote)
            .collect(Collectors.joining(", "));
        List<String> nonKey = table.columns().stream().map(ColumnDef::name)
            .filter(n -> !table.primaryKey().contains(n)).toList();
        String onConflict = nonKey.isEmpty() ? "DO NOTHING" : "DO UPDATE SET " + nonKey.stream()
            .map(n -> quote(n) + " = EXCLUDED." + quote(n)).collect(Collectors.joining(", "));
        upsert = c.prepareStatement("INSERT INTO " + target + " (" + cols + ") VALUES (" + marks
            + ") ON CONFLICT (" + key + ") " + onConflict);
        delete = c.prepareStatement("DELETE FROM " + target + " WHERE " + table.primaryKey()
            .stream().map(k -> quote(k) + " = ?").collect(Collectors.joining(" AND ")));
        progress = c.prepareStatement("INSERT INTO " + progressTable(def)
            + " (connector, position) VALUES (?, ?) ON CONFLICT (connector) DO UPDATE SET"
            + " position = EXCLUDED.position");
      } catch (SQLException | RuntimeException e) {
        c.close();
        throw e;
      }
    }

    /** The position stored for this sink, if any. */
    @Override
    public Optional<String> storedPosition() throws SQLException {
      Optional<String> p = PostgresSink.storedPosition(c, def);
      c.commit();
      return p;
    }

    /**
     * Applies {@code changes} and stores {@code position}, in one transaction: {@link #write}
     * then {@link #commit}.
     *
     * @throws SQLException when the transaction fails (then nothing of it is applied)
     */
    @Override
    public void apply(List<List<Object>> changes, String position) throws SQLException {
      write(changes);
      commit(position);
    }

    /**
     * Writes {@code changes} in the open transaction (each {@code [op, values...]} with the
     * table's columns in order: op {@code insert} or {@code update_after} upserts, {@code delete}
     * deletes by key, {@code update_before} writes nothing: its {@code update_after} carries the
     * row), in order.
     *
     * @throws SQLException when a statement fails (the transaction is rolled back)
     */
    @Override
    public void write(List<List<Object>> changes) throws SQLException {
      try {
        for (List<Object> ch : changes) {
          switch ((String) ch.get(0)) {
            case "insert", "update_after" -> {
              for (int i = 0; i < table.columns().size(); i++) {
                bind(upsert, i + 1, table.columns().get(i), ch.get(i + 1));
              }
              upsert.executeUpdate();
            }
            case "delete" -> {
              int i = 1;
              for (ColumnDef k : table.primaryKeyColumns()) {
                bind(delete, i++, k, ch.get(1 + table.columns().indexOf(k)));
              }
              delete.executeUpdate();
            }
            default -> { }
          }
        }
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly();
        throw e;
      }
    }

    /**
     * Stores {@code position} as this sink's progress and commits the open transaction.
     *
     * @throws SQLException when the commit fails (nothing of the transaction is applied)
     */
    @Override
    public void commit(String position) throws SQLException {
      try {
        progress.setString(1, progressKey(def));
        progress.setString(2, position);
        progress.executeUpdate();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly();
        throw e;
      }
    }

    private void rollbackQuietly() {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // The connection is gone: the transaction is gone with it.
      }
    }

    private static void bind(PreparedStatement ps, int i, ColumnDef col, Object v)
        throws SQLException {
      if (v == null) {
        ps.setNull(i, Types.OTHER);
        return;
      }
      switch (col.type()) {
        case JSONB -> ps.setObject(i, v.toString(), Types.OTHER);
        case TIMESTAMPTZ -> ps.setObject(i, (OffsetDateTime) v);
        case TIMESTAMP -> ps.setObject(i, (LocalDateTime) v);
        case DATE -> ps.setObject(i, (LocalDate) v);
        case DECIMAL -> ps.setBigDecimal(i, (BigDecimal) v);
        case BYTEA -> ps.setBytes(i, (byte[]) v);
        default -> ps.setObject(i, v);
      }
    }

    @Override
    public void close() {
      try {
        c.close();
      } catch (SQLException e) {
        // closing: nothing to do
      }
    }
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
