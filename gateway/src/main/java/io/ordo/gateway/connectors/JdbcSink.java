package io.ordo.gateway.connectors;

import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A sink's writes to a SQL database over JDBC, the same for every target kind; what differs
 * (options, catalog queries, the upsert's syntax, binding) is its {@link SinkDialect}
 * ({@link PostgresSink}, {@link MySqlSink}).
 *
 * <p>Options: {@code host} (required), {@code port} (the kind's), {@code database} (PostgreSQL:
 * required), {@code user} (required), {@code password} (empty), {@code table} (required: the
 * target table, {@code schema.table} in PostgreSQL, {@code database.table} in MySQL; it must
 * exist with every column of the Ordo table, same names, and a primary key on the Ordo table's
 * primary key columns).
 *
 * <p><b>Progress table.</b> {@code <schema or database>.ordo_sink_progress(connector PRIMARY KEY,
 * position NOT NULL)}, next to the target table, made by CREATE if missing: one row per sink,
 * keyed {@code <connector name>/<connector id>}, holding the push-query position after which the
 * next change comes. It is written in the same transaction as the rows it covers.
 *
 * <p>Stateless apart from {@link Writer}; JDBC calls bounded by {@link
 * PostgresSource#CONNECT_TIMEOUT_S} s to connect and {@value #QUERY_TIMEOUT_S} s per statement.
 */
final class JdbcSink {
  static final int QUERY_TIMEOUT_S = 30;
  static final String PROGRESS_TABLE = "ordo_sink_progress";

  private JdbcSink() {}

  /**
   * Checks the options (without connecting).
   *
   * @throws IllegalArgumentException naming the bad option
   */
  static void checkOptions(ConnectorDef def) {
    SinkDialect.of(def).checkOptions(def);
  }

  /**
   * Connects and checks the target table: it exists, has every column of {@code table} and a
   * primary key of exactly {@code table}'s key columns; then makes the progress table if missing.
   *
   * @throws IllegalStateException with the reason
   */
  static void checkTarget(ConnectorDef def, TableDef table) {
    SinkDialect d = SinkDialect.of(def);
    String[] target = def.option("table", "").split("\\.", 2);
    try (Connection c = connect(def)) {
      List<String> columns = d.columns(c, target[0], target[1]);
      if (columns.isEmpty()) {
        throw new IllegalStateException("the target table " + def.option("table", "")
            + " does not exist at " + d.address(def) + "; create it with the columns of table \""
            + table.name() + "\"");
      }
      List<String> missing = table.columns().stream().map(ColumnDef::name)
          .filter(n -> !columns.contains(n)).toList();
      if (!missing.isEmpty()) {
        throw new IllegalStateException("the target table " + def.option("table", "")
            + " lacks the columns " + missing + " of table \"" + table.name() + "\"");
      }
      List<String> key = d.primaryKey(c, target[0], target[1]);
      if (!new TreeSet<>(key).equals(new TreeSet<>(table.primaryKey()))) {
        throw new IllegalStateException("the target table " + def.option("table", "")
            + " needs the primary key " + table.primaryKey() + " (that of table \"" + table.name()
            + "\"; it has " + (key.isEmpty() ? "none" : new TreeSet<>(key)) + "): the sink"
            + " writes upserts and deletes by it");
      }
      try (Statement s = c.createStatement()) {
        s.setQueryTimeout(QUERY_TIMEOUT_S);
        s.execute(d.createProgressTable(progressTable(def)));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot reach " + d.product(def) + " at "
          + d.address(def) + ": " + e.getMessage(), e);
    }
  }

  private static String q(ConnectorDef def, String identifier) {
    return SinkDialect.of(def).quote(identifier);
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
        "SELECT " + q(def, "position") + " FROM " + progressTable(def) + " WHERE "
            + q(def, "connector") + " = ?")) {
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
            "DELETE FROM " + progressTable(def) + " WHERE " + q(def, "connector") + " = ?")) {
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
    return SinkDialect.of(def).connect(def, QUERY_TIMEOUT_S + 5);
  }

  /**
   * Writes batches of an Ordo table's changes to the target over one connection: each {@link
   * #apply} is ONE transaction holding the rows' upserts and deletes and the progress row.
   * Not thread-safe.
   */
  static final class Writer implements SinkWriter {
    private final ConnectorDef def;
    private final TableDef table;
    private final SinkDialect dialect;
    private final Connection c;
    private final PreparedStatement upsert;
    private final PreparedStatement delete;
    private final PreparedStatement progress;

    /** @throws SQLException when the target cannot be reached or the statements prepared */
    Writer(ConnectorDef def, TableDef table) throws SQLException {
      this.def = def;
      this.table = table;
      this.dialect = SinkDialect.of(def);
      this.c = connect(def);
      try {
        c.setAutoCommit(false);
        String target = def.option("table", "");
        List<String> columns = table.columns().stream().map(ColumnDef::name).toList();
        upsert = c.prepareStatement(dialect.upsert(target, columns, table.primaryKey()));
        delete = c.prepareStatement("DELETE FROM " + target + " WHERE " + table.primaryKey()
            .stream().map(k -> dialect.quote(k) + " = ?").collect(Collectors.joining(" AND ")));
        progress = c.prepareStatement(dialect.upsert(progressTable(def),
            List.of("connector", "position"), List.of("connector")));
      } catch (SQLException | RuntimeException e) {
        c.close();
        throw e;
      }
    }

    /** The position stored for this sink, if any. */
    @Override
    public Optional<String> storedPosition() throws SQLException {
      Optional<String> p = JdbcSink.storedPosition(c, def);
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
                dialect.bind(upsert, i + 1, table.columns().get(i), ch.get(i + 1));
              }
              upsert.executeUpdate();
            }
            case "delete" -> {
              int i = 1;
              for (ColumnDef k : table.primaryKeyColumns()) {
                dialect.bind(delete, i++, k, ch.get(1 + table.columns().indexOf(k)));
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

    @Override
    public void close() {
      try {
        c.close();
      } catch (SQLException e) {
        // closing: nothing to do
      }
    }
  }

}
