package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.gateway.GatewayConfig;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.sql.SqlException;
import io.ordo.sql.StatementResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
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
 * {@code CREATE SOURCE CONNECTOR ... FROM POSTGRESQL ... INTO STREAM} end to end: a PostgreSQL
 * the test owns ({@link TestPostgres}, {@code wal_level=logical}), a broker, the executor job on
 * a MiniCluster and a gateway. The snapshot arrives, then inserts, updates and deletes in order;
 * the gateway is restarted while a writer changes the table, and every change is in the stream
 * exactly once; PAUSE / RESUME; DROP frees the replication slot; bad definitions are refused
 * with their reason and leave no catalog entry. Skipped (with the reason) where initdb and
 * pg_ctl are not installed.
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresConnectorIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long WAIT_MS = ConnectorTestCluster.WAIT_MS;

  @TempDir static Path dir;
  static ConnectorTestCluster cluster;
  static TestPostgres pg;
  static final List<ConnectorManager> managers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = ConnectorTestCluster.start(dir, "pgsource");
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

  private static String createConnector(String name, String stream, String extraOptions) {
    return "CREATE SOURCE CONNECTOR " + name + " FROM POSTGRESQL WITH (host = '127.0.0.1', port = "
        + pg.port() + ", database = 'postgres', user = 'postgres'" + extraOptions
        + ") INTO STREAM " + stream;
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

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    ConnectorTestCluster.await(what, condition);
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
  @Order(1)
  void snapshotThenChangesArriveInOrderAndEachOnceAcrossAGatewayRestart() throws Exception {
    pg.exec(
        "CREATE TABLE public.orders (id INT PRIMARY KEY, item TEXT NOT NULL, qty INT NOT NULL)",
        // The whole old row in "before" of updates and deletes (by default only the key).
        "ALTER TABLE public.orders REPLICA IDENTITY FULL",
        "INSERT INTO public.orders SELECT g, 'item-' || g, g FROM generate_series(1, 5) g");
    sql("CREATE STREAM orders_cdc (op TEXT, before JSONB, after JSONB, source JSONB, ts_ms BIGINT)"
        + " WITH (shards = 2)");
    sql(createConnector("pg_orders", "orders_cdc", ", table = 'public.orders'"));

    await("the 5 snapshot rows", () -> countOf("orders_cdc") == 5);
    assertThat(records("orders_cdc")).allSatisfy(r -> assertThat(r.get("op").asText()).isEqualTo("r"));

    pg.exec(
        "INSERT INTO public.orders VALUES (6, 'item-6', 6)",
        "UPDATE public.orders SET qty = 100 WHERE id = 1",
        "DELETE FROM public.orders WHERE id = 2");
    await("the insert, update and delete", () -> countOf("orders_cdc") == 8);
    Map<Integer, List<String>> ops = opsById(records("orders_cdc"));
    assertThat(ops.get(1)).containsExactly("r", "u");
    assertThat(ops.get(2)).containsExactly("r", "d");
    assertThat(ops.get(6)).containsExactly("c");
    JsonNode update = records("orders_cdc").stream()
        .filter(r -> r.get("op").asText().equals("u")).findFirst().orElseThrow();
    assertThat(update.get("before").get("qty").asInt()).isEqualTo(1);
    assertThat(update.get("after").get("qty").asInt()).isEqualTo(100);
    assertThat(update.get("source").get("lsn").asLong()).isPositive();

    // A writer changes the table while the gateway goes down and comes back (the worker is
    // stopped wherever it is; what it appended and the offset that covers it commit together).
    Thread writer = new Thread(() -> {
      try {
        for (int i = 100; i < 300; i++) {
          pg.exec("INSERT INTO public.orders VALUES (" + i + ", 'w', " + i + ")",
              "UPDATE public.orders SET qty = qty + 1 WHERE id = " + i);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    writer.start();
    await("some of the writer's changes", () -> countOf("orders_cdc") > 8 + 20);
    cluster.restartGateway();
    ConnectorTestCluster.joinWriter(writer);
    int expected = 8 + 400;
    await("every change of the writer", () -> countOf("orders_cdc") >= expected);
    Thread.sleep(1_000); // a duplicate would arrive with the batches just appended
    List<JsonNode> all = records("orders_cdc");
    assertThat(all).hasSize(expected);
    Map<Integer, List<String>> byId = opsById(all);
    for (int i = 100; i < 300; i++) {
      assertThat(byId.get(i)).as("changes of row %d", i).containsExactly("c", "u");
    }
    // SHOW CONNECTORS: state, where it runs, how far it is. The restarted gateway's worker may
    // have nothing left to append (the old one got every change): it shows streaming once
    // Debezium's task runs.
    await("the restarted worker to stream", () -> {
      try {
        return "streaming".equals(row(sql("SHOW CONNECTORS").get(0), 0).get("state"));
      } catch (SqlException e) {
        throw new IllegalStateException(e);
      }
    });
    StatementResult show = sql("SHOW CONNECTORS").get(0);
    assertThat(show.rows()).hasSize(1);
    Map<String, Object> row = row(show, 0);
    assertThat(row.get("name")).isEqualTo("pg_orders");
    assertThat(row.get("state")).isEqualTo("streaming");
    assertThat((String) row.get("applied_position")).matches("[0-9A-F]+/[0-9A-F]+");
    assertThat((Long) row.get("lag_bytes")).isNotNegative();
  }

  private static Map<String, Object> row(StatementResult r, int i) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int c = 0; c < r.columns().size(); c++) {
      out.put(r.columns().get(c).name(), r.rows().get(i).get(c));
    }
    return out;
  }

  @Test
  @Order(2)
  void aWorkerThatCrashesAfterACommitResumesFromTheStoredOffsetWithoutDuplicates()
      throws Exception {
    // The gateway's own manager steps aside for one whose log fails the first and every third
    // batch right after its transaction committed, before Debezium hears of it: the worker dies in the
    // window where the source still thinks those changes are unconfirmed.
    cluster.gateway().sqlBackend().closeConnectors();
    AtomicInteger batches = new AtomicInteger();
    AtomicInteger crashes = new AtomicInteger();
    ConnectorWorker.Log crashing = (txn, waitMs) -> {
      CompletableFuture<TxnResult> result = cluster.gateway().sqlBackend().execute(txn, waitMs);
      // The first batch and then every third: at least one crash however Debezium batches.
      if (!txn.getId().startsWith("connector-pg_orders-")
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
    int before = countOf("orders_cdc");
    for (int i = 3000; i < 3060; i++) {
      pg.exec("INSERT INTO public.orders VALUES (" + i + ", 'crash', " + i + ")");
      if (i % 20 == 19) {
        int done = i - 3000 + 1;
        await("inserts so far", () -> countOf("orders_cdc") >= before + done);
      }
    }
    await("the 60 inserts", () -> countOf("orders_cdc") >= before + 60);
    Thread.sleep(1_000); // a duplicate would arrive with the batches just appended
    assertThat(crashes.get()).isPositive();
    List<JsonNode> all = records("orders_cdc");
    assertThat(all).hasSize(before + 60);
    Map<Integer, List<String>> byId = opsById(all);
    for (int i = 3000; i < 3060; i++) {
      assertThat(byId.get(i)).as("changes of row %d", i).containsExactly("c");
    }
    // Back to a manager with the gateway's log.
    flaky.close();
    ConnectorManager normal = new ConnectorManager(
        cluster.gateway().sqlBackend().store(), cluster.gateway().sqlBackend()::execute,
        GatewayConfig.defaults("unused:1", cluster.topics()).limits().txnBytesMax(), 300,
        System::currentTimeMillis);
    cluster.gateway().sqlBackend().attachConnectors(normal);
    normal.start();
    managers.add(normal);
  }

  @Test
  @Order(3)
  void pausedConnectorsAppendNothingUntilResumed() throws Exception {
    int before = countOf("orders_cdc");
    sql("PAUSE CONNECTOR pg_orders");
    assertThat(row(sql("SHOW CONNECTORS").get(0), 0)).containsEntry("state", "paused")
        .containsEntry("owner", null);
    await("the slot released by the paused connector",
        () -> {
          try {
            return pg.count("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ordo_pg_orders'"
                + " AND NOT active") == 1;
          } catch (Exception e) {
            return false;
          }
        });
    pg.exec("INSERT INTO public.orders VALUES (1000, 'paused', 1)");
    Thread.sleep(2_000);
    assertThat(countOf("orders_cdc")).isEqualTo(before);
    sql("RESUME CONNECTOR pg_orders");
    await("the change made while paused", () -> countOf("orders_cdc") == before + 1);
    assertThat(opsById(records("orders_cdc")).get(1000)).containsExactly("c");
  }

  @Test
  @Order(4)
  void dropStopsTheConnectorAndDropsItsSlot() throws Exception {
    assertThat(pg.count("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ordo_pg_orders'"))
        .isEqualTo(1);
    sql("DROP CONNECTOR pg_orders");
    assertThat(pg.count("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ordo_pg_orders'"))
        .isZero();
    assertThat(pg.count("SELECT count(*) FROM pg_publication WHERE pubname = 'ordo_pg_orders'")).isZero();
    assertThat(sql("SHOW CONNECTORS").get(0).rows()).isEmpty();
    int before = countOf("orders_cdc");
    pg.exec("INSERT INTO public.orders VALUES (2000, 'dropped', 1)");
    Thread.sleep(1_000);
    assertThat(countOf("orders_cdc")).isEqualTo(before);
    sql("DROP CONNECTOR IF EXISTS pg_orders");
    assertThatThrownBy(() -> sql("DROP CONNECTOR pg_orders"))
        .isInstanceOfSatisfying(SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("42704"));
  }

  @Test
  @Order(5)
  void badDefinitionsAreRefusedWithTheReasonAndLeaveNothing() throws Exception {
    pg.exec("CREATE TABLE public.nokey (a INT)");
    assertRefused(createConnector("bad", "orders_cdc", ", table = 'public.orders', colour = 'red'"),
        "22023", "unknown option \"colour\"");
    assertRefused(createConnector("bad", "orders_cdc", ""), "22023", "needs the option \"table\"");
    assertRefused(createConnector("bad", "orders_cdc", ", table = 'public.missing'"),
        "08001", "table public.missing does not exist");
    assertRefused(createConnector("bad", "orders_cdc", ", table = 'public.nokey'"),
        "08001", "has no primary key");
    assertRefused(createConnector("bad", "no_such_stream", ", table = 'public.orders'"),
        "42P01", "stream \"no_such_stream\" does not exist");
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    assertRefused(createConnector("bad", "orders_cdc", ", table = 'public.orders'")
            .replace("port = " + pg.port(), "port = " + closedPort),
        "08001", "cannot reach PostgreSQL at 127.0.0.1:" + closedPort);
    assertRefused("CREATE SOURCE CONNECTOR bad FROM ORACLE WITH (host = 'x') INTO STREAM orders_cdc",
        "0A000", "unknown source connector type");
    assertRefused(createConnector("bad", "orders_cdc", ", table = 'public.orders'")
            .replace("INTO STREAM", "INTO TABLE"),
        "42P07", "\"orders_cdc\" is a stream");
    assertThat(sql("SHOW CONNECTORS").get(0).rows()).isEmpty();
    assertThat(sql("SELECT 1").get(0).rows()).containsExactly(List.of(1));
  }

  @Test
  @Order(6)
  void aSourceThatGoesAwayShowsInTheConnectorsStateAndNothingElseStops() throws Exception {
    sql("CREATE STREAM orders_again (op TEXT, before JSONB, after JSONB, source JSONB, ts_ms BIGINT)");
    sql(createConnector("pg_again", "orders_again", ", table = 'public.orders'"));
    long rows = pg.count("SELECT count(*) FROM public.orders");
    await("the snapshot of the second connector", () -> countOf("orders_again") == rows);
    pg.stop();
    await("the connector to report the lost source", () -> {
      try {
        Map<String, Object> row = row(sql("SHOW CONNECTORS").get(0), 0);
        // The worker's own report, not SHOW's failed probe of the source.
        return row.get("last_error") instanceof String error
            && !error.startsWith("cannot ask the source") && row.get("source_position") == null;
      } catch (SqlException e) {
        return false;
      }
    });
    Map<String, Object> row = row(sql("SHOW CONNECTORS").get(0), 0);
    assertThat(row.get("state")).isIn("failed", "starting");
    assertThat((String) row.get("last_error")).isNotBlank().doesNotStartWith("cannot ask the source");
    // The rest of the server is unaffected.
    assertThat(sql("SELECT count(*) FROM orders_again").get(0).rows().get(0).get(0))
        .isEqualTo(rows);
  }

  private static void assertRefused(String statement, String sqlState, String reason) {
    cluster.assertRefused(statement, sqlState, reason);
  }
}
