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
}
