package io.ordo.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.launcher.cli.OrdoCli;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The stream workload through {@code ordo jepsen --workload stream --nemesis kill-job,reshard} on
 * the command's own embedded Ordo (one broker, the executor job, a gateway with a local store):
 * appends to the shards of a stream and polls through StreamingFetch consumers of one subscription
 * while the executor job is cancelled and restored from its newest checkpoint, then while a shard
 * is split (and two merged when the run heals); then drains. The stream
 * checker must find the history valid (at-least-once: nothing acknowledged is lost or left
 * undelivered, offsets are consistent, no value at two offsets), with the fault in the history.
 */
class JepsenStreamIT {
  /** ok ops at least: the job is down for about 10 of the 20 s and the machine is shared. */
  private static final int OK_OPS_MIN = 30;

  @TempDir Path dir;

  @Test
  // 20 s of run, up to 2 x 30 s of drains, the Ordo's start and stop: a loaded machine needs more
  // than a minute (an interrupted drain would leave records unseen).
  @Timeout(value = 150)
  void streamUnderKillJobAndReshardingIsValid() throws Exception {
    Path out = dir.resolve("report-stream");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    // Killed at ~5 s, restored at ~10 s, a shard split at ~15 s and two merged when the run ends
    // at 20 s (the runner heals before the drains).
    int exit = cli.execute("jepsen", "--workload", "stream", "--nemesis", "kill-job,reshard", "--nemesis-interval", "5",
        "--time-limit", "20", "--concurrency", "4", "--seed", "11", "--recovery-wait-ms", "1000",
        "--checkpoint-interval-ms", "500", "--out", out.toString());
    System.out.print(stdout);
    assertThat(exit).as("exit code; stdout:%n%s%nstderr:%n%s", stdout, stderr).isEqualTo(OrdoCli.EXIT_OK);

    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertThat(results.get("valid").asBoolean()).isTrue();
    assertThat(results.get("nemeses").toString()).contains("kill-job", "reshard");
    assertThat(results.get("ok").asLong()).as("ok ops").isGreaterThanOrEqualTo(OK_OPS_MIN);
    JsonNode stream = results.get("checkers").get("stream");
    assertThat(stream.get("valid").asText()).isEqualTo("true");
    assertThat(stream.get("mode").asText()).isEqualTo("strict");
    assertThat(stream.get("unseen-count").asLong()).isZero();
    System.out.printf("stream checker: anomaly counts %s, keys %s%n", stream.get("anomaly-counts"), stream.get("key-count"));

    String edn = Files.readString(out.resolve("history.edn"));
    assertThat(edn).contains(":process :nemesis, :type :info, :f :start-kill-job", ":f :stop-kill-job");
    assertThat(edn).contains(":process :nemesis, :type :info, :f :start-reshard, :value {:split ",
        ":f :stop-reshard, :value {:merge [");
    History history = EdnHistory.read(out.resolve("history.edn"));
    long okSends = 0;
    long recordsPolled = 0;
    for (Op op : history.clientOps()) {
      if (op.type() != OpType.OK) {
        continue;
      }
      if (op.f().equals("send")) {
        okSends++;
      } else if (op.f().equals("poll")) {
        for (Object records : ((Map<?, ?>) op.value()).values()) {
          recordsPolled += ((java.util.List<?>) records).size();
        }
      }
    }
    System.out.printf("stream history: %d ok sends, %d records polled%n", okSends, recordsPolled);
    assertThat(okSends).isPositive();
    // Every acknowledged send was polled at least once (unseen is 0), redeliveries come on top.
    assertThat(recordsPolled).isGreaterThanOrEqualTo(okSends);
  }
}
