package io.ordo.gateway.connectors;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A gateway running in a child JVM ({@link GatewayChildMain}) on this JVM's classpath, so a test
 * can kill it with SIGKILL ({@link #kill9}) as a crash would: no shutdown, no lease released. Its
 * output goes to {@code <dir>/<name>.log}.
 */
final class ChildGateway implements AutoCloseable {
  /** How long the child may take to start, in ms (a cold JVM on a loaded two-core machine). */
  static final long READY_TIMEOUT_MS = 120_000;

  private final Process process;
  private final Path log;
  final int grpcPort;
  final int httpPort;

  private ChildGateway(Process process, Path log, int grpcPort, int httpPort) {
    this.process = process;
    this.log = log;
    this.grpcPort = grpcPort;
    this.httpPort = httpPort;
  }

  /** Starts a child gateway against the cluster's broker and topics, with a store under {@code dir}. */
  static ChildGateway start(ConnectorTestCluster cluster, Path dir, String name) throws Exception {
    Path log = dir.resolve(name + ".log");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        GatewayChildMain.class.getName(),
        cluster.broker.bootstrapServers(), cluster.topicPrefix,
        dir.resolve(name + "-store").toString(), Integer.toString(ConnectorTestCluster.KEY_RANGES)));
    Process p = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .start();
    // The ready line is read here; everything else the child prints goes to its log file.
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    try {
      while (System.nanoTime() < deadline) {
        String line = out.readLine();
        if (line == null) {
          break;
        }
        Files.writeString(log, line + "\n", StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        if (line.startsWith(GatewayChildMain.READY + " ")) {
          String[] f = line.split(" ");
          drain(out, log);
          return new ChildGateway(p, log, Integer.parseInt(f[1]), Integer.parseInt(f[2]));
        }
        seen.add(line);
      }
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e;
    }
    p.destroyForcibly();
    throw new IllegalStateException("the child gateway did not start within " + READY_TIMEOUT_MS
        + " ms; its output: " + log + (seen.isEmpty() ? "" : ", last line: " + seen.get(seen.size() - 1)));
  }

  /** Copies the rest of the child's output to its log on a daemon thread. */
  private static Thread drain(BufferedReader out, Path log) {
    Thread t = new Thread(() -> {
      try {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          Files.writeString(log, line + "\n", StandardCharsets.UTF_8,
              java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
      } catch (IOException e) {
        // The child is gone.
      }
    }, "child-gateway-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The address the child advertises in its leases. */
  String address() {
    return "127.0.0.1:" + grpcPort;
  }

  /** SIGKILL, then waits for the process to end. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the child gateway did not end after SIGKILL; its log: " + log);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }
}
