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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * What a connector IT runs against: a PostgreSQL the test owns ({@link TestPostgres}), an
 * embedded broker, the executor job on a MiniCluster (2 key ranges) and one gateway with a data
 * directory (so it runs connectors), all on ephemeral ports; {@link #close} stops them all.
 * {@link #start} skips the test (with the reason) where initdb and pg_ctl are not installed.
 */
final class ConnectorTestCluster implements AutoCloseable {
  /** How long the helpers wait for a condition, in ms. */
  static final long WAIT_MS = 60_000;

  final TestPostgres pg;
  final EmbeddedKafkaBroker broker;
  final EmbeddedExecutor executor;
  private final Path dir;
  private final TopicLayout topics;
  private volatile GatewayServer gateway;

  private ConnectorTestCluster(Path dir, TopicLayout topics, TestPostgres pg,
      EmbeddedKafkaBroker broker, EmbeddedExecutor executor) {
    this.dir = dir;
    this.topics = topics;
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

  /** Like {@link #start(Path, String)} without a PostgreSQL ({@link #pg} null). */
  static ConnectorTestCluster startWithoutPostgres(Path dir, String topicPrefix) throws Exception {
    return start(dir, topicPrefix, null);
  }

  private static ConnectorTestCluster start(Path dir, String topicPrefix, TestPostgres pg)
      throws Exception {
    TopicLayout topics = TopicLayout.withPrefix(topicPrefix);
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
    LogTopics.ensure(broker.bootstrapServers(), topics, GatewayServer.START_TIMEOUT);
    EmbeddedExecutor executor = EmbeddedExecutor.start(
        ExecutorConfig.defaults(broker.bootstrapServers(), topics).withKeyRangeCount(2));
    ConnectorTestCluster c = new ConnectorTestCluster(dir, topics, pg, broker, executor);
    c.gateway = c.startGateway();
    return c;
  }

  private GatewayServer startGateway() throws Exception {
    return GatewayServer.start(
        GatewayConfig.defaults(broker.bootstrapServers(), topics)
            .withPorts(0, 0)
            .withPgPort(GatewayConfig.NO_PG_PORT)
            .withKeyRangeCount(2)
            .withHeartbeatIntervalMs(20)
            .withDataDir(dir.resolve("gateway-store")));
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

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {gateway, executor, broker, pg}) {
      if (c != null) {
        c.close();
      }
    }
  }
}
