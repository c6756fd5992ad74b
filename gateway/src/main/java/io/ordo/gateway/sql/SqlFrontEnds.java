package io.ordo.gateway.sql;

import io.ordo.sql.SqlEngine;
import io.ordo.sql.engine.SqlConfig;
import io.ordo.sql.pgwire.PgSecurity;
import io.ordo.sql.pgwire.PgWireServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL front ends of a gateway over one {@link SqlEngine}: the {@code ordo.v1.Sql} gRPC
 * service ({@link #service()}, which the gateway also serves as REST) and the PostgreSQL wire
 * protocol listener ({@link #listenPostgres}). {@link #close} stops the listener (its
 * connections' sessions are closed, open blocks rolled back) and the service's statement threads.
 */
public final class SqlFrontEnds implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SqlFrontEnds.class);

  /** A running PostgreSQL wire protocol listener. */
  public interface PgListener extends AutoCloseable {
    /** The port it listens on (the bound one when asked for 0). */
    int port();

    /** Stops listening and closes its connections. */
    @Override
    void close();
  }

  /** Starts a PostgreSQL wire protocol listener. */
  @FunctionalInterface
  public interface PgListenerFactory {
    /**
     * Starts listening on {@code bind}.
     *
     * @param engine opens a session per connection
     * @param maxConnections most connections at once (beyond: SQLSTATE 53300)
     * @return the listener, or null when this build has no PostgreSQL listener
     * @throws IOException when the address cannot be bound
     */
    PgListener start(SqlEngine engine, InetSocketAddress bind, int maxConnections)
        throws IOException;
  }

  /** The PostgreSQL listener: {@link PgWireServer} of the sql module, without authentication or TLS. */
  public static PgListener startPostgres(
      SqlEngine engine, InetSocketAddress bind, int maxConnections) throws IOException {
    return startPostgres(engine, bind, maxConnections, PgSecurity.NONE);
  }

  /** The PostgreSQL listener with SCRAM-SHA-256 users and/or TLS ({@link PgSecurity}). */
  public static PgListener startPostgres(
      SqlEngine engine, InetSocketAddress bind, int maxConnections, PgSecurity security)
      throws IOException {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(bind, "bind");
    PgWireServer server = PgWireServer.start(engine, bind, maxConnections, security);
    return new PgListener() {
      @Override
      public int port() {
        return server.port();
      }

      @Override
      public void close() {
        server.close();
      }
    };
  }

  private final SqlEngine engine;
  private final int sessionsMax;
  private final SqlService service;
  private PgListener postgres; // guarded by this

  /**
   * @param engine the engine behind every front end
   * @param sessionsMax most sessions of the gRPC/REST service at once, and separately most
   *     PostgreSQL connections
   */
  public SqlFrontEnds(SqlEngine engine, int sessionsMax) {
    this(engine, engine, sessionsMax);
  }

  /**
   * @param engine the engine behind the PostgreSQL listener (and {@link #engine()})
   * @param serviceEngine the engine behind the gRPC/REST service (with authentication on, one
   *     that restricts each session to its caller's permission)
   * @param sessionsMax most sessions of the gRPC/REST service at once, and separately most
   *     PostgreSQL connections
   */
  public SqlFrontEnds(SqlEngine engine, SqlEngine serviceEngine, int sessionsMax) {
    this(engine, serviceEngine, sessionsMax, SqlConfig.DEFAULT_PUSH_QUERIES_MAX);
  }

  /**
   * @param engine the engine behind the PostgreSQL listener (and {@link #engine()})
   * @param serviceEngine the engine behind the gRPC/REST service
   * @param sessionsMax most sessions of the gRPC/REST service at once, and separately most
   *     PostgreSQL connections
   * @param pushQueriesMax most push queries of the gRPC/REST service running at once
   */
  public SqlFrontEnds(
      SqlEngine engine, SqlEngine serviceEngine, int sessionsMax, int pushQueriesMax) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.sessionsMax = sessionsMax;
    this.service =
        new SqlService(
            Objects.requireNonNull(serviceEngine, "serviceEngine"), sessionsMax, pushQueriesMax);
  }

  /** The engine behind every front end. */
  public SqlEngine engine() {
    return engine;
  }

  /** The gRPC service (bind it on the gRPC server and the REST side's in-process server). */
  public SqlService service() {
    return service;
  }

  /**
   * Starts the PostgreSQL listener on {@code bind} with {@code factory}. A factory that returns
   * null (a build without the listener) leaves the gateway without a PostgreSQL port, with a
   * warning in the log.
   *
   * @throws IOException when the address cannot be bound
   * @throws IllegalStateException when a listener already runs
   */
  public synchronized void listenPostgres(InetSocketAddress bind, PgListenerFactory factory)
      throws IOException {
    if (postgres != null) {
      throw new IllegalStateException("the PostgreSQL listener already runs on port " + postgres.port());
    }
    postgres = factory.start(engine, bind, sessionsMax);
    if (postgres == null) {
      LOG.warn(
          "this build has no PostgreSQL wire protocol listener; {} is not served", bind);
    } else {
      LOG.info("PostgreSQL wire protocol on {}:{}", bind.getHostString(), postgres.port());
    }
  }

  /** The PostgreSQL port, when a listener runs. */
  public synchronized OptionalInt pgPort() {
    return postgres == null ? OptionalInt.empty() : OptionalInt.of(postgres.port());
  }

  /** Stops the PostgreSQL listener, then the service's statement threads. Idempotent. */
  @Override
  public void close() {
    PgListener listener;
    synchronized (this) {
      listener = postgres;
      postgres = null;
    }
    if (listener != null) {
      try {
        listener.close();
      } catch (RuntimeException e) {
        LOG.warn("stopping the PostgreSQL listener failed", e);
      }
    }
    service.close();
  }
}
