package io.ordo.executor;

import static io.ordo.executor.testing.Txns.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.executor.testing.Changelogs;
import io.ordo.executor.testing.KafkaTestBed;
import io.ordo.executor.testing.ResultsCollector;
import io.ordo.executor.testing.TopicReader;
import io.ordo.executor.testing.Workloads;
import io.ordo.proto.AbortReason;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.LogPosition;
import io.ordo.sequencer.Sequencer;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor job end to end on a real Kafka broker and a Flink MiniCluster: clients append
 * transactions with the Sequencer, heartbeats move the watermarks, and the results and changelog
 * topics are read back.
 *
 * <p>One broker and one job (parallelism 2, 8 key ranges) serve every test of the class; each
 * test uses its own keys, so the tests do not interfere.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ExecutorJobIT {
  private static final int KEY_RANGES = 8;
  private static final int PARALLELISM = 2;
  private static final long HEARTBEAT_INTERVAL_MS = 10;
  private static final Duration RESULT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration APPEND_TIMEOUT = Duration.ofSeconds(10);

  private static final int ACCOUNT_COUNT = 50;
  private static final long INITIAL_BALANCE = 100;
  private static final int CLIENT_THREADS = 4;
  private static final int TRANSFERS_PER_THREAD = 40;
  private static final long SEED = 20261123L;

  @TempDir static Path dataDir;

  private KafkaTestBed bed;
  private TopicLayout layout;
  private Sequencer sequencer;
  private EmbeddedExecutor job;
  private ResultsCollector results;

  // Class-level @Timeout does not cover lifecycle methods; the broker and the job start here.
  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void startJob() throws Exception {
    bed = KafkaTestBed.start(dataDir);
    layout = bed.createTopics("it-job");
    sequencer = bed.sequencer(layout);
    bed.heartbeats(sequencer, HEARTBEAT_INTERVAL_MS);
    job = EmbeddedExecutor.start(bed.executorConfig(layout, KEY_RANGES, PARALLELISM, "it-job-executor"));
    results = ResultsCollector.start(bed.bootstrapServers(), layout.resultsTopic(), 100_000);
  }

  @AfterAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void stop() throws Exception {
    if (results != null) {
      results.close();
    }
    if (job != null) {
      job.close();
    }
    if (bed != null) {
      bed.close();
    }
  }

  /** Appends {@code txn} and waits for its first result. */
  private TxnResult run(Transaction txn) throws Exception {
    sequencer.append(txn).get(APPEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    return results.await(txn.getId(), RESULT_TIMEOUT);
  }

  private record Transfer(Transaction txn, String from, String to, long amount, boolean crossRange) {}

  private record Outcomes(Transfer transfer, TxnResult result) {}

  @Test
  void concurrentTransfersConserveTotal() throws Exception {
    List<String> accounts = Workloads.keys("acct", ACCOUNT_COUNT);
    List<String> loadIds = new ArrayList<>();
    for (String account : accounts) {
      Transaction load = txn("load-" + account, put(account, counter(INITIAL_BALANCE)));
      sequencer.append(load).get(APPEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      loadIds.add(load.getId());
    }
    for (String id : loadIds) {
      assertThat(results.await(id, RESULT_TIMEOUT).getOutcome()).as("load %s", id).isEqualTo(Outcome.COMMITTED);
    }

    // Transfers are fixed up front from a seed, so a failing run can be replayed; only their
    // interleaving in the log depends on the threads.
    List<List<Transfer>> perThread = new ArrayList<>();
    Random random = new Random(SEED);
    int crossRange = 0;
    for (int t = 0; t < CLIENT_THREADS; t++) {
      List<Transfer> transfers = new ArrayList<>();
      for (int i = 0; i < TRANSFERS_PER_THREAD; i++) {
        String from = accounts.get(random.nextInt(ACCOUNT_COUNT));
        String to;
        if (i % 3 == 0) {
          to = sameRangePartner(accounts, from, random);
        } else {
          do {
            to = accounts.get(random.nextInt(ACCOUNT_COUNT));
          } while (to.equals(from));
        }
        long amount = 1 + random.nextInt(60);
        boolean cross = KeyRanges.rangeOf(from, KEY_RANGES) != KeyRanges.rangeOf(to, KEY_RANGES);
        crossRange += cross ? 1 : 0;
        transfers.add(new Transfer(transfer("xfer-" + t + "-" + i, from, to, amount), from, to, amount, cross));
      }
      perThread.add(transfers);
    }
    int total = CLIENT_THREADS * TRANSFERS_PER_THREAD;
    assertThat(crossRange).as("cross-range transfers").isBetween(total / 4, total - total / 4);

    ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
    List<Outcomes> outcomes = new ArrayList<>();
    try {
      List<Future<List<Outcomes>>> futures = new ArrayList<>();
      for (List<Transfer> transfers : perThread) {
        futures.add(
            clients.submit(
                () -> {
                  List<Outcomes> mine = new ArrayList<>();
                  for (Transfer transfer : transfers) {
                    mine.add(new Outcomes(transfer, run(transfer.txn())));
                  }
                  return mine;
                }));
      }
      for (Future<List<Outcomes>> f : futures) {
        outcomes.addAll(f.get(120, TimeUnit.SECONDS));
      }
    } finally {
      clients.shutdownNow();
    }

    Set<String> committed = new HashSet<>();
    int aborted = 0;
    for (Outcomes o : outcomes) {
      TxnResult r = o.result();
      assertThat(r.getKeyRanges()).as("key ranges of %s", r.getTxnId()).isEqualTo(o.transfer().crossRange() ? 2 : 1);
      if (r.getOutcome() == Outcome.COMMITTED) {
        committed.add(r.getTxnId());
      } else {
        aborted++;
        assertThat(r.getOutcome()).as("outcome of %s", r.getTxnId()).isEqualTo(Outcome.ABORTED);
        assertThat(r.getAbortReason()).as("abort of %s: %s", r.getTxnId(), r.getDetail()).isEqualTo(AbortReason.BOUND_VIOLATED);
        assertThat(r.getFailedOpIndex()).as("failed op of %s", r.getTxnId()).isZero();
      }
    }
    // With 100 per account and amounts up to 60 both outcomes occur; a job that commits or aborts
    // everything is broken.
    assertThat(committed).as("committed transfers").hasSizeGreaterThan(total / 2);
    assertThat(aborted).as("aborted transfers").isPositive();

    List<Operation> reads = new ArrayList<>();
    for (String account : accounts) {
      reads.add(get(account));
    }
    TxnResult snapshot = run(txn("read-all-accounts", reads.toArray(Operation[]::new)));
    assertThat(snapshot.getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(snapshot.getReadsCount()).isEqualTo(ACCOUNT_COUNT);
    long sum = 0;
    for (int i = 0; i < ACCOUNT_COUNT; i++) {
      KeyRead read = snapshot.getReads(i);
      assertThat(read.getOpIndex()).isEqualTo(i);
      assertThat(read.getKey()).isEqualTo(accounts.get(i));
      assertThat(read.getFound()).as("%s found", read.getKey()).isTrue();
      assertThat(read.getValue().getCounter()).as("balance of %s", read.getKey()).isNotNegative();
      sum += read.getValue().getCounter();
    }
    assertThat(sum).as("total over all accounts").isEqualTo(ACCOUNT_COUNT * INITIAL_BALANCE);

    // Every committed transfer shows up in the changelog as exactly its two changes; aborted ones
    // leave no trace.
    List<ChangelogRecord> changelog =
        Changelogs.parse(
            TopicReader.readUntil(
                bed.bootstrapServers(),
                layout.changelogTopic(),
                records -> txnIds(Changelogs.parse(records)).containsAll(committed),
                RESULT_TIMEOUT));
    Map<String, List<ChangelogRecord>> byTxn = new TreeMap<>();
    for (ChangelogRecord c : changelog) {
      byTxn.computeIfAbsent(c.getTxnId(), k -> new ArrayList<>()).add(c);
    }
    for (Outcomes o : outcomes) {
      Transfer t = o.transfer();
      List<ChangelogRecord> changes = byTxn.getOrDefault(t.txn().getId(), List.of());
      if (!committed.contains(t.txn().getId())) {
        assertThat(changes).as("changes of aborted %s", t.txn().getId()).isEmpty();
        continue;
      }
      assertThat(changes).as("changes of %s", t.txn().getId()).hasSize(2);
      for (ChangelogRecord c : changes) {
        long delta = c.getKey().equals(t.from()) ? -t.amount() : t.amount();
        assertThat(c.getKey()).isIn(t.from(), t.to());
        assertThat(c.getAfter().getCounter() - c.getBefore().getCounter()).as("delta of %s in %s", c.getKey(), t.txn().getId()).isEqualTo(delta);
        assertThat(c.getKeyRange()).isEqualTo(KeyRanges.rangeOf(c.getKey(), KEY_RANGES));
        assertThat(LogPosition.of(c.getPosition())).isEqualTo(LogPosition.of(o.result().getPosition()));
      }
    }
    // Per account, the changes chain (before = previous after) in log order, and the last one
    // is the balance the read transaction saw.
    SortedMap<String, List<ChangelogRecord>> perKey = Changelogs.perKeyDistinct(changelog);
    assertThat(Changelogs.brokenChains(perKey)).isEmpty();
    SortedMap<String, io.ordo.proto.Value> folded = Changelogs.fold(Changelogs.flatten(perKey));
    for (KeyRead read : snapshot.getReadsList()) {
      assertThat(folded.get(read.getKey())).as("folded %s", read.getKey()).isEqualTo(read.getValue());
    }
  }

  private static Set<String> txnIds(List<ChangelogRecord> records) {
    Set<String> ids = new HashSet<>();
    for (ChangelogRecord r : records) {
      ids.add(r.getTxnId());
    }
    return ids;
  }

  /** Another account in the same key range as {@code from} (there is one: 50 accounts, 8 ranges). */
  private static String sameRangePartner(List<String> accounts, String from, Random random) {
    int range = KeyRanges.rangeOf(from, KEY_RANGES);
    List<String> partners = new ArrayList<>();
    for (String a : accounts) {
      if (!a.equals(from) && KeyRanges.rangeOf(a, KEY_RANGES) == range) {
        partners.add(a);
      }
    }
    assertThat(partners).as("accounts sharing key range %d with %s", range, from).isNotEmpty();
    return partners.get(random.nextInt(partners.size()));
  }

  @Test
  void mainRefusesMissingTopicsWithTheirNamesUnlessAllowedToCreateThem() throws Exception {
    String servers = bed.bootstrapServers();
    assertThatThrownBy(() -> ExecutorJob.main(new String[] {"--bootstrap-servers", servers, "--topic-prefix", "not-yet"}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not-yet-log")
        .hasMessageContaining("not-yet-feedback")
        .hasMessageContaining("--create-topics");
  }

  @Test
  void assertAbsentOnExistingKeyAbortsWithAssertFailed() throws Exception {
    assertThat(run(txn("absent-setup", put("absent-key", bytes("here")))).getOutcome()).isEqualTo(Outcome.COMMITTED);

    TxnResult r = run(txn("absent-check", assertAbsent("absent-key"), put("absent-key", bytes("overwritten"))));

    assertThat(r.getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(r.getAbortReason()).isEqualTo(AbortReason.ASSERT_FAILED);
    assertThat(r.getFailedOpIndex()).isZero();
    assertThat(r.getReadsList()).isEmpty();
    // The aborted put did not apply.
    TxnResult after = run(txn("absent-read", get("absent-key")));
    assertThat(after.getReads(0).getValue()).isEqualTo(bytes("here"));
  }

  @Test
  void getAfterPutReturnsTheValue() throws Exception {
    assertThat(run(txn("put-1", put("put-key", bytes("v1")))).getOutcome()).isEqualTo(Outcome.COMMITTED);

    TxnResult read = run(txn("get-1", get("put-key")));

    assertThat(read.getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(read.getReadsList())
        .containsExactly(KeyRead.newBuilder().setOpIndex(0).setKey("put-key").setFound(true).setValue(bytes("v1")).build());
    // Within one transaction a get sees the transaction's own earlier put.
    TxnResult own = run(txn("put-get-2", put("put-key", bytes("v2")), get("put-key")));
    assertThat(own.getReads(0).getValue()).isEqualTo(bytes("v2"));
    assertThat(run(txn("get-3", get("put-key"))).getReads(0).getValue()).isEqualTo(bytes("v2"));
  }

  @Test
  void resubmittedIdGetsDuplicate() throws Exception {
    Transaction first = txn("dup-1", increment("dup-counter", 5));
    assertThat(run(first).getOutcome()).isEqualTo(Outcome.COMMITTED);

    sequencer.append(first).get(APPEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    List<TxnResult> both = results.awaitDistinct("dup-1", 2, RESULT_TIMEOUT);

    assertThat(both.get(1).getOutcome()).isEqualTo(Outcome.DUPLICATE);
    assertThat(LogPosition.of(both.get(1).getPosition())).isGreaterThan(LogPosition.of(both.get(0).getPosition()));
    // The duplicate did not run: the counter was incremented once.
    TxnResult read = run(txn("dup-read", get("dup-counter")));
    assertThat(read.getReads(0).getValue()).isEqualTo(counter(5));
  }
}
