package io.ordo.launcher;

import static io.ordo.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.launcher.cli.CliRun;
import io.ordo.launcher.cli.OrdoCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ordo jepsen-battery}: a one-run battery (bank, 5 s, no faults: the faults are covered by
 * the other Jepsen ITs, and how the summary counts them by BatterySummaryTest) in a child JVM with
 * its own embedded Ordo; the summary names the run, its verdict and its ops; a second invocation
 * with {@code --resume} keeps the run instead of running it again.
 */
class JepsenBatteryIT {
  @TempDir Path dir;

  @Test
  @Timeout(value = 240)
  void aBatteryRunsEachWorkloadInItsOwnJvmAndSummarizes() throws Exception {
    Path out = dir.resolve("battery");
    String[] args = {"jepsen-battery", "--workloads", "bank", "--nemesis", "none", "--runs", "1", "--first-seed", "7",
        "--time-limit", "5", "--nemesis-interval", "3", "--out", out.toString()};
    CliRun first = run(args);
    System.out.print(first.out());
    String log = Files.isRegularFile(out.resolve("bank-7/run.log")) ? Files.readString(out.resolve("bank-7/run.log")) : "(no log)";
    assertThat(first.exitCode()).as("exit; out:%n%s%nerr:%n%s%nrun.log:%n%s", first.out(), first.err(), log).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(first.out()).contains("[1/1] bank seed 7: valid", "PASSED");
    assertThat(out.resolve("bank-7/report.html")).exists();
    assertThat(log).contains("VALID");

    JsonNode summary = new ObjectMapper().readTree(out.resolve("battery.json").toFile());
    assertThat(summary.get("passed").asBoolean()).isTrue();
    assertThat(summary.get("runs").asInt()).isEqualTo(1);
    JsonNode run = summary.get("run-list").get(0);
    assertThat(run.get("name").asText()).isEqualTo("bank-7");
    assertThat(run.get("seed").asLong()).isEqualTo(7);
    assertThat(run.get("verdict").asText()).isEqualTo("valid");
    assertThat(run.get("exit-code").asInt()).isZero();
    assertThat(run.get("ok").asLong()).isPositive();
    assertThat(run.get("faults").size()).isZero();
    assertThat(Files.readString(out.resolve("battery.md"))).contains("# Jepsen battery: PASSED", "| bank-7 | bank | 7 | none | valid |");

    String[] resume = Arrays.copyOf(args, args.length + 1);
    resume[args.length] = "--resume";
    CliRun again = run(resume);
    assertThat(again.exitCode()).as(again.err()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(again.out()).contains("[1/1] bank seed 7: kept from an earlier battery: valid");
    JsonNode kept = new ObjectMapper().readTree(out.resolve("battery.json").toFile()).get("run-list").get(0);
    assertThat(kept.get("exit-code").asInt()).isEqualTo(-1);
    assertThat(kept.get("ok").asLong()).isEqualTo(run.get("ok").asLong());
  }
}
