package io.ordo.sql.it;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * An embedded Ordo (broker, executor, gateway) serving the PostgreSQL wire protocol on a free
 * local port, for the SQL integration tests that go through real clients (pgjdbc, psql).
 */
final class PgOrdo implements AutoCloseable {
  /** How long a start may take to serve on this (shared, two-core) machine. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  final EmbeddedOrdo ordo;
  final int pgPort;

  private PgOrdo(EmbeddedOrdo ordo, int pgPort) {
    this.ordo = ordo;
    this.pgPort = pgPort;
  }

  /**
   * Starts an Ordo over {@code dataDir} (a fresh or a previously used data directory) with its
   * PostgreSQL listener on {@code pgPort}, 0 = a free port probed now, and waits until it serves.
   */
  static PgOrdo start(Path dataDir, int pgPort) throws Exception {
    // A free port picked by the listener itself (a port probed here could be taken by one of the
    // broker's or clients' ephemeral sockets before the gateway binds it).
    int port = pgPort == 0 ? io.ordo.gateway.GatewayConfig.ANY_FREE_PG_PORT : pgPort;
    EmbeddedOrdo ordo = EmbeddedOrdo.start(EmbeddedOrdo.Options.defaults(dataDir).withFreePorts()
        .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(500))
        .withPgPort(port));
    try {
      ordo.awaitServing(START_TIMEOUT);
      int actual = ordo.pgPort().orElseThrow(
          () -> new IllegalStateException("the gateway serves no PostgreSQL port"));
      return new PgOrdo(ordo, actual);
    } catch (Exception | Error e) {
      ordo.close();
      throw e;
    }
  }

  /** The pgjdbc URL of database {@code ordo}. */
  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + pgPort + "/ordo";
  }

  /**
   * A new pgjdbc connection as user {@code ordo}, with a socket timeout so that a stuck server
   * fails the test instead of hanging it.
   */
  Connection connect() throws SQLException {
    return connect(new Properties());
  }

  /** {@link #connect()} with more pgjdbc properties, e.g. {@code reWriteBatchedInserts}. */
  Connection connect(Properties extra) throws SQLException {
    Properties p = new Properties();
    p.putAll(extra);
    p.setProperty("user", "ordo");
    p.setProperty("password", "ordo");
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", "60");
    p.setProperty("ApplicationName", "ordo-it");
    return DriverManager.getConnection(jdbcUrl(), p);
  }

  @Override
  public void close() {
    ordo.close();
  }
}
