package io.ordo.views;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.proto.SqlColumn;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.SqlResult;
import io.ordo.proto.SqlRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one Flink job per materialized view on a MiniCluster of its own, declaratively: every
 * {@link #POLL_MS} ms it reads {@code SHOW VIEWS} from the gateway and starts the job of each
 * view that has none running, and cancels the job of each view that is gone. The catalog is the
 * truth; this class keeps nothing that a restart would need.
 *
 * <p>A job checkpoints into {@code <checkpointRoot>/<viewId>} and keeps its checkpoints when
 * cancelled; a job (re)started for a view restores from the newest one there, so after a crash of
 * the job or a restart of Ordo it resumes where its state was. Without a checkpoint it starts
 * fresh: it reads the whole source table at a fresh position and replaces the view's rows (see
 * {@link ViewApplySink}).
 *
 * <p>The MiniCluster starts with the first view, so an Ordo without views runs none; polling reads
 * {@code SHOW VIEWS} at the newest snapshot the gateway's store holds, which appends nothing, so
 * an idle Ordo stays idle.
 *
 * <p>Why a MiniCluster apart from the executor's: view jobs come and go with DDL, and the
 * executor's cluster has exactly the slots its job needs; a failing view job never shares a
 * TaskManager's restart with the executor. At most {@code viewsMax} views run at once (one slot
 * each); further views wait, logged.
 *
 * <p>The gateway is reached over plaintext gRPC: a gateway with authentication or TLS is not
 * supported yet (the launcher does not start the supervisor then).
 */
public final class ViewSupervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ViewSupervisor.class);

  /** How often the catalog is read, in milliseconds. */
  public static final long POLL_MS = 1_000;

  /** The checkpoint interval of view jobs: one Ordo transaction per view and interval. */
  public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 1_000;

  /** How long a view whose job could not start waits before the next try, in milliseconds. */
  static final long RETRY_AFTER_MS = 10_000;

  private final String gateway;
  private final Path checkpointRoot;
  private final long checkpointIntervalMs;
  private final int viewsMax;
  private final Configuration clusterConf;
  /** Started with the first view (embedded Ordo without views starts no second MiniCluster). */
  private MiniCluster cluster;
  private final ManagedChannel channel;
  private final ScheduledExecutorService poller;
  /** Running jobs by view name. Touched by the poller thread and the test hooks (synchronized). */
  private final TreeMap<String, Running> running = new TreeMap<>();
  /** Views whose start failed, by name: when to try again (poller clock) and why. */
  private final TreeMap<String, Failed> failed = new TreeMap<>();

  private record Running(String viewId, JobID jobId) {}

  private record Failed(String viewId, long retryAtNanos, String reason) {}

  private ViewSupervisor(String gateway, Path checkpointRoot, long checkpointIntervalMs,
      int viewsMax, Configuration clusterConf) {
    this.gateway = gateway;
    this.checkpointRoot = checkpointRoot;
    this.checkpointIntervalMs = checkpointIntervalMs;
    this.viewsMax = viewsMax;
    this.clusterConf = clusterConf;
    this.channel = NettyChannelBuilder.forTarget(gateway).usePlaintext().build();
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ordo-view-supervisor");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the MiniCluster and the polling.
   *
   * @param gateway the gateway's gRPC target, {@code host:port} (plaintext)
   * @param checkpointRoot where view jobs keep their checkpoints (created if missing)
   * @param checkpointIntervalMs view jobs' checkpoint interval, >= 10
   * @param viewsMax most view jobs at once, in [1, 64]
   */
  public static ViewSupervisor start(
      String gateway, Path checkpointRoot, long checkpointIntervalMs, int viewsMax)
      throws Exception {
    Objects.requireNonNull(gateway, "gateway");
    if (viewsMax < 1 || viewsMax > 64) {
      throw new IllegalArgumentException("viewsMax must be in [1, 64], got " + viewsMax);
    }
    if (checkpointIntervalMs < 10) {
      throw new IllegalArgumentException(
          "checkpointIntervalMs must be at least 10, got " + checkpointIntervalMs);
    }
    Files.createDirectories(checkpointRoot);
    Configuration conf = new Configuration();
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, viewsMax);
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("64m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("32m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("32m"));
    conf.set(RestOptions.BIND_PORT, "0");
    ViewSupervisor s =
        new ViewSupervisor(gateway, checkpointRoot, checkpointIntervalMs, viewsMax, conf);
    s.poller.scheduleWithFixedDelay(s::pollQuietly, 0, POLL_MS, TimeUnit.MILLISECONDS);
    return s;
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (Exception e) {
      // The gateway may be starting or stopping: the next poll tries again.
      LOG.debug("view supervisor poll failed: {}", e.toString());
    }
  }

  /** One reconciliation: the views of the catalog against the jobs running. */
  synchronized void poll() throws Exception {
    SqlResult views = execute("SHOW VIEWS");
    Map<String, String> wanted = new TreeMap<>();
    Map<String, ShownView> rows = new TreeMap<>();
    for (SqlRow r : views.getRowsList()) {
      wanted.put(r.getValues(0).getStringValue(), r.getValues(1).getStringValue());
      rows.put(r.getValues(0).getStringValue(), new ShownView(views.getColumnsList(), r));
    }
    // Stop jobs of views that are gone or were re-created under another id.
    for (Map.Entry<String, Running> e : new ArrayList<>(running.entrySet())) {
      String viewId = wanted.get(e.getKey());
      if (!e.getValue().viewId().equals(viewId)) {
        cancel(e.getValue().jobId());
        running.remove(e.getKey());
        deleteQuietly(checkpointRoot.resolve(e.getValue().viewId()));
        LOG.info("view {} ({}) is gone: its job was cancelled", e.getKey(), e.getValue().viewId());
      }
    }
    failed.keySet().retainAll(wanted.keySet());
    // Forget jobs that ended (failed beyond their restarts, or cancelled): they start again.
    for (Map.Entry<String, Running> e : new ArrayList<>(running.entrySet())) {
      JobStatus status = cluster.getJobStatus(e.getValue().jobId()).get(10, TimeUnit.SECONDS);
      if (status.isGloballyTerminalState()) {
        LOG.info("the job of view {} ended ({}): starting it again", e.getKey(), status);
        running.remove(e.getKey());
      }
    }
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      String view = e.getKey();
      if (running.containsKey(view)) {
        continue;
      }
      Failed f = failed.get(view);
      if (f != null && f.viewId().equals(e.getValue()) && System.nanoTime() < f.retryAtNanos()) {
        continue;
      }
      if (running.size() >= viewsMax) {
        LOG.warn("view {} waits: {} view jobs run already (viewsMax)", view, viewsMax);
        continue;
      }
      try {
        running.put(view, new Running(e.getValue(), submit(spec(rows.get(view)))));
        failed.remove(view);
      } catch (Exception ex) {
        LOG.warn("the job of view {} could not start: {}", view, ex.toString());
        failed.put(view, new Failed(e.getValue(),
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_AFTER_MS), ex.toString()));
      }
    }
  }

  /** A row of SHOW VIEWS, read by column name. */
  private record ShownView(List<SqlColumn> columns, SqlRow row) {
    /** The column's text; empty for NULL. */
    String text(String column) {
      com.google.protobuf.Value v = value(column);
      return v.hasNullValue() ? "" : v.getStringValue();
    }

    /** A BIGINT column (sent as a number or, beyond 2^53, as text). */
    long number(String column) {
      com.google.protobuf.Value v = value(column);
      return v.hasNumberValue() ? (long) v.getNumberValue()
          : v.getStringValue().isEmpty() ? 0 : Long.parseLong(v.getStringValue());
    }

    private com.google.protobuf.Value value(String column) {
      for (int i = 0; i < columns.size(); i++) {
        if (columns.get(i).getName().equals(column)) {
          return row.getValues(i);
        }
      }
      throw new IllegalStateException("SHOW VIEWS has no column " + column);
    }
  }

  /** The job's spec from the view's SHOW VIEWS row and the gateway's catalog. */
  private ViewSpec spec(ShownView view) throws Exception {
    String name = view.text("name");
    String viewId = view.text("view_id");
    String flinkQuery = view.text("flink_query");
    // A view over a stream reads that stream only; a view over tables reads one or several.
    boolean stream = view.text("source_kind").equals("stream");
    List<ViewSpec.SourceSpec> sources = new ArrayList<>();
    for (String source : sourceNames(view.text("source"))) {
      List<ViewSpec.ColumnSpec> sourceColumns = columns(source);
      List<String> sourceKey = new ArrayList<>();
      if (!stream) {
        List<Boolean> sourceKeyFlags = keyFlags(source);
        for (int i = 0; i < sourceColumns.size(); i++) {
          if (sourceKeyFlags.get(i)) {
            sourceKey.add(sourceColumns.get(i).name());
          }
        }
      }
      sources.add(new ViewSpec.SourceSpec(source, stream, sourceColumns, sourceKey));
    }
    List<ViewSpec.ColumnSpec> viewColumns = columns(name);
    List<Boolean> viewKeyFlags = keyFlags(name);
    List<Integer> viewKey = new ArrayList<>();
    for (int i = 0; i < viewKeyFlags.size(); i++) {
      if (viewKeyFlags.get(i)) {
        viewKey.add(i);
      }
    }
    return new ViewSpec(gateway, name, viewId, sources, flinkQuery, viewColumns, viewKey,
        checkpointIntervalMs, view.text("time_column"), view.number("allowed_lateness_ms"),
        view.text("start_position"));
  }

  /**
   * The names of SHOW VIEWS' {@code source} column: separated by {@code ", "}, each a plain name
   * or double-quoted with {@code ""} for a quote.
   */
  static List<String> sourceNames(String list) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < list.length()) {
      StringBuilder name = new StringBuilder();
      if (list.charAt(i) == '"') {
        i++;
        while (i < list.length()) {
          char c = list.charAt(i++);
          if (c == '"') {
            if (i < list.length() && list.charAt(i) == '"') {
              name.append('"');
              i++;
            } else {
              break;
            }
          } else {
            name.append(c);
          }
        }
      } else {
        int end = list.indexOf(", ", i);
        end = end < 0 ? list.length() : end;
        name.append(list, i, end);
        i = end;
      }
      out.add(name.toString());
      if (list.startsWith(", ", i)) {
        i += 2;
      }
    }
    return out;
  }

  private List<ViewSpec.ColumnSpec> columns(String table) throws Exception {
    SqlResult r = execute("SELECT * FROM " + PushChangesSource.quote(table) + " LIMIT 0");
    List<ViewSpec.ColumnSpec> out = new ArrayList<>();
    for (SqlColumn c : r.getColumnsList()) {
      out.add(new ViewSpec.ColumnSpec(c.getName(), c.getType()));
    }
    return out;
  }

  /**
   * Per column (in order), whether it is in the primary key. Only membership matters: the
   * initial read orders by the key columns in column order (any total order does), the sink
   * identifies a view row by its key columns in column order, and ApplyView takes whole rows.
   */
  private List<Boolean> keyFlags(String table) throws Exception {
    SqlResult r = execute("DESCRIBE " + PushChangesSource.quote(table));
    List<Boolean> out = new ArrayList<>();
    for (SqlRow row : r.getRowsList()) {
      out.add(row.getValues(4).getBoolValue());
    }
    return out;
  }

  private SqlResult execute(String sql) {
    return SqlGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .execute(SqlRequest.newBuilder().setSql(sql).build()).getResults(0);
  }

  private MiniCluster cluster() throws Exception {
    if (cluster == null) {
      MiniCluster c = new MiniCluster(new MiniClusterConfiguration.Builder()
          .withRandomPorts()
          .setConfiguration(clusterConf)
          .setNumTaskManagers(1)
          .setNumSlotsPerTaskManager(viewsMax)
          .build());
      c.start();
      cluster = c;
    }
    return cluster;
  }

  private JobID submit(ViewSpec spec) throws Exception {
    Path dir = checkpointRoot.resolve(spec.viewId());
    Files.createDirectories(dir);
    Optional<Path> restore = EmbeddedExecutor.latestCheckpoint(dir);
    Configuration conf = new Configuration();
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
    conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    conf.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 2);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    ViewJob.build(env, spec);
    StreamGraph graph = env.getStreamGraph();
    graph.setJobName(ViewJob.jobName(spec.view()));
    restore.ifPresent(p -> graph.setSavepointRestoreSettings(
        SavepointRestoreSettings.forPath(p.toString(), false)));
    JobID id = cluster().submitJob(graph).get(60, TimeUnit.SECONDS).getJobID();
    LOG.info("view {} ({}): job {} started{}", spec.view(), spec.viewId(), id,
        restore.map(p -> ", restored from " + p).orElse(" without state"));
    return id;
  }

  private void cancel(JobID id) {
    try {
      cluster.cancelJob(id).get(60, TimeUnit.SECONDS);
      cluster.requestJobResult(id).handle((r, e) -> null).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("view job {} did not cancel cleanly: {}", id, e.toString());
    }
  }

  /** The running job of {@code view}, if any (for tests and status). */
  public synchronized Optional<String> jobId(String view) {
    return Optional.ofNullable(running.get(view)).map(r -> r.jobId().toString());
  }

  /** Why the job of {@code view} could not start, if it could not. */
  public synchronized Optional<String> startFailure(String view) {
    return Optional.ofNullable(failed.get(view)).map(Failed::reason);
  }

  /**
   * Cancels the job of {@code view} as a crash would end it (its checkpoints stay); the next poll
   * starts it again from its newest checkpoint. For tests and operators.
   */
  public synchronized void killJob(String view) {
    Running r = running.remove(view);
    if (r != null) {
      cancel(r.jobId());
    }
  }

  /** Whether the job of {@code view} is RUNNING. */
  public synchronized boolean isRunning(String view) throws Exception {
    Running r = running.get(view);
    return r != null
        && cluster.getJobStatus(r.jobId()).get(10, TimeUnit.SECONDS) == JobStatus.RUNNING;
  }

  /** Cancels every view job (their checkpoints stay) and stops the MiniCluster. */
  @Override
  public void close() {
    poller.shutdownNow();
    try {
      poller.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      for (Running r : running.values()) {
        cancel(r.jobId());
      }
      running.clear();
    }
    synchronized (this) {
      if (cluster != null) {
        try {
          cluster.closeAsync().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          LOG.warn("the views' MiniCluster did not stop cleanly: {}", e.toString());
        }
      }
    }
    channel.shutdownNow();
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }

  /** The poll interval as a Duration (for waits in callers). */
  public static Duration pollInterval() {
    return Duration.ofMillis(POLL_MS);
  }
}
