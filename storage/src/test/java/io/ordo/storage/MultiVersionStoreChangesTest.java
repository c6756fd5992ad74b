package io.ordo.storage;

import static io.ordo.storage.MultiVersionStoreTest.delete;
import static io.ordo.storage.MultiVersionStoreTest.pos;
import static io.ordo.storage.MultiVersionStoreTest.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** The change index: every applied change in commit (position) order, with before/after images. */
class MultiVersionStoreChangesTest {
  static final Position END = pos(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE);

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

  /** Two key ranges whose records arrive in another order than the log's. */
  private void applyOutOfOrderHistory() {
    // Range 1's records arrive first, although range 0's first change is older.
    store.apply(
        List.of(
            put("t/b", 1, 1, pos(20, 1, 5), "b1"),
            put("t/a", 1, 2, pos(40, 0, 9), "a2")),
        Map.of(1, 2L));
    store.apply(
        List.of(
            put("t/a", 0, 1, pos(10, 0, 1), "a1"),
            put("u/x", 0, 2, pos(20, 1, 5), "x1"),
            delete("t/b", 0, 3, pos(50, 2, 0))),
        Map.of(0, 3L));
  }

  private static List<String> describe(List<ChangeEntry> entries) {
    List<String> out = new ArrayList<>();
    for (ChangeEntry e : entries) {
      out.add(e.position().getTs() + " " + e.key() + " "
          + e.before().map(v -> v.getBytes().toStringUtf8()).orElse("-") + "->"
          + e.after().map(v -> v.getBytes().toStringUtf8()).orElse("-"));
    }
    return out;
  }

  @Test
  void changesComeInPositionOrderThenKeyOrderWhateverTheApplyOrder() {
    applyOutOfOrderHistory();
    ChangePage page = store.changesAfter(null, null, END, "", 100);
    assertThat(page.complete()).isTrue();
    assertThat(describe(page.entries()))
        .containsExactly(
            "10 t/a -->a1",
            "20 t/b -->b1",
            "20 u/x -->x1",
            "40 t/a a1->a2",
            "50 t/b b1->-");
    assertThat(store.newestChange()).contains(pos(50, 2, 0));
  }

  @Test
  void aPrefixSelectsKeysAndTheStartIsExclusiveByPositionAndKey() {
    applyOutOfOrderHistory();
    assertThat(describe(store.changesAfter(null, null, END, "t/", 100).entries()))
        .containsExactly("10 t/a -->a1", "20 t/b -->b1", "40 t/a a1->a2", "50 t/b b1->-");
    // After (20:1:5, t/b): u/x at the same position comes next.
    assertThat(describe(store.changesAfter(pos(20, 1, 5), "t/b", END, "", 100).entries()))
        .containsExactly("20 u/x -->x1", "40 t/a a1->a2", "50 t/b b1->-");
    // After every change at 20:1:5, up to 40:0:9 inclusive.
    assertThat(describe(store.changesAfter(pos(20, 1, 5), null, pos(40, 0, 9), "", 100).entries()))
        .containsExactly("40 t/a a1->a2");
  }

  @Test
  void pagesContinueWhereTheLastOneStoppedWithNothingMissedOrRepeated() {
    applyOutOfOrderHistory();
    List<ChangeEntry> all = new ArrayList<>();
    Position after = null;
    String afterKey = null;
    while (true) {
      ChangePage page = store.changesAfter(after, afterKey, END, "", 1);
      all.addAll(page.entries());
      if (page.lastPosition().isPresent()) {
        after = page.lastPosition().get();
        afterKey = page.lastKey();
      }
      if (page.complete()) {
        break;
      }
    }
    assertThat(all).isEqualTo(store.changesAfter(null, null, END, "", 100).entries());
  }

  @Test
  void aStoreWrittenWithoutTheIndexGetsItBuiltWhenOpened() throws Exception {
    applyOutOfOrderHistory();
    List<ChangeEntry> expected = store.changesAfter(null, null, END, "", 100).entries();
    store.close();
    dropChangesColumnFamily();
    store = MultiVersionStore.open(dir);
    assertThat(store.changesAfter(null, null, END, "", 100).entries()).isEqualTo(expected);
    // And it keeps indexing what is applied afterwards.
    store.apply(List.of(put("t/c", 0, 4, pos(60, 0, 12), "c1")), Map.of(0, 4L));
    assertThat(describe(store.changesAfter(pos(50, 2, 0), null, END, "", 100).entries()))
        .containsExactly("60 t/c -->c1");
    assertThat(store.changesAfter(pos(60, 0, 12), null, END, "", 100).entries()).isEmpty();
  }

  private void dropChangesColumnFamily() throws Exception {
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    try (Options options = new Options()) {
      for (byte[] name : RocksDB.listColumnFamilies(options, dir.toString())) {
        descriptors.add(new ColumnFamilyDescriptor(name));
      }
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions();
        RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles)) {
      for (int i = 0; i < descriptors.size(); i++) {
        if (new String(descriptors.get(i).getName(), StandardCharsets.UTF_8).equals("changes")) {
          db.dropColumnFamily(handles.get(i));
        }
      }
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  @Test
  void replayedRecordsAreNotIndexedTwice() {
    applyOutOfOrderHistory();
    ChangelogRecord replay = put("t/a", 0, 1, pos(10, 0, 1), "a1");
    store.apply(List.of(replay), Map.of(0, 3L));
    assertThat(store.changesAfter(null, null, END, "t/a", 100).entries()).hasSize(2);
  }
}
