package io.ordo.sql;

import java.util.List;

/**
 * One client's SQL session (a PostgreSQL connection, a REST request, an {@code ordo sql} shell):
 * its transaction block and its read-your-writes position. Not thread-safe: one statement at a
 * time, except {@link #cancel}, which any thread may call.
 */
public interface SqlSession extends AutoCloseable {
  /**
   * Parses one or more statements separated by semicolons; nothing runs. An empty string gives
   * an empty list.
   *
   * @param declaredParamTypes parameter types the client declared, by position (missing or
   *     {@link SqlType#UNKNOWN} entries are inferred)
   * @throws SqlException 42601 with the position of a syntax error; 54000 when the text exceeds
   *     the statement size limit
   */
  List<SqlStatement> prepare(String sql, List<SqlType> declaredParamTypes) throws SqlException;

  /** The transaction state after the last statement. */
  TxnState txnState();

  /**
   * Asks the running statement, if any, to stop: it fails with 57014 (query_canceled) unless it
   * has already committed. Thread-safe; no effect when nothing runs.
   */
  void cancel();

  /** Ends the session; an open transaction block is rolled back (nothing of it is written). */
  @Override
  void close();

  /**
   * Applies one batch of a materialized view's job as one transaction with the view's progress
   * (ARCHITECTURE.md "Materialized views"). Needs ADMIN access (42501).
   *
   * @throws SqlException 42P01 no such view (or another id), 22P02 a malformed position, 22023 /
   *     22003 / 42804 a row that does not fit, 54000 over the transaction's operation limit,
   *     40001 the progress kept changing
   */
  default ViewBatch.Result applyView(ViewBatch batch) throws SqlException {
    throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED, "this engine has no materialized views");
  }
}
