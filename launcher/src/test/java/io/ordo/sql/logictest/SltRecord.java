package io.ordo.sql.logictest;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One record of a sqllogictest file, with the 1-based line it starts on and the engines it is
 * restricted to by the {@code skipif}/{@code onlyif} lines before it.
 */
sealed interface SltRecord {
  /** The 1-based line of the record's first line (after its conditions). */
  int line();

  /** The {@code skipif}/{@code onlyif} lines that precede the record, in file order. */
  List<Condition> conditions();

  /** Whether the record runs on the engine with this name ({@code ordo}, {@code postgresql}). */
  default boolean appliesTo(String engine) {
    for (Condition c : conditions()) {
      boolean named = c.engine().equals(engine);
      if (c.only() != named) {
        return false;
      }
    }
    return true;
  }

  /** {@code skipif <engine>} ({@code only} false) or {@code onlyif <engine>} ({@code only} true). */
  record Condition(boolean only, String engine) {
    public Condition {
      Objects.requireNonNull(engine, "engine");
    }
  }

  /**
   * What a {@code statement} record expects: success ({@code ok}), success with an update count
   * ({@code count <n>}, the n of the command tag, e.g. 0 for {@code UPDATE 0}) or an error
   * ({@code error [<sqlstate>|<regex>]}).
   */
  sealed interface Expectation {}

  /** {@code statement ok}. */
  record Ok() implements Expectation {}

  /** {@code statement count <n>}: succeeds and reports n rows affected. */
  record Count(long rows) implements Expectation {}

  /**
   * {@code statement error [<pattern>]}: fails; a five-character pattern of digits and capital
   * letters is a SQLSTATE compared exactly, any other pattern a regular expression searched for
   * in the error message, and no pattern accepts any error.
   */
  record Error(Optional<String> sqlState, Optional<String> messageRegex) implements Expectation {}

  /** A statement whose outcome, not whose rows, is checked. */
  record Statement(int line, List<Condition> conditions, Expectation expect, String sql)
      implements SltRecord {}

  /**
   * A query: {@code types} has one letter per result column (T, I, R or B); {@code expected} the
   * expected values, one per line in row-major order after sorting by {@code sort}, or, when
   * {@code hashed} is present, only a value count and an MD5 hash of them.
   */
  record Query(
      int line,
      List<Condition> conditions,
      String types,
      SortMode sort,
      Optional<String> label,
      String sql,
      List<String> expected,
      Optional<Hashed> hashed)
      implements SltRecord {}

  /** The original format's "{@code <n> values hashing to <md5>}" form of an expected result. */
  record Hashed(int values, String md5) {}

  /**
   * {@code let $name} followed by a query of one value: the value (as the runner prints it with
   * type T) replaces {@code $name} in the SQL of later records (as in CockroachDB's logic tests).
   */
  record Let(int line, List<Condition> conditions, String name, String sql) implements SltRecord {}

  /** {@code halt}: the rest of the file is not run (on the engines it applies to). */
  record Halt(int line, List<Condition> conditions) implements SltRecord {}

  /** How a query's values are put in order before comparing. */
  enum SortMode {
    /** As returned (for queries with a total ORDER BY). */
    NOSORT,
    /** Rows sorted by their printed values, column by column. */
    ROWSORT,
    /** Every value sorted, regardless of row. */
    VALUESORT
  }
}
