package io.ordo.kafka.embedded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one node of a multi-node KRaft cluster ({@link EmbeddedKafkaBroker#startNode}) as its own
 * process, until the process is killed; SIGTERM (a normal JVM exit) shuts the node down cleanly.
 * The Jepsen test cluster starts three of these so that a fault can kill -9, SIGSTOP or isolate one
 * node without touching the others.
 *
 * <p>Arguments, each {@code --name value}:
 *
 * <ul>
 *   <li>{@code --data-dir DIR} the node's directory (formatted on first start, reused after);
 *   <li>{@code --node-id N} this node's id;
 *   <li>{@code --cluster-id ID} the cluster id shared by all nodes (a Kafka base64 UUID);
 *   <li>{@code --voters ID@HOST:CLIENTPORT:CONTROLLERPORT[,...]} every node of the cluster;
 *   <li>{@code --config KEY=VALUE} (repeatable) a broker config override.
 * </ul>
 *
 * <p>Once the node is registered and unfenced it prints the line {@value #READY_MARKER} followed by
 * its node id and bootstrap address to stdout, which the launching process waits for. Bad arguments
 * print a message to stderr and exit with code 2; a failed start exits with 1.
 */
public final class KafkaNodeMain {
  /** The stdout line prefix that says the node serves. */
  public static final String READY_MARKER = "ORDO-KAFKA-NODE-READY";

  private KafkaNodeMain() {}

  /** Entry point; see the class comment. */
  public static void main(String[] args) throws InterruptedException {
    Parsed p;
    try {
      p = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("KafkaNodeMain: " + e.getMessage());
      System.exit(2);
      return;
    }
    EmbeddedKafkaBroker node;
    try {
      node = EmbeddedKafkaBroker.startNode(p.dataDir, p.nodeId, p.voters, p.clusterId, p.overrides);
    } catch (RuntimeException e) {
      System.err.println("KafkaNodeMain: node " + p.nodeId + " failed to start: " + e);
      e.printStackTrace();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } finally {
        stopped.countDown();
      }
    }, "kafka-node-shutdown"));
    System.out.println(READY_MARKER + " " + node.nodeId() + " " + node.bootstrapServers());
    System.out.flush();
    stopped.await();
  }

  /** The parsed arguments. */
  record Parsed(Path dataDir, int nodeId, String clusterId, List<EmbeddedKafkaBroker.Voter> voters, Map<String, String> overrides) {}

  /** Parses the arguments. @throws IllegalArgumentException saying which argument is wrong */
  static Parsed parse(String[] args) {
    Path dataDir = null;
    Integer nodeId = null;
    String clusterId = null;
    List<EmbeddedKafkaBroker.Voter> voters = null;
    Map<String, String> overrides = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + args[i]);
      }
      String value = args[i + 1];
      switch (args[i]) {
        case "--data-dir" -> dataDir = Path.of(value);
        case "--node-id" -> nodeId = parseInt("--node-id", value);
        case "--cluster-id" -> clusterId = value;
        case "--voters" -> voters = parseVoters(value);
        case "--config" -> {
          int eq = value.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("--config needs KEY=VALUE, got '" + value + "'");
          }
          overrides.put(value.substring(0, eq), value.substring(eq + 1));
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (dataDir == null || nodeId == null || clusterId == null || voters == null) {
      throw new IllegalArgumentException("need --data-dir, --node-id, --cluster-id and --voters");
    }
    return new Parsed(dataDir, nodeId, clusterId, voters, overrides);
  }

  /** Formats voters as {@code --voters} expects them. */
  public static String formatVoters(List<EmbeddedKafkaBroker.Voter> voters) {
    List<String> parts = new ArrayList<>();
    for (EmbeddedKafkaBroker.Voter v : voters) {
      parts.add(v.nodeId() + "@" + v.host() + ":" + v.clientPort() + ":" + v.controllerPort());
    }
    return String.join(",", parts);
  }

  static List<EmbeddedKafkaBroker.Voter> parseVoters(String value) {
    List<EmbeddedKafkaBroker.Voter> out = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      int at = part.indexOf('@');
      String[] hp = at < 0 ? new String[0] : part.substring(at + 1).split(":", -1);
      if (at <= 0 || hp.length != 3) {
        throw new IllegalArgumentException("--voters entries are ID@HOST:CLIENTPORT:CONTROLLERPORT, got '" + part + "'");
      }
      out.add(new EmbeddedKafkaBroker.Voter(parseInt("--voters", part.substring(0, at)), hp[0], parseInt("--voters", hp[1]),
          parseInt("--voters", hp[2])));
    }
    return out;
  }

  private static int parseInt(String name, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " needs an integer, got '" + value + "'");
    }
  }
}
