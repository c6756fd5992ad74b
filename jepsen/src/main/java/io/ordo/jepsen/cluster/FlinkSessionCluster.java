package io.ordo.jepsen.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Flink standalone session cluster on this machine, started from Flink's own entrypoints on the
 * jars of a {@link FlinkDistribution} (no Flink distribution, no scripts, no Docker): one
 * JobManager JVM ({@code StandaloneSessionClusterEntrypoint}) and TaskManager JVMs ({@code
 * TaskManagerRunner}, with the JVM options and memory settings that Flink's {@code BashJavaUtils}
 * computes from the configuration, as {@code taskmanager.sh} does). Each process has a directory of
 * its own under {@code dir}: {@code jobmanager/}, {@code taskmanager-N/} and {@code client/} (the
 * CLI), each with {@code conf/config.yaml} and {@code conf/log4j.properties}, its log ({@code
 * NAME.log}, rolled at 20 MB with one old file kept), its stdout/stderr ({@code NAME.out}) and its
 * temporary files.
 *
 * <p>Jobs are submitted as users submit them: with Flink's CLI ({@link #submitWithCli}, {@code
 * flink run -d} is {@code CliFrontend run -d} with {@code FLINK_CONF_DIR} set) or the REST API
 * ({@link #uploadJar}, {@link #runJar}: {@code /jars/upload}, {@code /jars/:id/run}); {@link
 * #cancelWithSavepoint} is {@code POST /jobs/:id/savepoints} with {@code cancel-job: true}, and
 * both submissions resume from a savepoint or retained checkpoint ({@code -s}, {@code
 * savepointPath}): the upgrade path.
 *
 * <p>Everything listens on 127.0.0.1, on free ports chosen at {@link #create} (the REST port may be
 * fixed) and kept across restarts of a process. Heartbeats are short (interval 1 s, timeout 10 s by
 * default; with Flink's default of two failed heartbeat RPCs a killed TaskManager is declared lost
 * within ~2 s), so the job fails over soon after a TaskManager dies. Not thread-safe: the caller
 * serializes ({@link LocalCluster} does).
 */
public final class FlinkSessionCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FlinkSessionCluster.class);
  /**
   * The {@code --add-opens} that Flink's own configuration passes to every JVM ({@code
   * env.java.opts.all} of the distribution's config.yaml): without them Flink's serializers and
   * the CLI fail on Java 17 ("module java.base does not opens java.util").
   */
  public static final List<String> ADD_OPENS = List.of(
      "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
      "--add-opens=java.sql/java.sql=ALL-UNNAMED");
  /** Main class of the JobManager. */
  public static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  /** Main class of a TaskManager. */
  public static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  /** Main class of Flink's CLI ({@code bin/flink}). */
  public static final String CLI_MAIN = "org.apache.flink.client.cli.CliFrontend";
  /** Main class of the memory calculator behind Flink's start scripts. */
  public static final String BASH_JAVA_UTILS_MAIN = "org.apache.flink.runtime.util.bash.BashJavaUtils";
  /** The prefix of BashJavaUtils' result lines. */
  static final String BASH_JAVA_UTILS_RESULT = "BASH_JAVA_UTILS_EXEC_RESULT:";
  /** Bound of each process's log file before it is rolled, in bytes. */
  public static final long LOG_BYTES_MAX = 20L * 1024 * 1024;
  private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
  private static final long POLL_MS = 200;

  /**
   * How the cluster is sized and run.
   *
   * @param taskManagers TaskManager JVMs, >= 1
   * @param slotsPerTaskManager task slots of each (the executor job's default parallelism is 2)
   * @param taskManagerProcessSize {@code taskmanager.memory.process.size}, e.g. "1024m"
   * @param managedMemorySize {@code taskmanager.memory.managed.size} (RocksDB's memory; the heap
   *     state backend uses none), e.g. "64m"
   * @param jobManagerProcessSize {@code jobmanager.memory.process.size}, e.g. "768m"
   * @param heartbeatIntervalMs {@code heartbeat.interval}
   * @param heartbeatTimeoutMs {@code heartbeat.timeout}
   * @param restPort the REST port (web UI, REST API, CLI), 0 = a free one
   * @param watchParent stop the processes when this JVM ends ({@link ParentWatchMain}); false for a
   *     cluster that outlives the command that started it
   */
  public record Settings(int taskManagers, int slotsPerTaskManager, String taskManagerProcessSize, String managedMemorySize,
      String jobManagerProcessSize, long heartbeatIntervalMs, long heartbeatTimeoutMs, int restPort, boolean watchParent) {
    /** @throws IllegalArgumentException for counts < 1, a bad port or heartbeat */
    public Settings {
      if (taskManagers < 1 || slotsPerTaskManager < 1) {
        throw new IllegalArgumentException("need >= 1 TaskManager with >= 1 slot, got " + taskManagers + " x " + slotsPerTaskManager);
      }
      if (restPort < 0 || restPort > 65_535) {
        throw new IllegalArgumentException("bad REST port " + restPort);
      }
      if (heartbeatIntervalMs <= 0 || heartbeatTimeoutMs <= heartbeatIntervalMs) {
        throw new IllegalArgumentException("need 0 < heartbeat interval < timeout, got " + heartbeatIntervalMs + ", " + heartbeatTimeoutMs);
      }
    }

    /** One TaskManager with 2 slots and 1024 MB, a 768 MB JobManager, 1 s / 10 s heartbeats. */
    public static Settings defaults() {
      return new Settings(1, 2, "1024m", "64m", "768m", 1_000, 10_000, 0, true);
    }

    public Settings withTaskManagers(int n) {
      return new Settings(n, slotsPerTaskManager, taskManagerProcessSize, managedMemorySize, jobManagerProcessSize, heartbeatIntervalMs,
          heartbeatTimeoutMs, restPort, watchParent);
    }

    public Settings withRestPort(int port) {
      return new Settings(taskManagers, slotsPerTaskManager, taskManagerProcessSize, managedMemorySize, jobManagerProcessSize,
          heartbeatIntervalMs, heartbeatTimeoutMs, port, watchParent);
    }

    public Settings withWatchParent(boolean watch) {
      return new Settings(taskManagers, slotsPerTaskManager, taskManagerProcessSize, managedMemorySize, jobManagerProcessSize,
          heartbeatIntervalMs, heartbeatTimeoutMs, restPort, watch);
    }

    public Settings withTaskManagerMemory(String processSize, String managedSize) {
      return new Settings(taskManagers, slotsPerTaskManager, processSize, managedSize, jobManagerProcessSize, heartbeatIntervalMs,
          heartbeatTimeoutMs, restPort, watchParent);
    }
  }

  private final Path dir;
  private final FlinkDistribution dist;
  private final Settings settings;
  private final int restPort;
  private final int rpcPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();
  private final ObjectMapper json = new ObjectMapper();
  private ChildJvm jobManager;
  /** Per TaskManager (index 0 = taskmanager-1), its current JVM, or null before its first start. */
  private final ChildJvm[] taskManagers;
  /** Per TaskManager, how often it was started (part of its resource id). */
  private final int[] taskManagerStarts;
  /** BashJavaUtils' output per process dir: line 1 JVM options, line 2 dynamic properties. */
  private final Map<Path, List<List<String>>> resourceParams = new LinkedHashMap<>();
  private int cliRuns;
  private boolean closed;

  private FlinkSessionCluster(Path dir, FlinkDistribution dist, Settings settings, int restPort, int rpcPort) {
    this.dir = dir;
    this.dist = dist;
    this.settings = settings;
    this.restPort = restPort;
    this.rpcPort = rpcPort;
    this.taskManagers = new ChildJvm[settings.taskManagers()];
    this.taskManagerStarts = new int[settings.taskManagers()];
  }

  /**
   * Writes the configuration of every process under {@code dir} (created if missing) and chooses
   * the ports; starts nothing.
   *
   * @param takenPorts ports already used by the caller's other processes; the chosen ones are added
   */
  public static FlinkSessionCluster create(Path dir, FlinkDistribution dist, Settings settings, Set<Integer> takenPorts)
      throws IOException {
    Path abs = dir.toAbsolutePath();
    int rest = settings.restPort() != 0 ? settings.restPort() : Ports.free(takenPorts);
    takenPorts.add(rest);
    int rpc = Ports.free(takenPorts);
    FlinkSessionCluster c = new FlinkSessionCluster(abs, dist, settings, rest, rpc);
    c.writeConfig(c.jobManagerDir());
    for (int i = 1; i <= settings.taskManagers(); i++) {
      c.writeConfig(c.taskManagerDir(i));
    }
    c.writeConfig(c.clientDir());
    return c;
  }

  /** The base URL of the REST API and web UI, {@code http://127.0.0.1:PORT}. */
  public String restUrl() {
    return "http://127.0.0.1:" + restPort;
  }

  /** The REST port. */
  public int restPort() {
    return restPort;
  }

  /** The cluster's directory. */
  public Path dir() {
    return dir;
  }

  /** What the processes run on. */
  public FlinkDistribution distribution() {
    return dist;
  }

  /** The settings. */
  public Settings settings() {
    return settings;
  }

  Path jobManagerDir() {
    return dir.resolve("jobmanager");
  }

  Path taskManagerDir(int i) {
    return dir.resolve("taskmanager-" + i);
  }

  Path clientDir() {
    return dir.resolve("client");
  }

  /** The configuration every process shares, plus its own temporary and blob directories. */
  private void writeConfig(Path processDir) throws IOException {
    Path conf = processDir.resolve("conf");
    Files.createDirectories(conf);
    Files.createDirectories(processDir.resolve("tmp"));
    Map<String, String> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "127.0.0.1");
    c.put("jobmanager.rpc.port", Integer.toString(rpcPort));
    c.put("jobmanager.bind-host", "127.0.0.1");
    c.put("jobmanager.memory.process.size", settings.jobManagerProcessSize());
    // The JobManager runs no user code but the web submission's main(): a smaller metaspace and
    // overhead leave it a useful heap within a small process size.
    c.put("jobmanager.memory.jvm-metaspace.size", "192m");
    c.put("jobmanager.memory.jvm-overhead.min", "128m");
    c.put("taskmanager.bind-host", "127.0.0.1");
    c.put("taskmanager.host", "127.0.0.1");
    c.put("taskmanager.numberOfTaskSlots", Integer.toString(settings.slotsPerTaskManager()));
    c.put("taskmanager.memory.process.size", settings.taskManagerProcessSize());
    c.put("taskmanager.memory.managed.size", settings.managedMemorySize());
    c.put("taskmanager.memory.jvm-overhead.min", "128m");
    c.put("rest.address", "127.0.0.1");
    c.put("rest.bind-address", "127.0.0.1");
    c.put("rest.port", Integer.toString(restPort));
    c.put("heartbeat.interval", Long.toString(settings.heartbeatIntervalMs()));
    c.put("heartbeat.timeout", Long.toString(settings.heartbeatTimeoutMs()));
    c.put("io.tmp.dirs", processDir.resolve("tmp").toString());
    c.put("blob.storage.directory", processDir.resolve("tmp").toString());
    c.put("web.tmpdir", processDir.resolve("tmp").toString());
    c.put("web.upload.dir", jobManagerDir().resolve("web-upload").toString());
    c.put("state.savepoints.dir", dir.resolve("savepoints").toUri().toString());
    c.put("env.java.opts.all", String.join(" ", ADD_OPENS));
    StringBuilder yaml = new StringBuilder("# Written by Ordo's FlinkSessionCluster; the same for every process of the cluster.\n");
    for (Map.Entry<String, String> e : c.entrySet()) {
      yaml.append(e.getKey()).append(": ").append(quote(e.getValue())).append('\n');
    }
    Files.writeString(conf.resolve("config.yaml"), yaml.toString());
    Files.writeString(conf.resolve("log4j.properties"), log4jProperties());
  }

  private static String quote(String v) {
    return v.matches("[A-Za-z0-9_./:-]+") ? v : "'" + v.replace("'", "''") + "'";
  }

  /** Flink's own log4j layout, into {@code ${sys:log.file}}, size-bounded. */
  private static String log4jProperties() {
    return """
        monitorInterval = 0
        rootLogger.level = INFO
        rootLogger.appenderRef.file.ref = MainAppender
        logger.kafka.name = org.apache.kafka
        logger.kafka.level = WARN
        logger.pekko.name = org.apache.pekko
        logger.pekko.level = WARN
        appender.main.name = MainAppender
        appender.main.type = RollingFile
        appender.main.append = true
        appender.main.fileName = ${sys:log.file}
        appender.main.filePattern = ${sys:log.file}.%i
        appender.main.layout.type = PatternLayout
        appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
        appender.main.policies.type = Policies
        appender.main.policies.size.type = SizeBasedTriggeringPolicy
        appender.main.policies.size.size = BYTES
        appender.main.strategy.type = DefaultRolloverStrategy
        appender.main.strategy.max = 1
        """.replace("BYTES", Long.toString(LOG_BYTES_MAX));
  }

  private List<String> logOptions(Path processDir, String name) {
    return List.of("-Dlog.file=" + processDir.resolve(name + ".log"),
        "-Dlog4j.configurationFile=" + processDir.resolve("conf").resolve("log4j.properties").toUri());
  }

  // ---------------------------------------------------------------------------------------------
  // Processes

  /** Starts the JobManager (if not running); {@link #awaitReady} waits for it. */
  public void startJobManager() throws IOException, InterruptedException {
    if (jobManager != null && jobManager.isAlive()) {
      return;
    }
    Path d = jobManagerDir();
    List<List<String>> params = resourceParams(d, "GET_JM_RESOURCE_PARAMS");
    List<String> opts = new ArrayList<>(ADD_OPENS);
    opts.addAll(params.get(0));
    opts.add("-XX:+UseSerialGC");
    opts.addAll(logOptions(d, "jobmanager"));
    List<String> args = new ArrayList<>(List.of("--configDir", d.resolve("conf").toString()));
    args.addAll(params.get(1));
    jobManager = new ChildJvm("jobmanager", d, null, opts, dist.classpath(), settings.watchParent(), JOB_MANAGER_MAIN, args,
        Map.of("FLINK_CONF_DIR", d.resolve("conf").toString()));
    jobManager.start();
    LOG.info("Flink JobManager started, pid {}, REST {}", jobManager.pid(), restUrl());
  }

  /**
   * Starts TaskManager {@code i} (1-based) as a new JVM with a new resource id ({@code
   * taskmanager-I-N}), if it is not running; {@link #awaitTaskManager} waits until it registered.
   *
   * @return its resource id
   */
  public String startTaskManager(int i) throws IOException, InterruptedException {
    checkIndex(i);
    ChildJvm current = taskManagers[i - 1];
    if (current != null && current.isAlive()) {
      return resourceId(i);
    }
    Path d = taskManagerDir(i);
    List<List<String>> params = resourceParams(d, "GET_TM_RESOURCE_PARAMS");
    taskManagerStarts[i - 1]++;
    List<String> opts = new ArrayList<>(ADD_OPENS);
    opts.addAll(params.get(0));
    // The parallel collector, as the ordo script uses: on two cores G1's concurrent work costs more.
    opts.add("-XX:+UseParallelGC");
    opts.addAll(logOptions(d, "taskmanager-" + i));
    List<String> args = new ArrayList<>(List.of("--configDir", d.resolve("conf").toString()));
    args.addAll(params.get(1));
    args.addAll(List.of("-D", "taskmanager.resource-id=" + resourceId(i)));
    ChildJvm tm = new ChildJvm("taskmanager-" + i, d, null, opts, dist.classpath(), settings.watchParent(), TASK_MANAGER_MAIN, args,
        Map.of("FLINK_CONF_DIR", d.resolve("conf").toString()));
    taskManagers[i - 1] = tm;
    tm.start();
    LOG.info("Flink TaskManager {} started, pid {}, resource id {}", i, tm.pid(), resourceId(i));
    return resourceId(i);
  }

  /** The resource id of TaskManager {@code i}'s current (or last) JVM. */
  public String resourceId(int i) {
    checkIndex(i);
    return "taskmanager-" + i + "-" + taskManagerStarts[i - 1];
  }

  /** Starts the JobManager and every TaskManager that is not running, and waits until all registered. */
  public void start(long timeoutMs) throws IOException, InterruptedException {
    startJobManager();
    for (int i = 1; i <= taskManagers.length; i++) {
      startTaskManager(i);
    }
    awaitReady(timeoutMs);
  }

  /** Waits until the REST API answers and every TaskManager's current JVM has registered. */
  public void awaitReady(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (int i = 1; i <= taskManagers.length; i++) {
      awaitTaskManager(i, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
  }

  /**
   * Waits until TaskManager {@code i}'s current JVM is registered at the ResourceManager.
   *
   * @throws IllegalStateException if the JobManager or the TaskManager ends, or on timeout
   */
  public void awaitTaskManager(int i, long timeoutMs) throws InterruptedException {
    checkIndex(i);
    String id = resourceId(i);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      requireAlive(jobManager, "the JobManager");
      requireAlive(taskManagers[i - 1], "TaskManager " + i);
      Optional<JsonNode> tms = tryGet("/taskmanagers");
      if (tms.isPresent()) {
        for (JsonNode tm : tms.get().path("taskmanagers")) {
          if (id.equals(tm.path("id").asText())) {
            return;
          }
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("TaskManager " + id + " did not register within " + timeoutMs + " ms; its output ends with:\n"
            + taskManagers[i - 1].tail());
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** The resource ids the ResourceManager knows now (dead ones stay until their heartbeat times out). */
  public List<String> registeredTaskManagers() {
    List<String> ids = new ArrayList<>();
    tryGet("/taskmanagers").ifPresent(n -> n.path("taskmanagers").forEach(tm -> ids.add(tm.path("id").asText())));
    return ids;
  }

  private static void requireAlive(ChildJvm jvm, String what) {
    if (jvm == null || !jvm.isAlive()) {
      throw new IllegalStateException(what + " is not running" + (jvm == null ? "" : "; its output ends with:\n" + jvm.tail()));
    }
  }

  /** SIGKILLs TaskManager {@code i} and waits until its JVM is gone. */
  public void killTaskManager(int i) throws InterruptedException {
    checkIndex(i);
    ChildJvm tm = taskManagers[i - 1];
    if (tm != null && tm.isAlive()) {
      tm.kill9();
      LOG.info("Flink TaskManager {} (pid {}) killed with SIGKILL", i, tm.pid());
    }
  }

  /** SIGKILLs the JobManager (without high availability its jobs are gone with it). */
  public void killJobManager() throws InterruptedException {
    if (jobManager != null) {
      jobManager.kill9();
    }
  }

  /** The pid of TaskManager {@code i}'s current (or last) JVM. */
  public long taskManagerPid(int i) {
    checkIndex(i);
    if (taskManagers[i - 1] == null) {
      throw new IllegalStateException("TaskManager " + i + " was never started");
    }
    return taskManagers[i - 1].pid();
  }

  /** True iff TaskManager {@code i}'s JVM runs. */
  public boolean isTaskManagerAlive(int i) {
    checkIndex(i);
    return taskManagers[i - 1] != null && taskManagers[i - 1].isAlive();
  }

  /** True iff the JobManager's JVM runs. */
  public boolean isJobManagerAlive() {
    return jobManager != null && jobManager.isAlive();
  }

  /** The JobManager's pid. */
  public long jobManagerPid() {
    if (jobManager == null) {
      throw new IllegalStateException("the JobManager was never started");
    }
    return jobManager.pid();
  }

  /** Every process's pid by name (jobmanager, taskmanager-N), for those ever started. */
  public Map<String, Long> pids() {
    Map<String, Long> pids = new LinkedHashMap<>();
    if (jobManager != null) {
      pids.put("jobmanager", jobManager.pid());
    }
    for (int i = 0; i < taskManagers.length; i++) {
      if (taskManagers[i] != null) {
        pids.put("taskmanager-" + (i + 1), taskManagers[i].pid());
      }
    }
    return pids;
  }

  /** Number of TaskManagers. */
  public int taskManagerCount() {
    return taskManagers.length;
  }

  private void checkIndex(int i) {
    if (i < 1 || i > taskManagers.length) {
      throw new IllegalArgumentException("no TaskManager " + i + "; they are 1.." + taskManagers.length);
    }
  }

  /**
   * Runs BashJavaUtils on a process's configuration once (the result is kept): line 1 the JVM
   * options (-Xmx, -Xms, -XX:MaxDirectMemorySize, -XX:MaxMetaspaceSize), line 2 the dynamic
   * properties ({@code -D key=value} pairs, which the entrypoint needs, e.g.
   * taskmanager.cpu.cores).
   */
  private List<List<String>> resourceParams(Path processDir, String command) throws IOException, InterruptedException {
    List<List<String>> cached = resourceParams.get(processDir);
    if (cached != null) {
      return cached;
    }
    List<String> cmd = new ArrayList<>(List.of(ChildJvm.javaExecutable(), "-Xmx128m", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(logOptions(processDir, "bash-java-utils"));
    cmd.addAll(List.of("-cp", dist.classpath(), BASH_JAVA_UTILS_MAIN, command, "--configDir", processDir.resolve("conf").toString()));
    String out = runToEnd(cmd, Map.of(), processDir.resolve("bash-java-utils.out"), 60_000);
    List<String> results = new ArrayList<>();
    for (String line : out.split("\n")) {
      int at = line.indexOf(BASH_JAVA_UTILS_RESULT);
      if (at >= 0) {
        results.add(line.substring(at + BASH_JAVA_UTILS_RESULT.length()).trim());
      }
    }
    if (results.size() < 2) {
      throw new IllegalStateException("BashJavaUtils " + command + " printed no JVM options and dynamic properties:\n" + out);
    }
    List<List<String>> params = List.of(tokens(results.get(results.size() - 2)), tokens(results.get(results.size() - 1)));
    resourceParams.put(processDir, params);
    return params;
  }

  private static List<String> tokens(String line) {
    return line.isBlank() ? List.of() : Arrays.asList(line.trim().split("\\s+"));
  }

  /**
   * Runs a short-lived command to its end (killing it after {@code timeoutMs}), its output into
   * {@code outFile}, and returns the output.
   *
   * @throws IllegalStateException if it exits non-zero or times out, with its output
   */
  private static String runToEnd(List<String> cmd, Map<String, String> env, Path outFile, long timeoutMs)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(outFile.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      boolean done = p.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
      String out = Files.readString(outFile);
      if (!done) {
        throw new IllegalStateException(String.join(" ", cmd.subList(cmd.size() > 8 ? cmd.size() - 8 : 0, cmd.size()))
            + " did not end within " + timeoutMs + " ms; output:\n" + tail(out));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(cmd.get(cmd.size() - 1) + " ... exited with " + p.exitValue() + "; output:\n" + tail(out));
      }
      return out;
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static String tail(String s) {
    return s.length() <= 6_000 ? s : "..." + s.substring(s.length() - 6_000);
  }

  // ---------------------------------------------------------------------------------------------
  // Jobs

  /**
   * Submits a job with Flink's CLI, detached: {@code flink run -d [-s SAVEPOINT] -c MAIN JAR ARGS}
   * ({@code CliFrontend} on the lib folder, {@code FLINK_CONF_DIR} = the client's conf). The CLI
   * runs the job's {@code main} in its own JVM, which builds the job graph and sends it over REST.
   *
   * @param restorePath a savepoint or retained checkpoint to start from, or null
   * @return the job id
   * @throws IllegalStateException if the CLI fails (its output in the message)
   */
  public String submitWithCli(Path jobJar, String mainClass, List<String> args, String restorePath)
      throws IOException, InterruptedException {
    Path d = clientDir();
    int run = ++cliRuns;
    List<String> cmd = new ArrayList<>(List.of(ChildJvm.javaExecutable()));
    cmd.addAll(ADD_OPENS);
    cmd.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    cmd.addAll(logOptions(d, "cli-run-" + run));
    cmd.addAll(List.of("-cp", dist.classpath(), CLI_MAIN, "run", "-d"));
    if (restorePath != null) {
      cmd.addAll(List.of("-s", restorePath));
    }
    cmd.addAll(List.of("-c", mainClass, jobJar.toAbsolutePath().toString()));
    cmd.addAll(args);
    String out = runToEnd(cmd, Map.of("FLINK_CONF_DIR", d.resolve("conf").toString()), d.resolve("cli-run-" + run + ".out"), 180_000);
    Matcher m = JOB_ID.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("flink run printed no job id:\n" + tail(out));
    }
    LOG.info("flink run submitted job {}{}", m.group(1), restorePath == null ? "" : " restoring " + restorePath);
    return m.group(1);
  }

  /**
   * Uploads a jar through the REST API ({@code POST /jars/upload}, multipart field {@code
   * jarfile}).
   *
   * @return the jar id for {@link #runJar}
   */
  public String uploadJar(Path jar) throws IOException, InterruptedException {
    String boundary = "----ordo" + UUID.randomUUID().toString().replace("-", "");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
        + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(Files.readAllBytes(jar));
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest req = HttpRequest.newBuilder(URI.create(restUrl() + "/jars/upload"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
        .build();
    JsonNode r = send(req);
    String file = r.path("filename").asText("");
    if (!"success".equals(r.path("status").asText()) || file.isEmpty()) {
      throw new IllegalStateException("/jars/upload answered " + r);
    }
    return Path.of(file).getFileName().toString();
  }

  /**
   * Runs an uploaded jar ({@code POST /jars/:id/run}): the JobManager runs its {@code main}, which
   * submits the job.
   *
   * @param restorePath a savepoint or retained checkpoint to start from, or null
   * @return the job id
   */
  public String runJar(String jarId, String mainClass, List<String> args, String restorePath) throws IOException, InterruptedException {
    ObjectNode body = json.createObjectNode();
    body.put("entryClass", mainClass);
    ArrayNode list = body.putArray("programArgsList");
    args.forEach(list::add);
    if (restorePath != null) {
      body.put("savepointPath", restorePath);
      body.put("allowNonRestoredState", false);
    }
    HttpRequest req = HttpRequest.newBuilder(URI.create(restUrl() + "/jars/" + jarId + "/run"))
        .timeout(Duration.ofSeconds(180))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
        .build();
    JsonNode r = send(req);
    String jobId = r.path("jobid").asText("");
    if (jobId.isEmpty()) {
      throw new IllegalStateException("/jars/" + jarId + "/run answered " + r);
    }
    LOG.info("REST /jars/{}/run submitted job {}{}", jarId, jobId, restorePath == null ? "" : " restoring " + restorePath);
    return jobId;
  }

  /**
   * Takes a savepoint and cancels the job ({@code POST /jobs/:id/savepoints} with {@code
   * cancel-job: true}), waits until the savepoint is complete and the job CANCELED.
   *
   * @param targetDir where the savepoint goes
   * @return the savepoint's location (a {@code file:} URI)
   * @throws IllegalStateException if the savepoint fails or does not complete in time
   */
  public String cancelWithSavepoint(String jobId, Path targetDir, long timeoutMs) throws IOException, InterruptedException {
    ObjectNode body = json.createObjectNode();
    body.put("target-directory", targetDir.toAbsolutePath().toUri().toString());
    body.put("cancel-job", true);
    HttpRequest req = HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId + "/savepoints"))
        .timeout(HTTP_TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
        .build();
    String trigger = send(req).path("request-id").asText("");
    if (trigger.isEmpty()) {
      throw new IllegalStateException("no request id for the savepoint of job " + jobId);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      JsonNode s = get("/jobs/" + jobId + "/savepoints/" + trigger);
      if ("COMPLETED".equals(s.path("status").path("id").asText())) {
        JsonNode op = s.path("operation");
        if (op.has("failure-cause")) {
          throw new IllegalStateException("the savepoint of job " + jobId + " failed: " + op.path("failure-cause"));
        }
        String location = op.path("location").asText("");
        awaitJobState(jobId, "CANCELED", Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        LOG.info("job {} cancelled with savepoint {}", jobId, location);
        return location;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the savepoint of job " + jobId + " did not complete within " + timeoutMs + " ms: " + s);
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** The job's state ("RUNNING", "RESTARTING", "CANCELED", ...), or "UNKNOWN" if the REST API does not answer. */
  public String jobState(String jobId) {
    return tryGet("/jobs/" + jobId).map(n -> n.path("state").asText("UNKNOWN")).orElse("UNKNOWN");
  }

  /**
   * True iff the job is RUNNING and so is every task of it (after a failover the job is RUNNING
   * again before its tasks are deployed).
   */
  public boolean isJobFullyRunning(String jobId) {
    Optional<JsonNode> job = tryGet("/jobs/" + jobId);
    if (job.isEmpty() || !"RUNNING".equals(job.get().path("state").asText())) {
      return false;
    }
    JsonNode vertices = job.get().path("vertices");
    if (vertices.isEmpty()) {
      return false;
    }
    for (JsonNode v : vertices) {
      if (!"RUNNING".equals(v.path("status").asText())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The job's restarts so far (its {@code numRestarts} metric), or -1 if unknown.
   */
  public long restarts(String jobId) {
    return tryGet("/jobs/" + jobId + "/metrics?get=numRestarts").map(n -> {
      for (JsonNode m : n) {
        if ("numRestarts".equals(m.path("id").asText())) {
          return m.path("value").asLong(-1);
        }
      }
      return -1L;
    }).orElse(-1L);
  }

  /**
   * Waits until the job and all its tasks are RUNNING.
   *
   * @throws IllegalStateException if the job reaches a terminal state, the JobManager dies, or on
   *     timeout
   */
  public void awaitJobRunning(String jobId, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!isJobFullyRunning(jobId)) {
      requireAlive(jobManager, "the JobManager");
      String state = jobState(jobId);
      if (Set.of("FAILED", "CANCELED", "FINISHED").contains(state)) {
        throw new IllegalStateException("job " + jobId + " is " + state + " instead of RUNNING; exceptions: "
            + tryGet("/jobs/" + jobId + "/exceptions").map(n -> tail(n.toString())).orElse("?"));
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("job " + jobId + " not fully RUNNING within " + timeoutMs + " ms (state " + state + ")");
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** Waits until the job is in {@code state}. @throws IllegalStateException on timeout */
  public void awaitJobState(String jobId, String state, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!state.equals(jobState(jobId))) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("job " + jobId + " not " + state + " within " + timeoutMs + " ms (" + jobState(jobId) + ")");
      }
      Thread.sleep(POLL_MS);
    }
  }

  /**
   * What the job's checkpoint statistics say it restored from: the {@code latest.restored} entry
   * of {@code /jobs/:id/checkpoints} ({@code external_path}, {@code is_savepoint}), if any.
   */
  public Optional<JsonNode> restoredFrom(String jobId) {
    return tryGet("/jobs/" + jobId + "/checkpoints").map(n -> n.path("latest").path("restored")).filter(n -> !n.isMissingNode() && !n.isNull());
  }

  /** {@code GET /overview}: TaskManagers, slots, jobs running, Flink version. */
  public Optional<JsonNode> overview() {
    return tryGet("/overview");
  }

  /** {@code GET path} on the REST API. @throws IllegalStateException on an error status */
  public JsonNode get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(restUrl() + path)).timeout(HTTP_TIMEOUT).GET().build());
  }

  private Optional<JsonNode> tryGet(String path) {
    try {
      return Optional.of(get(path));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private JsonNode send(HttpRequest req) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(req.method() + " " + req.uri().getPath() + " answered " + r.statusCode() + ": " + tail(r.body()));
    }
    try {
      return json.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON from " + req.uri() + ": " + tail(r.body()), e);
    }
  }

  /** SIGKILLs every TaskManager, then the JobManager. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      for (int i = 1; i <= taskManagers.length; i++) {
        killTaskManager(i);
      }
      killJobManager();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("could not kill every Flink process: {}", e.toString());
    }
  }

  @Override
  public String toString() {
    return "FlinkSessionCluster{" + dir + ", REST " + restUrl() + ", " + taskManagers.length + " TaskManager(s)}";
  }
}
