package io.ordo.sql.pgcatalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the real psql against {@link MiniPgServer} (which answers with {@link PgCatalogAnswers}
 * from {@link CatalogFixtures}) and against a real PostgreSQL holding the same tables, and checks
 * that psql prints the same thing, up to the schema name and column widths. Needs psql on the
 * PATH and {@link LivePostgres}'s server: without them the test fails when {@code CI=true} and
 * is skipped, with the reason, otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PsqlEndToEndTest {
  private static final long PSQL_TIMEOUT_S = 30;

  private LivePostgres live;
  private MiniPgServer ordo;

  @BeforeAll
  void start() throws Exception {
    try {
      run(List.of("psql", "--version"), Map.of());
    } catch (IOException e) {
      if ("true".equals(System.getenv("CI"))) {
        fail("psql is not on the PATH and CI=true");
      }
      Assumptions.abort("psql is not on the PATH; PgCatalogAnswersTest still checks the answers");
    }
    live = LivePostgres.openOrSkip("PgCatalogAnswersTest still checks the answers");
    ordo = new MiniPgServer(CatalogFixtures.catalog());
  }

  @AfterAll
  void stop() throws Exception {
    if (ordo != null) {
      ordo.close();
    }
    if (live != null) {
      live.close();
    }
  }

  private static String run(List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("PGOPTIONS");
    pb.environment().putAll(env);
    Process p = pb.start();
    // Read while it runs: a full pipe would stop psql.
    CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    if (!p.waitFor(PSQL_TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish in " + PSQL_TIMEOUT_S + " s");
    }
    try {
      return new String(output.get(PSQL_TIMEOUT_S, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError(command + ": output not read", e);
    }
  }

  private static List<String> psql(String port, String command) {
    return List.of("psql", "-X", "-h", LivePostgres.HOST, "-p", port, "-U", LivePostgres.USER,
        "-d", LivePostgres.DATABASE, "-c", command);
  }

  /** psql's output with the schema named public and runs of blanks and dashes folded. */
  private List<String> normalized(String output) {
    List<String> lines = new ArrayList<>();
    for (String line : output.replace(live.schema, "public").split("\n")) {
      // Access methods are not shown for Ordo's tables (PGCATALOG.md).
      if (line.startsWith("Access method: ")) {
        continue;
      }
      lines.add(line.replaceAll("-+", "-").replaceAll("\\s+", " ").trim());
    }
    return lines;
  }

  @ParameterizedTest
  @ValueSource(strings = {"\\dt", "\\d", "\\di", "\\dt acc*", "\\dt public.*", "\\d accounts",
      "\\d kv", "\\d+ accounts", "\\d+ kv", "\\d nosuch", "\\dv", "\\ds", "\\d accounts_pkey",
      "\\d+ kv_pkey", "\\d acc*", "\\d+ *.kv*"})
  void psqlPrintsWhatItPrintsForPostgres(String command) throws Exception {
    String fromPostgres = run(psql(LivePostgres.PORT, command.replace("public.",
        live.schema + ".")), Map.of("PGOPTIONS", "-c search_path=" + live.schema));
    String fromOrdo = run(psql(Integer.toString(ordo.port()), command), Map.of());
    assertThat(normalized(fromOrdo)).as(fromOrdo).isEqualTo(normalized(fromPostgres));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\\l", "\\dn", "\\dn+", "\\dt+", "\\di+", "\\d *"})
  void psqlPrintsOrdosDatabaseSchemaSizesAndAllRelations(String command) throws Exception {
    String out = run(psql(Integer.toString(ordo.port()), command), Map.of());
    List<String> lines = normalized(out);
    switch (command) {
      case "\\l" -> assertThat(lines).contains("test | postgres | UTF8 | C | C | | libc |");
      case "\\dn", "\\dn+" -> assertThat(lines).anyMatch(l -> l.startsWith("public | postgres"));
      // PostgreSQL would describe its system catalogs too (pg_catalog is always visible).
      case "\\d *" -> assertThat(lines).contains("Table \"public.accounts\"",
          "Index \"public.accounts_pkey\"", "Table \"public.kv\"", "Index \"public.kv_pkey\"",
          "\"kv_pkey\" PRIMARY KEY, btree (k, n)");
      case "\\dt+" -> assertThat(lines)
          .contains("public | accounts | table | postgres | permanent | | |");
      default -> assertThat(lines)
          .contains("public | accounts_pkey | index | postgres | accounts | permanent | btree | |");
    }
  }
}
