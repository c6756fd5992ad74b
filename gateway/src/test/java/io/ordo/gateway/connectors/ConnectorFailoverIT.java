package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.gateway.GatewayConfig;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.encoding.ConnectorCodec;
import io.ordo.storage.MultiVersionStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source connector moves to another gateway when the gateway running it is killed: gateway B
 * runs in a process of its own ({@link ChildGateway}) and takes the connector (the test's
 * in-process gateway A runs none at first); A then runs connectors again and, B answering at the
 * address in its lease, leaves it alone; B gets SIGKILL under a writer (no shutdown: its lease
 * stays, unexpired), A finds nothing answering at B's address and takes the connector over before
 * B's lease could expire; the Ordo table ends equal to the source table, and a sink connector
 * killed with B and taken over the same way ends with its target equal to the Ordo table, no row
 * version applied twice. Skipped where initdb and pg_ctl are not installed.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ConnectorFailoverIT {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorFailoverIT.class);
  /** A's rounds, ms: short, so the takeover shows within a second of the kill. */
  private static final long ROUND_MS = 300;

  @TempDir static Path dir;
  static ConnectorTestCluster cluster;
  static final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = ConnectorTestCluster.start(dir, "failover");
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aConnectorWhoseGatewayIsKilledMovesToAnotherGatewayAtOnceAndLosesNothing() throws Exception {
    TestPostgres pg = cluster.pg;
    pg.exec("CREATE TABLE public.moving (id INT PRIMARY KEY, n INT NOT NULL)",
        "INSERT INTO public.moving SELECT g, 0 FROM generate_series(1, 100) g");
    // A runs no connectors until B has this one.
    cluster.gateway().sqlBackend().closeConnectors();
    ChildGateway b = ChildGateway.start(cluster, dir, "gateway-b");
    closing.add(b);
    cluster.sql("CREATE SOURCE CONNECTOR moving FROM POSTGRESQL WITH (host = '127.0.0.1', port = "
        + pg.port() + ", database = 'postgres', user = 'postgres', table = 'public.moving')"
        + " INTO TABLE moving");
    ConnectorTestCluster.await("gateway B (" + b.address() + ") runs the source",
        () -> owner("moving").contains(b.address()) && "streaming".equals(state("moving")));
    awaitMirrored();
    // A sink of the mirrored table into a second PostgreSQL table, whose trigger logs every row
    // the sink applies.
    pg.exec("CREATE TABLE public.moving_copy (id INT PRIMARY KEY, n INT NOT NULL)",
        "CREATE TABLE public.moving_applied (seq BIGSERIAL PRIMARY KEY, op TEXT, id INT, n INT)",
        "CREATE FUNCTION public.log_moving() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF TG_OP <> 'DELETE' THEN INSERT INTO public.moving_applied (op, id, n)"
            + " VALUES (TG_OP, NEW.id, NEW.n); END IF; RETURN NULL; END $$",
        "CREATE TRIGGER moving_logged AFTER INSERT OR UPDATE ON public.moving_copy"
            + " FOR EACH ROW EXECUTE FUNCTION public.log_moving()");
    cluster.sql("CREATE SINK CONNECTOR moving_out TO POSTGRESQL WITH (host = '127.0.0.1', port = "
        + pg.port() + ", database = 'postgres', user = 'postgres', table = 'public.moving_copy')"
        + " FROM TABLE moving");
    ConnectorTestCluster.await("gateway B runs the sink",
        () -> owner("moving_out").contains(b.address()));
    awaitCopied();

    // A runs connectors again: B answers at its address, so A leaves the lease alone.
    ConnectorManager a = new ConnectorManager(
        cluster.gateway().sqlBackend().store(), cluster.gateway().sqlBackend()::execute,
        GatewayConfig.defaults("unused:1", cluster.topics()).limits().txnBytesMax(), ROUND_MS,
        System::currentTimeMillis);
    a.advertise("127.0.0.1:" + cluster.gateway().grpcPort());
    a.attachSql(cluster.gateway().sqlEngine());
    cluster.gateway().sqlBackend().attachConnectors(a);
    a.start();
    closing.add(a);
    Thread.sleep(5 * ROUND_MS);
    assertThat(owner("moving")).as("the source's owner while B lives").contains(b.address());
    assertThat(owner("moving_out")).as("the sink's owner while B lives").contains(b.address());

    AtomicReference<Exception> writerFailure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 300; i++) {
          pg.exec("UPDATE public.moving SET n = n + 1 WHERE id = " + (1 + i % 100),
              "INSERT INTO public.moving VALUES (" + (1000 + i) + ", " + i + ")",
              i % 4 == 0 && i > 0 ? "DELETE FROM public.moving WHERE id = " + (1000 + i - 4) : "SELECT 1");
        }
      } catch (Exception e) {
        writerFailure.set(e);
      }
    }, "source-writer");
    writer.start();
    ConnectorTestCluster.await("some of the writer's rows in Ordo", () -> ordoRowsQuietly() > 120);
    MultiVersionStore store = cluster.gateway().sqlBackend().store();
    String leaseKey = ConnectorCodec.leaseKey(ConnectorCodec.decode(
        store.getLatest(ConnectorCodec.connectorKey("moving")).orElseThrow()).connectorId());
    long leaseExpiresMs = lease(store, leaseKey).expiresMs();
    b.kill9();
    long killedAtMs = System.currentTimeMillis();
    ConnectorTestCluster.await("gateway A takes the source over",
        () -> owner("moving").contains("127.0.0.1:" + cluster.gateway().grpcPort()));
    long takenAtMs = System.currentTimeMillis();
    LOG.info("gateway A took the connector over {} ms after B's SIGKILL; B's lease had {} ms left",
        takenAtMs - killedAtMs, leaseExpiresMs - takenAtMs);
    ConnectorLease taken = lease(store, leaseKey);
    assertThat(taken.address()).isEqualTo("127.0.0.1:" + cluster.gateway().grpcPort());
    assertThat(takenAtMs)
        .as("taken over before B's lease (written by B, %s) expired: B was found gone, not waited for",
            lease(store, leaseKey))
        .isLessThan(leaseExpiresMs);

    ConnectorTestCluster.joinWriter(writer);
    assertThat(writerFailure.get()).isNull();
    awaitMirrored();
    ConnectorTestCluster.await("the source streams on A", () -> "streaming".equals(state("moving")));
    ConnectorTestCluster.await("gateway A takes the sink over",
        () -> owner("moving_out").contains("127.0.0.1:" + cluster.gateway().grpcPort()));
    awaitCopied();
    // Every version of a row has its own n (updates add 1; inserted ids are never reused), so a
    // change the sink applied twice, for example a batch B had written when it was killed and A
    // wrote again, would show as a repeated (id, n).
    try (Connection c = pg.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, n, count(*) FROM public.moving_applied"
            + " GROUP BY id, n HAVING count(*) > 1 ORDER BY id, n")) {
      List<String> twice = new ArrayList<>();
      while (rs.next()) {
        twice.add(rs.getInt(1) + "=" + rs.getInt(2) + " x" + rs.getLong(3));
      }
      assertThat(twice).as("row versions the sink applied more than once").isEmpty();
    }
  }

  private static ConnectorLease lease(MultiVersionStore store, String key) {
    Optional<Value> v = store.getLatest(key);
    return v.flatMap(ConnectorLease::decode).orElseThrow(() -> new AssertionError("no lease at " + key));
  }

  private static String owner(String connector) {
    try {
      Object o = cluster.connector(connector).get("owner");
      return o == null ? "" : o.toString();
    } catch (SqlException e) {
      return "";
    }
  }

  private static String state(String connector) {
    try {
      return String.valueOf(cluster.connector(connector).get("state"));
    } catch (SqlException e) {
      return "";
    }
  }

  private static int ordoRowsQuietly() {
    try {
      return ordoRows().size();
    } catch (SqlException e) {
      return 0;
    }
  }

  private static List<String> ordoRows() throws SqlException {
    List<String> out = new ArrayList<>();
    for (List<Object> row : cluster.sql("SELECT id, n FROM moving ORDER BY id").get(0).rows()) {
      out.add(row.get(0) + "=" + row.get(1));
    }
    return out;
  }

  private static List<String> sourceRows() throws Exception {
    return pgRows("public.moving");
  }

  private static List<String> pgRows(String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = cluster.pg.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, n FROM " + table + " ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getInt(1) + "=" + rs.getInt(2));
      }
    }
    return out;
  }

  /** Waits until the Ordo table equals the source table (the assertion shows both when not). */
  private static void awaitMirrored() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ConnectorTestCluster.WAIT_MS);
    List<String> source = sourceRows();
    while (!ordoRowsOrEmpty().equals(source) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      source = sourceRows();
    }
    assertThat(ordoRows()).as("the Ordo table mirroring public.moving").containsExactlyElementsOf(source);
  }

  /** Waits until the sink's target equals the Ordo table. */
  private static void awaitCopied() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ConnectorTestCluster.WAIT_MS);
    while (!pgRows("public.moving_copy").equals(ordoRowsOrEmpty()) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(pgRows("public.moving_copy")).as("the sink's target copying moving")
        .containsExactlyElementsOf(ordoRows());
  }

  private static List<String> ordoRowsOrEmpty() {
    try {
      return ordoRows();
    } catch (SqlException e) {
      return List.of();
    }
  }
}
