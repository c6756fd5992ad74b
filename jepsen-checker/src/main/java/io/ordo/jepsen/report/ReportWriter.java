package io.ordo.jepsen.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ordo.jepsen.availability.Availability;
import io.ordo.jepsen.availability.AvailabilityFormat;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.CheckResultJson;
import io.ordo.jepsen.checker.linearizable.LinearizabilityReport;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.JsonHistory;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a run's report folder.
 *
 * <p>Files: {@code history.edn}, {@code history.json}, one {@code <stem>.edn} per extra history of
 * the workload (e.g. {@code history-external-order.edn}), {@code results.json}, {@code
 * report.html} and, when the linearizable-kv checker found failing keys, {@value
 * LinearizabilityReport#FILE_NAME}.
 *
 * <p>{@code results.json}: {@code {"workload", "valid", "ok", "fail", "info", "skipped-ops",
 * "time-limit-ms", "concurrency", "rate-ops-per-sec", "seed", "nemeses": [...], "checkers": {name:
 * <CheckResultJson>}, "availability": <AvailabilityFormat#json>}}: the availability under each fault
 * interval of the history ({@link Availability}).
 */
public final class ReportWriter {
  /** Name of the results file. */
  public static final String RESULTS_FILE = "results.json";
  /** Name of the HTML report. */
  public static final String HTML_FILE = "report.html";

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ReportWriter() {}

  /**
   * Writes the folder {@code dir} (created if missing; files of the same names are replaced).
   *
   * @return the HTML report's path
   * @throws IOException if a file cannot be written
   */
  public static Path write(Path dir, ReportedRun run) throws IOException {
    Files.createDirectories(dir);
    writeHistory(dir.resolve("history.edn"), run.history(), true);
    writeHistory(dir.resolve("history.json"), run.history(), false);
    for (Map.Entry<String, History> e : run.checks().extraHistories().entrySet()) {
      writeHistory(dir.resolve(e.getKey() + ".edn"), e.getValue(), true);
    }
    Files.writeString(dir.resolve(RESULTS_FILE), resultsJson(run), StandardCharsets.UTF_8);
    boolean linearizabilityPage = !run.checks().linearizabilityFailures().isEmpty();
    if (linearizabilityPage) {
      LinearizabilityReport.writeHtml(dir, run.checks().linearizabilityFailures());
    }
    Path html = dir.resolve(HTML_FILE);
    Files.writeString(html, HtmlReport.render(run, linearizabilityPage ? LinearizabilityReport.FILE_NAME : null),
        StandardCharsets.UTF_8);
    return html;
  }

  /** The contents of {@value #RESULTS_FILE}. */
  public static String resultsJson(ReportedRun run) throws IOException {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("workload", run.workload());
    root.put("valid", run.valid());
    root.put("ok", run.okCount());
    root.put("fail", run.failCount());
    root.put("info", run.infoCount());
    root.put("skipped-ops", run.skippedOps());
    root.put("time-limit-ms", run.timeLimitMs());
    root.put("concurrency", run.concurrency());
    root.put("rate-ops-per-sec", run.rateOpsPerSec());
    root.put("seed", run.seed());
    var nemeses = root.putArray("nemeses");
    run.nemesisNames().forEach(nemeses::add);
    ObjectNode checkers = root.putObject("checkers");
    for (Map.Entry<String, CheckResult> e : run.checks().results().entrySet()) {
      checkers.set(e.getKey(), MAPPER.readTree(CheckResultJson.toJson(e.getValue())));
    }
    root.set("availability", AvailabilityFormat.json(Availability.of(run.history())));
    return MAPPER.writeValueAsString(root) + "\n";
  }

  private static void writeHistory(Path file, History h, boolean edn) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      if (edn) {
        EdnHistory.write(h, w);
      } else {
        JsonHistory.write(h, w);
      }
    }
  }
}
