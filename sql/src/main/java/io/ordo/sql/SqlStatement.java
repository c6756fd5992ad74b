package io.ordo.sql;

import java.util.List;
import java.util.Optional;

/**
 * One parsed statement of a session, ready to run any number of times (the extended query
 * protocol's prepared statement; the simple query protocol prepares and runs once).
 */
public interface SqlStatement {
  /** This statement's text (one statement, without the separating semicolon). */
  String sql();

  /**
   * The types of its parameters {@code $1..$n} (or {@code ?}), in order: the declared type when
   * the client gave one, else the type the statement implies, else {@link SqlType#UNKNOWN}.
   */
  List<SqlType> parameterTypes();

  /**
   * How many parameters it has ({@code n} of {@code $1..$n}): {@code parameterTypes().size()},
   * without planning the statement to infer their types (a caller that only checks the count of
   * the values it was given need not pay for planning).
   */
  default int parameterCount() {
    return parameterTypes().size();
  }

  /**
   * The access a session needs to run this statement ({@link SqlAccess}); statements that do not
   * say need {@link SqlAccess#ADMIN}, so an unclassified statement is never let through.
   */
  default SqlAccess access() {
    return SqlAccess.ADMIN;
  }

  /** The columns it returns, or empty when it returns no rows (DML, DDL, BEGIN...). */
  Optional<List<Column>> resultColumns();

  /**
   * Runs the statement in its session.
   *
   * @param params one value per parameter, with the Java shapes of {@link SqlType} or a {@link
   *     String} to be converted to the parameter's type (a client's text form), or null
   * @throws SqlException with its SQLSTATE when the statement fails; nothing it would have
   *     written is written, and inside a transaction block the block becomes {@link
   *     TxnState#FAILED}
   */
  StatementResult execute(List<Object> params) throws SqlException;

  /**
   * Whether this is a push query ({@code SELECT ... EMIT CHANGES}): it runs with {@link #push},
   * and {@link #execute} refuses it (0A000).
   */
  default boolean isPush() {
    return false;
  }

  /**
   * Runs a push query until it is cancelled ({@link SqlSession#cancel} or an interrupt of the
   * calling thread) or fails: every committed change of its table (or record of its stream) in
   * commit order, filtered and projected, to {@code sink}. It never ends on its own.
   *
   * @param params as for {@link #execute}
   * @throws SqlException 57014 when cancelled; 0A000 when this is not a push query or the query
   *     has a construct push queries do not support (the message names it); 42P01 for an unknown
   *     table or stream (or one dropped while the query runs); 22P02/22023/72000 for a start
   *     position or time that is malformed, in the future or older than the history kept;
   *     57P03 when the log or the store cannot be read
   */
  default void push(List<Object> params, PushSink sink) throws SqlException {
    throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED, "not a push query (SELECT ... EMIT CHANGES)");
  }
}
