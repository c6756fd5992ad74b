package io.ordo.sql.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ordo.sql.SqlException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Syntax errors: SQLSTATE, PostgreSQL-like message, 1-based position in the original script. */
class SyntaxErrorsTest {

  static SqlException error(String script) {
    SqlException e = catchThrowableOfType(SqlException.class, () -> OrdoSqlParser.parse(script));
    assertThat(e).as("error for %s", script).isNotNull();
    return e;
  }

  /** Each case: the script, a marker substring, and where to start looking for the marker. */
  static Stream<Arguments> errorCases() {
    return Stream.of(
        Arguments.of("SELECT * FORM t", "t", 0),
        Arguments.of("SELECT 1;\nSELECT * FROM FROM t", "FROM", 20),
        Arguments.of("SELECT 1 2", "2", 8),
        Arguments.of("\tSELECT x FROM t WHERE\n  AND y", "AND", 0),
        Arguments.of("SELECT x\r\nFROM t\rWHERE\r\n\r\n)", ")", 0),
        Arguments.of("SELECT $10, $11 FROM t WHERE a = = 1", "= =", 0),
        Arguments.of("CREATE TABLE t (a INT,, b INT)", ",", 22),
        Arguments.of("CREATE STREAM s WITH (a = 1, a = 2)", "a = 2", 0),
        Arguments.of("CREATE TABLE t (a INT NOT NULL NULL)", "NULL)", 0),
        Arguments.of("INSERT INTO t VALUES (1) AS OF SYSTEM TIME 'x'", "AS OF", 0),
        Arguments.of("DROP TABLE IF t", "t", 14));
  }

  @ParameterizedTest
  @MethodSource("errorCases")
  void positionPointsAtTheOffendingToken(String sql, String marker, int from) {
    SqlException e = error(sql);
    assertThat(e.sqlState()).isEqualTo("42601");
    assertThat(e.position()).as(e.getMessage()).isEqualTo(sql.indexOf(marker, from) + 1);
    assertThat(e.getMessage()).startsWith("syntax error at or near \"")
        .doesNotContain("\n");
  }

  @Test
  void messageNamesTheTokenAndWhatWasExpected() {
    SqlException e = error("SELECT * FROM FROM t");
    assertThat(e.getMessage()).startsWith("syntax error at or near \"FROM\" (expected one of: ");
    assertThat(e.getMessage()).contains("identifier");
    assertThat(e.position()).isEqualTo(15);
  }

  @Test
  void endOfInput() {
    SqlException e = error("SELECT a FROM");
    assertThat(e.getMessage()).startsWith("syntax error at end of input");
    assertThat(e.position()).isEqualTo("SELECT a FROM".length() + 1);
  }

  @Test
  void positionsCountCharactersNotBytesNorUtf16Units() {
    String sql = "SELECT '\uD83D\uDE00é' FROM FROM";
    SqlException e = error(sql);
    // The emoji is one character (two UTF-16 units): FROM FROM's second FROM is at code point 18.
    assertThat(e.position()).isEqualTo(sql.codePointCount(0, sql.lastIndexOf("FROM")) + 1);
  }

  @Test
  void positionsAfterDollarParametersPointIntoTheOriginalText() {
    String sql = "SELECT $123 + $7 FROM t WHERE x = $1 )";
    SqlException e = error(sql);
    assertThat(e.position()).isEqualTo(sql.indexOf(")") + 1);
    assertThat(e.getMessage()).contains("\")\"");
  }

  @Test
  void unterminatedLiteralAndLexicalErrorsAreSyntaxErrors() {
    assertThat(error("SELECT 'abc").sqlState()).isEqualTo("42601");
    assertThat(error("SELECT \"abc").sqlState()).isEqualTo("42601");
    assertThat(error("SELECT 1 /* open").sqlState()).isEqualTo("42601");
    assertThat(error("SELECT #").sqlState()).isEqualTo("42601");
  }

  @Test
  void deepNestingIsAnErrorNotACrash() {
    String sql = "SELECT " + "(".repeat(20_000) + "1" + ")".repeat(20_000);
    SqlException e = error(sql);
    assertThat(e.sqlState()).isEqualTo("54000");
  }

  /**
   * Random truncations and splices of valid statements: every outcome is a parse or a
   * SqlException, never another throwable and never a hang (bounded count, seeded).
   */
  @Test
  void truncatedStatementsFailCleanly() {
    String[] valid = {
        "CREATE TABLE IF NOT EXISTS t (id BIGINT PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x',"
            + " v DECIMAL(10,2), PRIMARY KEY (id))",
        "CREATE STREAM s (a INT NOT NULL, b TEXT) WITH (shards = 4, retention = '7d', key = 'a')",
        "ALTER STREAM s SET SCHEMA (a INT) WITH (key = 'a')",
        "INSERT INTO t (a, b) VALUES ($1, $2), (3, 4) ON CONFLICT (a) DO UPDATE SET b = EXCLUDED.b"
            + " WHERE t.b < 3",
        "SELECT a, b::text FROM t JOIN u ON t.id = u.id WHERE x > $1 GROUP BY a, b"
            + " ORDER BY a LIMIT 10 OFFSET 5 AS OF SYSTEM TIME '2026-01-01'",
        "BEGIN ISOLATION LEVEL SERIALIZABLE; SET TIME ZONE 'UTC'; SHOW TABLES; COMMIT",
        "SELECT '$1' /* $2 */, \"a\"\"b\" -- x\n FROM t AS OF LOG POSITION '1:2:3'",
    };
    Random random = new Random(42);
    int parsed = 0;
    int rejected = 0;
    for (int i = 0; i < 1500; i++) {
      String base = valid[random.nextInt(valid.length)];
      String input;
      switch (random.nextInt(3)) {
        case 0 -> input = base.substring(0, random.nextInt(base.length() + 1));
        case 1 -> {
          int a = random.nextInt(base.length() + 1);
          int b = a + random.nextInt(base.length() - a + 1);
          input = base.substring(0, a) + base.substring(b);
        }
        default -> {
          int a = random.nextInt(base.length() + 1);
          char c = "();,'\"$?:-/*\n".charAt(random.nextInt(13));
          input = base.substring(0, a) + c + base.substring(a);
        }
      }
      try {
        OrdoSqlParser.parse(input);
        parsed++;
      } catch (SqlException e) {
        assertThat(e.sqlState()).as(input).isIn("42601", "54000");
        assertThat(e.position()).as(input).isBetween(0, input.length() + 1);
        rejected++;
      }
    }
    assertThat(parsed).isPositive();
    assertThat(rejected).isPositive();
  }

  /**
   * A long chain of operators is refused before Calcite's precedence climbing, whose time grows
   * with the square of the chain: found by fuzzing, a 1 MiB {@code SELECT 1+1+...+1} (within the
   * statement size limit) held a thread for about an hour.
   */
  @Test
  void operatorChainsPastTheLimitAreProgramLimitExceeded() throws Exception {
    SqlException e = error("SELECT " + "1+".repeat(500_000) + "1");
    assertThat(e.sqlState()).isEqualTo("54000");
    assertThat(e.getMessage()).contains("500000 operators");
    assertThat(error("SELECT 1;\nSELECT " + "x OR ".repeat(OrdoSqlParser.OPERATORS_MAX + 1) + "y").position())
        .isEqualTo(11);
    assertThat(OrdoSqlParser.parse("SELECT " + "1+".repeat(1_000) + "1")).hasSize(1);
  }

  /**
   * A long binary string literal is refused before Calcite converts it through BigIntegers of its
   * bits (quadratic in its length): found by fuzzing, {@code SELECT x'ff...'} with 100,000 hex
   * digits held a thread for tens of seconds. The quoted strings that continue the literal count
   * with it; separate literals and other strings do not.
   */
  @Test
  void binaryLiteralsPastTheLimitAreProgramLimitExceeded() throws Exception {
    int max = OrdoSqlParser.BINARY_LITERAL_DIGITS_MAX;
    SqlException e = error("SELECT 1;\nSELECT X'" + "f".repeat(max + 1) + "'");
    assertThat(e.sqlState()).isEqualTo("54000");
    assertThat(e.getMessage()).contains((max + 1) + " hex digits");
    assertThat(e.position()).isEqualTo(18);
    SqlException chained = error("SELECT x'" + "a".repeat(max / 2) + "' /* c */\n '" + "b".repeat(max / 2 + 1) + "'");
    assertThat(chained.sqlState()).isEqualTo("54000");
    assertThat(chained.getMessage()).contains((max + 1) + " hex digits");
    assertThat(OrdoSqlParser.parse("SELECT x'" + "f".repeat(max) + "'")).hasSize(1);
    assertThat(OrdoSqlParser.parse("SELECT x'" + "a".repeat(max) + "', x'" + "b".repeat(max) + "', '"
        + "c".repeat(max + 1) + "' FROM t")).hasSize(1);
  }

  /**
   * A list of more items than {@link OrdoSqlParser#LIST_ITEMS_MAX} in one pair of brackets is
   * refused before Calcite generates code for it: found by fuzzing, {@code SELECT ARRAY[1,1,...]}
   * with 100,000 items held a thread for minutes before the compiler's method size limit refused
   * it. Nested lists count each on its own, and commas outside brackets (select lists, the rows of
   * VALUES) not at all.
   */
  @Test
  void listsPastTheLimitAreProgramLimitExceeded() throws Exception {
    int max = OrdoSqlParser.LIST_ITEMS_MAX;
    SqlException e = error("SELECT 1;\nSELECT ARRAY[" + "1,".repeat(max) + "1]");
    assertThat(e.sqlState()).isEqualTo("54000");
    assertThat(e.getMessage()).contains((max + 1) + " items");
    assertThat(e.position()).isEqualTo(23);
    assertThat(error("SELECT * FROM t WHERE k IN (" + "'a', ".repeat(max) + "'b')").sqlState()).isEqualTo("54000");
    assertThat(OrdoSqlParser.parse("SELECT * FROM t WHERE k IN (" + "(1, 2), ".repeat(max - 1) + "(1, 2))")).hasSize(1);
    assertThat(OrdoSqlParser.parse("INSERT INTO t VALUES " + "(1, 'a'), ".repeat(max + 10) + "(2, 'b')")).hasSize(1);
  }

  /**
   * An alias written as a string literal (accepted by the LENIENT conformance) is held to the
   * identifier limit as well: found by fuzzing, {@code SELECT id 'xx...'} with a 100,000-character
   * alias passed the parser and failed Calcite's second parse as an internal error (XX000).
   */
  @Test
  void stringLiteralAliasesPastTheIdentifierLimitAreNameTooLong() throws Exception {
    int max = OrdoSqlParser.IDENTIFIER_MAX_LENGTH;
    SqlException e = error("SELECT 1;\nSELECT id 'a" + "x".repeat(max) + "' FROM t");
    assertThat(e.sqlState()).isEqualTo("42622");
    assertThat(e.getMessage()).contains((max + 1) + " characters");
    assertThat(e.position()).isEqualTo(21);
    assertThat(OrdoSqlParser.parse("SELECT id '" + "x".repeat(max) + "' FROM t")).hasSize(1);
  }
}
