package io.ordo.views;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.StatementResult;
import io.ordo.sql.ViewBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Materialized views on a whole embedded Ordo (broker, executor, gateway, the views' supervisor
 * and MiniCluster): a view maintained by its Flink SQL job while its table changes ends equal to
 * its SELECT run as a pull query, also when its job is killed mid-way (restored from its
 * checkpoint, or restarted without state); and what CREATE refuses.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MaterializedViewIT {
  @TempDir static Path dir;
  static EmbeddedOrdo ordo;

  /** The view's query, also run as a pull query to compare. */
  static final String QUERY = "SELECT region, count(*) AS n, sum(amount) AS total,"
      + " min(amount) AS lo, max(amount) AS hi, avg(price) AS avg_price,"
      + " count(DISTINCT amount) AS amounts, avg(amount) AS avg_amount FROM orders"
      + " WHERE amount > 0 GROUP BY region HAVING sum(amount) > 150";

  /** How long a view may take to reflect quiescent writes before the test fails. */
  static final Duration CONVERGE = Duration.ofSeconds(60);

  @BeforeAll
  static void start() throws Exception {
    ordo = startOrdo(dir);
  }

  /** A whole embedded Ordo in {@code dir} on free ports, serving (views' ITs share it). */
  static EmbeddedOrdo startOrdo(Path dir) throws Exception {
    EmbeddedOrdo started = EmbeddedOrdo.start(EmbeddedOrdo.Options.defaults(dir).withFreePorts()
        .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(500)));
    started.awaitServing(Duration.ofSeconds(90));
    return started;
  }

  @AfterAll
  static void stop() {
    if (ordo != null) {
      ordo.close();
    }
  }

  static StatementResult one(SqlSession s, String sql) throws SqlException {
    List<StatementResult> out = new ArrayList<>();
    for (SqlStatement st : s.prepare(sql, List.of())) {
      out.add(st.execute(List.of()));
    }
    assertThat(out).hasSize(1);
    return out.get(0);
  }

  static String sqlState(SqlSession s, String sql) {
    try {
      one(s, sql);
      return "ok";
    } catch (SqlException e) {
      return e.sqlState();
    }
  }

  /** Random inserts, updates and deletes of orders (seeded: the same run every time). */
  static void workload(SqlSession s, Random random, TreeSet<Long> ids, long[] nextId, int ops)
      throws SqlException {
    for (int i = 0; i < ops; i++) {
      int kind = random.nextInt(10);
      if (kind < 5 || ids.size() < 5) {
        long id = nextId[0]++;
        one(s, "INSERT INTO orders VALUES (" + id + ", 'r" + random.nextInt(5) + "', "
            + (random.nextInt(60) - 10) + ", " + random.nextInt(1000) / 8.0 + ")");
        ids.add(id);
      } else {
        long id = new ArrayList<>(ids).get(random.nextInt(ids.size()));
        if (kind < 7) {
          one(s, "UPDATE orders SET amount = " + (random.nextInt(60) - 10) + " WHERE id = " + id);
        } else if (kind < 8) {
          one(s, "UPDATE orders SET region = 'r" + random.nextInt(5) + "' WHERE id = " + id);
        } else {
          one(s, "DELETE FROM orders WHERE id = " + id);
          ids.remove(id);
        }
      }
    }
  }

  /** Waits until the view's rows equal the pull query's; returns both (the last read). */
  static List<List<List<Object>>> awaitEqual(SqlSession s, String view) throws Exception {
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    List<List<Object>> expected;
    List<List<Object>> actual;
    do {
      expected = rounded(one(s, QUERY + " ORDER BY region").rows());
      actual = rounded(one(s, "SELECT region, n, total, lo, hi, avg_price, amounts, avg_amount FROM " + view
          + " ORDER BY region").rows());
      if (expected.equals(actual)) {
        break;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    return List.of(expected, actual);
  }

  /**
   * Doubles to 9 significant digits: Flink's AVG keeps a running sum under retractions, a batch
   * AVG sums once, so the last bits may differ.
   */
  static List<List<Object>> rounded(List<List<Object>> rows) {
    List<List<Object>> out = new ArrayList<>();
    for (List<Object> r : rows) {
      List<Object> row = new ArrayList<>();
      for (Object v : r) {
        row.add(v instanceof Double d ? Double.parseDouble(String.format("%.9g", d)) : v);
      }
      out.add(row);
    }
    return out;
  }

  @Test
  void viewEqualsItsQueryAndSurvivesItsJobBeingKilled() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE orders (id BIGINT PRIMARY KEY, region TEXT NOT NULL, amount INT,"
          + " price DOUBLE)");
      Random random = new Random(20261207L);
      TreeSet<Long> ids = new TreeSet<>();
      long[] nextId = {1};
      // Rows before the view exists: its job reads them first (the initial read).
      workload(s, random, ids, nextId, 40);
      assertThat(one(s, "CREATE MATERIALIZED VIEW region_totals AS " + QUERY).commandTag())
          .isEqualTo("CREATE MATERIALIZED VIEW");
      ViewSupervisor views = ordo.views().orElseThrow();
      workload(s, random, ids, nextId, 60);
      List<List<List<Object>>> first = awaitEqual(s, "region_totals");
      assertThat(first.get(1)).isEqualTo(first.get(0)).isNotEmpty();

      // Killed mid-way: writes it has not caught up with, then more after the kill. Its
      // replacement restores from the newest checkpoint and replays from its position.
      workload(s, random, ids, nextId, 20);
      views.killJob("region_totals");
      workload(s, random, ids, nextId, 20);
      List<List<List<Object>>> restored = awaitEqual(s, "region_totals");
      assertThat(restored.get(1)).isEqualTo(restored.get(0));

      // Killed and its checkpoints lost: started without state, it reads the table again and
      // replaces the view's rows.
      String viewId = (String) one(s, "SHOW VIEWS").rows().get(0).get(1);
      workload(s, random, ids, nextId, 20);
      synchronized (views) {
        views.killJob("region_totals");
        deleteTree(ordo.dataDir().resolve(EmbeddedOrdo.VIEW_CHECKPOINTS_DIR).resolve(viewId));
      }
      workload(s, random, ids, nextId, 20);
      List<List<List<Object>>> fresh = awaitEqual(s, "region_totals");
      assertThat(fresh.get(1)).isEqualTo(fresh.get(0));

      // Quiescent: the view's progress reaches the source's last change (lag 0, caught up).
      long deadline = System.nanoTime() + CONVERGE.toNanos();
      List<Object> shown = one(s, "SHOW VIEWS").rows().get(0);
      while (!"caught up".equals(shown.get(4)) && System.nanoTime() < deadline) {
        Thread.sleep(200);
        shown = one(s, "SHOW VIEWS").rows().get(0);
      }
      assertThat(shown.subList(0, 1)).containsExactly("region_totals");
      assertThat(shown.get(2)).isEqualTo("orders");
      assertThat((String) shown.get(5)).matches("\\d+:\\d+:\\d+");
      assertThat(shown.subList(4, 8)).as("state, position, lag")
          .containsExactly("caught up", shown.get(5), 0L, 0.0);
    }
  }

  /** Rows with each value as text (a view's SUM and the pull query's may differ in type). */
  static List<List<String>> text(StatementResult r) {
    return r.rows().stream().map(row -> row.stream().map(String::valueOf).toList()).toList();
  }

  @Test
  void aSessionReadsItsOwnWritesOrANamedPositionThroughAViewWhenItAsksTo() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE tallies (id BIGINT PRIMARY KEY, grp TEXT NOT NULL, n INT NOT NULL)");
      one(s, "CREATE MATERIALIZED VIEW grp_totals AS SELECT grp, count(*) AS c, sum(n) AS total"
          + " FROM tallies GROUP BY grp");
      assertThat(text(one(s, "SHOW view_consistency"))).containsExactly(List.of("eventual"));
      assertThat(sqlState(s, "SET view_consistency = 'strong'")).isEqualTo("22023");
      one(s, "SET view_consistency = 'read_your_writes'");
      assertThat(text(one(s, "SHOW view_consistency"))).containsExactly(List.of("read_your_writes"));
      // Each read right after a write sees it: the view's job writes its rows once a second
      // (its checkpoints), so without the wait most of these reads would be a step behind.
      for (int i = 1; i <= 12; i++) {
        one(s, "INSERT INTO tallies VALUES (" + i + ", '" + (i % 3 == 0 ? "a" : "b") + "', " + i + ")");
        if (i % 4 == 0) {
          one(s, "UPDATE tallies SET n = n + 100 WHERE id = " + (i - 1));
        }
        assertThat(text(one(s, "SELECT grp, c, total FROM grp_totals t ORDER BY grp")))
            .as("the view after write %d", i)
            .isEqualTo(text(one(s, "SELECT grp, count(*) AS c, sum(n) AS total FROM tallies"
                + " GROUP BY grp ORDER BY grp")));
      }

      // Waiting for a position named explicitly (a session that wrote nothing itself).
      assertThat(sqlState(s, "SET view_consistency = 'at_position:yesterday'"))
          .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
      one(s, "INSERT INTO tallies VALUES (13, 'c', 13)");
      // Another client's write commits after that insert: its position is one to wait for.
      io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder
          .forTarget(ordo.grpcTarget()).usePlaintext().build();
      io.ordo.proto.Position after;
      try {
        after = io.ordo.proto.OrdoGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .put(io.ordo.proto.PutRequest.newBuilder().setKey("view-it/marker")
                .setValue(io.ordo.proto.Value.newBuilder().setCounter(1)).build())
            .getPosition();
      } finally {
        channel.shutdownNow();
      }
      try (SqlSession reader = ordo.sqlEngine().openSession("test", "ordo")) {
        String position = io.ordo.sql.engine.Positions.format(after);
        one(reader, "SET view_consistency = 'AT_POSITION:" + position + "'");
        assertThat(text(one(reader, "SHOW view_consistency")))
            .containsExactly(List.of("at_position:" + position));
        assertThat(text(one(reader, "SELECT grp, c, total FROM grp_totals ORDER BY grp")))
            .isEqualTo(text(one(reader, "SELECT grp, count(*) AS c, sum(n) AS total"
                + " FROM tallies GROUP BY grp ORDER BY grp")));
        // A position after the log's newest: no view reflects it yet.
        one(reader, "SET view_consistency = 'at_position:" + (after.getTs() + 3_600_000)
            + ":0:0'");
        assertThat(sqlState(reader, "SELECT * FROM grp_totals"))
            .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
        assertThat(sqlState(reader, "SELECT * FROM tallies")).isEqualTo("ok");
      }
    } finally {
      // The other tests read SHOW VIEWS' first row as theirs.
      try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
        one(s, "DROP VIEW IF EXISTS grp_totals");
      }
    }
  }

  /** The lines of an EXPLAIN answer (one text column, "QUERY PLAN"). */
  static List<String> lines(StatementResult r) {
    assertThat(r.columns()).extracting(io.ordo.sql.Column::name).containsExactly("QUERY PLAN");
    return r.rows().stream().map(row -> (String) row.get(0)).toList();
  }

  @Test
  void explainSaysWhatAViewRunsWithoutCreatingIt() throws Exception {
    String create = "CREATE MATERIALIZED VIEW shop_totals AS SELECT shop, count(*) AS n,"
        + " sum(amount) AS total FROM sales GROUP BY shop";
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE sales (id BIGINT PRIMARY KEY, shop TEXT NOT NULL, amount INT NOT NULL)");
      // EXPLAIN CREATE says what the view would run, and creates nothing.
      List<String> plan = lines(one(s, "EXPLAIN " + create));
      assertThat(plan.get(0)).startsWith("Materialized View shop_totals (not created");
      assertThat(plan).contains("  Sources: table sales", "  Key: shop (the GROUP BY columns)",
          "  Aggregates: COUNT(*) AS \"n\", SUM(\"amount\") AS \"total\"");
      assertThat(sqlState(s, "SELECT * FROM shop_totals")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(one(s, "SHOW VIEWS").rows()).noneMatch(r -> r.get(0).equals("shop_totals"));
      // CREATE's refusals; an unknown view; a table.
      assertThat(sqlState(s, "EXPLAIN CREATE MATERIALIZED VIEW v AS SELECT shop, amount"
          + " FROM sales")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "EXPLAIN CREATE MATERIALIZED VIEW v AS SELECT shop, count(*) AS n"
          + " FROM nowhere GROUP BY shop")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(sqlState(s, "EXPLAIN VIEW shop_totals")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(sqlState(s, "EXPLAIN VIEW sales")).isEqualTo(SqlState.WRONG_OBJECT_TYPE);

      one(s, create);
      assertThat(sqlState(s, "EXPLAIN " + create)).isEqualTo(SqlState.DUPLICATE_TABLE);
      // EXPLAIN VIEW: the same description, and the Flink SQL is what the job is given.
      List<String> explained = lines(one(s, "EXPLAIN MATERIALIZED VIEW shop_totals"));
      assertThat(explained.get(0)).startsWith("Materialized View shop_totals (view id ");
      assertThat(explained.subList(1, explained.size())).isEqualTo(plan.subList(1, plan.size()));
      Object flinkQuery = one(s, "SHOW VIEWS").rows().stream()
          .filter(r -> r.get(0).equals("shop_totals")).findFirst().orElseThrow().get(12);
      assertThat(explained).contains("  Flink SQL: " + flinkQuery);
    } finally {
      // The other tests read SHOW VIEWS' first row as theirs.
      try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
        one(s, "DROP VIEW IF EXISTS shop_totals");
        one(s, "DROP TABLE IF EXISTS sales");
      }
    }
  }

  @Test
  void createRefusesWhatTheSliceDoesNotSupport() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE items (id INT PRIMARY KEY, kind TEXT, qty INT)");
      one(s, "CREATE TABLE kinds (kind TEXT PRIMARY KEY, label TEXT)");
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT i.kind, count(*) AS n"
          + " FROM items i, kinds k GROUP BY i.kind"))
          .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT kind, qty FROM items"))
          .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT kind, count(*) AS n"
          + " FROM nowhere GROUP BY kind")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT kind, stddev_pop(qty) AS sd"
          + " FROM items GROUP BY kind")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT count(*) AS n"
          + " FROM items GROUP BY kind")).isEqualTo(SqlState.GROUPING_ERROR);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT kind, count(*)"
          + " FROM items GROUP BY kind")).isEqualTo(SqlState.INVALID_TABLE_DEFINITION);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT kind, count(*) AS n"
          + " FROM items GROUP BY kind ORDER BY kind")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v1 AS SELECT kind, count(*) AS n"
          + " FROM items GROUP BY TUMBLE(kind, INTERVAL '1' MINUTE)"))
          .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);

      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW by_kind AS SELECT kind, sum(qty) AS qty"
          + " FROM items GROUP BY kind")).isEqualTo("ok");
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW by_kind AS SELECT kind, sum(qty) AS qty"
          + " FROM items GROUP BY kind")).isEqualTo(SqlState.DUPLICATE_TABLE);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW IF NOT EXISTS by_kind AS SELECT kind,"
          + " sum(qty) AS qty FROM items GROUP BY kind")).isEqualTo("ok");
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW v2 AS SELECT kind, count(*) AS n"
          + " FROM by_kind GROUP BY kind")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "DROP TABLE items")).isEqualTo(SqlState.DEPENDENT_OBJECTS_STILL_EXIST);
      assertThat(sqlState(s, "DROP TABLE by_kind")).isEqualTo(SqlState.WRONG_OBJECT_TYPE);
      assertThat(sqlState(s, "INSERT INTO by_kind VALUES ('x', 1)"))
          .isEqualTo(SqlState.WRONG_OBJECT_TYPE);
      assertThat(sqlState(s, "DELETE FROM by_kind")).isEqualTo(SqlState.WRONG_OBJECT_TYPE);
      assertThat(sqlState(s, "DROP VIEW kinds")).isEqualTo(SqlState.WRONG_OBJECT_TYPE);
      assertThat(sqlState(s, "DROP VIEW nothing_here")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(one(s, "DESCRIBE by_kind").rows()).containsExactly(
          Arrays.asList("kind", "text", false, null, true),
          Arrays.asList("qty", "integer", true, null, false));

      // Batches: one not after the stored progress is skipped (twice the same: the second is);
      // a wrong id, a malformed position and a session without admin access are refused.
      String viewId = one(s, "SHOW VIEWS").rows().stream()
          .filter(r -> r.get(0).equals("by_kind")).findFirst().orElseThrow().get(1).toString();
      ViewBatch old = new ViewBatch("by_kind", viewId, "1:0:0", false, List.of(), List.of());
      s.applyView(old);
      assertThat(s.applyView(old).applied()).isFalse();
      assertThat(applyState(s, new ViewBatch("by_kind", "00000000000000ff", "1:0:1", false,
          List.of(), List.of()))).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(applyState(s, new ViewBatch("by_kind", viewId, "yesterday", false,
          List.of(), List.of()))).isEqualTo(SqlState.INVALID_TEXT_REPRESENTATION);
      try (SqlSession writer =
          ordo.sqlEngine().openSession("test", "ordo", io.ordo.sql.SqlAccess.WRITE)) {
        assertThat(applyState(writer, old)).isEqualTo(SqlState.INSUFFICIENT_PRIVILEGE);
      }

      assertThat(one(s, "DROP VIEW by_kind").commandTag()).isEqualTo("DROP VIEW");
      assertThat(sqlState(s, "SELECT * FROM by_kind")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(sqlState(s, "DROP VIEW IF EXISTS by_kind")).isEqualTo("ok");
      assertThat(sqlState(s, "DROP TABLE items")).isEqualTo("ok");
    }
  }

  static String applyState(SqlSession s, ViewBatch batch) {
    try {
      s.applyView(batch);
      return "ok";
    } catch (SqlException e) {
      return e.sqlState();
    }
  }

  static void deleteTree(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
