package io.ordo.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.StatusRuntimeException;
import io.ordo.jepsen.cluster.FlinkDistribution;
import io.ordo.jepsen.cluster.FlinkSessionCluster;
import io.ordo.jepsen.cluster.LocalCluster;
import io.ordo.jepsen.workload.GrpcTxnClient;
import io.ordo.jepsen.workload.TxnCalls;
import io.ordo.launcher.cli.OrdoCli;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ordo on a real Flink 2.2 standalone session cluster ({@link FlinkSessionCluster}: a JobManager
 * JVM and a TaskManager JVM started from Flink's entrypoints on Maven Central's jars, each with its
 * own conf dir and logs) inside the Jepsen test cluster (three Kafka brokers, two {@code ordo
 * gateway} JVMs against them):
 *
 * <ol>
 *   <li>the shaded executor job jar submitted with Flink's CLI ({@code flink run -d});
 *   <li>a bank workload (transfers between {@value #ACCOUNTS} accounts) through both gateways;
 *   <li>the upgrade path: cancel with a savepoint (REST {@code /jobs/:id/savepoints}), submit the
 *       jar again through the REST API ({@code /jars/upload}, {@code /jars/:id/run}) resuming from
 *       it; every balance is what it was before (state intact), and the job says it restored the
 *       savepoint;
 *   <li>the bank workload again, with the TaskManager killed with SIGKILL mid-run and a new one
 *       started: the job fails over to it from its latest checkpoint and transactions complete
 *       again;
 *   <li>checks: money conserved (one final read of every account), every transaction exactly one
 *       result (the results topic holds one distinct result per txn id, byte-identical copies from
 *       replays aside, and it matches what the client was told), no duplicate in the changelog by
 *       (key range, LSN) (each one names one change; LSNs gapless per range; no transaction's write
 *       to a key under two LSNs; the committed transfers are exactly the changelog's).
 * </ol>
 *
 * The timeline (submit, kill, first result after the kill, back to full throughput) is logged with
 * the prefix {@code TIMELINE}.
 */
class FlinkSessionClusterIT {
  private static final Logger LOG = LoggerFactory.getLogger(FlinkSessionClusterIT.class);
  private static final int ACCOUNTS = 16;
  private static final long INITIAL_BALANCE = 1_000;
  private static final int CLIENTS_PER_GATEWAY = 4;
  private static final long DEADLINE_MS = 60_000;
  private static final String KEY_PREFIX = "fsc/acct/";
  /** A window after the kill with this share of the pre-kill rate counts as full throughput. */
  private static final double FULL_THROUGHPUT_SHARE = 0.8;

  @TempDir Path dir;

  /** One transfer or read as the client saw it. */
  record Call(String txnId, int gateway, long invokedNs, long completedNs, Outcome outcome, String error) {
    boolean answered() {
      return outcome != null;
    }
  }

  @Test
  @Timeout(value = 420)
  void bankOnSessionClusterSurvivesUpgradeAndTaskManagerKill() throws Exception {
    long t0 = System.nanoTime();
    LocalCluster.Options options = LocalCluster.Options.defaults(OrdoCli.class.getName())
        .withGateways(2)
        .withCheckpointIntervalMs(1_000)
        .withFlinkCluster(FlinkDistribution.locate(), FlinkSessionCluster.Settings.defaults());
    try (LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), options);
        GrpcTxnClient g1 = GrpcTxnClient.connect(cluster.grpcTargets().get(0));
        GrpcTxnClient g2 = GrpcTxnClient.connect(cluster.grpcTargets().get(1))) {
      long up = System.nanoTime();
      FlinkSessionCluster flink = cluster.flinkCluster().orElseThrow();
      LocalCluster.JobSubmission first = cluster.submissions().get(0);
      timeline(t0, up, "cluster up: 3 brokers, JobManager %d, TaskManager %d, gateways %s; Flink REST %s", flink.jobManagerPid(),
          flink.taskManagerPid(1), cluster.grpcTargets(), flink.restUrl());
      LOG.info("TIMELINE submit: {} of job {} took {} ms, every task RUNNING {} ms after it began", first.via(), first.jobId(),
          first.submitMs(), first.runningMs());
      assertThat(first.via()).isEqualTo("flink run");
      JsonNode overview = flink.overview().orElseThrow();
      assertThat(overview.path("taskmanagers").asInt()).isEqualTo(1);
      assertThat(overview.path("jobs-running").asInt()).isEqualTo(1);
      assertThat(overview.path("flink-version").asText()).isEqualTo("2.2.1");

      List<GrpcTxnClient> gateways = List.of(g1, g2);
      TxnRequest.Builder load = TxnRequest.newBuilder().setId("fsc-setup");
      for (int a = 0; a < ACCOUNTS; a++) {
        load.addOps(TxnCalls.putCounter(KEY_PREFIX + a, INITIAL_BALANCE));
      }
      assertThat(g1.txn(load.build(), DEADLINE_MS).getOutcome()).isEqualTo(Outcome.COMMITTED);
      // Both gateways see the balances (the second one's results listener and the same log).
      assertThat(sum(readAll(g2, "fsc-read-setup"))).isEqualTo(ACCOUNTS * INITIAL_BALANCE);

      ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();

      // Phase A: the bank through both gateways.
      Load phaseA = Load.start("a", gateways, calls);
      Thread.sleep(6_000);
      phaseA.stop();
      long afterA = System.nanoTime();
      Map<Integer, Long> beforeUpgrade = readAll(g2, "fsc-read-before-upgrade");
      assertThat(sum(beforeUpgrade)).isEqualTo(ACCOUNTS * INITIAL_BALANCE);
      timeline(t0, afterA, "phase A: %d transfers answered through 2 gateways in 6 s", phaseA.answered());
      assertThat(phaseA.answered()).as("transfers answered in phase A").isGreaterThan(0);

      // The upgrade path: cancel with a savepoint, resume through the REST API.
      LocalCluster.JobUpgrade upgrade = cluster.upgradeJob(true);
      long upgraded = System.nanoTime();
      timeline(t0, upgraded, "upgrade: savepoint + cancel of %s took %d ms, REST resume as %s RUNNING %d ms later (%s)", upgrade.oldJobId(),
          upgrade.savepointMs(), upgrade.newJobId(), upgrade.resumeMs(), upgrade.savepoint());
      JsonNode restored = flink.restoredFrom(upgrade.newJobId()).orElseThrow();
      assertThat(restored.path("is_savepoint").asBoolean()).isTrue();
      assertThat(restored.path("external_path").asText()).isEqualTo(upgrade.savepoint());
      assertThat(cluster.submissions().get(1).via()).isEqualTo("REST /jars/:id/run");
      Map<Integer, Long> afterUpgrade = readAll(g1, "fsc-read-after-upgrade");
      assertThat(afterUpgrade).as("every balance after resuming from the savepoint").isEqualTo(beforeUpgrade);

      // Phase B: the bank again; the TaskManager is killed after 6 s and a new one started.
      Load phaseB = Load.start("b", gateways, calls);
      long loadB = System.nanoTime();
      Thread.sleep(6_000);
      long killedPid = cluster.executorPid();
      long kill = System.nanoTime();
      cluster.killExecutor();
      long killed = System.nanoTime();
      timeline(t0, killed, "TaskManager (pid %d) killed with SIGKILL", killedPid);
      cluster.startExecutor();
      long recovered = System.nanoTime();
      timeline(t0, recovered, "new TaskManager (pid %d) registered and the job RUNNING again, %d ms after the kill",
          cluster.executorPid(), ms(recovered - killed));
      Thread.sleep(8_000);
      phaseB.stop();
      long end = System.nanoTime();

      // Recovery: the rate before the kill, the first result of a transaction sent after it, and
      // the first one-second window with most of the rate again.
      List<Call> b = calls.stream().filter(c -> c.txnId().startsWith("fsc-b-")).toList();
      long warm = loadB + TimeUnit.SECONDS.toNanos(2);
      double rateBefore = b.stream().filter(c -> c.answered() && c.completedNs() >= warm && c.completedNs() < kill).count()
          / ((kill - warm) / 1e9);
      long firstAfterKill = b.stream().filter(c -> c.answered() && c.invokedNs() > killed).mapToLong(Call::completedNs).min()
          .orElseThrow(() -> new AssertionError("no transaction sent after the kill was answered"));
      long fullAgain = fullThroughputAt(b, killed, end, rateBefore);
      long afterOutage = endOfOutage(b, killed);
      timeline(t0, afterOutage, "first result after the outage (the end of the longest silence after the kill): %d ms after the kill",
          ms(afterOutage - killed));
      timeline(t0, firstAfterKill, "first result of a transaction sent after the kill: %d ms after the kill", ms(firstAfterKill - killed));
      if (fullAgain > 0) {
        timeline(t0, fullAgain, "back to full throughput (>= %.0f%% of %.1f txn/s in a 1 s window): %d ms after the kill",
            FULL_THROUGHPUT_SHARE * 100, rateBefore, ms(fullAgain - killed));
      } else {
        LOG.info("TIMELINE not back to {}% of {} txn/s within {} ms after the kill", FULL_THROUGHPUT_SHARE * 100, rateBefore,
            ms(end - killed));
      }
      assertThat(cluster.jobId()).as("the same job failed over (not submitted again)").isEqualTo(upgrade.newJobId());
      JsonNode failover = flink.restoredFrom(cluster.jobId()).orElseThrow();
      assertThat(failover.path("is_savepoint").asBoolean()).as("restored from a checkpoint after the kill: %s", failover).isFalse();
      assertThat(failover.path("id").asLong()).isGreaterThan(restored.path("id").asLong());
      JsonNode exceptions = flink.get("/jobs/" + cluster.jobId() + "/exceptions").path("exceptionHistory").path("entries");
      assertThat(exceptions.size()).as("failures in the job's exception history").isGreaterThanOrEqualTo(1);
      LOG.info("TIMELINE failover: restored checkpoint {} ({}); first failure: {}", failover.path("id"), failover.path("external_path"),
          exceptions.get(0).path("exceptionName").asText() + " on " + exceptions.get(0).path("taskManagerId").asText());
      long answeredAfterRecovery = b.stream().filter(c -> c.answered() && c.invokedNs() > recovered).count();
      assertThat(answeredAfterRecovery).as("transfers sent after the recovery and answered").isGreaterThan(0);

      // Money conserved: one final read of every account.
      Map<Integer, Long> last = readAll(g2, "fsc-read-final");
      assertThat(sum(last)).as("total of %s", last).isEqualTo(ACCOUNTS * INITIAL_BALANCE);
      assertThat(last.values()).allMatch(v -> v >= 0);

      // Every transaction exactly one result; nothing duplicated in the changelog.
      TopicLayout topics = TopicLayout.withPrefix(LocalCluster.TOPIC_PREFIX);
      Map<String, Set<TxnResult>> results = new HashMap<>();
      long resultCopies = 0;
      for (ConsumerRecord<byte[], byte[]> r : readTopic(cluster.bootstrapServers(), topics.resultsTopic())) {
        TxnResult result = parseResult(r.value());
        results.computeIfAbsent(result.getTxnId(), k -> new HashSet<>()).add(result);
        resultCopies++;
      }
      List<String> ambiguous = results.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey).toList();
      assertThat(ambiguous).as("transactions with more than one distinct result").isEmpty();
      List<Call> all = new ArrayList<>(calls);
      long unknown = 0;
      for (Call c : all) {
        Set<TxnResult> r = results.get(c.txnId());
        if (c.answered()) {
          assertThat(r).as("result of %s in the results topic", c.txnId()).isNotNull().hasSize(1);
          assertThat(r.iterator().next().getOutcome()).as("outcome of %s", c.txnId()).isEqualTo(c.outcome());
        } else {
          unknown++;
        }
      }
      Set<String> committedTransfers = new HashSet<>();
      for (Call c : all) {
        Set<TxnResult> r = results.get(c.txnId());
        if (r != null && r.iterator().next().getOutcome() == Outcome.COMMITTED) {
          committedTransfers.add(c.txnId());
        }
      }

      Map<String, ChangelogRecord> byRangeLsn = new HashMap<>();
      Map<Integer, TreeMap<Long, ChangelogRecord>> byRange = new HashMap<>();
      Map<String, Long> lsnOfTxnKey = new HashMap<>();
      Set<String> changedBy = new HashSet<>();
      long changelogCopies = 0;
      for (ConsumerRecord<byte[], byte[]> r : readTopic(cluster.bootstrapServers(), topics.changelogTopic())) {
        ChangelogRecord c = ChangelogRecord.parseFrom(r.value());
        changelogCopies++;
        String id = c.getKeyRange() + "/" + c.getLsn();
        ChangelogRecord seen = byRangeLsn.putIfAbsent(id, c);
        assertThat(seen == null || seen.equals(c)).as("one change per (key range, LSN) %s: %s vs %s", id, seen, c).isTrue();
        byRange.computeIfAbsent(c.getKeyRange(), k -> new TreeMap<>()).put(c.getLsn(), c);
        Long lsn = lsnOfTxnKey.putIfAbsent(c.getTxnId() + "\u0000" + c.getKey(), c.getLsn());
        assertThat(lsn == null || lsn == c.getLsn()).as("write of %s to %s under one LSN", c.getTxnId(), c.getKey()).isTrue();
        if (c.getKey().startsWith(KEY_PREFIX) && c.getTxnId().startsWith("fsc-") && !c.getTxnId().equals("fsc-setup")) {
          changedBy.add(c.getTxnId());
        }
      }
      for (Map.Entry<Integer, TreeMap<Long, ChangelogRecord>> e : byRange.entrySet()) {
        TreeMap<Long, ChangelogRecord> lsns = e.getValue();
        assertThat(lsns.lastKey() - lsns.firstKey() + 1).as("LSNs of key range %d gapless", e.getKey()).isEqualTo(lsns.size());
      }
      assertThat(changedBy).as("transfers in the changelog = committed transfers").isEqualTo(committedTransfers);

      long answered = all.stream().filter(Call::answered).count();
      LOG.info("TIMELINE checks: {} transfers sent, {} answered ({} committed), {} without an answer; results topic {} records for {} txn ids,"
              + " changelog {} records for {} (key range, LSN) in {} ranges; money conserved ({}), wall time {} s",
          all.size(), answered, committedTransfers.size(), unknown, resultCopies, results.size(), changelogCopies, byRangeLsn.size(),
          byRange.size(), sum(last), ms(System.nanoTime() - t0) / 1000.0);
      assertThat(unknown).as("transfers without an answer (deadline %d ms)", DEADLINE_MS).isZero();
    }
  }

  private static TxnResult parseResult(byte[] bytes) {
    try {
      return TxnResult.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not a TxnResult in the results topic", e);
    }
  }

  /** Closed-loop transfer clients, {@value #CLIENTS_PER_GATEWAY} per gateway. */
  private static final class Load {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Call> mine = new ConcurrentLinkedQueue<>();

    static Load start(String phase, List<GrpcTxnClient> gateways, ConcurrentLinkedQueue<Call> calls) {
      Load l = new Load();
      for (int g = 0; g < gateways.size(); g++) {
        for (int c = 0; c < CLIENTS_PER_GATEWAY; c++) {
          int gateway = g;
          String prefix = "fsc-" + phase + "-" + g + "-" + c + "-";
          Random random = new Random(31L * g + c + phase.hashCode());
          Thread t = new Thread(() -> {
            for (long n = 0; l.running.get() && n < 1_000_000; n++) {
              int from = random.nextInt(ACCOUNTS);
              int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
              long amount = 1 + random.nextInt(50);
              String id = prefix + n;
              TxnRequest req = TxnRequest.newBuilder().setId(id)
                  .addOps(TxnCalls.increment(KEY_PREFIX + from, -amount, 0L))
                  .addOps(TxnCalls.increment(KEY_PREFIX + to, amount, null))
                  .build();
              long invoked = System.nanoTime();
              Call call;
              try {
                TxnResult r = gateways.get(gateway).txn(req, DEADLINE_MS);
                call = new Call(id, gateway, invoked, System.nanoTime(), r.getOutcome(), null);
              } catch (StatusRuntimeException e) {
                call = new Call(id, gateway, invoked, System.nanoTime(), null, e.getStatus().toString());
              }
              calls.add(call);
              l.mine.add(call);
            }
          }, "load-" + prefix);
          l.threads.add(t);
          t.start();
        }
      }
      return l;
    }

    long answered() {
      return mine.stream().filter(Call::answered).count();
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(DEADLINE_MS + 10_000);
      }
    }
  }

  /**
   * The start of the first one-second window after the first answer following {@code killed}
   * with at least {@value #FULL_THROUGHPUT_SHARE} of {@code rate} answers, or -1.
   */
  private static long fullThroughputAt(List<Call> calls, long killed, long end, double rate) {
    List<Long> done = calls.stream().filter(c -> c.answered() && c.completedNs() > killed).map(Call::completedNs).sorted().toList();
    long window = TimeUnit.SECONDS.toNanos(1);
    for (int i = 0; i < done.size(); i++) {
      long start = done.get(i);
      if (start + window > end) {
        break;
      }
      int j = i;
      while (j < done.size() && done.get(j) < start + window) {
        j++;
      }
      if (j - i >= FULL_THROUGHPUT_SHARE * rate) {
        return start;
      }
    }
    return -1;
  }

  /**
   * The first answer after the longest silence that follows {@code killed}: answers already on
   * their way when the TaskManager died may arrive just after the kill; the outage is the gap
   * after them.
   */
  private static long endOfOutage(List<Call> calls, long killed) {
    List<Long> done = calls.stream().filter(Call::answered).map(Call::completedNs).filter(t -> t > killed).sorted().toList();
    long previous = killed;
    long longest = -1;
    long end = -1;
    for (long t : done) {
      if (t - previous > longest) {
        longest = t - previous;
        end = t;
      }
      previous = t;
    }
    if (end < 0) {
      throw new AssertionError("no answer after the kill");
    }
    return end;
  }

  private static Map<Integer, Long> readAll(GrpcTxnClient client, String id) {
    TxnRequest.Builder req = TxnRequest.newBuilder().setId(id);
    for (int a = 0; a < ACCOUNTS; a++) {
      req.addOps(TxnCalls.get(KEY_PREFIX + a));
    }
    TxnResult r = client.txn(req.build(), DEADLINE_MS);
    assertThat(r.getOutcome()).isEqualTo(Outcome.COMMITTED);
    Map<Integer, Long> balances = new TreeMap<>();
    for (int a = 0; a < ACCOUNTS; a++) {
      KeyRead read = r.getReads(a);
      assertThat(read.getFound()).as("account %d found", a).isTrue();
      balances.put(a, read.getValue().getCounter());
    }
    return balances;
  }

  private static long sum(Map<Integer, Long> balances) {
    return balances.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Every record of {@code topic} up to its end offsets now. */
  private static List<ConsumerRecord<byte[], byte[]>> readTopic(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = consumer.endOffsets(parts, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (parts.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < ends.get(tp))) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("could not read " + topic + " to its end in 60 s");
        }
        consumer.poll(Duration.ofMillis(500)).forEach(out::add);
      }
    }
    return out;
  }

  private static void timeline(long t0, long at, String format, Object... args) {
    LOG.info("TIMELINE t+{} s: {}", String.format("%.1f", (at - t0) / 1e9), String.format(format, args));
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
