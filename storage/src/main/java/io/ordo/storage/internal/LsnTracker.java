package io.ordo.storage.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which LSNs of each key range have been applied, to drop replayed duplicates by (key range, LSN).
 *
 * <p>LSNs are gapless from 1 per key range, but the changelog topic is partitioned by data key, so
 * the records of one key range are spread over several partitions and arrive interleaved: only
 * within one partition are they in LSN order. "LSN at or below the highest applied one" is
 * therefore not a duplicate test (LSN 2 on partition 1 may arrive after LSN 3 on partition 0).
 * This tracker keeps, per key range, a <em>watermark</em> (every LSN at or below it has been
 * applied) and the set of applied LSNs above the watermark; an LSN is a duplicate exactly when it
 * is at or below the watermark or in that set. The watermark is what {@code appliedLsn} reports:
 * the store holds every change of the key range up to it.
 *
 * <p>The set above the watermark holds the LSNs that arrived ahead of a gap, so its size is the
 * skew between partitions, not history; it is bounded by {@code outOfOrderLsnsMax} over all key
 * ranges, and a batch that would exceed it is refused.
 *
 * <p>Not thread-safe: the store calls it under its apply lock. A batch is planned with {@link
 * Batch}, written to RocksDB, and only then {@link #commit committed} here, so a failed write
 * leaves the tracker unchanged.
 */
public final class LsnTracker {
  private final long outOfOrderLsnsMax;
  private final TreeMap<Integer, Long> watermarks = new TreeMap<>();
  private final TreeMap<Integer, TreeSet<Long>> above = new TreeMap<>();
  private long outOfOrderCount;

  /**
   * @param outOfOrderLsnsMax the most applied LSNs that may wait above their key range's
   *     watermark, over all key ranges; at least 1
   */
  public LsnTracker(long outOfOrderLsnsMax) {
    if (outOfOrderLsnsMax < 1) {
      throw new IllegalArgumentException("outOfOrderLsnsMax must be >= 1, got " + outOfOrderLsnsMax);
    }
    this.outOfOrderLsnsMax = outOfOrderLsnsMax;
  }

  /** Restores a persisted watermark (when the store opens). */
  public void restoreWatermark(int keyRange, long watermark) {
    watermarks.put(keyRange, watermark);
  }

  /** Restores a persisted applied LSN above the watermark (when the store opens). */
  public void restoreOutOfOrder(int keyRange, long lsn) {
    if (above.computeIfAbsent(keyRange, k -> new TreeSet<>()).add(lsn)) {
      outOfOrderCount++;
    }
  }

  /** The watermark of a key range: every LSN at or below it was applied; 0 if none. */
  public long watermark(int keyRange) {
    return watermarks.getOrDefault(keyRange, 0L);
  }

  /** All watermarks, by key range. */
  public Map<Integer, Long> watermarks() {
    return new TreeMap<>(watermarks);
  }

  /** How many applied LSNs wait above their key range's watermark, over all key ranges. */
  public long outOfOrderCount() {
    return outOfOrderCount;
  }

  /** Starts planning a batch against the current state. */
  public Batch newBatch() {
    return new Batch();
  }

  /**
   * What a batch changes for one key range: the watermark moves from {@code oldWatermark} to
   * {@code newWatermark}; {@code removedOutOfOrder} (already stored, now at or below the new
   * watermark) are dropped from the set and {@code addedOutOfOrder} (new, above it) join it. Both
   * lists are ascending.
   */
  public record Change(
      int keyRange,
      long oldWatermark,
      long newWatermark,
      List<Long> removedOutOfOrder,
      List<Long> addedOutOfOrder) {}

  /** Applies planned changes after they were written durably. */
  public void commit(List<Change> changes) {
    for (Change c : changes) {
      watermarks.put(c.keyRange(), c.newWatermark());
      TreeSet<Long> set = above.get(c.keyRange());
      if (set != null) {
        NavigableSet<Long> absorbed = set.headSet(c.newWatermark(), true);
        outOfOrderCount -= absorbed.size();
        absorbed.clear();
      }
      if (!c.addedOutOfOrder().isEmpty()) {
        if (set == null) {
          set = new TreeSet<>();
          above.put(c.keyRange(), set);
        }
        set.addAll(c.addedOutOfOrder());
        outOfOrderCount += c.addedOutOfOrder().size();
      }
      if (set != null && set.isEmpty()) {
        above.remove(c.keyRange());
      }
    }
  }

  /** The LSNs of one batch, checked against the tracker and against each other. */
  public final class Batch {
    private final TreeMap<Integer, TreeSet<Long>> added = new TreeMap<>();

    private Batch() {}

    /**
     * Records {@code lsn} of {@code keyRange} as applied by this batch unless it is a duplicate.
     *
     * @return true if the LSN is new, false if it was applied before or earlier in this batch
     */
    public boolean offer(int keyRange, long lsn) {
      if (lsn <= watermark(keyRange)) {
        return false;
      }
      TreeSet<Long> stored = above.get(keyRange);
      if (stored != null && stored.contains(lsn)) {
        return false;
      }
      return added.computeIfAbsent(keyRange, k -> new TreeSet<>()).add(lsn);
    }

    /**
     * The changes this batch makes, in key range order.
     *
     * @throws IllegalStateException if more than {@code outOfOrderLsnsMax} LSNs would wait above
     *     their watermarks (partitions of the changelog are too far apart)
     */
    public List<Change> changes() {
      List<Change> changes = new ArrayList<>(added.size());
      long count = outOfOrderCount;
      for (Map.Entry<Integer, TreeSet<Long>> e : added.entrySet()) {
        int keyRange = e.getKey();
        TreeSet<Long> fresh = e.getValue();
        TreeSet<Long> stored = above.getOrDefault(keyRange, new TreeSet<>());
        long oldWatermark = watermark(keyRange);
        long w = oldWatermark;
        while (fresh.contains(w + 1) || stored.contains(w + 1)) {
          w++;
        }
        List<Long> removed = new ArrayList<>(stored.headSet(w, true));
        List<Long> kept = new ArrayList<>(fresh.tailSet(w, false));
        count += kept.size() - removed.size();
        changes.add(new Change(keyRange, oldWatermark, w, List.copyOf(removed), List.copyOf(kept)));
      }
      if (count > outOfOrderLsnsMax) {
        throw new IllegalStateException(
            "applying this batch would leave " + count + " LSNs waiting above gaps in their key"
                + " ranges, more than the bound of " + outOfOrderLsnsMax + "; the changelog's"
                + " partitions are consumed too far apart or an LSN is missing from the topic");
      }
      return changes;
    }
  }
}
