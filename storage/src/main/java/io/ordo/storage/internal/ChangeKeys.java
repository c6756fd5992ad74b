package io.ordo.storage.internal;

import io.ordo.proto.Position;
import java.util.Arrays;

/**
 * Keys of the change index (column family {@code changes} of the store): one entry per applied
 * changelog record, keyed by the record's position first and its data key second, so that an
 * iteration in key order is the global commit order (log position order; the changes of one
 * transaction, which share its position, in UTF-8 byte order of their keys). The value is empty:
 * the row images are the versions of the data column family.
 *
 * <p>Layout: the position as in {@link VersionKeys} (ts, partition, offset; {@value
 * VersionKeys#POSITION_BYTES} bytes, sign-flipped big-endian), then the encoded key ({@link
 * VersionKeys#encodedKey}).
 */
public final class ChangeKeys {
  private ChangeKeys() {}

  /** The index key of the change of {@code encodedKey} at {@code p}. */
  public static byte[] of(Position p, byte[] encodedKey) {
    byte[] out = new byte[VersionKeys.POSITION_BYTES + encodedKey.length];
    positionInto(out, p);
    System.arraycopy(encodedKey, 0, out, VersionKeys.POSITION_BYTES, encodedKey.length);
    return out;
  }

  /** The first index key at position {@code p} (a seek target). */
  public static byte[] start(Position p) {
    byte[] out = new byte[VersionKeys.POSITION_BYTES];
    positionInto(out, p);
    return out;
  }

  /** The position of an index key. */
  public static Position position(byte[] indexKey) {
    if (indexKey.length < VersionKeys.POSITION_BYTES + 2) {
      throw new IllegalStateException("corrupt change index key of " + indexKey.length + " bytes");
    }
    long ts = VersionKeys.getLong(indexKey, 0) ^ Long.MIN_VALUE;
    int partition = VersionKeys.getInt(indexKey, 8) ^ Integer.MIN_VALUE;
    long offset = VersionKeys.getLong(indexKey, 12) ^ Long.MIN_VALUE;
    return Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset).build();
  }

  /** The encoded key part of an index key (escaped bytes and terminator). */
  public static byte[] encodedKey(byte[] indexKey) {
    return Arrays.copyOfRange(indexKey, VersionKeys.POSITION_BYTES, indexKey.length);
  }

  private static void positionInto(byte[] out, Position p) {
    int i = VersionKeys.putLong(out, 0, p.getTs() ^ Long.MIN_VALUE);
    i = VersionKeys.putInt(out, i, p.getPartition() ^ Integer.MIN_VALUE);
    VersionKeys.putLong(out, i, p.getOffset() ^ Long.MIN_VALUE);
  }
}
