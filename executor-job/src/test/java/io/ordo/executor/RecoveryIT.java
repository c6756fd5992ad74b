package io.ordo.executor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.executor.testing.BackgroundClient;
import io.ordo.executor.testing.CheckpointBacklog;
import io.ordo.executor.testing.Changelogs;
import io.ordo.executor.testing.Diffs;
import io.ordo.executor.testing.KafkaTestBed;
import io.ordo.executor.testing.RecoveryEvidence;
import io.ordo.executor.testing.ResultsCollector;
import io.ordo.executor.testing.TestLogging;
import io.ordo.executor.testing.TopicReader;
import io.ordo.executor.testing.Txns;
import io.ordo.executor.testing.Waits;
import io.ordo.executor.testing.Workloads;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sequencer.Sequencer;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * A recovered job emits nothing that differs from the uninterrupted run (docs/design.md, "Invariants the tests must pin").
 *
 * <p>Scenario (once for the class, {@link #crashRecoverAndReplay()}): job 1 runs with retained
 * checkpoints every 300 ms while a client keeps appending a seeded stream of transfers, appends
 * and reads; after checkpoints exist and job 1 has answered transactions past one, bursts of
 * transactions follow until a checkpoint completes while job 1 is behind ({@link
 * CheckpointBacklog}), then job 1 is cancelled and job 2 starts from its latest checkpoint with the same configuration, while the
 * client keeps appending; then the client stops and every transaction gets its result. Finally a
 * fresh job 3 runs over the same log into new output topics. Outputs of jobs 1 and 2 — which
 * share their topics and contain replayed duplicates — must, after dropping duplicates as a
 * consumer does, equal job 3's.
 *
 * <p>The restore must have had something to recover ({@link RecoveryEvidence}): job 2 emitted
 * replayed results and changelog records that consumers drop, and finished multi-range transactions
 * that were in flight in the checkpoint it restored. A checkpoint taken while the job was idle, or
 * a job 1 cancelled right at a checkpoint, fails those tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RecoveryIT {
  private static final Logger LOG = TestLogging.logger(RecoveryIT.class);
  /** The client stream's seed; {@code -Dordo.it.seed=N} replays another one. */
  private static final long SEED = Long.getLong("ordo.it.seed", 7_2026L);
  private static final int ACCOUNTS = 20;
  private static final int LISTS = 4;
  private static final long INITIAL_BALANCE = 1_000;
  private static final int KEY_RANGES = 8;
  private static final int PARALLELISM = 2;
  private static final long HEARTBEAT_INTERVAL_MS = 10;
  private static final long CHECKPOINT_INTERVAL_MS = 300;
  /**
   * None: the client appends as fast as the broker acknowledges, so the job runs behind and
   * transactions are in flight at every checkpoint (with a 10 ms pause the job kept up, and one run
   * in two restored a checkpoint without a multi-range transaction in flight).
   */
  private static final long CLIENT_PAUSE_MS = 0;
  private static final int CLIENT_TXNS_MAX = 4_000;
  /** Results a job must produce beyond a point before the scenario moves on. */
  private static final int PROGRESS_TXNS = 100;
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);
  private static final int DIFFS_SHOWN = 5;

  @TempDir static Path dataDir;

  private KafkaTestBed bed;
  private String job1Id;
  private Optional<String> job2RestoredFrom;
  /** Every appended transaction by id, in append order. */
  private final Map<String, Transaction> appended = new LinkedHashMap<>();

  private SortedMap<String, List<ByteString>> resultsOf12;
  private List<ChangelogRecord> changelogOf12;
  private long duplicateResultsOf12;
  /** The log offsets job 1's checkpoints had committed when it stopped (partition → next offset). */
  private SortedMap<Integer, Long> logReadBeforeCheckpoint;
  private RecoveryEvidence evidence;
  private SortedMap<String, List<ByteString>> resultsOf3;
  private List<ChangelogRecord> changelogOf3;

  // Class-level @Timeout does not cover lifecycle methods; the scenario runs here.
  @BeforeAll
  @Timeout(value = 360, unit = TimeUnit.SECONDS)
  void crashRecoverAndReplay() throws Exception {
    bed = KafkaTestBed.start(dataDir);
    TopicLayout layout = bed.createTopics("it-rec");
    TopicLayout layout3 = bed.createOutputsOver(layout, "it-rec-3");
    Sequencer sequencer = bed.sequencer(layout);
    bed.heartbeats(sequencer, HEARTBEAT_INTERVAL_MS);
    Path checkpoints = dataDir.resolve("checkpoints");
    ExecutorConfig config =
        bed.executorConfig(layout, KEY_RANGES, PARALLELISM, "it-rec-12")
            .withCheckpointIntervalMs(CHECKPOINT_INTERVAL_MS)
            .withCheckpointDir(checkpoints.toString());

    try (ResultsCollector results = ResultsCollector.start(bed.bootstrapServers(), layout.resultsTopic(), 2 * (CLIENT_TXNS_MAX + CheckpointBacklog.BURSTS_MAX * CheckpointBacklog.BURST_TXNS))) {
      List<Transaction> bursts = new ArrayList<>();
      EmbeddedExecutor job1 = EmbeddedExecutor.start(config);
      job1Id = job1.jobId();
      BackgroundClient client =
          BackgroundClient.start(
              sequencer, new Workloads.ClientStream(SEED, ACCOUNTS, LISTS, INITIAL_BALANCE, "rec"), CLIENT_PAUSE_MS, CLIENT_TXNS_MAX);
      try {
        try {
          Waits.until(
              "job 1 has a retained checkpoint", () -> EmbeddedExecutor.latestCheckpoint(checkpoints).isPresent(), STEP_TIMEOUT,
              () -> "job status " + job1.status());
          int atCheckpoint = client.appendedCount();
          Waits.until(
              "job 1 answered " + PROGRESS_TXNS + " transactions beyond the checkpoint",
              () -> results.idCount() >= atCheckpoint + PROGRESS_TXNS, STEP_TIMEOUT,
              () -> results.idCount() + " results, " + client.appendedCount() + " appended, job " + job1.status());
          bursts.addAll(CheckpointBacklog.appendUntilBehindAtACheckpoint(sequencer,
              CheckpointBacklog.transfersOnly(SEED + 1, ACCOUNTS, LISTS, INITIAL_BALANCE, "recb"),
              results::idCount, client::appendedCount, checkpoints, STEP_TIMEOUT, job1::status,
              LOG));
          LOG.info("cancelling job 1 at {} results, {} appended", results.idCount(),
              client.appendedCount() + bursts.size());
        } finally {
          job1.close();
        }
        logReadBeforeCheckpoint =
            RecoveryEvidence.committedOffsets(bed.bootstrapServers(), config.consumerGroupId(), layout.logTopic(), STEP_TIMEOUT);
        SortedMap<Integer, Long> resultsEndAtCancel = RecoveryEvidence.endOffsets(bed.bootstrapServers(), layout.resultsTopic(), STEP_TIMEOUT);
        SortedMap<Integer, Long> changelogEndAtCancel =
            RecoveryEvidence.endOffsets(bed.bootstrapServers(), layout.changelogTopic(), STEP_TIMEOUT);
        LOG.info("job 1 stopped: log offsets committed {}, results end {}", logReadBeforeCheckpoint, resultsEndAtCancel);

        int answeredAtRestart = results.idCount();
        EmbeddedExecutor job2 = EmbeddedExecutor.start(config);
        job2RestoredFrom = job2.restoredFrom();
        LOG.info("job 2 restored from {}", job2RestoredFrom);
        try {
          Waits.until(
              "job 2 answered " + PROGRESS_TXNS + " transactions",
              () -> results.idCount() >= answeredAtRestart + PROGRESS_TXNS, STEP_TIMEOUT,
              () -> results.idCount() + " results, " + client.appendedCount() + " appended, job " + job2.status());
          for (Transaction txn : client.stop()) {
            appended.put(txn.getId(), txn);
          }
          for (Transaction txn : bursts) {
            appended.put(txn.getId(), txn);
          }
          LOG.info("client stopped after {} transactions", appended.size());
          results.awaitAll(onePerId(), RUN_TIMEOUT);
          resultsOf12 = results.snapshot();
          duplicateResultsOf12 = results.duplicatesDropped();
          changelogOf12 = readChangelog(layout, resultsOf12);
          evidence = RecoveryEvidence.of(
              TopicReader.readToEnd(bed.bootstrapServers(), layout.resultsTopic(), RUN_TIMEOUT), resultsEndAtCancel,
              logReadBeforeCheckpoint, TopicReader.readToEnd(bed.bootstrapServers(), layout.changelogTopic(), RUN_TIMEOUT),
              changelogEndAtCancel);
          assertThat(job2.status()).as("job 2 status").isEqualTo("RUNNING");
        } finally {
          job2.close();
        }
      } finally {
        client.close();
      }
    }
    LOG.info("jobs 1+2: {} results ({} duplicates dropped), {} changelog records; {}", resultsOf12.size(), duplicateResultsOf12,
        changelogOf12.size(), evidence);

    try (ResultsCollector results = ResultsCollector.start(bed.bootstrapServers(), layout3.resultsTopic(), 2 * (CLIENT_TXNS_MAX + CheckpointBacklog.BURSTS_MAX * CheckpointBacklog.BURST_TXNS))) {
      EmbeddedExecutor job3 = EmbeddedExecutor.start(bed.executorConfig(layout3, KEY_RANGES, PARALLELISM, "it-rec-3"));
      try {
        results.awaitAll(onePerId(), RUN_TIMEOUT);
        resultsOf3 = results.snapshot();
        changelogOf3 = readChangelog(layout3, resultsOf3);
      } finally {
        job3.close();
      }
    }
    LOG.info("job 3: {} results, {} changelog records", resultsOf3.size(), changelogOf3.size());
  }

  @AfterAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void stop() throws Exception {
    if (bed != null) {
      bed.close();
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
    List<ConsumerRecord<byte[], byte[]>> records =
        TopicReader.readUntil(
            bed.bootstrapServers(),
            layout.changelogTopic(),
            rs -> Changelogs.parse(rs).stream().map(c -> c.getTxnId() + "/" + c.getKey()).collect(Collectors.toSet()).containsAll(expected),
            RUN_TIMEOUT);
    return Changelogs.parse(records);
  }

  @Test
  void job2RestoredFromACheckpointOfJob1() {
    assertThat(job2RestoredFrom).as("checkpoint job 2 restored from").isPresent();
    assertThat(job2RestoredFrom.get()).contains(job1Id).contains("chk-");
  }

  @Test
  void job2EmittedReplayedDuplicatesThatDeduplicationDropped() {
    assertThat(evidence.resultsAfterRestart()).as("transactions with a result from job 2").isGreaterThan(PROGRESS_TXNS);
    assertThat(duplicateResultsOf12).as("results repeated byte for byte (dropped by id)").isPositive();
    assertThat(evidence.duplicateResults()).as("repeated results counted from the results topic").isEqualTo(duplicateResultsOf12);
    assertThat(evidence.duplicateChanges()).as("changelog records repeating a (key_range, lsn)").isPositive();
  }

  @Test
  void multiRangeTransactionsWereInFlightAtTheRestoredCheckpoint() {
    assertThat(evidence.logReadBeforeCheckpoint().values().stream().mapToLong(Long::longValue).sum())
        .as("log records known to be read before the restored checkpoint (%s; committed by the checkpoints: %s)",
            evidence.logReadBeforeCheckpoint(), logReadBeforeCheckpoint)
        .isPositive();
    assertThat(evidence.multiRangeInFlightAtCheckpoint())
        .as("multi-range transactions read before the restored checkpoint and finished by job 2")
        .isNotEmpty();
    for (String id : evidence.multiRangeInFlightAtCheckpoint()) {
      assertThat(resultsOf12.get(id)).as("results of %s, in flight at the checkpoint", id).hasSize(1);
    }
  }

  @Test
  void everyAppendedTransactionHasExactlyOneResult() {
    assertThat(resultsOf12.keySet()).as("ids with results from jobs 1+2").isEqualTo(appended.keySet().stream().collect(Collectors.toCollection(java.util.TreeSet::new)));
    assertThat(resultsOf3.keySet()).as("ids with results from job 3").isEqualTo(resultsOf12.keySet());
    List<String> ambiguous =
        resultsOf12.entrySet().stream().filter(e -> e.getValue().size() != 1).map(Map.Entry::getKey).collect(Collectors.toList());
    assertThat(ambiguous).as("ids with more than one distinct result from jobs 1+2").isEmpty();
  }

  @Test
  void resultsAfterDroppingDuplicatesEqualTheUninterruptedRun() {
    String diff = Diffs.describe("jobs 1+2", resultsOf12, "job 3", resultsOf3, RecoveryIT::showResults, DIFFS_SHOWN);
    assertThat(diff).as("result differences").isEmpty();
    long committed =
        resultsOf3.values().stream().filter(rs -> parse(rs.get(0)).getOutcome() == Outcome.COMMITTED).count();
    assertThat(committed).as("committed transactions").isGreaterThan(appended.size() / 2);
  }

  @Test
  void changelogAfterDroppingDuplicatesByRangeAndLsnEqualsTheUninterruptedRun() {
    Changelogs.Dedup of12 = Changelogs.dedupByRangeAndLsn(changelogOf12);
    Changelogs.Dedup of3 = Changelogs.dedupByRangeAndLsn(changelogOf3);
    assertThat(of3.conflicts()).as("job 3 records sharing a (key_range, lsn)").isEmpty();
    assertThat(of12.conflicts()).as("jobs 1+2 records sharing a (key_range, lsn) with a different record").isEmpty();
    String diff = Diffs.describe("jobs 1+2", of12.kept(), "job 3", of3.kept(), Changelogs::brief, DIFFS_SHOWN);
    assertThat(diff).as("changelog differences by (key_range, lsn)").isEmpty();
  }

  /**
   * Per key, the changes of jobs 1+2 (a replayed change recognized by its position) equal job 3's
   * in order and content apart from the LSN: separates lost or altered changes from LSN
   * differences ({@link #changelogAfterDroppingDuplicatesByRangeAndLsnEqualsTheUninterruptedRun}).
   */
  @Test
  void changelogPerKeyEqualsTheUninterruptedRunIgnoringLsn() {
    SortedMap<String, List<ChangelogRecord>> of12 = Changelogs.perKeyFirstPerPosition(Changelogs.withoutLsn(changelogOf12));
    SortedMap<String, List<ChangelogRecord>> of3 = Changelogs.perKeyFirstPerPosition(Changelogs.withoutLsn(changelogOf3));
    assertThat(Changelogs.brokenChains(of12)).as("per-key chains of jobs 1+2").isEmpty();
    String diff = Diffs.describe("jobs 1+2", of12, "job 3", of3, RecoveryIT::showChanges, DIFFS_SHOWN);
    assertThat(diff).as("per-key changelog differences (LSN ignored)").isEmpty();
    // A replayed change must be identical to the first emission apart from its LSN.
    assertThat(Changelogs.perKeyDistinct(Changelogs.withoutLsn(changelogOf12))).isEqualTo(of12);
  }

  @Test
  void stateFoldedFromTheChangelogEqualsTheUninterruptedRun() {
    SortedMap<String, Value> of3 = Changelogs.fold(changelogOf3);
    assertThat(of3).as("accounts and lists in job 3's state").hasSize(ACCOUNTS + LISTS);
    long total = 0;
    for (Map.Entry<String, Value> e : of3.entrySet()) {
      if (e.getKey().startsWith("acct")) {
        assertThat(e.getValue().getCounter()).as("balance of %s", e.getKey()).isNotNegative();
        total += e.getValue().getCounter();
      }
    }
    assertThat(total).as("total balance").isEqualTo(ACCOUNTS * INITIAL_BALANCE);
    // As a consumer following the changelog contract materializes it: duplicates dropped by
    // (key_range, lsn).
    SortedMap<String, Value> of12 = Changelogs.foldDroppingSeenRangeAndLsn(changelogOf12);
    String diff = Diffs.describe("jobs 1+2", of12, "job 3", of3, v -> v.toString().replace('\n', ' '), DIFFS_SHOWN);
    assertThat(diff).as("state differences").isEmpty();
  }

  private static TxnResult parse(ByteString b) {
    try {
      return TxnResult.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String showResults(List<ByteString> results) {
    return results.stream().map(b -> parse(b).toString().replace('\n', ' ')).collect(Collectors.joining(" | "));
  }

  private static String showChanges(List<ChangelogRecord> records) {
    return records.size() + " records: " + records.stream().map(Changelogs::brief).collect(Collectors.joining(", "));
  }
}
