package io.ordo.sql.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ordo.sql.types.ReferencePostgres;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * psql (PostgreSQL 15's client, on the PATH) against PgWireServer over a {@link FakeEngine}: its
 * output for a command and for a script must be what it prints for the same input against a real
 * PostgreSQL 15 (127.0.0.1:5432, database {@code test}, user {@code postgres}; {@code
 * -Dordo.pg.host}/{@code -Dordo.pg.port} to change), errors with their LINE/caret included.
 * Without psql the tests are skipped; without that PostgreSQL only the comparisons are. psql
 * connects with its default sslmode=prefer, so it also goes through the SSLRequest refusal.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PgWirePsqlIT {
  private static final String PG_HOST = System.getProperty("ordo.pg.host", "127.0.0.1");
  private static final String PG_PORT = System.getProperty("ordo.pg.port", "5432");

  private static FakeEngine engine;
  /** Whether the reference PostgreSQL answers; without it only the fixed expectations run. */
  private static boolean withPostgres;
  private static PgWireServer server;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    requirePsql();
    withPostgres = ReferencePostgres.reachable();
    engine = new FakeEngine();
    server = PgWireServer.start(engine, new InetSocketAddress("127.0.0.1", 0), 8);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** psql on the PATH, or a skipped test. */
  private static void requirePsql() throws InterruptedException {
    boolean present;
    try {
      Process p = new ProcessBuilder("psql", "--version").redirectErrorStream(true).start();
      present = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      present = false;
    }
    assumeTrue(present, "psql is not on the PATH (Debian package postgresql-client-15)");
  }

  private record Result(int exit, String out, String err) {}

  private static Result psql(String host, String port, String user, String db, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(
        List.of("psql", "-X", "-w", "-h", host, "-p", port, "-U", user, "-d", db));
    cmd.addAll(List.of(args));
    File out = Files.createTempFile(dir, "out", ".txt").toFile();
    File err = Files.createTempFile(dir, "err", ".txt").toFile();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out).redirectError(err);
    Map<String, String> env = pb.environment();
    env.put("PGCONNECT_TIMEOUT", "10");
    env.put("PGCLIENTENCODING", "UTF8");
    env.put("LC_ALL", "C.UTF-8");
    env.remove("PGPASSWORD");
    env.remove("PGSSLMODE");
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("psql did not finish within 60 s: " + cmd);
    }
    return new Result(p.exitValue(),
        Files.readString(out.toPath(), StandardCharsets.UTF_8),
        Files.readString(err.toPath(), StandardCharsets.UTF_8));
  }

  private static Result ordo(String... args) throws Exception {
    return psql("127.0.0.1", Integer.toString(server.port()), "x", "y", args);
  }

  private static Result postgres(String... args) throws Exception {
    return psql(PG_HOST, PG_PORT, "postgres", "test", args);
  }

  @Test
  void selectOneAsPostgresPrintsIt() throws Exception {
    Result r = ordo("-c", "select 1");
    assertThat(r.err()).isEmpty();
    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo(" ?column? \n----------\n        1\n(1 row)\n\n");
    if (withPostgres) {
      assertThat(r).isEqualTo(postgres("-c", "select 1"));
    }
    assertThat(engine.lastUser).isEqualTo("x");
    assertThat(engine.lastDatabase).isEqualTo("y");
  }

  @Test
  void valuesOfEveryTypeAsPostgresPrintsThem() throws Exception {
    Result r = ordo("-c", "select samples");
    assertThat(r.exit()).isZero();
    // The same values and column names from PostgreSQL itself; psql aligns by type OID.
    String same = "select true as b, (-12)::int2 as i2, 123456789 as i4,"
        + " (-9000000000)::int8 as i8, 1.5e300::float8 as f8,"
        + " (-12345.6789)::numeric(20,4) as num, 'héllo'::varchar(10) as vc,"
        + " E'tab\\there' as t, '\\x0001ff61'::bytea as by, '2026-12-06'::date as d,"
        + " '2026-12-06 10:15:30.123456'::timestamp as ts,"
        + " '2026-12-06 10:15:30.5+00'::timestamptz as tstz,"
        + " '{\"bb\": [1, 2], \"a\": 1}'::jsonb as j"
        + " union all select null, null, null, null, null, null, null, null, null, null, null,"
        + " null, null";
    if (withPostgres) {
      Result pg = postgres("-c", "set timezone = 'UTC'", "-c", same);
      assertThat(pg.exit()).isZero();
      assertThat(r.out()).isEqualTo(pg.out().replaceFirst("^SET\n", ""));
    }
    assertThat(r.out()).contains("1.5e+300", "\\x0001ff61", "2026-12-06 10:15:30.5+00",
        "{\"a\": 1, \"bb\": [1, 2]}", "(2 rows)");
  }

  @Test
  void scriptWithTransactionsAndErrorsAsPostgresRunsIt() throws Exception {
    Path script = dir.resolve("script.sql");
    Files.writeString(script, String.join("\n",
        "select 1;",
        "begin;",
        "select 1;",
        "select bad;",
        "select 1;",
        "rollback;",
        "select 1/0;",
        "select 1;",
        "\\echo done",
        ""));
    Result r = ordo("-f", script.toString());
    assertThat(r.out()).contains("BEGIN", "ROLLBACK", "done");
    assertThat(r.err())
        .contains("ERROR:  column \"bad\" does not exist\nLINE 1: select bad;\n               ^")
        .contains("ERROR:  current transaction is aborted")
        .contains("ERROR:  division by zero");
    if (withPostgres) {
      assertThat(r).isEqualTo(postgres("-f", script.toString()));
    }
  }

  @Test
  void connectionErrorsReachPsql() throws Exception {
    try (PgWireServer small =
        PgWireServer.start(engine, new InetSocketAddress("127.0.0.1", 0), 1)) {
      try (RawClient holder = new RawClient(small.port())) {
        holder.startup(3, 0, "holder", "db");
        holder.untilReady();
        Result r = psql("127.0.0.1", Integer.toString(small.port()), "x", "y", "-c", "select 1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("FATAL:  sorry, too many clients already");
      }
    }
  }
}
