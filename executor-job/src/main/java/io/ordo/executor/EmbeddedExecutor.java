package io.ordo.executor;

import io.ordo.sequencer.LogTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the executor job on an in-process Flink MiniCluster (embedded mode and tests). Callers
 * outside this module use this class instead of Flink APIs, which keeps the gateway free of Flink
 * imports.
 *
 * <p>Recovery: when {@link ExecutorConfig#checkpointDir()} is set and holds a retained checkpoint
 * (layout {@code <dir>/<jobId>/chk-<n>/_metadata}), the job restores from the newest one, so the
 * log is read on from the checkpointed offsets with the checkpointed state. Older job directories
 * are removed at that point (only the restored one is still needed). Without a checkpoint the job
 * starts fresh and reads the log from its start, which recomputes the same state (replay is
 * recovery).
 *
 * <p>Metrics: with a metrics port ({@link #start(ExecutorConfig, int)}) the MiniCluster runs
 * Flink's Prometheus reporter there ({@value #PROMETHEUS_FACTORY}), so the operators' metrics
 * (docs/metrics.md, group {@code ordo}) and Flink's own are served as Prometheus text on {@code
 * http://<host>:<port>/metrics}, as a cluster with the same reporter configured serves them.
 */
public final class EmbeddedExecutor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedExecutor.class);
  private static final long RUNNING_WAIT_MS = 120_000;

  /** The factory of Flink's Prometheus reporter (flink-metrics-prometheus). */
  public static final String PROMETHEUS_FACTORY =
      "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  /** The metrics port that means "no metrics reporter". */
  public static final int NO_METRICS_PORT = -1;

  private final JobClient client;
  private final Optional<String> restoredFrom;

  private EmbeddedExecutor(JobClient client, Optional<String> restoredFrom) {
    this.client = client;
    this.restoredFrom = restoredFrom;
  }

  /**
   * Submits the job and waits (at most 120 s) until it is RUNNING.
   *
   * @throws IllegalStateException if the job fails or does not reach RUNNING in time
   */
  public static EmbeddedExecutor start(ExecutorConfig config) throws Exception {
    return start(config, NO_METRICS_PORT);
  }

  /**
   * Submits the job with Flink's Prometheus reporter on {@code metricsPort} ({@link
   * #NO_METRICS_PORT}: none) and waits (at most 120 s) until it is RUNNING.
   *
   * @throws IllegalStateException if the job fails or does not reach RUNNING in time, or if the
   *     feedback topic is missing or deletes records ({@link LogTopics#requireFeedbackRetention})
   * @throws IllegalArgumentException if metricsPort is not a port (1..65535) or NO_METRICS_PORT
   */
  public static EmbeddedExecutor start(ExecutorConfig config, int metricsPort) throws Exception {
    if (metricsPort != NO_METRICS_PORT && (metricsPort < 1 || metricsPort > 65_535)) {
      throw new IllegalArgumentException("metricsPort must be in [1, 65535], got " + metricsPort);
    }
    // As ExecutorJob.main checks before a submission: a feedback topic that deletes records
    // would leave a restored job's multi-range transactions holding their locks forever.
    LogTopics.requireFeedbackRetention(config.bootstrapServers(), config.topics(), ExecutorJob.TOPICS_TIMEOUT);
    Configuration conf = ExecutorJob.flinkConfiguration(config);
    if (metricsPort != NO_METRICS_PORT) {
      prometheusReporter(conf, metricsPort);
    }
    Optional<Path> restore = Optional.empty();
    if (config.checkpointDir() != null) {
      Path dir = Path.of(stripFileScheme(config.checkpointDir()));
      Files.createDirectories(dir);
      restore = latestCheckpoint(dir);
      if (restore.isPresent()) {
        // restore = <dir>/<jobId>/chk-<n>: keep that job's directory, drop older jobs'.
        pruneOtherJobs(dir, restore.get().getParent());
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, restore.get().toString());
      }
      conf.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
    }
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, config.parallelism());
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("256m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("64m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("64m"));
    // The embedded cluster needs no web UI; port 0 avoids clashes between instances.
    conf.set(RestOptions.BIND_PORT, "0");

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(config.parallelism());
    ExecutorJob.build(env, config);
    JobClient client = env.executeAsync(ExecutorJobConstants.JOB_NAME);
    EmbeddedExecutor executor = new EmbeddedExecutor(client, restore.map(Path::toString));
    executor.awaitRunning();
    LOG.info("executor job {} running{}", client.getJobID(), restore.map(p -> ", restored from " + p).orElse(""));
    return executor;
  }

  /**
   * Configures Flink's Prometheus reporter ("prom") on {@code port}: the same two lines a
   * cluster's config.yaml needs ({@code metrics.reporter.prom.factory.class}, {@code
   * metrics.reporter.prom.port}).
   */
  static void prometheusReporter(Configuration conf, int port) {
    conf.setString("metrics.reporter.prom.factory.class", PROMETHEUS_FACTORY);
    conf.setString("metrics.reporter.prom.port", Integer.toString(port));
  }

  private void awaitRunning() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUNNING_WAIT_MS);
    while (System.nanoTime() < deadline) {
      JobStatus status = client.getJobStatus().get(10, TimeUnit.SECONDS);
      if (status == JobStatus.RUNNING) {
        return;
      }
      if (status.isGloballyTerminalState()) {
        Throwable failure = awaitEnd(java.time.Duration.ofSeconds(10)).orElse(null);
        throw new IllegalStateException(
            "executor job ended during start with status " + status
                + (failure == null ? "" : ": " + org.apache.flink.util.ExceptionUtils.stringifyException(failure)),
            failure);
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("executor job not RUNNING after " + RUNNING_WAIT_MS + " ms");
  }

  /**
   * Waits until the job has ended (at most {@code timeout}) and returns why it failed, or empty
   * when it finished or was cancelled.
   *
   * @throws java.util.concurrent.TimeoutException if it is still running after {@code timeout}
   */
  public Optional<Throwable> awaitEnd(java.time.Duration timeout) throws Exception {
    try {
      client.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (java.util.concurrent.ExecutionException e) {
      boolean cancelled =
          org.apache.flink.util.ExceptionUtils.findThrowable(
                  e, org.apache.flink.runtime.client.JobCancellationException.class)
              .isPresent();
      return cancelled ? Optional.empty() : Optional.of(e.getCause());
    }
  }

  /** The Flink job id (hex). */
  public String jobId() {
    return client.getJobID().toHexString();
  }

  /** The checkpoint this run restored from, if any. */
  public Optional<String> restoredFrom() {
    return restoredFrom;
  }

  /** The job's status now (e.g. "RUNNING", "FAILED"). */
  public String status() {
    try {
      return client.getJobStatus().get(10, TimeUnit.SECONDS).name();
    } catch (Exception e) {
      return "UNKNOWN";
    }
  }

  /** Cancels the job (its latest checkpoint is retained) and waits for the MiniCluster to stop. */
  @Override
  public void close() {
    try {
      client.cancel().get(60, TimeUnit.SECONDS);
      client.getJobExecutionResult().handle((r, e) -> null).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("executor job {} did not cancel cleanly: {}", jobId(), e.toString());
    }
  }

  /** The newest retained checkpoint under {@code dir}, by modification time of its metadata. */
  public static Optional<Path> latestCheckpoint(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> jobs = Files.list(dir)) {
      List<Path> metadata =
          jobs.filter(Files::isDirectory)
              .flatMap(EmbeddedExecutor::listQuietly)
              .filter(p -> p.getFileName().toString().startsWith("chk-"))
              .map(p -> p.resolve("_metadata"))
              .filter(Files::isRegularFile)
              .toList();
      return metadata.stream()
          .max(Comparator.comparingLong(EmbeddedExecutor::modifiedMillis).thenComparing(Path::toString))
          .map(Path::getParent);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints under " + dir, e);
    }
  }

  private static Stream<Path> listQuietly(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList().stream();
    } catch (IOException e) {
      return Stream.empty();
    }
  }

  private static long modifiedMillis(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  private static void pruneOtherJobs(Path dir, Path keep) throws IOException {
    try (Stream<Path> jobs = Files.list(dir)) {
      for (Path job : jobs.filter(Files::isDirectory).filter(p -> !p.equals(keep)).toList()) {
        deleteRecursively(job);
      }
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String stripFileScheme(String pathOrUri) {
    return pathOrUri.startsWith("file://") ? pathOrUri.substring("file://".length()) : pathOrUri;
  }
}
