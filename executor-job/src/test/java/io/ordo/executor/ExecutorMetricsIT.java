package io.ordo.executor;

import static io.ordo.executor.testing.Txns.counter;
import static io.ordo.executor.testing.Txns.put;
import static io.ordo.executor.testing.Txns.txn;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.executor.testing.KafkaTestBed;
import io.ordo.executor.testing.ResultsCollector;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.Sequencer;
import io.ordo.sequencer.TopicLayout;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' metrics in embedded mode: the job runs on a MiniCluster with Flink's Prometheus
 * reporter ({@link EmbeddedExecutor#start(ExecutorConfig, int)}); after a known workload (single-
 * and multi-range commits, duplicates, invalid entries) the reporter's {@code /metrics} is scraped
 * and the Ordo counters ({@code ..._ordo_...}) must equal the workload's counts; the gauges must be
 * registered. Counters are polled until they reach the counts (the reporter reads them live), within
 * a bound; nothing is asserted about durations.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ExecutorMetricsIT {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorMetricsIT.class);
  private static final int KEY_RANGES = 4;
  private static final Duration RESULT_TIMEOUT = Duration.ofSeconds(60);
  private static final long POLL_BOUND_MS = 60_000;

  private static final int SINGLE = 12;
  private static final int MULTI = 5;
  private static final int DUPLICATES = 3;
  private static final int INVALID = 2;

  @TempDir Path dataDir;

  @Test
  void theOperatorMetricsAreExportedAndCountTheWorkload() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    try (KafkaTestBed bed = KafkaTestBed.start(dataDir)) {
      TopicLayout layout = bed.createTopics("it-metrics");
      Sequencer sequencer = bed.sequencer(layout);
      bed.heartbeats(sequencer, 10);
      try (EmbeddedExecutor job =
              EmbeddedExecutor.start(bed.executorConfig(layout, KEY_RANGES, 1, "it-metrics-executor"), port);
          ResultsCollector results = ResultsCollector.start(bed.bootstrapServers(), layout.resultsTopic(), 10_000)) {
        List<Transaction> all = new ArrayList<>();
        for (int i = 0; i < SINGLE; i++) {
          all.add(txn("single-" + i, put("s/" + i, counter(i))));
        }
        String[] pair = keysInTwoRanges();
        for (int i = 0; i < MULTI; i++) {
          all.add(txn("multi-" + i, put(pair[0], counter(i)), put(pair[1], counter(i))));
        }
        for (Transaction t : all) {
          sequencer.append(t).get(10, TimeUnit.SECONDS);
        }
        for (Transaction t : all) {
          assertThat(results.await(t.getId(), RESULT_TIMEOUT).getOutcome()).isEqualTo(Outcome.COMMITTED);
        }
        for (int i = 0; i < DUPLICATES; i++) {
          sequencer.append(all.get(i)).get(10, TimeUnit.SECONDS);
          assertThat(results.awaitDistinct(all.get(i).getId(), 2, RESULT_TIMEOUT))
              .extracting(r -> r.getOutcome())
              .contains(Outcome.DUPLICATE);
        }
        for (int i = 0; i < INVALID; i++) {
          Transaction empty = Transaction.newBuilder().setId("invalid-" + i).build();
          sequencer.append(empty).get(10, TimeUnit.SECONDS);
          assertThat(results.await(empty.getId(), RESULT_TIMEOUT).getOutcome()).isEqualTo(Outcome.ABORTED);
        }

        int ranged = SINGLE + 2 * MULTI;
        PrometheusText m =
            scrapeUntil(
                port,
                t -> t.sumEndingWith("_ordo_key_range_transactions", Map.of()) == ranged
                    && t.sumEndingWith("_ordo_multiRangeTransactions", Map.of()) == MULTI
                    && t.sumEndingWith("_ordo_invalid", Map.of()) == INVALID
                    && t.sumEndingWith("_ordo_key_range_unfinishedTransactions", Map.of()) == 0);

        // SequenceFanOut: transactions (first sightings), duplicates, invalid, the dedup window.
        assertThat(m.sumEndingWith("_ordo_transactions", Map.of())).isEqualTo(SINGLE + MULTI);
        assertThat(m.sumEndingWith("_ordo_duplicates", Map.of())).isEqualTo(DUPLICATES);
        assertThat(m.sumEndingWith("_ordo_invalid", Map.of())).isEqualTo(INVALID);
        assertThat(m.sumEndingWith("_ordo_dedupWindowIds", Map.of())).isEqualTo(SINGLE + MULTI);
        assertThat(m.sumEndingWith("_ordo_heartbeats", Map.of())).isPositive();
        // Write results (one per participant of a multi-range transaction) handed to the in-JVM
        // feedback channel as well as to the topic; all of them once the channel's reader runs.
        assertThat(m.sumEndingWith("_ordo_feedbackShortcuts", Map.of())).isPositive().isLessThanOrEqualTo(2 * MULTI);
        assertThat(m.sumEndingWith("_ordo_logRecords", Map.of()))
            .isGreaterThanOrEqualTo(SINGLE + MULTI + DUPLICATES + INVALID);
        assertThat(m.endingWith("_ordo_transactionsPerSecond")).isNotEmpty();

        // KeyTransactionProcessor, per key range: every range request counted once; a multi-range
        // transaction in both of its ranges; nothing left unfinished or held.
        assertThat(m.sumEndingWith("_ordo_key_range_transactions", Map.of())).isEqualTo(ranged);
        assertThat(m.sumEndingWith("_ordo_key_range_transactions", Map.of("key_range", Integer.toString(KeyRanges.rangeOf(pair[1], KEY_RANGES)))))
            .isGreaterThanOrEqualTo(MULTI);
        TreeSet<String> ranges = new TreeSet<>();
        m.endingWith("_ordo_key_range_transactions").forEach(s -> ranges.add(s.labels().get("key_range")));
        assertThat(ranges).hasSizeGreaterThan(1).allMatch(r -> Integer.parseInt(r) < KEY_RANGES);
        assertThat(m.sumEndingWith("_ordo_key_range_heldChangelogRecords", Map.of())).isZero();
        assertThat(m.endingWith("_ordo_key_range_oldestPendingAgeMs")).isNotEmpty();
        assertThat(m.endingWith("_ordo_key_range_transactionsPerSecond")).isNotEmpty();
        // Stall report: exported per range, and nothing stalled once everything finished.
        assertThat(m.endingWith("_ordo_key_range_stalled")).isNotEmpty();
        assertThat(m.sumEndingWith("_ordo_key_range_stalled", Map.of())).isZero();
        assertThat(m.endingWith("_ordo_stallWarnings")).isNotEmpty();
        // Clock steps of the log's broker timestamps, exported by the SequenceFanOut.
        assertThat(m.endingWith("_ordo_clockStepsBack")).isNotEmpty();
        assertThat(m.endingWith("_ordo_clockStepBackLargestMs")).isNotEmpty();
        assertThat(m.endingWith("_ordo_clockStepPartitions")).isNotEmpty();
        // One lock per key of each range request.
        assertThat(m.sumEndingWith("_ordo_lockQueueLength_count", Map.of())).isEqualTo(SINGLE + 2 * MULTI);

        // Sorter and TransactionProcessor.
        assertThat(m.sumEndingWith("_ordo_requestsReleased", Map.of())).isEqualTo(ranged);
        assertThat(m.sumEndingWith("_ordo_bufferedRequests", Map.of())).isZero();
        assertThat(m.endingWith("_ordo_watermarkLagMs")).isNotEmpty();
        assertThat(m.sumEndingWith("_ordo_multiRangeTransactions", Map.of())).isEqualTo(MULTI);
        assertThat(m.sumEndingWith("_ordo_multiRangeAborts", Map.of())).isZero();
      }
    }
  }

  /** Two keys in different key ranges. */
  private static String[] keysInTwoRanges() {
    String first = "m/a";
    int range = KeyRanges.rangeOf(first, KEY_RANGES);
    for (int i = 0; ; i++) {
      String other = "m/b" + i;
      if (KeyRanges.rangeOf(other, KEY_RANGES) != range) {
        return new String[] {first, other};
      }
    }
  }

  private static PrometheusText scrapeUntil(int port, Predicate<PrometheusText> done) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_BOUND_MS);
    String last = "";
    while (true) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      last = response.body();
      PrometheusText parsed = PrometheusText.parse(last);
      if (done.test(parsed) || System.nanoTime() - deadlineNs > 0) {
        StringBuilder ordo = new StringBuilder();
        for (String line : last.split("\n")) {
          if (line.contains("_ordo_") && !line.startsWith("#")) {
            ordo.append(line).append('\n');
          }
        }
        // Kept for a look (target/ is the module's build directory when run by Maven).
        java.nio.file.Files.writeString(Path.of("target", "executor-metrics-it.prom"), last);
        LOG.info("the reporter's Ordo metrics:\n{}", ordo);
        return parsed;
      }
      Thread.sleep(250);
    }
  }
}
