package io.ordo.executor;

import io.ordo.sequencer.LogTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
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
 * <p>Checkpoints: the job runs on a MiniCluster of its own whose periodic checkpoint timer never
 * fires; a {@link CheckpointPacer} triggers a checkpoint every {@link
 * ExecutorConfig#checkpointIntervalMs()} while the log's end offsets move, one more when they
 * stop, and none while the log stands still — an idle embedded Ordo takes no checkpoints. A
 * restore replays about one interval of appends at most, as with periodic checkpoints.
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

  /**
   * The system property holding the tick of Pekko's scheduler, the timer behind Flink's RPC
   * delays and timeouts. Pekko's scheduler wakes once per tick whether or not anything is due.
   */
  public static final String PEKKO_TICK_PROPERTY = "pekko.scheduler.tick-duration";

  /**
   * The tick the embedded executor uses unless the JVM was started with {@link
   * #PEKKO_TICK_PROPERTY}: 100 ms instead of Pekko's 10 ms. A MiniCluster runs two actor systems
   * (RPC and metrics), so the default costs 200 wake-ups/s of an otherwise idle process — about 2.5 %
   * of a core measured here. Flink schedules only coarse work on it (RPC timeouts of seconds,
   * restart delays, slot requests); records and checkpoints never wait for it.
   */
  public static final String QUIET_PEKKO_TICK = "100ms";

  /**
   * The periodic interval given to Flink: longer than any run, so Flink's own timer never fires
   * and {@link CheckpointPacer} triggers every checkpoint. (Checkpointing itself must stay
   * enabled: the Kafka connectors and the retained checkpoints depend on it.)
   */
  static final Duration PERIODIC_CHECKPOINTS_OFF = Duration.ofDays(3_650);

  /** How long one read of the log's end offsets may take, in milliseconds. */
  static final long LIST_OFFSETS_TIMEOUT_MS = 10_000;

  private final MiniCluster cluster;
  private final JobID jobId;
  private final Optional<String> restoredFrom;
  private volatile CheckpointPacer pacer;

  private EmbeddedExecutor(MiniCluster cluster, JobID jobId, Optional<String> restoredFrom) {
    this.cluster = cluster;
    this.jobId = jobId;
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
    quietRpcTimers();
    // As ExecutorJob.main checks before a submission: a feedback topic that deletes records
    // would leave a restored job's multi-range transactions holding their locks forever.
    LogTopics.requireFeedbackRetention(config.kafka(), config.topics(), ExecutorJob.TOPICS_TIMEOUT);
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
      }
      conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
    }
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, config.parallelism());
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("256m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("64m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("64m"));
    // The embedded cluster needs no web UI; port 0 avoids clashes between instances.
    conf.set(RestOptions.BIND_PORT, "0");
    // Checkpoints are paced by the log's activity (CheckpointPacer), not by Flink's timer.
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, PERIODIC_CHECKPOINTS_OFF);

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(config.parallelism());
    ExecutorJob.build(env, config);
    StreamGraph graph = env.getStreamGraph();
    graph.setJobName(ExecutorJobConstants.JOB_NAME);
    if (restore.isPresent()) {
      graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(restore.get().toString(), false));
    }
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .withRandomPorts()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(config.parallelism())
                .build());
    EmbeddedExecutor executor;
    try {
      cluster.start();
      JobID jobId = cluster.submitJob(graph).get(RUNNING_WAIT_MS, TimeUnit.MILLISECONDS).getJobID();
      executor = new EmbeddedExecutor(cluster, jobId, restore.map(Path::toString));
      executor.awaitRunning();
    } catch (Exception | Error e) {
      closeQuietly(cluster);
      throw e;
    }
    executor.pacer = startPacer(config, cluster, executor.jobId);
    LOG.info("executor job {} running{}", executor.jobId, restore.map(p -> ", restored from " + p).orElse(""));
    return executor;
  }

  /**
   * Starts the pacer of the job's checkpoints: every checkpoint interval it reads the log's end
   * offsets (one ListOffsets request) and triggers a checkpoint only while they move.
   */
  private static CheckpointPacer startPacer(ExecutorConfig config, MiniCluster cluster, JobID jobId) {
    Properties props = config.kafka().apply(new Properties());
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "ordo-checkpoint-pacer");
    Admin admin = Admin.create(props);
    String logTopic = config.topics().logTopic();
    int partitions = config.topics().logPartitions();
    Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(logTopic, p), OffsetSpec.latest());
    }
    Supplier<List<Long>> logEnds =
        () -> {
          try {
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(request).all().get(LIST_OFFSETS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            List<Long> offsets = new ArrayList<>(partitions);
            for (TopicPartition tp : request.keySet()) {
              offsets.add(ends.get(tp).offset());
            }
            return offsets;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing the log's end offsets", e);
          } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot list the end offsets of '" + logTopic + "': " + e, e);
          }
        };
    return new CheckpointPacer(
            logEnds,
            () -> cluster.triggerCheckpoint(jobId, CheckpointType.CONFIGURED),
            () -> admin.close(Duration.ofSeconds(5)))
        .start(config.checkpointIntervalMs());
  }

  /**
   * Sets {@link #PEKKO_TICK_PROPERTY} to {@link #QUIET_PEKKO_TICK} unless it is set already (an
   * operator's {@code -D} wins). Flink's actor systems read Pekko's configuration with system
   * properties as overrides when they start, so this must run before the MiniCluster starts;
   * it changes nothing for actor systems already running.
   *
   * @return the tick in effect for actor systems started from now on
   */
  static String quietRpcTimers() {
    synchronized (System.getProperties()) {
      String current = System.getProperty(PEKKO_TICK_PROPERTY);
      if (current != null) {
        return current;
      }
      System.setProperty(PEKKO_TICK_PROPERTY, QUIET_PEKKO_TICK);
      return QUIET_PEKKO_TICK;
    }
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
      JobStatus status = cluster.getJobStatus(jobId).get(10, TimeUnit.SECONDS);
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
    org.apache.flink.runtime.jobmaster.JobResult result =
        cluster.requestJobResult(jobId).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (result.isSuccess()
        || result.getApplicationStatus() == org.apache.flink.runtime.clusterframework.ApplicationStatus.CANCELED) {
      return Optional.empty();
    }
    return result.getSerializedThrowable().map(t -> t.deserializeError(EmbeddedExecutor.class.getClassLoader()));
  }

  /** The Flink job id (hex). */
  public String jobId() {
    return jobId.toHexString();
  }

  /** The checkpoint this run restored from, if any. */
  public Optional<String> restoredFrom() {
    return restoredFrom;
  }

  /** The job's status now (e.g. "RUNNING", "FAILED"). */
  public String status() {
    try {
      return cluster.getJobStatus(jobId).get(10, TimeUnit.SECONDS).name();
    } catch (Exception e) {
      return "UNKNOWN";
    }
  }

  /**
   * Stops pacing checkpoints, cancels the job (its latest checkpoint is retained) and stops the
   * MiniCluster.
   */
  @Override
  public void close() {
    CheckpointPacer p = pacer;
    if (p != null) {
      p.close();
    }
    try {
      cluster.cancelJob(jobId).get(60, TimeUnit.SECONDS);
      cluster.requestJobResult(jobId).handle((r, e) -> null).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("executor job {} did not cancel cleanly: {}", jobId(), e.toString());
    }
    closeQuietly(cluster);
  }

  /** Checkpoints the pacer has triggered so far (0 before the job runs). */
  public long checkpointsTriggered() {
    CheckpointPacer p = pacer;
    return p == null ? 0 : p.triggered();
  }

  private static void closeQuietly(MiniCluster cluster) {
    try {
      cluster.closeAsync().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("the executor's MiniCluster did not stop cleanly: {}", e.toString());
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
