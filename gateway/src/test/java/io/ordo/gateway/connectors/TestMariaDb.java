package io.ordo.gateway.connectors;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A MariaDB owned by a test: {@code mariadb-install-db} (or {@code mysql_install_db}) into a
 * temporary directory, then {@code mariadbd} on a free loopback port with the binary log on
 * ({@code --log-bin --binlog-format=ROW --server-id=1}; the machine's shared MariaDB runs without
 * it), its unix socket in the same directory, and a user {@value #USER} / {@value #PASSWORD} with
 * every privilege. Run as root, the server runs as root ({@code --user=root}). {@link #stop}
 * kills it (SIGKILL, as a crash); {@link #close} also deletes the directory.
 *
 * <p>{@link #binaries} finds {@code mariadbd} and the install tool in {@code
 * $ORDO_MARIADB_BIN}, else {@code /usr/sbin} and {@code /usr/bin}; tests skip when it finds
 * none.
 */
public final class TestMariaDb implements AutoCloseable {
  static final String USER = "ordo";
  static final String PASSWORD = "ordo-pw";
  private static final long TOOL_TIMEOUT_S = 60;
  private static final long START_TIMEOUT_MS = 30_000;

  /** The server and the install tool. */
  record Binaries(Path server, Path install) {}

  private final Binaries bin;
  private final Path base;
  private final Path data;
  private final int port;
  private final boolean root;
  private Process server;

  private TestMariaDb(Binaries bin, Path base, int port) {
    this.bin = bin;
    this.base = base;
    this.data = base.resolve("data");
    this.port = port;
    this.root = "root".equals(System.getProperty("user.name"));
  }

  /** The server and install tool, if installed. */
  public static Optional<Binaries> binaries() {
    List<Path[]> candidates = new ArrayList<>();
    String env = System.getenv("ORDO_MARIADB_BIN");
    if (env != null && !env.isBlank()) {
      Path d = Path.of(env);
      candidates.add(new Path[] {d.resolve("mariadbd"), d.resolve("mariadb-install-db")});
      candidates.add(new Path[] {d.resolve("mariadbd"), d.resolve("mysql_install_db")});
    }
    candidates.add(new Path[] {Path.of("/usr/sbin/mariadbd"), Path.of("/usr/bin/mariadb-install-db")});
    candidates.add(new Path[] {Path.of("/usr/sbin/mariadbd"), Path.of("/usr/bin/mysql_install_db")});
    return candidates.stream()
        .filter(c -> Files.isExecutable(c[0]) && Files.isExecutable(c[1]))
        .map(c -> new Binaries(c[0], c[1]))
        .findFirst();
  }

  /** Installs a data directory and starts a server (about 2 s). */
  public static TestMariaDb start(Binaries bin) throws Exception {
    Path base = Files.createTempDirectory("ordo-mariadb-");
    TestMariaDb db = new TestMariaDb(bin, base, freePort());
    List<String> install = new ArrayList<>(List.of(bin.install().toString(), "--no-defaults",
        "--datadir=" + db.data, "--auth-root-authentication-method=normal", "--skip-test-db"));
    if (db.root) {
      install.add("--user=root");
    }
    db.run(install);
    db.startServer();
    db.execAs("root", "",
        "CREATE USER '" + USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "'",
        "GRANT ALL PRIVILEGES ON *.* TO '" + USER + "'@'%' WITH GRANT OPTION");
    return db;
  }

  private void startServer() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(bin.server().toString(), "--no-defaults",
        "--datadir=" + data, "--port=" + port, "--bind-address=127.0.0.1",
        "--socket=" + base.resolve("mysqld.sock"), "--pid-file=" + base.resolve("mysqld.pid"),
        "--log-error=" + base.resolve("error.log"), "--log-bin=" + data.resolve("binlog"),
        "--binlog-format=ROW", "--server-id=1", "--skip-name-resolve",
        "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0", "--innodb-buffer-pool-size=64M"));
    if (root) {
      cmd.add("--user=root");
    }
    server = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(base.resolve("server.out").toFile()))
        .start();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
    while (true) {
      try (Connection c = DriverManager.getConnection(
          "jdbc:mysql://127.0.0.1:" + port + "/?connectTimeout=1000", "root", "")) {
        return;
      } catch (SQLException e) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("mariadbd did not start: " + e.getMessage() + "\n"
              + (Files.exists(base.resolve("error.log"))
                  ? Files.readString(base.resolve("error.log")) : ""));
        }
        Thread.sleep(100);
      }
    }
  }

  /** Starts a server {@link #stop}ped before again, on the same port and data. */
  public synchronized void restart() throws Exception {
    if (server == null || !server.isAlive()) {
      startServer();
    }
  }

  public int port() {
    return port;
  }

  /** A connection as {@value #USER}. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mysql://127.0.0.1:" + port + "/?connectionTimeZone=UTC"
            + "&forceConnectionTimeZoneToSession=true&allowPublicKeyRetrieval=true",
        USER, PASSWORD);
  }

  /** Runs statements, each in its own transaction (autocommit). */
  public void exec(String... sql) throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private void execAs(String user, String password, String... sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(
            "jdbc:mysql://127.0.0.1:" + port + "/", user, password);
        Statement s = c.createStatement()) {
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
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(base.resolve("tool.log").toFile()).start();
    if (!p.waitFor(TOOL_TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + command);
    }
    if (p.exitValue() != 0) {
      throw new IOException("failed (" + p.exitValue() + "): " + command + "\n"
          + Files.readString(base.resolve("tool.log")));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Kills the server (SIGKILL, as a crash) and waits for it; idempotent. */
  public synchronized void stop() throws InterruptedException {
    if (server != null && server.isAlive()) {
      server.destroyForcibly();
      server.waitFor(TOOL_TIMEOUT_S, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      stop();
    } finally {
      try (Stream<Path> files = Files.walk(base)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
