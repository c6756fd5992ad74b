package io.ordo.launcher.cli;

import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.GatewayServer;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.TopicLayout;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo gateway}: runs only the gateway (gRPC + REST/JSON, sequencer client, heartbeats)
 * against an existing Kafka, for cluster deployments where the executor job runs on a Flink
 * cluster ({@code flink run}). Gateways keep no state of their own, so any number can run side
 * by side; each keeps a local store in {@code --data-dir} (default {@value #DEFAULT_DATA_DIR},
 * relative to the working directory), a cache of the changelog topic for stream reads that is
 * rebuilt from the topic when deleted. Two gateways on one host need two directories.
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Run a stateless gateway (gRPC + REST/JSON) against an existing Kafka; the executor job runs"
          + " elsewhere (flink run). Stops on Ctrl-C."
    })
public final class GatewayCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = "--bootstrap-servers",
      required = true,
      paramLabel = "HOST:PORT[,...]",
      description = "Kafka bootstrap servers.")
  String bootstrapServers;

  @Mixin KafkaClientOptions kafkaClient = new KafkaClientOptions();

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Prefix of Ordo's topics.")
  String topicPrefix = "ordo";

  @Option(
      names = "--replication-factor",
      paramLabel = "N",
      description =
          "Replicas of each topic this gateway creates (the log, results, changelog and feedback"
              + " topics and the streams' ingest topics); above 1 the topics also get"
              + " min.insync.replicas=2. Topics that exist are left as they are.")
  short replicationFactor = 1;

  @Option(names = "--bind-address", paramLabel = "ADDRESS", description = "Address to listen on.")
  String bindAddress = "127.0.0.1";

  @Option(names = "--grpc-port", paramLabel = "PORT", description = "gRPC port (0 = a free port).")
  int grpcPort = EmbeddedOrdo.Options.DEFAULT_GRPC_PORT;

  @Option(names = "--http-port", paramLabel = "PORT", description = "REST/JSON port (0 = a free port).")
  int httpPort = EmbeddedOrdo.Options.DEFAULT_HTTP_PORT;

  @Option(
      names = "--pg-port",
      paramLabel = "PORT",
      description = "PostgreSQL wire protocol port (psql, JDBC; 0 = none).")
  int pgPort = GatewayConfig.DEFAULT_PG_PORT;

  @Option(
      names = "--key-ranges",
      paramLabel = "N",
      description =
          "Number of key ranges of the executor job; must equal the executor job's (SQL plans"
              + " statements per key range).")
  int keyRanges = KeyRanges.DEFAULT_KEY_RANGE_COUNT;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description =
          "Also serve GET /metrics (Prometheus text) on this port, alone (0 = a free port). It is"
              + " always served on the HTTP port too.")
  Integer metricsPort;

  /** Default of {@code --data-dir}. */
  static final String DEFAULT_DATA_DIR = "ordo-data/gateway-store";

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Directory of the gateway's local store (the changelog materialized for stream reads;"
              + " rebuilt from Kafka when deleted). One directory per gateway.")
  Path dataDir = Path.of(DEFAULT_DATA_DIR);

  @Option(
      names = "--no-ingest",
      description =
          "Run no Kafka ingest bridges on this gateway (other gateways of the deployment do).")
  boolean noIngest;

  @Option(
      names = "--heartbeat-interval-ms",
      paramLabel = "MS",
      description =
          "How often this gateway appends a heartbeat to each log partition without transactions,"
              + " in ms (the executor's latency floor; each heartbeat is a replicated append);"
              + " 0 = none: only for a gateway beside another that heartbeats, since transactions"
              + " wait for every partition to move.")
  long heartbeatIntervalMs = GatewayConfig.DEFAULT_HEARTBEAT_INTERVAL_MS;

  @Mixin SecurityOptions securityOptions = new SecurityOptions();

  @Option(
      names = "--shutdown-timeout",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long a clean shutdown may take after Ctrl-C.")
  Duration shutdownTimeout;

  /** The gateway configuration the options describe. @throws ParameterException naming the bad option */
  GatewayConfig config() {
    if (shutdownTimeout.isZero() || shutdownTimeout.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--shutdown-timeout must be positive");
    }
    try {
      return GatewayConfig.defaults(
              kafkaClient.settings(bootstrapServers).orElseThrow(),
              TopicLayout.withPrefix(topicPrefix).withReplicationFactor(replicationFactor))
          .withBindAddress(bindAddress)
          .withPorts(grpcPort, httpPort)
          .withPgPort(pgPort)
          .withKeyRangeCount(keyRanges)
          .withDataDir(dataDir)
          .withIngest(!noIngest)
          .withHeartbeatIntervalMs(heartbeatIntervalMs)
          .withMetricsPort(metricsPort == null ? GatewayConfig.NO_METRICS_PORT : metricsPort);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** {@code ", security.protocol=X"} when the client properties set one, else nothing. */
  private static String securityNote(GatewayConfig config) {
    String protocol = config.kafka().properties().get("security.protocol");
    return protocol == null ? "" : ", security.protocol=" + protocol;
  }

  @Override
  public Integer call() throws Exception {
    GatewayConfig config;
    try {
      // The credentials and certificate files are read here, when the gateway starts.
      config = config().withSecurity(securityOptions.security());
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    GatewayServer server = GatewayServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    StartCommand.closeWithin(server, shutdownTimeout);
                  } finally {
                    stopped.countDown();
                  }
                },
                "ordo-gateway-shutdown"));
    out.println("Gateway for Kafka " + bootstrapServers + securityNote(config)
        + " (topics " + topicPrefix + "-*)");
    out.println("  gRPC      " + bindAddress + ":" + server.grpcPort());
    String scheme = config.security().tls().isPresent() ? "https" : "http";
    out.println("  HTTP      " + scheme + "://" + bindAddress + ":" + server.httpPort() + "/v1/health");
    if (server.pgPort().isPresent()) {
      out.println("  SQL       postgresql://" + bindAddress + ":" + server.pgPort().getAsInt());
    }
    out.println("  auth      " + (config.security().authOn() ? "on" : "off")
        + ", TLS " + (config.security().tls().isPresent() ? "on" : "off"));
    out.println("  metrics   " + scheme + "://" + bindAddress + ":"
        + server.metricsPort().orElse(server.httpPort()) + "/metrics");
    out.println("Press Ctrl-C to stop.");
    out.flush();
    LOG.info("gateway serving gRPC on {} and HTTP on {}", server.grpcPort(), server.httpPort());
    stopped.await();
    return OrdoCli.EXIT_OK;
  }
}
