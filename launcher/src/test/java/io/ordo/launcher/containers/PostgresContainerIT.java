package io.ordo.launcher.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.launcher.bench.PostgresBank;
import io.ordo.launcher.cli.OrdoCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;
import picocli.CommandLine;

/**
 * The PostgreSQL half of {@code ordo bench ycsbt} (the SERIALIZABLE baseline) against PostgreSQL
 * in a container: transfers commit and conserve money. BenchYcsbtIT runs the same against a local
 * PostgreSQL when one listens on 127.0.0.1:5432 and skips that half otherwise.
 *
 * <p>Needs a Docker engine; without one JUnit skips the class ({@code disabledWithoutDocker}).
 */
@Testcontainers(disabledWithoutDocker = true)
class PostgresContainerIT {
  private static final String TABLE = "ordo_bench_container_it";
  private static final int ACCOUNTS = 500;
  private static final long BALANCE = 100;

  @Container
  static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:17-alpine")
      .withUsername("postgres")
      // The bench has no password option: trust connections from the test.
      .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust");

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void benchmarkBaselineCommitsAndConservesMoney(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("report");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    int exit = cli.execute("bench", "ycsbt", "--target", "postgres",
        "--pg-url", POSTGRES.getJdbcUrl(), "--pg-user", "postgres", "--pg-table", TABLE,
        "--accounts", Integer.toString(ACCOUNTS), "--initial-balance", Long.toString(BALANCE),
        "--clients", "4", "--warmup", "1s", "--duration", "2s", "--rate", "50", "--out", out.toString());
    assertThat(exit).as("exit code; stderr:%n%s", stderr).isEqualTo(OrdoCli.EXIT_OK);

    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertThat(results.get("passed").asBoolean()).isTrue();
    assertThat(results.get("verification").get("postgres").get("ok").asBoolean()).isTrue();
    PostgresBank.Totals totals = new PostgresBank(POSTGRES.getJdbcUrl(), "postgres", TABLE).totals();
    assertThat(totals.rows()).isEqualTo(ACCOUNTS);
    assertThat(totals.total()).isEqualTo(ACCOUNTS * BALANCE);
    assertThat(totals.negative()).isZero();
  }
}
