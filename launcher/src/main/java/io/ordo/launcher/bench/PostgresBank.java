package io.ordo.launcher.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The PostgreSQL baseline: the accounts table and the transfer as one SERIALIZABLE transaction.
 *
 * <p>Table {@code <table>(id bigint primary key, balance bigint not null)}, dropped and recreated
 * by {@link #recreate}. A transfer is {@link SqlTransferClient}'s transaction (2 point reads, the
 * sufficient-funds check, 2 updates, COMMIT; serialization failures 40001 and deadlocks 40P01
 * retried), the same statements the Ordo SQL target runs.
 */
public final class PostgresBank {
  /** Table names the harness accepts: lower-case SQL identifiers, so no quoting is needed. */
  private static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final String url;
  private final String user;
  private final String table;

  /**
   * @param url JDBC URL, e.g. {@code jdbc:postgresql://127.0.0.1:5432/test}
   * @param user database user (trust auth: no password is sent)
   * @param table table name, a lower-case identifier of at most 63 characters
   * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL or the name is bad
   */
  public PostgresBank(String url, String user, String table) {
    this.url = Objects.requireNonNull(url, "url");
    this.user = Objects.requireNonNull(user, "user");
    this.table = Objects.requireNonNull(table, "table");
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL must start with jdbc:postgresql:, got " + url);
    }
    checkTableName(table);
  }

  /**
   * Checks a table name of the SQL targets: a lower-case SQL identifier of at most 63 characters,
   * so that it needs no quoting in PostgreSQL or Ordo.
   *
   * @throws IllegalArgumentException naming the pattern if it is not one
   */
  public static void checkTableName(String table) {
    if (!TABLE_NAME.matcher(table).matches()) {
      throw new IllegalArgumentException(
          "the table name must match " + TABLE_NAME.pattern() + ", got " + table);
    }
  }

  /** The JDBC URL. */
  public String url() {
    return url;
  }

  /** The table name. */
  public String table() {
    return table;
  }

  /**
   * Opens a connection (autocommit off, SERIALIZABLE).
   *
   * @throws SQLException if the server is unreachable or refuses the user
   */
  public Connection connect() throws SQLException {
    Connection c = open(url, user);
    c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
    return c;
  }

  /**
   * A pgjdbc connection of the bench with autocommit off (PostgreSQL's, or Ordo's PostgreSQL
   * port's): every wait on the server is bounded, so that a stuck server ends a client as an
   * error.
   *
   * @throws SQLException if the server is unreachable or refuses the user
   */
  static Connection open(String url, String user) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "60");
    props.setProperty("ApplicationName", "ordo-bench");
    Connection c = DriverManager.getConnection(url, props);
    c.setAutoCommit(false);
    return c;
  }

  /**
   * Drops and recreates the table with {@code accounts} rows {@code (i, initialBalance)}, then
   * analyzes it.
   *
   * @throws SQLException on any database error
   */
  public void recreate(int accounts, long initialBalance) throws SQLException {
    try (Connection c = connect()) {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + table);
        s.execute("CREATE TABLE " + table
            + " (id bigint PRIMARY KEY, balance bigint NOT NULL)");
      }
      try (PreparedStatement p = c.prepareStatement("INSERT INTO " + table
          + " (id, balance) SELECT g, ? FROM generate_series(0, ?) AS g")) {
        p.setLong(1, initialBalance);
        p.setInt(2, accounts - 1);
        p.executeUpdate();
      }
      try (Statement s = c.createStatement()) {
        s.execute("VACUUM ANALYZE " + table);
      }
    }
  }

  /**
   * The table's totals in one SERIALIZABLE read.
   *
   * @param rows number of rows
   * @param total sum of the balances
   * @param negative rows with a balance below 0
   */
  public record Totals(long rows, long total, long negative) {}

  /**
   * Reads the totals of the table in one transaction.
   *
   * @throws SQLException on any database error
   */
  public Totals totals() throws SQLException {
    return queryOneRow(
        "SELECT count(*), coalesce(sum(balance), 0), count(*) FILTER (WHERE balance < 0) FROM " + table,
        rs -> new Totals(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
  }

  /**
   * The pid of the PostgreSQL postmaster as seen from this process, for CPU accounting: the parent
   * of the backend serving a new connection, looked up while that connection is open (the backend
   * exits with it). Empty when the server's processes are not visible here ({@link
   * CpuMeter#postmasterOf}).
   *
   * @throws SQLException on any database error
   */
  public java.util.OptionalInt postmasterPid() throws SQLException {
    return queryOneRow("SELECT pg_backend_pid()", rs -> CpuMeter.postmasterOf(rs.getInt(1)));
  }

  /**
   * How many more client connections the server would accept now: {@code max_connections} less
   * the superuser-reserved ones and the client backends already connected (this query's own
   * connection excluded, it closes on return).
   *
   * @throws SQLException on any database error
   */
  public int connectionsAvailable() throws SQLException {
    return queryOneRow("SELECT current_setting('max_connections')::int"
        + " - current_setting('superuser_reserved_connections')::int"
        + " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int"
        + " + 1", rs -> rs.getInt(1));
  }

  /**
   * The server's version string, e.g. {@code PostgreSQL 15.20 (Debian ...)}.
   *
   * @throws SQLException on any database error
   */
  public String serverVersion() throws SQLException {
    return queryOneRow("SELECT version()", rs -> rs.getString(1));
  }

  /** Reads a value from the current row of a result set. */
  @FunctionalInterface
  private interface RowReader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** Runs {@code sql}, which returns one row, on a new connection and reads that row. */
  private <T> T queryOneRow(String sql, RowReader<T> reader) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      T value = reader.read(rs);
      c.commit();
      return value;
    }
  }

  /**
   * A new client over its own connection, running {@link SqlTransferClient}'s transaction.
   *
   * @throws SQLException if the connection cannot be opened
   */
  public TransferClient newClient() throws SQLException {
    return clientOn(connect(), table);
  }

  /**
   * A {@link SqlTransferClient} over {@code c} on {@code table}; closes {@code c} if it cannot be
   * made.
   *
   * @throws SQLException if the client cannot be made
   */
  static TransferClient clientOn(Connection c, String table) throws SQLException {
    try {
      return new SqlTransferClient(c, table);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }
}
