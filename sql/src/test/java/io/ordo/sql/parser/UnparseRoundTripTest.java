package io.ordo.sql.parser;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.parser.stmt.SqlAsOf;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.util.Litmus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link OrdoSqlParser#unparse} writes SQL that Calcite's own parser (with Ordo's lexing) reads
 * back into the same tree: unparsing that tree again gives the same text, and the tree is deeply
 * equal to the one Ordo's parser produced (after the same PostgreSQL type rewrite).
 */
class UnparseRoundTripTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "SELECT a, b FROM t JOIN u ON t.id = u.id WHERE x > $1 GROUP BY a, b HAVING COUNT(*) > 1"
          + " ORDER BY a DESC LIMIT 10 OFFSET 5",
      "SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE u.c = t.c) AND EXISTS (SELECT 1)",
      "SELECT \"Mixed\", plain, \"with space\" FROM \"T\" AS x",
      "SELECT c::text, d::int8 > ?, '1'::int + 1, x::timestamptz, y::bytea, z::jsonb, w::bool,"
          + " v::numeric(10, 2), u::varchar(5) FROM t",
      "WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION ALL SELECT 2",
      "SELECT CASE WHEN a > 0 THEN 'p' ELSE 'n' END, COALESCE(b, 0) FROM t LEFT JOIN u USING (k)",
      "SELECT k, SUM(v) AS s FROM t GROUP BY k ORDER BY s DESC, k OFFSET 3",
      "SELECT * FROM (SELECT a, b FROM t WHERE b LIKE 'x%') AS s WHERE s.a BETWEEN $2 AND $1",
      "SELECT DISTINCT a FROM t WHERE b IS NOT NULL AND c <> 'it''s' LIMIT 1",
      "SELECT COUNT(DISTINCT a), MAX(b) FROM t CROSS JOIN u",
      "INSERT INTO t (a, b) VALUES (1, 'x'), ($1, $2)",
      "UPDATE t SET a = a + 1, b = 'y' WHERE c = $1",
      "DELETE FROM t WHERE a < 3",
  })
  void roundTrip(String sql) throws Exception {
    SqlNode ordo = OrdoSqlParser.parseOne(sql).node();
    String text = OrdoSqlParser.unparse(ordo);
    SqlNode calcite = SqlParser.create(text, OrdoSqlParser.CALCITE_CONFIG).parseStmt();
    assertThat(OrdoSqlParser.unparse(calcite)).isEqualTo(text);
    assertThat(text).doesNotContain("::").doesNotContain("$");
    if (!sql.contains("::")) {
      // Without PostgreSQL type names to rewrite, the trees themselves are equal.
      assertThat(calcite.equalsDeep(ordo, Litmus.IGNORE)).as(text).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "SELECT * FROM t WHERE k = $1 AS OF SYSTEM TIME '2026-01-01 00:00:00'",
      "SELECT a FROM t ORDER BY a LIMIT 2 AS OF LOG POSITION '5:0:17'",
  })
  void asOfQueryRoundTripsWithoutTheClause(String sql) throws Exception {
    SqlAsOf asOf = (SqlAsOf) OrdoSqlParser.parseOne(sql).node();
    String text = OrdoSqlParser.unparse(asOf.query());
    assertThat(text).doesNotContain("AS OF");
    SqlNode calcite = SqlParser.create(text, OrdoSqlParser.CALCITE_CONFIG).parseStmt();
    assertThat(calcite.equalsDeep(asOf.query(), Litmus.IGNORE)).isTrue();
  }
}
