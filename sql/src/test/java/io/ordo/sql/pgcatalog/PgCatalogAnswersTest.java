package io.ordo.sql.pgcatalog;

import static io.ordo.sql.pgcatalog.CatalogFixtures.catalog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.catalog.CatalogSnapshot;
import io.ordo.sql.catalog.TableDef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Answers to the exact texts psql 15 and pgjdbc 42.7.14 send, against {@link CatalogFixtures}. */
class PgCatalogAnswersTest {
  private static final SessionInfo SESSION = new SessionInfo("alice", "shop", "15.0");
  private final PgCatalogAnswers answers = new PgCatalogAnswers();

  /** Every captured text and the known query it must be recognized as. */
  static Stream<Arguments> captured() {
    return Stream.of(
        Arguments.of("psql/dt", "psql.listRelations"),
        Arguments.of("psql/dt_plus", "psql.listRelations"),
        Arguments.of("psql/d", "psql.listRelations"),
        Arguments.of("psql/d_plus", "psql.listRelations"),
        Arguments.of("psql/dt_pattern", "psql.listRelations"),
        Arguments.of("psql/dt_schema_pattern", "psql.listRelations"),
        Arguments.of("psql/dt_any_schema", "psql.listRelations"),
        Arguments.of("psql/dt_plus_name", "psql.listRelations"),
        Arguments.of("psql/dt_alternation", "psql.listRelations"),
        Arguments.of("psql/dt_escaped", "psql.listRelations"),
        Arguments.of("psql/describe_1_oid_schema_pattern", "psql.relationOid"),
        Arguments.of("psql/di", "psql.listRelations"),
        Arguments.of("psql/di_plus", "psql.listRelations"),
        Arguments.of("psql/di_pattern", "psql.listRelations"),
        Arguments.of("psql/dv", "psql.listRelations"),
        Arguments.of("psql/ds", "psql.listRelations"),
        Arguments.of("psql/describe_1_oid", "psql.relationOid"),
        Arguments.of("psql/describe_1_oid_schema", "psql.relationOid"),
        Arguments.of("psql/describe_1_oid_any_schema", "psql.relationOid"),
        Arguments.of("psql/describe_1_oid_quoted", "psql.relationOid"),
        Arguments.of("psql/describe_1_oid_nosuch", "psql.relationOid"),
        Arguments.of("psql/describe_1_oid_visible_only", "psql.relationOid"),
        Arguments.of("psql/describe_1_oid_all", "psql.relationOid"),
        Arguments.of("psql/describe_2_table", "psql.tableInfo"),
        Arguments.of("psql/describe_2_table_plus", "psql.tableInfo"),
        Arguments.of("psql/describe_3_columns", "psql.tableColumns"),
        Arguments.of("psql/describe_3_columns_plus", "psql.tableColumns"),
        Arguments.of("psql/describe_4_indexes", "psql.tableIndexes"),
        Arguments.of("psql/describe_5_policies", "psql.policies"),
        Arguments.of("psql/describe_6_statistics", "psql.statistics"),
        Arguments.of("psql/describe_7_publications", "psql.publications"),
        Arguments.of("psql/describe_8_inherits", "psql.inheritsParents"),
        Arguments.of("psql/describe_9_partitions", "psql.inheritsChildren"),
        Arguments.of("psql/describe_index_2_relation", "psql.tableInfo"),
        Arguments.of("psql/describe_index_2_relation_plus", "psql.tableInfo"),
        Arguments.of("psql/describe_index_3_columns", "psql.indexColumns"),
        Arguments.of("psql/describe_index_3_columns_plus", "psql.indexColumns"),
        Arguments.of("psql/describe_index_4_index", "psql.indexInfo"),
        Arguments.of("psql/l", "psql.listDatabases"),
        Arguments.of("psql/l_plus", "psql.listDatabases"),
        Arguments.of("psql/l_pattern", "psql.listDatabases"),
        Arguments.of("psql/dn", "psql.listSchemas"),
        Arguments.of("psql/dn_plus", "psql.listSchemas"),
        Arguments.of("psql/dn_pattern", "psql.listSchemas"),
        Arguments.of("psql/dn_all", "psql.listSchemas"),
        Arguments.of("psql/dn_pattern_2", "psql.schemaPublications"),
        Arguments.of("pgjdbc/current_catalog", "session.currentCatalog"),
        Arguments.of("pgjdbc/get_tables_all", "pgjdbc.getTables"),
        Arguments.of("pgjdbc/get_tables_schema_types", "pgjdbc.getTables"),
        Arguments.of("pgjdbc/get_tables_types", "pgjdbc.getTables"),
        Arguments.of("pgjdbc/get_columns", "pgjdbc.getColumns"),
        Arguments.of("pgjdbc/get_columns_all_filters", "pgjdbc.getColumns"),
        Arguments.of("pgjdbc/get_primary_keys", "pgjdbc.getPrimaryKeys"),
        Arguments.of("pgjdbc/get_primary_keys_schema", "pgjdbc.getPrimaryKeys"),
        Arguments.of("pgjdbc/get_index_info", "pgjdbc.getIndexInfo"),
        Arguments.of("pgjdbc/get_index_info_unique", "pgjdbc.getIndexInfo"),
        Arguments.of("pgjdbc/get_schemas", "pgjdbc.getSchemas"),
        Arguments.of("pgjdbc/get_schemas_pattern", "pgjdbc.getSchemas"),
        Arguments.of("pgjdbc/get_catalogs", "pgjdbc.getCatalogs"),
        Arguments.of("pgjdbc/type_name_by_oid", "pgjdbc.typeNameByOid"),
        Arguments.of("pgjdbc/sql_type_by_oid", "pgjdbc.sqlTypeByOid"),
        Arguments.of("pgjdbc/oid_by_name", "pgjdbc.oidByName"),
        Arguments.of("pgjdbc/oid_by_qualified_name", "pgjdbc.oidByQualifiedName"),
        Arguments.of("pgjdbc/array_oid_by_name", "pgjdbc.arrayOidByName"),
        Arguments.of("pgjdbc/array_delimiter", "pgjdbc.arrayDelimiter"),
        Arguments.of("pgjdbc/array_element_by_oid", "pgjdbc.arrayElementByOid"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("captured")
  void everyCapturedTextIsRecognizedAsItsQuery(String resource, String id) throws Exception {
    ClientQuery q = ClientQuery.load(resource);
    assertThat(answers.recognizedId(q.text())).contains(id);
    PgCatalogAnswers.Description d = answers.describe(q.text()).orElseThrow();
    List<Object> params = new ArrayList<>();
    for (SqlType t : d.parameterTypes()) {
      params.add(t == SqlType.OID ? "25" : t == SqlType.BOOLEAN ? "true" : "%");
    }
    StatementResult r = answers.answer(q.text(), params, catalog(), SESSION).orElseThrow();
    assertThat(r.columns()).isEqualTo(d.columns());
    assertThat(r.commandTag()).isEqualTo("SELECT " + r.rows().size());
  }

  @Test
  void everyResourceIsInTheCapturedList() throws Exception {
    List<String> listed = captured().map(a -> (String) a.get()[0]).sorted().toList();
    List<String> stored = new ArrayList<>();
    for (String dir : List.of("psql", "pgjdbc")) {
      Path root = Path.of(getClass().getResource("/pgcatalog/" + dir).toURI());
      try (Stream<Path> files = Files.list(root)) {
        files.map(f -> dir + "/" + f.getFileName().toString().replaceFirst("\\.sql$", ""))
            .forEach(stored::add);
      }
    }
    assertThat(listed).containsExactlyInAnyOrderElementsOf(stored);
  }

  private StatementResult answer(String resource, Object... params) throws SqlException {
    return answerText(ClientQuery.load(resource).text(), params);
  }

  private StatementResult answerText(String sql, Object... params) throws SqlException {
    return answers.answer(sql, Arrays.asList(params), catalog(), SESSION).orElseThrow(
        () -> new AssertionError("not recognized: " + sql));
  }

  private static List<String> names(StatementResult r) {
    return r.columns().stream().map(Column::name).toList();
  }

  private static List<SqlType> types(StatementResult r) {
    return r.columns().stream().map(Column::type).toList();
  }

  private static long oidOf(StatementResult lookup, String relname) {
    return lookup.rows().stream().filter(row -> row.get(2).equals(relname))
        .map(row -> (Long) row.get(0)).findFirst().orElseThrow();
  }

  @Test
  void dtListsTheTablesInPublicOwnedByTheSessionUser() throws Exception {
    StatementResult r = answer("psql/dt");
    assertThat(names(r)).containsExactly("Schema", "Name", "Type", "Owner");
    assertThat(types(r)).containsExactly(SqlType.NAME, SqlType.NAME, SqlType.TEXT, SqlType.NAME);
    assertThat(r.rows()).containsExactly(
        List.of("public", "accounts", "table", "alice"),
        List.of("public", "kv", "table", "alice"));
  }

  @Test
  void dtPlusAddsPersistenceAccessMethodSizeAndDescription() throws Exception {
    StatementResult r = answer("psql/dt_plus");
    assertThat(names(r)).containsExactly("Schema", "Name", "Type", "Owner", "Persistence",
        "Access method", "Size", "Description");
    assertThat(r.rows()).containsExactly(
        Arrays.asList("public", "accounts", "table", "alice", "permanent", null, null, null),
        Arrays.asList("public", "kv", "table", "alice", "permanent", null, null, null));
  }

  @Test
  void dListsTablesButNotIndexesAndDiListsThePrimaryKeys() throws Exception {
    assertThat(answer("psql/d").rows()).extracting(row -> row.get(1))
        .containsExactly("accounts", "kv");
    StatementResult di = answer("psql/di");
    assertThat(names(di)).containsExactly("Schema", "Name", "Type", "Owner", "Table");
    assertThat(di.rows()).containsExactly(
        List.of("public", "accounts_pkey", "index", "alice", "accounts"),
        List.of("public", "kv_pkey", "index", "alice", "kv"));
    assertThat(answer("psql/di_plus").rows()).extracting(row -> row.get(6))
        .containsExactly("btree", "btree");
    assertThat(answer("psql/dv").rows()).isEmpty();
    assertThat(answer("psql/ds").rows()).isEmpty();
  }

  @Test
  void patternsFilterByPsqlsRegularExpressions() throws Exception {
    assertThat(answer("psql/dt_pattern").rows()).extracting(row -> row.get(1))
        .containsExactly("accounts");
    assertThat(answer("psql/dt_schema_pattern").rows()).extracting(row -> row.get(1))
        .containsExactly("accounts");
    assertThat(answer("psql/dt_any_schema").rows()).extracting(row -> row.get(1))
        .containsExactly("accounts");
    assertThat(answer("psql/di_pattern").rows()).extracting(row -> row.get(1))
        .containsExactly("accounts_pkey");
    assertThat(answer("psql/dt_alternation").rows()).isEmpty();
    assertThat(answer("psql/dt_escaped").rows()).isEmpty();
    String kvOrAccounts = ClientQuery.load("psql/dt_alternation").text()
        .replace("'^(x|y)$'", "'^(kv|accounts)$'");
    assertThat(answerText(kvOrAccounts).rows()).hasSize(2);
    // E'^(a\\$b)$' is the regex ^(a\$b)$: a literal dollar sign.
    String dollar = ClientQuery.load("psql/dt_escaped").text().replace("a\\\\$b", "kv\\\\$");
    assertThat(answerText(dollar).rows()).isEmpty();
    String otherSchema = ClientQuery.load("psql/dt_schema_pattern").text()
        .replace("'^(public)$'", "'^(other)$'");
    assertThat(answerText(otherSchema).rows()).isEmpty();
  }

  @Test
  void describeTableRunsPsqlsNineQueriesToAFullDescription() throws Exception {
    StatementResult lookup = answer("psql/describe_1_oid");
    assertThat(names(lookup)).containsExactly("oid", "nspname", "relname");
    assertThat(types(lookup)).containsExactly(SqlType.OID, SqlType.NAME, SqlType.NAME);
    assertThat(lookup.rows()).hasSize(1);
    long oid = oidOf(lookup, "accounts");
    assertThat(oid).isBetween(16384L, (long) Integer.MAX_VALUE);

    StatementResult info = answerText(ClientQuery.load("psql/describe_2_table").withOid(oid));
    assertThat(info.rows()).containsExactly(Arrays.asList((short) 0, "r", true, false, false,
        false, false, false, false, "", 0L, "", "p", "d", null));

    StatementResult columns = answerText(ClientQuery.load("psql/describe_3_columns").withOid(oid));
    assertThat(columns.rows()).extracting(row -> row.get(0), row -> row.get(1), row -> row.get(2),
        row -> row.get(3)).containsExactly(
            tuple("id", "bigint", null, true),
            tuple("owner", "character varying(20)", null, true),
            tuple("balance", "numeric(12,2)", "0", false),
            tuple("opened", "timestamp with time zone", null, false));

    StatementResult indexes = answerText(ClientQuery.load("psql/describe_4_indexes").withOid(oid));
    assertThat(indexes.rows()).containsExactly(Arrays.asList("accounts_pkey", true, true, false,
        true, "CREATE UNIQUE INDEX accounts_pkey ON accounts USING btree (id)",
        "PRIMARY KEY (id)", "p", false, false, false, 0L));

    for (String rest : List.of("psql/describe_5_policies", "psql/describe_6_statistics",
        "psql/describe_7_publications", "psql/describe_8_inherits",
        "psql/describe_9_partitions")) {
      assertThat(answerText(ClientQuery.load(rest).withOid(oid)).rows()).as(rest).isEmpty();
    }
  }

  @Test
  void describeVerboseAddsStorageAndACompositeKeyListsBothColumns() throws Exception {
    long kvOid = oidOf(answerText(ClientQuery.load("psql/describe_1_oid").text()
        .replace("'^(accounts)$'", "'^(kv)$'")), "kv");
    StatementResult columns =
        answerText(ClientQuery.load("psql/describe_3_columns_plus").withOid(kvOid));
    assertThat(names(columns)).endsWith("attstorage", "attcompression", "attstattarget",
        "col_description");
    assertThat(columns.rows()).extracting(row -> row.get(0), row -> row.get(1), row -> row.get(7))
        .containsExactly(tuple("k", "text", "x"), tuple("n", "integer", "p"),
            tuple("b", "boolean", "p"), tuple("s", "smallint", "p"),
            tuple("d", "double precision", "p"), tuple("by", "bytea", "x"),
            tuple("dt", "date", "p"), tuple("ts", "timestamp without time zone", "p"),
            tuple("j", "jsonb", "x"), tuple("t", "text", "x"),
            tuple("v", "character varying", "x"));
    assertThat(answerText(ClientQuery.load("psql/describe_4_indexes").withOid(kvOid)).rows())
        .extracting(row -> row.get(5), row -> row.get(6))
        .containsExactly(tuple("CREATE UNIQUE INDEX kv_pkey ON kv USING btree (k, n)",
            "PRIMARY KEY (k, n)"));
    assertThat(names(answerText(ClientQuery.load("psql/describe_2_table_plus").withOid(kvOid))))
        .contains("array_to_string");
  }

  @Test
  void describeIndexShowsThePrimaryKeyIndex() throws Exception {
    StatementResult lookup = answerText(ClientQuery.load("psql/describe_1_oid").text()
        .replace("'^(accounts)$'", "'^(kv_pkey)$'"));
    long oid = oidOf(lookup, "kv_pkey");
    assertThat(oid).isEqualTo(PgCatalogView.of(catalog()).indexOid(CatalogFixtures.kv()));
    assertThat(answerText(ClientQuery.load("psql/describe_index_2_relation").withOid(oid)).rows())
        .containsExactly(Arrays.asList((short) 0, "i", false, false, false, false, false, false,
            false, "", 0L, "", "p", "n", "btree"));
    assertThat(answerText(ClientQuery.load("psql/describe_index_3_columns_plus").withOid(oid))
        .rows()).containsExactly(Arrays.asList("k", "text", "yes", "k", "x", null),
            Arrays.asList("n", "integer", "yes", "n", "p", null));
    assertThat(answerText(ClientQuery.load("psql/describe_index_4_index").withOid(oid)).rows())
        .containsExactly(Arrays.asList(true, true, false, true, false, false, false, false,
            "btree", "kv", null));
    long table = oidOf(answer("psql/describe_1_oid"), "accounts");
    assertThat(answerText(ClientQuery.load("psql/describe_index_4_index").withOid(table)).rows())
        .isEmpty();
    assertThat(answerText(ClientQuery.load("psql/describe_index_3_columns").withOid(table))
        .rows()).isEmpty();
  }

  @Test
  void unknownRelationsAndOidsGiveNoRowsAsInPostgres() throws Exception {
    assertThat(answer("psql/describe_1_oid_nosuch").rows()).isEmpty();
    assertThat(answer("psql/describe_1_oid_quoted").rows()).isEmpty();
    long unknown = 16383;
    for (String step : List.of("psql/describe_2_table", "psql/describe_3_columns",
        "psql/describe_4_indexes")) {
      assertThat(answerText(ClientQuery.load(step).withOid(unknown)).rows()).as(step).isEmpty();
    }
    // The index's oid is not a table's: psql's table queries find nothing for it.
    long accounts = oidOf(answer("psql/describe_1_oid"), "accounts");
    long index = answer("psql/di").rows().isEmpty() ? -1 : PgCatalogView.of(catalog())
        .indexOid(CatalogFixtures.accounts());
    assertThat(index).isNotEqualTo(accounts);
    assertThat(answerText(ClientQuery.load("psql/describe_3_columns").withOid(index)).rows())
        .isEmpty();
  }

  @Test
  void describeLookupHonoursTheSchema() throws Exception {
    assertThat(answer("psql/describe_1_oid_schema").rows()).extracting(row -> row.get(2))
        .containsExactly("accounts");
    assertThat(answer("psql/describe_1_oid_any_schema").rows()).extracting(row -> row.get(2))
        .containsExactly("accounts", "accounts_pkey");
    assertThat(answer("psql/describe_1_oid_visible_only").rows()).extracting(row -> row.get(2))
        .containsExactly("accounts", "accounts_pkey", "kv", "kv_pkey");
    assertThat(answer("psql/describe_1_oid_all").rows()).hasSize(4);
    String other = ClientQuery.load("psql/describe_1_oid_schema").text()
        .replace("'^(public)$'", "'^(pg_catalog)$'");
    assertThat(answerText(other).rows()).isEmpty();
  }

  @Test
  void listDatabasesAndSchemasShowTheSessionDatabaseAndPublic() throws Exception {
    StatementResult l = answer("psql/l");
    assertThat(names(l)).containsExactly("Name", "Owner", "Encoding", "Collate", "Ctype",
        "ICU Locale", "Locale Provider", "Access privileges");
    assertThat(l.rows()).containsExactly(
        Arrays.asList("shop", "alice", "UTF8", "C", "C", null, "libc", null));
    assertThat(answer("psql/l_plus").columns()).hasSize(11);
    assertThat(answer("psql/l_pattern").rows()).isEmpty(); // '^(tes.*)$' vs "shop"
    assertThat(answer("psql/dn").rows()).containsExactly(List.of("public", "alice"));
    assertThat(answer("psql/dn_plus").rows())
        .containsExactly(Arrays.asList("public", "alice", null, null));
    assertThat(answer("psql/dn_pattern").rows()).containsExactly(List.of("public", "alice"));
    assertThat(answer("psql/dn_pattern_2").rows()).isEmpty();
    assertThat(answer("psql/dn_all").rows()).containsExactly(List.of("public", "alice"));
  }

  @Test
  void getTablesFiltersBySchemaNameAndType() throws Exception {
    StatementResult all = answer("pgjdbc/get_tables_all", "%");
    assertThat(names(all)).containsExactly("TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME",
        "TABLE_TYPE", "REMARKS", "TYPE_CAT", "TYPE_SCHEM", "TYPE_NAME",
        "SELF_REFERENCING_COL_NAME", "REF_GENERATION");
    assertThat(all.rows()).containsExactly(
        Arrays.asList("shop", "public", "accounts_pkey", "INDEX", null, "", "", "", "", ""),
        Arrays.asList("shop", "public", "kv_pkey", "INDEX", null, "", "", "", "", ""),
        Arrays.asList("shop", "public", "accounts", "TABLE", null, "", "", "", "", ""),
        Arrays.asList("shop", "public", "kv", "TABLE", null, "", "", "", "", ""));
    String indexesOnly = ClientQuery.load("pgjdbc/get_tables_types").text().replace(
        "c.relkind = 'r' AND n.nspname !~ '^pg_'", "c.relkind = 'i' AND n.nspname !~ '^pg_'");
    assertThat(answerText(indexesOnly).rows()).extracting(row -> row.get(2))
        .containsExactly("accounts_pkey", "kv_pkey");
    assertThat(answer("pgjdbc/get_tables_schema_types", "public", "acc%").rows())
        .extracting(row -> row.get(2)).containsExactly("accounts");
    assertThat(answer("pgjdbc/get_tables_schema_types", "ordo%", "%").rows()).isEmpty();
    assertThat(answer("pgjdbc/get_tables_all", "k_").rows()).extracting(row -> row.get(2))
        .containsExactly("kv");
    assertThat(answer("pgjdbc/get_tables_all", "kv%").rows()).extracting(row -> row.get(3))
        .containsExactly("INDEX", "TABLE");
    assertThat(answer("pgjdbc/get_tables_all", new Object[] {null}).rows()).isEmpty();
    assertThat(answer("pgjdbc/get_tables_types").rows()).hasSize(2);
    String viewsOnly = ClientQuery.load("pgjdbc/get_tables_types").text().replace(
        " OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ) ",
        "");
    assertThat(answers.recognizedId(viewsOnly)).contains("pgjdbc.getTables");
    assertThat(answerText(viewsOnly).rows()).isEmpty();
  }

  @Test
  void getColumnsGivesPostgresTypeOidsModifiersAndDefaults() throws Exception {
    StatementResult r = answer("pgjdbc/get_columns", "accounts");
    assertThat(names(r)).containsExactly("current_database", "nspname", "relname", "attname",
        "atttypid", "attnotnull", "atttypmod", "attlen", "typtypmod", "attnum", "attidentity",
        "attgenerated", "adsrc", "description", "typbasetype", "typtype");
    assertThat(r.rows()).containsExactly(
        Arrays.asList("shop", "public", "accounts", "id", 20L, true, -1, (short) 8, -1, 1L, null,
            null, null, null, 0L, "b"),
        Arrays.asList("shop", "public", "accounts", "owner", 1043L, true, 24, (short) -1, -1, 2L,
            null, null, null, null, 0L, "b"),
        Arrays.asList("shop", "public", "accounts", "balance", 1700L, false, 786438, (short) -1,
            -1, 3L, null, null, "0", null, 0L, "b"),
        Arrays.asList("shop", "public", "accounts", "opened", 1184L, false, -1, (short) 8, -1, 4L,
            null, null, null, null, 0L, "b"));
    StatementResult kv = answer("pgjdbc/get_columns_all_filters", "public", "kv", "d%");
    assertThat(kv.rows()).extracting(row -> row.get(3), row -> row.get(9))
        .containsExactly(tuple("d", 5L), tuple("dt", 7L));
  }

  @Test
  void primaryKeysAndIndexInfoListTheKeyColumnsInKeyOrder() throws Exception {
    StatementResult pk = answer("pgjdbc/get_primary_keys_schema", "public", "kv");
    assertThat(pk.rows()).containsExactly(
        Arrays.asList("shop", "public", "kv", "k", 1, "kv_pkey"),
        Arrays.asList("shop", "public", "kv", "n", 2, "kv_pkey"));
    assertThat(answer("pgjdbc/get_primary_keys", "accounts").rows())
        .containsExactly(Arrays.asList("shop", "public", "accounts", "id", 1, "accounts_pkey"));
    assertThat(answer("pgjdbc/get_primary_keys", "acc%").rows()).isEmpty(); // = is not LIKE

    StatementResult idx = answer("pgjdbc/get_index_info_unique", "public", "kv");
    assertThat(idx.rows()).containsExactly(
        Arrays.asList("shop", "public", "kv", false, null, "kv_pkey", 3, 1, "k", "A", 0.0, 0,
            null, null),
        Arrays.asList("shop", "public", "kv", false, null, "kv_pkey", 3, 2, "n", "A", 0.0, 0,
            null, null));
    assertThat(answer("pgjdbc/get_index_info", "nosuch").rows()).isEmpty();
  }

  @Test
  void schemasCatalogsAndSessionValues() throws Exception {
    assertThat(answer("pgjdbc/get_schemas").rows()).containsExactly(List.of("public", "shop"));
    assertThat(answer("pgjdbc/get_schemas_pattern", "ordo%").rows()).isEmpty();
    assertThat(answer("pgjdbc/get_schemas_pattern", "pub%").rows()).hasSize(1);
    assertThat(answer("pgjdbc/get_catalogs").rows()).containsExactly(List.of("shop"));
    assertThat(answer("pgjdbc/current_catalog").rows()).containsExactly(List.of("shop"));
    assertThat(answerText("SELECT version();").rows())
        .containsExactly(List.of("PostgreSQL 15.0 (Ordo)"));
    assertThat(answerText("select pg_catalog.version()").columns())
        .containsExactly(Column.of("version", SqlType.TEXT));
    assertThat(answerText("SELECT current_user").rows()).containsExactly(List.of("alice"));
    assertThat(answerText("select current_schema()").rows()).containsExactly(List.of("public"));
    assertThat(answerText("select current_database()").rows()).containsExactly(List.of("shop"));
  }

  @Test
  void typeLookupsAnswerFromOrdosTypes() throws Exception {
    assertThat(answer("pgjdbc/type_name_by_oid", 22).rows())
        .containsExactly(List.of(true, "pg_catalog", "int2vector"));
    assertThat(answer("pgjdbc/type_name_by_oid", 600).rows()).isEmpty(); // point: not Ordo's
    assertThat(answer("pgjdbc/sql_type_by_oid", 1009L).rows())
        .containsExactly(List.of(true, "b", "_text", 1009L));
    String allTypes = ClientQuery.load("pgjdbc/sql_type_by_oid").text()
        .replace(" WHERE pg_type.oid = $1 ", " ");
    assertThat(answerText(allTypes).rows()).hasSize(SqlType.values().length)
        .extracting(row -> (Long) row.get(3)).isSortedAccordingTo((a, b) -> Long.compare(b, a));
    assertThat(answer("pgjdbc/oid_by_name", "jsonb").rows())
        .containsExactly(List.of(3802L, "jsonb"));
    assertThat(answer("pgjdbc/oid_by_qualified_name", "int8", "pg_catalog", false).rows())
        .containsExactly(List.of(20L, "int8"));
    assertThat(answer("pgjdbc/oid_by_qualified_name", "int8", "public", false).rows()).isEmpty();
    assertThat(answer("pgjdbc/oid_by_qualified_name", "int8", null, "TRUE").rows()).hasSize(1);
    assertThat(answer("pgjdbc/array_oid_by_name", "text", null, true).rows())
        .containsExactly(List.of(1009L, "_text"));
    assertThat(answer("pgjdbc/array_oid_by_name", "int4", null, true).rows()).isEmpty();
    assertThat(answer("pgjdbc/array_delimiter", 1009).rows()).containsExactly(List.of(","));
    assertThat(answer("pgjdbc/array_delimiter", 25).rows()).isEmpty();
    assertThat(answer("pgjdbc/array_element_by_oid", 1009).rows())
        .containsExactly(List.of(25L, true, "pg_catalog", "text"));
    assertThat(answers.describe(ClientQuery.load("pgjdbc/oid_by_qualified_name").text())
        .orElseThrow().parameterTypes())
        .containsExactly(SqlType.NAME, SqlType.NAME, SqlType.BOOLEAN);
    assertThat(answers.describe(ClientQuery.load("pgjdbc/array_delimiter").text())
        .orElseThrow().parameterTypes()).containsExactly(SqlType.OID);
    assertThatThrownBy(() -> answer("pgjdbc/type_name_by_oid", "x"))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("22P02"));
    assertThatThrownBy(() -> answer("pgjdbc/array_oid_by_name", "text", null, "maybe"))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("22P02"));
  }

  @Test
  void describeGivesParameterTypesAsPostgresInfersThem() {
    assertThat(answers.describe(ClientQuery.load("pgjdbc/get_tables_schema_types").text())
        .orElseThrow().parameterTypes()).containsExactly(SqlType.TEXT, SqlType.TEXT);
    assertThat(answers.describe(ClientQuery.load("pgjdbc/get_primary_keys_schema").text())
        .orElseThrow().parameterTypes()).containsExactly(SqlType.NAME, SqlType.NAME);
    assertThat(answers.describe(ClientQuery.load("psql/dt").text()).orElseThrow()
        .parameterTypes()).isEmpty();
    assertThat(answers.describe(ClientQuery.load("psql/dt_plus").text()).orElseThrow().columns())
        .hasSize(8);
  }

  @Test
  void literalsInlinedBySimpleQueryModeWorkLikeParameters() throws Exception {
    String inlined = ClientQuery.load("pgjdbc/get_columns").text()
        .replace("c.relname LIKE $1", "c.relname LIKE 'acc%'");
    assertThat(answerText(inlined).rows()).hasSize(4);
    String cast = ClientQuery.load("pgjdbc/get_primary_keys").text()
        .replace("ct.relname = $1", "ct.relname = 'kv'::varchar");
    assertThat(answerText(cast).rows()).hasSize(2);
    String quoted = ClientQuery.load("pgjdbc/get_primary_keys").text()
        .replace("ct.relname = $1", "ct.relname = 'it''s'");
    assertThat(answerText(quoted).rows()).isEmpty();
  }

  @Test
  void layoutAndKeywordCaseDoNotMatterButLiteralCaseDoes() throws Exception {
    String dt = ClientQuery.load("psql/dt").text();
    String relaid = dt.replaceAll("\n\\s*", "  \n\t ").replace("SELECT", "select")
        .replace("ORDER BY", "order   by") + "  ";
    assertThat(answerText(relaid).rows()).isEqualTo(answerText(dt).rows());
    assertThat(answers.recognizedId(dt.replace("'pg_catalog'", "'PG_CATALOG'"))).isEmpty();
    assertThat(answers.recognizedId(dt.replace("\"Schema\"", "\"schema\""))).isEmpty();
  }

  static Stream<String> nearMisses() {
    String dt = ClientQuery.load("psql/dt").text();
    String oid = ClientQuery.load("psql/describe_1_oid").text();
    String cols = ClientQuery.load("pgjdbc/get_columns").text();
    String tables = ClientQuery.load("pgjdbc/get_tables_types").text();
    String info = ClientQuery.load("psql/describe_2_table").text();
    String infoPlus = ClientQuery.load("psql/describe_2_table_plus").text();
    String di = ClientQuery.load("psql/di").text();
    String lPlus = ClientQuery.load("psql/l_plus").text();
    String oidSchema = ClientQuery.load("psql/describe_1_oid_schema").text();
    return Stream.of(
        // Combinations of optional parts psql never sends (and that would not mean the same).
        infoPlus.replace("c.relispartition, ", "c.relispartition, '', "),
        info.replace("c.relispartition, '', ", "c.relispartition, "),
        di.replace("     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid\n"
            + "     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid\n", ""),
        lPlus.replace("  JOIN pg_catalog.pg_tablespace t on d.dattablespace = t.oid\n", ""),
        oidSchema.replace("ORDER BY 2, 3;", "  AND pg_catalog.pg_table_is_visible(c.oid)\n"
            + "ORDER BY 2, 3;"),
        dt.replace("ORDER BY 1,2;", "AND c.relname = 'x'\nORDER BY 1,2;"),
        dt.replace("ORDER BY 1,2;", "ORDER BY 2,1;"),
        dt.replace("as \"Owner\"", "as \"Owner\", c.relpages"),
        dt.replace("pg_catalog.pg_class c", "pg_catalog.pg_class_x c"),
        dt.substring(0, dt.length() - 20),
        dt + " UNION SELECT 1,2,3,4",
        dt + "; DROP TABLE accounts",
        oid.replace("OPERATOR(pg_catalog.~)", "OPERATOR(pg_catalog.~~)"),
        oid.replace("'^(accounts)$'", "lower('^(accounts)$')"),
        oid.replace("'^(accounts)$'", "'^(accounts)$"),
        info.replace("'16388'", "'16388' OR true"),
        info.replace("'16388'", "(SELECT 16388)"),
        cols.replace("c.relname LIKE $1", "c.relname LIKE lower($1)"),
        cols.replace("ORDER BY nspname,c.relname,attnum", "ORDER BY attnum"),
        tables.replace("c.relkind = 'v'", "c.relkind = 'x'"),
        "select current_catalog, 1",
        "select version() from accounts",
        "SELECT * FROM accounts",
        "SELECT n.nspname FROM pg_catalog.pg_namespace n",
        "",
        ";");
  }

  @ParameterizedTest
  @MethodSource("nearMisses")
  void nearMissesAreNotRecognized(String sql) throws Exception {
    assertThat(answers.recognizedId(sql)).isEmpty();
    assertThat(answers.describe(sql)).isEmpty();
    assertThat(answers.answer(sql, List.of(), catalog(), SESSION)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("captured")
  void mutatedTextsNeverCrash(String resource, String id) {
    String text = ClientQuery.load(resource).text();
    java.util.Random random = new java.util.Random(resource.hashCode());
    String alphabet = "'\"\\$();, \n%_*.:[]{}eE0aZ";
    for (int i = 0; i < 300; i++) {
      StringBuilder m = new StringBuilder(text);
      int at = random.nextInt(m.length());
      switch (random.nextInt(3)) {
        case 0 -> m.deleteCharAt(at);
        case 1 -> m.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
        default -> m.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String sql = m.toString();
      List<Object> params = Arrays.asList("x", null, "1", "true");
      try {
        answers.describe(sql);
        answers.answer(sql, params, catalog(), SESSION);
      } catch (SqlException e) {
        assertThat(e.sqlState()).hasSize(5);
      }
    }
  }

  @Test
  void badPatternsAndParametersFailWithPostgresSqlStates() {
    String dt = ClientQuery.load("psql/dt_pattern").text();
    assertThatThrownBy(() -> answerText(dt.replace("'^(acc.*)$'", "'^(acc[)$'")))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("2201B"));
    assertThatThrownBy(() -> answerText(dt.replace("'^(acc.*)$'", "'" + "a".repeat(2000) + "'")))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("2201B"));
    assertThatThrownBy(() -> answer("pgjdbc/get_tables_all", "acc\\"))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("22025"));
    assertThatThrownBy(() -> answer("pgjdbc/get_tables_schema_types", "public"))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("08P01"));
    assertThatThrownBy(() -> answerText(
        ClientQuery.load("psql/describe_3_columns").withOid(99_999_999_999L)))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("22003"));
  }

  @Test
  void oidsDependOnTheTableIdAloneAndStayInTheUserRange() throws Exception {
    long alone = oidOf(answers.answer(ClientQuery.load("psql/describe_1_oid").text(), List.of(),
        new CatalogSnapshot(List.of(CatalogFixtures.accounts()), List.of()), SESSION)
        .orElseThrow(), "accounts");
    long withOthers = oidOf(answer("psql/describe_1_oid"), "accounts");
    assertThat(alone).isEqualTo(withOthers)
        .isEqualTo(PgCatalogView.tableOidCandidate(CatalogFixtures.ACCOUNTS_ID));
    TableDef recreated = new TableDef("accounts", "00000000000000c3",
        CatalogFixtures.accounts().columns(), List.of("id"), 1);
    long afterRecreate = oidOf(answers.answer(ClientQuery.load("psql/describe_1_oid").text(),
        List.of(), new CatalogSnapshot(List.of(recreated), List.of()), SESSION).orElseThrow(),
        "accounts");
    assertThat(afterRecreate).isNotEqualTo(alone);
    for (int i = 0; i < 10_000; i++) {
      assertThat(PgCatalogView.tableOidCandidate(String.format("%016x", i * 7919L)))
          .isBetween(16384L, (long) Integer.MAX_VALUE);
    }
  }

  @Test
  void tablesWhoseOidsCollideStillGetDistinctOids() {
    Map<Long, String> seen = new HashMap<>();
    String a = null;
    String b = null;
    for (long i = 0; i < 2_000_000 && a == null; i++) {
      String id = String.format("%016x", i);
      String prior = seen.put(PgCatalogView.tableOidCandidate(id), id);
      if (prior != null) {
        a = prior;
        b = id;
      }
    }
    assertThat(a).as("a colliding pair of tableIds").isNotNull();
    TableDef first = new TableDef("first", a, CatalogFixtures.accounts().columns(),
        List.of("id"), 1);
    TableDef second = new TableDef("second", b, CatalogFixtures.accounts().columns(),
        List.of("id"), 1);
    PgCatalogView view = PgCatalogView.of(new CatalogSnapshot(List.of(first, second), List.of()));
    assertThat(view.relations()).extracting(PgCatalogView.Relation::oid).doesNotHaveDuplicates();
    Optional<TableDef> byCandidate = view.table(PgCatalogView.tableOidCandidate(a));
    assertThat(byCandidate).containsSame(first); // the lower tableId keeps its oid
  }

  @Test
  void namesAreQuotedAndIndexNamesCutAsPostgresDoes() {
    assertThat(PgCatalogView.quoteIdent("accounts")).isEqualTo("accounts");
    assertThat(PgCatalogView.quoteIdent("Foo")).isEqualTo("\"Foo\"");
    assertThat(PgCatalogView.quoteIdent("order")).isEqualTo("\"order\"");
    assertThat(PgCatalogView.quoteIdent("a\"b")).isEqualTo("\"a\"\"b\"");
    TableDef longName = new TableDef("t".repeat(63), "00000000000000d4",
        CatalogFixtures.accounts().columns(), List.of("id"), 1);
    TableDef clash = new TableDef("accounts_pkey", "00000000000000e5",
        CatalogFixtures.accounts().columns(), List.of("id"), 1);
    PgCatalogView view = PgCatalogView.of(new CatalogSnapshot(
        List.of(CatalogFixtures.accounts(), clash, longName), List.of()));
    assertThat(view.indexName(longName)).isEqualTo("t".repeat(58) + "_pkey");
    // A table already holds the name accounts_pkey: the index takes the next, as PostgreSQL's.
    assertThat(view.indexName(CatalogFixtures.accounts())).isEqualTo("accounts_pkey1");
    assertThat(view.indexName(clash)).isEqualTo("accounts_pkey_pkey");
    assertThat(view.relations()).extracting(PgCatalogView.Relation::name).doesNotHaveDuplicates();
  }
}
