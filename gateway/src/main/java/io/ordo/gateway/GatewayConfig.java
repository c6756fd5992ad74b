package io.ordo.gateway;

import io.ordo.gateway.auth.GatewaySecurity;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.sequencer.HeartbeatService;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.TopicLayout;
import io.ordo.sql.engine.SqlConfig;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link GatewayServer} needs to start.
 *
 * @param kafka how the gateway's Kafka clients (producer, consumers, admin clients, the ingest
 *     bridges' consumers of users' topics) reach the cluster: bootstrap servers, {@code
 *     host:port[,host:port...]}, and a secured cluster's client properties
 * @param topics the topic layout shared with the executor job (log, results, ...)
 * @param bindAddress the address both servers listen on (default {@code 127.0.0.1}; use {@code
 *     0.0.0.0} to listen on every interface)
 * @param grpcPort the gRPC port (default {@value #DEFAULT_GRPC_PORT}); 0 picks a free port
 * @param httpPort the REST/JSON port (default {@value #DEFAULT_HTTP_PORT}); 0 picks a free port
 * @param heartbeatIntervalMs how often this gateway appends a heartbeat to every log partition,
 *     in milliseconds (default {@value #DEFAULT_HEARTBEAT_INTERVAL_MS}), while its transactions
 *     are not yet covered on every partition, at most {@link
 *     HeartbeatService#DEFAULT_QUIET_AFTER_MS} ms (at least 10 intervals) after its last one; an
 *     idle gateway sends none (quiet mode, see {@link HeartbeatService}). 0 means this gateway never sends any: its transactions then wait for
 *     another process's heartbeats or appends, so 0 suits only a gateway beside an always-on
 *     heartbeat source
 * @param defaultDeadlineMs how long a request waits for its result when the client set no
 *     deadline, in milliseconds (default {@value #DEFAULT_DEADLINE_MS}); REST clients may set one
 *     with {@code ?timeoutMs=}
 * @param limits bounds on requests
 * @param dataDir directory of the gateway's local store (the changelog materialized for stream
 *     reads and retention), e.g. {@code <data dir>/gateway-store}; it is a cache of the changelog
 *     topic, rebuilt from it when lost. Empty: no local store, so ReadShard, ReadStream and
 *     retention are not served (every other stream call is)
 * @param retentionIntervalMs how often the gateway enforces stream retention, in milliseconds
 *     (default {@value #DEFAULT_RETENTION_INTERVAL_MS}); only with a data directory
 * @param ingest whether this gateway runs the Kafka ingest bridges of the streams (default true;
 *     bridges of several gateways share each ingest topic's partitions through one consumer group)
 * @param metricsPort a port of its own for {@code GET /metrics} (Prometheus text), besides the
 *     REST port, which always serves it; {@value #NO_METRICS_PORT} (the default) for none, 0 to
 *     pick a free port
 * @param pgPort the PostgreSQL wire protocol port (default {@value #DEFAULT_PG_PORT}), on {@code
 *     bindAddress}; {@value #NO_PG_PORT} for none
 * @param keyRangeCount the executor job's number of key ranges, in [1, {@link
 *     KeyRanges#KEY_RANGE_COUNT_MAX}] (default {@link KeyRanges#DEFAULT_KEY_RANGE_COUNT}); it must
 *     equal the executor's, since SQL statements are planned per key range
 * @param sqlSessionsMax most SQL sessions open at once through the Sql gRPC/REST service, and
 *     separately most PostgreSQL connections (default {@value #DEFAULT_SQL_SESSIONS_MAX});
 *     beyond it RESOURCE_EXHAUSTED, or SQLSTATE 53300 on the PostgreSQL port
 * @param sql the SQL engine's limits (statement size, rows, statement timeout, history, retries)
 * @param security authentication (bearer tokens, SCRAM-SHA-256 users) and TLS of the gateway's
 *     listeners (default {@link GatewaySecurity#NONE}: no authentication, plain text)
 */
public record GatewayConfig(
    KafkaClientSettings kafka,
    TopicLayout topics,
    String bindAddress,
    int grpcPort,
    int httpPort,
    long heartbeatIntervalMs,
    long defaultDeadlineMs,
    Limits limits,
    Optional<Path> dataDir,
    long retentionIntervalMs,
    boolean ingest,
    int metricsPort,
    int pgPort,
    int keyRangeCount,
    int sqlSessionsMax,
    SqlConfig sql,
    // Authentication and transport security.
    GatewaySecurity security) {

  /** Default gRPC port. */
  public static final int DEFAULT_GRPC_PORT = 6570;
  /** Default REST/JSON port. */
  public static final int DEFAULT_HTTP_PORT = 6580;
  /** Default bind address (loopback only: exposing the gateway is an explicit choice). */
  public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
  /** Default heartbeat interval, in milliseconds (the latency floor of the executor). */
  public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = HeartbeatService.DEFAULT_INTERVAL_MS;
  /** Default deadline of a request without one, in milliseconds. */
  public static final long DEFAULT_DEADLINE_MS = 30_000;
  /** Upper bound on any deadline the gateway waits for, in milliseconds (10 minutes). */
  public static final long DEADLINE_MS_MAX = TxnRunner.DEADLINE_MS_MAX;
  /** Default interval of retention rounds, in milliseconds. */
  public static final long DEFAULT_RETENTION_INTERVAL_MS = 30_000;
  /** The metricsPort that means "no metrics port of its own" (metrics stay on the REST port). */
  public static final int NO_METRICS_PORT = -1;
  /** Default PostgreSQL wire protocol port. */
  public static final int DEFAULT_PG_PORT = 6566;
  /** The pgPort that means "no PostgreSQL port". */
  public static final int NO_PG_PORT = 0;
  /**
   * The pgPort that means "a PostgreSQL port the system picks" (tests, several gateways on one
   * host): the listener binds port 0 and {@code GatewayServer.pgPort()} tells which it got.
   */
  public static final int ANY_FREE_PG_PORT = -1;
  /** Default most SQL sessions (and, separately, PostgreSQL connections) at once. */
  public static final int DEFAULT_SQL_SESSIONS_MAX = 64;
  /** Upper bound on sqlSessionsMax (each session may hold a thread while a statement runs). */
  public static final int SQL_SESSIONS_MAX_CEILING = 4_096;

  /** A config for a plain-text Kafka at {@code bootstrapServers} (no client properties). */
  public GatewayConfig(
      String bootstrapServers,
      TopicLayout topics,
      String bindAddress,
      int grpcPort,
      int httpPort,
      long heartbeatIntervalMs,
      long defaultDeadlineMs,
      Limits limits,
      Optional<Path> dataDir,
      long retentionIntervalMs,
      boolean ingest,
      int metricsPort,
      int pgPort,
      int keyRangeCount,
      int sqlSessionsMax,
      SqlConfig sql,
      GatewaySecurity security) {
    this(
        plaintext(bootstrapServers), topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** A config without security settings (no authentication, plain text). */
  public GatewayConfig(
      String bootstrapServers,
      TopicLayout topics,
      String bindAddress,
      int grpcPort,
      int httpPort,
      long heartbeatIntervalMs,
      long defaultDeadlineMs,
      Limits limits,
      Optional<Path> dataDir,
      long retentionIntervalMs,
      boolean ingest,
      int metricsPort,
      int pgPort,
      int keyRangeCount,
      int sqlSessionsMax,
      SqlConfig sql) {
    this(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, GatewaySecurity.NONE);
  }

  /**
   * A config without SQL settings of its own (the components before pgPort was added): PostgreSQL
   * port {@value #DEFAULT_PG_PORT}, the default key range count, session limit and SQL limits.
   */
  public GatewayConfig(
      String bootstrapServers,
      TopicLayout topics,
      String bindAddress,
      int grpcPort,
      int httpPort,
      long heartbeatIntervalMs,
      long defaultDeadlineMs,
      Limits limits,
      Optional<Path> dataDir,
      long retentionIntervalMs,
      boolean ingest,
      int metricsPort) {
    this(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        DEFAULT_PG_PORT, KeyRanges.DEFAULT_KEY_RANGE_COUNT, DEFAULT_SQL_SESSIONS_MAX,
        SqlConfig.DEFAULTS, GatewaySecurity.NONE);
  }

  /** A config without a metrics port of its own (the components before metricsPort was added). */
  public GatewayConfig(
      String bootstrapServers,
      TopicLayout topics,
      String bindAddress,
      int grpcPort,
      int httpPort,
      long heartbeatIntervalMs,
      long defaultDeadlineMs,
      Limits limits,
      Optional<Path> dataDir,
      long retentionIntervalMs,
      boolean ingest) {
    this(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, NO_METRICS_PORT);
  }

  /**
   * Checks every component.
   *
   * @throws IllegalArgumentException naming the first invalid component
   */
  public GatewayConfig {
    if (kafka == null) {
      throw new IllegalArgumentException("kafka must not be null");
    }
    if (topics == null) {
      throw new IllegalArgumentException("topics must not be null");
    }
    if (bindAddress == null || bindAddress.isBlank()) {
      throw new IllegalArgumentException("bindAddress must not be blank");
    }
    checkPort("grpcPort", grpcPort);
    checkPort("httpPort", httpPort);
    if (metricsPort != NO_METRICS_PORT) {
      checkPort("metricsPort", metricsPort);
    }
    if (heartbeatIntervalMs < 0) {
      throw new IllegalArgumentException(
          "heartbeatIntervalMs must be >= 0 (0 = no heartbeats), got " + heartbeatIntervalMs);
    }
    if (defaultDeadlineMs <= 0 || defaultDeadlineMs > DEADLINE_MS_MAX) {
      throw new IllegalArgumentException(
          "defaultDeadlineMs must be in [1, " + DEADLINE_MS_MAX + "], got " + defaultDeadlineMs);
    }
    if (limits == null) {
      throw new IllegalArgumentException("limits must not be null");
    }
    Objects.requireNonNull(dataDir, "dataDir");
    if (retentionIntervalMs <= 0) {
      throw new IllegalArgumentException(
          "retentionIntervalMs must be > 0, got " + retentionIntervalMs);
    }
    if (pgPort != ANY_FREE_PG_PORT) {
      checkPort("pgPort", pgPort);
    }
    if (keyRangeCount < 1 || keyRangeCount > KeyRanges.KEY_RANGE_COUNT_MAX) {
      throw new IllegalArgumentException(
          "keyRangeCount must be in [1, " + KeyRanges.KEY_RANGE_COUNT_MAX + "], got "
              + keyRangeCount);
    }
    if (sqlSessionsMax < 1 || sqlSessionsMax > SQL_SESSIONS_MAX_CEILING) {
      throw new IllegalArgumentException(
          "sqlSessionsMax must be in [1, " + SQL_SESSIONS_MAX_CEILING + "], got "
              + sqlSessionsMax);
    }
    Objects.requireNonNull(sql, "sql");
    Objects.requireNonNull(security, "security");
  }

  /**
   * Bind address 127.0.0.1, gRPC port 6570, HTTP port 6580, PostgreSQL port 6566, heartbeats
   * every 2 ms, default deadline 30 s, {@link Limits#defaults()}, no data directory (no stream
   * reads), retention every 30 s, {@link KeyRanges#DEFAULT_KEY_RANGE_COUNT} key ranges, {@value
   * #DEFAULT_SQL_SESSIONS_MAX} SQL sessions, {@link SqlConfig#DEFAULTS}.
   */
  public static GatewayConfig defaults(String bootstrapServers, TopicLayout topics) {
    return defaults(plaintext(bootstrapServers), topics);
  }

  /** Like {@link #defaults(String, TopicLayout)} with the Kafka client settings {@code kafka}. */
  public static GatewayConfig defaults(KafkaClientSettings kafka, TopicLayout topics) {
    return new GatewayConfig(
        kafka,
        topics,
        DEFAULT_BIND_ADDRESS,
        DEFAULT_GRPC_PORT,
        DEFAULT_HTTP_PORT,
        DEFAULT_HEARTBEAT_INTERVAL_MS,
        DEFAULT_DEADLINE_MS,
        Limits.defaults(),
        Optional.empty(),
        DEFAULT_RETENTION_INTERVAL_MS,
        true,
        NO_METRICS_PORT,
        DEFAULT_PG_PORT,
        KeyRanges.DEFAULT_KEY_RANGE_COUNT,
        DEFAULT_SQL_SESSIONS_MAX,
        SqlConfig.DEFAULTS,
        GatewaySecurity.NONE);
  }

  /** This config with other gRPC and REST ports (0 = a free port); the PostgreSQL port stays. */
  public GatewayConfig withPorts(int grpcPort, int httpPort) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with another bind address. */
  public GatewayConfig withBindAddress(String bindAddress) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with another heartbeat interval in milliseconds (0 = send none). */
  public GatewayConfig withHeartbeatIntervalMs(long heartbeatIntervalMs) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with another default deadline in milliseconds. */
  public GatewayConfig withDefaultDeadlineMs(long defaultDeadlineMs) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with other limits. */
  public GatewayConfig withLimits(Limits limits) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** The Kafka bootstrap servers ({@code kafka().bootstrapServers()}). */
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** This config with other Kafka client settings (servers and client properties). */
  public GatewayConfig withKafka(KafkaClientSettings kafka) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** @throws IllegalArgumentException if bootstrapServers is null or blank */
  private static KafkaClientSettings plaintext(String bootstrapServers) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must not be blank");
    }
    return KafkaClientSettings.of(bootstrapServers);
  }

  private static void checkPort(String field, int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(field + " must be in [0, 65535], got " + port);
    }
  }

  /** This config with a data directory for the local store (enables stream reads). */
  public GatewayConfig withDataDir(Path dataDir) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, Optional.of(dataDir), retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with another retention interval in milliseconds. */
  public GatewayConfig withRetentionIntervalMs(long retentionIntervalMs) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with the Kafka ingest bridges on or off. */
  public GatewayConfig withIngest(boolean ingest) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /**
   * This config with a metrics port of its own ({@value #NO_METRICS_PORT}: none; 0: a free
   * port).
   */
  public GatewayConfig withMetricsPort(int metricsPort) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with another PostgreSQL port ({@value #NO_PG_PORT}: none). */
  public GatewayConfig withPgPort(int pgPort) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with another key range count (it must equal the executor job's). */
  public GatewayConfig withKeyRangeCount(int keyRangeCount) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with another bound on SQL sessions (and on PostgreSQL connections). */
  public GatewayConfig withSqlSessionsMax(int sqlSessionsMax) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with other authentication and TLS settings. */
  public GatewayConfig withSecurity(GatewaySecurity security) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }

  /** This config with other SQL engine limits. */
  public GatewayConfig withSql(SqlConfig sql) {
    return new GatewayConfig(
        kafka, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort,
        pgPort, keyRangeCount, sqlSessionsMax, sql, security);
  }
}
