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
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code CREATE SINK CONNECTOR ... TO MARIADB | MYSQL ... FROM TABLE} end to end against a MariaDB
 * the test owns ({@link TestMariaDb}): the target follows the Ordo table's inserts, updates and
 * deletes; its triggers log every row the sink applies, so a change applied twice would show.
 * The sink's target connections are killed mid-stream and its gateway restarted under a writer:
 * the target equals the Ordo table and the log holds each change once. Bad definitions are
 * refused with the reason and leave nothing; DROP deletes the progress row. Skipped where
 * mariadbd is not installed.
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MySqlSinkConnectorIT {
  private static final long WAIT_MS = ConnectorTestCluster.WAIT_MS;
  /** The user the sink connects as: its connections are the ones killed. */
  private static final String SINK_USER = "sinker";

  @TempDir static Path dir;
  static ConnectorTestCluster cluster;
  static TestMariaDb db;

  @BeforeAll
  static void start() throws Exception {
    Optional<TestMariaDb.Binaries> bin = TestMariaDb.binaries();
    Assumptions.assumeTrue(bin.isPresent(), "mariadbd and mariadb-install-db not found (set"
        + " ORDO_MARIADB_BIN or install mariadb-server): skipping the MySQL sink tests");
    db = TestMariaDb.start(bin.get());
    db.exec("CREATE DATABASE shop",
        "CREATE USER '" + SINK_USER + "'@'%' IDENTIFIED BY 'pw'",
        "GRANT ALL PRIVILEGES ON shop.* TO '" + SINK_USER + "'@'%'",
        "CREATE TABLE shop.acc_copy (id INT PRIMARY KEY, name TEXT, n BIGINT NOT NULL)"
            + " ENGINE = InnoDB",
        "CREATE TABLE shop.acc_log (seq BIGINT AUTO_INCREMENT PRIMARY KEY, op VARCHAR(10),"
            + " id INT, n BIGINT) ENGINE = InnoDB",
        "CREATE TRIGGER shop.acc_ins AFTER INSERT ON shop.acc_copy FOR EACH ROW"
            + " INSERT INTO shop.acc_log (op, id, n) VALUES ('INSERT', NEW.id, NEW.n)",
        "CREATE TRIGGER shop.acc_upd AFTER UPDATE ON shop.acc_copy FOR EACH ROW"
            + " INSERT INTO shop.acc_log (op, id, n) VALUES ('UPDATE', NEW.id, NEW.n)",
        "CREATE TRIGGER shop.acc_del AFTER DELETE ON shop.acc_copy FOR EACH ROW"
            + " INSERT INTO shop.acc_log (op, id, n) VALUES ('DELETE', OLD.id, OLD.n)");
    cluster = ConnectorTestCluster.startOrdo(dir, "mysqlsink");
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {cluster, db}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private static List<StatementResult> sql(String text) throws SqlException {
    return cluster.sql(text);
  }

  private static String createSink(String name, String options, String from) {
    return "CREATE SINK CONNECTOR " + name + " TO MARIADB WITH (host = '127.0.0.1', port = "
        + db.port() + ", user = '" + SINK_USER + "', password = 'pw'" + options + ") FROM " + from;
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
    try (Connection c = db.connect(); Statement s = c.createStatement();
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
        assertThat(have).as("%s copying %s (%s)", target, ordoTable,
            sql("SHOW CONNECTORS").get(0).rows()).containsExactlyElementsOf(want);
      }
      Thread.sleep(100);
    }
  }

  /** Per row id, how many times the target applied a row of it (its log entries). */
  private static Map<Integer, Long> applications() throws Exception {
    Map<Integer, Long> out = new TreeMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, count(*) FROM shop.acc_log GROUP BY id")) {
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
    sql(createSink("acc_out", ", table = 'shop.acc_copy'", "TABLE acc"));
    awaitCopied("acc", "shop.acc_copy");

    sql("INSERT INTO acc VALUES (4, 'four', 0)");
    sql("UPDATE acc SET n = n + 1, name = 'uno' WHERE id = 1");
    sql("DELETE FROM acc WHERE id = 2");
    awaitCopied("acc", "shop.acc_copy");
    assertThat(targetRows("shop.acc_copy")).containsExactly("1|uno|1", "3|null|0", "4|four|0");
    assertThat(applications()).containsExactly(
        Map.entry(1, 2L), Map.entry(2, 2L), Map.entry(3, 1L), Map.entry(4, 1L));
    Map<String, Object> show = cluster.connector("acc_out");
    assertThat(show).containsEntry("source", "table acc")
        .containsEntry("target", "mariadb shop.acc_copy").containsEntry("state", "streaming");
    assertThat(show.values()).noneMatch(v -> String.valueOf(v).contains("pw'"));
    assertThat(db.count("SELECT count(*) FROM shop.ordo_sink_progress")).isEqualTo(1);
  }

  @Test
  @Order(2)
  void aSinkWhoseConnectionsAreKilledAndWhoseGatewayRestartsAppliesEachChangeOnce()
      throws Exception {
    Map<Integer, Long> before = applications();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 120; i++) {
          retried("UPDATE acc SET n = n + 1 WHERE id = " + (i % 2 == 0 ? 1 : 3));
          if (i % 4 == 0) {
            retried("INSERT INTO acc VALUES (" + (100 + i) + ", 'w', " + i + ")");
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    long n1 = counter(1);
    long n3 = counter(3);
    writer.start();
    // The sink's connections to the target die while it writes (an open transaction is rolled
    // back), three times; then its gateway stops and starts again.
    for (int i = 0; i < 3; i++) {
      Thread.sleep(300);
      killSinkConnections();
    }
    cluster.restartGateway();
    ConnectorTestCluster.joinWriter(writer);
    awaitCopied("acc", "shop.acc_copy");
    Map<Integer, Long> after = applications();
    // Each update committed in Ordo applied once, each insert once.
    assertThat(after.get(1) - before.get(1)).isEqualTo(counter(1) - n1).isPositive();
    assertThat(after.get(3) - before.get(3)).isEqualTo(counter(3) - n3).isPositive();
    List<Integer> inserted = ordoRows("acc").stream()
        .map(r -> Integer.parseInt(r.split("\\|")[0])).filter(id -> id >= 100).toList();
    assertThat(inserted).isNotEmpty();
    for (int id : inserted) {
      assertThat(after.get(id)).as("applications of row %d", id).isEqualTo(1L);
    }
  }

  private static void killSinkConnections() throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '" + SINK_USER + "'")) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
      for (long id : ids) {
        try {
          s.execute("KILL CONNECTION " + id);
        } catch (java.sql.SQLException e) {
          // gone meanwhile
        }
      }
    }
  }

  private static long counter(int id) throws SqlException {
    return ((Number) sql("SELECT n FROM acc WHERE id = " + id).get(0).rows().get(0).get(0))
        .longValue();
  }

  /**
   * Runs {@code statement}, retrying while the gateway restarts (an insert that committed before
   * its retry fails 23505: done).
   */
  private static void retried(String statement) throws InterruptedException {
    for (int attempt = 0; attempt < 100; attempt++) {
      try {
        sql(statement);
        return;
      } catch (SqlException | RuntimeException e) {
        if (e instanceof SqlException s && s.sqlState().equals("23505")) {
          return;
        }
        Thread.sleep(100);
      }
    }
  }

  @Test
  @Order(3)
  void badDefinitionsAreRefusedWithTheReasonAndLeaveNothing() throws Exception {
    db.exec("CREATE TABLE shop.keyless_copy (id INT, name TEXT, n BIGINT)");
    int connectors = sql("SHOW CONNECTORS").get(0).rows().size();
    cluster.assertRefused(createSink("bad", ", table = 'shop.acc_copy', slot = 'x'",
        "TABLE acc"), "22023", "unknown option \"slot\"");
    cluster.assertRefused(createSink("bad", "", "TABLE acc"), "22023",
        "needs the option \"table\"");
    cluster.assertRefused(createSink("bad", ", table = 'acc_copy'", "TABLE acc"), "22023",
        "option \"table\" must be database.table");
    cluster.assertRefused(createSink("bad", ", table = 'shop.missing'", "TABLE acc"), "08001",
        "the target table shop.missing does not exist");
    cluster.assertRefused(createSink("bad", ", table = 'shop.keyless_copy'", "TABLE acc"),
        "08001", "needs the primary key [id]");
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    cluster.assertRefused(createSink("bad", ", table = 'shop.acc_copy'", "TABLE acc")
        .replace("port = " + db.port(), "port = " + closedPort), "08001",
        "cannot reach MariaDB at 127.0.0.1:" + closedPort);
    assertThat(sql("SHOW CONNECTORS").get(0).rows()).hasSize(connectors);
  }

  @Test
  @Order(9)
  void aStreamSinkWritesEachRecordOnceIntoAnExistingTable() throws Exception {
    sql("CREATE STREAM ev (id INT, v TEXT) WITH (shards = 2, key = 'id')");
    sql("INSERT INTO ev VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    // MySQL targets are not made by CREATE: a missing one is refused with the reason.
    cluster.assertRefused(createSink("ev_out", ", table = 'shop.ev_copy'", "STREAM ev"), "08001",
        "does not exist");
    db.exec("CREATE TABLE shop.ev_copy (id INT, v TEXT, _shard BIGINT NOT NULL,"
        + " _offset BIGINT NOT NULL, _log_time TIMESTAMP(3) NOT NULL,"
        + " PRIMARY KEY (_shard, _offset)) ENGINE = InnoDB");
    sql(createSink("ev_out", ", table = 'shop.ev_copy'", "STREAM ev"));
    sql("INSERT INTO ev VALUES (4, 'd'), (5, 'e')");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (db.count("SELECT count(*) FROM shop.ev_copy") < 5 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, v FROM shop.ev_copy ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getInt(1) + "|" + rs.getString(2));
      }
    }
    assertThat(rows).containsExactly("1|a", "2|b", "3|c", "4|d", "5|e");
    assertThat(db.count("SELECT count(DISTINCT _shard, _offset) FROM shop.ev_copy")).isEqualTo(5);
    sql("DROP CONNECTOR ev_out");
  }

  @Test
  @Order(4)
  void dropDeletesTheProgressRowAndStopsTheSink() throws Exception {
    sql("DROP CONNECTOR acc_out");
    assertThat(db.count("SELECT count(*) FROM shop.ordo_sink_progress")).isZero();
    sql("INSERT INTO acc VALUES (901, 'dropped', 0)");
    Thread.sleep(1_000);
    assertThat(targetRows("shop.acc_copy")).noneMatch(r -> r.startsWith("901|"));
  }
}
