package io.ordo.jepsen.cluster;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.gateway.HealthProbe;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.kafka.embedded.KafkaNodeMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
  private final NetworkNamespaces netns; // null without namespaces
  private final List<ChildJvm> brokers;
  private final List<EmbeddedKafkaBroker.Voter> voters;
  private final ChildJvm executor;
  private final ChildJvm gateway;
  private final int grpcPort;
  /** Kills the children if this JVM exits without {@link #close} (e.g. Ctrl-C, a test timeout). */
  private final Thread shutdownHook = new Thread(this::close, "local-cluster-cleanup");
  private boolean closed;

  private LocalCluster(Path dir, NetworkNamespaces netns, List<ChildJvm> brokers, List<EmbeddedKafkaBroker.Voter> voters,
      ChildJvm executor, ChildJvm gateway, int grpcPort) {
    this.dir = dir;
    this.netns = netns;
    this.brokers = brokers;
    this.voters = voters;
    this.executor = executor;
    this.gateway = gateway;
    this.grpcPort = grpcPort;
  }

  /**
   * Starts the whole cluster under {@code dir} and returns once the gateway serves and the executor
   * job runs (about 20-40 s on 2 cores).
   *
   * @param dir the run directory (created if missing)
   * @param checkpointIntervalMs the executor job's checkpoint interval, > 0
   * @param networkNamespaces run each broker in its own network namespace (needs root; required
   *     for {@link #isolate})
   * @param random picks the namespace names and subnet; nothing checked depends on it
   * @param gatewayMainClass the class whose {@code main} the gateway's child JVM runs, with the
   *     arguments {@code gateway --bootstrap-servers ... --topic-prefix ... --grpc-port ...
   *     --http-port ... --data-dir ...} (the launcher's command line); passed in because the test
   *     cluster sits below the launcher and must not import it
   * @throws IllegalStateException if a part fails to start in {@value #READY_TIMEOUT_MS} ms (the
   *     message carries the tail of its output); everything started is killed again
   */
  public static LocalCluster start(
      Path dir, long checkpointIntervalMs, boolean networkNamespaces, Random random, String gatewayMainClass)
      throws IOException, InterruptedException {
    if (checkpointIntervalMs <= 0) {
      throw new IllegalArgumentException("checkpointIntervalMs must be > 0, got " + checkpointIntervalMs);
    }
    Path abs = dir.toAbsolutePath();
    Files.createDirectories(abs);
    writeChildLogConfig(abs);
    NetworkNamespaces netns = networkNamespaces ? NetworkNamespaces.create(BROKERS, random) : null;
    LocalCluster cluster = null;
    try {
      List<EmbeddedKafkaBroker.Voter> voters = new ArrayList<>();
      Set<Integer> taken = new HashSet<>();
      for (int i = 1; i <= BROKERS; i++) {
        String host = netns == null ? "127.0.0.1" : netns.address(i);
        voters.add(new EmbeddedKafkaBroker.Voter(i, host, freePort(taken), freePort(taken)));
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
        brokers.add(new ChildJvm("broker-" + v.nodeId(), abs, netns == null ? null : netns.namespace(v.nodeId()), opts,
            KafkaNodeMain.class.getName(), args));
      }
      String bootstrap = String.join(",", voters.stream().map(EmbeddedKafkaBroker.Voter::bootstrapServer).toList());
      List<String> execOpts = new ArrayList<>(jvmLog);
      execOpts.add("-Xmx1g");
      ChildJvm executor = new ChildJvm("executor", abs, null, execOpts, ExecutorMain.class.getName(),
          List.of(bootstrap, TOPIC_PREFIX, abs.resolve("checkpoints").toString(), Long.toString(checkpointIntervalMs)));
      int grpcPort = freePort(taken);
      int httpPort = freePort(taken);
      List<String> gwOpts = new ArrayList<>(jvmLog);
      gwOpts.add("-Xmx512m");
      ChildJvm gateway = new ChildJvm("gateway", abs, null, gwOpts, gatewayMainClass,
          List.of("gateway", "--bootstrap-servers", bootstrap, "--topic-prefix", TOPIC_PREFIX, "--grpc-port",
              Integer.toString(grpcPort), "--http-port", Integer.toString(httpPort),
              // The gateway's local store belongs to this cluster's changelog (not the launcher's
              // working directory, which other clusters share); it survives restart-all with it.
              "--data-dir", abs.resolve("gateway-store").toString()));
      cluster = new LocalCluster(abs, netns, brokers, voters, executor, gateway, grpcPort);
      Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
      cluster.startAllParts(true);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (cluster != null) {
        cluster.close();
      } else if (netns != null) {
        netns.close();
      }
      throw e;
    }
  }

  /** Broker settings for three nodes: internal topics replicated 3 with min ISR 2. */
  static Map<String, String> brokerConfig() {
    Map<String, String> c = new TreeMap<>();
    c.put("offsets.topic.replication.factor", "3");
    c.put("transaction.state.log.replication.factor", "3");
    c.put("transaction.state.log.min.isr", "2");
    c.put("share.coordinator.state.topic.replication.factor", "3");
    c.put("share.coordinator.state.topic.min.isr", "2");
    c.put("default.replication.factor", "3");
    c.put("min.insync.replicas", "2");
    return c;
  }

  /** Brokers, then topics (first start only), then executor and gateway side by side. */
  private void startAllParts(boolean createTopics) throws IOException, InterruptedException {
    for (ChildJvm b : brokers) {
      b.start();
    }
    for (ChildJvm b : brokers) {
      b.awaitLine(KafkaNodeMain.READY_MARKER, READY_TIMEOUT_MS);
    }
    if (createTopics) {
      LogTopics.ensure(bootstrapServers(), TopicLayout.withPrefix(TOPIC_PREFIX).withReplicationFactor((short) BROKERS),
          Duration.ofMillis(READY_TIMEOUT_MS));
    }
    executor.start();
    gateway.start();
    executor.awaitLine(ExecutorMain.READY_MARKER, READY_TIMEOUT_MS);
    awaitGateway();
    LOG.info("test cluster up: brokers {} (pids {}), executor pid {}, gateway {} pid {}", bootstrapServers(), brokerPids(),
        executor.pid(), grpcTarget(), gateway.pid());
  }

  private void awaitGateway() throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(grpcTarget()).usePlaintext().build();
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
      while (true) {
        try {
          HealthProbe.awaitServing(channel, Duration.ofSeconds(5));
          return;
        } catch (RuntimeException e) {
          if (!gateway.isAlive()) {
            throw new IllegalStateException("the gateway ended before serving; its output ends with:\n" + gateway.tail(), e);
          }
          if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException("the gateway did not serve within " + READY_TIMEOUT_MS + " ms", e);
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

  /** The gateway's gRPC address, {@code "127.0.0.1:PORT"}; the same after restarts. */
  public String grpcTarget() {
    return "127.0.0.1:" + grpcPort;
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

  /** The pid of the executor's JVM. */
  public synchronized long executorPid() {
    return executor.pid();
  }

  /** The pid of the gateway's JVM. */
  public synchronized long gatewayPid() {
    return gateway.pid();
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

  /** SIGKILLs the executor's JVM (its retained checkpoints stay on disk). */
  public synchronized void killExecutor() throws InterruptedException {
    executor.kill9();
  }

  /** Starts the executor again (it restores the newest checkpoint) and waits until it runs. */
  public synchronized void startExecutor() throws IOException, InterruptedException {
    if (!executor.isAlive()) {
      executor.start();
    }
    executor.awaitLine(ExecutorMain.READY_MARKER, READY_TIMEOUT_MS);
  }

  /** SIGKILLs every JVM of the cluster: brokers, executor, gateway. */
  public synchronized void killAll() throws InterruptedException {
    gateway.kill9();
    executor.kill9();
    for (ChildJvm b : brokers) {
      b.kill9();
    }
  }

  /** Starts every part that is down, on the same data and ports, and waits until all serve. */
  public synchronized void startAll() throws IOException, InterruptedException {
    for (ChildJvm b : brokers) {
      if (!b.isAlive()) {
        b.start();
      }
    }
    for (ChildJvm b : brokers) {
      b.awaitLine(KafkaNodeMain.READY_MARKER, READY_TIMEOUT_MS);
    }
    if (!executor.isAlive()) {
      executor.start();
    }
    if (!gateway.isAlive()) {
      gateway.start();
    }
    executor.awaitLine(ExecutorMain.READY_MARKER, READY_TIMEOUT_MS);
    awaitGateway();
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

  private static int freePort(Set<Integer> taken) {
    for (int i = 0; i < 100; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        if (taken.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
      }
    }
    throw new IllegalStateException("no new free port in 100 attempts");
  }

  /**
   * A log4j configuration for the children: Ordo at INFO, libraries at WARN (as the command's own),
   * into the file named by the system property {@code ordo.child.log}, rolled at {@value
   * #CHILD_LOG_BYTES_MAX} bytes with one old file kept, so a long run cannot fill the disk.
   */
  private static void writeChildLogConfig(Path dir) throws IOException {
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
