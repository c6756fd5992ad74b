package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlAccess;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.catalog.ViewDef;
import io.ordo.sql.catalog.ViewSource;
import io.ordo.sql.parser.OrdoSqlParser;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * EXPLAIN of materialized views ({@code EXPLAIN CREATE MATERIALIZED VIEW}, {@code EXPLAIN VIEW})
 * as far as it needs no catalog: the plans, the refusals CREATE shares, the lines of the answer;
 * and {@code view_consistency = 'at_position:...'}. Running them against a catalog and a view's
 * job: MaterializedViewIT.
 */
class ViewExplainTest {
  private static Plan plan(String sql) throws SqlException {
    return Plans.of(OrdoSqlParser.parseOne(sql));
  }

  private static String state(ThrowingRunnable r) {
    try {
      r.run();
      return "ok";
    } catch (SqlException e) {
      return e.sqlState();
    }
  }

  private interface ThrowingRunnable {
    void run() throws SqlException;
  }

  private static ColumnDef col(String name, int id, SqlType type, boolean key) {
    return new ColumnDef(name, id, type, -1, -1, key, Optional.empty());
  }

  @Test
  void explainCreatePlansTheCreateItself() throws Exception {
    String create = "CREATE MATERIALIZED VIEW totals AS SELECT region, count(*) AS n"
        + " FROM orders GROUP BY region";
    Plan.CreateView direct = (Plan.CreateView) plan(create);
    Plan.CreateView explained = ((Plan.ExplainCreateView) plan("EXPLAIN " + create)).create();
    assertThat(explained.name()).isEqualTo(direct.name());
    assertThat(explained.ifNotExists()).isEqualTo(direct.ifNotExists());
    assertThat(explained.options()).isEqualTo(direct.options());
    assertThat(OrdoSqlParser.unparse(explained.query()))
        .isEqualTo(OrdoSqlParser.unparse(direct.query()));
    // Errors point into the CREATE, after "EXPLAIN ".
    assertThat(explained.position()).isEqualTo(9);

    Plan.ExplainView v = (Plan.ExplainView) plan("EXPLAIN VIEW public.totals");
    assertThat(v.name()).isEqualTo("totals");
    for (String sql : new String[] {"EXPLAIN VIEW totals", "EXPLAIN " + create}) {
      Plan p = plan(sql);
      assertThat(OrdoSession.accessOf(p)).as(sql).isEqualTo(SqlAccess.READ);
      assertThat(Introspection.columns(p)).as(sql).contains(Views.EXPLAIN);
    }
    assertThat(Views.EXPLAIN.get(0).name()).isEqualTo("QUERY PLAN");
  }

  @Test
  void explainCreateRefusesWhatCreateRefuses() throws Exception {
    String[] unsupported = {
      "SELECT kind, qty FROM items",
      "SELECT kind, count(*) AS n FROM items GROUP BY kind ORDER BY kind",
      "SELECT kind, stddev_pop(qty) AS sd FROM items GROUP BY kind",
      "SELECT i.kind, count(*) AS n FROM items i, kinds k GROUP BY i.kind",
      "SELECT kind, count(*) AS n FROM items GROUP BY TUMBLE(kind, INTERVAL '1' MINUTE)",
    };
    for (String q : unsupported) {
      String create = "CREATE MATERIALIZED VIEW v AS " + q;
      String direct = state(() -> Views.shape((Plan.CreateView) plan(create)));
      assertThat(direct).as(q).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(state(() -> Views.shape(
          ((Plan.ExplainCreateView) plan("EXPLAIN " + create)).create()))).as(q)
          .isEqualTo(direct);
    }
    assertThat(state(() -> Views.shape(((Plan.ExplainCreateView) plan(
        "EXPLAIN CREATE MATERIALIZED VIEW v WITH (allowed_lateness = '1 s') AS SELECT kind,"
            + " count(*) AS n FROM items GROUP BY kind")).create())))
        .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
    // EXPLAIN explains queries, DML and CREATE MATERIALIZED VIEW; other DDL is refused.
    assertThatThrownBy(() -> plan("EXPLAIN CREATE TABLE t (a INT PRIMARY KEY)"))
        .isInstanceOf(SqlException.class)
        .hasMessageContaining("EXPLAIN is supported for queries, CREATE MATERIALIZED VIEW")
        .satisfies(e -> assertThat(((SqlException) e).sqlState())
            .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED));
  }

  /** The definition CREATE stores for {@code create}, with a fixed view id. */
  private static ViewDef def(Plan.CreateView v, Views.Shape shape, List<ViewSource> sources,
      String start) {
    return Views.viewDef(v, shape, "00000000000000aa", sources, start);
  }

  @Test
  void aGroupedViewIsExplainedLineByLine() throws Exception {
    Plan.CreateView v = (Plan.CreateView) plan("CREATE MATERIALIZED VIEW region_totals AS"
        + " SELECT region, count(*) AS n, sum(amount) AS total FROM orders WHERE amount > 0"
        + " GROUP BY region");
    Views.Shape shape = Views.shape(v);
    ViewDef def = def(v, shape, List.of(new ViewSource("orders", "0000000000000001", false)), "");
    TableDef table = new TableDef("region_totals", def.viewId(), List.of(
        col("region", 1, SqlType.TEXT, true), col("n", 2, SqlType.BIGINT, false),
        col("total", 3, SqlType.BIGINT, false)), List.of("region"), 1);
    assertThat(Views.explainLines(def, table, shape, "(not created)", "eventual"))
        .containsExactly(
            "Materialized View region_totals (not created)",
            "  Sources: table orders",
            "  Key: region (the GROUP BY columns)",
            "  Aggregates: COUNT(*) AS \"n\", SUM(\"amount\") AS \"total\"",
            "  Columns: region text, n bigint, total bigint",
            "  Query: SELECT \"region\", COUNT(*) AS \"n\", SUM(\"amount\") AS \"total\""
                + " FROM \"orders\" WHERE \"amount\" > 0 GROUP BY \"region\"",
            "  Flink SQL: SELECT `region`, COUNT(*) AS `n`, SUM(`amount`) AS `total`"
                + " FROM `orders` WHERE `amount` > 0 GROUP BY `region`",
            "  Consistency: each row reflects one source log position (SHOW VIEWS: position)",
            "  Reads: eventual, as far as the job got, unless view_consistency is"
                + " read_your_writes or at_position:<ts>:<partition>:<offset>"
                + " (this session: eventual)");
  }

  @Test
  void joinsAndWindowsAreExplained() throws Exception {
    Plan.CreateView join = (Plan.CreateView) plan("CREATE MATERIALIZED VIEW owned AS"
        + " SELECT a.id, b.code, b.city FROM accounts a LEFT JOIN branches b"
        + " ON a.branch = b.code");
    Views.Shape joined = Views.shape(join);
    ViewDef joinDef = def(join, joined, List.of(
        new ViewSource("accounts", "0000000000000001", false),
        new ViewSource("branches", "0000000000000002", false)), "");
    TableDef joinTable = new TableDef("owned", joinDef.viewId(), List.of(
        col("id", 1, SqlType.BIGINT, true), col("code", 2, SqlType.TEXT, false),
        col("city", 3, SqlType.TEXT, false)), List.of("id"), 1);
    assertThat(Views.explainLines(joinDef, joinTable, joined, "(x)", "read_your_writes"))
        .contains("  Sources: table accounts, table branches",
            "  Key: id (the joined tables' primary keys)",
            "  Join: LEFT JOIN branches AS b ON \"a\".\"branch\" = \"b\".\"code\"",
            "  Aggregates: none",
            "  Query: SELECT \"a\".\"id\", \"b\".\"code\", \"b\".\"city\" FROM \"accounts\" AS \"a\"",
            "    LEFT JOIN \"branches\" AS \"b\" ON \"a\".\"branch\" = \"b\".\"code\"",
            "  Flink SQL: SELECT `a`.`id`, `b`.`code`, `b`.`city` FROM `accounts` AS `a`",
            "    LEFT JOIN `branches` AS `b` ON `a`.`branch` = `b`.`code`")
        .last().asString().endsWith("(this session: read_your_writes)");

    Plan.CreateView window = (Plan.CreateView) plan("CREATE MATERIALIZED VIEW per_minute"
        + " WITH (allowed_lateness = '5 seconds') AS SELECT k, window_start, window_end,"
        + " count(*) AS c FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND,"
        + " INTERVAL '1' MINUTE)) GROUP BY k, window_start, window_end");
    Views.Shape windowed = Views.shape(window);
    ViewDef windowDef = def(window, windowed, List.of(new ViewSource("clicks", "", true)), "");
    TableDef windowTable = new TableDef("per_minute", windowDef.viewId(), List.of(
        col("k", 1, SqlType.TEXT, true), col("window_start", 2, SqlType.TIMESTAMP, true),
        col("window_end", 3, SqlType.TIMESTAMP, true), col("c", 4, SqlType.BIGINT, false)),
        List.of("k", "window_start", "window_end"), 1);
    List<String> lines = Views.explainLines(windowDef, windowTable, windowed, "(x)", "eventual");
    assertThat(lines).contains(
        "  Sources: stream clicks",
        "  Key: k, window_start, window_end (the GROUP BY columns)",
        "  Window: HOP (slide 10000 ms, size 60000 ms) over stream clicks, time column ts,"
            + " allowed lateness 5000 ms",
        "  Start: the stream's records after the log position at CREATE",
        "  Aggregates: COUNT(*) AS \"c\"");
    assertThat(lines).anySatisfy(l -> assertThat(l)
        .startsWith("  Flink SQL: SELECT `k`, `window_start`, `window_end`, COUNT(*) AS `c`"
            + " FROM TABLE(HOP(TABLE `clicks`, DESCRIPTOR(`ts`)"));
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("  Flink time attribute:"));
    // A created view names the position its stream's records start after.
    ViewDef started = def(window, windowed, List.of(new ViewSource("clicks", "", true)),
        "1765000000000:0:17");
    assertThat(Views.explainLines(started, windowTable, windowed, "(x)", "eventual"))
        .contains("  Start: the stream's records after position 1765000000000:0:17");
  }

  @Test
  void viewConsistencyNamesAPositionToWaitFor() throws Exception {
    assertThat(Settings.viewConsistency("EVENTUAL")).isEqualTo("eventual");
    assertThat(Settings.viewConsistency("read_your_writes")).isEqualTo("read_your_writes");
    assertThat(Settings.viewConsistency(" AT_POSITION:1765000000000:2:01234 "))
        .isEqualTo("at_position:1765000000000:2:1234");
    assertThat(Settings.viewPosition("at_position:1765000000000:2:1234"))
        .hasValue(Positions.parse("1765000000000:2:1234"));
    assertThat(Settings.viewPosition("read_your_writes")).isEmpty();
    assertThat(Settings.viewPosition(null)).isEmpty();
    // A push query's _position (with the change's index) waits for its whole log position.
    assertThat(Settings.viewConsistency("at_position:1765000000000:2:1234:7"))
        .isEqualTo("at_position:1765000000000:2:1234");
    for (String bad : new String[] {"at_position:", "at_position:1:2", "at_position:a:b:c",
        "at_position:1:-2:3", "at_position:1:2:3:x", "at_position:1:2:3:4:5"}) {
      assertThatThrownBy(() -> Settings.viewConsistency(bad))
          .as(bad)
          .isInstanceOf(SqlException.class)
          .hasMessageContaining("expected at_position:<ts>:<partition>:<offset>")
          .satisfies(e -> assertThat(((SqlException) e).sqlState())
              .isEqualTo(SqlState.INVALID_PARAMETER_VALUE));
    }
    assertThatThrownBy(() -> Settings.viewConsistency("strong"))
        .isInstanceOf(SqlException.class)
        .hasMessageContaining("eventual, read_your_writes or at_position:<ts>:<partition>:<offset>")
        .satisfies(e -> assertThat(((SqlException) e).sqlState())
            .isEqualTo(SqlState.INVALID_PARAMETER_VALUE));

    // SET stores the normalized form, which SHOW reports.
    Map<String, String> settings = new HashMap<>();
    Settings.set(settings, (Plan.SetSetting) plan(
        "SET view_consistency = 'At_Position:1765000000000:0:7'"));
    assertThat(Settings.show(settings, (Plan.ShowSetting) plan("SHOW view_consistency"), "u",
        "d").rows()).containsExactly(List.of("at_position:1765000000000:0:7"));
  }
}
