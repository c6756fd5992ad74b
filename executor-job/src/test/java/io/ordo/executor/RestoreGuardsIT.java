package io.ordo.executor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ordo.executor.testing.BackgroundClient;
import io.ordo.executor.testing.CheckpointBacklog;
import io.ordo.executor.testing.Changelogs;
import io.ordo.executor.testing.Diffs;
import io.ordo.executor.testing.KafkaTestBed;
import io.ordo.executor.testing.ResultsCollector;
import io.ordo.executor.testing.TestLogging;
import io.ordo.executor.testing.TopicReader;
import io.ordo.executor.testing.Txns;
import io.ordo.executor.testing.Waits;
import io.ordo.executor.testing.Workloads;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.WriteResult;
import io.ordo.sequencer.Sequencer;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.util.ExceptionUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * Restores that used to go wrong silently.
 *
 * <p>Scenario (once for the class): job 1 (8 key ranges, checkpoints every 300 ms) runs while a
 * client appends a seeded stream of transfers (multi-range transactions) and list appends, then
 * bursts of them until a checkpoint completes while job 1 is behind; job 1 is cancelled, the
 * client stops. Job 2 restores job 1's latest checkpoint with {@code
 * --key-ranges 16}: it must fail once, with the refusal, and not restart. Then the feedback
 * topic loses every record and gets back only those at or after the offsets committed with job
 * 1's last checkpoints — the write results a restore may need, now at offsets past the
 * checkpointed ones, so the checkpointed offsets are out of range (as after a migration that does
 * not keep offsets). Job 3 restores the same checkpoint with 8 ranges: a source that fell back to
 * the latest offset would skip those records and leave the multi-range transactions in flight at
 * the checkpoint holding their locks; it must finish every transaction. Finally a fresh job 4
 * runs over the same log into new results and changelog topics but with the same feedback topic,
 * which it reads from the start (the write results of jobs 1 and 3 ahead of its own); jobs 1+3
 * must, after dropping duplicates, equal it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RestoreGuardsIT {
  private static final Logger LOG = TestLogging.logger(RestoreGuardsIT.class);
  private static final long SEED = Long.getLong("ordo.it.seed", 17_2026L);
  private static final int ACCOUNTS = 20;
  private static final int LISTS = 4;
  private static final long INITIAL_BALANCE = 1_000;
  private static final int KEY_RANGES = 8;
  private static final long CHECKPOINT_INTERVAL_MS = 300;
  private static final int CLIENT_TXNS_MAX = 4_000;
  /**
   * None: the client appends as fast as the broker acknowledges, faster than the job, so requests
   * queue before the key processors and a checkpoint barrier waits behind them while reads go out
   * and write results come back, which puts write results of transactions whose requests precede
   * the checkpoint after the checkpointed feedback offsets (counted in {@link
   * #neededWriteResults}). With a 1 ms pause a quiet machine's job kept up once the producers'
   * linger went to 0 and write results took the in-JVM channel, and none were.
   */
  private static final long CLIENT_PAUSE_MS = 0;
  private static final int PROGRESS_TXNS = 100;
  /** Every transaction the scenario may append. */
  private static final int TXNS_MAX =
      CLIENT_TXNS_MAX + CheckpointBacklog.BURSTS_MAX * CheckpointBacklog.BURST_TXNS;
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
  private static final int DIFFS_SHOWN = 5;

  @TempDir static Path dataDir;

  private KafkaTestBed bed;
  private String job1Id;
  private Throwable job2Failure;
  private String job2Status;
  private int feedbackRecordsRestored;
  /**
   * Write results produced again whose request precedes the committed log offsets: decisions the
   * restored state waits for that exist only in the feedback topic.
   */
  private int neededWriteResults;
  private Optional<String> job3RestoredFrom;
  private final Map<String, Transaction> appended = new LinkedHashMap<>();
  private SortedMap<String, List<ByteString>> resultsOf13;
  private SortedMap<String, List<ByteString>> resultsOf4;
  private List<ChangelogRecord> changelogOf13;
  private List<ChangelogRecord> changelogOf4;

  @BeforeAll
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void run() throws Exception {
    bed = KafkaTestBed.start(dataDir);
    TopicLayout layout = bed.createTopics("it-guard");
    // Job 4's results and changelog go to new topics; its feedback topic is jobs 1-3's, so it
    // starts by reading the write results of the earlier runs of the same log.
    TopicLayout fresh = bed.createOutputsOver(layout, "it-guard-4");
    TopicLayout layout4 =
        new TopicLayout(
            layout.logTopic(), layout.logPartitions(), fresh.resultsTopic(), fresh.changelogTopic(), layout.feedbackTopic(),
            layout.outputPartitions(), layout.replicationFactor());
    Sequencer sequencer = bed.sequencer(layout);
    bed.heartbeats(sequencer, 10);
    Path checkpoints = dataDir.resolve("checkpoints");
    ExecutorConfig config =
        bed.executorConfig(layout, KEY_RANGES, 2, "it-guard-13")
            .withCheckpointIntervalMs(CHECKPOINT_INTERVAL_MS)
            .withCheckpointDir(checkpoints.toString());

    try (ResultsCollector results = ResultsCollector.start(bed.bootstrapServers(), layout.resultsTopic(), 2 * TXNS_MAX)) {
      List<Transaction> bursts = new ArrayList<>();
      EmbeddedExecutor job1 = EmbeddedExecutor.start(config);
      job1Id = job1.jobId();
      BackgroundClient client =
          BackgroundClient.start(sequencer, new Workloads.ClientStream(SEED, ACCOUNTS, LISTS, INITIAL_BALANCE, "grd"), CLIENT_PAUSE_MS, CLIENT_TXNS_MAX);
      try {
        Waits.until("job 1 has a retained checkpoint", () -> EmbeddedExecutor.latestCheckpoint(checkpoints).isPresent(), STEP_TIMEOUT, job1::status);
        int atCheckpoint = client.appendedCount();
        Waits.until(
            "job 1 answered transactions beyond the checkpoint", () -> results.idCount() >= atCheckpoint + PROGRESS_TXNS, STEP_TIMEOUT,
            () -> results.idCount() + " results, job " + job1.status());
        bursts.addAll(CheckpointBacklog.appendUntilBehindAtACheckpoint(sequencer,
            CheckpointBacklog.transfersOnly(SEED + 1, ACCOUNTS, LISTS, INITIAL_BALANCE, "grb"),
            results::idCount, client::appendedCount, checkpoints, STEP_TIMEOUT, job1::status, LOG));
      } finally {
        job1.close();
        for (Transaction txn : client.stop()) {
          appended.put(txn.getId(), txn);
        }
        for (Transaction txn : bursts) {
          appended.put(txn.getId(), txn);
        }
        client.close();
      }
      LOG.info("job 1 cancelled; {} transactions appended, {} answered", appended.size(), results.idCount());

      // Job 2: another key range count over job 1's checkpoint.
      try {
        EmbeddedExecutor job2 = EmbeddedExecutor.start(config.withKeyRangeCount(2 * KEY_RANGES));
        try {
          // Ends (rather than restarting forever) or times out.
          job2Failure = job2.awaitEnd(STEP_TIMEOUT).orElse(null);
          job2Status = job2Failure == null ? "ENDED WITHOUT FAILURE" : "FAILED";
        } finally {
          job2.close();
        }
      } catch (IllegalStateException failedDuringStart) {
        job2Failure = failedDuringStart;
        job2Status = "FAILED";
      }
      LOG.info("job 2 ended {}: {}", job2Status, job2Failure == null ? null : ExceptionUtils.stringifyException(job2Failure).lines().findFirst().orElse(""));

      feedbackRecordsRestored = keepOnlyRecordsAfterTheCommittedOffsets(layout.feedbackTopic(), layout.outputPartitions(), layout.logTopic(), config.consumerGroupId());

      EmbeddedExecutor job3 = EmbeddedExecutor.start(config);
      job3RestoredFrom = job3.restoredFrom();
      try {
        results.awaitAll(onePerId(), STEP_TIMEOUT);
        resultsOf13 = results.snapshot();
        changelogOf13 = readChangelog(layout, resultsOf13);
      } finally {
        job3.close();
      }
    }

    try (ResultsCollector results = ResultsCollector.start(bed.bootstrapServers(), layout4.resultsTopic(), 2 * TXNS_MAX)) {
      EmbeddedExecutor job4 = EmbeddedExecutor.start(bed.executorConfig(layout4, KEY_RANGES, 2, "it-guard-4"));
      try {
        results.awaitAll(onePerId(), STEP_TIMEOUT);
        resultsOf4 = results.snapshot();
        changelogOf4 = readChangelog(layout4, resultsOf4);
      } finally {
        job4.close();
      }
    }
  }

  /**
   * Deletes every record of the feedback topic and produces again, in order and to the same
   * partitions, those at or after {@code group}'s committed offsets (the job commits the offsets
   * of each completed checkpoint); returns how many.
   */
  private int keepOnlyRecordsAfterTheCommittedOffsets(String topic, int partitions, String logTopic, String group) throws Exception {
    try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bed.bootstrapServers()))) {
      // The log and feedback sources share the group; it commits the offsets of each completed
      // checkpoint, the last one (restored below) or, if that commit was not done, an earlier one.
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
      long total = ends.values().stream().mapToLong(Long::longValue).sum();
      List<ConsumerRecord<byte[], byte[]>> all = TopicReader.readUntil(bed.bootstrapServers(), topic, rs -> rs.size() >= total, STEP_TIMEOUT);
      List<ConsumerRecord<byte[], byte[]>> kept = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : all) {
        OffsetAndMetadata c = committed.get(new TopicPartition(topic, r.partition()));
        if (r.offset() >= (c == null ? 0 : c.offset())) {
          kept.add(r);
          Position p = WriteResult.parseFrom(r.value()).getPosition();
          OffsetAndMetadata logCommitted = committed.get(new TopicPartition(logTopic, p.getPartition()));
          if (logCommitted != null && p.getOffset() < logCommitted.offset()) {
            neededWriteResults++;
          }
        }
      }
      Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
      ends.forEach((tp, end) -> delete.put(tp, RecordsToDelete.beforeOffset(end)));
      admin.deleteRecords(delete).all().get(30, TimeUnit.SECONDS);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              Map.<String, Object>of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bed.bootstrapServers(),
                  ProducerConfig.ACKS_CONFIG, "all",
                  ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1),
              new ByteArraySerializer(), new ByteArraySerializer())) {
        for (ConsumerRecord<byte[], byte[]> r : kept) {
          producer.send(new ProducerRecord<>(topic, r.partition(), r.key(), r.value()));
        }
        producer.flush();
      }
      LOG.warn(
          "feedback topic: {} records deleted, {} produced again, {} of them for requests before the committed log offsets"
              + " (committed offsets {}, ends {})", total, kept.size(), neededWriteResults, committed, ends);
      return kept.size();
    }
  }

  private Map<String, Integer> onePerId() {
    Map<String, Integer> expected = new TreeMap<>();
    for (String id : appended.keySet()) {
      expected.put(id, 1);
    }
    return expected;
  }

  /** Reads the changelog until it holds a change of every key written by every committed txn. */
  private List<ChangelogRecord> readChangelog(TopicLayout layout, SortedMap<String, List<ByteString>> results) throws Exception {
    Set<String> expected = new HashSet<>();
    for (Map.Entry<String, List<ByteString>> e : results.entrySet()) {
      if (TxnResult.parseFrom(e.getValue().get(0)).getOutcome() == Outcome.COMMITTED) {
        for (String key : Txns.writtenKeys(appended.get(e.getKey()))) {
          expected.add(e.getKey() + "/" + key);
        }
      }
    }
    return Changelogs.parse(
        TopicReader.readUntil(
            bed.bootstrapServers(), layout.changelogTopic(),
            rs -> Changelogs.parse(rs).stream().map(c -> c.getTxnId() + "/" + c.getKey()).collect(Collectors.toSet()).containsAll(expected),
            STEP_TIMEOUT));
  }

  @AfterAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void stop() throws Exception {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void aRestoreWithAnotherKeyRangeCountFailsOnceWithTheRefusal() {
    assertThat(job2Status).as("job 2 ends instead of restarting").isEqualTo("FAILED");
    assertThat(job2Failure).isNotNull();
    assertThat(ExceptionUtils.findThrowable(job2Failure, SuppressRestartsException.class)).as("restarts suppressed").isPresent();
    assertThat(ExceptionUtils.stringifyException(job2Failure))
        .contains("--key-ranges " + KEY_RANGES + " (given " + 2 * KEY_RANGES + ")")
        .contains("Restart the job with the checkpoint's values");
  }

  @Test
  void job3RestoredJob1sCheckpointAfterTheRefusedRestore() {
    assertThat(job3RestoredFrom).isPresent();
    assertThat(job3RestoredFrom.get()).contains(job1Id).contains("chk-");
    assertThat(feedbackRecordsRestored).as("write results past the checkpointed offsets").isPositive();
    assertThat(neededWriteResults)
        .as("write results the restored state waits for (multi-range transactions in flight at the checkpoint)")
        .isPositive();
  }

  @Test
  void everyTransactionFinishesWithTheResultOfTheUninterruptedRun() {
    assertThat(resultsOf13.keySet()).isEqualTo(new java.util.TreeSet<>(appended.keySet()));
    String diff = Diffs.describe("jobs 1+3", resultsOf13, "job 4", resultsOf4, List::toString, DIFFS_SHOWN);
    assertThat(diff).as("result differences").isEmpty();
  }

  @Test
  void stateEqualsTheUninterruptedRunAndBalancesAreKept() {
    SortedMap<String, Value> of13 = Changelogs.foldDroppingSeenRangeAndLsn(changelogOf13);
    SortedMap<String, Value> of4 = Changelogs.foldDroppingSeenRangeAndLsn(changelogOf4);
    long total = of13.entrySet().stream().filter(e -> e.getKey().startsWith("acct")).mapToLong(e -> e.getValue().getCounter()).sum();
    assertThat(total).as("total balance").isEqualTo(ACCOUNTS * INITIAL_BALANCE);
    String diff = Diffs.describe("jobs 1+3", of13, "job 4", of4, v -> v.toString().replace('\n', ' '), DIFFS_SHOWN);
    assertThat(diff).as("state differences").isEmpty();
  }
}
