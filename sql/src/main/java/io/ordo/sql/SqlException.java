package io.ordo.sql;

import java.util.Objects;

/**
 * A statement failed: a SQLSTATE ({@link SqlState}), a message for people and, for errors located
 * in the statement text, a 1-based character position into it (0 = none), as PostgreSQL's
 * ErrorResponse fields C, M and P. Nothing the statement would have written is written.
 */
public class SqlException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String sqlState;
  private final int position;

  public SqlException(String sqlState, String message) {
    this(sqlState, message, 0, null);
  }

  public SqlException(String sqlState, String message, int position) {
    this(sqlState, message, position, null);
  }

  public SqlException(String sqlState, String message, int position, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.sqlState = Objects.requireNonNull(sqlState, "sqlState");
    if (sqlState.length() != 5) {
      throw new IllegalArgumentException("SQLSTATE must be 5 characters, got '" + sqlState + "'");
    }
    this.position = Math.max(0, position);
  }

  /** The five-character SQLSTATE. */
  public String sqlState() {
    return sqlState;
  }

  /** 1-based character position in the statement text, 0 when the error has none. */
  public int position() {
    return position;
  }
}
