package io.ordo.jepsen.cluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One child JVM of the test cluster: {@code java <jvmOptions> -cp <this JVM's classpath>
 * ParentWatchMain <mainClass> <args>}, optionally inside a network namespace ({@code ip netns exec
 * NS java ...}, which execs java, so the pid is the JVM's and its parent is this JVM). {@link
 * ParentWatchMain} halts the child when this JVM ends. A child may instead have a classpath of its
 * own (Flink's processes run on Flink's lib/ folder), environment variables, and no parent watch
 * (children that outlive this JVM). It can be started again after it ended or was killed, with the
 * same command line (same ports, same data).
 *
 * <p>The child's stdout and stderr are appended to {@code <dir>/<name>.out}; its logging goes to
 * {@code <dir>/<name>.log} through a size-bounded rolling log4j configuration (see {@link
 * LocalCluster}), so the .out file carries only the ready marker and what the JVM itself prints (a
 * stack trace of a failed start). Not thread-safe; {@link LocalCluster} serializes the calls.
 */
final class ChildJvm {
  /** How often {@link #awaitLine} reads the output file, in milliseconds. */
  private static final long POLL_MS = 50;
  /** At most this much output is scanned for a marker, in bytes (the .out files stay small). */
  private static final int SCAN_BYTES_MAX = 1 << 20;

  private final String name;
  private final List<String> command;
  private final Path outFile;
  private final Map<String, String> env;
  private Process process;
  private long outOffset;

  /**
   * A child on this JVM's classpath, started through {@link ParentWatchMain}.
   *
   * @param name a file-name-safe label, e.g. "broker-1"
   * @param dir where the .out file goes
   * @param netns the network namespace to run in, or null for this one
   * @param jvmOptions e.g. "-Xmx512m"
   * @param mainClass the class whose main runs
   * @param args its arguments
   */
  ChildJvm(String name, Path dir, String netns, List<String> jvmOptions, String mainClass, List<String> args) {
    this(name, dir, netns, jvmOptions, System.getProperty("java.class.path"), true, mainClass, args, Map.of());
  }

  /**
   * A child on a classpath of its own (e.g. a Flink process on Flink's lib/ folder).
   *
   * @param classpath the child's classpath
   * @param watchParent start through {@link ParentWatchMain}, so the child halts when this JVM
   *     ends (ParentWatchMain's class is then added to the classpath); false for children that must
   *     outlive this JVM ({@code ordo cluster up})
   * @param env environment variables set for the child in addition to this JVM's
   */
  ChildJvm(String name, Path dir, String netns, List<String> jvmOptions, String classpath, boolean watchParent, String mainClass,
      List<String> args, Map<String, String> env) {
    this.name = Objects.requireNonNull(name, "name");
    this.outFile = dir.resolve(name + ".out");
    this.env = Map.copyOf(env);
    List<String> cmd = new ArrayList<>();
    if (netns != null) {
      cmd.addAll(List.of("ip", "netns", "exec", netns));
    }
    cmd.add(javaExecutable());
    cmd.addAll(jvmOptions);
    cmd.add("-Dordo.child.log=" + dir.resolve(name + ".log"));
    cmd.add("-cp");
    if (watchParent) {
      String own = codeSourceOf(ParentWatchMain.class);
      cmd.add(classpath.contains(own) ? classpath : classpath + java.io.File.pathSeparator + own);
      // The child halts when this JVM is gone, even if this JVM was killed without shutdown hooks.
      cmd.add(ParentWatchMain.class.getName());
    } else {
      cmd.add(classpath);
    }
    cmd.add(mainClass);
    cmd.addAll(args);
    this.command = List.copyOf(cmd);
  }

  /** The java launcher of this JVM, which the children use too. */
  static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The classpath entry (jar or classes directory) a class was loaded from. */
  static String codeSourceOf(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException | RuntimeException e) {
      throw new IllegalStateException("cannot tell where " + c.getName() + " was loaded from", e);
    }
  }

  String name() {
    return name;
  }

  /** The file that receives the child's stdout and stderr. */
  Path outFile() {
    return outFile;
  }

  /** Starts the JVM. @throws IllegalStateException if it is running */
  void start() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
    }
    outOffset = Files.exists(outFile) ? Files.size(outFile) : 0;
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    process = pb.start();
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The pid of the running (or last) JVM. @throws IllegalStateException if never started */
  long pid() {
    if (process == null) {
      throw new IllegalStateException(name + " was never started");
    }
    return process.pid();
  }

  /**
   * Waits until the output of this start has a line starting with {@code marker}, and returns it.
   *
   * @throws IllegalStateException if the JVM ends first or the line does not come within timeoutMs;
   *     the message carries the tail of the output
   */
  String awaitLine(String marker, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      Optional<String> line = findLine(marker);
      if (line.isPresent()) {
        return line.get();
      }
      if (!isAlive()) {
        throw new IllegalStateException(name + " ended (exit " + (process == null ? "?" : process.exitValue())
            + ") before it printed " + marker + "; its output ends with:\n" + tail());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(name + " did not print " + marker + " within " + timeoutMs + " ms; its output ends with:\n"
            + tail());
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** Sends SIGKILL and waits (at most 30 s) until the JVM is gone. No-op if it is not running. */
  void kill9() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die within 30 s of SIGKILL");
    }
  }

  /** Sends a signal by name ("STOP", "CONT") with {@code kill -<SIG> pid}. */
  void signal(String sig) throws IOException, InterruptedException {
    if (!isAlive()) {
      throw new IllegalStateException(name + " is not running; cannot send SIG" + sig);
    }
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("kill -" + sig + " " + process.pid() + " failed: " + out.trim());
    }
  }

  private Optional<String> findLine(String marker) {
    String text = readFrom(outOffset, SCAN_BYTES_MAX);
    for (String line : text.split("\n", -1)) {
      if (line.startsWith(marker)) {
        return Optional.of(line.trim());
      }
    }
    return Optional.empty();
  }

  /** The last 4 KiB of the output file. */
  String tail() {
    try {
      long size = Files.exists(outFile) ? Files.size(outFile) : 0;
      return readFrom(Math.max(0, size - 4096), 4096);
    } catch (IOException e) {
      return "(cannot read " + outFile + ": " + e + ")";
    }
  }

  private String readFrom(long offset, int max) {
    if (!Files.exists(outFile)) {
      return "";
    }
    try (RandomAccessFile f = new RandomAccessFile(outFile.toFile(), "r")) {
      long len = Math.min(max, Math.max(0, f.length() - offset));
      byte[] buf = new byte[(int) len];
      f.seek(offset);
      f.readFully(buf);
      return new String(buf, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + outFile, e);
    }
  }
}
