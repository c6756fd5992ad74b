package io.ordo.storage.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The RocksDB keys of the shard-log index: {@code utf8(stream) 0x00 shardId offset}, the ids and
 * offsets as 8-byte big-endian integers.
 *
 * <p>The part before the offset, {@code utf8(stream) 0x00 shardId}, is the shard's <em>prefix</em>:
 * the key of its progress entry and the common prefix of its records. Stream names contain no
 * U+0000 (the only character whose UTF-8 encoding has a zero byte), so the terminator ends the
 * name and no shard's prefix is a prefix of another shard's. Shard ids and offsets are
 * non-negative, so their big-endian bytes sort like the numbers: a shard's records sort by offset,
 * which is what range reads, trims ({@code deleteRange}) and the timestamp search rely on.
 */
public final class ShardKeys {
  /** Bytes of the shard id and of the offset. */
  public static final int ID_BYTES = 8;

  /** The longest stream name in UTF-8 bytes: the data-key bound, as a shard key contains it. */
  public static final int STREAM_BYTES_MAX = VersionKeys.KEY_BYTES_MAX;

  private ShardKeys() {}

  /**
   * Why {@code (stream, shardId)} cannot name a shard, or null if it can: the stream needs 1..
   * {@value #STREAM_BYTES_MAX} UTF-8 bytes without U+0000, the shard id must be &gt;= 0.
   */
  public static String invalidShardReason(String stream, long shardId) {
    if (stream == null || stream.isEmpty()) {
      return "stream must be a non-empty name";
    }
    if (stream.indexOf('\u0000') >= 0) {
      return "stream name must not contain U+0000";
    }
    int bytes = stream.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > STREAM_BYTES_MAX) {
      return "stream name must be at most " + STREAM_BYTES_MAX + " UTF-8 bytes, got " + bytes;
    }
    if (shardId < 0) {
      return "shard id must be >= 0, got " + shardId;
    }
    return null;
  }

  /**
   * The prefix of shard {@code shardId} of {@code stream}: the key of its progress entry.
   *
   * @throws IllegalArgumentException if the pair is invalid (see {@link #invalidShardReason})
   */
  public static byte[] shardPrefix(String stream, long shardId) {
    String reason = invalidShardReason(stream, shardId);
    if (reason != null) {
      throw new IllegalArgumentException(reason);
    }
    byte[] name = stream.getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(name, name.length + 1 + ID_BYTES);
    out[name.length] = 0;
    VersionKeys.putLong(out, name.length + 1, shardId);
    return out;
  }

  /** The key of the record at {@code offset} (&gt;= 0) of the shard with this prefix. */
  public static byte[] recordKey(byte[] shardPrefix, long offset) {
    byte[] out = Arrays.copyOf(shardPrefix, shardPrefix.length + ID_BYTES);
    VersionKeys.putLong(out, shardPrefix.length, offset);
    return out;
  }

  /**
   * A key greater than every record key of the shard with this prefix and smaller than any other
   * shard's: the exclusive end of a {@code deleteRange} over the whole shard.
   */
  public static byte[] afterAllRecords(byte[] shardPrefix) {
    byte[] out = Arrays.copyOf(shardPrefix, shardPrefix.length + ID_BYTES + 1);
    Arrays.fill(out, shardPrefix.length, shardPrefix.length + ID_BYTES, (byte) 0xFF);
    return out;
  }

  /**
   * The offset of a record key of the shard with this prefix.
   *
   * @throws IllegalStateException if the key is not one (store corruption)
   */
  public static long offset(byte[] shardPrefix, byte[] recordKey) {
    if (recordKey.length != shardPrefix.length + ID_BYTES
        || !VersionKeys.startsWith(recordKey, shardPrefix)) {
      throw new IllegalStateException(
          "corrupt shard record key of " + recordKey.length + " bytes");
    }
    return VersionKeys.getLong(recordKey, shardPrefix.length);
  }
}
