package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.launcher.cli.OrdoCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ordo bench views} as a short run (2 clients, 2 s) on an embedded Ordo: inserts commit,
 * the push query and the materialized view deliver rows for them, the view reflects every insert
 * after the last, and results.json and results.md are written. A bad --keys is refused before
 * anything starts.
 */
class BenchViewsIT {
  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void insertsCommitAndTheViewAndThePushQueryFollowThem(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("report");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    picocli.CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    int exit = cli.execute("bench", "views", "--clients", "2", "--keys", "4", "--warmup", "1s",
        "--duration", "2s", "--out", out.toString());
    System.out.print(stdout);
    assertThat(exit).as("exit code; stderr:%n%s", stderr).isEqualTo(OrdoCli.EXIT_OK);
    JsonNode run = new ObjectMapper().readTree(out.resolve("results.json").toFile()).get("runs").get(0);
    assertThat(run.get("inserts").asLong()).isPositive();
    assertThat(run.get("commit").get("samples").asLong()).isEqualTo(run.get("inserts").asLong());
    assertThat(run.get("push").get("samples").asLong()).isPositive();
    assertThat(run.get("view").get("samples").asLong()).isPositive();
    assertThat(run.get("view").get("p50").asDouble()).isPositive();
    assertThat(run.get("viewCaughtUpMs").asLong()).isNotNegative();
    assertThat(Files.readString(out.resolve("results.md"))).contains("| 2 | 4 |");

    StringWriter badErr = new StringWriter();
    picocli.CommandLine bad = OrdoCli.newCommandLine();
    bad.setErr(new PrintWriter(badErr, true));
    assertThat(bad.execute("bench", "views", "--clients", "3", "--keys", "4", "--out",
        dir.resolve("bad").toString())).isNotEqualTo(OrdoCli.EXIT_OK);
    assertThat(badErr.toString()).contains("a multiple of clients");
  }
}
