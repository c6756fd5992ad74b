package io.ordo.gateway.sql;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.ErrorFields;
import io.ordo.proto.SqlError;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;

/**
 * How a failed SQL statement is reported by the Sql service: as a gRPC status for Execute (code
 * by SQLSTATE, description {@code ERROR <SQLSTATE>: <message>}, trailers of {@link ErrorFields})
 * or as an {@link SqlError} in a Session response.
 *
 * <p>Codes by SQLSTATE (PostgreSQL's classes, Appendix A of its manual): 40001 ABORTED (a
 * serialization failure: retry); 57014 DEADLINE_EXCEEDED when the call's deadline had passed,
 * else CANCELLED; class 54 (program limit) and 53 (insufficient resources) RESOURCE_EXHAUSTED;
 * 72000 (snapshot too old) OUT_OF_RANGE; 08P01 (a malformed request) INVALID_ARGUMENT; 57P03 and
 * the rest of class 08 (connection) UNAVAILABLE; classes 42,
 * 22, 23, 0A, 25, 26, 34 and 2x in general (the statement or its data is wrong)
 * INVALID_ARGUMENT; XX000 and anything else INTERNAL.
 */
public final class SqlStatuses {
  private SqlStatuses() {}

  /**
   * The gRPC code of {@code sqlState}.
   *
   * @param deadlinePassed whether the call's deadline had passed (decides 57014)
   */
  public static Status.Code codeOf(String sqlState, boolean deadlinePassed) {
    if (sqlState.equals(SqlState.SERIALIZATION_FAILURE)) {
      return Status.Code.ABORTED;
    }
    if (sqlState.equals(SqlState.QUERY_CANCELED)) {
      return deadlinePassed ? Status.Code.DEADLINE_EXCEEDED : Status.Code.CANCELLED;
    }
    if (sqlState.equals(SqlState.SNAPSHOT_TOO_OLD)) {
      return Status.Code.OUT_OF_RANGE;
    }
    if (sqlState.equals(SqlState.UNAVAILABLE)) {
      return Status.Code.UNAVAILABLE;
    }
    if (sqlState.equals(SqlState.INSUFFICIENT_PRIVILEGE)) {
      return Status.Code.PERMISSION_DENIED; // the caller's permission does not cover it
    }
    if (sqlState.equals(SqlState.PROTOCOL_VIOLATION)) {
      return Status.Code.INVALID_ARGUMENT; // the request itself is malformed
    }
    String sqlClass = sqlState.substring(0, 2);
    return switch (sqlClass) {
      case "53", "54" -> Status.Code.RESOURCE_EXHAUSTED;
      case "08" -> Status.Code.UNAVAILABLE;
      case "0A", "42", "34", "26" -> Status.Code.INVALID_ARGUMENT;
      default ->
          sqlClass.charAt(0) == '2' ? Status.Code.INVALID_ARGUMENT : Status.Code.INTERNAL;
    };
  }

  /** {@code ERROR <SQLSTATE>: <message>}, as psql prints an error. */
  public static String describe(SqlException e) {
    return "ERROR " + e.sqlState() + ": " + e.getMessage();
  }

  /**
   * The status of a failed Execute request.
   *
   * @param position the error's position in the request's text (0 = none)
   * @param deadlinePassed whether the call's deadline had passed
   */
  public static StatusRuntimeException toStatus(SqlException e, int position, boolean deadlinePassed) {
    return Status.fromCode(codeOf(e.sqlState(), deadlinePassed))
        .withDescription(describe(e))
        .asRuntimeException(ErrorFields.sqlTrailers(e.sqlState(), position));
  }

  /** The error of a failed Session request. */
  public static SqlError toError(SqlException e, int position) {
    return SqlError.newBuilder()
        .setSqlstate(e.sqlState())
        .setMessage(e.getMessage())
        .setPosition(Math.max(0, position))
        .build();
  }

  /**
   * A failure of the engine that is not an {@link SqlException} (a bug, or a part of the gateway
   * that is down) as one: XX000 with the failure's description.
   */
  public static SqlException internal(RuntimeException e) {
    return new SqlException(SqlState.INTERNAL_ERROR, "internal error: " + e, 0, e);
  }
}
