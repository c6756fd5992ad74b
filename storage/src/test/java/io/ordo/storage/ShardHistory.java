package io.ordo.storage;

import com.google.protobuf.ByteString;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Header;
import io.ordo.proto.Position;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Writes the changelog of stream shard keys as the executor does (a test double of its stream
 * operations, kept deliberately simple): every operation is one commit at the next position, the
 * shard key's key range is {@code shardId % keyRanges} with gapless LSNs, {@code before} is the
 * stored state (without records), {@code after} the new version (with this append's records
 * only). Also a model of what the store should hold: every record ever appended, by shard.
 */
final class ShardHistory {
  private final int keyRanges;
  private final long[] lsns;
  /** (stream/shard) → stored state (without appended records). */
  private final TreeMap<String, ShardState> states = new TreeMap<>();
  /** (stream/shard) → every record appended since the shard was (re)created, by offset. */
  private final TreeMap<String, List<ShardRecordEntry>> logs = new TreeMap<>();
  private final List<ChangelogRecord> all = new ArrayList<>();
  private long ts;
  private long logOffset;

  ShardHistory(int keyRanges, long firstTs) {
    this.keyRanges = keyRanges;
    this.lsns = new long[keyRanges];
    this.ts = firstTs;
  }

  static String key(String stream, long shardId) {
    return "\u0000ordo/shard/" + stream + "/" + shardId;
  }

  /** Moves log time forward by {@code ms} (0 keeps it: several commits in one millisecond). */
  ShardHistory tick(long ms) {
    ts += ms;
    return this;
  }

  long ts() {
    return ts;
  }

  ChangelogRecord create(String stream, long shardId) {
    ShardState s = ShardState.newBuilder().setStream(stream).setShardId(shardId).build();
    logs.put(key(stream, shardId), new ArrayList<>());
    return commit(stream, shardId, Optional.of(s), s);
  }

  ChangelogRecord append(String stream, long shardId, StreamRecord... records) {
    ShardState old = state(stream, shardId);
    Position p = nextPosition();
    List<ShardRecordEntry> log = logs.get(key(stream, shardId));
    for (int i = 0; i < records.length; i++) {
      log.add(new ShardRecordEntry(old.getNextOffset() + i, p, records[i]));
    }
    ShardState after =
        old.toBuilder()
            .setNextOffset(old.getNextOffset() + records.length)
            .addAllAppended(List.of(records))
            .build();
    return commitAt(p, stream, shardId, Optional.of(after), after.toBuilder().clearAppended().build());
  }

  ChangelogRecord trim(String stream, long shardId, long beforeOffset) {
    ShardState old = state(stream, shardId);
    long start = Math.max(old.getStartOffset(), Math.min(beforeOffset, old.getNextOffset()));
    ShardState after = old.toBuilder().setStartOffset(start).build();
    return commit(stream, shardId, Optional.of(after), after);
  }

  ChangelogRecord seal(String stream, long shardId) {
    ShardState after = state(stream, shardId).toBuilder().setClosed(true).build();
    return commit(stream, shardId, Optional.of(after), after);
  }

  ChangelogRecord delete(String stream, long shardId) {
    state(stream, shardId);
    logs.remove(key(stream, shardId));
    return commit(stream, shardId, Optional.empty(), null);
  }

  /** Every changelog record written so far, in commit order. */
  List<ChangelogRecord> all() {
    return List.copyOf(all);
  }

  /** What the store should hold of a shard: its records at or above its start offset. */
  List<ShardRecordEntry> expectedRecords(String stream, long shardId) {
    List<ShardRecordEntry> log = logs.get(key(stream, shardId));
    if (log == null) {
      return List.of();
    }
    long start = states.get(key(stream, shardId)).getStartOffset();
    return log.stream().filter(e -> e.offset() >= start).toList();
  }

  /** What {@link MultiVersionStore#shardState} should say of a shard. */
  Optional<ShardProgressView> expectedState(String stream, long shardId) {
    ShardState s = states.get(key(stream, shardId));
    return s == null
        ? Optional.empty()
        : Optional.of(new ShardProgressView(s.getStartOffset(), s.getNextOffset(), s.getClosed()));
  }

  ShardState state(String stream, long shardId) {
    ShardState s = states.get(key(stream, shardId));
    if (s == null) {
      throw new IllegalStateException("no shard " + key(stream, shardId));
    }
    return s;
  }

  private Position nextPosition() {
    return Position.newBuilder().setTs(ts).setPartition(0).setOffset(logOffset++).build();
  }

  private ChangelogRecord commit(
      String stream, long shardId, Optional<ShardState> after, ShardState stored) {
    return commitAt(nextPosition(), stream, shardId, after, stored);
  }

  private ChangelogRecord commitAt(
      Position p, String stream, long shardId, Optional<ShardState> after, ShardState stored) {
    String key = key(stream, shardId);
    int kr = (int) (shardId % keyRanges);
    ChangelogRecord.Builder r =
        ChangelogRecord.newBuilder()
            .setKey(key)
            .setPosition(p)
            .setTxnId("t-" + p.getOffset())
            .setKeyRange(kr)
            .setLsn(++lsns[kr]);
    ShardState before = states.get(key);
    if (before != null) {
      r.setBefore(Value.newBuilder().setShard(before));
    }
    after.ifPresent(a -> r.setAfter(Value.newBuilder().setShard(a)));
    if (stored == null) {
      states.remove(key);
    } else {
      states.put(key, stored);
    }
    ChangelogRecord out = r.build();
    all.add(out);
    return out;
  }

  static StreamRecord raw(String partitionKey, String payload) {
    return StreamRecord.newBuilder()
        .setPartitionKey(partitionKey)
        .addHeaders(Header.newBuilder().setKey("h").setValue(ByteString.copyFromUtf8(payload)))
        .setRaw(ByteString.copyFromUtf8(payload))
        .build();
  }

  static StreamRecord json(String partitionKey, String json) {
    return StreamRecord.newBuilder().setPartitionKey(partitionKey).setJson(json).build();
  }
}
