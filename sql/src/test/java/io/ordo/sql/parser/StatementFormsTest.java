package io.ordo.sql.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlException;
import io.ordo.sql.parser.ddl.SqlAlterStreamSetSchema;
import io.ordo.sql.parser.ddl.SqlAlterTableAddColumn;
import io.ordo.sql.parser.ddl.SqlColumnDeclaration;
import io.ordo.sql.parser.ddl.SqlCreateConnector;
import io.ordo.sql.parser.ddl.SqlCreateMaterializedView;
import io.ordo.sql.parser.ddl.SqlDropView;
import io.ordo.sql.parser.ddl.SqlDropConnector;
import io.ordo.sql.parser.ddl.SqlPauseConnector;
import io.ordo.sql.parser.ddl.SqlCreateStream;
import io.ordo.sql.parser.ddl.SqlCreateTable;
import io.ordo.sql.parser.ddl.SqlDropStream;
import io.ordo.sql.parser.ddl.SqlDropTable;
import io.ordo.sql.parser.stmt.SqlAsOf;
import io.ordo.sql.parser.stmt.SqlEmitChanges;
import io.ordo.sql.parser.stmt.SqlExplainView;
import io.ordo.sql.parser.stmt.SqlBegin;
import io.ordo.sql.parser.stmt.SqlCommit;
import io.ordo.sql.parser.stmt.SqlInsertOnConflict;
import io.ordo.sql.parser.stmt.SqlRollback;
import io.ordo.sql.parser.stmt.SqlSetTransaction;
import io.ordo.sql.parser.stmt.SqlShow;
import io.ordo.sql.parser.stmt.SqlTerminateQuery;
import io.ordo.sql.parser.stmt.TransactionModes;
import java.math.BigDecimal;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlDelete;
import org.apache.calcite.sql.SqlDescribeTable;
import org.apache.calcite.sql.SqlExplain;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlInsert;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlOrderBy;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.SqlSetOption;
import org.apache.calcite.sql.SqlUpdate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each statement form of PARSER.md parses into its node with the fields as written. */
class StatementFormsTest {

  static SqlNode parse(String sql) throws SqlException {
    return OrdoSqlParser.parseOne(sql).node();
  }

  @SuppressWarnings("unchecked")
  static <T> T parse(String sql, Class<T> type) throws SqlException {
    SqlNode node = parse(sql);
    assertThat(node).isInstanceOf(type);
    return (T) node;
  }

  static String names(SqlNodeList list) {
    StringBuilder sb = new StringBuilder();
    for (SqlNode n : list) {
      sb.append(sb.length() == 0 ? "" : ",").append(((SqlIdentifier) n).getSimple());
    }
    return sb.toString();
  }

  // ---- row locking -----------------------------------------------------------------------

  @Test
  void forUpdateIsAcceptedAndDropped() throws Exception {
    SqlNode q = parse("SELECT v FROM t WHERE k = 1 ORDER BY v LIMIT 1 FOR UPDATE");
    assertThat(q.getKind()).isEqualTo(SqlKind.ORDER_BY);
    assertThat(OrdoSqlParser.unparse(q)).doesNotContain("FOR");
    assertThat(parse("SELECT * FROM t WHERE k = $1 FOR UPDATE").getKind())
        .isEqualTo(SqlKind.SELECT);
  }

  // ---- tables ----------------------------------------------------------------------------

  @Test
  void createTableWithColumnConstraintsAndTableKey() throws Exception {
    SqlCreateTable t = parse("CREATE TABLE IF NOT EXISTS Accounts (id BIGINT NOT NULL,"
        + " \"Name\" TEXT NULL DEFAULT 'x', balance DECIMAL(10, 2) DEFAULT 0 NOT NULL,"
        + " PRIMARY KEY (id, \"Name\"))", SqlCreateTable.class);
    assertThat(t.ifNotExists()).isTrue();
    assertThat(t.name().getSimple()).isEqualTo("accounts");
    assertThat(t.columns()).extracting(SqlColumnDeclaration::nameString)
        .containsExactly("id", "Name", "balance");
    SqlColumnDeclaration id = t.columns().get(0);
    assertThat(id.notNull()).isTrue();
    assertThat(id.defaultValue()).isNull();
    assertThat(id.primaryKey()).isFalse();
    SqlColumnDeclaration name = t.columns().get(1);
    assertThat(name.nullability()).isTrue();
    assertThat(((SqlLiteral) name.defaultValue()).getValueAs(String.class)).isEqualTo("x");
    SqlColumnDeclaration balance = t.columns().get(2);
    assertThat(balance.notNull()).isTrue();
    assertThat(((SqlLiteral) balance.defaultValue()).getValueAs(BigDecimal.class))
        .isEqualByComparingTo("0");
    assertThat(t.primaryKeyConstraints()).hasSize(1);
    assertThat(t.primaryKeyColumnNames()).containsExactly("id", "Name");
    assertThat(t.primaryKeyDeclarationCount()).isEqualTo(1);
  }

  @Test
  void createTableWithColumnPrimaryKeyAndExpressionDefault() throws Exception {
    SqlCreateTable t = parse("create table t (k int primary key, v int default 1 + 2)",
        SqlCreateTable.class);
    assertThat(t.ifNotExists()).isFalse();
    assertThat(t.columns().get(0).primaryKey()).isTrue();
    assertThat(t.columns().get(0).nullability()).isNull();
    assertThat(t.primaryKeyColumnNames()).containsExactly("k");
    assertThat(t.columns().get(1).defaultValue().getKind()).isEqualTo(SqlKind.PLUS);
  }

  @Test
  void createTableCountsEveryPrimaryKeyDeclaration() throws Exception {
    SqlCreateTable t = parse("CREATE TABLE t (a INT PRIMARY KEY, b INT, PRIMARY KEY (b))",
        SqlCreateTable.class);
    assertThat(t.primaryKeyDeclarationCount()).isEqualTo(2);
  }

  @Test
  void dropTable() throws Exception {
    SqlDropTable d = parse("DROP TABLE IF EXISTS t", SqlDropTable.class);
    assertThat(d.ifExists()).isTrue();
    assertThat(d.name().getSimple()).isEqualTo("t");
    assertThat(parse("DROP TABLE s.t", SqlDropTable.class).name().names)
        .containsExactly("s", "t");
    assertThat(parse("DROP TABLE t", SqlDropTable.class).ifExists()).isFalse();
  }

  @Test
  void alterTableAddColumn() throws Exception {
    SqlAlterTableAddColumn a = parse(
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT8 NOT NULL DEFAULT 5",
        SqlAlterTableAddColumn.class);
    assertThat(a.table().getSimple()).isEqualTo("t");
    assertThat(a.ifNotExists()).isTrue();
    assertThat(a.column().nameString()).isEqualTo("c");
    assertThat(a.column().notNull()).isTrue();
    assertThat(a.column().defaultValue()).isInstanceOf(SqlLiteral.class);
    assertThat(ColumnTypes.of(a.column().type()).type()).isEqualTo(io.ordo.sql.SqlType.BIGINT);

    SqlAlterTableAddColumn b = parse("ALTER TABLE t ADD c bool", SqlAlterTableAddColumn.class);
    assertThat(b.ifNotExists()).isFalse();
    assertThat(b.column().nullability()).isNull();
  }

  // ---- SHOW / DESCRIBE / EXPLAIN ----------------------------------------------------------

  @Test
  void showForms() throws Exception {
    assertThat(parse("SHOW TABLES", SqlShow.class).kind()).isEqualTo(SqlShow.Kind.TABLES);
    assertThat(parse("show streams", SqlShow.class).kind()).isEqualTo(SqlShow.Kind.STREAMS);
    SqlShow v = parse("SHOW server_version", SqlShow.class);
    assertThat(v.kind()).isEqualTo(SqlShow.Kind.SETTING);
    assertThat(v.settingName()).isEqualTo("server_version");
    assertThat(parse("SHOW TRANSACTION ISOLATION LEVEL", SqlShow.class).settingName())
        .isEqualTo("transaction_isolation");
    assertThat(parse("SHOW TIME ZONE", SqlShow.class).settingName()).isEqualTo("timezone");
    assertThat(parse("SHOW ALL", SqlShow.class).settingName()).isEqualTo("all");
    assertThat(parse("SHOW Standard_Conforming_Strings", SqlShow.class).settingName())
        .isEqualTo("standard_conforming_strings");
    // A setting may share its name with one of the new keywords' neighbours.
    assertThat(parse("SHOW transaction_read_only", SqlShow.class).settingName())
        .isEqualTo("transaction_read_only");
  }

  @ParameterizedTest
  @ValueSource(strings = {"DESCRIBE t", "DESC t", "DESC TABLE t", "describe table t"})
  void describeForms(String sql) throws Exception {
    SqlDescribeTable d = parse(sql, SqlDescribeTable.class);
    assertThat(d.getTable().getSimple()).isEqualTo("t");
  }

  @Test
  void explainPostgresAndCalciteForms() throws Exception {
    SqlExplain e = parse("EXPLAIN SELECT a FROM t", SqlExplain.class);
    assertThat(e.getExplicandum()).isInstanceOf(SqlSelect.class);
    assertThat(parse("EXPLAIN PLAN FOR SELECT 1", SqlExplain.class).getExplicandum())
        .isInstanceOf(SqlSelect.class);
    assertThat(parse("EXPLAIN INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", SqlExplain.class)
        .getExplicandum()).isInstanceOf(SqlInsertOnConflict.class);
    assertThat(parse("EXPLAIN UPDATE t SET a = 1", SqlExplain.class).getExplicandum())
        .isInstanceOf(SqlUpdate.class);
    assertThat(parse("EXPLAIN SELECT * FROM t AS OF SYSTEM TIME '2026-01-01'", SqlExplain.class)
        .getExplicandum()).isInstanceOf(SqlAsOf.class);
  }

  @Test
  void explainOfMaterializedViews() throws Exception {
    SqlCreateMaterializedView c = (SqlCreateMaterializedView) parse(
        "EXPLAIN CREATE MATERIALIZED VIEW IF NOT EXISTS Totals WITH (allowed_lateness = '1 s')"
            + " AS SELECT region, count(*) AS n FROM orders GROUP BY region",
        SqlExplain.class).getExplicandum();
    assertThat(c.name().getSimple()).isEqualTo("totals");
    assertThat(c.ifNotExists()).isTrue();
    assertThat(c.options()).containsOnlyKeys("allowed_lateness");
    // Any CREATE parses after EXPLAIN; the engine explains CREATE MATERIALIZED VIEW only.
    assertThat(parse("EXPLAIN CREATE TABLE t (a INT PRIMARY KEY)", SqlExplain.class)
        .getExplicandum()).isInstanceOf(SqlCreateTable.class);
    assertThat(parse("EXPLAIN VIEW totals", SqlExplainView.class).name().getSimple())
        .isEqualTo("totals");
    SqlExplainView v = parse("explain materialized view \"Totals\"", SqlExplainView.class);
    assertThat(v.name().getSimple()).isEqualTo("Totals");
    assertThat(v.toString()).isEqualTo("EXPLAIN VIEW `Totals`");
    // VIEW and MATERIALIZED stay usable as names after EXPLAIN.
    assertThat(parse("EXPLAIN SELECT view, materialized FROM t", SqlExplain.class)
        .getExplicandum()).isInstanceOf(SqlSelect.class);
    assertThatThrownBy(() -> parse("EXPLAIN VIEW"))
        .isInstanceOf(SqlException.class)
        .satisfies(e -> assertThat(((SqlException) e).sqlState()).isEqualTo("42601"));
    assertThatThrownBy(() -> parse("EXPLAIN CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT 1"))
        .isInstanceOf(SqlException.class)
        .hasMessageContaining("CREATE OR REPLACE MATERIALIZED VIEW is not supported");
  }

  // ---- streams ----------------------------------------------------------------------------

  @Test
  void createStreamWithSchemaAndOptions() throws Exception {
    SqlCreateStream s = parse("CREATE STREAM IF NOT EXISTS clicks (user_id BIGINT NOT NULL,"
        + " url TEXT) WITH (retention = '7d', shards = 4, key = 'user_id', Mode = TRUE)",
        SqlCreateStream.class);
    assertThat(s.ifNotExists()).isTrue();
    assertThat(s.name().getSimple()).isEqualTo("clicks");
    assertThat(s.hasSchema()).isTrue();
    assertThat(s.columns()).extracting(SqlColumnDeclaration::nameString)
        .containsExactly("user_id", "url");
    assertThat(s.columns().get(0).notNull()).isTrue();
    assertThat(s.options().keySet()).containsExactly("retention", "shards", "key", "mode");
    assertThat(s.options().get("retention").getValueAs(String.class)).isEqualTo("7d");
    assertThat(s.options().get("shards").intValue(true)).isEqualTo(4);
    assertThat(s.options().get("key").getValueAs(String.class)).isEqualTo("user_id");
    assertThat(s.options().get("mode").booleanValue()).isTrue();
  }

  @Test
  void createStreamWithoutSchema() throws Exception {
    SqlCreateStream s = parse("CREATE STREAM raw", SqlCreateStream.class);
    assertThat(s.hasSchema()).isFalse();
    assertThat(s.columns()).isEmpty();
    assertThat(s.options()).isEmpty();
    assertThat(parse("CREATE STREAM raw WITH (shards = 2)", SqlCreateStream.class).options())
        .containsOnlyKeys("shards");
  }

  @Test
  void alterStreamSetSchemaAndDropStream() throws Exception {
    SqlAlterStreamSetSchema a = parse(
        "ALTER STREAM raw SET SCHEMA (k TEXT NOT NULL, v JSONB) WITH (key = 'k')",
        SqlAlterStreamSetSchema.class);
    assertThat(a.name().getSimple()).isEqualTo("raw");
    assertThat(a.columns()).extracting(SqlColumnDeclaration::nameString).containsExactly("k", "v");
    assertThat(a.options().get("key").getValueAs(String.class)).isEqualTo("k");
    assertThat(parse("ALTER STREAM raw SET SCHEMA (k INT)", SqlAlterStreamSetSchema.class)
        .options()).isEmpty();

    SqlDropStream d = parse("DROP STREAM IF EXISTS raw", SqlDropStream.class);
    assertThat(d.ifExists()).isTrue();
    assertThat(d.name().getSimple()).isEqualTo("raw");
  }

  // ---- source connectors -------------------------------------------------------------------

  @Test
  void createSourceConnectorKeepsSourceOptionsAndTarget() throws Exception {
    SqlCreateConnector c = parse(
        "CREATE SOURCE CONNECTOR IF NOT EXISTS pg_orders FROM POSTGRESQL WITH (host = 'db',"
            + " port = 5432, database = 'shop', user = 'cdc', password = 's', table = 'public.orders',"
            + " slot = 'orders_slot') INTO STREAM orders_cdc",
        SqlCreateConnector.class);
    assertThat(c.ifNotExists()).isTrue();
    assertThat(c.name().getSimple()).isEqualTo("pg_orders");
    assertThat(c.sourceKind().getSimple()).isEqualToIgnoringCase("postgresql");
    // USER and TABLE are reserved words, accepted as option names.
    assertThat(c.options()).containsOnlyKeys(
        "host", "port", "database", "user", "password", "table", "slot");
    assertThat(c.options().get("table").getValueAs(String.class)).isEqualTo("public.orders");
    assertThat(c.intoTable()).isFalse();
    assertThat(c.target().getSimple()).isEqualTo("orders_cdc");
    assertThat(parse("CREATE SOURCE CONNECTOR c FROM mysql WITH (host = 'h') INTO TABLE t",
        SqlCreateConnector.class).intoTable()).isTrue();
  }

  @Test
  void createSinkConnectorNamesTheTargetSystemAndTheTableItReads() throws Exception {
    SqlCreateConnector c = parse(
        "CREATE SINK CONNECTOR pg_out TO POSTGRESQL WITH (host = 'db', user = 'w',"
            + " table = 'public.orders_copy') FROM TABLE orders",
        SqlCreateConnector.class);
    assertThat(c.sink()).isTrue();
    assertThat(c.ifNotExists()).isFalse();
    assertThat(c.sourceKind().getSimple()).isEqualToIgnoringCase("postgresql");
    assertThat(c.options()).containsOnlyKeys("host", "user", "table");
    assertThat(c.intoTable()).isTrue();
    assertThat(c.target().getSimple()).isEqualTo("orders");
    assertThat(c.toString()).contains("CREATE SINK CONNECTOR").contains("TO")
        .contains("FROM TABLE");
    assertThat(parse("CREATE SINK CONNECTOR IF NOT EXISTS s TO postgresql WITH (host = 'h')"
        + " FROM STREAM clicks", SqlCreateConnector.class).intoTable()).isFalse();
    assertThat(parse("CREATE SOURCE CONNECTOR c FROM postgresql WITH (host = 'h') INTO TABLE t",
        SqlCreateConnector.class).sink()).isFalse();
    // The directions do not mix, and SINK stays usable as a name.
    assertThatThrownBy(() -> parse(
        "CREATE SINK CONNECTOR s FROM postgresql WITH (host = 'h') INTO TABLE t", SqlNode.class))
        .hasMessageContaining("CREATE SINK CONNECTOR name TO <system>");
    assertThatThrownBy(() -> parse(
        "CREATE SOURCE CONNECTOR s TO postgresql WITH (host = 'h') FROM TABLE t", SqlNode.class))
        .hasMessageContaining("CREATE SOURCE CONNECTOR name FROM <system>");
    assertThat(parse("SELECT sink FROM sinks", SqlNode.class)).isNotNull();
  }

  @Test
  void createSinkConnectorFromViewMarksTheView() throws Exception {
    SqlCreateConnector v = parse("CREATE SINK CONNECTOR s TO postgresql WITH (host = 'h')"
        + " FROM VIEW totals", SqlCreateConnector.class);
    assertThat(v.view()).isTrue();
    assertThat(v.intoTable()).isTrue();
    assertThat(v.target().getSimple()).isEqualTo("totals");
    assertThat(v.toString()).contains("FROM VIEW");
    assertThat(parse("CREATE SINK CONNECTOR s TO postgresql WITH (host = 'h') FROM TABLE t",
        SqlCreateConnector.class).view()).isFalse();
    assertThatThrownBy(() -> parse(
        "CREATE SOURCE CONNECTOR s FROM postgresql WITH (host = 'h') INTO VIEW v", SqlNode.class))
        .hasMessageContaining("INTO TABLE or INTO STREAM, not into a view");
  }

  @Test
  void dropPauseResumeAndShowConnectors() throws Exception {
    SqlDropConnector d = parse("DROP CONNECTOR IF EXISTS pg_orders", SqlDropConnector.class);
    assertThat(d.ifExists()).isTrue();
    assertThat(d.name().getSimple()).isEqualTo("pg_orders");
    assertThat(parse("PAUSE CONNECTOR pg_orders", SqlPauseConnector.class).pause()).isTrue();
    SqlPauseConnector r = parse("RESUME CONNECTOR pg_orders", SqlPauseConnector.class);
    assertThat(r.pause()).isFalse();
    assertThat(r.name().getSimple()).isEqualTo("pg_orders");
    assertThat(parse("SHOW CONNECTORS", SqlShow.class).kind()).isEqualTo(SqlShow.Kind.CONNECTORS);
    // The new words stay usable as names.
    assertThat(parse("SELECT connector, pause, resume FROM connectors", SqlNode.class)).isNotNull();
  }

  // ---- materialized views -----------------------------------------------------------------

  @Test
  void createMaterializedViewKeepsItsQuery() throws Exception {
    SqlCreateMaterializedView v = parse(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS Totals AS SELECT region, count(*) AS n,"
            + " sum(amount) AS total FROM orders WHERE amount > 0 GROUP BY region",
        SqlCreateMaterializedView.class);
    assertThat(v.ifNotExists()).isTrue();
    assertThat(v.name().getSimple()).isEqualTo("totals");
    assertThat(v.query()).isInstanceOf(org.apache.calcite.sql.SqlSelect.class);
    assertThat(OrdoSqlParser.unparse(v.query())).isEqualTo(
        "SELECT \"region\", COUNT(*) AS \"n\", SUM(\"amount\") AS \"total\" FROM \"orders\""
            + " WHERE \"amount\" > 0 GROUP BY \"region\"");
    assertThat(OrdoSqlParser.unparseForFlink(v.query())).isEqualTo(
        "SELECT `region`, COUNT(*) AS `n`, SUM(`amount`) AS `total` FROM `orders`"
            + " WHERE `amount` > 0 GROUP BY `region`");
    assertThat(parse("create materialized view v as select a from t group by a",
        SqlCreateMaterializedView.class).ifNotExists()).isFalse();
  }

  @Test
  void dropAndShowViews() throws Exception {
    SqlDropView d = parse("DROP VIEW IF EXISTS totals", SqlDropView.class);
    assertThat(d.ifExists()).isTrue();
    assertThat(d.name().getSimple()).isEqualTo("totals");
    assertThat(parse("DROP MATERIALIZED VIEW totals", SqlDropView.class).ifExists()).isFalse();
    assertThat(parse("SHOW VIEWS", SqlShow.class).kind()).isEqualTo(SqlShow.Kind.VIEWS);
    // The new words stay usable as names.
    assertThat(parse("SELECT views, materialized FROM views", SqlNode.class)).isNotNull();
  }

  @Test
  void showQueriesAndTerminateQuery() throws Exception {
    assertThat(parse("SHOW QUERIES", SqlShow.class).kind()).isEqualTo(SqlShow.Kind.QUERIES);
    SqlTerminateQuery t = parse("TERMINATE QUERY 42", SqlTerminateQuery.class);
    assertThat(t.id().bigDecimalValue().longValueExact()).isEqualTo(42L);
    assertThat(t.toString()).isEqualTo("TERMINATE QUERY 42");
    assertThatThrownBy(() -> parse("TERMINATE QUERY"))
        .isInstanceOf(SqlException.class);
    assertThatThrownBy(() -> parse("TERMINATE QUERY 'q1'"))
        .isInstanceOf(SqlException.class);
    // The new words stay usable as names.
    assertThat(parse("SELECT query, queries, terminate FROM queries", SqlNode.class)).isNotNull();
  }

  @Test
  void viewFormsThatAreNotAccepted() {
    assertThatThrownBy(() -> parse("CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT 1"))
        .isInstanceOf(SqlException.class)
        .hasMessageContaining("CREATE OR REPLACE MATERIALIZED VIEW is not supported");
    assertThatThrownBy(() -> parse("CREATE MATERIALIZED VIEW v SELECT a FROM t"))
        .isInstanceOf(SqlException.class)
        .satisfies(e -> assertThat(((SqlException) e).sqlState()).isEqualTo("42601"));
  }

  // ---- transactions -----------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"BEGIN", "begin work", "BEGIN TRANSACTION", "START TRANSACTION"})
  void beginForms(String sql) throws Exception {
    assertThat(parse(sql, SqlBegin.class).modes()).isEqualTo(TransactionModes.NONE);
  }

  @Test
  void beginWithModes() throws Exception {
    assertThat(parse("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY", SqlBegin.class).modes())
        .isEqualTo(new TransactionModes("SERIALIZABLE", true, null));
    assertThat(parse("START TRANSACTION READ WRITE ISOLATION LEVEL READ COMMITTED NOT DEFERRABLE",
        SqlBegin.class).modes()).isEqualTo(new TransactionModes("READ COMMITTED", false, false));
    assertThat(parse("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ", SqlBegin.class).modes()
        .isolationLevel()).isEqualTo("REPEATABLE READ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"COMMIT", "COMMIT WORK", "commit transaction", "END", "END WORK"})
  void commitForms(String sql) throws Exception {
    parse(sql, SqlCommit.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ROLLBACK", "ROLLBACK WORK", "ROLLBACK TRANSACTION", "ABORT",
      "abort transaction"})
  void rollbackForms(String sql) throws Exception {
    parse(sql, SqlRollback.class);
  }

  // ---- DML --------------------------------------------------------------------------------

  @Test
  void insertOnConflictDoUpdate() throws Exception {
    SqlInsertOnConflict i = parse("INSERT INTO t (a, b) VALUES (1, 2), (3, 4)"
        + " ON CONFLICT (a) DO UPDATE SET b = EXCLUDED.b + t.b, c = 0 WHERE t.b < 3",
        SqlInsertOnConflict.class);
    assertThat(((SqlIdentifier) i.insert().getTargetTable()).getSimple()).isEqualTo("t");
    assertThat(names(i.insert().getTargetColumnList())).isEqualTo("a,b");
    assertThat(i.insert().getSource().getKind()).isEqualTo(SqlKind.VALUES);
    assertThat(names(i.conflictTarget())).isEqualTo("a");
    assertThat(i.action()).isEqualTo(SqlInsertOnConflict.Action.DO_UPDATE);
    assertThat(names(i.updateColumns())).isEqualTo("b,c");
    SqlCall plus = (SqlCall) i.updateValues().get(0);
    assertThat(plus.getKind()).isEqualTo(SqlKind.PLUS);
    assertThat(((SqlIdentifier) plus.operand(0)).names).containsExactly("excluded", "b");
    assertThat(i.updateCondition().getKind()).isEqualTo(SqlKind.LESS_THAN);
  }

  @Test
  void insertOnConflictDoNothingWithAndWithoutTarget() throws Exception {
    SqlInsertOnConflict i = parse("INSERT INTO t SELECT * FROM u ON CONFLICT DO NOTHING",
        SqlInsertOnConflict.class);
    assertThat(i.conflictTarget()).isNull();
    assertThat(i.action()).isEqualTo(SqlInsertOnConflict.Action.DO_NOTHING);
    assertThat(i.updateColumns()).isNull();
    assertThat(i.insert().getSource()).isInstanceOf(SqlSelect.class);
    assertThat(names(parse("INSERT INTO t VALUES (1, 2) ON CONFLICT (a, b) DO NOTHING",
        SqlInsertOnConflict.class).conflictTarget())).isEqualTo("a,b");
  }

  @Test
  void plainInsertUpsertUpdateDelete() throws Exception {
    SqlInsert plain = parse("INSERT INTO t (a) VALUES ($1)", SqlInsert.class);
    assertThat(plain.isUpsert()).isFalse();
    assertThat(parse("UPSERT INTO t VALUES (1, 2)", SqlInsert.class).isUpsert()).isTrue();
    SqlUpdate u = parse("UPDATE t SET a = a + 1 WHERE b = 2", SqlUpdate.class);
    assertThat(names(u.getTargetColumnList())).isEqualTo("a");
    assertThat(u.getCondition()).isNotNull();
    assertThat(parse("DELETE FROM t WHERE a = 1", SqlDelete.class).getCondition()).isNotNull();
  }

  // ---- AS OF ------------------------------------------------------------------------------

  @Test
  void asOfSystemTimeAfterWhere() throws Exception {
    SqlAsOf a = parse("SELECT * FROM t WHERE k = 1 AS OF SYSTEM TIME '2026-01-02 03:04:05'",
        SqlAsOf.class);
    assertThat(a.kind()).isEqualTo(SqlAsOf.Kind.SYSTEM_TIME);
    assertThat(a.value()).isEqualTo("2026-01-02 03:04:05");
    SqlSelect q = (SqlSelect) a.query();
    assertThat(q.getWhere()).isNotNull();
    assertThat(((SqlIdentifier) q.getFrom()).getSimple()).isEqualTo("t");
  }

  @Test
  void asOfDirectlyAfterFromClauseIsNotAnAlias() throws Exception {
    SqlAsOf a = parse("select * from t as of system time '2026-01-01'", SqlAsOf.class);
    assertThat(((SqlSelect) a.query()).getFrom()).isInstanceOf(SqlIdentifier.class);
    SqlAsOf joined = parse("SELECT * FROM t AS x JOIN u ON x.k = u.k\n  AS\tOF SYSTEM TIME '1'",
        SqlAsOf.class);
    assertThat(((SqlSelect) joined.query()).getFrom().getKind()).isEqualTo(SqlKind.JOIN);
  }

  @Test
  void asOfLogPositionAfterOrderByLimit() throws Exception {
    SqlAsOf a = parse("SELECT a FROM t ORDER BY a LIMIT 3 AS OF LOG POSITION '1700000000000:2:42'",
        SqlAsOf.class);
    assertThat(a.kind()).isEqualTo(SqlAsOf.Kind.LOG_POSITION);
    assertThat(a.value()).isEqualTo("1700000000000:2:42");
    assertThat(a.query()).isInstanceOf(SqlOrderBy.class);
    assertThat(OrdoSqlParser.unparse(a.query())).doesNotContain("AS OF");
  }

  // ---- EMIT CHANGES (push queries) ---------------------------------------------------------

  @Test
  void emitChangesIsASuffixOfTheQueryWithAnOptionalStart() throws Exception {
    SqlEmitChanges now = parse("SELECT a, b + 1 FROM t WHERE a > 1 EMIT CHANGES", SqlEmitChanges.class);
    assertThat(now.start()).isEqualTo(SqlEmitChanges.Start.NOW);
    assertThat(now.value()).isEmpty();
    assertThat(((SqlSelect) now.query()).getWhere()).isNotNull();
    SqlEmitChanges at = parse("select * from t emit  changes\n at position '1700000000000:2:42:3'",
        SqlEmitChanges.class);
    assertThat(at.start()).isEqualTo(SqlEmitChanges.Start.POSITION);
    assertThat(at.value()).contains("1700000000000:2:42:3");
    assertThat(((SqlSelect) at.query()).getFrom()).isInstanceOf(SqlIdentifier.class);
    SqlEmitChanges time = parse("SELECT * FROM t EMIT CHANGES AT TIME '2026-01-01 00:00:00'",
        SqlEmitChanges.class);
    assertThat(time.start()).isEqualTo(SqlEmitChanges.Start.TIME);
    assertThat(time.value()).contains("2026-01-01 00:00:00");
    assertThat(OrdoSqlParser.unparse(time.query())).doesNotContain("EMIT");
    // Words named emit and changes are still names elsewhere.
    assertThat(parse("SELECT emit, changes FROM t", SqlSelect.class).getSelectList()).hasSize(2);
  }

  @Test
  void calciteTemporalTableSyntaxStillParses() throws Exception {
    SqlSelect s = parse("SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2020-01-01 00:00:00'",
        SqlSelect.class);
    assertThat(s.getFrom().getKind()).isEqualTo(SqlKind.SNAPSHOT);
  }

  // ---- PostgreSQL habits ------------------------------------------------------------------

  @Test
  void infixCastsAreCasts() throws Exception {
    SqlSelect s = parse("SELECT '1'::int, x::text, -y::int8 + 2, '1'::int::text FROM t",
        SqlSelect.class);
    SqlNodeList items = s.getSelectList();
    SqlBasicCall c0 = (SqlBasicCall) items.get(0);
    assertThat(c0.getKind()).isEqualTo(SqlKind.CAST);
    assertThat(c0.getOperator().getName()).isEqualTo("CAST");
    assertThat(c0.operand(1).toString()).isEqualTo("INTEGER");
    assertThat(items.get(1).getKind()).isEqualTo(SqlKind.CAST);
    // Tighter than unary minus and +: (-(y::int8)) + 2.
    SqlCall plus = (SqlCall) items.get(2);
    assertThat(plus.getKind()).isEqualTo(SqlKind.PLUS);
    SqlCall minus = (SqlCall) plus.operand(0);
    assertThat(minus.getKind()).isEqualTo(SqlKind.MINUS_PREFIX);
    assertThat(minus.operand(0).getKind()).isEqualTo(SqlKind.CAST);
    SqlCall chained = (SqlCall) items.get(3);
    assertThat(chained.getKind()).isEqualTo(SqlKind.CAST);
    assertThat(chained.operand(0).getKind()).isEqualTo(SqlKind.CAST);
  }

  @Test
  void setForms() throws Exception {
    SqlSetOption a = parse("SET extra_float_digits = 3", SqlSetOption.class);
    assertThat(a.getName().getSimple()).isEqualTo("extra_float_digits");
    assertThat(((SqlLiteral) a.getValue()).intValue(true)).isEqualTo(3);
    assertThat(a.getScope()).isNull();
    SqlSetOption b = parse("SET application_name = 'PostgreSQL JDBC Driver'", SqlSetOption.class);
    assertThat(((SqlLiteral) b.getValue()).getValueAs(String.class))
        .isEqualTo("PostgreSQL JDBC Driver");
    SqlSetOption tz = parse("SET TIME ZONE 'UTC'", SqlSetOption.class);
    assertThat(tz.getName().getSimple()).isEqualTo("timezone");
    assertThat(((SqlLiteral) tz.getValue()).getValueAs(String.class)).isEqualTo("UTC");
    SqlSetOption session = parse("SET SESSION DateStyle TO ISO", SqlSetOption.class);
    assertThat(session.getScope()).isEqualTo("SESSION");
    assertThat(session.getName().getSimple()).isEqualTo("datestyle");
    assertThat(((SqlIdentifier) session.getValue()).getSimple()).isEqualTo("iso");
    assertThat(parse("SET LOCAL x = on", SqlSetOption.class).getScope()).isEqualTo("LOCAL");
    assertThat(((SqlNodeList) parse("SET search_path TO a, \"B\"", SqlSetOption.class).getValue()))
        .hasSize(2);
    assertThat(parse("SET x TO DEFAULT", SqlSetOption.class).getValue()).isNull();
    // A setting named "session" is still a setting.
    assertThat(parse("SET session = 1", SqlSetOption.class).getName().getSimple())
        .isEqualTo("session");
  }

  @Test
  void resetForms() throws Exception {
    SqlSetOption r = parse("RESET statement_timeout", SqlSetOption.class);
    assertThat(r.getName().getSimple()).isEqualTo("statement_timeout");
    assertThat(r.getValue()).isNull();
    assertThat(parse("RESET ALL", SqlSetOption.class).getName().getSimple()).isEqualTo("all");
  }

  @Test
  void setTransactionForms() throws Exception {
    SqlSetTransaction s = parse(
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED",
        SqlSetTransaction.class);
    assertThat(s.sessionDefault()).isTrue();
    assertThat(s.modes().isolationLevel()).isEqualTo("READ UNCOMMITTED");
    SqlSetTransaction t = parse("SET TRANSACTION READ ONLY", SqlSetTransaction.class);
    assertThat(t.sessionDefault()).isFalse();
    assertThat(t.modes().readOnly()).isTrue();
  }

  @Test
  void limitOffsetIlikeAndQuoting() throws Exception {
    SqlOrderBy o = parse("SELECT * FROM t LIMIT 5 OFFSET 2", SqlOrderBy.class);
    assertThat(((SqlLiteral) o.fetch).intValue(true)).isEqualTo(5);
    assertThat(((SqlLiteral) o.offset).intValue(true)).isEqualTo(2);
    SqlOrderBy offsetOnly = parse("SELECT * FROM t OFFSET 7", SqlOrderBy.class);
    assertThat(offsetOnly.fetch).isNull();
    assertThat(((SqlLiteral) offsetOnly.offset).intValue(true)).isEqualTo(7);
    SqlOrderBy offsetFirst = parse("SELECT * FROM t OFFSET 1 LIMIT 2", SqlOrderBy.class);
    assertThat(((SqlLiteral) offsetFirst.fetch).intValue(true)).isEqualTo(2);

    SqlSelect ilike = parse("SELECT a FROM t WHERE b ILIKE 'x%'", SqlSelect.class);
    assertThat(((SqlCall) ilike.getWhere()).getOperator().getName()).isEqualTo("ILIKE");

    SqlSelect q = parse("SELECT 'it''s', \"Col\", Col FROM \"My Table\"", SqlSelect.class);
    assertThat(((SqlLiteral) q.getSelectList().get(0)).getValueAs(String.class)).isEqualTo("it's");
    assertThat(((SqlIdentifier) q.getSelectList().get(1)).getSimple()).isEqualTo("Col");
    assertThat(((SqlIdentifier) q.getSelectList().get(2)).getSimple()).isEqualTo("col");
    assertThat(((SqlIdentifier) q.getFrom()).getSimple()).isEqualTo("My Table");
  }

  @Test
  void newKeywordsRemainUsableAsNames() throws Exception {
    SqlSelect s = parse("SELECT tables, streams, conflict, nothing, do, abort, if FROM t",
        SqlSelect.class);
    assertThat(s.getSelectList()).hasSize(7);
    assertThat(((SqlIdentifier) s.getSelectList().get(6)).getSimple()).isEqualTo("if");
    SqlCreateTable t = parse("CREATE TABLE if (tables INT, do TEXT)", SqlCreateTable.class);
    assertThat(t.name().getSimple()).isEqualTo("if");
    assertThat(t.ifNotExists()).isFalse();
  }

  @Test
  void selectWithoutFromAndBangEqual() throws Exception {
    assertThat(parse("SELECT 1", SqlSelect.class).getFrom()).isNull();
    assertThat(((SqlCall) parse("SELECT * FROM t WHERE a != 1", SqlSelect.class).getWhere())
        .getKind()).isEqualTo(SqlKind.NOT_EQUALS);
  }
}
