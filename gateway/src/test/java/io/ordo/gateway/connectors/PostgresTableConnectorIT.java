package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.gateway.GatewayConfig;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import io.ordo.sql.SqlException;
import io.ordo.sql.StatementResult;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code CREATE SOURCE CONNECTOR ... FROM POSTGRESQL ... INTO TABLE} end to end against a
 * PostgreSQL the test owns ({@link TestPostgres}): the Ordo table is made from the source's
 * columns and primary key, holds the snapshot, then follows inserts, updates, primary key changes
 * and deletes; after a gateway restart under a writer and a worker that dies right after its
 * commits, the Ordo table equals the source table; unsupported types, a missing primary key and
 * a mismatching existing table are refused at CREATE; a schema change at the source shows in
 * SHOW CONNECTORS while everything else keeps working. Skipped where initdb and pg_ctl are not
 * installed.
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresTableConnectorIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long WAIT_MS = ConnectorTestCluster.WAIT_MS;

  @TempDir static Path dir;
  static ConnectorTestCluster cluster;
  static TestPostgres pg;
  static final List<ConnectorManager> managers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = ConnectorTestCluster.start(dir, "pgtable");
    pg = cluster.pg;
  }

  @AfterAll
  static void stop() throws Exception {
    managers.forEach(ConnectorManager::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<StatementResult> sql(String text) throws SqlException {
    return cluster.sql(text);
  }

  private static String createConnector(String name, String sourceTable, String target) {
    return "CREATE SOURCE CONNECTOR " + name + " FROM POSTGRESQL WITH (host = '127.0.0.1', port = "
        + pg.port() + ", database = 'postgres', user = 'postgres', table = '" + sourceTable
        + "') INTO TABLE " + target;
  }

  /**
   * One value in a form both sides agree on: numbers and text as text, decimals without trailing
   * zeros, timestamps with time zone as instants, JSON re-serialized, bytes in hex.
   */
  private static String norm(Object v) {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof byte[] b) {
      return HexFormat.of().formatHex(b);
    }
    if (v instanceof BigDecimal d) {
      return d.stripTrailingZeros().toPlainString();
    }
    // Ordo's SQL keeps timestamps to the millisecond.
    if (v instanceof OffsetDateTime t) {
      return t.toInstant().truncatedTo(ChronoUnit.MILLIS).toString();
    }
    if (v instanceof java.sql.Timestamp t) {
      return t.toLocalDateTime().truncatedTo(ChronoUnit.MILLIS).toString();
    }
    if (v instanceof java.sql.Date d) {
      return d.toLocalDate().toString();
    }
    if (v instanceof org.postgresql.util.PGobject o) {
      return norm(o.getValue());
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
  private static List<List<String>> ordoRows(String table) throws SqlException {
    List<List<String>> out = new ArrayList<>();
    for (List<Object> row : sql("SELECT * FROM " + table + " ORDER BY 1").get(0).rows()) {
      out.add(row.stream().map(PostgresTableConnectorIT::norm).toList());
    }
    return out;
  }

  /** The source table's rows, ordered by its first column, each value {@link #norm}alized. */
  private static List<List<String>> sourceRows(String table) throws Exception {
    List<List<String>> out = new ArrayList<>();
    try (Connection c = pg.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          Object v = md.getColumnTypeName(i).equals("timestamptz")
              ? rs.getObject(i, OffsetDateTime.class) : rs.getObject(i);
          row.add(norm(v));
        }
        out.add(row);
      }
    }
    return out;
  }

  /** Waits until the Ordo table equals the source table, then checks it once more. */
  private static void awaitMirrored(String ordoTable, String sourceTable) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      List<List<String>> source = sourceRows(sourceTable);
      List<List<String>> ordo;
      try {
        ordo = ordoRows(ordoTable);
      } catch (SqlException e) {
        ordo = List.of(List.of(e.getMessage()));
      }
      if (ordo.equals(source)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        assertThat(ordo).as("table %s mirroring %s", ordoTable, sourceTable)
            .containsExactlyElementsOf(source);
      }
      Thread.sleep(100);
    }
  }

  private static Map<String, Object> connector(String name) throws SqlException {
    return cluster.connector(name);
  }

  @Test
  @Order(1)
  void theTableIsMadeFromTheSourceAndFollowsEveryKindOfChange() throws Exception {
    pg.exec(
        "CREATE TABLE public.items (id INT PRIMARY KEY, name TEXT NOT NULL, code VARCHAR(20),"
            + " price NUMERIC(10, 2), qty BIGINT, small SMALLINT, ok BOOLEAN, ratio DOUBLE"
            + " PRECISION, day DATE, at TIMESTAMP, at_tz TIMESTAMPTZ, doc JSONB, raw BYTEA)",
        "INSERT INTO public.items VALUES"
            + " (1, 'one', 'A-1', 10.50, 100, 1, true, 0.5, '2026-01-02', '2026-01-02 03:04:05.123456',"
            + " '2026-01-02 03:04:05.5+02', '{\"a\": [1, 2]}', '\\x00ff10'),"
            + " (2, 'two', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
            + " (3, 'three', 'C', -0.01, -5, -2, false, -1e300, '1999-12-31', '1999-12-31 23:59:59',"
            + " '1999-12-31 23:59:59Z', '\"s\"', '')");
    sql(createConnector("pg_items", "public.items", "items"));

    awaitMirrored("items", "public.items");
    StatementResult described = sql("DESCRIBE items").get(0);
    assertThat(described.rows().stream().map(r -> r.get(0) + " " + r.get(1)
            + (Boolean.TRUE.equals(r.get(4)) ? " key" : "")).toList())
        .containsExactly("id integer key", "name text", "code character varying(20)",
            "price numeric(10,2)", "qty bigint", "small smallint", "ok boolean",
            "ratio double precision", "day date", "at timestamp without time zone",
            "at_tz timestamp with time zone", "doc jsonb", "raw bytea");
    assertThat(ordoRows("items")).hasSize(3);

    pg.exec(
        "INSERT INTO public.items (id, name, price) VALUES (4, 'four', 4.00)",
        "UPDATE public.items SET qty = qty + 1, doc = '{\"b\": null}', code = NULL WHERE id = 1",
        "UPDATE public.items SET name = 'two!', ok = true WHERE id = 2",
        "DELETE FROM public.items WHERE id = 3",
        // A primary key change: Debezium sends a delete of the old key and a create of the new.
        "UPDATE public.items SET id = 40 WHERE id = 4");
    awaitMirrored("items", "public.items");
    assertThat(ordoRows("items").stream().map(r -> r.get(0)).toList())
        .containsExactly("1", "2", "40");
    assertThat(connector("pg_items")).containsEntry("target", "table items")
        .containsEntry("state", "streaming").containsEntry("last_error", null);
  }

  @Test
  @Order(2)
  void afterAGatewayRestartAndWorkerCrashesTheTableEqualsTheSource() throws Exception {
    pg.exec("CREATE TABLE public.counters (id INT PRIMARY KEY, n INT NOT NULL, note TEXT)",
        "INSERT INTO public.counters SELECT g, 0, 'start' FROM generate_series(1, 50) g");
    sql(createConnector("pg_counters", "public.counters", "counters"));
    awaitMirrored("counters", "public.counters");

    // A writer changes the table while the gateway goes down and comes back.
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 150; i++) {
          pg.exec("UPDATE public.counters SET n = n + 1, note = 'w" + i + "' WHERE id = "
                  + (1 + i % 50),
              "INSERT INTO public.counters VALUES (" + (1000 + i) + ", " + i + ", 'new')",
              i % 3 == 0 ? "DELETE FROM public.counters WHERE id = " + (1000 + i - 3) : "SELECT 1");
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    writer.start();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (ordoRows("counters").size() < 60 && System.nanoTime() < deadline) {
      Thread.sleep(50); // some of the writer's inserts are in, more are coming
    }
    cluster.restartGateway();
    writer.join(WAIT_MS);
    awaitMirrored("counters", "public.counters");

    // A worker that dies right after its transaction committed, before Debezium hears of it (the
    // first batch and every third): the next worker resumes from the stored offset.
    cluster.gateway().sqlBackend().closeConnectors();
    AtomicInteger batches = new AtomicInteger();
    AtomicInteger crashes = new AtomicInteger();
    ConnectorWorker.Log crashing = (txn, waitMs) -> {
      CompletableFuture<TxnResult> result = cluster.gateway().sqlBackend().execute(txn, waitMs);
      if (!txn.getId().startsWith("connector-pg_counters-")
          || batches.incrementAndGet() % 3 != 1) {
        return result;
      }
      return result.thenApply(r -> {
        if (r.getOutcome() == Outcome.COMMITTED) {
          crashes.incrementAndGet();
          throw new ConnectorWorker.Stopped("injected crash after a commit");
        }
        return r;
      });
    };
    ConnectorManager flaky = new ConnectorManager(
        cluster.gateway().sqlBackend().store(), crashing,
        GatewayConfig.defaults("unused:1", cluster.topics()).limits().txnBytesMax(), 300,
        System::currentTimeMillis);
    cluster.gateway().sqlBackend().attachConnectors(flaky);
    flaky.start();
    try {
      for (int i = 0; i < 30; i++) {
        pg.exec("UPDATE public.counters SET n = n + 100 WHERE id = " + (1 + i % 5),
            "INSERT INTO public.counters VALUES (" + (5000 + i) + ", 0, 'crash')");
        if (i % 10 == 9) {
          awaitMirrored("counters", "public.counters");
        }
      }
      awaitMirrored("counters", "public.counters");
      assertThat(crashes.get()).isPositive();
    } finally {
      flaky.close();
      ConnectorManager normal = new ConnectorManager(
          cluster.gateway().sqlBackend().store(), cluster.gateway().sqlBackend()::execute,
          GatewayConfig.defaults("unused:1", cluster.topics()).limits().txnBytesMax(), 300,
          System::currentTimeMillis);
      cluster.gateway().sqlBackend().attachConnectors(normal);
      normal.start();
      managers.add(normal);
    }
  }

  @Test
  @Order(3)
  void badSourcesAndMismatchingTablesAreRefusedAtCreateAndLeaveNothing() throws Exception {
    pg.exec("CREATE TABLE public.odd (id INT PRIMARY KEY, u UUID)",
        "CREATE TABLE public.keyless (a INT)");
    sql("CREATE TABLE clash (id INT PRIMARY KEY, name TEXT)");
    sql("CREATE STREAM a_stream (v TEXT)");
    assertRefused(createConnector("bad", "public.odd", "odd"), "0A000",
        "column \"u\" of public.odd has type uuid, which INTO TABLE cannot mirror");
    assertRefused(createConnector("bad", "public.keyless", "keyless"), "08001",
        "has no primary key");
    assertRefused(createConnector("bad", "public.items", "clash"), "42804",
        "table \"clash\" exists and does not match the source public.items: its columns are"
            + " [id, name]");
    assertRefused(createConnector("bad", "public.items", "a_stream"), "42P07",
        "\"a_stream\" is a stream");
    assertThat(sql("SHOW CONNECTORS").get(0).rows()).hasSize(2);
    assertThatThrownBy(() -> sql("SELECT * FROM odd"))
        .isInstanceOfSatisfying(SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("42P01"));
  }

  @Test
  @Order(4)
  void anExistingMatchingTableIsFilledAndASchemaChangeShowsInTheConnectorsState()
      throws Exception {
    pg.exec("CREATE TABLE public.pre (id BIGINT PRIMARY KEY, v TEXT)",
        "INSERT INTO public.pre VALUES (1, 'a'), (2, 'b')");
    sql("CREATE TABLE pre (id BIGINT PRIMARY KEY, v TEXT)");
    sql(createConnector("pg_pre", "public.pre", "pre"));
    awaitMirrored("pre", "public.pre");

    pg.exec("ALTER TABLE public.pre ADD COLUMN extra INT",
        "INSERT INTO public.pre VALUES (3, 'c', 7)");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (!(connector("pg_pre").get("last_error") instanceof String s && s.contains("extra"))) {
      assertThat(System.nanoTime()).as("the schema change reported").isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat((String) connector("pg_pre").get("last_error"))
        .contains("has columns [extra] that table \"pre\" lacks");
    assertThat(ordoRows("pre")).hasSize(2);
    // Nothing else stops: the other connectors follow their tables, SQL answers.
    pg.exec("INSERT INTO public.items (id, name) VALUES (77, 'still')");
    awaitMirrored("items", "public.items");
    assertThat(sql("SELECT count(*) FROM counters").get(0).rows()).hasSize(1);
  }

  /**
   * Debezium takes an interrupted initial snapshot again from the start and streams only what
   * changed after the new one. A worker that dies after committing part of the first snapshot,
   * while the source deletes rows that part copied: the next worker deletes the interrupted
   * snapshot's rows before the new snapshot's first batch, so the table ends equal to the source
   * (before, the deleted rows stayed in it for good).
   */
  @Test
  @Order(5)
  void aSnapshotTakenAgainAfterACrashLeavesNoRowTheSourceDeletedInBetween() throws Exception {
    pg.exec("CREATE TABLE public.resnap (id INT PRIMARY KEY, v TEXT NOT NULL)",
        "INSERT INTO public.resnap SELECT g, 'row ' || g FROM generate_series(1, 5000) g");
    AtomicInteger crashes = new AtomicInteger();
    List<String> deletedAtSource = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.ExecutorService sideEffects =
        java.util.concurrent.Executors.newSingleThreadExecutor();
    ConnectorWorker.Log crashing = (txn, waitMs) -> {
      CompletableFuture<TxnResult> result = cluster.gateway().sqlBackend().execute(txn, waitMs);
      // The first data batch of the snapshot (many puts), once committed: before the worker
      // hears of it, the source deletes rows that batch copied; then the worker dies.
      if (!txn.getId().startsWith("connector-pg_resnap-") || txn.getOpsCount() < 50
          || crashes.get() > 0) {
        return result;
      }
      return result.thenApplyAsync(r -> {
        if (r.getOutcome() != Outcome.COMMITTED || crashes.getAndIncrement() > 0) {
          return r;
        }
        try {
          for (List<Object> row : sql("SELECT id FROM resnap WHERE id % 10 = 0 ORDER BY id")
              .get(0).rows()) {
            deletedAtSource.add(String.valueOf(row.get(0)));
          }
          if (!deletedAtSource.isEmpty()) {
            pg.exec("DELETE FROM public.resnap WHERE id IN ("
                + String.join(", ", deletedAtSource) + ")");
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        throw new ConnectorWorker.Stopped("injected crash during the snapshot");
      }, sideEffects);
    };
    ConnectorManager flaky = cluster.connectorsWith(crashing);
    try {
      sql(createConnector("pg_resnap", "public.resnap", "resnap"));
      awaitMirrored("resnap", "public.resnap");
      assertThat(crashes.get()).as("crashes injected during the snapshot").isEqualTo(1);
      // The scenario happened: rows the interrupted snapshot had copied were deleted at the
      // source while no worker ran.
      assertThat(deletedAtSource).hasSizeGreaterThan(10);
      assertThat(ordoRows("resnap")).hasSize(5000 - deletedAtSource.size());
      pg.exec("INSERT INTO public.resnap VALUES (9001, 'after')",
          "DELETE FROM public.resnap WHERE id = 1");
      awaitMirrored("resnap", "public.resnap");
    } finally {
      sideEffects.shutdownNow();
      managers.add(cluster.normalConnectors(flaky));
    }
  }

  private static void assertRefused(String statement, String sqlState, String reason) {
    cluster.assertRefused(statement, sqlState, reason);
  }
}
