package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.launcher.cli.OrdoCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ordo bench ycsbt --profile standard --quick} shortened to 1 s per step on a small bank:
 * every step of the plan runs (Ordo's on one embedded Ordo, pipelined ones over TxnStream;
 * PostgreSQL's on the local server, or none with {@code --target ordo} when it is unreachable),
 * commits transfers, and the goals table comes out as results.md and results.json with the
 * commit and the machine. No figure is judged: the machine is shared.
 */
class BenchProfileIT {
  private static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String TABLE = "ordo_bench_profile_it_accounts";

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void theQuickProfileRunsEveryStepAndWritesTheGoalsTable(@TempDir Path dir) throws Exception {
    boolean withPostgres;
    try {
      new PostgresBank(PG_URL, "postgres", TABLE).serverVersion();
      withPostgres = true;
    } catch (SQLException e) {
      withPostgres = false;
    }
    Path out = dir.resolve("profile");
    List<String> args = new ArrayList<>(List.of("bench", "ycsbt", "--profile", "standard",
        "--quick", "--warmup", "0s", "--duration", "1s", "--accounts", "1000",
        "--pipelined", "32", "--pg-url", PG_URL, "--pg-table", TABLE, "--out", out.toString()));
    if (!withPostgres) {
      args.addAll(List.of("--target", "ordo"));
    }
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    int exit = cli.execute(args.toArray(String[]::new));
    System.out.print(stdout);
    assertThat(exit).as("exit code; stderr:%n%s", stderr).isEqualTo(OrdoCli.EXIT_OK);

    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertThat(results.get("benchmark").asText()).isEqualTo("ycsbt-profile");
    assertThat(results.get("profile").asText()).isEqualTo("standard --quick");
    assertThat(results.get("commit").asText()).isNotBlank();
    assertThat(results.get("machine").get("cpuModel").asText()).isNotBlank();
    assertThat(results.get("goals")).hasSize(11);
    JsonNode steps = results.get("steps");
    assertThat(steps).hasSize(withPostgres ? 12 : 8);
    for (JsonNode step : steps) {
      if (step.has("skipped")) {
        // Only a client count above the server's max_connections is skipped.
        assertThat(step.get("id").asText()).isEqualTo("postgres-256");
        assertThat(step.get("skipped").asText()).contains("max_connections");
        continue;
      }
      assertThat(step.get("committedPerSecond").asDouble()).as(step.toString()).isPositive();
      assertThat(step.get("errors").asLong()).as(step.toString()).isZero();
    }
    assertThat(steps.get(3).get("inFlightPerClient").asInt()).isEqualTo(32);
    assertThat(steps.get(6).get("offeredRate").asDouble())
        .isEqualTo(steps.get(3).get("committedPerSecond").asDouble() / 2, within());
    assertThat(results.get("checks").get("ordo").get("ok").asBoolean()).isTrue();
    assertThat(results.get("passed").asBoolean()).isTrue();
    assertThat(Files.readString(out.resolve("results.md")))
        .contains("| what | Ordo | PostgreSQL | goal | met |")
        .contains("| ordo-peak-x100 | ordo | 4 clients x 32 in flight | 100 % |")
        .contains("Result: PASSED");
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(0.01);
  }
}
