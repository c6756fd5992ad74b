package io.ordo.sql.logictest;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A SQL engine a sqllogictest file runs against: one session, used by one thread. Implementations
 * bound each statement's run time and the rows they return.
 */
interface Target extends AutoCloseable {
  /** The engine's name as {@code skipif}/{@code onlyif} lines spell it. */
  String engine();

  /**
   * Runs SQL text (one statement, or several separated by semicolons: the last one's result
   * counts).
   *
   * @return the result, values in the Java shapes of {@link io.ordo.sql.SqlType}
   * @throws TargetException when the engine reports an error, with its SQLSTATE, or when the
   *     statement runs longer than the target's time limit (57014) or returns more rows than its
   *     row limit (54000)
   */
  Outcome execute(String sql) throws TargetException;

  @Override
  void close();

  /**
   * What a statement returned.
   *
   * @param columns the number of result columns (0 for statements without rows)
   * @param rows the rows, each with {@code columns} values
   * @param affected the row count of the command tag ({@code INSERT 0 n}, {@code UPDATE n},
   *     {@code DELETE n}, {@code SELECT n}), when it has one
   */
  record Outcome(int columns, List<List<Object>> rows, OptionalLong affected) {
    public Outcome {
      Objects.requireNonNull(rows, "rows");
      Objects.requireNonNull(affected, "affected");
    }
  }

  /** A statement failed: its five-character SQLSTATE and the engine's message. */
  final class TargetException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String sqlState;

    TargetException(String sqlState, String message, Throwable cause) {
      super(message, cause);
      this.sqlState = sqlState == null ? "" : sqlState;
    }

    /** The SQLSTATE, or "" when the engine gave none. */
    String sqlState() {
      return sqlState;
    }
  }
}
