package io.ordo.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.proto.Value;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MultiVersionStoreTest {
  @TempDir Path dir;
  MultiVersionStore store;

  @BeforeEach
  void open() {
    store = MultiVersionStore.open(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void aStoreIsBoundToTheChangelogItWasMaterializedFromAcrossReopens() {
    assertThat(store.source()).isEmpty();
    store.bindSource("ordo-changelog/AAAAAAAAAAAAAAAAAAAAAA");
    store.bindSource("ordo-changelog/AAAAAAAAAAAAAAAAAAAAAA");
    store.close();
    store = MultiVersionStore.open(dir);
    assertThat(store.source()).contains("ordo-changelog/AAAAAAAAAAAAAAAAAAAAAA");
    // The same topic name with another topic id: the topic was deleted and created again.
    assertThatThrownBy(() -> store.bindSource("ordo-changelog/BBBBBBBBBBBBBBBBBBBBBB"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the store " + dir + " was materialized from changelog"
            + " ordo-changelog/AAAAAAAAAAAAAAAAAAAAAA, not from ordo-changelog/BBBBBBBBBBBBBBBBBBBBBB"
            + " (a different topic, or one deleted and created again): delete the directory to"
            + " rebuild it from the changelog");
    assertThatThrownBy(() -> store.bindSource("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsAsOfSeeTheNewestVersionAtOrBeforeThePosition() {
    Position p1 = pos(10, 1, 5);
    Position p2 = pos(20, 1, 3);
    Position p3 = pos(30, 0, 7);
    Position p4 = pos(40, 2, 0);
    assertThat(
            store.apply(
                List.of(
                    put("k", 0, 1, p1, "v1"),
                    put("k", 0, 2, p2, "v2"),
                    delete("k", 0, 3, p3),
                    put("k", 0, 4, p4, "v4")),
                Map.of()))
        .isEqualTo(4);

    // Before the first version.
    assertThat(store.getAsOf("k", pos(9, 9, 9))).isEmpty();
    assertThat(store.getAsOf("k", pos(10, 1, 4))).isEmpty();
    assertThat(store.getAsOf("k", pos(10, 0, 100))).isEmpty();
    // Exact positions.
    assertThat(store.getAsOf("k", p1)).contains(bytes("v1"));
    assertThat(store.getAsOf("k", p2)).contains(bytes("v2"));
    assertThat(store.getAsOf("k", p4)).contains(bytes("v4"));
    // Between versions; ties on ts are broken by partition, then offset.
    assertThat(store.getAsOf("k", pos(10, 1, 6))).contains(bytes("v1"));
    assertThat(store.getAsOf("k", pos(15, 0, 0))).contains(bytes("v1"));
    assertThat(store.getAsOf("k", pos(20, 0, 1_000))).contains(bytes("v1"));
    assertThat(store.getAsOf("k", pos(20, 1, 2))).contains(bytes("v1"));
    assertThat(store.getAsOf("k", pos(20, 2, 0))).contains(bytes("v2"));
    // At and after the deletion, until the next put.
    assertThat(store.getAsOf("k", pos(30, 0, 6))).contains(bytes("v2"));
    assertThat(store.getAsOf("k", p3)).isEmpty();
    assertThat(store.getAsOf("k", pos(39, 9, 9))).isEmpty();
    assertThat(store.getAsOf("k", pos(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE)))
        .contains(bytes("v4"));
    assertThat(store.getLatest("k")).contains(bytes("v4"));

    store.apply(List.of(delete("k", 0, 5, pos(50, 0, 0))), Map.of());
    assertThat(store.getLatest("k")).isEmpty();
    assertThat(store.getAsOf("k", p4)).contains(bytes("v4"));
    assertThat(store.getLatest("other")).isEmpty();
    assertThat(store.getAsOf("other", p4)).isEmpty();
  }

  @Test
  void valuesOfEveryKindRoundTrip() {
    Value counter = Value.newBuilder().setCounter(-42).build();
    Value list =
        Value.newBuilder()
            .setList(
                io.ordo.proto.ListValue.newBuilder()
                    .addElements(ByteString.copyFromUtf8("x"))
                    .addElements(ByteString.EMPTY))
            .build();
    Value emptyBytes = Value.newBuilder().setBytes(ByteString.EMPTY).build();
    store.apply(
        List.of(
            record("c", 0, 1, pos(1, 0, 0), counter),
            record("l", 0, 2, pos(1, 0, 1), list),
            record("e", 0, 3, pos(1, 0, 2), emptyBytes)),
        Map.of());
    assertThat(store.getLatest("c")).contains(counter);
    assertThat(store.getLatest("l")).contains(list);
    // An empty byte string is a value, not a deletion.
    assertThat(store.getLatest("e")).contains(emptyBytes);
  }

  @Test
  void duplicatesByKeyRangeAndLsnAreSkippedWhateverTheirContent() {
    List<ChangelogRecord> first =
        List.of(put("a", 0, 1, pos(1, 0, 0), "a1"), put("b", 0, 2, pos(2, 0, 0), "b1"));
    assertThat(store.apply(first, Map.of())).isEqualTo(2);
    // A replay of the same records changes nothing.
    assertThat(store.apply(first, Map.of())).isZero();
    // A record reusing an applied (key range, lsn) is a duplicate even if it differs.
    assertThat(store.apply(List.of(put("a", 0, 2, pos(9, 0, 0), "forged")), Map.of())).isZero();
    assertThat(store.getLatest("a")).contains(bytes("a1"));
    // The same LSN in another key range is not a duplicate.
    assertThat(store.apply(List.of(put("c", 1, 2, pos(3, 0, 0), "c1")), Map.of())).isEqualTo(1);
    assertThat(store.appliedLsn(1)).isZero(); // LSN 1 of key range 1 is still missing.
    assertThat(store.apply(List.of(put("d", 1, 1, pos(3, 0, 1), "d1")), Map.of())).isEqualTo(1);
    assertThat(store.appliedLsn(1)).isEqualTo(2);
    assertThat(store.getLatest("c")).contains(bytes("c1"));
    // Duplicates inside one batch: the first one counts.
    assertThat(
            store.apply(
                List.of(
                    put("b", 0, 3, pos(4, 0, 0), "b2"),
                    put("b", 0, 3, pos(4, 0, 0), "b2"),
                    put("a", 0, 1, pos(1, 0, 0), "a1"),
                    put("b", 0, 4, pos(5, 0, 0), "b3")),
                Map.of()))
        .isEqualTo(2);
    assertThat(store.getLatest("b")).contains(bytes("b3"));
    assertThat(store.appliedLsn(0)).isEqualTo(4);
    assertThat(store.appliedLsn(7)).isZero();
  }

  @Test
  void lsnsArrivingOutOfOrderAcrossPartitionsAreAppliedAndTheWatermarkWaitsForGaps() {
    // Key range 0 spans two changelog partitions: lsn 1 and 3 on one, lsn 2 on the other.
    assertThat(
            store.apply(
                List.of(put("x", 0, 1, pos(1, 0, 0), "x1"), put("x", 0, 3, pos(3, 0, 0), "x3")),
                Map.of(0, 2L)))
        .isEqualTo(2);
    assertThat(store.appliedLsn(0)).isEqualTo(1);
    // The replayed lsn 3 is recognised although the watermark is below it.
    assertThat(store.apply(List.of(put("x", 0, 3, pos(3, 0, 0), "x3")), Map.of(0, 3L))).isZero();

    store.close();
    store = MultiVersionStore.open(dir);
    assertThat(store.appliedLsn(0)).isEqualTo(1);
    assertThat(store.apply(List.of(put("x", 0, 3, pos(3, 0, 0), "x3")), Map.of(0, 4L))).isZero();
    assertThat(store.apply(List.of(put("y", 0, 2, pos(2, 1, 0), "y2")), Map.of(1, 1L)))
        .isEqualTo(1);
    assertThat(store.appliedLsn(0)).isEqualTo(3);
    assertThat(store.apply(List.of(put("y", 0, 2, pos(2, 1, 0), "y2")), Map.of(1, 2L))).isZero();
    assertThat(store.getLatest("x")).contains(bytes("x3"));
    assertThat(store.getAsOf("x", pos(2, 9, 9))).contains(bytes("x1"));

    store.close();
    store = MultiVersionStore.open(dir);
    assertThat(store.appliedLsn(0)).isEqualTo(3);
    assertThat(store.apply(List.of(put("x", 0, 4, pos(4, 0, 0), "x4")), Map.of())).isEqualTo(1);
    assertThat(store.appliedLsn(0)).isEqualTo(4);
  }

  @Test
  void keysThatArePrefixesOfEachOtherOrHoldOddBytesDoNotBleedIntoEachOther() {
    List<String> keys =
        List.of(
            "a",
            "a\u0000",
            "a\u0000\u0001",
            "a\u0000\u0000",
            "a\u0001",
            "ab",
            "a\uFFFF",
            "a\uD83D\uDE00", // U+1F600, sorts after U+FFFF in UTF-8 but not in UTF-16
            "\u0000",
            "\u0001",
            "é",
            "日本");
    List<ChangelogRecord> records = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      records.add(put(keys.get(i), 0, i + 1, pos(10 + i, 0, i), "v-" + i));
    }
    store.apply(records, Map.of());
    Position end = pos(1_000, 0, 0);
    for (int i = 0; i < keys.size(); i++) {
      assertThat(store.getLatest(keys.get(i))).as("key %d", i).contains(bytes("v-" + i));
      assertThat(store.getAsOf(keys.get(i), end)).as("key %d", i).contains(bytes("v-" + i));
      // Before its own version, a key is absent even though neighbours already exist.
      assertThat(store.getAsOf(keys.get(i), pos(10 + i, 0, i - 1))).as("key %d", i).isEmpty();
    }
    // Deleting "a" leaves its extensions alone, and they leave "a" alone.
    store.apply(List.of(delete("a", 0, keys.size() + 1, pos(500, 0, 0))), Map.of());
    assertThat(store.getLatest("a")).isEmpty();
    assertThat(store.getLatest("a\u0000")).contains(bytes("v-1"));
    assertThat(store.getLatest("ab")).contains(bytes("v-5"));
    assertThat(store.getLatest("a\u0002")).isEmpty();
    assertThat(store.getLatest("\u0000\u0000")).isEmpty();

    // Scans return keys in UTF-8 byte order and only those with the prefix.
    List<String> withA = new ArrayList<>();
    for (String k : keys) {
      if (k.startsWith("a") && !k.equals("a")) {
        withA.add(k);
      }
    }
    withA.sort(MultiVersionStoreTest::compareUtf8);
    assertThat(keysOf(store.scanAsOf("a", end, 100))).containsExactlyElementsOf(withA);
    assertThat(keysOf(store.scanAsOf("a\u0000", end, 100)))
        .containsExactly("a\u0000", "a\u0000\u0000", "a\u0000\u0001");
    assertThat(keysOf(store.scanAsOf("\u0000", end, 100))).containsExactly("\u0000");
    List<String> all = new ArrayList<>(keys);
    all.remove("a");
    all.sort(MultiVersionStoreTest::compareUtf8);
    assertThat(keysOf(store.scanAsOf("", end, 100))).containsExactlyElementsOf(all);
    // As of before the deletion, "a" is there, first.
    assertThat(keysOf(store.scanAsOf("a", pos(499, 0, 0), 1))).containsExactly("a");
  }

  @Test
  void offsetsAreStoredAtomicallyWithTheDataAndReadBackAfterReopen() {
    assertThat(store.committedOffsets()).isEmpty();
    store.apply(List.of(put("k", 3, 1, pos(1, 0, 0), "v1")), Map.of(0, 5L, 1, 3L));
    store.apply(List.of(), Map.of(1, 9L));
    assertThat(store.committedOffsets()).containsExactly(Map.entry(0, 5L), Map.entry(1, 9L));

    // A batch with an invalid record writes nothing: neither its valid records nor its offsets.
    List<ChangelogRecord> bad =
        List.of(
            put("k", 3, 2, pos(2, 0, 0), "v2"),
            ChangelogRecord.newBuilder().setKey("z").setKeyRange(3).setLsn(3).build());
    assertThatThrownBy(() -> store.apply(bad, Map.of(0, 7L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no position");
    assertThat(store.committedOffsets()).containsEntry(0, 5L);
    assertThat(store.getLatest("k")).contains(bytes("v1"));
    assertThat(store.appliedLsn(3)).isEqualTo(1);
    // So the same LSN is still new afterwards.
    assertThat(store.apply(List.of(put("k", 3, 2, pos(2, 0, 0), "v2")), Map.of(0, 7L)))
        .isEqualTo(1);

    store.close();
    store = MultiVersionStore.open(dir);
    assertThat(store.committedOffsets())
        .containsExactly(Map.entry(0, 7L), Map.entry(1, 9L));
    assertThat(store.appliedLsn(3)).isEqualTo(2);
    assertThat(store.getLatest("k")).contains(bytes("v2"));
    assertThat(store.getAsOf("k", pos(1, 5, 5))).contains(bytes("v1"));
  }

  @Test
  void scanAsOfIsBoundedOrderedAndReadsAtThePosition() {
    store.apply(
        List.of(
            put("user/10", 0, 1, pos(1, 0, 0), "u10"),
            put("user/03", 0, 2, pos(1, 0, 1), "u03"),
            put("user/01", 0, 3, pos(2, 0, 0), "u01a"),
            put("userx", 0, 4, pos(2, 0, 1), "ux"),
            put("use", 0, 5, pos(2, 0, 2), "use"),
            put("user/02", 0, 6, pos(3, 0, 0), "u02"),
            put("user/01", 0, 7, pos(4, 0, 0), "u01b"),
            delete("user/03", 0, 8, pos(5, 0, 0))),
        Map.of());
    Position now = pos(10, 0, 0);
    assertThat(store.scanAsOf("user/", now, 100))
        .containsExactly(
            Map.entry("user/01", bytes("u01b")),
            Map.entry("user/02", bytes("u02")),
            Map.entry("user/10", bytes("u10")));
    assertThat(store.scanAsOf("user/", now, 2))
        .containsExactly(Map.entry("user/01", bytes("u01b")), Map.entry("user/02", bytes("u02")));
    // Older positions see older versions and keys that were deleted since.
    assertThat(store.scanAsOf("user/", pos(2, 5, 0), 100))
        .containsExactly(
            Map.entry("user/01", bytes("u01a")),
            Map.entry("user/03", bytes("u03")),
            Map.entry("user/10", bytes("u10")));
    assertThat(store.scanAsOf("user/", pos(0, 0, 0), 100)).isEmpty();
    assertThat(store.scanAsOf("nothing", now, 100)).isEmpty();
    assertThat(store.scanAsOf("", now, MultiVersionStore.SCAN_LIMIT_MAX)).hasSize(5);

    assertThatThrownBy(() -> store.scanAsOf("user/", now, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit");
    assertThatThrownBy(() -> store.scanAsOf("user/", now, MultiVersionStore.SCAN_LIMIT_MAX + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit");
  }

  @Test
  void badInputGetsClearErrorsAndLeavesTheStoreUsable() {
    assertThatThrownBy(() -> store.getLatest(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-empty");
    assertThatThrownBy(() -> store.getLatest("x".repeat(1025)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1024");
    assertThatThrownBy(
            () -> store.apply(List.of(put("k", 0, 0, pos(1, 0, 0), "v")), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lsn 0");
    assertThatThrownBy(() -> store.apply(List.of(put("", 0, 1, pos(1, 0, 0), "v")), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty key");
    assertThatThrownBy(() -> store.apply(List.of(), Map.of(-1, 0L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partition");
    store.apply(List.of(), Map.of(0, 10L));
    assertThatThrownBy(() -> store.apply(List.of(), Map.of(0, 9L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("go back");
    assertThat(store.apply(List.of(put("k", 0, 1, pos(1, 0, 0), "v")), Map.of(0, 11L)))
        .isEqualTo(1);

    assertThatThrownBy(() -> MultiVersionStore.open(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Cannot open");

    store.close();
    store.close();
    assertThatThrownBy(() -> store.getLatest("k"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> store.apply(List.of(), Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    store = MultiVersionStore.open(dir);
  }

  @Test
  void readersRunConcurrentlyWithApplyAndNeverSeeAWatermarkBeforeItsData() throws Exception {
    int n = 400;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> writer =
          pool.submit(
              () -> {
                int applied = 0;
                for (int i = 1; i <= n; i += 4) {
                  List<ChangelogRecord> batch = new ArrayList<>();
                  for (int j = i; j < i + 4; j++) {
                    batch.add(put("key-" + j, 0, j, pos(j, 0, j), "v" + j));
                  }
                  applied += store.apply(batch, Map.of(0, (long) i + 4));
                }
                return applied;
              });
      Callable<Long> reader =
          () -> {
            long checks = 0;
            long lsn = 0;
            while (lsn < n && !Thread.currentThread().isInterrupted()) {
              lsn = store.appliedLsn(0);
              if (lsn > 0) {
                // Every key up to the watermark must be readable once the watermark is seen.
                assertThat(store.getLatest("key-" + lsn)).contains(bytes("v" + lsn));
                checks++;
              }
            }
            return checks;
          };
      Future<Long> read = pool.submit(reader);
      assertThat(writer.get(30, TimeUnit.SECONDS)).isEqualTo(n);
      assertThat(read.get(30, TimeUnit.SECONDS)).isPositive();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The store against a dumb model: a seeded random history of commits is split over changelog
   * partitions, consumed in random interleavings and batch sizes with replayed suffixes (as after
   * an executor recovery), and every AS OF read, scan and watermark is compared with a direct
   * computation over the history.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 2026})
  void agreesWithAModelUnderRandomInterleavingsAndReplays(long seed) {
    Random random = new Random(seed);
    List<String> keys =
        List.of("a", "a\u0000", "ab", "b", "b/1", "b/2", "c", "日本", "\u0000", "z\uD83D\uDE00");
    int keyRanges = 3;
    int partitions = 3;
    int commits = 200;

    List<Position> positions = new ArrayList<>();
    for (int i = 0; i < commits; i++) {
      positions.add(pos(random.nextInt(commits / 2), random.nextInt(4), i));
    }
    positions.sort(POSITION_ORDER);
    long[] lsnByRange = new long[keyRanges];
    List<ChangelogRecord> history = new ArrayList<>();
    for (Position p : positions) {
      // One transaction writes 1..3 distinct keys, as the executor does, in key order.
      List<String> shuffled = new ArrayList<>(keys);
      Collections.shuffle(shuffled, random);
      List<String> written = new ArrayList<>(shuffled.subList(0, 1 + random.nextInt(3)));
      Collections.sort(written);
      for (String k : written) {
        int kr = keys.indexOf(k) % keyRanges;
        long lsn = ++lsnByRange[kr];
        history.add(
            random.nextInt(5) == 0
                ? delete(k, kr, lsn, p)
                : put(k, kr, lsn, p, "v" + p.getOffset() + "-" + k));
      }
    }

    // Changelog partitions by key (a different split than key ranges), each in commit order,
    // with replayed suffixes.
    List<List<ChangelogRecord>> topic = new ArrayList<>();
    for (int part = 0; part < partitions; part++) {
      List<ChangelogRecord> own = new ArrayList<>();
      for (ChangelogRecord r : history) {
        if ((keys.indexOf(r.getKey()) * 7 + 1) % partitions == part) {
          own.add(r);
        }
      }
      List<ChangelogRecord> withReplays = new ArrayList<>();
      int i = 0;
      while (i < own.size()) {
        int step = 1 + random.nextInt(10);
        for (int j = i; j < Math.min(own.size(), i + step); j++) {
          withReplays.add(own.get(j));
        }
        i += step;
        if (random.nextInt(3) == 0) {
          i = Math.max(0, i - random.nextInt(15)); // The executor restarts and writes again.
        }
      }
      topic.add(withReplays);
    }

    int[] next = new int[partitions];
    List<ChangelogRecord> consumed = new ArrayList<>();
    long applied = 0;
    while (true) {
      List<Integer> open = new ArrayList<>();
      for (int part = 0; part < partitions; part++) {
        if (next[part] < topic.get(part).size()) {
          open.add(part);
        }
      }
      if (open.isEmpty()) {
        break;
      }
      List<ChangelogRecord> batch = new ArrayList<>();
      Map<Integer, Long> offsets = new TreeMap<>();
      for (int part : open) {
        int take = random.nextInt(6);
        int end = Math.min(topic.get(part).size(), next[part] + take);
        batch.addAll(topic.get(part).subList(next[part], end));
        next[part] = end;
        offsets.put(part, (long) end);
      }
      applied += store.apply(batch, offsets);
      consumed.addAll(batch);
      for (int kr = 0; kr < keyRanges; kr++) {
        assertThat(store.appliedLsn(kr)).isEqualTo(contiguousLsn(consumed, kr));
      }
      if (random.nextInt(20) == 0) {
        store.close();
        store = MultiVersionStore.open(dir);
      }
    }

    assertThat(applied).isEqualTo(history.size());
    for (int kr = 0; kr < keyRanges; kr++) {
      assertThat(store.appliedLsn(kr)).isEqualTo(lsnByRange[kr]);
    }
    Map<Integer, Long> expectedOffsets = new TreeMap<>();
    for (int part = 0; part < partitions; part++) {
      if (!topic.get(part).isEmpty()) {
        expectedOffsets.put(part, (long) topic.get(part).size());
      }
    }
    assertThat(store.committedOffsets()).isEqualTo(expectedOffsets);

    List<Position> probes = new ArrayList<>(positions);
    probes.add(pos(-1, 0, 0));
    for (int i = 0; i < 50; i++) {
      probes.add(pos(random.nextInt(commits / 2 + 2) - 1, random.nextInt(5), random.nextInt(commits)));
    }
    List<String> sortedKeys = new ArrayList<>(keys);
    sortedKeys.sort(MultiVersionStoreTest::compareUtf8);
    for (Position p : probes) {
      List<Map.Entry<String, Value>> expectedScan = new ArrayList<>();
      for (String k : sortedKeys) {
        Optional<Value> expected = modelAsOf(history, k, p);
        assertThat(store.getAsOf(k, p)).as("%s as of %s", k, p).isEqualTo(expected);
        expected.ifPresent(v -> expectedScan.add(Map.entry(k, v)));
      }
      assertThat(store.scanAsOf("", p, 100)).as("scan as of %s", p).isEqualTo(expectedScan);
    }
    for (String k : keys) {
      assertThat(store.getLatest(k))
          .isEqualTo(modelAsOf(history, k, pos(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE)));
    }
  }

  private static final Comparator<Position> POSITION_ORDER =
      Comparator.comparingLong(Position::getTs)
          .thenComparingInt(Position::getPartition)
          .thenComparingLong(Position::getOffset);

  private static Optional<Value> modelAsOf(List<ChangelogRecord> history, String key, Position p) {
    Optional<Value> value = Optional.empty();
    for (ChangelogRecord r : history) {
      if (r.getKey().equals(key) && POSITION_ORDER.compare(r.getPosition(), p) <= 0) {
        value = r.hasAfter() ? Optional.of(r.getAfter()) : Optional.empty();
      }
    }
    return value;
  }

  private static long contiguousLsn(List<ChangelogRecord> consumed, int keyRange) {
    java.util.Set<Long> seen = new java.util.HashSet<>();
    for (ChangelogRecord r : consumed) {
      if (r.getKeyRange() == keyRange) {
        seen.add(r.getLsn());
      }
    }
    long lsn = 0;
    while (seen.contains(lsn + 1)) {
      lsn++;
    }
    return lsn;
  }

  static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> keysOf(List<Map.Entry<String, Value>> entries) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Value> e : entries) {
      out.add(e.getKey());
    }
    return out;
  }

  static Position pos(long ts, int partition, long offset) {
    return Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset).build();
  }

  static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(s)).build();
  }

  static ChangelogRecord put(String key, int keyRange, long lsn, Position p, String value) {
    return record(key, keyRange, lsn, p, bytes(value));
  }

  static ChangelogRecord record(String key, int keyRange, long lsn, Position p, Value value) {
    return ChangelogRecord.newBuilder()
        .setKey(key)
        .setAfter(value)
        .setPosition(p)
        .setTxnId("t-" + p.getTs() + "-" + p.getOffset())
        .setKeyRange(keyRange)
        .setLsn(lsn)
        .build();
  }

  static ChangelogRecord delete(String key, int keyRange, long lsn, Position p) {
    return ChangelogRecord.newBuilder()
        .setKey(key)
        .setPosition(p)
        .setTxnId("t-" + p.getTs() + "-" + p.getOffset())
        .setKeyRange(keyRange)
        .setLsn(lsn)
        .build();
  }
}
