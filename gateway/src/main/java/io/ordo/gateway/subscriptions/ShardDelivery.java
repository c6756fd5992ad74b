package io.ordo.gateway.subscriptions;

import io.ordo.gateway.streams.ShardReads;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionProgress;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.storage.MultiVersionStore;
import io.ordo.storage.ShardProgressView;
import io.ordo.storage.ShardRecordEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The delivery of one subscription's shards on this gateway: a {@link ShardCursor} per shard,
 * kept up to date from the local store and the durable progress, and the messages built from the
 * store for a consumer.
 *
 * <p>Per shard, records are read from the local store starting at the durable progress floor,
 * skipping acked offsets (durable, or pending in the {@link AckBatcher}), and following the tail
 * as the store materializes it. Each delivered record goes into the {@link UnackedRecords} with a
 * deadline (now + ack timeout); past it, the record is sent again to whoever is given the shard
 * then. Nothing new is read while the subscription has {@code max_unacked_records} unacked here.
 * A closed shard's children are delivered only after every record of the parent(s) is durably
 * acked ({@link #parentsFinished}), which keeps per-key order across splits and merges.
 *
 * <p>Bounds: a message holds at most {@value #RECORDS_PER_MESSAGE_MAX} records and about {@value
 * #MESSAGE_BYTES_TARGET} bytes (a single larger record still goes alone). Shards are kept in id
 * order, records in offset order, so what a consumer gets depends only on the store, the progress
 * and the clock readings passed in.
 *
 * <p>Not thread-safe: owned by one {@link SubscriptionGroup} and used under its monitor, like the
 * unacked records and the ack batcher it shares with the group.
 */
final class ShardDelivery {
  /** Records per delivered message. */
  static final int RECORDS_PER_MESSAGE_MAX = 500;

  /** Serialized record bytes per message (a single larger record still goes alone). */
  static final long MESSAGE_BYTES_TARGET = 1L << 20;

  private final String id;
  private final MultiVersionStore store;
  private final UnackedRecords unacked;
  private final AckBatcher acks;
  private final TreeMap<Long, ShardCursor> shards = new TreeMap<>();
  /** Set by {@link #start}; null before. */
  private Subscription subscription;

  /**
   * @param id the subscription's id (names its progress keys)
   * @param store the local store the records and durable progress are read from
   * @param unacked the group's unacked records (delivery adds and redelivers, acks remove)
   * @param acks the group's pending acks (their records are not delivered again)
   */
  ShardDelivery(String id, MultiVersionStore store, UnackedRecords unacked, AckBatcher acks) {
    this.id = Objects.requireNonNull(id, "id");
    this.store = Objects.requireNonNull(store, "store");
    this.unacked = Objects.requireNonNull(unacked, "unacked");
    this.acks = Objects.requireNonNull(acks, "acks");
  }

  /**
   * Sets the loaded subscription (its stream, ack timeout and max_unacked_records); {@link
   * #refreshFromStore} and {@link #deliver} need it.
   */
  void start(Subscription loaded) {
    this.subscription = Objects.requireNonNull(loaded, "loaded");
  }

  /** The cursor of {@code info}'s shard, made if new, with the metadata's parents and closed flag. */
  ShardCursor cursorOf(ShardInfo info) {
    ShardCursor cursor = shards.computeIfAbsent(info.getId(), ShardCursor::new);
    cursor.parents = List.copyOf(info.getParentIdsList());
    cursor.closedInMetadata = info.getClosed();
    return cursor;
  }

  /** The cursor of shard {@code shardId}, or null when the metadata read has no such shard. */
  ShardCursor cursor(long shardId) {
    return shards.get(shardId);
  }

  /** Every cursor, in shard id order (a read-only view). */
  Collection<ShardCursor> cursors() {
    return Collections.unmodifiableCollection(shards.values());
  }

  /** The shard ids known, ascending. */
  List<Long> shardIds() {
    return new ArrayList<>(shards.keySet());
  }

  /** The shards still to deliver: progress known and not finished, ascending. */
  List<Long> liveShards() {
    List<Long> live = new ArrayList<>();
    for (ShardCursor cursor : shards.values()) {
      if (cursor.progress != null && !cursor.finished()) {
        live.add(cursor.shardId);
      }
    }
    return live;
  }

  /** Whether every parent of {@code cursor}'s shard that this group knows is finished. */
  boolean parentsFinished(ShardCursor cursor) {
    for (long parentId : cursor.parents) {
      ShardCursor parent = shards.get(parentId);
      if (parent != null && !parent.finished()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Merges durable progress (from an ack transaction's post-state, the store or a read through
   * the log) into the cursor; records it acknowledges stop being unacked, and the read position
   * moves past the floor.
   */
  void setProgress(ShardCursor cursor, SubscriptionProgress durable) {
    if (cursor.progress == null) {
      cursor.progress = new Progress(durable.getFloor(), durable.getAckedList());
      cursor.next = Math.max(cursor.next, cursor.progress.floor());
      unacked.removeAcked(cursor.shardId, cursor.progress);
    } else if (cursor.progress.merge(durable.getFloor(), durable.getAckedList())) {
      // Acks from elsewhere (a client's transaction, another gateway) may pass the read position.
      cursor.next = Math.max(cursor.next, cursor.progress.floor());
      unacked.removeAcked(cursor.shardId, cursor.progress);
    }
  }

  /**
   * Adds acks known to be durable although their transaction's post-state did not carry the
   * shard's progress; records they cover stop being unacked.
   */
  void ackDurably(ShardCursor cursor, Collection<Long> offsets) {
    if (cursor.progress != null && cursor.progress.ack(offsets)) {
      unacked.removeAcked(cursor.shardId, cursor.progress);
    }
  }

  /**
   * Records of the subscription's shards, as the store holds them now, that are not acknowledged
   * (delivered or not): per shard, {@code [max(start, floor), end)} less the acked offsets.
   */
  long backlog() {
    long total = 0;
    for (ShardCursor cursor : shards.values()) {
      long first = Math.max(cursor.start, cursor.progress == null ? 0 : cursor.progress.floor());
      if (first >= cursor.end) {
        continue;
      }
      long pending = cursor.end - first;
      if (cursor.progress != null) {
        pending -= cursor.progress.acked().subSet(first, true, cursor.end, false).size();
      }
      total += Math.max(0, pending);
    }
    return total;
  }

  /**
   * Updates every unfinished cursor from the local store: the shard's start, materialized end and
   * seal, and with {@code readProgress} the durable progress (which brings in acks written by
   * clients' own transactions or by other gateways).
   *
   * @return whether the store shows a shard sealed that the metadata read here says is open (a
   *     split or merge to learn about by reading the metadata again)
   */
  boolean refreshFromStore(boolean readProgress) {
    boolean sealedUnknown = false;
    for (ShardCursor cursor : shards.values()) {
      if (cursor.finished()) {
        // Sealed and fully acked: nothing about it can change any more.
        continue;
      }
      Optional<ShardProgressView> view = store.shardState(subscription.getStream(), cursor.shardId);
      if (view.isPresent()) {
        cursor.start = view.get().startOffset();
        cursor.end = view.get().end();
        cursor.closed = view.get().closed();
        if (cursor.closed && !cursor.closedInMetadata) {
          sealedUnknown = true;
        }
      }
      if (readProgress) {
        Optional<Value> durable = store.getLatest(StreamKeys.progress(id, cursor.shardId));
        if (durable.isPresent() && durable.get().hasProgress()) {
          setProgress(cursor, durable.get().getProgress());
        }
      }
    }
    return sealedUnknown;
  }

  /**
   * Sends one message of {@code cursor}'s records to {@code session}: due redeliveries first,
   * then new records while the subscription is under max_unacked_records. Returns whether a
   * message was sent.
   *
   * @param nowNanos the clock reading that decides what is due and the new deadlines
   */
  boolean deliver(ShardCursor cursor, ConsumerSession session, long nowNanos) {
    long budget = Math.min(RECORDS_PER_MESSAGE_MAX, session.remaining());
    if (budget <= 0) {
      return false;
    }
    long ackTimeoutNanos = TimeUnit.SECONDS.toNanos(subscription.getAckTimeoutSeconds());
    StreamingFetchResponse.Builder message = StreamingFetchResponse.newBuilder();
    long bytes = 0;
    long dueFrom = 0;
    while (message.getRecordsCount() < budget && bytes < MESSAGE_BYTES_TARGET) {
      OptionalLong due = unacked.nextDue(cursor.shardId, dueFrom, nowNanos);
      if (due.isEmpty()) {
        break;
      }
      long offset = due.getAsLong();
      dueFrom = offset + 1;
      List<ShardRecordEntry> read =
          store.readShard(
              subscription.getStream(),
              cursor.shardId,
              offset,
              1,
              Math.max(1, MESSAGE_BYTES_TARGET - bytes));
      if (read.isEmpty() || read.get(0).offset() != offset) {
        // Trimmed since it was delivered: there is nothing left to redeliver.
        unacked.remove(cursor.shardId, offset);
        continue;
      }
      unacked.redeliver(cursor.shardId, offset, nowNanos + ackTimeoutNanos, session.name());
      ReceivedRecord record = ShardReads.received(cursor.shardId, read.get(0));
      message.addRecords(record);
      bytes += record.getSerializedSize();
    }
    int max = subscription.getMaxUnackedRecords();
    while (unacked.count() < max
        && message.getRecordsCount() < budget
        && bytes < MESSAGE_BYTES_TARGET) {
      long from = Math.max(cursor.next, cursor.start);
      if (from >= cursor.end) {
        break;
      }
      int want = (int) Math.min(budget - message.getRecordsCount(), max - unacked.count());
      List<ShardRecordEntry> entries =
          store.readShard(
              subscription.getStream(),
              cursor.shardId,
              from,
              Math.min(want, MultiVersionStore.SHARD_READ_LIMIT_MAX),
              Math.max(1, MESSAGE_BYTES_TARGET - bytes));
      if (entries.isEmpty()) {
        break;
      }
      for (ShardRecordEntry entry : entries) {
        cursor.next = entry.offset() + 1;
        // The store may have materialized past the end read at the start of this pump: a record
        // delivered is a record that exists, so its ack must be accepted.
        cursor.end = Math.max(cursor.end, entry.offset() + 1);
        if (cursor.progress.isAcked(entry.offset())
            || acks.contains(cursor.shardId, entry.offset())
            || unacked.contains(cursor.shardId, entry.offset())) {
          continue;
        }
        ReceivedRecord record = ShardReads.received(cursor.shardId, entry);
        unacked.add(cursor.shardId, entry.offset(), nowNanos + ackTimeoutNanos, session.name());
        message.addRecords(record);
        bytes += record.getSerializedSize();
      }
    }
    if (message.getRecordsCount() == 0) {
      return false;
    }
    return session.send(message.build());
  }

}
