package io.ordo.gateway;

import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.sequencer.HeartbeatService;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link GatewayServer} needs to start.
 *
 * @param bootstrapServers Kafka bootstrap servers, {@code host:port[,host:port...]}
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
 */
public record GatewayConfig(
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
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must not be blank");
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
  }

  /**
   * Bind address 127.0.0.1, gRPC port 6570, HTTP port 6580, heartbeats every 2 ms, default
   * deadline 30 s, {@link Limits#defaults()}, no data directory (no stream reads), retention
   * every 30 s.
   */
  public static GatewayConfig defaults(String bootstrapServers, TopicLayout topics) {
    return new GatewayConfig(
        bootstrapServers,
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
        NO_METRICS_PORT);
  }

  /** This config with other ports (0 = pick a free port). */
  public GatewayConfig withPorts(int grpcPort, int httpPort) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }

  /** This config with another bind address. */
  public GatewayConfig withBindAddress(String bindAddress) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }

  /** This config with another heartbeat interval in milliseconds (0 = send none). */
  public GatewayConfig withHeartbeatIntervalMs(long heartbeatIntervalMs) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }

  /** This config with another default deadline in milliseconds. */
  public GatewayConfig withDefaultDeadlineMs(long defaultDeadlineMs) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }

  /** This config with other limits. */
  public GatewayConfig withLimits(Limits limits) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }

  private static void checkPort(String field, int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(field + " must be in [0, 65535], got " + port);
    }
  }

  /** This config with a data directory for the local store (enables stream reads). */
  public GatewayConfig withDataDir(Path dataDir) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, Optional.of(dataDir), retentionIntervalMs, ingest, metricsPort);
  }

  /** This config with another retention interval in milliseconds. */
  public GatewayConfig withRetentionIntervalMs(long retentionIntervalMs) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }

  /** This config with the Kafka ingest bridges on or off. */
  public GatewayConfig withIngest(boolean ingest) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }

  /**
   * This config with a metrics port of its own ({@value #NO_METRICS_PORT}: none; 0: a free
   * port).
   */
  public GatewayConfig withMetricsPort(int metricsPort) {
    return new GatewayConfig(
        bootstrapServers, topics, bindAddress, grpcPort, httpPort, heartbeatIntervalMs,
        defaultDeadlineMs, limits, dataDir, retentionIntervalMs, ingest, metricsPort);
  }
}
