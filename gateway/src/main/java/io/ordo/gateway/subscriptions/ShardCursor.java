package io.ordo.gateway.subscriptions;

import java.util.List;

/**
 * Where one subscription's delivery stands in one shard on this gateway: what the metadata says
 * of the shard, the durable progress as known here, the next offset to read, and the store's view
 * of the shard (first offset held, one past the last materialized, sealed). Offsets are the
 * shard's record offsets.
 *
 * <p>Not thread-safe: a plain holder owned by {@link ShardDelivery}, used under its group's
 * monitor.
 */
final class ShardCursor {
  final long shardId;
  /** The shards this one was split or merged from (delivered first). */
  List<Long> parents = List.of();
  /** Whether the metadata this group read says the shard is closed. */
  boolean closedInMetadata;
  /** Null while the progress key is not known to exist (lazily created children). */
  Progress progress;
  /** Whether a transaction creating the progress key is under way. */
  boolean creatingProgress;
  /** Next offset to read from the store. */
  long next;
  /** From the store: first offset held. */
  long start;
  /** From the store: one past the last record materialized. */
  long end;
  /** From the store: the shard is sealed (no record will follow {@link #end}). */
  boolean closed;

  ShardCursor(long shardId) {
    this.shardId = shardId;
  }

  /** Every record of a sealed shard is acked (trimmed ones count as done: they are gone). */
  boolean finished() {
    return progress != null && closed && progress.coversRange(start, end);
  }
}
