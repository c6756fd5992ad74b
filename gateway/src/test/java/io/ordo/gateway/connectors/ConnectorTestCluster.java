package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.executor.EmbeddedExecutor;
import io.ordo.executor.ExecutorConfig;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.GatewayServer;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.StatementResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * What a connector IT runs against: a PostgreSQL the test owns ({@link TestPostgres}; none with
 * {@link #startOrdo}), an
 * embedded broker, the executor job on a MiniCluster (2 key ranges) and one gateway with a data
 * directory (so it runs connectors), all on ephemeral ports; {@link #close} stops them all.
 * {@link #start} skips the test (with the reason) where initdb and pg_ctl are not installed.
 */
final class ConnectorTestCluster implements AutoCloseable {
  /** How long the helpers wait for a condition, in ms. */
  static final long WAIT_MS = 60_000;
  /** Key ranges of the executor and the gateways. */
  static final int KEY_RANGES = 2;

  final TestPostgres pg;
  final EmbeddedKafkaBroker broker;
  final EmbeddedExecutor executor;
  private final Path dir;
  private final TopicLayout topics;
  final String topicPrefix;
  private volatile GatewayServer gateway;

  private ConnectorTestCluster(Path dir, String topicPrefix, TestPostgres pg,
      EmbeddedKafkaBroker broker, EmbeddedExecutor executor) {
    this.dir = dir;
    this.topicPrefix = topicPrefix;
    this.topics = TopicLayout.withPrefix(topicPrefix);
    this.pg = pg;
    this.broker = broker;
    this.executor = executor;
  }

  /** Starts everything under {@code dir}, the log topics named with {@code topicPrefix}. */
  static ConnectorTestCluster start(Path dir, String topicPrefix) throws Exception {
    Optional<Path> bin = TestPostgres.binDir();
    Assumptions.assumeTrue(bin.isPresent(),
        "PostgreSQL's initdb and pg_ctl not found (set ORDO_PG_BIN or install postgresql-15):"
            + " skipping the PostgreSQL connector tests");
    return start(dir, topicPrefix, TestPostgres.start(bin.get()));
  }

  /**
   * Starts the Ordo side only (no PostgreSQL: {@link #pg} is null), for tests of other sources
   * that own their database.
   */
  static ConnectorTestCluster startOrdo(Path dir, String topicPrefix) throws Exception {
    return start(dir, topicPrefix, null);
  }

  private static ConnectorTestCluster start(Path dir, String topicPrefix, TestPostgres pg)
      throws Exception {
    TopicLayout topics = TopicLayout.withPrefix(topicPrefix);
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
    LogTopics.ensure(broker.bootstrapServers(), topics, GatewayServer.START_TIMEOUT);
    EmbeddedExecutor executor = EmbeddedExecutor.start(
        ExecutorConfig.defaults(broker.bootstrapServers(), topics).withKeyRangeCount(KEY_RANGES));
    ConnectorTestCluster c = new ConnectorTestCluster(dir, topicPrefix, pg, broker, executor);
    c.gateway = c.startGateway();
    return c;
  }

  private GatewayServer startGateway() throws Exception {
    return GatewayServer.start(
        gatewayConfig(broker.bootstrapServers(), topics, dir.resolve("gateway-store"), KEY_RANGES));
  }

  /** A gateway's configuration in these tests: ephemeral ports, no PostgreSQL port, a store. */
  static GatewayConfig gatewayConfig(String bootstrapServers, TopicLayout topics, Path store, int keyRanges) {
    return GatewayConfig.defaults(bootstrapServers, topics)
        .withPorts(0, 0)
        .withPgPort(GatewayConfig.NO_PG_PORT)
        .withKeyRangeCount(keyRanges)
        .withHeartbeatIntervalMs(20)
        .withDataDir(store);
  }

  GatewayServer gateway() {
    return gateway;
  }

  TopicLayout topics() {
    return topics;
  }

  /** Closes the gateway (its connectors stop where they are) and starts it again on its store. */
  void restartGateway() throws Exception {
    gateway.close();
    gateway = startGateway();
  }

  /**
   * Replaces the gateway's connector manager with one whose log fails the first and every third
   * transaction of connector {@code name} right after it committed, before Debezium hears of it
   * (the worker dies in the window where the source still thinks those changes unconfirmed);
   * {@code crashes} counts them. {@link #normalConnectors} puts a normal manager back.
   */
  ConnectorManager crashingConnectors(String name, AtomicInteger crashes) {
    gateway.sqlBackend().closeConnectors();
    AtomicInteger batches = new AtomicInteger();
    ConnectorWorker.Log crashing = (txn, waitMs) -> {
      CompletableFuture<TxnResult> result = gateway.sqlBackend().execute(txn, waitMs);
      if (!txn.getId().startsWith("connector-" + name + "-")
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
    return attach(crashing);
  }

  /**
   * Closes the gateway's connector manager and attaches one that runs its transactions through
   * {@code log} (e.g. one that injects failures); {@link #normalConnectors} puts a normal one back.
   */
  ConnectorManager connectorsWith(ConnectorWorker.Log log) {
    gateway.sqlBackend().closeConnectors();
    return attach(log);
  }

  /** Closes {@code current} and attaches a manager with the gateway's own log. */
  ConnectorManager normalConnectors(ConnectorManager current) {
    current.close();
    return attach(gateway.sqlBackend()::execute);
  }

  private ConnectorManager attach(ConnectorWorker.Log log) {
    ConnectorManager m = new ConnectorManager(gateway.sqlBackend().store(), log,
        GatewayConfig.defaults("unused:1", topics).limits().txnBytesMax(), 300,
        System::currentTimeMillis);
    m.attachSql(gateway.sqlEngine());
    gateway.sqlBackend().attachConnectors(m);
    m.start();
    return m;
  }

  /** Runs the statements of {@code text} in a new session. */
  List<StatementResult> sql(String text) throws SqlException {
    try (SqlSession s = gateway.sqlEngine().openSession("test", "ordo")) {
      List<StatementResult> out = new ArrayList<>();
      for (SqlStatement st : s.prepare(text, List.of())) {
        out.add(st.execute(List.of()));
      }
      return out;
    }
  }

  /** The SHOW CONNECTORS row of {@code name}, column name to value. */
  Map<String, Object> connector(String name) throws SqlException {
    StatementResult r = sql("SHOW CONNECTORS").get(0);
    for (int i = 0; i < r.rows().size(); i++) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (int c = 0; c < r.columns().size(); c++) {
        out.put(r.columns().get(c).name(), r.rows().get(i).get(c));
      }
      if (name.equals(out.get("name"))) {
        return out;
      }
    }
    throw new AssertionError("no connector " + name + " in SHOW CONNECTORS");
  }

  /** Asserts that {@code statement} fails with {@code sqlState} and a message containing {@code reason}. */
  void assertRefused(String statement, String sqlState, String reason) {
    assertThatThrownBy(() -> sql(statement))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo(sqlState);
          assertThat(e.getMessage()).contains(reason);
        });
  }

  /** Polls {@code condition} every 100 ms until it holds, at most {@value #WAIT_MS} ms. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  /**
   * Waits for a test's writer thread to finish, at most three times {@value #WAIT_MS} ms, and
   * fails if it has not: the counts a test compares afterwards are only final once every write
   * has returned (on a loaded machine a writer retrying through a restart can outlast one wait).
   */
  static void joinWriter(Thread writer) throws InterruptedException {
    writer.join(3 * WAIT_MS);
    if (writer.isAlive()) {
      throw new AssertionError("the writer thread " + writer.getName() + " did not finish within "
          + 3 * WAIT_MS + " ms");
    }
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {gateway, executor, broker, pg}) {
      if (c != null) {
        c.close();
      }
    }
  }
}
