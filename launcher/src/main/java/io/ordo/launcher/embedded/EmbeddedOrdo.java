package io.ordo.launcher.embedded;

import io.ordo.views.ViewSupervisor;
import io.ordo.gateway.HealthProbe;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.executor.ExecutorConfig;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.auth.GatewaySecurity;
import io.ordo.gateway.GatewayServer;
import io.ordo.proto.HealthResponse;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole of Ordo in one process: a Kafka broker (KRaft, in-process), the executor job on a Flink
 * MiniCluster and the gateway, with all data under one directory.
 *
 * <p>Layout of the data directory: {@code <dataDir>/kafka} holds the broker's log (unless an
 * external Kafka is used), {@code <dataDir>/checkpoints} the executor's retained checkpoints,
 * {@code <dataDir>/gateway-store} the gateway's local store (the changelog materialized for
 * stream reads). Starting again on the same directory recovers all committed state: the broker
 * keeps the log and the executor restores from its newest checkpoint, then replays the log from
 * there; the gateway's store resumes from the changelog offsets it stored.
 *
 * <p>{@link #start} starts the parts in order broker, topics, executor, gateway; {@link #close}
 * stops them in reverse order. The gateway talks to the executor only through Kafka, so this class
 * goes through {@link EmbeddedExecutor} and never touches Flink itself.
 */
public final class EmbeddedOrdo implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedOrdo.class);

  /** How long {@link LogTopics#ensure} may take: a freshly started broker needs a few seconds. */
  static final Duration TOPICS_TIMEOUT = Duration.ofSeconds(60);

  /** The checkpoints of materialized views' jobs, under the data directory (one per view id). */
  public static final String VIEW_CHECKPOINTS_DIR = "view-checkpoints";

  /** Most materialized views maintained at once (slots of the views' MiniCluster). */
  public static final int VIEWS_MAX = 8;

  /** The gateway's local store, under the data directory. */
  public static final String GATEWAY_STORE_DIR = "gateway-store";

  private final Options options;
  private final Path dataDir;
  private final TopicLayout topics;
  private final EmbeddedKafkaBroker broker;
  private final KafkaClientSettings kafka;
  private final EmbeddedExecutor executor;
  private final GatewayServer gateway;
  /** Runs the materialized views' jobs; null when the gateway has authentication or TLS. */
  private final ViewSupervisor views;
  private boolean closed;

  /**
   * What to start.
   *
   * @param dataDir directory of all data; created if missing
   * @param bootstrapServers an external Kafka to use instead of starting the embedded broker
   * @param kafkaPort port of the embedded broker, in [0, 65535]; 0 picks a free port
   * @param grpcPort gRPC port of the gateway, in [0, 65535]; 0 picks a free port
   * @param httpPort REST/JSON port of the gateway, in [0, 65535]; 0 picks a free port
   * @param keyRangeCount number of key ranges of the executor; empty = the executor's default
   * @param parallelism parallelism of the executor job; empty = {@link #defaultParallelism} of
   *     this machine's cores
   * @param checkpointIntervalMs executor checkpoint interval in ms; empty = the executor's default
   * @param latency the latency knobs (heartbeat, watermark and buffer-timeout intervals)
   * @param metricsPort a port of its own for the gateway's {@code GET /metrics} (it is always on
   *     the HTTP port too); {@value #NO_METRICS_PORT} = none, 0 = a free port
   * @param executorMetricsPort the port of the executor's Prometheus reporter (Flink's metrics and
   *     the operators', on {@code /metrics}); {@value #NO_METRICS_PORT} = no reporter
   * @param pgPort the gateway's PostgreSQL wire protocol port, in [0, 65535]; 0 = none
   * @param security the gateway's authentication and TLS (default {@link GatewaySecurity#NONE}:
   *     embedded Ordo authenticates nothing unless given a credentials file)
   * @param kafkaProperties extra Kafka client properties for the external Kafka (a secured
   *     cluster's {@code security.protocol}, {@code sasl.*}, {@code ssl.*}), given to every Kafka
   *     client of the executor and the gateway; only with {@code bootstrapServers} (the embedded
   *     broker speaks plain text); see {@link KafkaClientSettings} for what is refused
   * @throws IllegalArgumentException (from the constructor) naming the first value out of range
   */
  public record Options(
      Path dataDir,
      Optional<String> bootstrapServers,
      int kafkaPort,
      int grpcPort,
      int httpPort,
      OptionalInt keyRangeCount,
      OptionalInt parallelism,
      OptionalLong checkpointIntervalMs,
      LatencyKnobs latency,
      int metricsPort,
      int executorMetricsPort,
      int pgPort,
      // Authentication and TLS of the gateway.
      GatewaySecurity security,
      // Client properties of the external Kafka (security).
      SortedMap<String, String> kafkaProperties) {

    /** A metrics port value that means "none". */
    public static final int NO_METRICS_PORT = -1;

    /** Default port of the embedded Kafka broker. */
    public static final int DEFAULT_KAFKA_PORT = 9092;

    /** Default gRPC port of the gateway. */
    public static final int DEFAULT_GRPC_PORT = 6570;

    /** Default REST/JSON port of the gateway. */
    public static final int DEFAULT_HTTP_PORT = 6580;

    /** Default PostgreSQL port of the gateway. */
    public static final int DEFAULT_PG_PORT = GatewayConfig.DEFAULT_PG_PORT;

    /** Options without Kafka client properties (the components before they were added). */
    public Options(
        Path dataDir,
        Optional<String> bootstrapServers,
        int kafkaPort,
        int grpcPort,
        int httpPort,
        OptionalInt keyRangeCount,
        OptionalInt parallelism,
        OptionalLong checkpointIntervalMs,
        LatencyKnobs latency,
        int metricsPort,
        int executorMetricsPort,
        int pgPort,
        GatewaySecurity security) {
      this(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount, parallelism,
          checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort, security,
          new TreeMap<>());
    }

    /** Options without authentication or TLS (the components before security was added). */
    public Options(
        Path dataDir,
        Optional<String> bootstrapServers,
        int kafkaPort,
        int grpcPort,
        int httpPort,
        OptionalInt keyRangeCount,
        OptionalInt parallelism,
        OptionalLong checkpointIntervalMs,
        LatencyKnobs latency,
        int metricsPort,
        int executorMetricsPort,
        int pgPort) {
      this(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount, parallelism,
          checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort,
          GatewaySecurity.NONE);
    }

    /** Options with the default PostgreSQL port (the components before pgPort was added). */
    public Options(
        Path dataDir,
        Optional<String> bootstrapServers,
        int kafkaPort,
        int grpcPort,
        int httpPort,
        OptionalInt keyRangeCount,
        OptionalInt parallelism,
        OptionalLong checkpointIntervalMs,
        LatencyKnobs latency,
        int metricsPort,
        int executorMetricsPort) {
      this(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount, parallelism,
          checkpointIntervalMs, latency, metricsPort, executorMetricsPort, DEFAULT_PG_PORT);
    }

    /** Validates every value; see the class comment. */
    public Options {
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(bootstrapServers, "bootstrapServers");
      Objects.requireNonNull(keyRangeCount, "keyRangeCount");
      Objects.requireNonNull(parallelism, "parallelism");
      Objects.requireNonNull(checkpointIntervalMs, "checkpointIntervalMs");
      Objects.requireNonNull(latency, "latency");
      Objects.requireNonNull(security, "security");
      Objects.requireNonNull(kafkaProperties, "kafkaProperties");
      if (bootstrapServers.isPresent() && bootstrapServers.get().isBlank()) {
        throw new IllegalArgumentException("bootstrap servers must not be blank");
      }
      if (!kafkaProperties.isEmpty() && bootstrapServers.isEmpty()) {
        throw new IllegalArgumentException(
            "Kafka client properties (--kafka-config, --kafka-property) are for an external Kafka:"
                + " give its --bootstrap-servers too (the embedded broker speaks plain text"
                + " without authentication)");
      }
      // Validates the properties (sizes, names Ordo sets itself) before anything starts.
      kafkaProperties =
          bootstrapServers.isPresent()
              ? new KafkaClientSettings(bootstrapServers.get(), kafkaProperties).properties()
              : Collections.unmodifiableSortedMap(new TreeMap<>(kafkaProperties));
      checkPort("kafka port", kafkaPort);
      checkPort("gRPC port", grpcPort);
      checkPort("HTTP port", httpPort);
      if (pgPort != GatewayConfig.ANY_FREE_PG_PORT) {
        checkPort("PostgreSQL port", pgPort);
      }
      if (metricsPort != NO_METRICS_PORT) {
        checkPort("metrics port", metricsPort);
      }
      if (executorMetricsPort != NO_METRICS_PORT
          && (executorMetricsPort < 1 || executorMetricsPort > 65_535)) {
        throw new IllegalArgumentException(
            "executor metrics port must be in [1, 65535], got " + executorMetricsPort);
      }
      if (keyRangeCount.isPresent() && keyRangeCount.getAsInt() < 1) {
        throw new IllegalArgumentException(
            "key range count must be >= 1, got " + keyRangeCount.getAsInt());
      }
      if (parallelism.isPresent() && parallelism.getAsInt() < 1) {
        throw new IllegalArgumentException(
            "parallelism must be >= 1, got " + parallelism.getAsInt());
      }
      if (checkpointIntervalMs.isPresent() && checkpointIntervalMs.getAsLong() < 1) {
        throw new IllegalArgumentException(
            "checkpoint interval must be >= 1 ms, got " + checkpointIntervalMs.getAsLong());
      }
    }

    /**
     * The defaults on {@code dataDir}: embedded broker on 9092, gateway on 6570 and 6580,
     * PostgreSQL on 6566.
     */
    public static Options defaults(Path dataDir) {
      return new Options(
          dataDir,
          Optional.empty(),
          DEFAULT_KAFKA_PORT,
          DEFAULT_GRPC_PORT,
          DEFAULT_HTTP_PORT,
          OptionalInt.empty(),
          OptionalInt.empty(),
          OptionalLong.empty(),
          LatencyKnobs.DEFAULTS,
          NO_METRICS_PORT,
          NO_METRICS_PORT,
          DEFAULT_PG_PORT,
          GatewaySecurity.NONE,
          new TreeMap<>());
    }

    /**
     * The external Kafka's client settings (servers and client properties), or empty when the
     * embedded broker is to be started.
     */
    public Optional<KafkaClientSettings> kafka() {
      return bootstrapServers.map(servers -> new KafkaClientSettings(servers, kafkaProperties));
    }

    /** As a record's, with the Kafka client properties' secret values hidden. */
    @Override
    public String toString() {
      SortedMap<String, String> shown = new TreeMap<>();
      kafkaProperties.forEach((k, v) -> shown.put(k, KafkaClientSettings.redact(k, v)));
      return "Options[dataDir=" + dataDir + ", bootstrapServers=" + bootstrapServers
          + ", kafkaPort=" + kafkaPort + ", grpcPort=" + grpcPort + ", httpPort=" + httpPort
          + ", keyRangeCount=" + keyRangeCount + ", parallelism=" + parallelism
          + ", checkpointIntervalMs=" + checkpointIntervalMs + ", latency=" + latency
          + ", metricsPort=" + metricsPort + ", executorMetricsPort=" + executorMetricsPort
          + ", pgPort=" + pgPort + ", security=" + security + ", kafkaProperties=" + shown + "]";
    }

    /**
     * These options using the external Kafka {@code kafka} (servers and client properties).
     */
    public Options withKafka(KafkaClientSettings kafka) {
      return new Options(dataDir, Optional.of(kafka.bootstrapServers()), kafkaPort, grpcPort,
          httpPort, keyRangeCount, parallelism, checkpointIntervalMs, latency, metricsPort,
          executorMetricsPort, pgPort, security, kafka.properties());
    }

    /**
     * These options with every port 0 (free ports), for tests and the demo; no PostgreSQL port
     * (its 0 means none), so that several can run on one host.
     */
    public Options withFreePorts() {
      return new Options(dataDir, bootstrapServers, 0, 0, 0, keyRangeCount, parallelism,
          checkpointIntervalMs, latency, metricsPort, executorMetricsPort, 0, security, kafkaProperties);
    }

    /**
     * These options with another PostgreSQL port (0 = none, {@link
     * GatewayConfig#ANY_FREE_PG_PORT} = a free one, see {@link EmbeddedOrdo#pgPort()}).
     */
    public Options withPgPort(int pgPort) {
      return new Options(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount,
          parallelism, checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort, security, kafkaProperties);
    }

    /** These options with the given ports. */
    public Options withPorts(int kafkaPort, int grpcPort, int httpPort) {
      return new Options(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount,
          parallelism, checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort, security, kafkaProperties);
    }

    /** These options using an external Kafka (empty = start the embedded broker). */
    public Options withBootstrapServers(Optional<String> servers) {
      return new Options(dataDir, servers, kafkaPort, grpcPort, httpPort, keyRangeCount,
          parallelism, checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort, security, kafkaProperties);
    }

    /** These options with executor settings (empty = the executor's default). */
    public Options withExecutor(
        OptionalInt keyRangeCount, OptionalInt parallelism, OptionalLong checkpointIntervalMs) {
      return new Options(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount,
          parallelism, checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort, security, kafkaProperties);
    }

    /** These options with other latency knobs. */
    public Options withLatency(LatencyKnobs knobs) {
      return new Options(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount,
          parallelism, checkpointIntervalMs, knobs, metricsPort, executorMetricsPort, pgPort, security, kafkaProperties);
    }

    /**
     * These options with metrics ports: the gateway's own {@code /metrics} port and the executor's
     * Prometheus reporter port ({@value #NO_METRICS_PORT} = none).
     */
    public Options withMetricsPorts(int metricsPort, int executorMetricsPort) {
      return new Options(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount,
          parallelism, checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort, security, kafkaProperties);
    }

    /** These options with the gateway's authentication and TLS. */
    public Options withSecurity(GatewaySecurity security) {
      return new Options(dataDir, bootstrapServers, kafkaPort, grpcPort, httpPort, keyRangeCount,
          parallelism, checkpointIntervalMs, latency, metricsPort, executorMetricsPort, pgPort,
          security, kafkaProperties);
    }

    private static void checkPort(String name, int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException(name + " must be in [0, 65535], got " + port);
      }
    }
  }

  private EmbeddedOrdo(
      Options options,
      Path dataDir,
      TopicLayout topics,
      EmbeddedKafkaBroker broker,
      KafkaClientSettings kafka,
      EmbeddedExecutor executor,
      GatewayServer gateway,
      ViewSupervisor views) {
    this.views = views;
    this.options = options;
    this.dataDir = dataDir;
    this.topics = topics;
    this.broker = broker;
    this.kafka = kafka;
    this.executor = executor;
    this.gateway = gateway;
  }

  /**
   * Starts broker (unless {@code options.bootstrapServers()} is set), topics, executor and gateway,
   * in that order. Returns once the gateway listens and the executor job is RUNNING; a restored
   * job may still be replaying the log, which the first transactions wait for.
   *
   * @throws Exception if a part fails to start; the parts already started are closed first
   */
  public static EmbeddedOrdo start(Options options) throws Exception {
    Objects.requireNonNull(options, "options");
    Path dataDir = options.dataDir().toAbsolutePath().normalize();
    Files.createDirectories(dataDir);
    TopicLayout topics = TopicLayout.defaults();
    EmbeddedKafkaBroker broker = null;
    EmbeddedExecutor executor = null;
    try {
      KafkaClientSettings kafka;
      if (options.kafka().isPresent()) {
        kafka = options.kafka().get();
        // toString redacts secrets.
        LOG.info("Using Kafka at {}", kafka);
      } else {
        // The broker keeps its log in <dataDir>/kafka (it appends "kafka" itself).
        broker = EmbeddedKafkaBroker.start(dataDir, options.kafkaPort());
        kafka = KafkaClientSettings.of(broker.bootstrapServers());
        LOG.info("Embedded Kafka broker listens on {}", kafka.bootstrapServers());
      }
      // The first contact: a cluster that refuses the client settings fails here, within
      // TOPICS_TIMEOUT, with a message naming authentication.
      LogTopics.ensure(kafka, topics, TOPICS_TIMEOUT);

      ExecutorConfig executorConfig =
          ExecutorConfig.defaults(kafka, topics)
              .withCheckpointDir(dataDir.resolve("checkpoints").toString());
      if (options.keyRangeCount().isPresent()) {
        executorConfig = executorConfig.withKeyRangeCount(options.keyRangeCount().getAsInt());
      }
      executorConfig = executorConfig.withParallelism(
          options.parallelism().orElse(defaultParallelism(Runtime.getRuntime().availableProcessors())));
      if (options.checkpointIntervalMs().isPresent()) {
        executorConfig =
            executorConfig.withCheckpointIntervalMs(options.checkpointIntervalMs().getAsLong());
      }
      if (options.latency().watermarkIntervalMs().isPresent()) {
        executorConfig = executorConfig.withWatermarkIntervalMs(options.latency().watermarkIntervalMs().getAsLong());
      }
      if (options.latency().bufferTimeoutMs().isPresent()) {
        executorConfig = executorConfig.withBufferTimeoutMs(options.latency().bufferTimeoutMs().getAsLong());
      }
      executor =
          EmbeddedExecutor.start(
              executorConfig,
              options.executorMetricsPort() == Options.NO_METRICS_PORT
                  ? EmbeddedExecutor.NO_METRICS_PORT
                  : options.executorMetricsPort());
      LOG.info("Executor job {} started ({})", executor.jobId(),
          executor.restoredFrom()
              .map(c -> "restored from " + c)
              .orElse("no checkpoint to restore"));

      GatewayServer gateway =
          GatewayServer.start(
              GatewayConfig.defaults(kafka, topics)
                  .withHeartbeatIntervalMs(options.latency().heartbeatIntervalMs()
                      .orElse(GatewayConfig.DEFAULT_HEARTBEAT_INTERVAL_MS))
                  .withPorts(options.grpcPort(), options.httpPort())
                  .withPgPort(options.pgPort())
                  // The gateway plans SQL per key range: it must know the executor's count.
                  .withKeyRangeCount(executorConfig.keyRangeCount())
                  .withMetricsPort(
                      options.metricsPort() == Options.NO_METRICS_PORT
                          ? GatewayConfig.NO_METRICS_PORT
                          : options.metricsPort())
                  .withDataDir(dataDir.resolve(GATEWAY_STORE_DIR))
                  .withSecurity(options.security()));
      LOG.info("Gateway listens on gRPC port {} and HTTP port {}", gateway.grpcPort(),
          gateway.httpPort());
      ViewSupervisor views = null;
      if (options.security().credentials().isEmpty() && options.security().tls().isEmpty()) {
        try {
          views = ViewSupervisor.start("localhost:" + gateway.grpcPort(),
              dataDir.resolve(VIEW_CHECKPOINTS_DIR), ViewSupervisor.DEFAULT_CHECKPOINT_INTERVAL_MS,
              VIEWS_MAX);
        } catch (Exception | Error e) {
          closeQuietly("gateway", gateway, e);
          throw e;
        }
      } else {
        LOG.warn("Materialized views are not maintained: their jobs cannot reach a gateway with"
            + " authentication or TLS yet");
      }
      return new EmbeddedOrdo(options, dataDir, topics, broker, kafka, executor, gateway, views);
    } catch (Exception | Error e) {
      closeQuietly("executor", executor, e);
      closeQuietly("Kafka broker", broker, e);
      throw e;
    }
  }

  /**
   * The executor's parallelism when none is given: one subtask per two cores, at least 1 and at
   * most the executor's default ({@value ExecutorConfig#DEFAULT_PARALLELISM}). An embedded Ordo
   * shares its machine with the broker, the gateway and the clients: on two cores, parallelism 1
   * committed 41 % more transfers than 2 at the same CPU (fewer Kafka clients and threads;
   * BENCHMARKS.md "Latency knobs"). Parallelism changes no output (outputs are deterministic per
   * key range).
   *
   * @param cores available processors (>= 1)
   */
  public static int defaultParallelism(int cores) {
    return Math.max(1, Math.min(ExecutorConfig.DEFAULT_PARALLELISM, cores / 2));
  }

  /** The options this was started with. */
  public Options options() {
    return options;
  }

  /** The absolute data directory. */
  public Path dataDir() {
    return dataDir;
  }

  /** The topics used. */
  public TopicLayout topics() {
    return topics;
  }

  /** The Kafka bootstrap servers in use (the embedded broker's or the external ones). */
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /**
   * The Kafka client settings in use: the external Kafka's servers and client properties, or the
   * embedded broker's address without any.
   */
  public KafkaClientSettings kafka() {
    return kafka;
  }

  /** True iff this process runs the Kafka broker (no external bootstrap servers were given). */
  public boolean embeddedKafka() {
    return broker != null;
  }

  /** The directory of the executor's checkpoints. */
  public Path checkpointDir() {
    return dataDir.resolve("checkpoints");
  }

  /** The executor job's id, as text. */
  public String executorJobId() {
    return executor.jobId();
  }

  /** The checkpoint the executor restored from, or empty when it started fresh. */
  public Optional<String> executorRestoredFrom() {
    return executor.restoredFrom();
  }

  /** The supervisor of materialized views' jobs, when views are maintained. */
  public Optional<ViewSupervisor> views() {
    return Optional.ofNullable(views);
  }

  /** The gateway's actual gRPC port. */
  public int grpcPort() {
    return gateway.grpcPort();
  }

  /** The gateway's actual REST/JSON port. */
  public int httpPort() {
    return gateway.httpPort();
  }

  /** The gateway's PostgreSQL port, when it serves one (see {@link GatewayServer#pgPort()}). */
  public java.util.OptionalInt pgPort() {
    return gateway.pgPort();
  }

  /** The gateway's SQL engine, for sessions in this process. */
  public io.ordo.sql.SqlEngine sqlEngine() {
    return gateway.sqlEngine();
  }

  /** The gateway's metrics (see {@link GatewayServer#meterRegistry()}). */
  public io.micrometer.core.instrument.MeterRegistry gatewayMeters() {
    return gateway.meterRegistry();
  }

  /** The port of the gateway's {@code GET /metrics} of its own, if one was asked for. */
  public java.util.OptionalInt metricsPort() {
    return gateway.metricsPort();
  }

  /** A gRPC target for this gateway, {@code localhost:<grpcPort>}. */
  public String grpcTarget() {
    return "localhost:" + grpcPort();
  }

  /**
   * Waits until the gateway reports SERVING (its log producer and results listener are up), see
   * {@link HealthProbe#awaitServing}.
   *
   * @throws IllegalStateException if it does not within {@code timeout}
   * @throws InterruptedException if the calling thread is interrupted
   */
  public HealthResponse awaitServing(Duration timeout) throws InterruptedException {
    // With TLS the gRPC port speaks TLS only, and its certificate need not name this host's
    // address: probe the same services in-process (Health needs no token).
    ManagedChannel channel =
        options.security().tls().isPresent()
            ? gateway.newInProcessChannel()
            : ManagedChannelBuilder.forTarget(grpcTarget()).usePlaintext().build();
    try {
      return HealthProbe.awaitServing(channel, timeout);
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Stops gateway, executor (its checkpoints are retained) and broker, in that order. Every part
   * is closed even if an earlier one fails; the first failure is then thrown with the others
   * suppressed. Idempotent.
   *
   * @throws IllegalStateException if a part failed to close
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    IllegalStateException failure = new IllegalStateException("closing embedded Ordo failed");
    closeQuietly("view supervisor", views, failure);
    closeQuietly("gateway", gateway, failure);
    closeQuietly("executor", executor, failure);
    closeQuietly("Kafka broker", broker, failure);
    if (failure.getSuppressed().length > 0) {
      throw failure;
    }
    LOG.info("Embedded Ordo stopped");
  }

  private static void closeQuietly(String what, AutoCloseable part, Throwable collector) {
    if (part == null) {
      return;
    }
    try {
      part.close();
    } catch (Exception e) {
      LOG.warn("Closing the {} failed", what, e);
      collector.addSuppressed(e);
    }
  }
}
