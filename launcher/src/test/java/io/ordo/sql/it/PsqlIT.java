package io.ordo.sql.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordo SQL through PostgreSQL's own {@code psql}: its catalog queries ({@code \dt}, {@code \d}),
 * a script with a transaction block, an error it continues past, and a query, asserted on what
 * psql prints. Skipped when psql is not on the PATH, except under {@code CI=true}, where a
 * missing psql fails the test (CI must install postgresql-client).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PsqlIT {
  static final long PSQL_TIMEOUT_S = 30;

  @TempDir static Path dir;
  static PgOrdo pg;
  static Path psql;

  @BeforeAll
  static void start() throws Exception {
    psql = onPath("psql");
    if (psql == null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("psql is not on the PATH: CI must install postgresql-client for PsqlIT");
      }
      Assumptions.abort("psql is not on the PATH");
    }
    pg = PgOrdo.start(dir.resolve("data"), 0);
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  static Path onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String d : path.split(File.pathSeparator)) {
      Path p = Path.of(d, program);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** What one psql run printed and how it exited. */
  record Run(int exit, String out, String err) {
    /** Output lines whose cells, split at '|' and trimmed, are exactly {@code cells}. */
    boolean hasRow(String... cells) {
      List<String> want = Arrays.asList(cells);
      return out.lines()
          .map(l -> Arrays.stream(l.split("\\|", -1)).map(String::trim).collect(Collectors.toList()))
          .anyMatch(want::equals);
    }
  }

  static Run psql(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(psql.toString(), "-X", "-h", "127.0.0.1",
        "-p", Integer.toString(pg.pgPort), "-U", "ordo", "-d", "ordo", "-P", "pager=off"));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().put("PGPASSWORD", "ordo");
    b.environment().put("PGCONNECT_TIMEOUT", "10");
    b.environment().put("PGTZ", "UTC");
    b.environment().remove("PGOPTIONS");
    Path out = Files.createTempFile(dir, "psql", ".out");
    Path err = Files.createTempFile(dir, "psql", ".err");
    b.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = b.start();
    if (!p.waitFor(PSQL_TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("psql " + args[args.length - 1] + " did not finish in " + PSQL_TIMEOUT_S + " s; out:\n"
          + Files.readString(out) + "\nerr:\n" + Files.readString(err));
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void listsAndDescribesTablesAndRunsAScript() throws Exception {
    Run create = psql("-c", "CREATE TABLE psql_orders (id BIGINT PRIMARY KEY,"
        + " customer VARCHAR(20) NOT NULL, total NUMERIC(10,2), placed TIMESTAMPTZ,"
        + " note TEXT DEFAULT 'none')");
    assertThat(create.exit()).as(create.err()).isZero();
    assertThat(create.out()).contains("CREATE TABLE");
    assertThat(psql("-c", "CREATE TABLE psql_other (k TEXT PRIMARY KEY, n INT)").exit()).isZero();

    Run dt = psql("-c", "\\dt");
    assertThat(dt.exit()).as(dt.err()).isZero();
    assertThat(dt.out()).as("err: " + dt.err()).contains("List of relations");
    assertThat(dt.hasRow("Schema", "Name", "Type", "Owner")).as(dt.out()).isTrue();
    assertThat(dt.hasRow("public", "psql_orders", "table", "ordo")).as(dt.out()).isTrue();
    assertThat(dt.hasRow("public", "psql_other", "table", "ordo")).as(dt.out()).isTrue();

    Run d = psql("-c", "\\d psql_orders");
    assertThat(d.exit()).as(d.err()).isZero();
    assertThat(d.out()).contains("Table \"public.psql_orders\"");
    assertThat(d.hasRow("Column", "Type", "Collation", "Nullable", "Default")).as(d.out()).isTrue();
    assertThat(d.hasRow("id", "bigint", "", "not null", "")).as(d.out()).isTrue();
    assertThat(d.hasRow("customer", "character varying(20)", "", "not null", "")).as(d.out()).isTrue();
    assertThat(d.hasRow("total", "numeric(10,2)", "", "", "")).as(d.out()).isTrue();
    assertThat(d.hasRow("placed", "timestamp with time zone", "", "", "")).as(d.out()).isTrue();
    // PostgreSQL prints the default as pg_get_expr renders it: 'none'::text.
    assertThat(d.hasRow("note", "text", "", "", "'none'::text")
        || d.hasRow("note", "text", "", "", "'none'")).as(d.out()).isTrue();
    assertThat(d.out().lines().map(String::trim))
        .contains("Indexes:", "\"psql_orders_pkey\" PRIMARY KEY, btree (id)");

    Path script = dir.resolve("script.sql");
    Files.writeString(script, String.join("\n",
        "BEGIN;",
        "INSERT INTO psql_orders (id, customer, total) VALUES (1, 'ann', 12.50), (2, 'bob', 3);",
        "UPDATE psql_orders SET total = total + 1 WHERE id = 2;",
        "COMMIT;",
        "SELECT * FROM psql_missing;",
        "INSERT INTO psql_orders (id, customer) VALUES (1, 'dup');",
        "INSERT INTO psql_orders (id, customer, total) VALUES (3, 'cy', 0.05);",
        "SELECT id, customer, total, note FROM psql_orders ORDER BY id;",
        ""));
    Run run = psql("-f", script.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out().lines().map(String::trim))
        .containsSubsequence("BEGIN", "INSERT 0 2", "UPDATE 1", "COMMIT", "INSERT 0 1", "(3 rows)");
    assertThat(run.err())
        .contains("ERROR:  relation \"psql_missing\" does not exist")
        .contains("ERROR:  duplicate key value violates unique constraint \"psql_orders_pkey\"");
    assertThat(run.hasRow("id", "customer", "total", "note")).as(run.out()).isTrue();
    assertThat(run.hasRow("1", "ann", "12.50", "none")).as(run.out()).isTrue();
    assertThat(run.hasRow("2", "bob", "4.00", "none")).as(run.out()).isTrue();
    assertThat(run.hasRow("3", "cy", "0.05", "none")).as(run.out()).isTrue();
    assertThat(run.out()).doesNotContain("dup");
  }

  @Test
  void explainOfAMaterializedViewPrintsItsPlanAsRowsOfText() throws Exception {
    assertThat(psql("-c", "CREATE TABLE psql_sales (id BIGINT PRIMARY KEY, shop TEXT NOT NULL,"
        + " amount INT)").exit()).isZero();
    Run explain = psql("-c", "EXPLAIN CREATE MATERIALIZED VIEW psql_shop_totals AS"
        + " SELECT shop, count(*) AS n, sum(amount) AS total FROM psql_sales GROUP BY shop");
    assertThat(explain.exit()).as(explain.err()).isZero();
    List<String> lines = explain.out().lines().map(String::trim).filter(l -> !l.isEmpty())
        .collect(Collectors.toList());
    // One text column named as PostgreSQL names it, one row per line of the plan.
    assertThat(lines.get(0)).isEqualTo("QUERY PLAN");
    assertThat(lines).anyMatch(l -> l.startsWith("Materialized View psql_shop_totals (not created"))
        .contains("Sources: table psql_sales")
        .anyMatch(l -> l.startsWith("Key: shop"))
        .anyMatch(l -> l.startsWith("Flink SQL: SELECT"));
    assertThat(lines.get(lines.size() - 1)).matches("\\((\\d+) rows\\)");

    // Nothing was created; EXPLAIN VIEW of it is the unknown-view error.
    assertThat(psql("-c", "\\dt").out()).doesNotContain("psql_shop_totals");
    Run missing = psql("-c", "EXPLAIN VIEW psql_shop_totals");
    assertThat(missing.exit()).isNotZero();
    assertThat(missing.err()).contains("ERROR:  view \"psql_shop_totals\" does not exist");
  }
}
