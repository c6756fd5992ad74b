package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.SqlException;
import io.ordo.sql.StatementResult;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code CREATE SINK CONNECTOR ... TO POSTGRESQL ... FROM TABLE} end to end against a PostgreSQL
 * the test owns ({@link TestPostgres}): the Ordo table's rows, then its inserts, updates and
 * deletes, reach the target table; a trigger on the target logs every row it applies, so a
 * change applied twice would show. The sink's target connection is killed mid-stream and its
 * gateway restarted under a writer: the target equals the Ordo table and the log holds each
 * change once. Bad definitions are refused with the reason; a target that goes away shows in
 * SHOW CONNECTORS and the sink catches up when it is back. Skipped where initdb and pg_ctl are
 * not installed.
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresSinkConnectorIT {
  private static final long WAIT_MS = ConnectorTestCluster.WAIT_MS;

  @TempDir static Path dir;
  static ConnectorTestCluster cluster;
  static TestPostgres pg;

  @BeforeAll
  static void start() throws Exception {
    cluster = ConnectorTestCluster.start(dir, "pgsink");
    pg = cluster.pg;
    // The target: a copy of the Ordo table, and a log of every row the sink applies to it.
    pg.exec(
        "CREATE TABLE public.acc_copy (id INT PRIMARY KEY, name TEXT, n BIGINT NOT NULL)",
        "CREATE TABLE public.acc_log (seq BIGSERIAL PRIMARY KEY, op TEXT, id INT, n BIGINT)",
        "CREATE FUNCTION public.log_acc() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF TG_OP = 'DELETE' THEN INSERT INTO public.acc_log (op, id, n) VALUES (TG_OP,"
            + " OLD.id, OLD.n); ELSE INSERT INTO public.acc_log (op, id, n) VALUES (TG_OP, NEW.id,"
            + " NEW.n); END IF; RETURN NULL; END $$",
        "CREATE TRIGGER acc_logged AFTER INSERT OR UPDATE OR DELETE ON public.acc_copy"
            + " FOR EACH ROW EXECUTE FUNCTION public.log_acc()");
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<StatementResult> sql(String text) throws SqlException {
    return cluster.sql(text);
  }

  private static String createSink(String name, String options, String from) {
    return "CREATE SINK CONNECTOR " + name + " TO POSTGRESQL WITH (host = '127.0.0.1', port = "
        + pg.port() + ", database = 'postgres', user = 'postgres'" + options + ") FROM " + from;
  }

  private static List<String> ordoRows(String table) throws SqlException {
    List<String> out = new ArrayList<>();
    for (List<Object> r : sql("SELECT id, name, n FROM " + table + " ORDER BY id").get(0).rows()) {
      out.add(r.get(0) + "|" + r.get(1) + "|" + r.get(2));
    }
    return out;
  }

  private static List<String> targetRows(String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, name, n FROM " + table + " ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getInt(1) + "|" + rs.getString(2) + "|" + rs.getLong(3));
      }
    }
    return out;
  }

  private static void awaitCopied(String ordoTable, String target) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      List<String> want = ordoRows(ordoTable);
      List<String> have;
      try {
        have = targetRows(target);
      } catch (Exception e) {
        have = List.of(e.toString());
      }
      if (have.equals(want)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        assertThat(have).as("%s copying %s", target, ordoTable).containsExactlyElementsOf(want);
      }
      Thread.sleep(100);
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    ConnectorTestCluster.await(what, condition);
  }

  private static Map<String, Object> connector(String name) throws SqlException {
    return cluster.connector(name);
  }

  /** Per row id, how many times the target applied a row of it (its log entries). */
  private static Map<Integer, Long> applications() throws Exception {
    Map<Integer, Long> out = new TreeMap<>();
    try (Connection c = pg.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, count(*) FROM public.acc_log GROUP BY id")) {
      while (rs.next()) {
        out.put(rs.getInt(1), rs.getLong(2));
      }
    }
    return out;
  }

  @Test
  @Order(1)
  void rowsWrittenUpdatedAndDeletedInOrdoAppearInTheTarget() throws Exception {
    sql("CREATE TABLE acc (id INT PRIMARY KEY, name TEXT, n BIGINT NOT NULL)");
    sql("INSERT INTO acc VALUES (1, 'one', 0), (2, 'two', 0), (3, NULL, 0)");
    sql(createSink("acc_out", ", password = 'secret', table = 'public.acc_copy'", "TABLE acc"));
    awaitCopied("acc", "public.acc_copy");

    sql("INSERT INTO acc VALUES (4, 'four', 0)");
    sql("UPDATE acc SET n = n + 1, name = 'uno' WHERE id = 1");
    sql("DELETE FROM acc WHERE id = 2");
    awaitCopied("acc", "public.acc_copy");
    assertThat(targetRows("public.acc_copy")).containsExactly("1|uno|1", "3|null|0", "4|four|0");
    assertThat(applications()).containsExactly(
        Map.entry(1, 2L), Map.entry(2, 2L), Map.entry(3, 1L), Map.entry(4, 1L));
    Map<String, Object> show = connector("acc_out");
    assertThat(show).containsEntry("source", "table acc")
        .containsEntry("target", "postgresql public.acc_copy")
        .containsEntry("state", "streaming");
    assertThat(show.values()).noneMatch(v -> String.valueOf(v).contains("secret"));
    assertThat(pg.count("SELECT count(*) FROM public.ordo_sink_progress")).isEqualTo(1);
  }

  @Test
  @Order(2)
  void aSinkKilledMidStreamAndRestartedAppliesEachChangeOnce() throws Exception {
    Map<Integer, Long> before = applications();
    long n1 = counter(1);
    long n3 = counter(3);
    List<Integer> inserted = new ArrayList<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 120; i++) {
          // Retried through the restart: the counters say how many updates committed; an
          // insert that committed before its retry is 23505.
          orNot("UPDATE acc SET n = n + 1 WHERE id = " + (i % 2 == 0 ? 1 : 3));
          if (i % 4 == 0 && orNot("INSERT INTO acc VALUES (" + (100 + i) + ", 'w', " + i + ")")) {
            synchronized (inserted) {
              inserted.add(100 + i);
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    writer.start();
    // The sink's connection to the target dies while it writes (its transaction, if open, is
    // rolled back), twice; then its gateway stops and starts again.
    for (int i = 0; i < 2; i++) {
      Thread.sleep(300);
      pg.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          + " WHERE application_name = 'ordo-acc_out'");
    }
    cluster.restartGateway();
    ConnectorTestCluster.joinWriter(writer);
    awaitCopied("acc", "public.acc_copy");
    Map<Integer, Long> after = applications();
    // Each update committed in Ordo applied once, each insert once.
    assertThat(after.get(1) - before.get(1)).isEqualTo(counter(1) - n1).isPositive();
    assertThat(after.get(3) - before.get(3)).isEqualTo(counter(3) - n3).isPositive();
    for (int id : ordoRows("acc").stream().map(r -> Integer.parseInt(r.split("\\|")[0]))
        .filter(id -> id >= 100).toList()) {
      assertThat(after.get(id)).as("applications of row %d", id).isEqualTo(1L);
    }
    assertThat(inserted).isNotEmpty();
  }

  private static long counter(int id) throws SqlException {
    return ((Number) sql("SELECT n FROM acc WHERE id = " + id).get(0).rows().get(0).get(0))
        .longValue();
  }

  /**
   * Runs {@code statement}, retrying while the gateway restarts; false when it was a duplicate
   * insert (or never got through).
   */
  private static boolean orNot(String statement) throws InterruptedException {
    for (int attempt = 0; attempt < 100; attempt++) {
      try {
        sql(statement);
        return true;
      } catch (SqlException | RuntimeException e) {
        if (e instanceof SqlException s && s.sqlState().equals("23505")) {
          return false;
        }
        Thread.sleep(100);
      }
    }
    return false;
  }

  @Test
  @Order(3)
  void badDefinitionsAreRefusedWithTheReasonAndLeaveNothing() throws Exception {
    pg.exec("CREATE TABLE public.keyless_copy (id INT, name TEXT, n BIGINT)");
    sql("CREATE STREAM events (v TEXT)");
    assertRefused(createSink("bad", ", table = 'public.acc_copy', colour = 'red'", "TABLE acc"),
        "22023", "unknown option \"colour\"");
    assertRefused(createSink("bad", "", "TABLE acc"), "22023", "needs the option \"table\"");
    assertRefused(createSink("bad", ", table = 'public.missing'", "TABLE acc"), "08001",
        "the target table public.missing does not exist");
    assertRefused(createSink("bad", ", table = 'public.keyless_copy'", "TABLE acc"), "08001",
        "needs the primary key [id]");
    assertRefused(createSink("bad", ", table = 'public.acc_copy'", "TABLE nothing"), "42P01",
        "table \"nothing\" does not exist");
    assertRefused(createSink("bad", ", table = 'public.acc_copy'", "STREAM events"), "08001",
        "lacks the columns [v, _shard, _offset, _log_time]");
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    assertRefused(createSink("bad", ", table = 'public.acc_copy'", "TABLE acc")
        .replace("port = " + pg.port(), "port = " + closedPort), "08001",
        "cannot reach PostgreSQL at 127.0.0.1:" + closedPort);
    assertThat(sql("SHOW CONNECTORS").get(0).rows()).hasSize(1);
  }

  @Test
  @Order(4)
  void pauseResumeAndDrop() throws Exception {
    sql("PAUSE CONNECTOR acc_out");
    await("the paused sink to let go of the target", () -> {
      try {
        return pg.count("SELECT count(*) FROM pg_stat_activity"
            + " WHERE application_name = 'ordo-acc_out'") == 0;
      } catch (Exception e) {
        return false;
      }
    });
    sql("INSERT INTO acc VALUES (900, 'paused', 0)");
    Thread.sleep(1_500);
    assertThat(targetRows("public.acc_copy")).noneMatch(r -> r.startsWith("900|"));
    sql("RESUME CONNECTOR acc_out");
    awaitCopied("acc", "public.acc_copy");
    sql("DROP CONNECTOR acc_out");
    assertThat(pg.count("SELECT count(*) FROM public.ordo_sink_progress")).isZero();
    sql("INSERT INTO acc VALUES (901, 'dropped', 0)");
    Thread.sleep(1_000);
    assertThat(targetRows("public.acc_copy")).noneMatch(r -> r.startsWith("901|"));
  }

  @Test
  @Order(5)
  void aTargetThatGoesAwayShowsInTheStateAndTheSinkCatchesUpWhenItIsBack() throws Exception {
    pg.exec("TRUNCATE public.acc_copy");
    sql(createSink("acc_again", ", table = 'public.acc_copy'", "TABLE acc"));
    awaitCopied("acc", "public.acc_copy");
    pg.stop();
    sql("UPDATE acc SET name = 'while away' WHERE id = 1");
    await("the sink to report the lost target", () -> {
      try {
        Map<String, Object> row = connector("acc_again");
        return "retrying".equals(row.get("state")) && row.get("last_error") != null;
      } catch (SqlException e) {
        return false;
      }
    });
    assertThat((String) connector("acc_again").get("last_error")).contains("the target");
    // The rest of the server is unaffected.
    assertThat(sql("SELECT count(*) FROM acc").get(0).rows()).hasSize(1);
    pg.restart();
    awaitCopied("acc", "public.acc_copy");
    assertThat(connector("acc_again")).containsEntry("state", "streaming");
  }

  private static void assertRefused(String statement, String sqlState, String reason) {
    cluster.assertRefused(statement, sqlState, reason);
  }
}
