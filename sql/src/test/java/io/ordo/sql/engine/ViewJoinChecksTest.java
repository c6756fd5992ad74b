package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.parser.OrdoSqlParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.calcite.sql.SqlSelect;
import org.junit.jupiter.api.Test;

/**
 * CREATE MATERIALIZED VIEW's checks of joins ({@code Views.shape}, {@code relations}, {@code
 * key}): which joins a view takes, what its key is, and the SQLSTATE of each refusal. Catalog
 * lookups (42P01, streams, views) and name resolution (42702) run on a whole Ordo
 * (MaterializedViewJoinIT).
 */
class ViewJoinChecksTest {
  private static ColumnDef col(String name, int id, SqlType type, boolean notNull) {
    return new ColumnDef(name, id, type, -1, -1, notNull, Optional.empty());
  }

  private static final Map<String, TableDef> TABLES = Map.of(
      "accounts", new TableDef("accounts", "0000000000000001", List.of(
          col("id", 1, SqlType.BIGINT, true),
          col("branch", 2, SqlType.TEXT, true),
          col("balance", 3, SqlType.BIGINT, false)), List.of("id"), 1),
      "branches", new TableDef("branches", "0000000000000002", List.of(
          col("code", 1, SqlType.TEXT, true),
          col("city", 2, SqlType.TEXT, false)), List.of("code"), 1),
      "grants", new TableDef("grants", "0000000000000003", List.of(
          col("account", 1, SqlType.BIGINT, true),
          col("person", 2, SqlType.TEXT, true),
          col("role", 3, SqlType.TEXT, false)), List.of("account", "person"), 1));

  /** The key CREATE would give {@code query}, whose result columns are named {@code names}. */
  private static List<String> key(String query, String... names) throws SqlException {
    SqlSelect select = Views.shape(OrdoSqlParser.parseOne(query).node(), 1);
    List<Views.Relation> relations = Views.relations(select, 1);
    List<TableDef> bases = new ArrayList<>();
    for (Views.Relation r : relations) {
      bases.add(TABLES.get(r.table()));
    }
    List<Column> columns = new ArrayList<>();
    for (String n : names) {
      columns.add(Column.of(n, SqlType.TEXT));
    }
    return Views.key(select, relations, bases, columns, 1);
  }

  private static String state(String query, String... names) {
    try {
      key(query, names);
      return "ok";
    } catch (SqlException e) {
      return e.sqlState();
    }
  }

  @Test
  void anInnerJoinWithoutGroupByIsKeyedByEveryTablesPrimaryKey() throws Exception {
    assertThat(key("SELECT a.id, b.code, b.city, a.balance FROM accounts a"
        + " JOIN branches b ON a.branch = b.code", "id", "code", "city", "balance"))
        .containsExactly("id", "code");
    // Unqualified key columns resolve to the one table that has them; aliases name the column;
    // g.account = accounts.id in an INNER JOIN, so selecting accounts.id carries g.account.
    assertThat(key("SELECT id AS account, code, person FROM accounts"
        + " INNER JOIN branches ON branch = code JOIN grants g ON g.account = accounts.id",
        "account", "code", "person")).containsExactly("account", "code", "person");
  }

  @Test
  void aLeftJoinOnTheRightTablesWholeKeyIsKeyedByTheLeftAlone() throws Exception {
    assertThat(key("SELECT a.id, a.balance, b.city FROM accounts a"
        + " LEFT OUTER JOIN branches b ON b.code = a.branch", "id", "balance", "city"))
        .containsExactly("id");
    // Matching only part of the right table's key: rows without a match would have no key.
    assertThat(state("SELECT a.id, g.person FROM accounts a LEFT JOIN grants g"
        + " ON g.account = a.id", "id", "person")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
  }

  @Test
  void aGroupedJoinIsKeyedByItsGroupByColumns() throws Exception {
    assertThat(key("SELECT b.city, count(*) AS n, sum(a.balance) AS total FROM accounts a"
        + " JOIN branches b ON a.branch = b.code GROUP BY b.city", "city", "n", "total"))
        .containsExactly("city");
    assertThat(state("SELECT count(*) AS n FROM accounts a JOIN branches b"
        + " ON a.branch = b.code GROUP BY b.city", "n")).isEqualTo(SqlState.GROUPING_ERROR);
  }

  @Test
  void groupingByAColumnOfALeftJoinsRightSideIsRefused() throws Exception {
    // Unmatched accounts would group under city NULL, which a view's key cannot hold.
    assertThatThrownBy(() -> key("SELECT b.city, count(*) AS n FROM accounts a"
        + " LEFT JOIN branches b ON a.branch = b.code GROUP BY b.city", "city", "n"))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
          assertThat(e.getMessage()).contains("GROUP BY column \"b.city\" from the right side"
              + " of a LEFT JOIN");
        });
    // Unqualified, it is found by the one table that has the column.
    assertThat(state("SELECT city, count(*) AS n FROM accounts a"
        + " LEFT JOIN branches b ON a.branch = b.code GROUP BY city", "city", "n"))
        .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
    // The left side's columns never pad: grouping by them is a view's key as before.
    assertThat(key("SELECT a.branch, count(b.city) AS n FROM accounts a"
        + " LEFT JOIN branches b ON a.branch = b.code GROUP BY a.branch", "branch", "n"))
        .containsExactly("branch");
  }

  @Test
  void aJoinWithoutAKeyColumnSelectedIsRefusedNamingIt() {
    assertThatThrownBy(() -> key("SELECT a.id, b.city FROM accounts a"
        + " JOIN branches b ON a.branch = b.code", "id", "city"))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_TABLE_DEFINITION);
          assertThat(e.getMessage()).contains("select b.code");
        });
  }

  @Test
  void nonEquiCrossNaturalRightAndFullJoinsAreRefused() {
    for (String from : List.of(
        "accounts a JOIN branches b ON a.branch > b.code",
        "accounts a JOIN branches b ON a.branch = 'x'",
        "accounts a CROSS JOIN branches b",
        "accounts a, branches b",
        "accounts a NATURAL JOIN branches b",
        "accounts a JOIN branches b USING (code)",
        "accounts a RIGHT JOIN branches b ON a.branch = b.code",
        "accounts a FULL JOIN branches b ON a.branch = b.code",
        "accounts a JOIN (SELECT * FROM branches) b ON a.branch = b.code")) {
      assertThat(state("SELECT a.id, b.code FROM " + from, "id", "code")).as(from)
          .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
    }
    // An equality among other conditions is an equi-join.
    assertThat(state("SELECT a.id, b.code FROM accounts a JOIN branches b"
        + " ON a.branch = b.code AND a.balance > 0", "id", "code")).isEqualTo("ok");
  }

  @Test
  void aTableNamedTwiceNeedsAnAliasAndOneTableStillNeedsGroupBy() {
    assertThat(state("SELECT accounts.id FROM accounts JOIN accounts ON accounts.id = accounts.id",
        "id")).isEqualTo(SqlState.DUPLICATE_ALIAS);
    assertThat(state("SELECT id, balance FROM accounts", "id", "balance"))
        .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
  }

  @Test
  void resultColumnsNeedNamesOfTheirOwn() {
    assertThat(state("SELECT a.id, b.code, a.balance + 1 FROM accounts a"
        + " JOIN branches b ON a.branch = b.code", "id", "code", "EXPR$2"))
        .isEqualTo(SqlState.INVALID_TABLE_DEFINITION);
    assertThat(state("SELECT a.id, b.code AS id FROM accounts a"
        + " JOIN branches b ON a.branch = b.code", "id", "id"))
        .isEqualTo(SqlState.DUPLICATE_COLUMN);
  }
}
