package io.ordo.launcher.cli;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo start}: runs Ordo embedded (Kafka broker, executor job on a Flink MiniCluster,
 * gateway) until Ctrl-C, then closes the parts in reverse order within {@code --shutdown-timeout}.
 * Restarting on the same {@code --data-dir} recovers all committed state.
 */
@Command(
    name = "start",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Run Ordo embedded: a Kafka broker, the executor job on a Flink MiniCluster and the gateway"
          + " (gRPC + REST/JSON), with all data under --data-dir, until Ctrl-C.",
      "Restarting on the same --data-dir recovers all committed state."
    })
public final class StartCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(StartCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Directory of all data.")
  Path dataDir = Path.of("data");

  @Option(
      names = "--kafka-port",
      paramLabel = "PORT",
      description = "Port of the embedded Kafka broker (0 = a free port).")
  int kafkaPort = EmbeddedOrdo.Options.DEFAULT_KAFKA_PORT;

  @Option(names = "--grpc-port", paramLabel = "PORT", description = "gRPC port (0 = a free port).")
  int grpcPort = EmbeddedOrdo.Options.DEFAULT_GRPC_PORT;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "REST/JSON port (0 = a free port).")
  int httpPort = EmbeddedOrdo.Options.DEFAULT_HTTP_PORT;

  @Option(
      names = "--pg-port",
      paramLabel = "PORT",
      description = "PostgreSQL wire protocol port of the gateway (psql, JDBC; 0 = none).")
  int pgPort = EmbeddedOrdo.Options.DEFAULT_PG_PORT;

  @Mixin SecurityOptions securityOptions = new SecurityOptions();

  @Mixin ExecutorOptions executorOptions;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description =
          "Also serve the gateway's GET /metrics (Prometheus text) on this port, alone (0 = a free"
              + " port). It is always served on the HTTP port too.")
  Integer metricsPort;

  @Option(
      names = "--executor-metrics-port",
      paramLabel = "PORT",
      description =
          "Run Flink's Prometheus reporter in the embedded executor on this port: the operators'"
              + " metrics (transactions/s per key range, lock queues, ...) and Flink's, on /metrics.")
  Integer executorMetricsPort;

  @Option(
      names = "--ready-timeout",
      defaultValue = "120s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long to wait for the gateway to serve before warning (e.g. 120s, 2m).")
  Duration readyTimeout;

  @Option(
      names = "--shutdown-timeout",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long a clean shutdown may take after Ctrl-C.")
  Duration shutdownTimeout;

  @Override
  public Integer call() throws Exception {
    EmbeddedOrdo.Options options = options();
    PrintWriter out = spec.commandLine().getOut();
    out.println("Starting Ordo " + OrdoVersionProvider.ordoVersion() + " (data in "
        + options.dataDir().toAbsolutePath().normalize() + ") ...");
    out.flush();
    EmbeddedOrdo ordo = EmbeddedOrdo.start(options);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(() -> {
          try {
            out.println("Stopping Ordo (at most " + shutdownTimeout.toSeconds() + " s) ...");
            out.flush();
            if (closeWithin(ordo, shutdownTimeout)) {
              out.println("Stopped.");
            }
            out.flush();
          } finally {
            stopped.countDown();
          }
        }, "ordo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    printWhereItListens(out, ordo);
    try {
      ordo.awaitServing(readyTimeout);
      out.println("Ready. Press Ctrl-C to stop.");
    } catch (IllegalStateException e) {
      // Keep running: the executor may still catch up (e.g. replaying a long log).
      out.println("Warning: " + e.getMessage() + ". Still running; press Ctrl-C to stop.");
    }
    out.flush();
    // Park until the JVM shuts down (Ctrl-C, SIGTERM): its shutdown hooks run the one above, which
    // closes the parts in reverse order, and the JVM exits when the hooks are done.
    stopped.await();
    return OrdoCli.EXIT_OK;
  }

  private EmbeddedOrdo.Options options() {
    if (shutdownTimeout.isZero() || shutdownTimeout.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--shutdown-timeout must be positive");
    }
    if (readyTimeout.isZero() || readyTimeout.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--ready-timeout must be positive");
    }
    try {
      return executorOptions.applyTo(
          EmbeddedOrdo.Options.defaults(dataDir)
              .withPorts(kafkaPort, grpcPort, httpPort)
              .withPgPort(pgPort)
              .withMetricsPorts(
                  metricsPort == null ? EmbeddedOrdo.Options.NO_METRICS_PORT : metricsPort,
                  executorMetricsPort == null
                      ? EmbeddedOrdo.Options.NO_METRICS_PORT
                      : executorMetricsPort)
              .withSecurity(securityOptions.security()));
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  static void printWhereItListens(PrintWriter out, EmbeddedOrdo ordo) {
    String protocol = ordo.kafka().properties().get("security.protocol");
    out.println("  kafka     " + ordo.bootstrapServers()
        + (ordo.embeddedKafka()
            ? "  (embedded broker, log in " + ordo.dataDir().resolve("kafka") + ")"
            : "  (external" + (protocol == null ? "" : ", security.protocol=" + protocol) + ")"));
    out.println("  executor  job " + ordo.executorJobId() + " on a Flink MiniCluster, checkpoints"
        + " in " + ordo.checkpointDir() + ", "
        + ordo.executorRestoredFrom().map(c -> "restored from " + c)
            .orElse("started without a checkpoint"));
    out.println("  gRPC      " + ordo.grpcTarget());
    out.println("  HTTP      http://localhost:" + ordo.httpPort() + "/v1/health");
    if (ordo.pgPort().isPresent()) {
      out.println("  SQL       psql -h 127.0.0.1 -p " + ordo.pgPort().getAsInt() + ", or ordo sql --gateway "
          + ordo.grpcTarget());
    }
    out.println("  metrics   http://localhost:" + ordo.metricsPort().orElse(ordo.httpPort())
        + "/metrics"
        + (ordo.options().executorMetricsPort() == EmbeddedOrdo.Options.NO_METRICS_PORT
            ? ""
            : ", executor http://localhost:" + ordo.options().executorMetricsPort() + "/metrics"));
    out.flush();
  }

  /**
   * Closes {@code ordo} (or any part) on a separate thread and gives up waiting after {@code timeout}.
   *
   * @return true iff the close finished in time
   */
  static boolean closeWithin(AutoCloseable ordo, Duration timeout) {
    Thread closer = new Thread(() -> {
      try {
        ordo.close();
      } catch (Exception e) {
        LOG.warn("Shutdown was not clean", e);
      }
    }, "ordo-close");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closer.isAlive()) {
      LOG.warn("Shutdown did not finish within {} ms; exiting anyway", timeout.toMillis());
      return false;
    }
    return true;
  }
}
