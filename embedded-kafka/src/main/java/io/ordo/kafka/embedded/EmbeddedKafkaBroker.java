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
 * 127.0.0.1 only. The client listener speaks plain text without authentication unless the broker
 * is started with a {@link ClientSecurity} (SASL and/or TLS, for tests of secured clusters); the
 * controller listener always speaks plain text. A node of a cluster ({@link #startNode}) uses the
 * fixed host and ports of its
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
  /** The client listener's name when it speaks plain text (also its security protocol). */
  private static final String CLIENT_LISTENER = "PLAINTEXT";
  /**
   * The client listener's name when it is secured ({@link ClientSecurity}): its listener-scoped
   * broker configs are {@code listener.name.client.*}.
   */
  public static final String SECURED_CLIENT_LISTENER = "CLIENT";
  /** Attempts when a picked free port was taken by someone else before the broker bound it. */
  private static final int BIND_ATTEMPTS_MAX = 5;

  private final Path dataDir;
  private final int nodeId;
  private final String host;
  private final int port;
  private final ClientSecurity security;
  private final KafkaRaftServer server;
  private final DirectoryLock lock;
  private boolean closed; // guarded by this

  private EmbeddedKafkaBroker(
      Path dataDir, int nodeId, String host, int port, ClientSecurity security,
      KafkaRaftServer server, DirectoryLock lock) {
    this.dataDir = dataDir;
    this.nodeId = nodeId;
    this.host = host;
    this.port = port;
    this.security = security;
    this.server = server;
    this.lock = lock;
  }

  /**
   * The security of the client listener (which is also the inter-broker listener; the controller
   * listener always speaks plain text on 127.0.0.1): its security protocol, the broker configs the
   * protocol needs, and the client properties of the broker's own user, which the broker's
   * readiness check uses and a test's clients may use ({@link #clientProperties()}).
   *
   * @param protocol Kafka's security protocol of the listener: {@code PLAINTEXT}, {@code
   *     SASL_PLAINTEXT}, {@code SSL} or {@code SASL_SSL}
   * @param brokerConfigs broker configs for it (e.g. {@code sasl.enabled.mechanisms}, {@code
   *     listener.name.client.plain.sasl.jaas.config}), applied after the broker overrides; the
   *     listener, quorum, node id and log directory settings still cannot be changed
   * @param clientProperties Kafka client properties that connect to the listener ({@code
   *     security.protocol}, {@code sasl.*}, {@code ssl.*}); without {@code bootstrap.servers}
   * @param scramSha256Users SCRAM-SHA-256 credentials (name → password) written into the
   *     cluster's metadata when the data directory is formatted (its first start, as {@code
   *     kafka-storage.sh format --add-scram} does); empty for none
   */
  public record ClientSecurity(
      String protocol,
      Map<String, String> brokerConfigs,
      Map<String, String> clientProperties,
      Map<String, String> scramSha256Users) {
    // Before PLAINTEXT: the constructor that makes it reads them.
    private static final List<String> PROTOCOLS =
        List.of("PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL");
    private static final String PLAIN_LOGIN_MODULE =
        "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String SCRAM_LOGIN_MODULE =
        "org.apache.kafka.common.security.scram.ScramLoginModule";

    /** Plain text, no authentication: the default. */
    public static final ClientSecurity PLAINTEXT =
        new ClientSecurity("PLAINTEXT", Map.of(), Map.of());

    /** Validates and copies (sorted, unmodifiable). @throws IllegalArgumentException naming the field */
    public ClientSecurity {
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(brokerConfigs, "brokerConfigs");
      Objects.requireNonNull(clientProperties, "clientProperties");
      if (!PROTOCOLS.contains(protocol)) {
        throw new IllegalArgumentException("protocol must be one of " + PROTOCOLS + ", got " + protocol);
      }
      if (clientProperties.containsKey("bootstrap.servers")) {
        throw new IllegalArgumentException(
            "clientProperties must not hold bootstrap.servers (the broker knows its address)");
      }
      Objects.requireNonNull(scramSha256Users, "scramSha256Users");
      scramSha256Users.forEach(
          (name, password) -> {
            checkJaasToken("SCRAM user name", name, true);
            checkJaasToken("SCRAM password of " + name, password, false);
            if (name.matches(".*[,\\[\\]].*") || password.matches(".*[,=\\[\\]].*")) {
              throw new IllegalArgumentException(
                  "SCRAM user names and passwords must not hold ',', '[' or ']' (and passwords no"
                      + " '='): they go into the formatter's name=...,password=... list");
            }
          });
      brokerConfigs = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(brokerConfigs));
      clientProperties =
          java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(clientProperties));
      scramSha256Users =
          java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(scramSha256Users));
    }

    /** Without SCRAM credentials. */
    public ClientSecurity(
        String protocol, Map<String, String> brokerConfigs, Map<String, String> clientProperties) {
      this(protocol, brokerConfigs, clientProperties, Map.of());
    }

    /**
     * SASL/SCRAM-SHA-256 over plain text ({@code SASL_PLAINTEXT}): {@code users} (name →
     * password) get SCRAM credentials when the data directory is formatted, and the broker
     * authenticates itself (inter-broker traffic, its readiness check, {@link
     * #clientProperties()}) as {@code brokerUser}, one of them. A directory formatted before
     * keeps the credentials it has.
     *
     * @throws IllegalArgumentException if users is empty, brokerUser is not among them, or a
     *     name or password is empty or holds characters the formatter or JAAS cannot take
     *     (quotes, backslashes, control characters, {@code , [ ]}; {@code =} in a password)
     */
    public static ClientSecurity saslScramSha256(Map<String, String> users, String brokerUser) {
      Objects.requireNonNull(users, "users");
      Objects.requireNonNull(brokerUser, "brokerUser");
      if (!users.containsKey(brokerUser)) {
        throw new IllegalArgumentException(
            "brokerUser " + brokerUser + " must be one of the users " + new java.util.TreeSet<>(users.keySet()));
      }
      Map<String, String> client = saslScramSha256Client(brokerUser, users.get(brokerUser));
      Map<String, String> broker = new java.util.TreeMap<>();
      broker.put("sasl.enabled.mechanisms", "SCRAM-SHA-256");
      broker.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-256");
      // The listener's login: the broker's own credentials for inter-broker connections; the
      // users' credentials live in the metadata.
      broker.put("listener.name.client.scram-sha-256.sasl.jaas.config", client.get("sasl.jaas.config"));
      return new ClientSecurity("SASL_PLAINTEXT", broker, client, users);
    }

    /**
     * The client properties of a SASL/SCRAM-SHA-256 user over plain text: {@code
     * security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=SCRAM-SHA-256} and its {@code
     * sasl.jaas.config}.
     *
     * @throws IllegalArgumentException for a name or password JAAS cannot take
     */
    public static Map<String, String> saslScramSha256Client(String user, String password) {
      return saslPlaintextClient("SCRAM-SHA-256", SCRAM_LOGIN_MODULE, user, password);
    }

    /** Client properties of {@code user} over SASL_PLAINTEXT with this mechanism and login module. */
    private static Map<String, String> saslPlaintextClient(
        String mechanism, String loginModule, String user, String password) {
      checkJaasToken("user name", user, true);
      checkJaasToken("password of " + user, password, false);
      Map<String, String> client = new java.util.TreeMap<>();
      client.put("security.protocol", "SASL_PLAINTEXT");
      client.put("sasl.mechanism", mechanism);
      client.put(
          "sasl.jaas.config",
          loginModule + " required username=\"" + user + "\" password=\"" + password + "\";");
      return client;
    }

    /** The formatter's {@code --add-scram} arguments for {@link #scramSha256Users()}. */
    List<String> scramArguments() {
      List<String> out = new java.util.ArrayList<>();
      scramSha256Users.forEach(
          (name, password) ->
              out.add("SCRAM-SHA-256=[name=" + name + ",password=" + password + "]"));
      return out;
    }

    /**
     * SASL/PLAIN over plain text ({@code SASL_PLAINTEXT}): the broker accepts exactly {@code
     * users} (name → password), and authenticates itself (inter-broker traffic, its readiness
     * check, {@link #clientProperties()}) as {@code brokerUser}, one of them. For tests: PLAIN
     * sends the password in clear over a plain-text connection.
     *
     * @throws IllegalArgumentException if users is empty, brokerUser is not among them, or a
     *     name or password is empty or holds a quote, a backslash, white space in a name or a
     *     control character (they go into a JAAS configuration)
     */
    public static ClientSecurity saslPlain(Map<String, String> users, String brokerUser) {
      Objects.requireNonNull(users, "users");
      Objects.requireNonNull(brokerUser, "brokerUser");
      if (!users.containsKey(brokerUser)) {
        throw new IllegalArgumentException(
            "brokerUser " + brokerUser + " must be one of the users " + new java.util.TreeSet<>(users.keySet()));
      }
      StringBuilder server = new StringBuilder(PLAIN_LOGIN_MODULE).append(" required");
      server.append(" username=\"").append(brokerUser).append('"');
      server.append(" password=\"").append(users.get(brokerUser)).append('"');
      for (Map.Entry<String, String> user : new java.util.TreeMap<>(users).entrySet()) {
        checkJaasToken("user name", user.getKey(), true);
        checkJaasToken("password of " + user.getKey(), user.getValue(), false);
        server.append(" user_").append(user.getKey()).append("=\"").append(user.getValue()).append('"');
      }
      server.append(';');
      Map<String, String> broker = new java.util.TreeMap<>();
      broker.put("sasl.enabled.mechanisms", "PLAIN");
      broker.put("listener.name.client.plain.sasl.jaas.config", server.toString());
      broker.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
      return new ClientSecurity(
          "SASL_PLAINTEXT", broker, saslPlainClient(brokerUser, users.get(brokerUser)));
    }

    /**
     * The client properties of a SASL/PLAIN user over plain text: {@code
     * security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=PLAIN} and its {@code
     * sasl.jaas.config}.
     *
     * @throws IllegalArgumentException as {@link #saslPlain} for a bad name or password
     */
    public static Map<String, String> saslPlainClient(String user, String password) {
      return saslPlaintextClient("PLAIN", PLAIN_LOGIN_MODULE, user, password);
    }

    /**
     * TLS ({@code SSL}) with the broker's key and certificate in a PKCS#12 key store; the broker
     * checks no client certificate. The broker's own client side (inter-broker traffic, readiness
     * check, {@link #clientProperties()}) trusts the PKCS#12 trust store, which must hold the
     * certificate (or its issuer), and checks that the certificate names the host (127.0.0.1:
     * an IP address subject alternative name).
     *
     * @throws IllegalArgumentException if a password is empty
     */
    public static ClientSecurity ssl(
        Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {
      Objects.requireNonNull(keyStore, "keyStore");
      Objects.requireNonNull(trustStore, "trustStore");
      if (keyStorePassword == null || keyStorePassword.isEmpty()
          || trustStorePassword == null || trustStorePassword.isEmpty()) {
        throw new IllegalArgumentException("the key and trust store passwords must not be empty");
      }
      Map<String, String> trust = new java.util.TreeMap<>();
      trust.put("ssl.truststore.type", "PKCS12");
      trust.put("ssl.truststore.location", trustStore.toAbsolutePath().toString());
      trust.put("ssl.truststore.password", trustStorePassword);
      Map<String, String> broker = new java.util.TreeMap<>();
      broker.put("listener.name.client.ssl.keystore.type", "PKCS12");
      broker.put("listener.name.client.ssl.keystore.location", keyStore.toAbsolutePath().toString());
      broker.put("listener.name.client.ssl.keystore.password", keyStorePassword);
      broker.put("listener.name.client.ssl.key.password", keyStorePassword);
      trust.forEach((k, v) -> broker.put("listener.name.client." + k, v));
      Map<String, String> client = new java.util.TreeMap<>(trust);
      client.put("security.protocol", "SSL");
      return new ClientSecurity("SSL", broker, client);
    }

    private static void checkJaasToken(String what, String value, boolean name) {
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException(what + " must not be empty");
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '"' || c == '\\' || Character.isISOControl(c) || (name && (Character.isWhitespace(c) || c == '='))) {
          throw new IllegalArgumentException(
              what + " must not hold quotes, backslashes or control characters"
                  + (name ? ", white space or '='" : ""));
        }
      }
    }

    /** The protocol and the names of the configs and properties; values may be secrets. */
    @Override
    public String toString() {
      return "ClientSecurity[" + protocol + ", broker configs " + brokerConfigs.keySet()
          + ", client properties " + clientProperties.keySet() + ", SCRAM-SHA-256 users "
          + scramSha256Users.keySet() + "]";
    }

    boolean plaintext() {
      return protocol.equals("PLAINTEXT");
    }

    /** The listener's name: PLAINTEXT for plain text, else {@value #SECURED_CLIENT_LISTENER}. */
    String listenerName() {
      return plaintext() ? CLIENT_LISTENER : SECURED_CLIENT_LISTENER;
    }
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
    return start(dataDir, port, brokerOverrides, ClientSecurity.PLAINTEXT);
  }

  /**
   * Like {@link #start(Path, int, Map)}, with a secured client listener: SASL and/or TLS (see
   * {@link ClientSecurity}; the controller listener stays plain text). Clients then need {@code
   * security.clientProperties()} or their own user's equivalent; {@link #clientProperties()}
   * returns the broker's own.
   *
   * @throws org.apache.kafka.common.config.ConfigException if an override or a security config is
   *     invalid
   */
  public static EmbeddedKafkaBroker start(
      Path dataDir, int port, Map<String, String> brokerOverrides, ClientSecurity security) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(brokerOverrides, "brokerOverrides");
    Objects.requireNonNull(security, "security");
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
      return startLocked(absoluteDataDir, logDir, port, brokerOverrides, security, lock);
    } catch (RuntimeException e) {
      lock.release();
      throw e;
    }
  }

  private static EmbeddedKafkaBroker startLocked(
      Path absoluteDataDir, Path logDir, int port, Map<String, String> brokerOverrides,
      ClientSecurity security, DirectoryLock lock) {
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
            brokerOverrides, security, lock);
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
      return startNodeLocked(
          absoluteDataDir, logDir, self, voters, clusterId, brokerOverrides,
          ClientSecurity.PLAINTEXT, lock);
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
      Map<String, String> brokerOverrides, ClientSecurity security, DirectoryLock lock) {
    KafkaConfig config =
        new KafkaConfig(config(logDir, self, voters, brokerOverrides, security), false);
    formatIfNeeded(config, logDir, self.nodeId(), clusterId, security.scramArguments());
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
        absoluteDataDir, self.nodeId(), self.host(), self.clientPort(), security, server, lock);
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

  /**
   * The Kafka client properties that connect to the client listener as the broker's own user
   * (empty for plain text; see {@link ClientSecurity}), without {@code bootstrap.servers}.
   */
  public Map<String, String> clientProperties() {
    return security.clientProperties();
  }

  /** The security protocol of the client listener ({@code PLAINTEXT} unless started secured). */
  public String securityProtocol() {
    return security.protocol();
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
    props.putAll(security.clientProperties());
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
      Path logDir, Voter self, List<Voter> voters, Map<String, String> overrides,
      ClientSecurity security) {
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
    props.putAll(security.brokerConfigs());
    // Fixed: the shape of the node.
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(self.nodeId()));
    props.put(
        "controller.quorum.voters",
        String.join(",", voters.stream().map(Voter::quorumEntry).toList()));
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    // The client listener is also the inter-broker one; the controller's stays plain text (it
    // listens on 127.0.0.1 and only the quorum's nodes talk to it).
    String client = security.listenerName();
    props.put(
        "listeners",
        client + "://" + self.bootstrapServer() + ","
            + CONTROLLER_LISTENER + "://" + self.host() + ":" + self.controllerPort());
    props.put("advertised.listeners", client + "://" + self.bootstrapServer());
    props.put("inter.broker.listener.name", client);
    props.put(
        "listener.security.protocol.map",
        client + ":" + security.protocol() + "," + CONTROLLER_LISTENER + ":PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    props.remove("metadata.log.dir");
    props.remove("controller.quorum.bootstrap.servers");
    return props;
  }

  private static void formatIfNeeded(
      KafkaConfig config, Path logDir, int nodeId, String clusterId, List<String> scramArguments) {
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
          .setScramArguments(scramArguments)
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
