package io.ordo.jepsen.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.jepsen.checker.linearizable.LinearizabilityReport;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.JsonHistory;
import io.ordo.jepsen.runner.JepsenRunner;
import io.ordo.jepsen.runner.CountingNemesis;
import io.ordo.jepsen.runner.RunConfig;
import io.ordo.jepsen.runner.RunResult;
import io.ordo.jepsen.workload.KvWorkload;
import io.ordo.jepsen.workload.RwRegisterWorkload;
import io.ordo.jepsen.workload.SerialTxnStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report folder: files, their contents and the HTML's plots. */
class ReportWriterTest {
  @TempDir Path dir;

  @Test
  void aValidRunWritesHistoriesResultsAndPlotsWithNemesisBands() throws Exception {
    RunConfig config = RunConfig.closedLoop(2, 800, 1).withRate(200).withNemeses(List.of(new CountingNemesis()), 200)
        .withRecoveryWaitMs(0);
    RunResult run = new JepsenRunner().run(new RwRegisterWorkload("p/", 4), new SerialTxnStore(0), config, "r");
    Path html = ReportWriter.write(dir, run);

    assertThat(EdnHistory.read(dir.resolve("history.edn")).size()).isEqualTo(run.history().size());
    assertThat(JsonHistory.read(dir.resolve("history.json")).size()).isEqualTo(run.history().size());
    assertThat(EdnHistory.read(dir.resolve("history-external-order.edn")).size()).isEqualTo(run.history().size());
    JsonNode results = new ObjectMapper().readTree(dir.resolve(ReportWriter.RESULTS_FILE).toFile());
    assertThat(results.get("valid").asBoolean()).isTrue();
    assertThat(results.get("ok").asLong()).isEqualTo(run.okCount());
    assertThat(results.get("checkers").get("rw-register-external-order").get("valid").asBoolean()).isTrue();
    JsonNode availability = results.get("availability");
    assertThat(availability.get("ok").asLong()).isEqualTo(run.okCount());
    assertThat(availability.get("intervals").size()).isPositive();
    assertThat(availability.get("intervals").get(0).get("name").asText()).isEqualTo("count");
    String page = Files.readString(html);
    assertThat(page).contains("<svg", "<circle", "<polyline", "fill-opacity=\"0.2\"", "txn ok", "count active", "skipped (open-loop queue full)",
        "<h2>Availability under faults</h2>", "<td>count</td>");
    assertThat(dir.resolve(LinearizabilityReport.FILE_NAME)).doesNotExist();
  }

  @Test
  void eachNemesisHasItsOwnBandFillInOrderOfFirstAppearance() {
    List<HtmlReport.Band> bands = List.of(new HtmlReport.Band(0, 10, "pause"), new HtmlReport.Band(20, 30, "kill-broker"),
        new HtmlReport.Band(40, 50, "pause"), new HtmlReport.Band(45, 60, "partition"));
    Map<String, String> fills = HtmlReport.bandFills(bands);
    assertThat(fills.keySet()).containsExactly("pause", "kill-broker", "partition");
    assertThat(new HashSet<>(fills.values())).hasSize(3);
  }

  @Test
  void aNonLinearizableKvRunAlsoWritesTheTimeline() throws Exception {
    RunResult run = new JepsenRunner().run(new KvWorkload("p/", 2), new SerialTxnStore(4),
        RunConfig.closedLoop(3, 600, 2).withRate(300).withRecoveryWaitMs(0), "k");
    ReportWriter.write(dir, run);
    assertThat(run.valid()).isFalse();
    assertThat(dir.resolve(LinearizabilityReport.FILE_NAME)).exists();
    JsonNode results = new ObjectMapper().readTree(dir.resolve(ReportWriter.RESULTS_FILE).toFile());
    assertThat(results.get("valid").asBoolean()).isFalse();
    assertThat(results.get("checkers").get("linearizable-kv").get("anomaly-types").toString()).contains("nonlinearizable");
    assertThat(Files.readString(dir.resolve(ReportWriter.HTML_FILE))).contains("NOT valid", LinearizabilityReport.FILE_NAME);
  }
}
