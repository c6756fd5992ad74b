package io.ordo.storage.internal;

/**
 * Keys and values of the {@code meta} column family. Each key starts with a one-byte kind:
 *
 * <ul>
 *   <li>{@code 'o'} + partition (int32 BE) → next offset to read (int64 BE);
 *   <li>{@code 'w'} + key range (int32 BE) → LSN watermark (int64 BE);
 *   <li>{@code 'l'} + key range (int32 BE) + LSN (int64 BE) → empty: an applied LSN above the
 *       watermark (see {@link LsnTracker}).
 *   <li>{@code 's'} → UTF-8 identity of the changelog the store is materialized from ({@code
 *       <topic>/<Kafka topic id>}), bound on the first start.
 * </ul>
 *
 * Partitions and key ranges are written without sign flipping: the meta keys are only looked up
 * or read in full, never range-scanned for order.
 */
public final class MetaKeys {
  /** Kind byte of consumer offsets. */
  public static final byte OFFSET = 'o';
  /** Kind byte of LSN watermarks. */
  public static final byte WATERMARK = 'w';
  /** Kind byte of applied LSNs above a watermark. */
  public static final byte OUT_OF_ORDER_LSN = 'l';

  /** Kind byte of the source (the changelog topic's identity). */
  public static final byte SOURCE = 's';

  /** The key of the source. */
  public static final byte[] SOURCE_KEY = {SOURCE};

  /** The empty value of an out-of-order LSN entry. */
  public static final byte[] EMPTY = new byte[0];

  private MetaKeys() {}

  /** The key of a partition's next offset. */
  public static byte[] offset(int partition) {
    byte[] out = new byte[5];
    out[0] = OFFSET;
    VersionKeys.putInt(out, 1, partition);
    return out;
  }

  /** The key of a key range's watermark. */
  public static byte[] watermark(int keyRange) {
    byte[] out = new byte[5];
    out[0] = WATERMARK;
    VersionKeys.putInt(out, 1, keyRange);
    return out;
  }

  /** The key of an applied LSN above its key range's watermark. */
  public static byte[] outOfOrderLsn(int keyRange, long lsn) {
    byte[] out = new byte[13];
    out[0] = OUT_OF_ORDER_LSN;
    VersionKeys.putInt(out, 1, keyRange);
    VersionKeys.putLong(out, 5, lsn);
    return out;
  }

  /** The partition or key range of an {@code 'o'} or {@code 'w'} key, or the key range of an {@code 'l'} key. */
  public static int id(byte[] key) {
    return VersionKeys.getInt(key, 1);
  }

  /** The LSN of an {@code 'l'} key. */
  public static long lsn(byte[] key) {
    return VersionKeys.getLong(key, 5);
  }

  /** An int64 value. */
  public static byte[] longValue(long v) {
    byte[] out = new byte[8];
    VersionKeys.putLong(out, 0, v);
    return out;
  }

  /**
   * Reads an int64 value.
   *
   * @throws IllegalStateException if the value is not 8 bytes (store corruption)
   */
  public static long readLong(byte[] value) {
    if (value.length != 8) {
      throw new IllegalStateException("corrupt meta value of " + value.length + " bytes");
    }
    return VersionKeys.getLong(value, 0);
  }
}
