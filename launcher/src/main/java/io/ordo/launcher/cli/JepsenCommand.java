package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.executor.ExecutorConfig;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.GatewayServer;
import io.ordo.gateway.HealthProbe;
import io.ordo.jepsen.cluster.ClusterNemeses;
import io.ordo.jepsen.cluster.FlinkDistribution;
import io.ordo.jepsen.cluster.FlinkSessionCluster;
import io.ordo.jepsen.cluster.LocalCluster;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.report.ReportWriter;
import io.ordo.jepsen.runner.JepsenRunner;
import io.ordo.jepsen.runner.Nemesis;
import io.ordo.jepsen.runner.ReshardNemesis;
import io.ordo.jepsen.runner.RunConfig;
import io.ordo.jepsen.runner.RunResult;
import io.ordo.jepsen.workload.GrpcTxnClient;
import io.ordo.jepsen.workload.StreamGrpcClient;
import io.ordo.jepsen.workload.StreamWorkload;
import io.ordo.jepsen.workload.Workload;
import io.ordo.jepsen.workload.Workloads;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo jepsen}: runs a Jepsen-style workload against Ordo, with faults, checks the history
 * and writes a report folder (history.edn/json, results.json, report.html). Exit code 0 only if
 * every checker says valid; 1 if any says invalid or unknown, or the run failed; 2 for usage
 * errors.
 *
 * <p>Without {@code --target} it starts its own Ordo on a temporary directory with free ports, in
 * one of two shapes ({@code --cluster}):
 *
 * <ul>
 *   <li>1 (the default for {@code --nemesis none} and {@code kill-job}): one Kafka broker (KRaft,
 *       in-process), the log topics, the executor job (Flink MiniCluster) and the gateway, all in
 *       this JVM, as {@code EmbeddedOrdo} does, but assembled here so that the {@code kill-job}
 *       nemesis can cancel the executor job and start it again from its newest checkpoint.
 *   <li>3 (the default as soon as a nemesis needs it: {@code kill-broker}, {@code pause}, {@code
 *       restart-all}, {@code partition}): the {@link LocalCluster}, three Kafka brokers, the
 *       executor and the gateway as separate child JVMs, topics with replication factor 3 and min
 *       ISR 2; the nemeses are {@link ClusterNemeses} ({@code kill-job} there is a kill -9 of the
 *       executor's JVM). {@code partition} puts the brokers into network namespaces (needs root and
 *       {@code ip}). The cluster's directory (child logs, data) is deleted after a valid run unless
 *       {@code --keep-cluster-dir}, and kept, with its path printed, otherwise. With {@code
 *       --flink-cluster} the executor job runs on a Flink standalone session cluster there ({@code
 *       FlinkSessionCluster}), and {@code kill-job} kill -9s its TaskManager.
 * </ul>
 *
 * With {@code --target} only {@code --nemesis none} is possible.
 */
@Command(
    name = "jepsen",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Run a Jepsen-style workload against Ordo, check the history and write a report folder.",
      "Exit code 0 only if every checker finds the history valid."
    })
public final class JepsenCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(JepsenCommand.class);
  /** How long to wait for an embedded Ordo to serve, in seconds. */
  static final long READY_TIMEOUT_S = 120;
  /** The nemeses this command knows. */
  static final List<String> NEMESES =
      List.of("none", "kill-job", "kill-broker", "pause", "restart-all", "partition", ReshardNemesis.NAME);
  /** The nemeses that run only on the 3-broker cluster. */
  static final List<String> CLUSTER_NEMESES = List.of("kill-broker", "pause", "restart-all", "partition");

  @Spec CommandSpec spec;

  @Option(names = "--workload", required = true, paramLabel = "NAME", description = "One of: list-append, rw-register, bank, kv, stream.")
  String workload;

  @Option(names = "--nemesis", paramLabel = "NAME[,NAME]", split = ",",
      description = "Faults, started and stopped in turn: none; kill-job (stop the executor job, restore it from its newest"
          + " checkpoint); and on the 3-broker cluster: kill-broker (kill -9 a broker - any, the active controller or a log"
          + " partition's leader, chosen from the seed - and restart it on its data), pause (SIGSTOP/SIGCONT a broker),"
          + " restart-all (kill -9 brokers, executor and gateway, start them all again on their data), partition (cut one"
          + " broker off from the other two with blackhole routes between network namespaces; needs root); with --workload"
          + " stream on any Ordo: reshard (start splits an open shard of the stream, stop merges two adjacent open shards).")
  List<String> nemeses = new ArrayList<>(List.of("none"));

  @Option(names = "--cluster", paramLabel = "N",
      description = "Brokers of the embedded Ordo: 1 (all in this JVM) or 3 (child JVMs; replication 3). Default: 3 if a"
          + " nemesis needs it (kill-broker, pause, restart-all, partition), else 1.")
  Integer cluster;

  @Option(names = "--flink-cluster",
      description = "Run the executor job on a Flink standalone session cluster (a JobManager and a TaskManager JVM from Flink's"
          + " entrypoints, the job jar submitted with flink run) inside the 3-broker test cluster, instead of a MiniCluster;"
          + " kill-job then kill -9s the TaskManager and starts a new one, and the job fails over to it from its latest checkpoint.")
  boolean flinkCluster;

  @Option(names = "--flink-lib", paramLabel = "DIR",
      description = "Flink's jars for --flink-cluster (default: flink-lib/target/flink-lib of the build).")
  Path flinkLib;

  @Option(names = "--job-jar", paramLabel = "JAR",
      description = "The executor job jar for --flink-cluster (default: executor-job/target/ordo-executor-job-*-job.jar of the build).")
  Path jobJar;

  @Option(names = "--keep-cluster-dir",
      description = "Keep the 3-broker cluster's directory (child logs, broker data, checkpoints) even after a valid run.")
  boolean keepClusterDir;

  @Option(names = "--nemesis-interval", paramLabel = "S", description = "Seconds between fault transitions, counted from the end of the previous one.")
  double nemesisIntervalS = RunConfig.DEFAULT_NEMESIS_INTERVAL_MS / 1000.0;

  @Option(names = "--time-limit", paramLabel = "S", description = "Seconds of operations.")
  double timeLimitS = 30;

  @Option(names = "--concurrency", paramLabel = "N", description = "Concurrent workers (processes).")
  int concurrency = 4;

  @Option(names = "--rate", paramLabel = "R", description = "Open-loop ops/s over all workers; 0 = closed loop.")
  double rate = 0;

  @Option(names = "--seed", paramLabel = "X", description = "Seed of the generator.")
  long seed = 1;

  @Option(names = "--op-timeout-ms", paramLabel = "MS", description = "Per-operation deadline; past it the op is info.")
  long opTimeoutMs = RunConfig.DEFAULT_OP_DEADLINE_MS;

  @Option(names = "--recovery-wait-ms", paramLabel = "MS", description = "Wait after healing before the final reads.")
  long recoveryWaitMs = RunConfig.DEFAULT_RECOVERY_WAIT_MS;

  @Option(names = "--out", paramLabel = "DIR", description = "Report folder (default: jepsen-<workload>).")
  Path out;

  @Option(names = "--target", paramLabel = "HOST:PORT", description = "A running gateway's gRPC address, instead of an embedded Ordo.")
  String target;

  @Option(names = "--checkpoint-interval-ms", paramLabel = "MS", description = "Checkpoint interval of the embedded executor job.")
  long checkpointIntervalMs = 1_000;

  @Override
  public Integer call() throws Exception {
    Workload w;
    RunConfig config;
    try {
      w = Workloads.create(workload, "j" + Long.toHexString(seed) + "-" + UUID.randomUUID().toString().substring(0, 8) + "/");
      config = RunConfig.closedLoop(concurrency, (long) (timeLimitS * 1000), seed)
          .withRate(rate)
          .withOpDeadlineMs(opTimeoutMs)
          .withRecoveryWaitMs(recoveryWaitMs);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    List<String> faults = faults();
    if (faults.contains(ReshardNemesis.NAME) && !(w instanceof StreamWorkload)) {
      throw new ParameterException(spec.commandLine(), "--nemesis reshard splits and merges the shards of the stream workload's"
          + " stream: it needs --workload stream, not " + workload);
    }
    if (target != null && faults.stream().anyMatch(f -> !f.equals(ReshardNemesis.NAME))) {
      throw new ParameterException(spec.commandLine(),
          "--target runs only with --nemesis none or reshard: the other faults need the embedded Ordo");
    }
    if (checkpointIntervalMs <= 0) {
      throw new ParameterException(spec.commandLine(), "--checkpoint-interval-ms must be > 0");
    }
    int brokers = brokers(faults);
    Path outDir = out != null ? out : Path.of("jepsen-" + workload);
    PrintWriter err = spec.commandLine().getErr();
    RunResult result;
    if (target != null) {
      result = runAgainst(target, w, config.withNemeses(reshard(w, faults), (long) (nemesisIntervalS * 1000)));
    } else if (brokers == LocalCluster.BROKERS) {
      result = runOnCluster(w, config, faults, err);
    } else {
      Path dir = Files.createTempDirectory("ordo-jepsen-");
      try (LocalOrdo ordo = LocalOrdo.start(dir, checkpointIntervalMs)) {
        err.println("ordo jepsen: embedded Ordo in " + dir + ", gateway on " + ordo.grpcTarget());
        err.flush();
        List<Nemesis> list = new ArrayList<>();
        for (String f : faults) {
          // faults() admits only the names of NEMESES; kill-job is the one that needs this Ordo.
          if (f.equals("kill-job")) {
            list.add(ordo.killJob());
          } else if (f.equals(ReshardNemesis.NAME)) {
            list.addAll(reshard(w, faults));
          }
        }
        result = runAgainst(ordo.grpcTarget(), w, config.withNemeses(list, (long) (nemesisIntervalS * 1000)));
      } finally {
        DemoCommand.deleteRecursively(dir);
      }
    }
    Path html = ReportWriter.write(outDir, result);
    PrintWriter o = spec.commandLine().getOut();
    o.printf("%s: %d ok, %d fail, %d info, %d skipped%n", result.workload(), result.okCount(), result.failCount(), result.infoCount(),
        result.skippedOps());
    for (Map.Entry<String, CheckResult> e : result.checks().results().entrySet()) {
      o.printf("  %-28s valid=%s %s%n", e.getKey(), e.getValue().valid().toJsonValue(), e.getValue().anomalyTypes());
    }
    o.println((result.valid() ? "VALID" : "NOT VALID") + "; report: " + html.toAbsolutePath());
    o.flush();
    return result.valid() ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  /**
   * The cluster size for these faults: {@code --cluster} if given, else 3 if a fault needs it, else 1.
   *
   * @throws ParameterException for a size other than 1 or 3, or a cluster fault with --cluster 1
   */
  int brokers(List<String> faults) {
    boolean needsCluster = flinkCluster || faults.stream().anyMatch(CLUSTER_NEMESES::contains);
    if (flinkCluster && target != null) {
      throw new ParameterException(spec.commandLine(), "--target and --flink-cluster exclude each other");
    }
    if (cluster == null) {
      return needsCluster ? LocalCluster.BROKERS : 1;
    }
    if (cluster != 1 && cluster != LocalCluster.BROKERS) {
      throw new ParameterException(spec.commandLine(), "--cluster must be 1 or " + LocalCluster.BROKERS + ", got " + cluster);
    }
    if (cluster == 1 && flinkCluster) {
      throw new ParameterException(spec.commandLine(), "--flink-cluster runs on the " + LocalCluster.BROKERS + "-broker cluster, not --cluster 1");
    }
    if (cluster == 1 && needsCluster) {
      throw new ParameterException(spec.commandLine(), "--cluster 1 cannot run " + String.join(",", faults) + ": "
          + String.join(", ", CLUSTER_NEMESES) + " need --cluster " + LocalCluster.BROKERS);
    }
    if (target != null && cluster != 1) {
      throw new ParameterException(spec.commandLine(), "--target and --cluster exclude each other");
    }
    return cluster;
  }

  /**
   * Starts the 3-broker {@link LocalCluster} (in network namespaces if {@code partition} is asked
   * for), runs the workload with the cluster nemeses, and removes the cluster directory unless the
   * run is not valid or failed.
   */
  private RunResult runOnCluster(Workload w, RunConfig config, List<String> faults, PrintWriter err) throws Exception {
    // Namespace names and the subnet must differ between runs on one machine, even with the same
    // --seed; they decide nothing in the history.
    LocalCluster.Options options = LocalCluster.Options.defaults(OrdoCli.class.getName())
        .withCheckpointIntervalMs(checkpointIntervalMs)
        .withNetworkNamespaces(faults.contains("partition"), new Random());
    if (flinkCluster) {
      try {
        options = options.withFlinkCluster(FlinkDistribution.locate(flinkLib, jobJar), FlinkSessionCluster.Settings.defaults());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
    }
    Path dir = Files.createTempDirectory("ordo-jepsen-cluster-");
    boolean keep = true;
    try (LocalCluster c = LocalCluster.start(dir, options)) {
      err.println("ordo jepsen: 3-broker cluster in " + dir + " (brokers " + c.bootstrapServers() + ", pids " + c.brokerPids()
          + "), gateway on " + c.grpcTarget()
          + c.flinkCluster().map(f -> ", executor job " + c.jobId() + " on the Flink session cluster " + f.restUrl() + " " + f.pids())
              .orElse(""));
      err.flush();
      List<Nemesis> list = new ArrayList<>();
      for (String f : faults) {
        list.addAll(f.equals(ReshardNemesis.NAME) ? reshard(w, faults) : List.of(ClusterNemeses.create(f, c, seed)));
      }
      RunResult result = runAgainst(c.grpcTarget(), w, config.withNemeses(list, (long) (nemesisIntervalS * 1000)));
      keep = keepClusterDir || !result.valid();
      return result;
    } finally {
      if (keep) {
        err.println("ordo jepsen: kept the cluster directory (child logs, data) at " + dir);
        err.flush();
      } else {
        DemoCommand.deleteRecursively(dir);
      }
    }
  }

  /** The reshard nemesis if asked for (the workload is then a stream workload), else none. */
  private List<Nemesis> reshard(Workload w, List<String> faults) {
    return faults.contains(ReshardNemesis.NAME) && w instanceof StreamWorkload s
        ? List.of(new ReshardNemesis(s, seed))
        : List.of();
  }

  /** The faults asked for, without "none". @throws ParameterException for an unknown name */
  List<String> faults() {
    List<String> out = new ArrayList<>();
    for (String n : nemeses) {
      String name = n.trim();
      if (!NEMESES.contains(name)) {
        throw new ParameterException(spec.commandLine(), "unknown nemesis '" + name + "'; known: " + String.join(", ", NEMESES));
      }
      if (!name.equals("none") && !out.contains(name)) {
        out.add(name);
      }
    }
    return out;
  }

  private static RunResult runAgainst(String grpcTarget, Workload w, RunConfig config) throws InterruptedException {
    // The stream workload talks to the Streams and Subscriptions services rather than Txn.
    try (GrpcTxnClient client = GrpcTxnClient.connect(grpcTarget);
        StreamGrpcClient streams = w instanceof StreamWorkload s ? s.connect(grpcTarget) : null) {
      return new JepsenRunner().run(w, client, config, "jepsen-" + UUID.randomUUID());
    }
  }

  /**
   * Broker, topics, executor and gateway in this process, like {@code EmbeddedOrdo}, with the
   * executor replaceable: {@link #killJob} stops it and starts it again on the same checkpoint
   * directory, so it restores from the newest checkpoint.
   */
  static final class LocalOrdo implements AutoCloseable {
    private final EmbeddedKafkaBroker broker;
    private final ExecutorConfig executorConfig;
    private final GatewayServer gateway;
    private EmbeddedExecutor executor;

    private LocalOrdo(EmbeddedKafkaBroker broker, ExecutorConfig executorConfig, EmbeddedExecutor executor, GatewayServer gateway) {
      this.broker = broker;
      this.executorConfig = executorConfig;
      this.executor = executor;
      this.gateway = gateway;
    }

    static LocalOrdo start(Path dir, long checkpointIntervalMs) throws Exception {
      TopicLayout topics = TopicLayout.defaults();
      EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0);
      EmbeddedExecutor executor = null;
      GatewayServer gateway = null;
      try {
        LogTopics.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(60));
        ExecutorConfig executorConfig = ExecutorConfig.defaults(broker.bootstrapServers(), topics)
            .withCheckpointDir(dir.resolve("checkpoints").toString())
            .withCheckpointIntervalMs(checkpointIntervalMs);
        executor = EmbeddedExecutor.start(executorConfig);
        // A local store, as EmbeddedOrdo's: the stream workload's subscriptions deliver from it.
        gateway = GatewayServer.start(GatewayConfig.defaults(broker.bootstrapServers(), topics).withPorts(0, 0)
            .withPgPort(GatewayConfig.NO_PG_PORT)
            .withDataDir(dir.resolve("gateway-store")));
        LocalOrdo ordo = new LocalOrdo(broker, executorConfig, executor, gateway);
        ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
        try {
          HealthProbe.awaitServing(channel, Duration.ofSeconds(READY_TIMEOUT_S));
        } finally {
          channel.shutdownNow();
          channel.awaitTermination(5, TimeUnit.SECONDS);
        }
        return ordo;
      } catch (Exception | Error e) {
        if (gateway != null) {
          gateway.close();
        }
        if (executor != null) {
          executor.close();
        }
        broker.close();
        throw e;
      }
    }

    String grpcTarget() {
      return "localhost:" + gateway.grpcPort();
    }

    /** The kill-job nemesis: start = cancel the job (checkpoints retained), stop = start it again. */
    Nemesis killJob() {
      return new Nemesis() {
        @Override
        public String name() {
          return "kill-job";
        }

        @Override
        public Object start() {
          synchronized (LocalOrdo.this) {
            if (executor != null) {
              executor.close();
              executor = null;
            }
          }
          return null;
        }

        @Override
        public Object stop() throws Exception {
          synchronized (LocalOrdo.this) {
            if (executor == null) {
              executor = EmbeddedExecutor.start(executorConfig);
              LOG.info("kill-job: executor job {} restored from {}", executor.jobId(), executor.restoredFrom().orElse("nothing"));
            }
          }
          return null;
        }
      };
    }

    @Override
    public synchronized void close() {
      gateway.close();
      if (executor != null) {
        executor.close();
      }
      broker.close();
    }
  }
}
