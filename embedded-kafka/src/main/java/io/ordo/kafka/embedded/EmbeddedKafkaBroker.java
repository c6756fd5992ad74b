package io.ordo.kafka.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker in KRaft mode (combined broker and controller) running in this JVM, with its
 * data under {@code dataDir/kafka}: a single node (node id 1, {@link #start}) or one node of a
 * multi-node cluster with a static quorum ({@link #startNode}, used by {@link KafkaNodeMain} to run
 * each node of a local test cluster in its own process).
 *
 * <p>One broker at a time per data directory: {@link #start} takes an exclusive file lock on
 * {@code dataDir/embedded-kafka.lock} (released by {@link #close()}) and fails with {@link
 * IllegalStateException} if another broker, in this or another process, holds it.
 *
 * <p>On first start the storage directory is formatted (Kafka's {@link Formatter}, as {@code
 * kafka-storage.sh format} does) with a fresh cluster id, which Kafka keeps in {@code
 * dataDir/kafka/meta.properties}; later starts reuse the directory, so topics and records survive
 * a restart.
 *
 * <p>The controller quorum is <em>static</em> ({@code controller.quorum.voters=1@127.0.0.1:PORT}):
 * a static quorum is defined by configuration alone and the formatted directory pins no endpoint,
 * so a restart may use new ports. (A dynamic quorum, formatted with {@code --standalone} and
 * {@code controller.quorum.bootstrap.servers}, would record the controller's endpoint in the
 * metadata log and tie the directory to it.) The client listener uses the requested port, or a
 * free one when it is 0; the controller listener always uses a free port. Both listen on
 * 127.0.0.1 only. A node of a cluster ({@link #startNode}) uses the fixed host and ports of its
 * {@link Voter}, so every node can find the others after any of them restarts.
 *
 * <p>Single-node settings: the internal topics (consumer offsets, transaction state, share
 * coordinator state) have replication factor 1 and min ISR 1, {@code
 * group.initial.rebalance.delay.ms=0}, {@code auto.create.topics.enable=false}, {@code
 * transaction.max.timeout.ms} = 1 h (Flink's KafkaSink default transaction timeout).
 *
 * <p>Starting takes about 3 s and returns once the broker is registered, unfenced and answering
 * clients. The broker is fully real: a fatal internal error may terminate the JVM, as it would a
 * standalone broker.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  /** The node id of the single node. */
  public static final int NODE_ID = 1;

  /** How long {@link #start} waits for the broker to answer clients after starting it. */
  public static final long READY_TIMEOUT_MS = 60_000;

  /** Interval of the controller's no-op metadata records in ms (Kafka's default: 500); see {@link #config}. */
  static final int METADATA_IDLE_INTERVAL_MS = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String HOST = "127.0.0.1";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String CLIENT_LISTENER = "PLAINTEXT";
  /** Attempts when a picked free port was taken by someone else before the broker bound it. */
  private static final int BIND_ATTEMPTS_MAX = 5;

  private final Path dataDir;
  private final int nodeId;
  private final String host;
  private final int port;
  private final KafkaRaftServer server;
  private final DirectoryLock lock;
  private boolean closed; // guarded by this

  private EmbeddedKafkaBroker(
      Path dataDir, int nodeId, String host, int port, KafkaRaftServer server, DirectoryLock lock) {
    this.dataDir = dataDir;
    this.nodeId = nodeId;
    this.host = host;
    this.port = port;
    this.server = server;
    this.lock = lock;
  }

  /**
   * One voter of a static KRaft quorum: a combined broker and controller node.
   *
   * @param nodeId the node id, >= 0, unique in the quorum
   * @param host the address it listens on and advertises (an IPv4 literal such as 127.0.0.1)
   * @param clientPort its client (and inter-broker) port, in [1, 65535]
   * @param controllerPort its controller port, in [1, 65535], not the client port
   */
  public record Voter(int nodeId, String host, int clientPort, int controllerPort) {
    /** Validates; see the record comment. @throws IllegalArgumentException naming the field */
    public Voter {
      Objects.requireNonNull(host, "host");
      if (nodeId < 0) {
        throw new IllegalArgumentException("nodeId must be >= 0, got " + nodeId);
      }
      if (clientPort < 1 || clientPort > 65_535 || controllerPort < 1 || controllerPort > 65_535) {
        throw new IllegalArgumentException(
            "ports must be in [1, 65535], got " + clientPort + " and " + controllerPort);
      }
      if (host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank");
      }
      if (clientPort == controllerPort) {
        throw new IllegalArgumentException("client and controller port must differ, both " + clientPort);
      }
    }

    /** {@code "host:clientPort"}. */
    public String bootstrapServer() {
      return host + ":" + clientPort;
    }

    /** {@code "nodeId@host:controllerPort"}, an entry of {@code controller.quorum.voters}. */
    String quorumEntry() {
      return nodeId + "@" + host + ":" + controllerPort;
    }
  }

  /**
   * Starts a broker with the default single-node settings.
   *
   * @param dataDir directory for the broker's data; created if missing, reused if it holds a
   *     broker's data from an earlier start
   * @param port the client port on 127.0.0.1, or 0 for a free one (see {@link #bootstrapServers()})
   * @throws IllegalArgumentException if port is not in [0, 65535]
   * @throws IllegalStateException if the broker fails to start or is not ready within {@value
   *     #READY_TIMEOUT_MS} ms (for example the port is in use, or another broker holds the data
   *     directory)
   * @throws UncheckedIOException if the data directory cannot be created or formatted
   */
  public static EmbeddedKafkaBroker start(Path dataDir, int port) {
    return start(dataDir, port, Map.of());
  }

  /**
   * Like {@link #start(Path, int)}, with extra or replaced broker configs (for example {@code
   * log.retention.hours}). The listener, quorum, node id and log directory settings cannot be
   * overridden.
   *
   * @throws org.apache.kafka.common.config.ConfigException if an override is invalid
   */
  public static EmbeddedKafkaBroker start(
      Path dataDir, int port, Map<String, String> brokerOverrides) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(brokerOverrides, "brokerOverrides");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
    }
    Path absoluteDataDir = dataDir.toAbsolutePath();
    Path logDir = absoluteDataDir.resolve("kafka");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the Kafka data directory " + logDir, e);
    }
    DirectoryLock lock = DirectoryLock.acquire(absoluteDataDir);
    try {
      return startLocked(absoluteDataDir, logDir, port, brokerOverrides, lock);
    } catch (RuntimeException e) {
      lock.release();
      throw e;
    }
  }

  private static EmbeddedKafkaBroker startLocked(
      Path absoluteDataDir, Path logDir, int port, Map<String, String> brokerOverrides,
      DirectoryLock lock) {
    if (port != 0) {
      // Fail fast with a clear message: a broker that cannot bind its client port fails only
      // after its controller part has started, which takes seconds.
      checkPortFree(port);
    }
    for (int attempt = 1; ; attempt++) {
      int clientPort = port == 0 ? freePort() : port;
      int controllerPort = freePort();
      while (controllerPort == clientPort) {
        controllerPort = freePort();
      }
      Voter self = new Voter(NODE_ID, HOST, clientPort, controllerPort);
      try {
        return startNodeLocked(
            absoluteDataDir, logDir, self, List.of(self), Uuid.randomUuid().toString(),
            brokerOverrides, lock);
      } catch (BindFailure e) {
        if (attempt < BIND_ATTEMPTS_MAX) {
          // Another process took a port between our probe and the broker's bind (the controller
          // port is always picked, the client port when the caller passed 0): pick again.
          LOG.warn("Embedded Kafka could not bind its ports (attempt {}): {}", attempt, e.getCause().toString());
          continue;
        }
        throw e.failure;
      }
    }
  }

  /**
   * Starts one node of a multi-node KRaft cluster with a static quorum of combined broker and
   * controller nodes, in this JVM, with its data under {@code dataDir/kafka}. Every node of the
   * cluster gets the same {@code voters} and {@code clusterId}; a node is ready (and this method
   * returns) only once a majority of the voters runs, so start the nodes concurrently (for example
   * as separate processes). Ports are fixed: a restart on the same data reuses them. The same
   * directory lock and format-on-first-start rules as {@link #start(Path, int)} apply.
   *
   * <p>{@code brokerOverrides} should set the replication of the internal topics for the cluster
   * size (e.g. {@code offsets.topic.replication.factor=3}); the single-node defaults (1) apply
   * otherwise. The listener, quorum, node id and log directory settings cannot be overridden.
   *
   * @param dataDir this node's directory; created if missing, reused if it holds its data
   * @param nodeId this node's id; must be one of {@code voters}
   * @param voters every node of the cluster, this one included, with distinct ids
   * @param clusterId the cluster id (Kafka's base64 UUID, {@link Uuid#toString()}) shared by all
   *     nodes; used only when formatting an empty directory
   * @throws IllegalArgumentException if nodeId is not a voter or the ids are not distinct
   * @throws IllegalStateException if the node fails to start or is not ready within {@value
   *     #READY_TIMEOUT_MS} ms (for example a port is in use, or the directory is held)
   * @throws UncheckedIOException if the data directory cannot be created or formatted
   */
  public static EmbeddedKafkaBroker startNode(
      Path dataDir, int nodeId, List<Voter> voters, String clusterId,
      Map<String, String> brokerOverrides) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(brokerOverrides, "brokerOverrides");
    Voter self = null;
    java.util.Set<Integer> ids = new java.util.HashSet<>();
    for (Voter v : voters) {
      if (!ids.add(v.nodeId())) {
        throw new IllegalArgumentException("voter ids must be distinct; " + v.nodeId() + " twice in " + voters);
      }
      if (v.nodeId() == nodeId) {
        self = v;
      }
    }
    if (self == null) {
      throw new IllegalArgumentException("node " + nodeId + " is not among the voters " + voters);
    }
    Path absoluteDataDir = dataDir.toAbsolutePath();
    Path logDir = absoluteDataDir.resolve("kafka");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the Kafka data directory " + logDir, e);
    }
    DirectoryLock lock = DirectoryLock.acquire(absoluteDataDir);
    try {
      return startNodeLocked(absoluteDataDir, logDir, self, voters, clusterId, brokerOverrides, lock);
    } catch (BindFailure e) {
      lock.release();
      throw e.failure;
    } catch (RuntimeException e) {
      lock.release();
      throw e;
    }
  }

  /** A start that failed to bind a port; {@link #failure} is what to throw if not retried. */
  private static final class BindFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final IllegalStateException failure;

    BindFailure(IllegalStateException failure) {
      super(failure.getCause());
      this.failure = failure;
    }
  }

  private static EmbeddedKafkaBroker startNodeLocked(
      Path absoluteDataDir, Path logDir, Voter self, List<Voter> voters, String clusterId,
      Map<String, String> brokerOverrides, DirectoryLock lock) {
    KafkaConfig config = new KafkaConfig(config(logDir, self, voters, brokerOverrides), false);
    formatIfNeeded(config, logDir, self.nodeId(), clusterId);
    KafkaRaftServer server = null;
    try {
      // The constructor reads the formatted directory (meta.properties, bootstrap metadata).
      server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
    } catch (RuntimeException e) {
      if (server != null) {
        shutDownQuietly(server);
      }
      IllegalStateException failure = new IllegalStateException(
          "Embedded Kafka node " + self.nodeId() + " failed to start on " + self.bootstrapServer()
              + " (controller " + self.controllerPort() + ", data " + logDir + "): " + e.getMessage(),
          e);
      throw isBindFailure(e) ? new BindFailure(failure) : failure;
    }
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(
        absoluteDataDir, self.nodeId(), self.host(), self.clientPort(), server, lock);
    try {
      broker.awaitReady();
    } catch (RuntimeException e) {
      // close() releases the lock; the caller's release is then a no-op.
      broker.close();
      throw e;
    }
    LOG.info("Embedded Kafka node {} ready at {} (data {})", self.nodeId(), broker.bootstrapServers(), logDir);
    return broker;
  }

  /** Where clients connect: {@code "HOST:PORT"} ({@code 127.0.0.1} for {@link #start}). */
  public String bootstrapServers() {
    return host + ":" + port;
  }

  /** This node's id ({@value #NODE_ID} for {@link #start}). */
  public int nodeId() {
    return nodeId;
  }

  /** The client port. */
  public int port() {
    return port;
  }

  /** The data directory given to {@link #start} (absolute). */
  public Path dataDir() {
    return dataDir;
  }

  /** Shuts the broker down cleanly and waits for it. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      lock.release();
    }
  }

  private void awaitReady() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
    Exception last = null;
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() - deadlineNs < 0) {
        try {
          // describeCluster lists only registered, unfenced brokers: once it lists this node,
          // topics can be created with replication factor 1.
          java.util.Collection<Node> nodes =
              admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
          if (nodes.stream().anyMatch(n -> n.id() == nodeId)) {
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while waiting for embedded Kafka", e);
        } catch (Exception e) {
          last = e;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while waiting for embedded Kafka", e);
        }
      }
    }
    throw new IllegalStateException(
        "Embedded Kafka broker at " + bootstrapServers() + " was not ready within "
            + READY_TIMEOUT_MS + " ms",
        last);
  }

  private static Map<String, String> config(
      Path logDir, Voter self, List<Voter> voters, Map<String, String> overrides) {
    Map<String, String> props = new java.util.TreeMap<>();
    // Tunable defaults for a single node.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    props.put("num.partitions", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    // Flink's KafkaSink uses transaction.timeout.ms = 1 h by default; a broker maximum below that
    // (Kafka's default is 15 min) makes an EXACTLY_ONCE sink fail at every start.
    props.put("transaction.max.timeout.ms", Long.toString(60L * 60 * 1000));
    props.put("auto.create.topics.enable", "false");
    // The log cleaner preallocates its dedupe buffer (128 MiB by default); the embedded broker
    // shares its JVM with Flink and the gateway and compacts only small internal topics.
    props.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
    // The active controller appends a no-op record to the metadata log every 500 ms by default
    // (KIP-835: its only use is to show the controller alive). Each one is a metadata-log append,
    // an fsync and a publish to the metadata loader: ~0.005 core of an idle Ordo. Every 10 s keeps
    // the liveness signal at a resolution no one alerts on more finely.
    props.put("metadata.max.idle.interval.ms", Integer.toString(METADATA_IDLE_INTERVAL_MS));
    // Kafka sizes its thread pools for a dedicated multi-core server (8 request handlers and 3
    // network threads per listener, for the broker and again for the controller; 4 group
    // coordinator threads). Each idle thread wakes ~3 times a second; the embedded broker shares
    // a small machine with Flink and the gateway, and two of each carry its load.
    props.put("num.io.threads", "2");
    props.put("num.network.threads", "2");
    props.put("group.coordinator.threads", "1");
    props.putAll(overrides);
    // Fixed: the shape of the node.
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(self.nodeId()));
    props.put(
        "controller.quorum.voters",
        String.join(",", voters.stream().map(Voter::quorumEntry).toList()));
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put(
        "listeners",
        CLIENT_LISTENER + "://" + self.bootstrapServer() + ","
            + CONTROLLER_LISTENER + "://" + self.host() + ":" + self.controllerPort());
    props.put("advertised.listeners", CLIENT_LISTENER + "://" + self.bootstrapServer());
    props.put("inter.broker.listener.name", CLIENT_LISTENER);
    props.put(
        "listener.security.protocol.map",
        CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    props.remove("metadata.log.dir");
    props.remove("controller.quorum.bootstrap.servers");
    return props;
  }

  private static void formatIfNeeded(KafkaConfig config, Path logDir, int nodeId, String clusterId) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (PrintStream printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(printStream)
          .setNodeId(nodeId)
          .setClusterId(clusterId)
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(config.metadataLogDir())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setHasDynamicQuorum(false)
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new UncheckedIOException(
          "Cannot format the Kafka data directory " + logDir + ": " + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    }
    LOG.debug("Formatted {}: {}", logDir, output.toString(StandardCharsets.UTF_8).trim());
  }

  /**
   * An exclusive lock on {@code dataDir/embedded-kafka.lock}, held from before formatting until
   * after shutdown. Kafka locks its log directories only when the broker part starts, after the
   * controller part has already opened the metadata log; without this lock a second broker on the
   * same directory would write to the first one's metadata log before failing.
   */
  private static final class DirectoryLock {
    private final Path path;
    private final FileChannel channel;
    private final FileLock fileLock;

    private DirectoryLock(Path path, FileChannel channel, FileLock fileLock) {
      this.path = path;
      this.channel = channel;
      this.fileLock = fileLock;
    }

    static DirectoryLock acquire(Path dataDir) {
      Path path = dataDir.resolve("embedded-kafka.lock");
      FileChannel channel;
      try {
        channel =
            FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot open the lock file " + path, e);
      }
      FileLock fileLock;
      try {
        fileLock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        // Held by another broker in this JVM.
        fileLock = null;
      } catch (IOException e) {
        closeQuietly(channel);
        throw new UncheckedIOException("Cannot lock " + path, e);
      }
      if (fileLock == null) {
        closeQuietly(channel);
        throw new IllegalStateException(
            "Embedded Kafka broker failed to start: the data directory " + dataDir
                + " is in use by another embedded broker (lock " + path + " is held)");
      }
      return new DirectoryLock(path, channel, fileLock);
    }

    void release() {
      try {
        if (fileLock.isValid()) {
          fileLock.release();
        }
      } catch (IOException e) {
        LOG.warn("Cannot release the lock {}", path, e);
      } finally {
        closeQuietly(channel);
      }
    }

    private static void closeQuietly(FileChannel channel) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.warn("Cannot close a lock file channel", e);
      }
    }
  }

  private static void checkPortFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress(InetAddress.getByName(HOST), port));
    } catch (IOException e) {
      throw new IllegalStateException(
          "Embedded Kafka broker failed to start: port " + HOST + ":" + port + " is in use ("
              + e.getMessage() + ")",
          e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port on " + HOST, e);
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  private static void shutDownQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Error while shutting down a failed embedded Kafka broker", e);
    }
  }
}
