package io.ordo.sql.pgcatalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Calls pgjdbc's DatabaseMetaData against {@link MiniPgServer} (answers from {@link
 * PgCatalogAnswers}; the driver in {@code preferQueryMode=simple}, which inlines the parameters as
 * literals) and against a real PostgreSQL holding the same tables, and checks that the driver
 * returns the same rows, up to the schema name. Needs {@link LivePostgres}'s server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JdbcEndToEndTest {
  private LivePostgres live;
  private MiniPgServer ordo;
  private Connection pg;
  private Connection viaOrdo;

  @BeforeAll
  void start() throws Exception {
    live = LivePostgres.openOrSkip("PgCatalogAnswersTest still checks the answers");
    pg = live.connection;
    ordo = new MiniPgServer(CatalogFixtures.catalog());
    viaOrdo = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + ordo.port() + "/"
        + LivePostgres.DATABASE + "?user=" + LivePostgres.USER + "&preferQueryMode=simple");
  }

  @AfterAll
  void stop() throws Exception {
    if (viaOrdo != null) {
      viaOrdo.close();
    }
    if (ordo != null) {
      ordo.close();
    }
    if (live != null) {
      live.close();
    }
  }

  private interface Call {
    ResultSet on(DatabaseMetaData md, String schema) throws SQLException;
  }

  /** The rows as strings, the test schema named public, the given columns left out. */
  private List<List<String>> rows(ResultSet rs, String schema, Set<String> skip)
      throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (rs) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          if (!skip.contains(md.getColumnLabel(i))) {
            String v = rs.getString(i);
            row.add(schema.equals(v) ? "public" : v);
          }
        }
        out.add(row);
      }
    }
    return out;
  }

  private void same(Call call, Set<String> skip) throws SQLException {
    List<List<String>> fromPg = rows(call.on(pg.getMetaData(), live.schema), live.schema, skip);
    List<List<String>> fromOrdo = rows(call.on(viaOrdo.getMetaData(), "public"), "public", skip);
    assertThat(fromOrdo).isNotEmpty().containsExactlyElementsOf(fromPg);
  }

  @Test
  void getTablesColumnsKeysAndIndexesMatchPostgres() throws Exception {
    same((md, s) -> md.getTables(null, s, "%", new String[] {"TABLE"}), Set.of());
    same((md, s) -> md.getTables(null, s, "acc%", null), Set.of());
    same((md, s) -> md.getColumns(null, s, "accounts", null), Set.of());
    same((md, s) -> md.getColumns(null, s, "kv", "%"), Set.of());
    same((md, s) -> md.getPrimaryKeys(null, s, "kv"), Set.of());
    same((md, s) -> md.getIndexInfo(null, s, "accounts", false, true),
        Set.of("CARDINALITY", "PAGES"));
    same((md, s) -> md.getSchemas(null, s), Set.of());
  }

  @Test
  void catalogsSchemasAndTypesComeFromTheSession() throws Exception {
    DatabaseMetaData md = viaOrdo.getMetaData();
    assertThat(rows(md.getCatalogs(), "public", Set.of())).containsExactly(List.of("test"));
    assertThat(rows(md.getSchemas(), "public", Set.of()))
        .containsExactly(List.of("public", "test"));
    assertThat(rows(md.getTableTypes(), "public", Set.of())).contains(List.of("TABLE"));
    assertThat(viaOrdo.getCatalog()).isEqualTo("test");
  }
}
