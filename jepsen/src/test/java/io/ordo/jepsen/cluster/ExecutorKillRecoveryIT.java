package io.ordo.jepsen.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.executor.ExecutorConfig;
import io.ordo.executor.testing.BackgroundClient;
import io.ordo.executor.testing.Changelogs;
import io.ordo.executor.testing.Diffs;
import io.ordo.executor.testing.KafkaTestBed;
import io.ordo.executor.testing.RecoveryEvidence;
import io.ordo.executor.testing.ReferenceModel;
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
import io.ordo.sequencer.Sequencer;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * Recovery from a crash of the executor's process: the job runs in a child JVM ({@link
 * ExecutorMain}, a Flink MiniCluster, as in the test cluster) with retained checkpoints every 300
 * ms while a client keeps appending a seeded stream of transfers, appends and reads to a real
 * broker in this JVM; after a checkpoint exists and the job answered transactions past it, the
 * test appends bursts of transactions at once until a checkpoint completes while the job is
 * behind the burst (a paced client alone leaves about one transaction in flight at a checkpoint,
 * too few to rely on a multi-range one among them), then the process gets SIGKILL ({@link ChildJvm#kill9}: no cancel, no shutdown hook, no flush). A new
 * process starts from the newest retained checkpoint while the client keeps appending; then the
 * client stops and every transaction gets its result.
 *
 * <p>Checked: the new process restored a checkpoint of the killed one; after dropping duplicates
 * as a consumer does, every transaction has exactly one result and it equals a serial replay of
 * the log in log order ({@link ReferenceModel}), and so does the state folded from the changelog;
 * and the restore had something to recover ({@link RecoveryEvidence}): replayed duplicates were
 * dropped, and multi-range transactions in flight at the restored checkpoint were finished by the
 * new process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExecutorKillRecoveryIT {
  private static final Logger LOG = TestLogging.logger(ExecutorKillRecoveryIT.class);
  /** The client stream's seed; {@code -Dordo.it.seed=N} replays another one. */
  private static final long SEED = Long.getLong("ordo.it.seed", 9_2026L);
  private static final String PREFIX = "it-kill";
  private static final int ACCOUNTS = 20;
  private static final int LISTS = 4;
  private static final long INITIAL_BALANCE = 1_000;
  private static final long HEARTBEAT_INTERVAL_MS = 10;
  private static final long CHECKPOINT_INTERVAL_MS = 300;
  /** Short, so that transactions are in flight at every checkpoint (one in flight at a time would make that chance). */
  private static final long CLIENT_PAUSE_MS = 5;
  private static final int CLIENT_TXNS_MAX = 4_000;
  /** Transactions of one burst, appended at once (acknowledgements awaited together). */
  private static final int BURST_TXNS = 2_000;
  /** Bursts at most before the kill; each one waits for the next checkpoint. */
  private static final int BURSTS_MAX = 5;
  /**
   * Unanswered transactions when a checkpoint completes that make the kill go ahead: the job was
   * behind when that checkpoint's barrier passed, so transactions were read and unfinished.
   */
  private static final int BACKLOG_AT_CHECKPOINT_MIN = 200;
  /** Results a process must produce beyond a point before the scenario moves on. */
  private static final int PROGRESS_TXNS = 100;
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);
  /** A cold MiniCluster in a child JVM took ~25 s to run its job on 2 cores at load 30, over 2 min at load 50. */
  private static final long READY_TIMEOUT_MS = 240_000;
  private static final int DIFFS_SHOWN = 5;

  // Kept when a test fails: the child's log (executor.log) says why it did not start or recover.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path dir;

  private KafkaTestBed bed;
  private ChildJvm executor;
  private String firstReadyLine;
  private String secondReadyLine;
  private long firstPid;
  private long secondPid;
  /** Every appended transaction by id, in append order. */
  private final Map<String, Transaction> appended = new LinkedHashMap<>();
  private SortedMap<String, List<ByteString>> results;
  private List<ChangelogRecord> changelog;
  private List<Map.Entry<Transaction, Position>> log;
  private SortedMap<Integer, Long> logReadBeforeCheckpoint;
  /** Appended transactions without a result when the last checkpoint before the kill completed. */
  private int backlogAtKill;
  private RecoveryEvidence evidence;

  // Class-level @Timeout does not cover lifecycle methods; the scenario runs here. It took 137 s on
  // 2 cores at load 30 (the JVM starts dominate); the bound leaves room for a more loaded machine.
  @BeforeAll
  @Timeout(value = 720, unit = TimeUnit.SECONDS)
  void killAndRestart() throws Exception {
    bed = KafkaTestBed.start(dir.resolve("kafka"));
    TopicLayout layout = bed.createTopics(PREFIX);
    Sequencer sequencer = bed.sequencer(layout);
    bed.heartbeats(sequencer, HEARTBEAT_INTERVAL_MS);
    Path checkpoints = dir.resolve("checkpoints");
    LocalCluster.writeChildLogConfig(dir);
    executor = new ChildJvm("executor", dir, null,
        // C1 only: the job moves little data here, and a cold MiniCluster starts seconds faster
        // without C2 compiling on two shared cores.
        List.of("-Dlog4j2.configurationFile=" + dir.resolve("child-log4j2.xml"), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx1g"),
        ExecutorMain.class.getName(),
        List.of(bed.bootstrapServers(), PREFIX, checkpoints.toString(), Long.toString(CHECKPOINT_INTERVAL_MS)));
    // The configuration ExecutorMain runs with, for its consumer group and key ranges.
    ExecutorConfig config = ExecutorConfig.defaults(bed.bootstrapServers(), TopicLayout.withPrefix(PREFIX));

    int idsMax = 2 * (CLIENT_TXNS_MAX + BURSTS_MAX * BURST_TXNS);
    try (ResultsCollector collector = ResultsCollector.start(bed.bootstrapServers(), layout.resultsTopic(), idsMax)) {
      executor.start();
      firstPid = executor.pid();
      firstReadyLine = awaitReady();
      BackgroundClient client = BackgroundClient.start(
          sequencer, new Workloads.ClientStream(SEED, ACCOUNTS, LISTS, INITIAL_BALANCE, "kill"), CLIENT_PAUSE_MS, CLIENT_TXNS_MAX);
      try {
        Waits.until("the first process has a retained checkpoint",
            () -> io.ordo.executor.EmbeddedExecutor.latestCheckpoint(checkpoints).isPresent(), STEP_TIMEOUT,
            () -> "executor alive " + executor.isAlive() + ", output: " + executor.tail());
        int atCheckpoint = client.appendedCount();
        Waits.until("the first process answered " + PROGRESS_TXNS + " transactions beyond the checkpoint",
            () -> collector.idCount() >= atCheckpoint + PROGRESS_TXNS, STEP_TIMEOUT,
            () -> collector.idCount() + " results, " + client.appendedCount() + " appended, executor alive " + executor.isAlive());
        Workloads.ClientStream burstStream = new Workloads.ClientStream(SEED + 1, ACCOUNTS, LISTS, INITIAL_BALANCE, "burst");
        List<Transaction> bursts = new ArrayList<>();
        for (int burst = 1; burst <= BURSTS_MAX; burst++) {
          int answered = collector.idCount();
          bursts.addAll(appendBurst(sequencer, burstStream));
          // The next checkpoint must start once the job works through the burst, not before it
          // read the burst (then the burst is replayed, not in flight).
          Waits.until("the first process answered " + PROGRESS_TXNS + " transactions during burst " + burst,
              () -> collector.idCount() >= answered + PROGRESS_TXNS, STEP_TIMEOUT,
              () -> collector.idCount() + " results, executor alive " + executor.isAlive());
          java.util.Optional<Path> before = io.ordo.executor.EmbeddedExecutor.latestCheckpoint(checkpoints);
          Waits.until("a checkpoint newer than " + before.orElseThrow(),
              () -> !io.ordo.executor.EmbeddedExecutor.latestCheckpoint(checkpoints).equals(before), STEP_TIMEOUT,
              () -> "executor alive " + executor.isAlive() + ", output: " + executor.tail());
          backlogAtKill = client.appendedCount() + bursts.size() - collector.idCount();
          LOG.info("burst {}: {} unanswered when {} completed", burst, backlogAtKill,
              io.ordo.executor.EmbeddedExecutor.latestCheckpoint(checkpoints).orElseThrow().getFileName());
          if (backlogAtKill >= BACKLOG_AT_CHECKPOINT_MIN) {
            break;
          }
        }
        LOG.info("kill -9 of the executor (pid {}) at {} results, {} appended", firstPid, collector.idCount(),
            client.appendedCount() + bursts.size());
        executor.kill9();

        logReadBeforeCheckpoint =
            RecoveryEvidence.committedOffsets(bed.bootstrapServers(), config.consumerGroupId(), layout.logTopic(), STEP_TIMEOUT);
        SortedMap<Integer, Long> resultsEndAtKill = RecoveryEvidence.endOffsets(bed.bootstrapServers(), layout.resultsTopic(), STEP_TIMEOUT);
        SortedMap<Integer, Long> changelogEndAtKill =
            RecoveryEvidence.endOffsets(bed.bootstrapServers(), layout.changelogTopic(), STEP_TIMEOUT);
        LOG.info("killed: log offsets committed {}, results end {}", logReadBeforeCheckpoint, resultsEndAtKill);

        int atRestart = client.appendedCount() + bursts.size();
        executor.start();
        secondPid = executor.pid();
        secondReadyLine = awaitReady();
        LOG.info("restarted: {}", secondReadyLine);
        Waits.until("the second process answered " + PROGRESS_TXNS + " transactions appended after the restart",
            () -> collector.idCount() >= atRestart + PROGRESS_TXNS, STEP_TIMEOUT,
            () -> collector.idCount() + " results, " + client.appendedCount() + " appended, executor alive " + executor.isAlive());
        for (Transaction txn : client.stop()) {
          appended.put(txn.getId(), txn);
        }
        for (Transaction txn : bursts) {
          appended.put(txn.getId(), txn);
        }
        Map<String, Integer> onePerId = new TreeMap<>();
        appended.keySet().forEach(id -> onePerId.put(id, 1));
        collector.awaitAll(onePerId, RUN_TIMEOUT);
        results = collector.snapshot();
        changelog = readChangelog(layout);
        log = ReferenceModel.readLog(bed.bootstrapServers(), layout.logTopic(), RUN_TIMEOUT);
        evidence = RecoveryEvidence.of(
            TopicReader.readToEnd(bed.bootstrapServers(), layout.resultsTopic(), RUN_TIMEOUT), resultsEndAtKill, logReadBeforeCheckpoint,
            TopicReader.readToEnd(bed.bootstrapServers(), layout.changelogTopic(), RUN_TIMEOUT), changelogEndAtKill);
        assertThat(executor.isAlive()).as("second executor process alive; output: %s", executor.tail()).isTrue();
      } finally {
        client.close();
      }
    }
    LOG.info("{} transactions, {} changelog records; {}", appended.size(), changelog.size(), evidence);
  }

  @AfterAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void stop() throws Exception {
    try {
      if (executor != null) {
        executor.kill9();
      }
    } finally {
      if (bed != null) {
        bed.close();
      }
    }
  }

  /** Appends {@link #BURST_TXNS} transactions of {@code stream} at once and awaits their acknowledgements. */
  private static List<Transaction> appendBurst(Sequencer sequencer, Workloads.ClientStream stream) throws Exception {
    List<Transaction> txns = new ArrayList<>();
    List<java.util.concurrent.CompletableFuture<?>> acks = new ArrayList<>();
    for (int i = 0; i < BURST_TXNS; i++) {
      Transaction txn = stream.next();
      txns.add(txn);
      acks.add(sequencer.append(txn));
    }
    java.util.concurrent.CompletableFuture.allOf(acks.toArray(java.util.concurrent.CompletableFuture[]::new))
        .get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    return txns;
  }

  /** The executor's ready line; a failure names the child's log, which the temporary folder keeps. */
  private String awaitReady() throws InterruptedException {
    try {
      return executor.awaitLine(ExecutorMain.READY_MARKER, READY_TIMEOUT_MS);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "\n(the executor's log: " + dir.resolve("executor.log") + ")", e);
    }
  }

  /** Reads the changelog until it holds a change of every key written by every committed txn. */
  private List<ChangelogRecord> readChangelog(TopicLayout layout) throws Exception {
    Set<String> expected = new HashSet<>();
    for (Map.Entry<String, List<ByteString>> e : results.entrySet()) {
      if (parse(e.getValue().get(0)).getOutcome() == Outcome.COMMITTED) {
        for (String key : Txns.writtenKeys(appended.get(e.getKey()))) {
          expected.add(e.getKey() + "/" + key);
        }
      }
    }
    return Changelogs.parse(TopicReader.readUntil(bed.bootstrapServers(), layout.changelogTopic(),
        rs -> Changelogs.parse(rs).stream().map(c -> c.getTxnId() + "/" + c.getKey()).collect(Collectors.toSet()).containsAll(expected),
        RUN_TIMEOUT));
  }

  @Test
  void theSecondProcessRestoredACheckpointOfTheKilledOne() {
    assertThat(secondPid).as("a new process").isNotEqualTo(firstPid);
    assertThat(firstReadyLine).contains("restored-from=nothing");
    String firstJobId = firstReadyLine.split(" ")[1];
    assertThat(secondReadyLine).as("the second start").contains("restored-from=").contains(firstJobId).contains("chk-");
  }

  @Test
  void everyAppendedTransactionHasExactlyOneResult() {
    assertThat(results.keySet()).as("ids with results").isEqualTo(new java.util.TreeSet<>(appended.keySet()));
    List<String> ambiguous = results.entrySet().stream().filter(e -> e.getValue().size() != 1).map(Map.Entry::getKey).toList();
    assertThat(ambiguous).as("ids with more than one distinct result").isEmpty();
  }

  @Test
  void resultsAndStateEqualASerialReplayOfTheLog() {
    ReferenceModel model = new ReferenceModel(ExecutorConfig.DEFAULT_KEY_RANGE_COUNT);
    assertThat(log).as("transactions in the log").hasSize(appended.size());
    List<String> mismatches = new ArrayList<>();
    long committed = 0;
    for (Map.Entry<Transaction, Position> entry : log) {
      TxnResult expected = model.apply(entry.getKey(), entry.getValue());
      List<ByteString> actual = results.get(entry.getKey().getId());
      if (actual == null || actual.size() != 1 || !parse(actual.get(0)).equals(expected)) {
        mismatches.add(entry.getKey().getId() + ": model " + show(expected) + ", job "
            + (actual == null ? "none" : actual.stream().map(b -> show(parse(b))).collect(Collectors.joining(" | "))));
      }
      if (expected.getOutcome() == Outcome.COMMITTED) {
        committed++;
      }
    }
    assertThat(mismatches.subList(0, Math.min(DIFFS_SHOWN, mismatches.size())))
        .as("%d results that differ from a serial replay in log order", mismatches.size())
        .isEmpty();
    assertThat(committed).as("committed transactions").isGreaterThan(appended.size() / 2);

    SortedMap<String, Value> state = Changelogs.foldDroppingSeenRangeAndLsn(changelog);
    String diff = Diffs.describe("job", state, "model", model.state(), v -> v.toString().replace('\n', ' '), DIFFS_SHOWN);
    assertThat(diff).as("state folded from the changelog (duplicates dropped by (key_range, lsn)) vs the model").isEmpty();
    assertThat(Changelogs.dedupByRangeAndLsn(changelog).conflicts()).as("records sharing a (key_range, lsn) with another").isEmpty();
  }

  @Test
  void theRestoreDroppedReplayedDuplicates() {
    assertThat(evidence.resultsAfterRestart()).as("transactions with a result from the second process").isGreaterThan(PROGRESS_TXNS);
    assertThat(evidence.duplicateResults()).as("results repeated byte for byte (dropped by id)").isPositive();
    assertThat(evidence.duplicateChanges()).as("changelog records repeating a (key_range, lsn)").isPositive();
  }

  @Test
  void multiRangeTransactionsWereInFlightAtTheRestoredCheckpoint() {
    assertThat(backlogAtKill).as("transactions without a result when the restored checkpoint completed").isGreaterThanOrEqualTo(BACKLOG_AT_CHECKPOINT_MIN);
    assertThat(evidence.logReadBeforeCheckpoint().values().stream().mapToLong(Long::longValue).sum())
        .as("log records known to be read before the restored checkpoint (%s; committed by the checkpoints: %s)",
            evidence.logReadBeforeCheckpoint(), logReadBeforeCheckpoint)
        .isPositive();
    assertThat(evidence.multiRangeInFlightAtCheckpoint())
        .as("multi-range transactions read before the restored checkpoint and finished by the second process")
        .isNotEmpty();
  }

  private static TxnResult parse(ByteString b) {
    try {
      return TxnResult.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String show(TxnResult r) {
    return r.toString().replace('\n', ' ');
  }
}
