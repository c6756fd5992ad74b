package io.ordo.storage;

import static io.ordo.storage.MultiVersionStoreTest.bytes;
import static io.ordo.storage.MultiVersionStoreTest.delete;
import static io.ordo.storage.MultiVersionStoreTest.pos;
import static io.ordo.storage.MultiVersionStoreTest.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.proto.Value;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The materializer against a real embedded Kafka broker and a real RocksDB store. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChangelogMaterializerIT {
  private static final long WAIT_MS = 30_000;
  private static final int PARTITIONS = 3;
  private static final int KEYS = 8;
  private static final int KEY_RANGES = 2;

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
  void materializesSkipsReplayedDuplicatesAndResumesFromTheStoredOffsetsAfterARestart()
      throws Exception {
    String topic = "changelog-restart";
    createTopic(topic);
    Path storeDir = dataDir.resolve("store-restart");
    History history = new History();

    // Run 1: 40 changes, then the executor "recovers" and writes the first 15 again.
    List<ChangelogRecord> firstRun = history.next(40);
    send(topic, firstRun);
    send(topic, firstRun.subList(0, 15));

    try (MultiVersionStore store = MultiVersionStore.open(storeDir);
        ChangelogMaterializer materializer =
            new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      materializer.start();
      for (int kr = 0; kr < KEY_RANGES; kr++) {
        assertThat(materializer.awaitLsn(kr, history.lsn(kr), WAIT_MS)).isTrue();
      }
      awaitCaughtUp(topic, store);
      assertThat(materializer.recordsRead()).isEqualTo(55);
      assertThat(materializer.recordsApplied()).isEqualTo(40);
      assertThat(materializer.recordsInvalid()).isZero();
      history.checkReads(store);
      // An LSN that was never written is not waited for beyond the timeout.
      assertThat(materializer.awaitLsn(0, history.lsn(0) + 1, 200)).isFalse();
    }

    // Run 2 on the same store: new changes, replays of old ones and one record that is not a
    // changelog record at all.
    List<ChangelogRecord> secondRun = history.next(20);
    send(topic, firstRun.subList(30, 35));
    send(topic, secondRun);
    bed.producer
        .send(new ProducerRecord<>(topic, "junk".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFF, 1}))
        .get(WAIT_MS, TimeUnit.MILLISECONDS);

    try (MultiVersionStore store = MultiVersionStore.open(storeDir);
        ChangelogMaterializer materializer =
            new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      materializer.start();
      for (int kr = 0; kr < KEY_RANGES; kr++) {
        assertThat(materializer.awaitLsn(kr, history.lsn(kr), WAIT_MS)).isTrue();
      }
      awaitCaughtUp(topic, store);
      // Only what was written after run 1 was read: the restart resumed at the stored offsets.
      assertThat(materializer.recordsRead()).isEqualTo(5 + 20 + 1);
      assertThat(materializer.recordsApplied()).isEqualTo(20);
      assertThat(materializer.recordsInvalid()).isEqualTo(1);
      history.checkReads(store);
    }
  }

  @Test
  void waitsForTheTopicToBeCreated() throws Exception {
    String topic = "changelog-late";
    History history = new History();
    try (MultiVersionStore store = MultiVersionStore.open(dataDir.resolve("store-late"));
        ChangelogMaterializer materializer =
            new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      materializer.start();
      assertThat(materializer.awaitLsn(0, 1, 300)).isFalse();
      createTopic(topic);
      send(topic, history.next(10));
      for (int kr = 0; kr < KEY_RANGES; kr++) {
        assertThat(materializer.awaitLsn(kr, history.lsn(kr), WAIT_MS)).isTrue();
      }
      history.checkReads(store);
      assertThat(materializer.failure()).isEmpty();
    }
  }

  @Test
  void aStoreMaterializedFromOneChangelogRefusesAnother() throws Exception {
    createTopic("changelog-first");
    createTopic("changelog-second");
    History history = new History();
    try (MultiVersionStore store = MultiVersionStore.open(dataDir.resolve("store-bound"))) {
      try (ChangelogMaterializer first =
          new ChangelogMaterializer(bed.broker.bootstrapServers(), "changelog-first", store)) {
        first.start();
        send("changelog-first", history.next(3));
        assertThat(first.awaitLsn(0, history.lsn(0), WAIT_MS)).isTrue();
      }
      assertThat(store.source()).get().asString().startsWith("changelog-first/");
      // Its offsets mean nothing for another topic: the materializer stops with the reason.
      try (ChangelogMaterializer second =
          new ChangelogMaterializer(bed.broker.bootstrapServers(), "changelog-second", store)) {
        second.start();
        await(() -> second.failure().isPresent(), "the second materializer to fail");
        assertThat(second.failure().get())
            .hasMessageContaining("was materialized from changelog changelog-first/")
            .hasMessageContaining("delete the directory");
      }
    }
  }

  @Test
  void aFailureStopsTheMaterializerAndIsReportedToWaiters() throws Exception {
    String topic = "changelog-fail";
    createTopic(topic);
    History history = new History();
    MultiVersionStore store = MultiVersionStore.open(dataDir.resolve("store-fail"));
    try (ChangelogMaterializer materializer =
        new ChangelogMaterializer(bed.broker.bootstrapServers(), topic, store)) {
      materializer.start();
      send(topic, history.next(2));
      assertThat(materializer.awaitLsn(0, 1, WAIT_MS)).isTrue();
      // The store is closed under the running materializer (a misuse): the next batch fails.
      store.close();
      send(topic, history.next(2));
      await(() -> materializer.failure().isPresent(), "the materializer to fail");
      assertThatThrownBy(() -> materializer.awaitLsn(0, 1, WAIT_MS))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("stopped on an error")
          .hasRootCauseMessage("the store " + store.dir() + " is closed");
    }
  }

  @Test
  void badArgumentsAreRejected() {
    try (MultiVersionStore store = MultiVersionStore.open(dataDir.resolve("store-args"))) {
      assertThatThrownBy(() -> new ChangelogMaterializer(" ", "t", store))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> new ChangelogMaterializer(bed.broker.bootstrapServers(), "", store))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> new ChangelogMaterializer(bed.broker.bootstrapServers(), "t", null))
          .isInstanceOf(IllegalArgumentException.class);
      ChangelogMaterializer m = new ChangelogMaterializer(bed.broker.bootstrapServers(), "t", store);
      assertThatThrownBy(() -> m.awaitLsn(0, 1, -1)).isInstanceOf(IllegalArgumentException.class);
      m.close();
      assertThatThrownBy(m::start).isInstanceOf(IllegalStateException.class);
    }
  }

  private static void createTopic(String topic) throws Exception {
    bed.createTopic(topic);
  }


  private static void send(String topic, List<ChangelogRecord> records) throws Exception {
    bed.send(topic, records);
  }


  /** Waits until the store's offsets reach the end of every partition. */
  private static void awaitCaughtUp(String topic, MultiVersionStore store) throws Exception {
    Map<TopicPartition, OffsetSpec> request = new TreeMap<>(
        (a, b) -> Integer.compare(a.partition(), b.partition()));
    for (int p = 0; p < PARTITIONS; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    Map<Integer, Long> ends = new TreeMap<>();
    bed.admin.listOffsets(request).all().get(WAIT_MS, TimeUnit.MILLISECONDS)
        .forEach((tp, info) -> {
          if (info.offset() > 0) {
            ends.put(tp.partition(), info.offset());
          }
        });
    await(() -> store.committedOffsets().equals(ends), "offsets " + ends);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    bed.await(condition, what);
  }


  /**
   * A deterministic changelog as the executor writes it: commit i writes key {@code acct-(i % 8)}
   * at position (100 + i, i % 4, i); keys alternate between two key ranges, each with gapless
   * LSNs; every fifth change is a deletion.
   */
  private static final class History {
    private final List<ChangelogRecord> records = new ArrayList<>();
    private final long[] lsns = new long[KEY_RANGES];

    List<ChangelogRecord> next(int n) {
      List<ChangelogRecord> out = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int i = records.size();
        String key = "acct-" + (i % KEYS);
        int kr = (i % KEYS) % KEY_RANGES;
        long lsn = ++lsns[kr];
        Position p = pos(100 + i, i % 4, i);
        ChangelogRecord r = i % 5 == 4 ? delete(key, kr, lsn, p) : put(key, kr, lsn, p, "v" + i);
        records.add(r);
        out.add(r);
      }
      return out;
    }

    long lsn(int keyRange) {
      return lsns[keyRange];
    }

    void checkReads(MultiVersionStore store) {
      for (int k = 0; k < KEYS; k++) {
        String key = "acct-" + k;
        assertThat(store.getLatest(key)).as(key).isEqualTo(asOf(key, Long.MAX_VALUE));
        for (ChangelogRecord r : records) {
          long ts = r.getPosition().getTs();
          assertThat(store.getAsOf(key, pos(ts, 9, 0))).as("%s at %d", key, ts).isEqualTo(asOf(key, ts));
        }
      }
      assertThat(store.getAsOf("acct-0", pos(99, 0, 0))).isEmpty();
      assertThat(store.getAsOf("acct-0", pos(100, 0, 0))).contains(bytes("v0"));
    }

    private Optional<Value> asOf(String key, long ts) {
      Optional<Value> v = Optional.empty();
      for (ChangelogRecord r : records) {
        if (r.getKey().equals(key) && r.getPosition().getTs() <= ts) {
          v = r.hasAfter() ? Optional.of(r.getAfter()) : Optional.empty();
        }
      }
      return v;
    }
  }
}
