package io.ordo.storage.internal;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.ShardState;
import java.nio.charset.StandardCharsets;

/** Validation of changelog records before they reach the store. */
public final class ChangelogRecords {
  private ChangelogRecords() {}

  /**
   * Why {@code record} cannot be applied, or null if it can: it needs a key of 1..{@value
   * VersionKeys#KEY_BYTES_MAX} UTF-8 bytes, a position, and an LSN of at least 1. A shard value
   * in {@code after} (or in {@code before} when the shard is deleted) needs a valid stream name and
   * shard id ({@link ShardKeys#invalidShardReason}) and offsets that fit: {@code 0 <= start_offset
   * <= next_offset} and {@code appended_count <= next_offset}.
   */
  public static String invalidReason(ChangelogRecord record) {
    if (record == null) {
      return "record is null";
    }
    if (record.getKey().isEmpty()) {
      return "record (key range " + record.getKeyRange() + ", lsn " + record.getLsn()
          + ") has an empty key";
    }
    int keyBytes = record.getKey().getBytes(StandardCharsets.UTF_8).length;
    if (keyBytes > VersionKeys.KEY_BYTES_MAX) {
      return "record (key range " + record.getKeyRange() + ", lsn " + record.getLsn()
          + ") has a key of " + keyBytes + " UTF-8 bytes, more than " + VersionKeys.KEY_BYTES_MAX;
    }
    if (!record.hasPosition()) {
      return "record for key '" + record.getKey() + "' (key range " + record.getKeyRange()
          + ", lsn " + record.getLsn() + ") has no position";
    }
    if (record.getLsn() < 1) {
      return "record for key '" + record.getKey() + "' (key range " + record.getKeyRange()
          + ") has lsn " + record.getLsn() + "; LSNs start at 1";
    }
    String shardReason = null;
    if (record.hasAfter() && record.getAfter().hasShard()) {
      shardReason = invalidShardReason(record.getAfter().getShard());
    } else if (record.hasBefore() && record.getBefore().hasShard()) {
      ShardState s = record.getBefore().getShard();
      shardReason = ShardKeys.invalidShardReason(s.getStream(), s.getShardId());
    }
    if (shardReason != null) {
      return "record for key '" + record.getKey() + "' (key range " + record.getKeyRange()
          + ", lsn " + record.getLsn() + ") has an invalid shard value: " + shardReason;
    }
    return null;
  }

  private static String invalidShardReason(ShardState s) {
    String reason = ShardKeys.invalidShardReason(s.getStream(), s.getShardId());
    if (reason != null) {
      return reason;
    }
    if (s.getStartOffset() < 0 || s.getStartOffset() > s.getNextOffset()) {
      return "start_offset " + s.getStartOffset() + " is not in 0..next_offset ("
          + s.getNextOffset() + ")";
    }
    if (s.getAppendedCount() > s.getNextOffset()) {
      return s.getAppendedCount() + " appended records but next_offset is " + s.getNextOffset();
    }
    return null;
  }
}
