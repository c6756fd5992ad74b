package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.launcher.cli.OrdoCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ordo bench ycsbt --target ordo,ordo-sql,postgres} as a short open-loop sweep (two
 * offered rates, 2 s each) on one embedded Ordo (real KRaft broker, executor on a Flink
 * MiniCluster, gateway with its PostgreSQL port) and the local PostgreSQL: Ordo's transaction
 * API, Ordo SQL through pgjdbc and PostgreSQL each commit transfers and conserve money, and
 * results.json, results.md and the sweep plot are written and parse. Without a reachable
 * PostgreSQL the Ordo targets still run and the PostgreSQL part is skipped (an assumption, with
 * the reason).
 */
class BenchYcsbtIT {
  private static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String TABLE = "ordo_bench_it_accounts";
  private static final int ACCOUNTS = 1_000;
  private static final long BALANCE = 100;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void everyTargetCommitsAndConservesMoney(@TempDir Path dir) throws Exception {
    PostgresBank bank = new PostgresBank(PG_URL, "postgres", TABLE);
    String pgProblem = null;
    try {
      bank.serverVersion();
    } catch (SQLException e) {
      pgProblem = e.getMessage();
    }
    boolean withPostgres = pgProblem == null;
    boolean postgresVisible = withPostgres && bank.postmasterPid().isPresent();
    Path out = dir.resolve("report");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    int exit = cli.execute("bench", "ycsbt", "--target",
        withPostgres ? "ordo,ordo-sql,postgres" : "ordo,ordo-sql",
        "--accounts", Integer.toString(ACCOUNTS), "--initial-balance", Long.toString(BALANCE),
        "--clients", "4", "--warmup", "1s", "--duration", "2s", "--rates", "40,80",
        "--cross-range-pct", "50", "--pg-table", TABLE, "--out", out.toString());
    System.out.print(stdout);
    assertThat(exit).as("exit code; stderr:%n%s", stderr).isEqualTo(OrdoCli.EXIT_OK);

    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertThat(results.get("passed").asBoolean()).isTrue();
    assertThat(results.get("settings").get("crossRangePct").asInt()).isEqualTo(50);
    int ordoSteps = 0;
    int sqlSteps = 0;
    int pgSteps = 0;
    for (JsonNode run : results.get("runs")) {
      assertThat(run.get("committed").asLong()).as("committed of %s", run).isPositive();
      assertThat(run.get("errors").size()).as("errors of %s", run).isZero();
      assertThat(run.get("latencyMs").get("p50").asDouble()).isPositive();
      assertThat(run.get("cpu").get("processCores").asDouble()).isPositive();
      String target = run.get("target").asText();
      if (target.equals("ordo") || target.equals("ordo-sql")) {
        if (target.equals("ordo")) {
          ordoSteps++;
        } else {
          sqlSteps++;
        }
        assertThat(run.get("cpu").get("groupCores").get("kafka broker").asDouble()).isPositive();
        assertThat(run.get("cpu").get("groupCores").get("flink").asDouble()).isPositive();
      } else {
        pgSteps++;
        if (postgresVisible) {
          assertThat(run.get("cpu").get("postgresCores").asDouble()).isPositive();
        } else {
          // The server's processes are not in this PID namespace: not measured, not made up.
          assertThat(run.get("cpu").has("postgresCores")).as(run.toString()).isFalse();
        }
      }
    }
    assertThat(ordoSteps).isEqualTo(2);
    assertThat(sqlSteps).isEqualTo(2);
    // Ordo SQL's check is a SELECT sum(balance), count(*) through the same PostgreSQL port.
    JsonNode sqlCheck = results.get("verification").get("ordo-sql");
    assertThat(sqlCheck.get("ok").asBoolean()).as(sqlCheck.toString()).isTrue();
    assertThat(sqlCheck.get("detail").asText()).startsWith("total " + ACCOUNTS * BALANCE
        + " (expected " + ACCOUNTS * BALANCE + "), " + ACCOUNTS + " rows");
    // Ordo's store is gone with the embedded Ordo: its check is the command's all-accounts read.
    JsonNode ordoCheck = results.get("verification").get("ordo");
    assertThat(ordoCheck.get("ok").asBoolean()).as(ordoCheck.toString()).isTrue();
    assertThat(ordoCheck.get("detail").asText())
        .startsWith("total " + ACCOUNTS * BALANCE + " (expected " + ACCOUNTS * BALANCE + ")");
    assertThat(Files.readString(out.resolve("results.md"))).contains("| ordo | 40 | 4 |")
        .contains("| ordo-sql | 80 | 4 |").contains("ordo-sql = Ordo SQL (pgjdbc, interactive)")
        .contains("Result: PASSED");
    byte[] png = Files.readAllBytes(out.resolve("ycsbt-sweep.png"));
    assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("PNG");

    assumeTrue(withPostgres, "PostgreSQL at " + PG_URL + " is unreachable (" + pgProblem
        + "); the PostgreSQL half of the benchmark is skipped");
    assertThat(pgSteps).isEqualTo(2);
    assertThat(results.get("verification").get("postgres").get("ok").asBoolean()).isTrue();
    // Checked here again, straight from the table.
    PostgresBank.Totals totals = bank.totals();
    assertThat(totals.rows()).isEqualTo(ACCOUNTS);
    assertThat(totals.total()).isEqualTo(ACCOUNTS * BALANCE);
    assertThat(totals.negative()).isZero();
    assertThat(results.get("ordoToPostgres")).hasSize(2);
    assertThat(results.get("ordoSqlToPostgres")).hasSize(2);
  }
}
