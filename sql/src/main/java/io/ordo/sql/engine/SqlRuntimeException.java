package io.ordo.sql.engine;

import io.ordo.sql.SqlException;

/** Carries a {@link SqlException} out of Calcite's generated code (which cannot throw it). */
final class SqlRuntimeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SqlRuntimeException(SqlException cause) {
    super(cause.getMessage(), cause);
  }

  SqlException sqlException() {
    return (SqlException) getCause();
  }
}
