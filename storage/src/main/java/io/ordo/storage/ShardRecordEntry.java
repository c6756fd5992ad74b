package io.ordo.storage;

import io.ordo.proto.Position;
import io.ordo.proto.StreamRecord;
import java.util.Objects;

/**
 * One record of a shard log as materialized by {@link MultiVersionStore}.
 *
 * @param offset the record's offset in its shard, &gt;= 0 (gapless per shard, from 0)
 * @param position the commit position of the transaction that appended it; {@code position.ts}
 *     (ms since the epoch, log time) is the record's timestamp
 * @param record the record as appended (partition key, headers, payload)
 */
public record ShardRecordEntry(long offset, Position position, StreamRecord record) {
  /** Checks the components: offset &gt;= 0, position and record not null. */
  public ShardRecordEntry {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must be >= 0, got " + offset);
    }
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(record, "record");
  }
}
