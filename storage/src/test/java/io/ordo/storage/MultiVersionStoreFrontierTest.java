package io.ordo.storage;

import static io.ordo.storage.MultiVersionStoreTest.pos;
import static io.ordo.storage.MultiVersionStoreTest.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.proto.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-key-range frontier position (consistent snapshots) and paged scans. */
class MultiVersionStoreFrontierTest {
  @TempDir Path dir;

  @Test
  void frontierFollowsTheWatermarkAcrossGaps() {
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      assertThat(store.appliedPosition(0)).isEmpty();
      store.apply(List.of(put("a", 0, 1, pos(10, 0, 1), "1")), Map.of(0, 1L));
      assertThat(store.appliedPosition(0)).contains(pos(10, 0, 1));
      // LSN 3 arrives before LSN 2 (another changelog partition): the frontier stays at LSN 1.
      store.apply(List.of(put("c", 0, 3, pos(30, 1, 7), "3")), Map.of(1, 1L));
      assertThat(store.appliedPosition(0)).contains(pos(10, 0, 1));
      assertThat(store.appliedLsn(0)).isEqualTo(1);
      // The gap closes: the frontier jumps to LSN 3's position, remembered from the earlier batch.
      store.apply(List.of(put("b", 0, 2, pos(20, 0, 2), "2")), Map.of(0, 2L));
      assertThat(store.appliedLsn(0)).isEqualTo(3);
      assertThat(store.appliedPosition(0)).contains(pos(30, 1, 7));
      // Other key ranges have frontiers of their own; duplicates move nothing.
      store.apply(List.of(put("x", 5, 1, pos(15, 0, 3), "x")), Map.of(0, 3L));
      store.apply(List.of(put("a", 0, 1, pos(10, 0, 1), "1")), Map.of(0, 3L));
      assertThat(store.appliedPosition(5)).contains(pos(15, 0, 3));
      assertThat(store.appliedPosition(0)).contains(pos(30, 1, 7));
      assertThat(store.keyRanges()).containsExactly(0, 5);
    }
  }

  /** A change of a transaction at its position, marked last (or not) of it in its range. */
  private static ChangelogRecord change(String key, long lsn, Position p, boolean last) {
    return put(key, 0, lsn, p, key).toBuilder().setLastAtPosition(last).build();
  }

  @Test
  void frontierReachesATransactionsPositionOnlyWithItsLastChangeInTheRange() {
    Position p = pos(10, 2, 5);
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      // One transaction at p writes three keys of range 0; a batch ends after the second.
      store.apply(List.of(change("a", 1, p, false), change("b", 2, p, false)), Map.of(0, 1L));
      assertThat(store.appliedLsn(0)).isEqualTo(2);
      assertThat(store.appliedPosition(0)).contains(pos(10, 2, 4));
      store.apply(List.of(change("c", 3, p, true)), Map.of(0, 2L));
      assertThat(store.appliedPosition(0)).contains(p);
    }
  }

  @Test
  void frontierWaitsForTheLastChangeWhenItArrivesFirst() {
    Position p = pos(10, 2, 5);
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      store.apply(List.of(change("c", 3, p, true)), Map.of(1, 1L));
      assertThat(store.appliedPosition(0)).isEmpty();
      store.apply(List.of(change("a", 1, p, false)), Map.of(0, 1L));
      assertThat(store.appliedPosition(0)).contains(pos(10, 2, 4));
      // The gap closes: the remembered last change completes p.
      store.apply(List.of(change("b", 2, p, false)), Map.of(0, 2L));
      assertThat(store.appliedLsn(0)).isEqualTo(3);
      assertThat(store.appliedPosition(0)).contains(p);
    }
  }

  @Test
  void theFrontierBeforeAPositionIsTheGreatestPositionBelowIt() {
    assertThat(MultiVersionStore.predecessor(pos(10, 2, 5))).isEqualTo(pos(10, 2, 4));
    assertThat(MultiVersionStore.predecessor(pos(10, 2, 0))).isEqualTo(pos(10, 1, Long.MAX_VALUE));
    assertThat(MultiVersionStore.predecessor(pos(10, 0, 0)))
        .isEqualTo(pos(9, Integer.MAX_VALUE, Long.MAX_VALUE));
    // It stays monotone: a first change at offset 0 does not move the frontier below an earlier
    // transaction's position in another partition.
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      store.apply(List.of(change("a", 1, pos(10, 0, 9), true)), Map.of(0, 1L));
      store.apply(List.of(change("b", 2, pos(10, 1, 0), false)), Map.of(0, 2L));
      assertThat(store.appliedPosition(0)).contains(pos(10, 0, Long.MAX_VALUE));
    }
  }

  @Test
  void recordsWithoutTheLastAtPositionFieldMoveTheFrontierToTheirPositionAsBefore() {
    Position p = pos(10, 2, 5);
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      ChangelogRecord old = put("a", 0, 1, p, "a");
      assertThat(old.hasLastAtPosition()).isFalse();
      store.apply(List.of(old), Map.of(0, 1L));
      assertThat(store.appliedPosition(0)).contains(p);
    }
  }

  @Test
  void frontierIsUnknownAfterReopenUntilTheRangeMovesAgain() {
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      store.apply(List.of(put("a", 0, 1, pos(10, 0, 1), "1")), Map.of(0, 1L));
    }
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      assertThat(store.appliedLsn(0)).isEqualTo(1);
      assertThat(store.appliedPosition(0)).isEmpty();
      store.apply(List.of(put("a", 0, 2, pos(11, 0, 2), "2")), Map.of(0, 2L));
      assertThat(store.appliedPosition(0)).contains(pos(11, 0, 2));
    }
  }

  @Test
  void scanPagesStartAfterTheLastKey() {
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      store.apply(
          List.of(
              put("t/1", 0, 1, pos(10, 0, 1), "1"),
              put("t/2", 0, 2, pos(10, 0, 2), "2"),
              put("t/3", 0, 3, pos(10, 0, 3), "3"),
              put("u/1", 0, 4, pos(10, 0, 4), "u")),
          Map.of(0, 4L));
      Position at = pos(10, 0, 4);
      List<Map.Entry<String, Value>> first = store.scanAsOf("t/", null, at, 2);
      assertThat(first).extracting(Map.Entry::getKey).containsExactly("t/1", "t/2");
      List<Map.Entry<String, Value>> second = store.scanAsOf("t/", "t/2", at, 2);
      assertThat(second).extracting(Map.Entry::getKey).containsExactly("t/3");
      // A start before the prefix still stays within the prefix.
      assertThat(store.scanAsOf("t/", "a", at, 10)).hasSize(3);
    }
  }
}
