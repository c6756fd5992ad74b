package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A transfer as one interactive SQL transaction over a JDBC connection, the same statements for
 * every SQL store (PostgreSQL through {@link PostgresBank}, Ordo's PostgreSQL port through {@link
 * OrdoSqlBank}), so that the SQL targets do the same work per transfer.
 *
 * <p>One try, on a connection with autocommit off: {@code SELECT balance FROM <table> WHERE id =
 * ?} for the debtor, then for the creditor (2 point reads; a primary-key equality is one point
 * read in both stores, which an {@code IN} list is not in Ordo), the sufficient-funds check in the
 * client ({@code ROLLBACK}, outcome {@link TransferClient#INSUFFICIENT_FUNDS}, when the debtor
 * holds less than the amount), {@code UPDATE <table> SET balance = balance - ? WHERE id = ?} for
 * the debtor, {@code UPDATE ... balance + ? ...} for the creditor (2 writes) and {@code COMMIT}.
 *
 * <p>A serialization failure (SQLSTATE {@value #SERIALIZATION_FAILURE}, PostgreSQL SERIALIZABLE
 * or an Ordo COMMIT whose reads changed) or a detected deadlock ({@value #DEADLOCK_DETECTED}) rolls
 * back and retries the same transfer at once, counted per SQLSTATE in {@link Attempt#retries}, up
 * to {@value #RETRIES_MAX} times (then error {@code SQL_RETRIES_EXHAUSTED}, so that a livelock
 * ends); any other SQL error ends the transfer as error {@code SQL_<sqlstate>}. A missing account
 * is error {@code SQL_02000}.
 */
public final class SqlTransferClient implements TransferClient {
  /** Upper bound on retries of one transfer, so that a livelock ends as an error. */
  public static final int RETRIES_MAX = 10_000;

  /** SQLSTATE of a serialization failure. */
  public static final String SERIALIZATION_FAILURE = "40001";

  /** SQLSTATE of a detected deadlock. */
  public static final String DEADLOCK_DETECTED = "40P01";

  /** SQLSTATE of "no data", used for a transfer naming an account that does not exist. */
  static final String NO_DATA = "02000";

  private final Connection connection;
  private final PreparedStatement select;
  private final PreparedStatement debit;
  private final PreparedStatement credit;

  /**
   * Prepares the statements on {@code connection}, which this client then owns (closed by {@link
   * #close}).
   *
   * @param connection an open connection with autocommit off
   * @param table the accounts table {@code (id bigint primary key, balance bigint not null)}, an
   *     identifier that needs no quoting (the banks check it)
   * @throws SQLException if a statement cannot be prepared or autocommit is on
   */
  SqlTransferClient(Connection connection, String table) throws SQLException {
    this.connection = Objects.requireNonNull(connection, "connection");
    if (connection.getAutoCommit()) {
      throw new SQLException("a transfer client needs a connection with autocommit off");
    }
    this.select = connection.prepareStatement("SELECT balance FROM " + table + " WHERE id = ?");
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
    long debtorBalance = balanceOf(t.debtor());
    balanceOf(t.creditor());
    if (debtorBalance < t.amount()) {
      connection.rollback();
      return false;
    }
    debit.setLong(1, t.amount());
    debit.setLong(2, t.debtor());
    expectOneRow(debit.executeUpdate(), t.debtor());
    credit.setLong(1, t.amount());
    credit.setLong(2, t.creditor());
    expectOneRow(credit.executeUpdate(), t.creditor());
    connection.commit();
    return true;
  }

  /** The balance of {@code account}; SQLSTATE {@value #NO_DATA} if it does not exist. */
  private long balanceOf(int account) throws SQLException {
    select.setLong(1, account);
    try (ResultSet rs = select.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("account " + account + " does not exist", NO_DATA);
      }
      return rs.getLong(1);
    }
  }

  private static void expectOneRow(int rows, int account) throws SQLException {
    if (rows != 1) {
      throw new SQLException(
          "updating account " + account + " changed " + rows + " rows, expected 1", NO_DATA);
    }
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
