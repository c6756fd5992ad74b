package io.ordo.gateway.connectors;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL 15 owned by a test: {@code initdb} into a temporary directory, then {@code pg_ctl
 * start} on a free port with {@code wal_level=logical} (the machine's shared PostgreSQL runs with
 * {@code replica}), unix sockets in the same directory, trust authentication for user {@code
 * postgres}. Run as root, the tools run as the {@code postgres} user ({@code runuser}), since
 * initdb refuses root. {@link #close} stops it ({@code -m immediate}) and deletes the directory.
 *
 * <p>{@link #binDir} finds {@code initdb} and {@code pg_ctl} in {@code $ORDO_PG_BIN}, else
 * {@code /usr/lib/postgresql/15/bin}; tests skip when it finds none.
 */
public final class TestPostgres implements AutoCloseable {
  private static final long TOOL_TIMEOUT_S = 60;

  private final Path bin;
  private final Path base;
  private final Path data;
  private final int port;
  private final List<String> asUser;
  private boolean stopped;

  private TestPostgres(Path bin, Path base, int port, List<String> asUser) {
    this.bin = bin;
    this.base = base;
    this.data = base.resolve("data");
    this.port = port;
    this.asUser = asUser;
  }

  /** The directory holding initdb and pg_ctl, if there is one. */
  public static Optional<Path> binDir() {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv("ORDO_PG_BIN");
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    candidates.add(Path.of("/usr/lib/postgresql/15/bin"));
    return candidates.stream()
        .filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
        .findFirst();
  }

  /** Creates and starts an instance (about 2 s). */
  public static TestPostgres start(Path bin) throws IOException, InterruptedException {
    Path base = Files.createTempDirectory("ordo-pg-");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxrwxrwx"));
    List<String> asUser = "root".equals(System.getProperty("user.name"))
        ? List.of("runuser", "-u", "postgres", "--") : List.of();
    TestPostgres pg = new TestPostgres(bin, base, freePort(), asUser);
    pg.run(List.of(bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres",
        "--auth=trust", "-E", "UTF8", "--no-sync"));
    pg.pgCtlStart();
    return pg;
  }

  private void pgCtlStart() throws IOException, InterruptedException {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(),
        "-l", base.resolve("postgres.log").toString(), "-w", "-t", "30",
        "-o", "-p " + port + " -c wal_level=logical -c listen_addresses=127.0.0.1 -k " + base
            + " -c max_wal_senders=8 -c max_replication_slots=8 -c fsync=off",
        "start"));
  }

  /** Starts a server {@link #stop}ped before again, on the same port and data. */
  public synchronized void restart() throws IOException, InterruptedException {
    if (stopped) {
      pgCtlStart();
      stopped = false;
    }
  }

  public int port() {
    return port;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
  }

  /** Runs statements, each in its own transaction (autocommit). */
  public void exec(String... sql) throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** The number {@code sql} (a one-row, one-column count) returns. */
  public long count(String sql) throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void run(List<String> command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(asUser);
    full.addAll(command);
    Process p = new ProcessBuilder(full).redirectErrorStream(true)
        .redirectOutput(base.resolve("tool.log").toFile()).start();
    if (!p.waitFor(TOOL_TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + full);
    }
    if (p.exitValue() != 0) {
      throw new IOException("failed (" + p.exitValue() + "): " + full + "\n"
          + Files.readString(base.resolve("tool.log")));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Stops the server ({@code -m immediate}, as a crash); idempotent. */
  public synchronized void stop() throws IOException, InterruptedException {
    if (!stopped) {
      stopped = true;
      run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate",
          "-w", "stop"));
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      stop();
    } finally {
      try (Stream<Path> files = Files.walk(base)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
