package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Calcite through the session's connection, without tables: expressions, params, errors. */
class QueryRunnerTest {
  private final QueryRunner runner = new QueryRunner(null);

  @AfterEach
  void close() {
    runner.close();
  }

  @Test
  void evaluatesValuesWithTypedParameters() throws SqlException {
    QueryRunner.Prepared p =
        runner.prepare("VALUES (CAST(? AS BIGINT) + 1, CAST(? AS VARCHAR), CAST(? AS DECIMAL(10, 2)))", "c");
    assertThat(p.parameterTypes).containsExactly(SqlType.BIGINT, SqlType.VARCHAR, SqlType.DECIMAL);
    assertThat(p.columns).extracting(c -> c.type())
        .containsExactly(SqlType.BIGINT, SqlType.VARCHAR, SqlType.DECIMAL);
    List<List<Object>> rows = runner.run(p, List.of(41L, "x", new BigDecimal("1.5")), 10);
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).subList(0, 2)).containsExactly(42L, "x");
    assertThat((BigDecimal) rows.get(0).get(2)).isEqualByComparingTo("1.5");
    // The plan is cached and runs again with other values.
    assertThat(runner.prepare("VALUES (CAST(? AS BIGINT) + 1, CAST(? AS VARCHAR), CAST(? AS DECIMAL(10, 2)))", "c"))
        .isSameAs(p);
    assertThat(runner.run(p, Arrays.asList(1L, null, null), 10).get(0))
        .containsExactly(2L, null, null);
  }

  @Test
  void rowLimitIsAnError() throws SqlException {
    QueryRunner.Prepared p = runner.prepare("VALUES (1), (2), (3)", "c");
    assertThatThrownBy(() -> runner.run(p, List.of(), 2))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROGRAM_LIMIT_EXCEEDED));
  }

  @Test
  void calciteErrorsGetPostgresSqlStates() {
    assertThatThrownBy(() -> runner.prepare("SELECT * FROM nosuch", "c"))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo(SqlState.UNDEFINED_TABLE);
          assertThat(e.getMessage()).contains("relation \"nosuch\" does not exist");
          assertThat(e.position()).isEqualTo(15);
        });
    assertThatThrownBy(() -> runner.run(runner.prepare("VALUES (1 / 0)", "c"), List.of(), 1))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo(SqlState.DIVISION_BY_ZERO));
    assertThatThrownBy(() -> runner.prepare("VALUES (nosuchfn(1))", "c"))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo(SqlState.UNDEFINED_FUNCTION));
  }

  /** Found by fuzzing: each of these was XX000 (or an escaping AssertionError) before. */
  @Test
  void fuzzFoundCalciteErrorsGetPostgresSqlStates() {
    // Operands wider than DECIMAL: Calcite's type derivation asserts (assertions on in tests).
    assertThatThrownBy(() -> runner.run(runner.prepare("SELECT 0.000000000000000000000000000000000000000000000000011"
        + " / 999999999999999999999999999999999999999999999999990", "c"), List.of(), 1))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo(SqlState.NUMERIC_VALUE_OUT_OF_RANGE));
    // An overflow folded into a generated class's static initializer: the first run gets the
    // ArithmeticException, later runs of the cached class a NoClassDefFoundError with its text.
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> runner.run(runner.prepare(
          "SELECT * FROM (SELECT 9223372036854775807 + 1, 1 / 0)", "c"), List.of(), 1))
          .as("run %d", i)
          .isInstanceOfSatisfying(SqlException.class, e -> {
            assertThat(e.sqlState()).isIn(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, SqlState.DIVISION_BY_ZERO);
            assertThat(e.getMessage()).doesNotContain("in thread");
          });
    }
    assertThat(QueryRunner.translate(new NoClassDefFoundError("Could not initialize class Baz"), null).sqlState())
        .isEqualTo(SqlState.INTERNAL_ERROR);
    NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class Baz");
    later.initCause(new ExceptionInInitializerError(
        "Exception java.lang.ArithmeticException: long overflow [in thread \"main\"]"));
    SqlException overflow = QueryRunner.translate(later, null);
    assertThat(overflow.sqlState()).isEqualTo(SqlState.NUMERIC_VALUE_OUT_OF_RANGE);
    assertThat(overflow.getMessage()).isEqualTo("long overflow");
    // Calcite's message for a character literal it keeps in ISO-8859-1.
    assertThat(QueryRunner.translate(new org.apache.calcite.runtime.CalciteException(
        "Failed to encode '\uFFFD' in character set 'ISO-8859-1'", null), null).sqlState())
        .isEqualTo(SqlState.CHARACTER_NOT_IN_REPERTOIRE);
  }

  @Test
  void offsetsCountLinesAndColumns() {
    assertThat(QueryRunner.offset("SELECT\n  x", 2, 3)).isEqualTo(10);
    assertThat(QueryRunner.offset("abc", 1, 1)).isEqualTo(1);
    assertThat(QueryRunner.offset("abc", 0, 0)).isZero();
  }

  @Test
  void aStatementTooLargeToCompileIsAProgramLimitNotAnInternalError() {
    StringBuilder sql = new StringBuilder("SELECT ARRAY[1");
    for (int i = 1; i < 20_000; i++) {
      sql.append(",1");
    }
    sql.append(']');
    assertThatThrownBy(() -> runner.run(runner.prepare(sql.toString(), "c"), List.of(), 1))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo(SqlState.PROGRAM_LIMIT_EXCEEDED);
          assertThat(e.getMessage()).contains("statement too large to compile").contains("64 KB");
        });
  }
}
