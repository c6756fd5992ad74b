package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The PostgreSQL baseline: the accounts table and the transfer as one SERIALIZABLE transaction.
 *
 * <p>Table {@code <table>(id int primary key, balance bigint not null)}, dropped and recreated by
 * {@link #recreate}. A transfer (see {@link Client#execute}) is {@code SELECT id, balance ... WHERE
 * id IN (debtor, creditor)} (2 reads), the sufficient-funds check in the client (rollback with
 * {@link TransferClient#INSUFFICIENT_FUNDS} when the debtor holds less than the amount), then two
 * {@code UPDATE}s (2 writes) and {@code COMMIT}. A serialization failure (SQLSTATE 40001) or a
 * deadlock (40P01) rolls back and retries the same transfer at once, counted per SQLSTATE, up to
 * {@value #RETRIES_MAX} times; any other SQL error is reported as error {@code SQL_<state>}.
 */
public final class PostgresBank {
  /** Upper bound on retries of one transfer, so that a livelock ends as an error. */
  public static final int RETRIES_MAX = 10_000;

  /** SQLSTATE of a serialization failure. */
  public static final String SERIALIZATION_FAILURE = "40001";

  /** SQLSTATE of a detected deadlock. */
  public static final String DEADLOCK_DETECTED = "40P01";

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
    Properties props = new Properties();
    props.setProperty("user", user);
    // Bounds every wait on the server, so that a stuck server ends a client as an error.
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "60");
    props.setProperty("ApplicationName", "ordo-bench");
    Connection c = DriverManager.getConnection(url, props);
    c.setAutoCommit(false);
    c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
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
            + " (id integer PRIMARY KEY, balance bigint NOT NULL)");
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
   * A new client over its own connection.
   *
   * @throws SQLException if the connection cannot be opened
   */
  public Client newClient() throws SQLException {
    return new Client(connect());
  }

  /** One connection running transfers; used by one thread. */
  public final class Client implements TransferClient {
    private final Connection connection;
    private final PreparedStatement select;
    private final PreparedStatement debit;
    private final PreparedStatement credit;

    private Client(Connection connection) throws SQLException {
      this.connection = connection;
      this.select = connection.prepareStatement(
          "SELECT id, balance FROM " + table + " WHERE id IN (?, ?)");
      this.debit = connection.prepareStatement(
          "UPDATE " + table + " SET balance = balance - ? WHERE id = ?");
      this.credit = connection.prepareStatement(
          "UPDATE " + table + " SET balance = balance + ? WHERE id = ?");
    }

    @Override
    public Attempt execute(TransferWorkload.Transfer t) {
      Map<String, Integer> retries = new HashMap<>();
      for (int attempt = 0; ; attempt++) {
        try {
          boolean committed = runOnce(t);
          return new Attempt(committed, committed ? null : INSUFFICIENT_FUNDS, null,
              Map.copyOf(retries));
        } catch (SQLException e) {
          rollbackQuietly();
          String state = e.getSQLState() == null ? "unknown" : e.getSQLState();
          boolean retryable =
              state.equals(SERIALIZATION_FAILURE) || state.equals(DEADLOCK_DETECTED);
          if (!retryable || attempt >= RETRIES_MAX) {
            return new Attempt(false, null,
                retryable ? "SQL_RETRIES_EXHAUSTED" : "SQL_" + state, Map.copyOf(retries));
          }
          retries.merge(state, 1, Integer::sum);
        }
      }
    }

    /** One try: true if committed, false if rolled back for insufficient funds. */
    private boolean runOnce(TransferWorkload.Transfer t) throws SQLException {
      select.setInt(1, t.debtor());
      select.setInt(2, t.creditor());
      long debtorBalance = Long.MIN_VALUE;
      int rows = 0;
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          rows++;
          if (rs.getInt(1) == t.debtor()) {
            debtorBalance = rs.getLong(2);
          }
        }
      }
      if (rows != 2) {
        throw new SQLException("expected accounts " + t.debtor() + " and " + t.creditor()
            + " to exist, found " + rows + " rows", "02000");
      }
      if (debtorBalance < t.amount()) {
        connection.rollback();
        return false;
      }
      debit.setLong(1, t.amount());
      debit.setInt(2, t.debtor());
      debit.executeUpdate();
      credit.setLong(1, t.amount());
      credit.setInt(2, t.creditor());
      credit.executeUpdate();
      connection.commit();
      return true;
    }

    private void rollbackQuietly() {
      try {
        connection.rollback();
      } catch (SQLException ignored) {
        // The connection is broken; the next statement reports it.
      }
    }

    @Override
    public void close() {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Closing a broken connection: nothing left to release.
      }
    }
  }
}
