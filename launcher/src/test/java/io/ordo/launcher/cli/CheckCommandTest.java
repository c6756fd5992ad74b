package io.ordo.launcher.cli;

import static io.ordo.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ordo check}: verdicts, exit codes, options and bad input. */
class CheckCommandTest {
  /** An append, then a read that sees it: valid under every model. */
  private static final String OK =
      """
      {:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:append 1 1]]}
      {:index 1, :time 1, :process 0, :type :ok, :f :txn, :value [[:append 1 1]]}
      {:index 2, :time 2, :process 1, :type :invoke, :f :txn, :value [[:r 1 nil]]}
      {:index 3, :time 3, :process 1, :type :ok, :f :txn, :value [[:r 1 [1]]]}
      """;

  /** A read that sees the append of a failed transaction: G1a (aborted read). */
  private static final String ABORTED_READ =
      """
      {:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:append 1 2]]}
      {:index 1, :time 1, :process 0, :type :fail, :f :txn, :value [[:append 1 2]]}
      {:index 2, :time 2, :process 1, :type :invoke, :f :txn, :value [[:r 1 nil]]}
      {:index 3, :time 3, :process 1, :type :ok, :f :txn, :value [[:r 1 [2]]]}
      """;

  /**
   * A read that misses an append completed before it began (a later read shows the append, so the
   * version order is known): legal only without realtime order.
   */
  private static final String STALE_READ =
      """
      {:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:append 1 1]]}
      {:index 1, :time 1, :process 0, :type :ok, :f :txn, :value [[:append 1 1]]}
      {:index 2, :time 2, :process 1, :type :invoke, :f :txn, :value [[:r 1 nil]]}
      {:index 3, :time 3, :process 1, :type :ok, :f :txn, :value [[:r 1 nil]]}
      {:index 4, :time 4, :process 2, :type :invoke, :f :txn, :value [[:r 1 nil]]}
      {:index 5, :time 5, :process 2, :type :ok, :f :txn, :value [[:r 1 [1]]]}
      """;

  @Test
  void aValidHistoryExitsZeroWithValidTrue(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("ok.edn"), OK);
    CliRun run = run("check", "--checker", "list-append", file.toString());
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("\"valid\" : true");
  }

  @Test
  void anAnomalyExitsOneAndNamesIt(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.edn"), ABORTED_READ);
    CliRun run = run("check", "--checker", "list-append", file.toString());
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(run.out()).contains("\"valid\" : false").contains("G1a");
  }

  @Test
  void theModelDecidesWhetherAStaleReadIsAnAnomaly(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("stale.edn"), STALE_READ);
    assertThat(run("check", "--checker", "list-append", "--model", "serializable", file.toString()).exitCode()).isZero();
    CliRun strict = run("check", "--checker", "list-append", "--model", "strict-serializable", file.toString());
    assertThat(strict.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(strict.out()).contains("realtime");
  }

  @Test
  void badInputIsAUsageErrorWithTheReason(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("ok.edn"), OK);
    CliRun unknown = run("check", "--checker", "nope", file.toString());
    assertThat(unknown.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(unknown.err()).contains("unknown checker 'nope'").contains("list-append");

    CliRun missing = run("check", "--checker", "list-append", dir.resolve("missing.edn").toString());
    assertThat(missing.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(missing.err()).contains("no such file");

    Path garbage = Files.writeString(dir.resolve("garbage.edn"), "{:index 0 :type");
    CliRun unreadable = run("check", "--checker", "list-append", garbage.toString());
    assertThat(unreadable.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(unreadable.err()).contains("cannot read");

    CliRun badOption = run("check", "--checker", "bank", "-o", "total", file.toString());
    assertThat(badOption.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badOption.err()).contains("KEY=VALUE");
  }

  /**
   * Two clients; a pause from 1000 ms to its healing at 2000 ms; oks at 500, 1500 and 4500 (times
   * in nanoseconds, the first op at 0).
   */
  private static final String PAUSED =
      """
      {:index 0, :time 0, :process 0, :type :invoke, :f :txn, :value [[:append 1 1]]}
      {:index 1, :time 500000000, :process 0, :type :ok, :f :txn, :value [[:append 1 1]]}
      {:index 2, :time 500000000, :process 0, :type :invoke, :f :txn, :value [[:append 1 2]]}
      {:index 3, :time 1000000000, :process :nemesis, :type :invoke, :f :start-pause, :value nil}
      {:index 4, :time 1010000000, :process :nemesis, :type :info, :f :start-pause, :value {:node 1}}
      {:index 5, :time 1500000000, :process 0, :type :ok, :f :txn, :value [[:append 1 2]]}
      {:index 6, :time 1500000000, :process 1, :type :invoke, :f :txn, :value [[:r 1 nil]]}
      {:index 7, :time 1600000000, :process :nemesis, :type :invoke, :f :stop-pause, :value nil}
      {:index 8, :time 2000000000, :process :nemesis, :type :info, :f :stop-pause, :value {:node 1}}
      {:index 9, :time 4500000000, :process 1, :type :ok, :f :txn, :value [[:r 1 [1 2]]]}
      """;

  @Test
  void availabilityAloneMeasuresTheFaultsAndExitsZero(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("paused.edn"), PAUSED);
    CliRun run = run("check", "--availability", file.toString());
    assertThat(run.exitCode()).isZero();
    JsonNode json = new ObjectMapper().readTree(run.out());
    JsonNode interval = json.get("intervals").get(0);
    assertThat(interval.get("name").asText()).isEqualTo("pause");
    assertThat(interval.get("heal-end-ms").asLong()).isEqualTo(2000);
    // From the ok at 1500 (inside the pause) to the next at 4500.
    assertThat(interval.get("longest-gap-ms").asLong()).isEqualTo(3000);
    assertThat(interval.get("first-ok-after-heal-ms").asLong()).isEqualTo(2500);
    assertThat(json.get("faults").get("pause").get("goal-status").asText()).isEqualTo("met");

    CliRun md = run("check", "--availability", "--availability-format", "markdown", file.toString());
    assertThat(md.exitCode()).isZero();
    assertThat(md.out()).contains("| pause | 1 | 1.0 s | 1.0, 1.0 | 3.0 s, 3.0 s | 2.5 s, 2.5 s | longest gap ≤ 3.0 s | yes |");
  }

  @Test
  void availabilityWithACheckerPrintsBothAndTheVerdictDecidesTheExitCode(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("paused.edn"), PAUSED);
    CliRun run = run("check", "--checker", "list-append", "--availability", file.toString());
    assertThat(run.exitCode()).isZero();
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertThat(json.get("check").get("valid").asBoolean()).isTrue();
    assertThat(json.get("availability").get("intervals")).hasSize(1);

    CliRun neither = run("check", file.toString());
    assertThat(neither.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(neither.err()).contains("--checker NAME, --availability");
    CliRun modelAlone = run("check", "--availability", "--model", "serializable", file.toString());
    assertThat(modelAlone.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(modelAlone.err()).contains("need --checker");
  }

  @Test
  void optionValuesAreTyped() {
    assertThat(CheckCommand.parseValue("1000")).isEqualTo(1000L);
    assertThat(CheckCommand.parseValue("true")).isEqualTo(true);
    assertThat(CheckCommand.parseValue("a, b")).isEqualTo(java.util.List.of("a", "b"));
    assertThat(CheckCommand.parseValue("at-least-once")).isEqualTo("at-least-once");
  }
}
