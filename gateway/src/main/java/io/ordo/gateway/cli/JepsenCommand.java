package io.ordo.gateway.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.executor.ExecutorConfig;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.GatewayServer;
import io.ordo.gateway.embedded.HealthProbe;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.report.ReportWriter;
import io.ordo.jepsen.runner.JepsenRunner;
import io.ordo.jepsen.runner.Nemesis;
import io.ordo.jepsen.runner.RunConfig;
import io.ordo.jepsen.runner.RunResult;
import io.ordo.jepsen.workload.GrpcTxnClient;
import io.ordo.jepsen.workload.Workload;
import io.ordo.jepsen.workload.Workloads;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import io.ordo.sequencer.embedded.EmbeddedKafkaBroker;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * <p>Without {@code --target} it starts its own Ordo on a temporary directory with free ports: a
 * Kafka broker (KRaft, in-process), the log topics, the executor job (Flink MiniCluster) and the
 * gateway, as {@code EmbeddedOrdo} does, but assembled here so that the {@code kill-job} nemesis
 * can stop the executor job and start it again from its newest checkpoint while broker and gateway
 * stay up. With {@code --target} only {@code --nemesis none} is possible.
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
  static final List<String> NEMESES = List.of("none", "kill-job");

  @Spec CommandSpec spec;

  @Option(names = "--workload", required = true, paramLabel = "NAME", description = "One of: list-append, rw-register, bank, kv.")
  String workload;

  @Option(names = "--nemesis", paramLabel = "NAME[,NAME]", split = ",",
      description = "Faults, started and stopped in turn: none, kill-job (stop the executor job, restore it from its newest"
          + " checkpoint). The issue's kill-broker, restart-all, pause and partition need the 3-broker cluster and are not"
          + " implemented yet.")
  List<String> nemeses = new ArrayList<>(List.of("none"));

  @Option(names = "--nemesis-interval", paramLabel = "S", description = "Seconds between fault transitions.")
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
    if (target != null && !faults.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--target runs only with --nemesis none: the faults need the embedded Ordo");
    }
    if (checkpointIntervalMs <= 0) {
      throw new ParameterException(spec.commandLine(), "--checkpoint-interval-ms must be > 0");
    }
    Path outDir = out != null ? out : Path.of("jepsen-" + workload);
    PrintWriter err = spec.commandLine().getErr();
    RunResult result;
    if (target != null) {
      result = runAgainst(target, w, config);
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
    try (GrpcTxnClient client = GrpcTxnClient.connect(grpcTarget)) {
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
        gateway = GatewayServer.start(GatewayConfig.defaults(broker.bootstrapServers(), topics).withPorts(0, 0));
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
        public void start() {
          synchronized (LocalOrdo.this) {
            if (executor != null) {
              executor.close();
              executor = null;
            }
          }
        }

        @Override
        public void stop() throws Exception {
          synchronized (LocalOrdo.this) {
            if (executor == null) {
              executor = EmbeddedExecutor.start(executorConfig);
              LOG.info("kill-job: executor job {} restored from {}", executor.jobId(), executor.restoredFrom().orElse("nothing"));
            }
          }
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
