package io.ordo.storage;

import static io.ordo.storage.ShardHistory.json;
import static io.ordo.storage.ShardHistory.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shard-log index of {@link MultiVersionStore}: shard versions in, shard reads out. */
class MultiVersionStoreShardLogTest {
  @TempDir Path dir;
  MultiVersionStore store;
  ShardHistory h = new ShardHistory(2, 1_000);

  @BeforeEach
  void open() {
    store = MultiVersionStore.open(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private int apply(ChangelogRecord... records) {
    return store.apply(List.of(records), Map.of());
  }

  @Test
  void appendedRecordsAreIndexedByOffsetAndReadInOffsetOrder() {
    apply(h.create("orders", 0));
    assertThat(store.shardState("orders", 0)).contains(new ShardProgressView(0, 0, false));
    assertThat(store.readShard("orders", 0, 0, 10)).isEmpty();

    apply(h.append("orders", 0, raw("a", "r0"), json("b", "{\"n\":1}"), raw("", "r2")));
    apply(h.tick(5).append("orders", 0, raw("c", "r3"), raw("d", "r4")));
    List<ShardRecordEntry> all = store.readShard("orders", 0, 0, 100);
    assertThat(all).isEqualTo(h.expectedRecords("orders", 0));
    assertThat(all).extracting(ShardRecordEntry::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
    // The records of one append share their transaction's position.
    assertThat(all.get(0).position()).isEqualTo(all.get(2).position());
    assertThat(all.get(3).position().getTs()).isEqualTo(all.get(0).position().getTs() + 5);
    assertThat(all.get(1).record().getJson()).isEqualTo("{\"n\":1}");
    assertThat(store.shardState("orders", 0)).contains(new ShardProgressView(0, 5, false));

    // Ranges: from an offset, at most maxRecords; nothing at or past the end.
    assertThat(store.readShard("orders", 0, 2, 2)).isEqualTo(all.subList(2, 4));
    assertThat(store.readShard("orders", 0, 4, 100)).isEqualTo(all.subList(4, 5));
    assertThat(store.readShard("orders", 0, 5, 100)).isEmpty();
    assertThat(store.readShard("orders", 0, Long.MAX_VALUE, 100)).isEmpty();
  }

  @Test
  void shardsAndStreamsWhoseNamesOrIdsShareBytesStayApart() {
    // "s" vs "s2", shard 1 vs 256 (0x0100: same low byte), a name that is a prefix of another.
    String[][] shards = {{"s", "1"}, {"s", "256"}, {"s2", "1"}, {"s.x", "0"}, {"日本", "1"}};
    for (String[] s : shards) {
      apply(h.create(s[0], Long.parseLong(s[1])));
    }
    for (int round = 0; round < 3; round++) {
      for (String[] s : shards) {
        apply(h.append(s[0], Long.parseLong(s[1]), raw("k", s[0] + "/" + s[1] + "#" + round)));
      }
    }
    for (String[] s : shards) {
      long id = Long.parseLong(s[1]);
      assertThat(store.readShard(s[0], id, 0, 100)).as(s[0] + "/" + id)
          .isEqualTo(h.expectedRecords(s[0], id))
          .hasSize(3);
      assertThat(store.shardState(s[0], id)).contains(new ShardProgressView(0, 3, false));
    }
    assertThat(store.shardState("s", 2)).isEmpty();
    assertThat(store.shardState("s3", 1)).isEmpty();
    assertThat(store.readShard("s", 0, 0, 100)).isEmpty();
    // The shard key itself is an ordinary versioned key too.
    assertThat(store.getLatest(ShardHistory.key("s", 1)).map(Value::getShard).map(ShardState::getNextOffset))
        .contains(3L);
  }

  @Test
  void aByteBudgetStopsTheReadButTheFirstRecordIsAlwaysReturned() {
    apply(h.create("big", 0));
    String kb = "x".repeat(1_000);
    apply(h.append("big", 0, raw("k", kb), raw("k", kb), raw("k", kb), raw("k", kb)));
    int size = raw("k", kb).getSerializedSize();
    assertThat(store.readShard("big", 0, 0, 100, 1)).hasSize(1);
    assertThat(store.readShard("big", 0, 0, 100, 2L * size)).hasSize(2);
    assertThat(store.readShard("big", 0, 0, 100, 3L * size - 1)).hasSize(2);
    assertThat(store.readShard("big", 0, 1, 100, Long.MAX_VALUE))
        .extracting(ShardRecordEntry::offset).containsExactly(1L, 2L, 3L);
  }

  @Test
  void aRisingStartOffsetDeletesTheRecordsBelowItAndReadsStartThere() {
    apply(h.create("t", 0));
    for (int i = 0; i < 10; i++) {
      apply(h.append("t", 0, raw("k", "r" + i)));
    }
    apply(h.trim("t", 0, 4));
    assertThat(store.shardState("t", 0)).contains(new ShardProgressView(4, 10, false));
    List<ShardRecordEntry> read = store.readShard("t", 0, 0, 100);
    assertThat(read).isEqualTo(h.expectedRecords("t", 0));
    assertThat(read).extracting(ShardRecordEntry::offset).startsWith(4L).hasSize(6);
    assertThat(store.readShard("t", 0, 2, 1)).extracting(ShardRecordEntry::offset).containsExactly(4L);
    assertThat(store.readShard("t", 0, 7, 100)).extracting(ShardRecordEntry::offset)
        .containsExactly(7L, 8L, 9L);

    // A lower trim changes nothing; a trim past the end stops at the end.
    apply(h.trim("t", 0, 2));
    assertThat(store.shardState("t", 0)).contains(new ShardProgressView(4, 10, false));
    apply(h.trim("t", 0, 1_000));
    assertThat(store.shardState("t", 0)).contains(new ShardProgressView(10, 10, false));
    assertThat(store.readShard("t", 0, 0, 100)).isEmpty();
    apply(h.append("t", 0, raw("k", "r10")));
    assertThat(store.readShard("t", 0, 0, 100)).isEqualTo(h.expectedRecords("t", 0))
        .extracting(ShardRecordEntry::offset).containsExactly(10L);
  }

  @Test
  void aSealedShardIsClosedAtItsFinalEnd() {
    apply(h.create("c", 3));
    apply(h.append("c", 3, raw("k", "a"), raw("k", "b")));
    apply(h.seal("c", 3));
    assertThat(store.shardState("c", 3)).contains(new ShardProgressView(0, 2, true));
    assertThat(store.readShard("c", 3, 0, 10)).isEqualTo(h.expectedRecords("c", 3));
  }

  @Test
  void deletingTheShardKeyDeletesAllItsRecordsAndARecreatedShardStartsEmpty() {
    apply(h.create("d", 0), h.create("d", 1));
    apply(h.append("d", 0, raw("k", "a"), raw("k", "b")), h.append("d", 1, raw("k", "c")));
    apply(h.trim("d", 0, 1));
    apply(h.delete("d", 0));
    assertThat(store.shardState("d", 0)).isEmpty();
    assertThat(store.readShard("d", 0, 0, 10)).isEmpty();
    assertThat(store.offsetAtTimestamp("d", 0, 0)).isEmpty();
    // The neighbour is untouched.
    assertThat(store.readShard("d", 1, 0, 10)).isEqualTo(h.expectedRecords("d", 1)).hasSize(1);

    apply(h.create("d", 0));
    assertThat(store.shardState("d", 0)).contains(new ShardProgressView(0, 0, false));
    apply(h.append("d", 0, raw("k", "new")));
    assertThat(store.readShard("d", 0, 0, 10)).isEqualTo(h.expectedRecords("d", 0))
        .extracting(e -> e.record().getRaw().toStringUtf8()).containsExactly("new");
  }

  @Test
  void severalVersionsOfOneShardInOneBatchApplyInOrder() {
    List<ChangelogRecord> batch = new ArrayList<>();
    batch.add(h.create("b", 0));
    batch.add(h.append("b", 0, raw("k", "0"), raw("k", "1")));
    batch.add(h.append("b", 0, raw("k", "2")));
    batch.add(h.trim("b", 0, 1));
    batch.add(h.append("b", 0, raw("k", "3")));
    batch.add(h.seal("b", 0));
    batch.add(h.create("b", 1));
    batch.add(h.append("b", 1, raw("k", "x")));
    batch.add(h.delete("b", 1));
    batch.add(h.create("b", 1));
    assertThat(store.apply(batch, Map.of(0, 10L))).isEqualTo(10);
    assertThat(store.shardState("b", 0)).contains(new ShardProgressView(1, 4, true));
    assertThat(store.readShard("b", 0, 0, 10)).isEqualTo(h.expectedRecords("b", 0))
        .extracting(ShardRecordEntry::offset).containsExactly(1L, 2L, 3L);
    assertThat(store.shardState("b", 1)).contains(new ShardProgressView(0, 0, false));
    assertThat(store.readShard("b", 1, 0, 10)).isEmpty();
  }

  @Test
  void replayedDuplicatesAreDroppedAndAReDeliveredOldVersionCannotUndoATrim() {
    ChangelogRecord create = h.create("r", 0);
    ChangelogRecord first = h.append("r", 0, raw("k", "a"), raw("k", "b"), raw("k", "c"));
    ChangelogRecord second = h.append("r", 0, raw("k", "d"));
    apply(create, first, second);
    List<ShardRecordEntry> before = store.readShard("r", 0, 0, 10);
    // An executor recovery writes the same records again: dropped by (key range, LSN).
    assertThat(apply(create, first, second)).isZero();
    assertThat(store.readShard("r", 0, 0, 10)).isEqualTo(before);
    assertThat(store.shardState("r", 0)).contains(new ShardProgressView(0, 4, false));

    apply(h.trim("r", 0, 2));
    // The same old version under an LSN the store has not seen (as if its dedup state were lost)
    // still cannot bring back trimmed records or move the end back.
    ChangelogRecord redelivered = first.toBuilder().setLsn(1_000).build();
    assertThat(apply(redelivered)).isEqualTo(1);
    assertThat(store.shardState("r", 0)).contains(new ShardProgressView(2, 4, false));
    assertThat(store.readShard("r", 0, 0, 10)).isEqualTo(h.expectedRecords("r", 0))
        .extracting(ShardRecordEntry::offset).containsExactly(2L, 3L);
  }

  @Test
  void offsetAtTimestampFindsTheFirstRecordAtOrAfterIt() {
    apply(h.create("ts", 0));
    assertThat(store.offsetAtTimestamp("ts", 0, Long.MIN_VALUE)).isEmpty();
    long t0 = h.ts();
    // Offsets 0,1 at t0; 2 at t0+10; 3,4,5 at t0+20 (three commits in one ms); 6 at t0+30.
    apply(h.append("ts", 0, raw("k", "0"), raw("k", "1")));
    apply(h.tick(10).append("ts", 0, raw("k", "2")));
    apply(h.tick(10).append("ts", 0, raw("k", "3")));
    apply(h.append("ts", 0, raw("k", "4")), h.append("ts", 0, raw("k", "5")));
    apply(h.tick(10).append("ts", 0, raw("k", "6")));
    assertThat(store.offsetAtTimestamp("ts", 0, Long.MIN_VALUE)).hasValue(0);
    assertThat(store.offsetAtTimestamp("ts", 0, t0)).hasValue(0);
    assertThat(store.offsetAtTimestamp("ts", 0, t0 + 1)).hasValue(2);
    assertThat(store.offsetAtTimestamp("ts", 0, t0 + 10)).hasValue(2);
    assertThat(store.offsetAtTimestamp("ts", 0, t0 + 11)).hasValue(3);
    assertThat(store.offsetAtTimestamp("ts", 0, t0 + 20)).hasValue(3);
    assertThat(store.offsetAtTimestamp("ts", 0, t0 + 30)).hasValue(6);
    assertThat(store.offsetAtTimestamp("ts", 0, t0 + 31)).isEmpty();
    assertThat(store.offsetAtTimestamp("ts", 0, Long.MAX_VALUE)).isEmpty();
    // Trimmed records are not candidates.
    apply(h.trim("ts", 0, 4));
    assertThat(store.offsetAtTimestamp("ts", 0, t0)).hasValue(4);
    assertThat(store.offsetAtTimestamp("ts", 0, t0 + 21)).hasValue(6);
    assertThat(store.offsetAtTimestamp("nope", 0, t0)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 7, 2026})
  void offsetAtTimestampAgreesWithALinearScan(long seed) {
    Random random = new Random(seed);
    apply(h.create("m", 0));
    int appends = 300;
    for (int i = 0; i < appends; i++) {
      StreamRecord[] records = new StreamRecord[1 + random.nextInt(3)];
      for (int j = 0; j < records.length; j++) {
        records[j] = raw("k", i + "." + j);
      }
      apply(h.tick(random.nextInt(3)).append("m", 0, records));
      if (random.nextInt(50) == 0) {
        apply(h.trim("m", 0, h.state("m", 0).getNextOffset() - random.nextInt(5)));
      }
    }
    List<ShardRecordEntry> held = h.expectedRecords("m", 0);
    long firstTs = held.get(0).position().getTs();
    long lastTs = held.get(held.size() - 1).position().getTs();
    for (long ts = firstTs - 2; ts <= lastTs + 2; ts++) {
      OptionalLong expected = OptionalLong.empty();
      for (ShardRecordEntry e : held) {
        if (e.position().getTs() >= ts) {
          expected = OptionalLong.of(e.offset());
          break;
        }
      }
      assertThat(store.offsetAtTimestamp("m", 0, ts)).as("ts %d", ts).isEqualTo(expected);
    }
  }

  @Test
  void theIndexSurvivesAReopen() {
    store.apply(
        List.of(h.create("p", 0), h.append("p", 0, raw("k", "a"), raw("k", "b")), h.seal("p", 0),
            h.create("p", 1), h.append("p", 1, raw("k", "c")), h.trim("p", 1, 1)),
        Map.of(0, 6L));
    List<ShardRecordEntry> p0 = store.readShard("p", 0, 0, 10);
    store.close();
    store = MultiVersionStore.open(dir);
    assertThat(store.readShard("p", 0, 0, 10)).isEqualTo(p0).isEqualTo(h.expectedRecords("p", 0));
    assertThat(store.shardState("p", 0)).contains(new ShardProgressView(0, 2, true));
    assertThat(store.shardState("p", 1)).contains(new ShardProgressView(1, 1, false));
    // It goes on where it was: duplicates still dropped, new versions still indexed.
    assertThat(store.apply(h.all(), Map.of())).isZero();
    apply(h.append("p", 1, raw("k", "d")));
    assertThat(store.readShard("p", 1, 0, 10)).isEqualTo(h.expectedRecords("p", 1))
        .extracting(ShardRecordEntry::offset).containsExactly(1L);
  }

  @Test
  void badArgumentsAndInconsistentShardValuesGetClearErrors() {
    apply(h.create("ok", 0));
    assertThatThrownBy(() -> store.readShard("", 0, 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-empty");
    assertThatThrownBy(() -> store.readShard("a\u0000b", 0, 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("U+0000");
    assertThatThrownBy(() -> store.readShard("ok", -1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shard id");
    assertThatThrownBy(() -> store.readShard("ok", 0, -1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fromOffset");
    assertThatThrownBy(() -> store.readShard("ok", 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRecords");
    assertThatThrownBy(() -> store.readShard("ok", 0, 0, MultiVersionStore.SHARD_READ_LIMIT_MAX + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRecords");
    assertThatThrownBy(() -> store.readShard("ok", 0, 0, 1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
    assertThatThrownBy(() -> store.shardState("x".repeat(1025), 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1024");
    assertThatThrownBy(() -> store.offsetAtTimestamp(null, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);

    ChangelogRecord good = h.append("ok", 0, raw("k", "a"));
    ShardState s = good.getAfter().getShard();
    List<ChangelogRecord> bad = List.of(
        withShard(good, s.toBuilder().setNextOffset(0).build()), // 1 appended, next_offset 0
        withShard(good, s.toBuilder().setStartOffset(5).build()), // start above next
        withShard(good, s.toBuilder().setShardId(-1).build()),
        withShard(good, s.toBuilder().setStream("").build()));
    for (ChangelogRecord r : bad) {
      assertThatThrownBy(() -> store.apply(List.of(good, r), Map.of(0, 99L)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid shard value");
    }
    // Nothing of a refused batch was written, and the store still works.
    assertThat(store.committedOffsets()).isEmpty();
    assertThat(store.shardState("ok", 0)).contains(new ShardProgressView(0, 0, false));
    apply(good);
    assertThat(store.readShard("ok", 0, 0, 10)).isEqualTo(h.expectedRecords("ok", 0));
  }

  private static ChangelogRecord withShard(ChangelogRecord r, ShardState s) {
    return r.toBuilder().setAfter(Value.newBuilder().setShard(s)).build();
  }

  /**
   * The index against the model under random operations on a few shards, consumed in random
   * batch sizes with replayed stretches (an executor recovery) and reopens of the store.
   */
  @ParameterizedTest
  @ValueSource(longs = {3, 11, 99})
  void agreesWithAModelUnderRandomOperationsReplaysAndReopens(long seed) {
    Random random = new Random(seed);
    String[] streams = {"a", "ab", "b"};
    TreeMap<String, Boolean> exists = new TreeMap<>();
    for (int i = 0; i < 400; i++) {
      String stream = streams[random.nextInt(streams.length)];
      long id = random.nextInt(3);
      String key = ShardHistory.key(stream, id);
      h.tick(random.nextInt(2));
      if (!exists.getOrDefault(key, false)) {
        h.create(stream, id);
        exists.put(key, true);
        continue;
      }
      ShardState s = h.state(stream, id);
      int op = random.nextInt(20);
      if (op < 14 && !s.getClosed()) {
        StreamRecord[] records = new StreamRecord[random.nextInt(4)];
        for (int j = 0; j < records.length; j++) {
          records[j] = random.nextBoolean()
              ? raw("pk" + random.nextInt(9), "v" + i + "." + j)
              : StreamRecord.newBuilder().setRaw(ByteString.copyFrom(new byte[] {(byte) j, 0}))
                  .build();
        }
        h.append(stream, id, records);
      } else if (op < 17) {
        h.trim(stream, id, s.getStartOffset() + random.nextInt(4));
      } else if (op < 19 && !s.getClosed()) {
        h.seal(stream, id);
      } else {
        h.delete(stream, id);
        exists.put(key, false);
      }
    }
    List<ChangelogRecord> all = h.all();
    int next = 0;
    long offset = 0;
    while (next < all.size()) {
      int end = Math.min(all.size(), next + 1 + random.nextInt(12));
      List<ChangelogRecord> batch = new ArrayList<>(all.subList(next, end));
      if (random.nextInt(4) == 0) {
        int from = Math.max(0, next - random.nextInt(20));
        batch.addAll(0, all.subList(from, next)); // Replayed before the new ones, as on recovery.
      }
      offset += batch.size();
      store.apply(batch, Map.of(0, offset));
      next = end;
      if (random.nextInt(15) == 0) {
        store.close();
        store = MultiVersionStore.open(dir);
      }
    }
    for (String stream : streams) {
      for (long id = 0; id < 3; id++) {
        assertThat(store.shardState(stream, id)).as(stream + "/" + id)
            .isEqualTo(h.expectedState(stream, id));
        List<ShardRecordEntry> expected = h.expectedRecords(stream, id);
        assertThat(store.readShard(stream, id, 0, 10_000)).as(stream + "/" + id)
            .isEqualTo(expected);
        // Paging through in small reads gives the same records.
        List<ShardRecordEntry> paged = new ArrayList<>();
        long from = 0;
        while (true) {
          List<ShardRecordEntry> page = store.readShard(stream, id, from, 1 + random.nextInt(5));
          if (page.isEmpty()) {
            break;
          }
          paged.addAll(page);
          from = page.get(page.size() - 1).offset() + 1;
        }
        assertThat(paged).isEqualTo(expected);
      }
    }
    assertThat(Optional.of(store.committedOffsets())).contains(Map.of(0, offset));
  }
}
