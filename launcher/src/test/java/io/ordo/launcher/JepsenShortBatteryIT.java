package io.ordo.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.launcher.cli.OrdoCli;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The short Jepsen battery: each workload for ~8 s with 4 workers through {@code ordo jepsen
 * --target} against one embedded Ordo (real Kafka broker, Flink MiniCluster, gateway), no nemesis;
 * and kv once with the kill-job nemesis, on the command's own embedded Ordo (the executor job is
 * cancelled and restored from its newest checkpoint while the broker and gateway stay up). Every
 * checker must find each history valid, with a non-trivial number of ok operations.
 */
@Timeout(value = 170)
class JepsenShortBatteryIT {
  private static final int OK_OPS_MIN = 40;
  /**
   * Fewer for the kill-job run: its job is down for about 5 of its 15 s and its Ordo shares the
   * CI machine's 2 cores with the class's Ordo (30 and 40 ok ops were seen there; ~200 alone).
   */
  private static final int KILL_JOB_OK_OPS_MIN = 15;
  private static EmbeddedOrdo ordo;
  @TempDir static Path dir;

  @BeforeAll
  static void startOrdo() throws Exception {
    ordo = EmbeddedOrdo.start(EmbeddedOrdo.Options.defaults(dir.resolve("data")).withFreePorts());
    ordo.awaitServing(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopOrdo() {
    if (ordo != null) {
      ordo.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"list-append", "rw-register", "bank", "kv"})
  @Timeout(value = 40)
  void workloadIsValid(String workload) throws Exception {
    Path out = dir.resolve("report-" + workload);
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    int exit = cli.execute("jepsen", "--workload", workload, "--target", ordo.grpcTarget(), "--time-limit", "8", "--concurrency", "4",
        "--seed", "42", "--recovery-wait-ms", "500", "--out", out.toString());
    // The summary (ops and verdicts) goes to the test log, for the battery's figures.
    System.out.print(stdout);
    assertThat(exit).as("exit code; stdout:%n%s%nstderr:%n%s", stdout, stderr).isEqualTo(OrdoCli.EXIT_OK);
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertThat(results.get("valid").asBoolean()).isTrue();
    for (Iterator<Map.Entry<String, JsonNode>> it = results.get("checkers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      assertThat(e.getValue().get("valid").asText()).as(e.getKey()).isEqualTo("true");
    }
    assertThat(results.get("ok").asLong()).as("ok ops").isGreaterThanOrEqualTo(OK_OPS_MIN);
    assertThat(Files.readString(out.resolve("report.html"))).contains("<svg");
  }

  @Test
  @Timeout(value = 100)
  void kvUnderKillJobIsValid() throws Exception {
    Path out = dir.resolve("report-kill-job");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    // One fault: killed at ~5 s, restored at ~10 s, then running again until the end at 15 s.
    int exit = cli.execute("jepsen", "--workload", "kv", "--nemesis", "kill-job", "--nemesis-interval", "5", "--time-limit", "15",
        "--concurrency", "4", "--seed", "7", "--recovery-wait-ms", "1000", "--checkpoint-interval-ms", "500",
        "--out", out.toString());
    System.out.print(stdout);
    assertThat(exit).as("exit code; stdout:%n%s%nstderr:%n%s", stdout, stderr).isEqualTo(OrdoCli.EXIT_OK);
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertThat(results.get("nemeses").toString()).contains("kill-job");
    assertThat(results.get("ok").asLong()).as("ok ops").isGreaterThanOrEqualTo(KILL_JOB_OK_OPS_MIN);
    String history = Files.readString(out.resolve("history.edn"));
    assertThat(history).contains(":process :nemesis, :type :info, :f :start-kill-job", ":f :stop-kill-job");
    assertThat(Files.readString(out.resolve("report.html"))).contains("kill-job active");
  }
}
