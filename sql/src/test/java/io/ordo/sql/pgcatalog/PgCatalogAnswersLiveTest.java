package io.ordo.sql.pgcatalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.Column;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every captured client text on a real PostgreSQL holding the same tables as {@link
 * CatalogFixtures} (in a schema of its own, dropped afterwards) and checks that Ordo's answer has
 * the server's column names and types, and, for the queries whose rows do not depend on the rest
 * of the server's catalog, the same rows.
 *
 * <p>The server is {@link LivePostgres}'s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgCatalogAnswersLiveTest {

  /** PostgreSQL's typname of each SqlType the answers use. */
  private static final Map<SqlType, String> TYPNAME = Map.of(SqlType.NAME, "name",
      SqlType.TEXT, "text", SqlType.OID, "oid", SqlType.BOOLEAN, "bool", SqlType.SMALLINT,
      "int2", SqlType.INTEGER, "int4", SqlType.BIGINT, "int8", SqlType.CHAR, "char",
      SqlType.DOUBLE, "float8");

  /**
   * The documented deviations (PGCATALOG.md "Types"): regclass columns (in queries that never
   * return a row) are oid, getIndexInfo's float4 CARDINALITY is float8.
   */
  private static final Set<String> TYPE_DEVIATIONS = Set.of(
      "psql/describe_6_statistics:stxrelid:regclass", "psql/describe_8_inherits:oid:regclass",
      "psql/describe_9_partitions:oid:regclass", "pgjdbc/get_index_info:CARDINALITY:float4",
      "pgjdbc/get_index_info_unique:CARDINALITY:float4");

  private static final Set<String> SCHEMA_COLUMNS = Set.of("Schema", "nspname", "TABLE_SCHEM");

  private final PgCatalogAnswers answers = new PgCatalogAnswers();
  private final SessionInfo session = new SessionInfo("postgres", "test", "15.0");
  private LivePostgres live;
  private Connection pg;
  private String schema;
  private long pgAccountsOid;
  private long ordoAccountsOid;
  private long pgIndexOid;
  private long ordoIndexOid;

  @BeforeAll
  void connectAndCreateTables() throws Exception {
    live = LivePostgres.openOrSkip("PgCatalogAnswersTest still checks the answers");
    pg = live.connection;
    schema = live.schema;
    try (Statement s = pg.createStatement();
        ResultSet rs = s.executeQuery(
            "select 'accounts'::regclass::oid, 'accounts_pkey'::regclass::oid")) {
      rs.next();
      pgAccountsOid = rs.getLong(1);
      pgIndexOid = rs.getLong(2);
    }
    PgCatalogView view = PgCatalogView.of(CatalogFixtures.catalog());
    ordoAccountsOid = view.relations().stream()
        .filter(r -> r.name().equals("accounts")).findFirst().orElseThrow().oid();
    ordoIndexOid = view.indexOid(CatalogFixtures.accounts());
  }

  @AfterAll
  void dropSchema() throws Exception {
    if (live != null) {
      live.close();
    }
  }

  static Stream<Arguments> captured() {
    return PgCatalogAnswersTest.captured();
  }

  /** Parameters for PostgreSQL and for Ordo: the schema is the test schema there, public here. */
  private static List<Object> params(String resource, String schema) {
    return switch (resource) {
      case "pgjdbc/type_name_by_oid" -> List.of(22);
      case "pgjdbc/sql_type_by_oid" -> List.of(22L);
      case "pgjdbc/oid_by_name" -> List.of("int2vector");
      case "pgjdbc/oid_by_qualified_name" -> List.of("int2vector", "pg_catalog", false);
      case "pgjdbc/array_oid_by_name" -> Arrays.asList("text", null, true);
      case "pgjdbc/array_delimiter", "pgjdbc/array_element_by_oid" -> List.of(1009);
      case "pgjdbc/get_tables_all" -> List.of("accounts");
      case "pgjdbc/get_tables_schema_types" -> List.of(schema, "%");
      case "pgjdbc/get_columns", "pgjdbc/get_primary_keys", "pgjdbc/get_index_info" ->
          List.of("accounts");
      case "pgjdbc/get_columns_all_filters" -> List.of(schema, "kv", "%");
      case "pgjdbc/get_primary_keys_schema", "pgjdbc/get_index_info_unique" ->
          List.of(schema, "kv");
      case "pgjdbc/get_schemas_pattern" -> List.of(schema);
      default -> List.of();
    };
  }

  /** Columns whose values differ by design (PGCATALOG.md), not compared. */
  private static final Map<String, Set<String>> ROWS_COMPARED_EXCEPT = Map.ofEntries(
      Map.entry("psql/dt", Set.of()),
      Map.entry("psql/d", Set.of()),
      Map.entry("psql/di", Set.of()),
      Map.entry("psql/dt_plus_name", Set.of("Access method", "Size")),
      Map.entry("psql/describe_1_oid", Set.of("oid")),
      Map.entry("psql/describe_2_table", Set.of("amname")),
      Map.entry("psql/describe_2_table_plus", Set.of("amname")),
      Map.entry("psql/describe_3_columns", Set.of()),
      Map.entry("psql/describe_3_columns_plus", Set.of()),
      Map.entry("psql/describe_4_indexes", Set.of()),
      Map.entry("psql/describe_index_2_relation", Set.of()),
      Map.entry("psql/describe_index_2_relation_plus", Set.of()),
      Map.entry("psql/describe_index_3_columns", Set.of()),
      Map.entry("psql/describe_index_3_columns_plus", Set.of()),
      Map.entry("psql/describe_index_4_index", Set.of()),
      Map.entry("psql/describe_5_policies", Set.of()),
      Map.entry("psql/describe_7_publications", Set.of()),
      Map.entry("psql/describe_8_inherits", Set.of()),
      Map.entry("pgjdbc/get_tables_all", Set.of()),
      Map.entry("pgjdbc/get_tables_schema_types", Set.of()),
      Map.entry("pgjdbc/get_columns", Set.of()),
      Map.entry("pgjdbc/get_columns_all_filters", Set.of()),
      Map.entry("pgjdbc/get_primary_keys", Set.of()),
      Map.entry("pgjdbc/get_primary_keys_schema", Set.of()),
      Map.entry("pgjdbc/get_index_info", Set.of("CARDINALITY", "PAGES")),
      Map.entry("pgjdbc/get_index_info_unique", Set.of("CARDINALITY", "PAGES")),
      Map.entry("pgjdbc/get_schemas_pattern", Set.of()),
      Map.entry("pgjdbc/type_name_by_oid", Set.of()),
      Map.entry("pgjdbc/sql_type_by_oid", Set.of()),
      Map.entry("pgjdbc/oid_by_name", Set.of()),
      Map.entry("pgjdbc/oid_by_qualified_name", Set.of()),
      Map.entry("pgjdbc/array_oid_by_name", Set.of()),
      Map.entry("pgjdbc/array_delimiter", Set.of()),
      Map.entry("pgjdbc/array_element_by_oid", Set.of()));

  @ParameterizedTest(name = "{0}")
  @MethodSource("captured")
  void answersHavePostgresColumnsAndRows(String resource, String id) throws Exception {
    ClientQuery q = ClientQuery.load(resource);
    boolean index = q.embeddedOid() >= 0 && q.embedsIndexOid();
    String pgText = q.embeddedOid() < 0 ? q.text()
        : q.withOid(index ? pgIndexOid : pgAccountsOid);
    String ordoText = q.embeddedOid() < 0 ? q.text()
        : q.withOid(index ? ordoIndexOid : ordoAccountsOid);
    List<String> pgNames = new ArrayList<>();
    List<String> pgTypes = new ArrayList<>();
    List<List<String>> pgRows = new ArrayList<>();
    boolean aboutRelations = resource.startsWith("psql/") || resource.startsWith("pgjdbc/get_");
    try (PreparedStatement ps = pg.prepareStatement(pgText.replaceAll("\\$[0-9]+", "?"))) {
      List<Object> p = params(resource, schema);
      for (int i = 0; i < p.size(); i++) {
        if (p.get(i) == null) {
          ps.setNull(i + 1, java.sql.Types.VARCHAR);
        } else {
          ps.setObject(i + 1, p.get(i));
        }
      }
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          pgNames.add(md.getColumnLabel(i));
          pgTypes.add(md.getColumnTypeName(i));
        }
        while (rs.next()) {
          List<String> row = new ArrayList<>();
          boolean otherSchema = false;
          for (int i = 1; i <= md.getColumnCount(); i++) {
            String v = rs.getString(i);
            // Tables of other schemas of the shared server are not this test's.
            otherSchema |= aboutRelations && SCHEMA_COLUMNS.contains(md.getColumnLabel(i))
                && !schema.equals(v);
            row.add(schema.equals(v) ? "public" : v);
          }
          if (!otherSchema) {
            pgRows.add(row);
          }
        }
      }
    }
    StatementResult ordo = answers.answer(ordoText, new ArrayList<>(params(resource, "public")),
        CatalogFixtures.catalog(), session).orElseThrow();

    // pgjdbc upper-cases the labels of getTables and getIndexInfo itself; the server's are
    // the query's aliases, which the answers carry.
    assertThat(ordo.columns()).extracting(Column::name).containsExactlyElementsOf(pgNames);
    for (int i = 0; i < pgTypes.size(); i++) {
      String ours = TYPNAME.get(ordo.columns().get(i).type());
      String theirs = pgTypes.get(i);
      if (!theirs.equals(ours)) {
        assertThat(TYPE_DEVIATIONS).as("type of column %s", pgNames.get(i))
            .contains(resource + ":" + pgNames.get(i) + ":" + theirs);
      }
    }

    Set<String> except = ROWS_COMPARED_EXCEPT.get(resource);
    if (except != null) {
      assertThat(project(text(ordo.rows()), pgNames, except))
          .containsExactlyElementsOf(project(pgRows, pgNames, except));
    }
  }

  /** Values as pgjdbc's getString gives them (booleans as t/f). */
  private static List<List<String>> text(List<List<Object>> rows) {
    List<List<String>> out = new ArrayList<>();
    for (List<Object> row : rows) {
      List<String> r = new ArrayList<>();
      for (Object v : row) {
        r.add(v == null ? null : v instanceof Boolean b ? (b ? "t" : "f") : String.valueOf(v));
      }
      out.add(r);
    }
    return out;
  }

  private static List<List<String>> project(
      List<List<String>> rows, List<String> names, Set<String> except) {
    List<List<String>> out = new ArrayList<>();
    for (List<String> row : rows) {
      List<String> r = new ArrayList<>();
      for (int i = 0; i < row.size(); i++) {
        r.add(except.contains(names.get(i)) ? "-" : row.get(i));
      }
      out.add(r);
    }
    return out;
  }
}
