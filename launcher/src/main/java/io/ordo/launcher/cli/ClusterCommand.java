package io.ordo.launcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.gateway.HealthProbe;
import io.ordo.jepsen.cluster.FlinkDistribution;
import io.ordo.jepsen.cluster.FlinkSessionCluster;
import io.ordo.jepsen.cluster.LocalCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo cluster up|down|status}: Ordo as separate processes on this machine, the deployment
 * shape without Docker: three Kafka brokers (KRaft, replication 3), a Flink standalone session
 * cluster (a JobManager and TaskManagers from Flink's entrypoints on the jars in {@code
 * flink-lib/target/flink-lib}) running the executor job jar submitted with {@code flink run}, and
 * gateways ({@code ordo gateway}) against the brokers. It is the Jepsen test cluster ({@link
 * LocalCluster} with a Flink session cluster) started detached: the processes outlive the command.
 * {@code up} writes {@value #STATE_FILE} (pids, ports, job id) under {@code --dir}; {@code down}
 * SIGKILLs the processes it names (only those whose command line still mentions the directory, so
 * a reused pid is left alone); {@code status} says what runs.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    description = {
      "A local Ordo cluster of separate processes: 3 Kafka brokers, a Flink session cluster (JobManager + TaskManagers)",
      "running the executor job, and gateways. up starts it in the background, down kills it, status shows it."
    },
    subcommands = {ClusterCommand.Up.class, ClusterCommand.Down.class, ClusterCommand.Status.class})
public final class ClusterCommand {
  /** The state file under the cluster directory. */
  static final String STATE_FILE = "cluster.json";
  /** Default cluster directory. */
  static final String DEFAULT_DIR = "ordo-cluster";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** {@code ordo cluster up}. */
  @Command(name = "up", mixinStandardHelpOptions = true, showDefaultValues = true,
      description = "Start the cluster in the background (about a minute) and write DIR/" + STATE_FILE + ".")
  static final class Up implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "Data, logs and state of the cluster.")
    Path dir = Path.of(DEFAULT_DIR);

    @Option(names = "--gateways", paramLabel = "N", description = "Gateways (the first on --grpc-port/--http-port, the others on free ports).")
    int gateways = 1;

    @Option(names = "--grpc-port", paramLabel = "PORT", description = "The first gateway's gRPC port (0 = a free port).")
    int grpcPort = 6570;

    @Option(names = "--http-port", paramLabel = "PORT", description = "The first gateway's REST port (0 = a free port).")
    int httpPort = 6580;

    @Option(names = "--flink-rest-port", paramLabel = "PORT", description = "Flink's REST API and web UI (0 = a free port).")
    int flinkRestPort = 8081;

    @Option(names = "--task-managers", paramLabel = "N", description = "Flink TaskManagers (2 slots each).")
    int taskManagers = 1;

    @Option(names = "--checkpoint-interval-ms", paramLabel = "MS", description = "The executor job's checkpoint interval.")
    long checkpointIntervalMs = 1_000;

    @Option(names = "--flink-lib", paramLabel = "DIR", description = "Flink's jars (default: flink-lib/target/flink-lib of the build).")
    Path flinkLib;

    @Option(names = "--job-jar", paramLabel = "JAR",
        description = "The executor job jar (default: executor-job/target/ordo-executor-job-*-job.jar of the build).")
    Path jobJar;

    @Override
    public Integer call() throws Exception {
      if (gateways < 1 || taskManagers < 1) {
        throw new ParameterException(spec.commandLine(), "--gateways and --task-managers must be >= 1");
      }
      FlinkDistribution dist;
      try {
        dist = FlinkDistribution.locate(flinkLib, jobJar);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      Path abs = dir.toAbsolutePath().normalize();
      prepareDir(abs);
      PrintWriter out = spec.commandLine().getOut();
      out.println("ordo cluster: starting in " + abs + " (3 brokers, Flink JobManager + " + taskManagers + " TaskManager(s), "
          + gateways + " gateway(s)); logs: " + abs + "/*.log, " + abs + "/flink/*/*.log");
      out.flush();
      LocalCluster.Options options = LocalCluster.Options.defaults(OrdoCli.class.getName())
          .withCheckpointIntervalMs(checkpointIntervalMs)
          .withGateways(gateways)
          .withGatewayPorts(grpcPort, httpPort)
          .withFlinkCluster(dist, FlinkSessionCluster.Settings.defaults().withTaskManagers(taskManagers).withRestPort(flinkRestPort))
          .withDetached(true);
      long t0 = System.nanoTime();
      LocalCluster c = LocalCluster.start(abs, options);
      try {
        writeState(abs, c);
      } catch (IOException | RuntimeException e) {
        c.close();
        throw e;
      }
      c.detach();
      FlinkSessionCluster flink = c.flinkCluster().orElseThrow();
      out.printf("ordo cluster: up in %d s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
      out.println("  kafka:     " + c.bootstrapServers());
      out.println("  flink:     " + flink.restUrl() + " (web UI, REST API), job " + c.jobId());
      for (int g = 0; g < c.grpcTargets().size(); g++) {
        out.println("  gateway:   gRPC " + c.grpcTargets().get(g) + ", REST http://127.0.0.1:" + c.httpPorts().get(g));
      }
      out.println("  processes: " + c.pids());
      out.println("  stop with: ordo cluster down --dir " + dir);
      out.flush();
      return OrdoCli.EXIT_OK;
    }

    /** Refuses a running cluster or a foreign non-empty directory; clears a stopped cluster's. */
    private void prepareDir(Path abs) throws IOException {
      Path state = abs.resolve(STATE_FILE);
      if (Files.exists(state)) {
        List<String> alive = new ArrayList<>();
        JsonNode s = JSON.readTree(state.toFile());
        for (Iterator<Map.Entry<String, JsonNode>> it = s.path("pids").fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (ownProcess(e.getValue().asLong(), abs).isPresent()) {
            alive.add(e.getKey());
          }
        }
        if (!alive.isEmpty()) {
          throw new IllegalStateException("a cluster runs in " + abs + " (" + String.join(", ", alive) + "); stop it with: ordo cluster down --dir "
              + dir);
        }
        // A cluster of ours that is down: start afresh (new brokers, new job).
        DemoCommand.deleteRecursively(abs);
      } else if (Files.isDirectory(abs)) {
        try (Stream<Path> s = Files.list(abs)) {
          if (s.findAny().isPresent()) {
            throw new ParameterException(spec.commandLine(), abs + " is not empty and holds no " + STATE_FILE + "; choose another --dir");
          }
        }
      }
    }
  }

  /** {@code ordo cluster down}. */
  @Command(name = "down", mixinStandardHelpOptions = true, showDefaultValues = true,
      description = "Kill every process of the cluster (SIGKILL); data and logs stay in DIR until the next up.")
  static final class Down implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "The cluster's directory.")
    Path dir = Path.of(DEFAULT_DIR);

    @Override
    public Integer call() throws Exception {
      Path abs = dir.toAbsolutePath().normalize();
      JsonNode state = readState(abs);
      PrintWriter out = spec.commandLine().getOut();
      // Gateways first, then Flink, then the brokers: the reverse of the start.
      List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
      state.path("pids").fields().forEachRemaining(entries::add);
      java.util.Collections.reverse(entries);
      int killed = 0;
      for (Map.Entry<String, JsonNode> e : entries) {
        Optional<ProcessHandle> p = ownProcess(e.getValue().asLong(), abs);
        if (p.isEmpty()) {
          continue;
        }
        p.get().destroyForcibly();
        try {
          p.get().onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException ex) {
          throw new IllegalStateException(e.getKey() + " (pid " + e.getValue() + ") did not end within 30 s of SIGKILL");
        }
        out.println("killed " + e.getKey() + " (pid " + e.getValue() + ")");
        killed++;
      }
      out.println("ordo cluster: " + (killed == 0 ? "nothing was running" : "down") + "; data and logs kept in " + abs);
      out.flush();
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo cluster status}. */
  @Command(name = "status", mixinStandardHelpOptions = true, showDefaultValues = true,
      description = "Show the cluster's processes, the Flink job and the gateways' health. Exit code 0 iff all run.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "The cluster's directory.")
    Path dir = Path.of(DEFAULT_DIR);

    @Override
    public Integer call() throws Exception {
      Path abs = dir.toAbsolutePath().normalize();
      JsonNode state = readState(abs);
      PrintWriter out = spec.commandLine().getOut();
      boolean ok = true;
      TextTable t = new TextTable("PROCESS", "PID", "STATE");
      for (Iterator<Map.Entry<String, JsonNode>> it = state.path("pids").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        boolean alive = ownProcess(e.getValue().asLong(), abs).isPresent();
        ok &= alive;
        t.row(e.getKey(), e.getValue().asLong(), alive ? "running" : "down");
      }
      t.print(out);
      out.println("kafka:   " + state.path("bootstrapServers").asText());
      String rest = state.path("flinkRest").asText();
      String job = state.path("jobId").asText();
      Optional<JsonNode> overview = httpGet(rest + "/overview");
      Optional<JsonNode> jobInfo = httpGet(rest + "/jobs/" + job);
      String jobState = jobInfo.map(j -> j.path("state").asText()).orElse("unknown (no answer from " + rest + ")");
      ok &= "RUNNING".equals(jobState);
      out.println("flink:   " + rest + overview.map(o -> ", " + o.path("taskmanagers").asInt() + " TaskManager(s), "
          + o.path("slots-available").asInt() + "/" + o.path("slots-total").asInt() + " slots free").orElse(""));
      out.println("job:     " + job + " " + jobState);
      List<String> grpc = new ArrayList<>();
      state.path("grpc").forEach(n -> grpc.add(n.asText()));
      for (String target : grpc) {
        boolean serving = serving(target);
        ok &= serving;
        out.println("gateway: " + target + " " + (serving ? "SERVING" : "not serving"));
      }
      out.flush();
      return ok ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
    }
  }

  private static void writeState(Path dir, LocalCluster c) throws IOException {
    ObjectNode s = JSON.createObjectNode();
    s.put("dir", dir.toString());
    s.put("startedAt", Instant.now().toString());
    s.put("bootstrapServers", c.bootstrapServers());
    FlinkSessionCluster flink = c.flinkCluster().orElseThrow();
    s.put("flinkRest", flink.restUrl());
    s.put("jobId", c.jobId());
    s.put("jobJar", flink.distribution().jobJar().toString());
    c.grpcTargets().forEach(s.putArray("grpc")::add);
    c.httpPorts().forEach(s.putArray("http")::add);
    ObjectNode pids = s.putObject("pids");
    Map<String, Long> byName = new LinkedHashMap<>(c.pids());
    byName.forEach(pids::put);
    Path tmp = dir.resolve(STATE_FILE + ".tmp");
    JSON.writeValue(tmp.toFile(), s);
    Files.move(tmp, dir.resolve(STATE_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static JsonNode readState(Path dir) throws IOException {
    Path state = dir.resolve(STATE_FILE);
    if (!Files.exists(state)) {
      throw new IllegalStateException("no cluster in " + dir + " (no " + STATE_FILE + "); start one with: ordo cluster up --dir " + dir);
    }
    return JSON.readTree(state.toFile());
  }

  /**
   * The live process {@code pid} if it is one of this cluster's: its command line mentions the
   * cluster directory (every child's data, config or log path is under it), so a pid the system
   * has since given to another process is not touched.
   */
  static Optional<ProcessHandle> ownProcess(long pid, Path dir) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(cmd -> cmd.contains(dir.toString() + java.io.File.separator)).orElse(false));
  }

  private static Optional<JsonNode> httpGet(String url) {
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() / 100 == 2 ? Optional.of(new ObjectMapper().readTree(r.body())) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static boolean serving(String target) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    try {
      HealthProbe.awaitServing(channel, Duration.ofSeconds(3));
      return true;
    } catch (RuntimeException e) {
      return false;
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
