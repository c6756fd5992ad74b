package io.ordo.jepsen.cluster;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.gateway.HealthProbe;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.kafka.embedded.KafkaNodeMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ordo on this one machine as a cluster of child JVMs: three Kafka 4.2 nodes in KRaft mode
 * (combined broker and controller, a static quorum of the three; {@link KafkaNodeMain}), the
 * executor job ({@link ExecutorMain}: Flink MiniCluster, checkpoints under the run directory) and
 * one gateway ({@code ordo gateway}). Each part can be killed with SIGKILL, paused with SIGSTOP and
 * started again on the same data and ports, which is what the Jepsen nemeses ({@link
 * ClusterNemeses}) do.
 *
 * <p>Layout: the internal topics have replication factor 3 and min ISR 2; Ordo's topics are created
 * by {@link LogTopics#ensure} with {@link TopicLayout#withReplicationFactor} 3 (and so {@code
 * min.insync.replicas=2}). Ports are free loopback ports (or, with network namespaces, ports on each
 * node's own address) chosen at {@link #start} and kept across restarts. Under {@code dir}: {@code
 * broker-N/} (node N's data), {@code checkpoints/}, and per child {@code NAME.out} (stdout/stderr:
 * the ready marker and what the JVM prints itself) and {@code NAME.log} (its log4j output, rolled at
 * {@value #CHILD_LOG_BYTES_MAX} bytes with one old file kept).
 *
 * <p>With {@code networkNamespaces} each broker runs in its own namespace ({@link
 * NetworkNamespaces}), so {@link #isolate} can partition it from the other brokers; this needs root.
 * Without, everything listens on 127.0.0.1 and {@link #isolate} is refused.
 *
 * <p>With {@link Options#withFlinkCluster} the executor job runs on a real Flink standalone session
 * cluster instead of {@link ExecutorMain}'s MiniCluster ({@link FlinkSessionCluster}: a JobManager
 * and TaskManager JVMs under {@code dir/flink/}), submitted with {@code flink run} and checkpointing
 * to {@code dir/checkpoints}; the executor's faults then hit a TaskManager ({@link #killExecutor}
 * kill -9s TaskManager 1, {@link #startExecutor} starts a new one and waits until the job has
 * failed over and runs again from its latest checkpoint), {@link #upgradeJob} cancels the job with
 * a savepoint and resumes it from there, and after {@link #killAll} the job is submitted again from
 * its newest retained checkpoint. {@link Options#withGateways} runs several gateways against the
 * same brokers.
 *
 * <p>{@link Options#withDetached} starts children that outlive this JVM ({@code ordo cluster up}):
 * no {@link ParentWatchMain}, and {@link #detach} leaves them running.
 *
 * <p>Methods that change the cluster are synchronized: the nemesis thread and {@link #close} never
 * interleave.
 */
public final class LocalCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  /** Number of Kafka nodes. */
  public static final int BROKERS = 3;
  /** The topic prefix of Ordo's topics on the cluster. */
  public static final String TOPIC_PREFIX = "ordo";
  /** How long a broker, the executor or the gateway may take to become ready, in ms. */
  public static final long READY_TIMEOUT_MS = 120_000;
  /** Bound of each child's log file before it is rolled, in bytes. */
  public static final long CHILD_LOG_BYTES_MAX = 20L * 1024 * 1024;

  private final Path dir;
  private final Options options;
  private final NetworkNamespaces netns; // null without namespaces
  private final List<ChildJvm> brokers;
  private final List<EmbeddedKafkaBroker.Voter> voters;
  private final ChildJvm executor; // null on a Flink session cluster
  private final FlinkSessionCluster flink; // null with the MiniCluster executor
  private final List<ChildJvm> gateways;
  private final List<Integer> grpcPorts;
  private final List<Integer> httpPorts;
  /** The executor job's id on the Flink session cluster (changes with each submission). */
  private String jobId;
  /** Every submission of the executor job to the Flink session cluster, oldest first. */
  private final List<JobSubmission> submissions = new ArrayList<>();
  /** The resource id of the TaskManager {@link #killExecutor} killed, until its replacement runs the job. */
  private String killedTaskManager;
  /** Kills the children if this JVM exits without {@link #close} (e.g. Ctrl-C, a test timeout). */
  private final Thread shutdownHook = new Thread(this::close, "local-cluster-cleanup");
  private boolean closed;

  private LocalCluster(Path dir, Options options, NetworkNamespaces netns, List<ChildJvm> brokers, List<EmbeddedKafkaBroker.Voter> voters,
      ChildJvm executor, FlinkSessionCluster flink, List<ChildJvm> gateways, List<Integer> grpcPorts, List<Integer> httpPorts) {
    this.dir = dir;
    this.options = options;
    this.netns = netns;
    this.brokers = brokers;
    this.voters = voters;
    this.executor = executor;
    this.flink = flink;
    this.gateways = gateways;
    this.grpcPorts = grpcPorts;
    this.httpPorts = httpPorts;
  }

  /**
   * How the cluster is made up, beyond its three brokers.
   *
   * @param checkpointIntervalMs the executor job's checkpoint interval, > 0
   * @param networkNamespaces run each broker in its own network namespace (needs root; required
   *     for {@link #isolate})
   * @param random picks the namespace names and subnet; nothing checked depends on it
   * @param gatewayMainClass the class whose {@code main} a gateway's child JVM runs, with the
   *     arguments {@code gateway --bootstrap-servers ... --topic-prefix ... --grpc-port ...
   *     --http-port ... --data-dir ...} (the launcher's command line); passed in because the test
   *     cluster sits below the launcher and must not import it
   * @param gateways how many gateways, >= 1
   * @param firstGrpcPort the first gateway's gRPC port, 0 = free (the others always get free ports)
   * @param firstHttpPort the first gateway's REST port, 0 = free
   * @param flink the Flink jars and job jar for a session cluster, or null for {@link ExecutorMain}
   * @param flinkSettings the session cluster's settings (used with {@code flink}; its {@code
   *     watchParent} follows {@code detached})
   * @param detached children outlive this JVM (no {@link ParentWatchMain}); see {@link #detach}
   */
  public record Options(long checkpointIntervalMs, boolean networkNamespaces, Random random, String gatewayMainClass, int gateways,
      int firstGrpcPort, int firstHttpPort, FlinkDistribution flink, FlinkSessionCluster.Settings flinkSettings, boolean detached) {
    /** @throws IllegalArgumentException for a bad interval, gateway count or port */
    public Options {
      if (checkpointIntervalMs <= 0) {
        throw new IllegalArgumentException("checkpointIntervalMs must be > 0, got " + checkpointIntervalMs);
      }
      if (gateways < 1) {
        throw new IllegalArgumentException("need >= 1 gateway, got " + gateways);
      }
      if (firstGrpcPort < 0 || firstGrpcPort > 65_535 || firstHttpPort < 0 || firstHttpPort > 65_535) {
        throw new IllegalArgumentException("bad gateway ports " + firstGrpcPort + ", " + firstHttpPort);
      }
      java.util.Objects.requireNonNull(random, "random");
      java.util.Objects.requireNonNull(gatewayMainClass, "gatewayMainClass");
      java.util.Objects.requireNonNull(flinkSettings, "flinkSettings");
    }

    /** One gateway on free ports, the MiniCluster executor, checkpoints every second, no namespaces. */
    public static Options defaults(String gatewayMainClass) {
      return new Options(1_000, false, new Random(), gatewayMainClass, 1, 0, 0, null, FlinkSessionCluster.Settings.defaults(), false);
    }

    public Options withCheckpointIntervalMs(long ms) {
      return new Options(ms, networkNamespaces, random, gatewayMainClass, gateways, firstGrpcPort, firstHttpPort, flink, flinkSettings,
          detached);
    }

    public Options withNetworkNamespaces(boolean on, Random r) {
      return new Options(checkpointIntervalMs, on, r, gatewayMainClass, gateways, firstGrpcPort, firstHttpPort, flink, flinkSettings,
          detached);
    }

    public Options withGateways(int n) {
      return new Options(checkpointIntervalMs, networkNamespaces, random, gatewayMainClass, n, firstGrpcPort, firstHttpPort, flink,
          flinkSettings, detached);
    }

    public Options withGatewayPorts(int grpc, int http) {
      return new Options(checkpointIntervalMs, networkNamespaces, random, gatewayMainClass, gateways, grpc, http, flink, flinkSettings,
          detached);
    }

    /** The executor job on a Flink session cluster of {@code dist}'s jars. */
    public Options withFlinkCluster(FlinkDistribution dist, FlinkSessionCluster.Settings settings) {
      return new Options(checkpointIntervalMs, networkNamespaces, random, gatewayMainClass, gateways, firstGrpcPort, firstHttpPort,
          java.util.Objects.requireNonNull(dist, "dist"), settings, detached);
    }

    public Options withDetached(boolean on) {
      return new Options(checkpointIntervalMs, networkNamespaces, random, gatewayMainClass, gateways, firstGrpcPort, firstHttpPort, flink,
          flinkSettings, on);
    }
  }

  /**
   * Starts the whole cluster under {@code dir} and returns once the gateway serves and the executor
   * job runs (about 20-40 s on 2 cores).
   *
   * @param dir the run directory (created if missing)
   * @see Options for the other parameters
   * @throws IllegalStateException if a part fails to start in {@value #READY_TIMEOUT_MS} ms (the
   *     message carries the tail of its output); everything started is killed again
   */
  public static LocalCluster start(
      Path dir, long checkpointIntervalMs, boolean networkNamespaces, Random random, String gatewayMainClass)
      throws IOException, InterruptedException {
    return start(dir, Options.defaults(gatewayMainClass).withCheckpointIntervalMs(checkpointIntervalMs)
        .withNetworkNamespaces(networkNamespaces, random));
  }

  /**
   * Starts the whole cluster under {@code dir} as {@code options} say and returns once every
   * gateway serves and the executor job runs.
   *
   * @throws IllegalStateException if a part fails to start in {@value #READY_TIMEOUT_MS} ms (the
   *     message carries the tail of its output); everything started is killed again
   */
  public static LocalCluster start(Path dir, Options options) throws IOException, InterruptedException {
    Path abs = dir.toAbsolutePath();
    Files.createDirectories(abs);
    writeChildLogConfig(abs);
    boolean watch = !options.detached();
    String cp = System.getProperty("java.class.path");
    NetworkNamespaces netns = options.networkNamespaces() ? NetworkNamespaces.create(BROKERS, options.random()) : null;
    LocalCluster cluster = null;
    FlinkSessionCluster flink = null;
    try {
      List<EmbeddedKafkaBroker.Voter> voters = new ArrayList<>();
      Set<Integer> taken = new HashSet<>();
      if (options.firstGrpcPort() != 0) {
        taken.add(options.firstGrpcPort());
      }
      if (options.firstHttpPort() != 0) {
        taken.add(options.firstHttpPort());
      }
      for (int i = 1; i <= BROKERS; i++) {
        String host = netns == null ? "127.0.0.1" : netns.address(i);
        voters.add(new EmbeddedKafkaBroker.Voter(i, host, Ports.free(taken), Ports.free(taken)));
      }
      String clusterId = Uuid.randomUuid().toString();
      List<String> jvmLog = List.of("-Dlog4j2.configurationFile=" + abs.resolve("child-log4j2.xml"), "-XX:+UseSerialGC");
      List<ChildJvm> brokers = new ArrayList<>();
      for (EmbeddedKafkaBroker.Voter v : voters) {
        List<String> args = new ArrayList<>(List.of("--data-dir", abs.resolve("broker-" + v.nodeId()).toString(),
            "--node-id", Integer.toString(v.nodeId()), "--cluster-id", clusterId, "--voters", KafkaNodeMain.formatVoters(voters)));
        for (Map.Entry<String, String> e : brokerConfig().entrySet()) {
          args.add("--config");
          args.add(e.getKey() + "=" + e.getValue());
        }
        List<String> opts = new ArrayList<>(jvmLog);
        opts.add("-Xmx512m");
        // C1 only: a broker here moves little data, and on 2 shared cores the C2 compiler threads
        // of three brokers slow every (re)start by seconds.
        opts.add("-XX:TieredStopAtLevel=1");
        brokers.add(new ChildJvm("broker-" + v.nodeId(), abs, netns == null ? null : netns.namespace(v.nodeId()), opts, cp, watch,
            KafkaNodeMain.class.getName(), args, Map.of()));
      }
      String bootstrap = String.join(",", voters.stream().map(EmbeddedKafkaBroker.Voter::bootstrapServer).toList());
      ChildJvm executor = null;
      if (options.flink() == null) {
        List<String> execOpts = new ArrayList<>(jvmLog);
        execOpts.add("-Xmx1g");
        executor = new ChildJvm("executor", abs, null, execOpts, cp, watch, ExecutorMain.class.getName(),
            List.of(bootstrap, TOPIC_PREFIX, abs.resolve("checkpoints").toString(), Long.toString(options.checkpointIntervalMs()),
                Integer.toString(BROKERS)),
            Map.of());
      } else {
        flink = FlinkSessionCluster.create(abs.resolve("flink"), options.flink(), options.flinkSettings().withWatchParent(watch), taken);
      }
      List<ChildJvm> gateways = new ArrayList<>();
      List<Integer> grpcPorts = new ArrayList<>();
      List<Integer> httpPorts = new ArrayList<>();
      for (int g = 1; g <= options.gateways(); g++) {
        int grpcPort = g == 1 && options.firstGrpcPort() != 0 ? options.firstGrpcPort() : Ports.free(taken);
        int httpPort = g == 1 && options.firstHttpPort() != 0 ? options.firstHttpPort() : Ports.free(taken);
        grpcPorts.add(grpcPort);
        httpPorts.add(httpPort);
        List<String> gwOpts = new ArrayList<>(jvmLog);
        gwOpts.add("-Xmx512m");
        String name = g == 1 ? "gateway" : "gateway-" + g;
        gateways.add(new ChildJvm(name, abs, null, gwOpts, cp, watch, options.gatewayMainClass(),
            List.of("gateway", "--bootstrap-servers", bootstrap, "--topic-prefix", TOPIC_PREFIX, "--grpc-port",
                Integer.toString(grpcPort), "--http-port", Integer.toString(httpPort),
                // Several gateways share the host: none serves the (fixed) PostgreSQL port.
                "--pg-port", "0",
                // A gateway's local store belongs to this cluster's changelog (not the launcher's
                // working directory, which other clusters share); it survives restart-all with it.
                "--data-dir", abs.resolve(name + "-store").toString()),
            Map.of()));
      }
      cluster = new LocalCluster(abs, options, netns, brokers, voters, executor, flink, gateways, grpcPorts, httpPorts);
      Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
      cluster.startAllParts(true);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (cluster != null) {
        cluster.close();
      } else {
        if (flink != null) {
          flink.close();
        }
        if (netns != null) {
          netns.close();
        }
      }
      throw e;
    }
  }

  /**
   * Broker settings for three nodes: internal topics replicated 3 with min ISR 2, and the failover
   * settings the README recommends for production ("Kafka settings for failover"): the controller
   * fences a broker that missed its heartbeats (every 250 ms) for {@code broker.session.timeout.ms}
   * (1 s; Kafka's default is 9 s) and moves its leaderships and ISR places away, before Ordo's
   * clients give up on it ({@code io.ordo.sequencer.KafkaClientTimeouts}: 2 s). Measured against
   * 1.5 s / 500 ms / 1 s in JEPSEN.md: a pause of the active controller cost ~6 s with those.
   */
  static Map<String, String> brokerConfig() {
    Map<String, String> c = new TreeMap<>();
    c.put("broker.session.timeout.ms", "1000");
    c.put("broker.heartbeat.interval.ms", "250");
    // A silent active controller: the other controllers elect a new one after 0.75 s without an
    // answer to their fetches (Kafka's default is 2 s); it fences the silent broker a whole
    // session after it took over, so this and the session add up in the worst fault.
    c.put("controller.quorum.fetch.timeout.ms", "750");
    c.put("offsets.topic.replication.factor", "3");
    c.put("transaction.state.log.replication.factor", "3");
    c.put("transaction.state.log.min.isr", "2");
    c.put("share.coordinator.state.topic.replication.factor", "3");
    c.put("share.coordinator.state.topic.min.isr", "2");
    c.put("default.replication.factor", "3");
    c.put("min.insync.replicas", "2");
    return c;
  }

  /**
   * Brokers (and the Flink processes, which need no Kafka to start), then topics (first start
   * only), then the executor (or the job's submission) and the gateways side by side.
   */
  private void startAllParts(boolean createTopics) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    for (ChildJvm b : brokers) {
      b.start();
    }
    if (flink != null) {
      flink.startJobManager();
      for (int i = 1; i <= flink.taskManagerCount(); i++) {
        flink.startTaskManager(i);
      }
    }
    for (ChildJvm b : brokers) {
      b.awaitLine(KafkaNodeMain.READY_MARKER, READY_TIMEOUT_MS);
    }
    if (createTopics) {
      LogTopics.ensure(bootstrapServers(), TopicLayout.withPrefix(TOPIC_PREFIX).withReplicationFactor((short) BROKERS),
          Duration.ofMillis(READY_TIMEOUT_MS));
    }
    if (executor != null) {
      executor.start();
    }
    for (ChildJvm g : gateways) {
      g.start();
    }
    if (executor != null) {
      executor.awaitLine(ExecutorMain.READY_MARKER, READY_TIMEOUT_MS);
    } else {
      flink.awaitReady(READY_TIMEOUT_MS);
      // A first start submits a new job; after killAll the JobManager has lost it (no HA), so it
      // is submitted again from its newest retained checkpoint.
      submit(false, createTopics ? null : latestCheckpoint().orElse(null));
    }
    for (int g = 0; g < gateways.size(); g++) {
      awaitGateway(g);
    }
    LOG.info("test cluster up in {} ms: brokers {} (pids {}), executor {}, gateways {} pids {}",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), bootstrapServers(), brokerPids(),
        flink == null ? "pid " + executor.pid() : "job " + jobId + " on " + flink.restUrl() + " " + flink.pids(), grpcTargets(),
        gateways.stream().map(ChildJvm::pid).toList());
  }

  /**
   * Submits the job jar (Flink's CLI, {@code flink run -d}, or the REST API, {@code /jars/upload}
   * and {@code /jars/:id/run}), optionally restoring a savepoint or checkpoint, and waits until
   * every task runs; records the {@link JobSubmission}.
   */
  private JobSubmission submit(boolean viaRest, String restore) throws IOException, InterruptedException {
    long at = System.currentTimeMillis();
    long t0 = System.nanoTime();
    if (viaRest) {
      String jar = flink.uploadJar(options.flink().jobJar());
      jobId = flink.runJar(jar, FlinkDistribution.JOB_MAIN_CLASS, jobArgs(), restore);
    } else {
      jobId = flink.submitWithCli(options.flink().jobJar(), FlinkDistribution.JOB_MAIN_CLASS, jobArgs(), restore);
    }
    long submitted = System.nanoTime();
    flink.awaitJobRunning(jobId, READY_TIMEOUT_MS);
    JobSubmission s = new JobSubmission(jobId, viaRest ? "REST /jars/:id/run" : "flink run", restore, at,
        TimeUnit.NANOSECONDS.toMillis(submitted - t0), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    submissions.add(s);
    LOG.info("executor job submitted: {}", s);
    return s;
  }

  /**
   * One submission of the executor job.
   *
   * @param jobId the job's id
   * @param via "flink run" or "REST /jars/:id/run"
   * @param restoredFrom the savepoint or checkpoint it started from, or null
   * @param atEpochMs when the submission began (wall clock)
   * @param submitMs how long the CLI or the REST calls took (they return once the job is accepted)
   * @param runningMs from the beginning until every task of the job ran
   */
  public record JobSubmission(String jobId, String via, String restoredFrom, long atEpochMs, long submitMs, long runningMs) {}

  /** Every submission of the executor job so far, oldest first. @throws IllegalStateException without a Flink cluster */
  public synchronized List<JobSubmission> submissions() {
    requireFlink();
    return List.copyOf(submissions);
  }

  /** The executor job's arguments on the session cluster (its {@code flink run} arguments). */
  public List<String> jobArgs() {
    return List.of("--bootstrap-servers", bootstrapServers(), "--topic-prefix", TOPIC_PREFIX,
        "--checkpoint-dir", dir.resolve("checkpoints").toUri().toString(),
        "--checkpoint-interval-ms", Long.toString(options.checkpointIntervalMs()),
        // The topics' replication (LogTopics.ensure above): the job's clients tune for failover.
        "--replication-factor", Integer.toString(BROKERS));
  }

  /** The newest retained checkpoint of the executor job ({@code dir/checkpoints/<job>/chk-N}). */
  public Optional<String> latestCheckpoint() {
    return io.ordo.executor.EmbeddedExecutor.latestCheckpoint(dir.resolve("checkpoints")).map(p -> p.toUri().toString());
  }

  private void awaitGateway(int index) throws InterruptedException {
    ChildJvm gateway = gateways.get(index);
    ManagedChannel channel = ManagedChannelBuilder.forTarget(grpcTargets().get(index)).usePlaintext().build();
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
      while (true) {
        try {
          HealthProbe.awaitServing(channel, Duration.ofSeconds(5));
          return;
        } catch (RuntimeException e) {
          if (!gateway.isAlive()) {
            throw new IllegalStateException(gateway.name() + " ended before serving; its output ends with:\n" + gateway.tail(), e);
          }
          if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException(gateway.name() + " did not serve within " + READY_TIMEOUT_MS + " ms", e);
          }
        }
      }
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The brokers' client addresses, comma-separated. */
  public String bootstrapServers() {
    return String.join(",", voters.stream().map(EmbeddedKafkaBroker.Voter::bootstrapServer).toList());
  }

  /** The (first) gateway's gRPC address, {@code "127.0.0.1:PORT"}; the same after restarts. */
  public String grpcTarget() {
    return grpcTargets().get(0);
  }

  /** Every gateway's gRPC address, in gateway order. */
  public List<String> grpcTargets() {
    return grpcPorts.stream().map(p -> "127.0.0.1:" + p).toList();
  }

  /** Every gateway's REST port, in gateway order. */
  public List<Integer> httpPorts() {
    return List.copyOf(httpPorts);
  }

  /** The Flink session cluster the executor job runs on, if the cluster has one. */
  public Optional<FlinkSessionCluster> flinkCluster() {
    return Optional.ofNullable(flink);
  }

  /** The executor job's current id on the Flink session cluster. @throws IllegalStateException without one */
  public synchronized String jobId() {
    requireFlink();
    return jobId;
  }

  private FlinkSessionCluster requireFlink() {
    if (flink == null) {
      throw new IllegalStateException("this cluster runs the executor on a MiniCluster (ExecutorMain), not a Flink session cluster");
    }
    return flink;
  }

  /** The run directory. */
  public Path dir() {
    return dir;
  }

  /** True iff the brokers run in network namespaces, so {@link #isolate} works. */
  public boolean hasNetworkNamespaces() {
    return netns != null;
  }

  /** Node ids, 1..{@value #BROKERS}. */
  public List<Integer> brokerIds() {
    List<Integer> ids = new ArrayList<>();
    for (EmbeddedKafkaBroker.Voter v : voters) {
      ids.add(v.nodeId());
    }
    return ids;
  }

  /** The pid of node {@code id}'s JVM (the current one, or the last if it is down). */
  public synchronized long brokerPid(int id) {
    return broker(id).pid();
  }

  /** The broker pids in node order. */
  public synchronized List<Long> brokerPids() {
    List<Long> pids = new ArrayList<>();
    for (ChildJvm b : brokers) {
      pids.add(b.pid());
    }
    return pids;
  }

  /** The pid of the executor's JVM (on a Flink session cluster: TaskManager 1's). */
  public synchronized long executorPid() {
    return flink != null ? flink.taskManagerPid(1) : executor.pid();
  }

  /** The pid of the (first) gateway's JVM. */
  public synchronized long gatewayPid() {
    return gateways.get(0).pid();
  }

  /** Every child's pid by name (broker-N, executor or jobmanager and taskmanager-N, gateway[-N]). */
  public synchronized Map<String, Long> pids() {
    Map<String, Long> pids = new java.util.LinkedHashMap<>();
    for (ChildJvm b : brokers) {
      pids.put(b.name(), b.pid());
    }
    if (flink != null) {
      pids.putAll(flink.pids());
    } else {
      pids.put(executor.name(), executor.pid());
    }
    for (ChildJvm g : gateways) {
      pids.put(g.name(), g.pid());
    }
    return pids;
  }

  /** SIGKILLs node {@code id} and waits until its JVM is gone. */
  public synchronized void killBroker(int id) throws InterruptedException {
    broker(id).kill9();
  }

  /** Starts node {@code id} again on its data and ports and waits until it is ready. */
  public synchronized void startBroker(int id) throws IOException, InterruptedException {
    ChildJvm b = broker(id);
    if (!b.isAlive()) {
      b.start();
    }
    b.awaitLine(KafkaNodeMain.READY_MARKER, READY_TIMEOUT_MS);
  }

  /** SIGSTOPs node {@code id}. */
  public synchronized void pauseBroker(int id) throws IOException, InterruptedException {
    broker(id).signal("STOP");
  }

  /** SIGCONTs node {@code id}. */
  public synchronized void resumeBroker(int id) throws IOException, InterruptedException {
    broker(id).signal("CONT");
  }

  /**
   * SIGKILLs the executor's JVM (its retained checkpoints stay on disk); on a Flink session
   * cluster, TaskManager 1's JVM.
   */
  public synchronized void killExecutor() throws InterruptedException {
    if (flink != null) {
      if (flink.isTaskManagerAlive(1)) {
        killedTaskManager = flink.resourceId(1);
      }
      flink.killTaskManager(1);
    } else {
      executor.kill9();
    }
  }

  /**
   * Starts the executor again (it restores the newest checkpoint) and waits until it runs. On a
   * Flink session cluster: starts a new TaskManager 1 and waits until it registered, the
   * JobManager declared the killed one lost and the job failed over and runs all its tasks again
   * (restored from its latest checkpoint).
   */
  public synchronized void startExecutor() throws IOException, InterruptedException {
    if (flink == null) {
      if (!executor.isAlive()) {
        executor.start();
      }
      executor.awaitLine(ExecutorMain.READY_MARKER, READY_TIMEOUT_MS);
      return;
    }
    flink.startTaskManager(1);
    awaitJobRecovered();
  }

  /** Waits until the killed TaskManager is gone, the new one registered and the job fully runs. */
  private void awaitJobRecovered() throws InterruptedException {
    flink.awaitTaskManager(1, READY_TIMEOUT_MS);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
    while (killedTaskManager != null && flink.registeredTaskManagers().contains(killedTaskManager)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the JobManager still lists the killed TaskManager " + killedTaskManager);
      }
      Thread.sleep(100);
    }
    killedTaskManager = null;
    flink.awaitJobRunning(jobId, READY_TIMEOUT_MS);
  }

  /**
   * The upgrade path on the Flink session cluster: cancels the executor job with a savepoint (REST
   * {@code /jobs/:id/savepoints}, {@code cancel-job: true}) under {@code dir/savepoints}, submits
   * the job jar again resuming from it (through the REST API, {@code /jars/upload} and {@code
   * /jars/:id/run}, or with {@code flink run -s}) and waits until the new job fully runs.
   *
   * @param viaRest submit through the REST API (true) or Flink's CLI (false)
   * @throws IllegalStateException without a Flink session cluster, or if a step fails
   */
  public synchronized JobUpgrade upgradeJob(boolean viaRest) throws IOException, InterruptedException {
    requireFlink();
    long t0 = System.nanoTime();
    String old = jobId;
    String savepoint = flink.cancelWithSavepoint(old, dir.resolve("savepoints"), READY_TIMEOUT_MS);
    long cancelled = System.nanoTime();
    submit(viaRest, savepoint);
    long running = System.nanoTime();
    JobUpgrade u = new JobUpgrade(old, savepoint, jobId, viaRest, TimeUnit.NANOSECONDS.toMillis(cancelled - t0),
        TimeUnit.NANOSECONDS.toMillis(running - cancelled));
    LOG.info("executor job upgraded: {}", u);
    return u;
  }

  /**
   * What {@link #upgradeJob} did.
   *
   * @param oldJobId the cancelled job
   * @param savepoint where its savepoint is
   * @param newJobId the job resumed from it
   * @param viaRest submitted through the REST API (else the CLI)
   * @param savepointMs from the savepoint request until the old job was CANCELED
   * @param resumeMs from then until every task of the new job ran
   */
  public record JobUpgrade(String oldJobId, String savepoint, String newJobId, boolean viaRest, long savepointMs, long resumeMs) {}

  /** SIGKILLs every JVM of the cluster: gateways, executor (TaskManagers and JobManager), brokers. */
  public synchronized void killAll() throws InterruptedException {
    for (ChildJvm g : gateways) {
      g.kill9();
    }
    if (flink != null) {
      for (int i = 1; i <= flink.taskManagerCount(); i++) {
        flink.killTaskManager(i);
      }
      flink.killJobManager();
    } else {
      executor.kill9();
    }
    for (ChildJvm b : brokers) {
      b.kill9();
    }
  }

  /**
   * Starts every part that is down, on the same data and ports, and waits until all serve. On a
   * Flink session cluster a JobManager that was down has lost the job, which is then submitted
   * again from its newest retained checkpoint.
   */
  public synchronized void startAll() throws IOException, InterruptedException {
    for (ChildJvm b : brokers) {
      if (!b.isAlive()) {
        b.start();
      }
    }
    boolean jobLost = false;
    if (flink != null) {
      jobLost = !flink.isJobManagerAlive();
      flink.startJobManager();
      for (int i = 1; i <= flink.taskManagerCount(); i++) {
        flink.startTaskManager(i);
      }
    }
    for (ChildJvm b : brokers) {
      b.awaitLine(KafkaNodeMain.READY_MARKER, READY_TIMEOUT_MS);
    }
    if (executor != null && !executor.isAlive()) {
      executor.start();
    }
    for (ChildJvm g : gateways) {
      if (!g.isAlive()) {
        g.start();
      }
    }
    if (executor != null) {
      executor.awaitLine(ExecutorMain.READY_MARKER, READY_TIMEOUT_MS);
    } else if (jobLost) {
      flink.awaitReady(READY_TIMEOUT_MS);
      killedTaskManager = null;
      submit(false, latestCheckpoint().orElse(null));
    } else {
      awaitJobRecovered();
    }
    for (int g = 0; g < gateways.size(); g++) {
      awaitGateway(g);
    }
  }

  /**
   * Partitions node {@code id} from the other brokers (both directions); clients still reach it.
   *
   * @throws IllegalStateException without network namespaces
   */
  public synchronized void isolate(int id) throws IOException, InterruptedException {
    broker(id);
    requireNetns().isolate(id);
  }

  /** Removes every partition. @throws IllegalStateException without network namespaces */
  public synchronized void healPartitions() throws IOException, InterruptedException {
    requireNetns().healAll();
  }

  private NetworkNamespaces requireNetns() {
    if (netns == null) {
      throw new IllegalStateException("partitions need the brokers in network namespaces (start with networkNamespaces = true)");
    }
    return netns;
  }

  /**
   * The node id of the active KRaft controller (the quorum leader), if the quorum answers within
   * 5 s.
   */
  public OptionalInt activeController() {
    try (Admin admin = admin()) {
      int leader = admin.describeMetadataQuorum().quorumInfo().get(5, TimeUnit.SECONDS).leaderId();
      return leader < 0 ? OptionalInt.empty() : OptionalInt.of(leader);
    } catch (Exception e) {
      LOG.warn("cannot ask for the active controller: {}", e.toString());
      return OptionalInt.empty();
    }
  }

  /** The node id leading partition {@code partition} of the log topic, if known within 5 s. */
  public OptionalInt logPartitionLeader(int partition) {
    String topic = TopicLayout.withPrefix(TOPIC_PREFIX).logTopic();
    try (Admin admin = admin()) {
      TopicDescription d = admin.describeTopics(List.of(topic)).topicNameValues().get(topic).get(5, TimeUnit.SECONDS);
      for (TopicPartitionInfo p : d.partitions()) {
        if (p.partition() == partition && p.leader() != null) {
          return OptionalInt.of(p.leader().id());
        }
      }
      return OptionalInt.empty();
    } catch (Exception e) {
      LOG.warn("cannot ask for the leader of {}-{}: {}", topic, partition, e.toString());
      return OptionalInt.empty();
    }
  }

  /** Partition count of the log topic. */
  public int logPartitions() {
    return TopicLayout.withPrefix(TOPIC_PREFIX).logPartitions();
  }

  private Admin admin() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
    return Admin.create(props);
  }

  private ChildJvm broker(int id) {
    if (id < 1 || id > brokers.size()) {
      throw new IllegalArgumentException("no broker " + id + "; ids are 1.." + brokers.size());
    }
    return brokers.get(id - 1);
  }

  /**
   * Leaves every child running and forgets them: {@link #close} and this JVM's exit no longer kill
   * them (for {@code ordo cluster up}, with {@link Options#withDetached}; {@link #pids} says what to
   * kill later).
   *
   * @throws IllegalStateException unless started detached
   */
  public synchronized void detach() {
    if (!options.detached()) {
      throw new IllegalStateException("only a cluster started with Options.withDetached(true) can be detached");
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down.
    }
  }

  /** SIGKILLs every JVM and removes the namespaces. The run directory stays. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: this is the hook.
    }
    try {
      killAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("could not kill every part of the test cluster: {}", e.toString());
    }
    if (netns != null) {
      netns.close();
    }
  }

  /**
   * A log4j configuration for the children: Ordo at INFO, libraries at WARN (as the command's own),
   * into the file named by the system property {@code ordo.child.log}, rolled at {@value
   * #CHILD_LOG_BYTES_MAX} bytes with one old file kept, so a long run cannot fill the disk. Written
   * to {@code dir/child-log4j2.xml}.
   */
  static void writeChildLogConfig(Path dir) throws IOException {
    String xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Configuration status="WARN" shutdownHook="disable">
          <Appenders>
            <RollingFile name="file" fileName="${sys:ordo.child.log}" filePattern="${sys:ordo.child.log}.%i">
              <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level %c{1} - %msg%n"/>
              <SizeBasedTriggeringPolicy size="BYTES"/>
              <DefaultRolloverStrategy max="1"/>
            </RollingFile>
          </Appenders>
          <Loggers>
            <Logger name="io.ordo" level="INFO"/>
            <!-- Failover shows here: a broker fenced when its session timed out, ISR shrinks and expands. -->
            <Logger name="org.apache.kafka.controller.ReplicationControlManager" level="INFO"/>
            <Logger name="kafka.cluster.Partition" level="INFO"/>
            <!-- A client's side of a failover: requests timed out at a silent broker, disconnects,
                 leader and metadata changes (what a stalled client still waits for). -->
            <Logger name="org.apache.kafka.clients.NetworkClient" level="INFO"/>
            <Logger name="org.apache.kafka.clients.Metadata" level="INFO"/>
            <Logger name="org.apache.flink.metrics.MetricGroup" level="ERROR"/>
            <Logger name="org.apache.flink.runtime.webmonitor.WebMonitorUtils" level="ERROR"/>
            <Logger name="org.apache.flink.runtime.security.token.DefaultDelegationTokenManager" level="ERROR"/>
            <Root level="WARN"><AppenderRef ref="file"/></Root>
          </Loggers>
        </Configuration>
        """.replace("BYTES", Long.toString(CHILD_LOG_BYTES_MAX));
    Files.writeString(dir.resolve("child-log4j2.xml"), xml);
  }

  @Override
  public String toString() {
    return "LocalCluster{" + dir + ", brokers " + bootstrapServers() + ", gateway " + grpcTarget() + "}";
  }
}
