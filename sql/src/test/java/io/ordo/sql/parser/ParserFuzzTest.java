package io.ordo.sql.parser;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.SqlException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzing of the parser: mutated valid statements, random token sequences, deep nesting and huge
 * literals. Every text either parses or fails with a {@link SqlException} that carries a SQLSTATE
 * outside class XX (internal error) and a message; nothing else may escape (no runtime exception,
 * no stack overflow). Seeded, {@value #TRIES} texts per property.
 */
class ParserFuzzTest {
  static final int TRIES = 10_000;

  private static final List<String> STATEMENTS = List.of(
      "SELECT id, v FROM t WHERE id > 0 AND v LIKE 'a%' ORDER BY v DESC LIMIT 10 OFFSET 1",
      "SELECT count(*), sum(n) FROM t GROUP BY b HAVING count(*) > 1",
      "INSERT INTO t (id, v) VALUES (1, 'x'), (2, NULL)",
      "UPDATE t SET v = v || 'y', n = n * 2 WHERE id = $1",
      "DELETE FROM t WHERE id IN (5, 6, 7)",
      "CREATE TABLE IF NOT EXISTS u (k TEXT PRIMARY KEY, x BIGINT NOT NULL, d DECIMAL(10, 2))",
      "CREATE STREAM s (a INT, b TEXT) WITH (shards = 4, retention = '1d')",
      "DROP TABLE IF EXISTS u", "BEGIN", "COMMIT", "ROLLBACK",
      "SELECT CASE WHEN a = 1 THEN 'one' ELSE NULL END, COALESCE(b, 'none'), CAST('1' AS INTEGER) FROM t",
      "SELECT * FROM t a JOIN u b ON a.id = b.id WHERE a.n BETWEEN -1 AND 1");
  private static final List<String> TOKENS = List.of("SELECT", "FROM", "WHERE", "(", ")", ",", "*", "t",
      "id", "NULL", "'", "''", "\"", "$1", "$99999999999", "?", ";", "--", "/*", "*/", "E'\\x", "U&'\\0000'",
      "CAST(", "AS", "BIGINT", "DECIMAL(1000, 500)", "VARCHAR(-1)", "INTERVAL '1' DAY", "1e400",
      "-9223372036854775808", "9223372036854775808", "::", "JOIN", "UNION ALL", "ORDER BY", "LIMIT",
      "ARRAY[", "]", "\u0000", "\uD800", "WITH RECURSIVE r AS (", "CREATE TABLE", "PRIMARY KEY", "WITH (",
      "INSERT INTO", "VALUES", "UPDATE", "SET", "=", "DROP STREAM", "IF NOT EXISTS", "$", "\\", "\n");

  @Provide
  Arbitrary<String> texts() {
    Arbitrary<String> mutated = Combinators.combine(
            Arbitraries.of(STATEMENTS), Arbitraries.integers().between(0, 200),
            Arbitraries.integers().between(0, 20), Arbitraries.of(TOKENS), Arbitraries.strings().all().ofMaxLength(4))
        .as((s, at, cut, token, junk) -> {
          int p = Math.min(at, s.length());
          String head = s.substring(0, p);
          String tail = s.substring(Math.min(s.length(), p + cut));
          return head + (cut % 2 == 0 ? token : junk) + tail;
        });
    Arbitrary<String> tokens = Arbitraries.of(TOKENS).list().ofMaxSize(40).map(l -> String.join(" ", l));
    Arbitrary<String> nested = Combinators.combine(
            Arbitraries.integers().between(1, 3_000), Arbitraries.of("(", "ARRAY[", "CAST(", "-", "NOT ", "(SELECT "),
            Arbitraries.integers().between(0, 2))
        .as((n, open, closing) -> "SELECT " + open.repeat(n) + "1" + (closing == 0 ? "" : ")".repeat(n)));
    Arbitrary<String> huge = Combinators.combine(
            Arbitraries.integers().between(1_000, 100_000), Arbitraries.of("'x", "9", "x'f", "\"i", "x, "))
        .as((n, unit) -> "SELECT " + unit.repeat(n / unit.length()) + (unit.startsWith("'") ? "'" : ""));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, mutated), net.jqwik.api.Tuple.of(3, tokens),
        net.jqwik.api.Tuple.of(1, nested), net.jqwik.api.Tuple.of(1, huge));
  }

  @Property(tries = TRIES, seed = "20261207", shrinking = net.jqwik.api.ShrinkingMode.OFF)
  void everyTextParsesOrFailsWithASqlState(@ForAll("texts") String sql) {
    try {
      OrdoSqlParser.parse(sql);
    } catch (SqlException e) {
      assertThat(e.sqlState()).hasSize(5).doesNotStartWith("XX");
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
