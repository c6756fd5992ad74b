package io.ordo.jepsen.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network namespaces for the brokers, so that a partition can cut them apart: one namespace per
 * node, each joined to a bridge in this (the root) namespace by a veth pair, on a /24 of 10.0.0.0/8
 * that no interface here uses. Node i (1-based) has address {@code 10.A.B.i}; the bridge has {@code
 * 10.A.B.254}, which is how the executor and the gateway (in the root namespace) reach the brokers.
 *
 * <p>A partition is made with blackhole routes inside the namespaces ({@code ip route add blackhole
 * 10.A.B.j/32} in node i's namespace, and the reverse in node j's): packets between the two nodes
 * are dropped silently, as Jepsen's iptables DROP rules do, while clients in the root namespace
 * still reach every node. This machine has {@code ip} but neither iptables nor nft, and its tc
 * lacks the prio qdisc, so routes are the tool. Needs root (CAP_NET_ADMIN).
 *
 * <p>Names carry a random 6-hex tag so that runs on the same machine do not collide; {@link
 * #close} deletes the namespaces (which removes their veths) and the bridge, and is also run by a
 * JVM shutdown hook if the owner does not call it.
 */
final class NetworkNamespaces implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NetworkNamespaces.class);
  /** Attempts to find an unused /24. */
  private static final int SUBNET_ATTEMPTS_MAX = 20;

  private final String tag;
  private final String subnetPrefix; // "10.A.B."
  private final int nodes;
  private final List<String> blackholes = new ArrayList<>(); // "ns dst", for heal and close
  private final Thread shutdownHook;
  private boolean closed;

  private NetworkNamespaces(String tag, String subnetPrefix, int nodes) {
    this.tag = tag;
    this.subnetPrefix = subnetPrefix;
    this.nodes = nodes;
    this.shutdownHook = new Thread(this::close, "netns-cleanup-" + tag);
  }

  /**
   * Creates the bridge and {@code nodes} namespaces (1..nodes), each with loopback up and its veth
   * address.
   *
   * @param random picks the tag and the subnet (not part of any checked output)
   * @throws IllegalStateException if an {@code ip} command fails (e.g. not root); what was created
   *     is removed again
   */
  static NetworkNamespaces create(int nodes, Random random) throws IOException, InterruptedException {
    if (nodes < 1 || nodes > 250) {
      throw new IllegalArgumentException("nodes must be in [1, 250], got " + nodes);
    }
    String tag = String.format("%06x", random.nextInt(1 << 24));
    String used = run(List.of("ip", "-4", "-o", "addr"));
    String prefix = null;
    for (int i = 0; i < SUBNET_ATTEMPTS_MAX && prefix == null; i++) {
      String candidate = "10." + (200 + random.nextInt(50)) + "." + random.nextInt(256) + ".";
      if (!used.contains(" " + candidate)) {
        prefix = candidate;
      }
    }
    if (prefix == null) {
      throw new IllegalStateException("no unused 10.x.y.0/24 found for the test cluster's bridge");
    }
    NetworkNamespaces n = new NetworkNamespaces(tag, prefix, nodes);
    Runtime.getRuntime().addShutdownHook(n.shutdownHook);
    try {
      n.setUp();
    } catch (IOException | InterruptedException | RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  private void setUp() throws IOException, InterruptedException {
    String bridge = bridge();
    run(List.of("ip", "link", "add", bridge, "type", "bridge"));
    run(List.of("ip", "addr", "add", subnetPrefix + "254/24", "dev", bridge));
    run(List.of("ip", "link", "set", bridge, "up"));
    for (int i = 1; i <= nodes; i++) {
      String ns = namespace(i);
      String hostSide = "ov" + tag + "n" + i;
      String nsSide = "ov" + tag + "p" + i;
      run(List.of("ip", "netns", "add", ns));
      run(List.of("ip", "link", "add", hostSide, "type", "veth", "peer", "name", nsSide));
      run(List.of("ip", "link", "set", nsSide, "netns", ns));
      run(List.of("ip", "link", "set", hostSide, "master", bridge));
      run(List.of("ip", "link", "set", hostSide, "up"));
      run(List.of("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", nsSide));
      run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", nsSide, "up"));
      run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
    }
    LOG.info("network namespaces {}1..{} on bridge {} ({}0/24)", "ordo-" + tag + "-", nodes, bridge, subnetPrefix);
  }

  /** The namespace of node i (1-based). */
  String namespace(int node) {
    return "ordo-" + tag + "-" + node;
  }

  /** The address of node i (1-based), e.g. "10.211.7.2". */
  String address(int node) {
    return subnetPrefix + node;
  }

  private String bridge() {
    return "ob" + tag;
  }

  /**
   * Cuts node {@code isolated} off from every other node (both directions); clients in the root
   * namespace still reach it. @throws IllegalStateException if a route cannot be added
   */
  synchronized void isolate(int isolated) throws IOException, InterruptedException {
    for (int j = 1; j <= nodes; j++) {
      if (j != isolated) {
        blackhole(isolated, j);
        blackhole(j, isolated);
      }
    }
  }

  private void blackhole(int in, int dst) throws IOException, InterruptedException {
    run(List.of("ip", "netns", "exec", namespace(in), "ip", "route", "add", "blackhole", address(dst) + "/32"));
    blackholes.add(in + " " + dst);
  }

  /** Removes every blackhole route: all nodes reach each other again. */
  synchronized void healAll() throws IOException, InterruptedException {
    List<String> failures = new ArrayList<>();
    for (String b : List.copyOf(blackholes)) {
      String[] p = b.split(" ");
      try {
        run(List.of("ip", "netns", "exec", namespace(Integer.parseInt(p[0])), "ip", "route", "del", "blackhole",
            address(Integer.parseInt(p[1])) + "/32"));
        blackholes.remove(b);
      } catch (IllegalStateException e) {
        failures.add(e.getMessage());
      }
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("could not remove blackhole routes: " + failures);
    }
  }

  /** Deletes the namespaces and the bridge. Idempotent; failures are logged. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // Already shutting down: this is the hook.
    }
    for (int i = 1; i <= nodes; i++) {
      runQuietly(List.of("ip", "netns", "del", namespace(i)));
    }
    runQuietly(List.of("ip", "link", "del", bridge()));
  }

  private static void runQuietly(List<String> cmd) {
    try {
      run(cmd);
    } catch (Exception e) {
      LOG.warn("cleanup command {} failed: {}", cmd, e.getMessage());
    }
  }

  /** Runs a command (at most 30 s); returns its output. @throws IllegalStateException on failure */
  static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readNBytes(1 << 20);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not end within 30 s");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + text.trim());
    }
    return text;
  }
}
