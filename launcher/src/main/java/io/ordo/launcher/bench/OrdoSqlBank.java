package io.ordo.launcher.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

/**
 * The Ordo SQL target: the accounts as a SQL table of Ordo, reached through pgjdbc on a gateway's
 * PostgreSQL wire protocol port, and the transfer as one interactive SQL transaction ({@link
 * SqlTransferClient}: the same statements as the PostgreSQL baseline). Ordo runs each {@code BEGIN
 * ... COMMIT} block as one Ordo transaction: its reads come from a snapshot, its COMMIT asserts
 * them, and a changed read fails the COMMIT with SQLSTATE 40001, which the client retries.
 *
 * <p>Table {@code <table>(id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)}, dropped (if it
 * exists) and recreated by {@link #recreate}, loaded with multi-row {@code INSERT}s of at most
 * {@link #LOAD_ROWS_MAX} rows, each its own (autocommit) transaction.
 */
public final class OrdoSqlBank {
  /**
   * Upper bound on rows per loading INSERT: each row is an insert assert and a put of one Ordo
   * transaction, which the gateway bounds by its operations per transaction.
   */
  public static final int LOAD_ROWS_MAX = 1_000;

  private final String url;
  private final String user;
  private final String table;

  /**
   * @param url JDBC URL of an Ordo gateway's PostgreSQL port, e.g. {@code
   *     jdbc:postgresql://127.0.0.1:6566/ordo}
   * @param user session user (no password is sent)
   * @param table table name, a lower-case identifier of at most 63 characters
   * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL or the name is bad
   */
  public OrdoSqlBank(String url, String user, String table) {
    this.url = Objects.requireNonNull(url, "url");
    this.user = Objects.requireNonNull(user, "user");
    this.table = Objects.requireNonNull(table, "table");
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "the Ordo SQL URL must start with jdbc:postgresql:, got " + url);
    }
    PostgresBank.checkTableName(table);
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
   * Opens a connection with autocommit off (Ordo's transactions are serializable; no isolation
   * level is set).
   *
   * @throws SQLException if the port is unreachable or refuses the session
   */
  public Connection connect() throws SQLException {
    return PostgresBank.open(url, user);
  }

  /**
   * Drops the table if it exists, creates it and loads {@code accounts} rows {@code (i,
   * initialBalance)}, i in [0, accounts), in INSERTs of {@code min(batchSize, LOAD_ROWS_MAX)} rows.
   *
   * @param batchSize rows per INSERT, >= 1
   * @throws SQLException on any database error
   * @throws IllegalArgumentException if {@code accounts < 0} or {@code batchSize < 1}
   */
  public void recreate(int accounts, long initialBalance, int batchSize) throws SQLException {
    if (accounts < 0 || batchSize < 1) {
      throw new IllegalArgumentException(
          "accounts must be >= 0 and batch size >= 1, got " + accounts + ", " + batchSize);
    }
    int rowsPerInsert = Math.min(batchSize, LOAD_ROWS_MAX);
    try (Connection c = connect()) {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + table);
        s.execute("CREATE TABLE " + table
            + " (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
        for (int from = 0; from < accounts; from += rowsPerInsert) {
          int to = Math.min(accounts, from + rowsPerInsert);
          // Integer literals generated here: nothing from outside reaches the text.
          StringBuilder sql = new StringBuilder(32 + (to - from) * 24)
              .append("INSERT INTO ").append(table).append(" (id, balance) VALUES ");
          for (int i = from; i < to; i++) {
            sql.append(i == from ? "" : ", ").append('(').append(i).append(", ")
                .append(initialBalance).append(')');
          }
          int rows = s.executeUpdate(sql.toString());
          if (rows != to - from) {
            throw new SQLException("loading accounts " + from + ".." + (to - 1) + " inserted "
                + rows + " rows");
          }
        }
      }
    }
  }

  /**
   * Reads the table's totals in one statement: rows, sum of the balances and rows with a negative
   * balance. The statement runs in autocommit, so Ordo reads it at a fresh snapshot (every
   * transaction committed before it began); a block would read an older snapshot and fail its
   * COMMIT with 40001 when any row changed since.
   *
   * @throws SQLException on any database error
   */
  public PostgresBank.Totals totals() throws SQLException {
    try (Connection c = connect()) {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*), coalesce(sum(balance), 0),"
              + " coalesce(sum(CASE WHEN balance < 0 THEN 1 ELSE 0 END), 0) FROM " + table)) {
        rs.next();
        return new PostgresBank.Totals(rs.getLong(1), rs.getLong(2), rs.getLong(3));
      }
    }
  }

  /**
   * A new client over its own connection.
   *
   * @throws SQLException if the connection cannot be opened
   */
  public TransferClient newClient() throws SQLException {
    return PostgresBank.clientOn(connect(), table);
  }
}
