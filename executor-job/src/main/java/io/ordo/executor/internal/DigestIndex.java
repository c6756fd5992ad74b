package io.ordo.executor.internal;

/**
 * A map from {@link IdDigest} to a log timestamp (ms) without an object per entry: open
 * addressing with linear probing over parallel arrays, deletion by backward shift (Knuth, TAOCP
 * vol. 3, §6.4, Algorithm R), so no tombstones accumulate. About 25 bytes per slot, at most 60 %
 * of the slots in use.
 *
 * <p>The SequenceFanOut's in-memory index of its dedup window: derived from the checkpointed
 * buckets and rebuilt from them after a restore, never checkpointed itself. Its iteration order
 * is never observed, so its layout cannot affect an output. Not thread-safe.
 */
public final class DigestIndex {
  /** Returned by {@link #get} for a digest that is not in the index. */
  public static final long ABSENT = Long.MIN_VALUE;

  private static final int MIN_CAPACITY = 16;
  /** The table doubles when an insert would fill more than this share of it. */
  private static final double MAX_LOAD = 0.6;
  /** Largest table: 2^30 slots (~600 million entries), far beyond any window. */
  private static final int MAX_CAPACITY = 1 << 30;

  private long[] his;
  private long[] los;
  private long[] tss;
  private boolean[] used;
  private int size;

  /** An empty index. */
  public DigestIndex() {
    allocate(MIN_CAPACITY);
  }

  /** Number of digests in the index. */
  public int size() {
    return size;
  }

  /** The timestamp stored for the digest, or {@link #ABSENT}. */
  public long get(long hi, long lo) {
    int i = find(hi, lo);
    return i < 0 ? ABSENT : tss[i];
  }

  /** Stores {@code ts} for the digest, replacing any timestamp stored for it. */
  public void put(long hi, long lo, long ts) {
    int i = find(hi, lo);
    if (i >= 0) {
      tss[i] = ts;
      return;
    }
    insertNew(hi, lo, ts);
  }

  /** Stores the larger of {@code ts} and the timestamp already stored for the digest. */
  public void putMax(long hi, long lo, long ts) {
    int i = find(hi, lo);
    if (i >= 0) {
      tss[i] = Math.max(tss[i], ts);
      return;
    }
    insertNew(hi, lo, ts);
  }

  /**
   * Removes the digest if its stored timestamp is {@code ts}; an entry re-stored since with
   * another timestamp stays. Returns whether it removed it.
   */
  public boolean remove(long hi, long lo, long ts) {
    int i = find(hi, lo);
    if (i < 0 || tss[i] != ts) {
      return false;
    }
    int mask = used.length - 1;
    // Backward shift: move later entries of the probe run into the hole when their home slot
    // does not lie cyclically in (hole, j], so every entry stays reachable from its home.
    int hole = i;
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      if (!used[j]) {
        break;
      }
      int home = home(his[j], los[j], mask);
      boolean staysPut = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!staysPut) {
        his[hole] = his[j];
        los[hole] = los[j];
        tss[hole] = tss[j];
        hole = j;
      }
    }
    used[hole] = false;
    size--;
    return true;
  }

  private void insertNew(long hi, long lo, long ts) {
    if (size + 1 > used.length * MAX_LOAD) {
      if (used.length >= MAX_CAPACITY) {
        throw new IllegalStateException("dedup index is full (" + size + " ids)");
      }
      rehash(used.length * 2);
    }
    int mask = used.length - 1;
    int i = home(hi, lo, mask);
    while (used[i]) {
      i = (i + 1) & mask;
    }
    used[i] = true;
    his[i] = hi;
    los[i] = lo;
    tss[i] = ts;
    size++;
  }

  private int find(long hi, long lo) {
    int mask = used.length - 1;
    int i = home(hi, lo, mask);
    while (used[i]) {
      if (his[i] == hi && los[i] == lo) {
        return i;
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  private static int home(long hi, long lo, int mask) {
    // The digest's bits are uniform (SHA-256), so any of them spread the keys.
    return (int) (lo ^ (lo >>> 32) ^ hi) & mask;
  }

  private void rehash(int capacity) {
    long[] oldHis = his;
    long[] oldLos = los;
    long[] oldTss = tss;
    boolean[] oldUsed = used;
    allocate(capacity);
    int mask = capacity - 1;
    for (int k = 0; k < oldUsed.length; k++) {
      if (oldUsed[k]) {
        int i = home(oldHis[k], oldLos[k], mask);
        while (used[i]) {
          i = (i + 1) & mask;
        }
        used[i] = true;
        his[i] = oldHis[k];
        los[i] = oldLos[k];
        tss[i] = oldTss[k];
      }
    }
  }

  private void allocate(int capacity) {
    his = new long[capacity];
    los = new long[capacity];
    tss = new long[capacity];
    used = new boolean[capacity];
  }
}
