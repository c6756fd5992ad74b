package io.ordo.storage;

import static io.ordo.storage.ShardHistory.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.ChangelogRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shard logs materialized from a changelog topic on a real embedded Kafka broker: shard versions
 * keyed by their shard key (as the executor writes them) are read back by offset, and {@link
 * ChangelogMaterializer#awaitShardEnd} wakes when they land.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShardLogMaterializerIT {
  private static final long WAIT_MS = 30_000;
  private static final int PARTITIONS = 3;

  @TempDir static Path dataDir;
  static ChangelogTestBed bed;

  @BeforeAll
  static void startBroker() {
    bed = new ChangelogTestBed(dataDir.resolve("broker"), PARTITIONS, WAIT_MS);
  }

  @AfterAll
  static void stopBroker() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void shardVersionsAreReadBackByOffsetAndSurviveARestartWithReplays() throws Exception {
    String topic = "changelog-shards";
    createTopic(topic);
    Path storeDir = dataDir.resolve("store-shards");
    ShardHistory h = new ShardHistory(2, 5_000);
    List<ChangelogRecord> run1 = new ArrayList<>();
    for (long id = 0; id < 4; id++) {
      run1.add(h.create("events", id));
    }
    for (int i = 0; i < 30; i++) {
      long id = i % 4;
      run1.add(h.tick(1).append("events", id, raw("pk" + i, "r" + i), raw("pk" + i, "s" + i)));
    }
    run1.add(h.trim("events", 1, 4));
    run1.add(h.seal("events", 2));
    send(topic, run1);
    // The executor recovers and writes a stretch again.
    send(topic, run1.subList(10, 20));

    try (MultiVersionStore store = MultiVersionStore.open(storeDir);
        ChangelogMaterializer materializer =
            new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      materializer.start();
      for (long id = 0; id < 4; id++) {
        long end = h.state("events", id).getNextOffset();
        assertThat(materializer.awaitShardEnd("events", id, end, WAIT_MS)).isTrue();
      }
      await(() -> materializer.recordsRead() == run1.size() + 10, "every record read");
      assertThat(materializer.recordsApplied()).isEqualTo(run1.size());
      assertThat(materializer.recordsInvalid()).isZero();
      checkShards(store, h, 4);
      assertThat(store.shardState("events", 2)).get().extracting(ShardProgressView::closed)
          .isEqualTo(true);
      assertThat(store.readShard("events", 1, 0, 100).get(0).offset()).isEqualTo(4);
    }

    // Run 2 on the same store: appends after the restart, a deleted shard.
    List<ChangelogRecord> run2 = new ArrayList<>();
    run2.add(h.tick(1).append("events", 0, raw("late", "x")));
    run2.add(h.delete("events", 3));
    send(topic, run2);
    try (MultiVersionStore store = MultiVersionStore.open(storeDir);
        ChangelogMaterializer materializer =
            new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      materializer.start();
      long end0 = h.state("events", 0).getNextOffset();
      assertThat(materializer.awaitShardEnd("events", 0, end0, WAIT_MS)).isTrue();
      await(() -> store.shardState("events", 3).isEmpty(), "shard 3 deleted");
      // Resumed at the stored offsets: only run 2 was read.
      assertThat(materializer.recordsRead()).isEqualTo(run2.size());
      checkShards(store, h, 4);
      // A deleted shard never reaches an end.
      assertThat(materializer.awaitShardEnd("events", 3, 0, 200)).isFalse();
    }
  }

  @Test
  void awaitShardEndWakesWhenTheBatchLandsAndTimesOutOtherwise() throws Exception {
    String topic = "changelog-tail";
    createTopic(topic);
    ShardHistory h = new ShardHistory(1, 9_000);
    ExecutorService waiters = Executors.newFixedThreadPool(2);
    try (MultiVersionStore store = MultiVersionStore.open(dataDir.resolve("store-tail"));
        ChangelogMaterializer materializer =
            new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      materializer.start();
      // Nothing there yet: the shard is unknown, so not even end 0 is reached.
      assertThat(materializer.awaitShardEnd("tail", 0, 0, 200)).isFalse();
      send(topic, List.of(h.create("tail", 0)));
      assertThat(materializer.awaitShardEnd("tail", 0, 0, WAIT_MS)).isTrue();
      assertThat(materializer.awaitShardEnd("tail", 0, 1, 200)).isFalse();

      // Two live tails wait for the next record; one append wakes both, long before their
      // deadline.
      long waitStartNs = System.nanoTime();
      List<Future<Boolean>> tails = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        tails.add(waiters.submit(() -> materializer.awaitShardEnd("tail", 0, 1, 4 * WAIT_MS)));
      }
      Thread.sleep(300);
      assertThat(tails).noneMatch(Future::isDone);
      send(topic, List.of(h.append("tail", 0, raw("k", "first"))));
      for (Future<Boolean> tail : tails) {
        assertThat(tail.get(WAIT_MS, TimeUnit.MILLISECONDS)).isTrue();
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waitStartNs)).isLessThan(WAIT_MS);
      assertThat(store.readShard("tail", 0, 0, 10)).isEqualTo(h.expectedRecords("tail", 0));

      // A tail loop: read what is there, wait for more, until the shard is sealed.
      Future<List<ShardRecordEntry>> reader = waiters.submit(() -> {
        List<ShardRecordEntry> seen = new ArrayList<>();
        long next = 0;
        while (true) {
          List<ShardRecordEntry> page = store.readShard("tail", 0, next, 3);
          seen.addAll(page);
          next += page.size();
          ShardProgressView state = store.shardState("tail", 0).orElseThrow();
          if (state.closed() && next >= state.end()) {
            return seen;
          }
          materializer.awaitShardEnd("tail", 0, next + 1, 1_000);
        }
      });
      for (int i = 0; i < 10; i++) {
        send(topic, List.of(h.append("tail", 0, raw("k", "r" + i), raw("k", "s" + i))));
      }
      send(topic, List.of(h.seal("tail", 0)));
      assertThat(reader.get(WAIT_MS, TimeUnit.MILLISECONDS)).isEqualTo(h.expectedRecords("tail", 0))
          .hasSize(21);
    } finally {
      waiters.shutdownNow();
      assertThat(waiters.awaitTermination(WAIT_MS, TimeUnit.MILLISECONDS)).isTrue();
    }
  }

  @Test
  void aFailedMaterializerFailsShardWaitersAndBadArgumentsAreRejected() throws Exception {
    String topic = "changelog-shard-fail";
    createTopic(topic);
    ShardHistory h = new ShardHistory(1, 1);
    MultiVersionStore store = MultiVersionStore.open(dataDir.resolve("store-shard-fail"));
    try (ChangelogMaterializer materializer =
        new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      assertThatThrownBy(() -> materializer.awaitShardEnd("s", 0, -1, 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minEnd");
      assertThatThrownBy(() -> materializer.awaitShardEnd("s", 0, 0, -1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeoutMs");
      assertThatThrownBy(() -> materializer.awaitShardEnd("", 0, 0, 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream");
      materializer.start();
      send(topic, List.of(h.create("s", 0)));
      assertThat(materializer.awaitShardEnd("s", 0, 0, WAIT_MS)).isTrue();
      // The store is closed under the running materializer (a misuse): the next batch fails.
      store.close();
      send(topic, List.of(h.append("s", 0, raw("k", "v"))));
      await(() -> materializer.failure().isPresent(), "the materializer to fail");
      assertThatThrownBy(() -> materializer.awaitShardEnd("s", 0, 1, WAIT_MS))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("stopped on an error");
    }
  }

  private static void checkShards(MultiVersionStore store, ShardHistory h, int shards) {
    for (long id = 0; id < shards; id++) {
      assertThat(store.shardState("events", id)).as("shard %d", id)
          .isEqualTo(h.expectedState("events", id));
      assertThat(store.readShard("events", id, 0, 1_000)).as("shard %d", id)
          .isEqualTo(h.expectedRecords("events", id));
    }
  }

  private static void createTopic(String topic) throws Exception {
    bed.createTopic(topic);
  }


  /** Sends keyed by the data key, as the executor does, so each shard's versions stay in order. */
  private static void send(String topic, List<ChangelogRecord> records) throws Exception {
    bed.send(topic, records);
  }


  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    bed.await(condition, what);
  }

}
