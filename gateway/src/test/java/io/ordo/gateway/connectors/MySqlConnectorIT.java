package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.sql.SqlException;
import io.ordo.sql.StatementResult;
import io.ordo.sql.encoding.ConnectorCodec;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * {@code CREATE SOURCE CONNECTOR ... FROM MARIADB | MYSQL} end to end against a MariaDB the test
 * owns ({@link TestMariaDb}, binary log on, ROW format): INTO TABLE makes the table from the
 * source's columns and follows the snapshot, inserts, updates, primary key changes and deletes;
 * INTO STREAM appends each change once across a gateway restart under a writer and a schema
 * change (the schema history lives in Ordo); a worker that dies right after its commits resumes
 * from the stored offset and the table equals the source; bad sources and options are refused at
 * CREATE and leave nothing. Skipped where mariadbd is not installed.
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MySqlConnectorIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long WAIT_MS = ConnectorTestCluster.WAIT_MS;

  @TempDir static Path dir;
  static ConnectorTestCluster cluster;
  static TestMariaDb db;
  static final List<ConnectorManager> managers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Optional<TestMariaDb.Binaries> bin = TestMariaDb.binaries();
    Assumptions.assumeTrue(bin.isPresent(), "mariadbd and mariadb-install-db not found (set"
        + " ORDO_MARIADB_BIN or install mariadb-server): skipping the MySQL connector tests");
    db = TestMariaDb.start(bin.get());
    db.exec("CREATE DATABASE shop");
    cluster = ConnectorTestCluster.startOrdo(dir, "mysqlsource");
  }

  @AfterAll
  static void stop() throws Exception {
    managers.forEach(ConnectorManager::close);
    for (AutoCloseable c : new AutoCloseable[] {cluster, db}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private static List<StatementResult> sql(String text) throws SqlException {
    return cluster.sql(text);
  }

  static String options(TestMariaDb db, String table) {
    return "host = '127.0.0.1', port = " + db.port() + ", user = '" + TestMariaDb.USER
        + "', password = '" + TestMariaDb.PASSWORD + "', table = '" + table + "'";
  }

  private static String intoTable(String name, String sourceTable, String target) {
    return "CREATE SOURCE CONNECTOR " + name + " FROM MARIADB WITH (" + options(db, sourceTable)
        + ") INTO TABLE " + target;
  }

  /**
   * One value in a form both sides agree on: numbers as plain decimals (floating point as
   * doubles), timestamps to the millisecond (with a zone as instants), JSON re-serialized, bytes
   * in hex.
   */
  static String norm(Object v) {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof byte[] b) {
      return HexFormat.of().formatHex(b);
    }
    if (v instanceof Float || v instanceof Double) {
      return Double.toString(((Number) v).doubleValue());
    }
    if (v instanceof Number n) {
      return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
    }
    if (v instanceof OffsetDateTime t) {
      return t.toInstant().truncatedTo(ChronoUnit.MILLIS).toString();
    }
    if (v instanceof LocalDateTime t) {
      return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }
    if (v instanceof LocalDate d) {
      return d.toString();
    }
    String s = v.toString();
    if (s.startsWith("{") || s.startsWith("[")) {
      try {
        return JSON.readTree(s).toString();
      } catch (java.io.IOException e) {
        return s;
      }
    }
    return s;
  }

  /** The Ordo table's rows, ordered by its first column, each value {@link #norm}alized. */
  static List<List<String>> ordoRows(ConnectorTestCluster cluster, String table)
      throws SqlException {
    List<List<String>> out = new ArrayList<>();
    for (List<Object> row : cluster.sql("SELECT * FROM " + table + " ORDER BY 1").get(0).rows()) {
      out.add(row.stream().map(MySqlConnectorIT::norm).toList());
    }
    return out;
  }

  /** The MariaDB table's rows, ordered by its first column, each value {@link #norm}alized. */
  static List<List<String>> mariaRows(TestMariaDb db, String table) throws Exception {
    List<List<String>> out = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          Object v = switch (md.getColumnTypeName(i)) {
            case "DATETIME" -> rs.getObject(i, LocalDateTime.class);
            case "TIMESTAMP" -> rs.getObject(i, OffsetDateTime.class);
            case "DATE" -> rs.getObject(i, LocalDate.class);
            default -> rs.getObject(i);
          };
          row.add(norm(v));
        }
        out.add(row);
      }
    }
    return out;
  }

  /** Waits until the Ordo table equals the source table. */
  private static void awaitMirrored(String ordoTable, String sourceTable) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      List<List<String>> source = mariaRows(db, sourceTable);
      List<List<String>> ordo;
      try {
        ordo = ordoRows(cluster, ordoTable);
      } catch (SqlException e) {
        ordo = List.of(List.of(e.getMessage()));
      }
      if (ordo.equals(source)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        assertThat(ordo).as("table %s mirroring %s (connector: %s)", ordoTable, sourceTable,
            sql("SHOW CONNECTORS").get(0).rows()).containsExactlyElementsOf(source);
      }
      Thread.sleep(100);
    }
  }

  @Test
  @Order(1)
  void theTableIsMadeFromTheSourceAndFollowsEveryKindOfChange() throws Exception {
    db.exec("CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, note TEXT,"
            + " price DECIMAL(10, 2), qty BIGINT, small SMALLINT, tiny TINYINT, ok BOOL,"
            + " ratio DOUBLE, f FLOAT, big BIGINT UNSIGNED, uint INT UNSIGNED, day DATE,"
            + " at DATETIME(3), at_tz TIMESTAMP(3) NULL, raw VARBINARY(16), blobby BLOB,"
            + " doc JSON)",
        "INSERT INTO shop.items VALUES"
            + " (1, 'one', 'note', 10.50, 100, 1, -3, true, 0.5, 1.25, 18446744073709551615,"
            + " 4294967295, '2026-01-02', '2026-01-02 03:04:05.123', '2026-01-02 03:04:05.500',"
            + " x'00ff10', x'0102', '{\"a\": [1, 2]}'),"
            + " (2, 'two', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
            + " NULL, NULL, NULL, NULL),"
            + " (3, 'three', '', -0.01, -5, -2, 127, false, -1e300, -2.5, 0, 0, '1999-12-31',"
            + " '1999-12-31 23:59:59', '1999-12-31 23:59:59', x'', x'', '\"s\"')");
    sql(intoTable("my_items", "shop.items", "items"));

    awaitMirrored("items", "shop.items");
    StatementResult described = sql("DESCRIBE items").get(0);
    assertThat(described.rows().stream().map(r -> r.get(0) + " " + r.get(1)
            + (Boolean.TRUE.equals(r.get(4)) ? " key" : "")).toList())
        .containsExactly("id integer key", "name character varying(50)", "note text",
            "price numeric(10,2)", "qty bigint", "small smallint", "tiny smallint", "ok boolean",
            "ratio double precision", "f double precision", "big numeric(20,0)", "uint bigint",
            "day date", "at timestamp without time zone", "at_tz timestamp with time zone",
            "raw bytea", "blobby bytea", "doc text");

    db.exec("INSERT INTO shop.items (id, name, price) VALUES (4, 'four', 4.00)",
        "UPDATE shop.items SET qty = qty + 1, doc = '{\"b\": null}', note = NULL WHERE id = 1",
        "UPDATE shop.items SET name = 'two!', ok = true WHERE id = 2",
        "DELETE FROM shop.items WHERE id = 3",
        "UPDATE shop.items SET id = 40 WHERE id = 4");
    awaitMirrored("items", "shop.items");
    assertThat(ordoRows(cluster, "items").stream().map(r -> r.get(0)).toList())
        .containsExactly("1", "2", "40");
    Map<String, Object> row = cluster.connector("my_items");
    assertThat(row).containsEntry("target", "table items").containsEntry("state", "streaming")
        .containsEntry("last_error", null);
    assertThat((String) row.get("applied_position")).matches("binlog\\.[0-9]+:[0-9]+");
    assertThat((String) row.get("source_position")).matches("binlog\\.[0-9]+:[0-9]+");
    assertThat((Long) row.get("lag_bytes")).isNotNegative();
  }

  /** The stream's records as parsed JSON, in shard order then offset order. */
  private static List<JsonNode> records(String stream) throws Exception {
    List<ReadResponse> read = cluster.gateway().sqlBackend().readStream(
        ReadStreamRequest.newBuilder().setStream(stream).setMaxRecords(100_000).build());
    List<JsonNode> out = new ArrayList<>();
    for (ReadResponse r : read) {
      for (ReceivedRecord rec : r.getRecordsList()) {
        out.add(JSON.readTree(rec.getRecord().getJson()));
      }
    }
    return out;
  }

  private static int countOf(String stream) {
    try {
      return records(stream).size();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Per row id, the ops of its changes in stream order (one shard holds all of a row's changes). */
  private static Map<Integer, List<String>> opsById(List<JsonNode> records) {
    Map<Integer, List<String>> out = new TreeMap<>();
    for (JsonNode r : records) {
      JsonNode row = r.get("op").asText().equals("d") ? r.get("before") : r.get("after");
      out.computeIfAbsent(row.get("id").asInt(), k -> new ArrayList<>()).add(r.get("op").asText());
    }
    return out;
  }

  @Test
  @Order(2)
  void intoStreamEachChangeOnceAcrossGatewayRestartsAndASchemaChange() throws Exception {
    db.exec("CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20) NOT NULL, qty INT)",
        "INSERT INTO shop.orders VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)");
    sql("CREATE STREAM orders_cdc (op TEXT, before JSONB, after JSONB, source JSONB, ts_ms BIGINT)"
        + " WITH (shards = 2)");
    sql("CREATE SOURCE CONNECTOR my_orders FROM MYSQL WITH (" + options(db, "shop.orders")
        + ", server_id = 4242) INTO STREAM orders_cdc");
    ConnectorTestCluster.await("the 3 snapshot rows", () -> countOf("orders_cdc") == 3);
    db.exec("INSERT INTO shop.orders VALUES (4, 'd', 4)",
        "UPDATE shop.orders SET qty = 100 WHERE id = 1",
        "DELETE FROM shop.orders WHERE id = 2");
    ConnectorTestCluster.await("the insert, update and delete", () -> countOf("orders_cdc") == 6);
    Map<Integer, List<String>> ops = opsById(records("orders_cdc"));
    assertThat(ops.get(1)).containsExactly("r", "u");
    assertThat(ops.get(2)).containsExactly("r", "d");
    assertThat(ops.get(4)).containsExactly("c");
    JsonNode update = records("orders_cdc").stream()
        .filter(r -> r.get("op").asText().equals("u")).findFirst().orElseThrow();
    assertThat(update.get("before").get("qty").asInt()).isEqualTo(1);
    assertThat(update.get("after").get("qty").asInt()).isEqualTo(100);
    assertThat(update.get("source").get("file").asText()).startsWith("binlog.");

    // A writer changes the table while the gateway goes down and comes back.
    Thread writer = new Thread(() -> {
      try {
        for (int i = 100; i < 250; i++) {
          db.exec("INSERT INTO shop.orders VALUES (" + i + ", 'w', " + i + ")",
              "UPDATE shop.orders SET qty = qty + 1 WHERE id = " + i);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    writer.start();
    ConnectorTestCluster.await("some of the writer's changes", () -> countOf("orders_cdc") > 26);
    cluster.restartGateway();
    ConnectorTestCluster.joinWriter(writer);
    int expected = 6 + 300;
    ConnectorTestCluster.await("every change of the writer",
        () -> countOf("orders_cdc") >= expected);

    // A schema change at the source, then a restart: the new gateway decodes the binary log
    // with the schema history stored in Ordo (a lost history would fail the connector).
    db.exec("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(10)",
        "INSERT INTO shop.orders VALUES (500, 'x', 5, 'n1')");
    ConnectorTestCluster.await("the row after the schema change",
        () -> countOf("orders_cdc") >= expected + 1);
    cluster.restartGateway();
    db.exec("INSERT INTO shop.orders VALUES (501, 'y', 6, 'n2')");
    ConnectorTestCluster.await("the row after the restart",
        () -> countOf("orders_cdc") >= expected + 2);
    Thread.sleep(1_000); // a duplicate would arrive with the batches just appended
    List<JsonNode> all = records("orders_cdc");
    assertThat(all).hasSize(expected + 2);
    Map<Integer, List<String>> byId = opsById(all);
    for (int i = 100; i < 250; i++) {
      assertThat(byId.get(i)).as("changes of row %d", i).containsExactly("c", "u");
    }
    assertThat(all.stream().filter(r -> r.get("after") != null && !r.get("after").isNull()
            && r.get("after").get("id").asInt() == 501).findFirst().orElseThrow()
        .get("after").get("note").asText()).isEqualTo("n2");
  }

  @Test
  @Order(3)
  void aWorkerThatCrashesAfterItsCommitsResumesAndTheTableEqualsTheSource() throws Exception {
    db.exec("CREATE TABLE shop.counters (id INT PRIMARY KEY, n INT NOT NULL, note TEXT)");
    StringBuilder rows = new StringBuilder();
    for (int i = 1; i <= 50; i++) {
      rows.append(i == 1 ? "" : ", ").append("(").append(i).append(", 0, 'start')");
    }
    db.exec("INSERT INTO shop.counters VALUES " + rows);
    sql(intoTable("my_counters", "shop.counters", "counters"));
    awaitMirrored("counters", "shop.counters");

    AtomicInteger crashes = new AtomicInteger();
    ConnectorManager flaky = cluster.crashingConnectors("my_counters", crashes);
    try {
      for (int i = 0; i < 30; i++) {
        db.exec("UPDATE shop.counters SET n = n + 100 WHERE id = " + (1 + i % 5),
            "INSERT INTO shop.counters VALUES (" + (5000 + i) + ", 0, 'crash')",
            "DELETE FROM shop.counters WHERE id = " + (10 + i));
        if (i % 10 == 9) {
          awaitMirrored("counters", "shop.counters");
        }
      }
      awaitMirrored("counters", "shop.counters");
      assertThat(crashes.get()).isPositive();
    } finally {
      managers.add(cluster.normalConnectors(flaky));
    }
  }

  @Test
  @Order(4)
  void badSourcesAndOptionsAreRefusedAtCreateAndLeaveNothing() throws Exception {
    db.exec("CREATE TABLE shop.odd (id INT PRIMARY KEY, t TIME)",
        "CREATE TABLE shop.keyless (a INT)");
    int connectors = sql("SHOW CONNECTORS").get(0).rows().size();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    cluster.assertRefused("CREATE SOURCE CONNECTOR bad FROM MYSQL WITH (host = '127.0.0.1',"
        + " port = " + closedPort + ", user = 'u', table = 'shop.items') INTO TABLE bad1",
        "08001", "cannot reach MySQL at 127.0.0.1:" + closedPort);
    cluster.assertRefused(intoTable("bad", "shop.odd", "odd"), "0A000",
        "column \"t\" of shop.odd has type time, which INTO TABLE cannot mirror");
    cluster.assertRefused(intoTable("bad", "shop.keyless", "keyless"), "08001",
        "has no primary key");
    cluster.assertRefused(intoTable("bad", "shop.nothere", "nothere"), "08001",
        "table shop.nothere does not exist");
    cluster.assertRefused("CREATE SOURCE CONNECTOR bad FROM MYSQL WITH (" + options(db,
        "shop.items") + ", slot = 'x') INTO TABLE bad2", "22023", "unknown option \"slot\"");
    cluster.assertRefused("CREATE SOURCE CONNECTOR bad FROM MYSQL WITH (" + options(db,
        "items") + ") INTO TABLE bad3", "22023", "option \"table\" must be database.table");
    cluster.assertRefused("CREATE SOURCE CONNECTOR bad FROM MYSQL WITH (" + options(db,
        "shop.items") + ", server_id = 1) INTO TABLE bad4", "08001",
        "is the source's own server_id");
    cluster.assertRefused("CREATE SOURCE CONNECTOR bad FROM MYSQL WITH (" + options(db,
        "shop.items") + ", server_id = 'x') INTO TABLE bad5", "22023",
        "option \"server_id\" must be 1..4294967295");
    db.exec("SET GLOBAL binlog_format = 'STATEMENT'");
    try {
      cluster.assertRefused(intoTable("bad", "shop.items", "bad6"), "08001",
          "binlog_format is STATEMENT; a connector needs ROW");
    } finally {
      db.exec("SET GLOBAL binlog_format = 'ROW'");
    }
    assertThat(sql("SHOW CONNECTORS").get(0).rows()).hasSize(connectors);
    for (String t : new String[] {"odd", "keyless", "nothere", "bad1", "bad2", "bad6"}) {
      assertThatThrownBy(() -> sql("SELECT * FROM " + t)).isInstanceOfSatisfying(
          SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("42P01"));
    }
  }

  @Test
  @Order(5)
  void dropRemovesTheConnectorAndItsState() throws Exception {
    var store = cluster.gateway().sqlBackend().store();
    String id = ConnectorCodec.decode(store.getLatest(ConnectorCodec.connectorKey("my_orders"))
        .orElseThrow()).connectorId();
    assertThat(store.getLatest(ConnectorCodec.historyKey(id))).as("the schema history in Ordo")
        .hasValueSatisfying(v -> assertThat(v.getBytes().toStringUtf8()).contains("orders"));
    sql("DROP CONNECTOR my_orders");
    ConnectorTestCluster.await("the history key deleted",
        () -> store.getLatest(ConnectorCodec.historyKey(id)).isEmpty()
            && store.getLatest(ConnectorCodec.offsetKey(id)).isEmpty());
    assertThat(sql("SHOW CONNECTORS").get(0).rows().stream().map(r -> r.get(0)).toList())
        .doesNotContain("my_orders");
  }

  /**
   * Throughput and latency of INTO TABLE, run only with {@code -Dordo.bench=true} (figures for
   * the README, printed; no timed assertion): 20,000 inserts committed in one MariaDB
   * transaction until all are in the Ordo table, then 20 single-row inserts each until visible.
   */
  @Test
  @Order(6)
  void benchmarkIntoTable() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("ordo.bench"), "-Dordo.bench=true runs it");
    db.exec("CREATE TABLE shop.bench (id INT PRIMARY KEY, v VARCHAR(20), n INT)",
        "INSERT INTO shop.bench VALUES (-1, 'seed', 0)");
    sql(intoTable("my_bench", "shop.bench", "bench"));
    awaitMirrored("bench", "shop.bench"); // the snapshot (one row) is in: streaming
    long committed;
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (int b = 0; b < 20; b++) {
        StringBuilder q = new StringBuilder("INSERT INTO shop.bench VALUES ");
        for (int i = 0; i < 1000; i++) {
          int id = b * 1000 + i;
          q.append(i == 0 ? "" : ", ").append("(").append(id).append(", 'v").append(id)
              .append("', ").append(id).append(")");
        }
        s.execute(q.toString());
      }
      c.commit();
      committed = System.nanoTime();
    }
    ConnectorTestCluster.await("20,000 rows", () -> {
      try {
        return ((Number) sql("SELECT count(*) FROM bench").get(0).rows().get(0).get(0))
            .longValue() == 20_001;
      } catch (SqlException e) {
        return false;
      }
    });
    double seconds = (System.nanoTime() - committed) / 1e9;
    System.out.printf("BENCH INTO TABLE: 20000 inserts in one transaction: %.1f s after the"
        + " commit, %.0f changes/s%n", seconds, 20_000 / seconds);
    List<Long> latencies = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int id = 100_000 + i;
      db.exec("INSERT INTO shop.bench VALUES (" + id + ", 'l', 0)");
      long t0 = System.nanoTime();
      while (sql("SELECT id FROM bench WHERE id = " + id).get(0).rows().isEmpty()) {
        Thread.sleep(5);
      }
      latencies.add((System.nanoTime() - t0) / 1_000_000);
    }
    latencies.sort(null);
    System.out.printf("BENCH INTO TABLE latency (insert committed -> row in Ordo): median %d ms,"
        + " max %d ms (20 inserts)%n", latencies.get(10), latencies.get(19));
    assertThat(latencies).hasSize(20);
  }
}
