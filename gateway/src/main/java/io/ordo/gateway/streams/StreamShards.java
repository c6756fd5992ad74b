package io.ordo.gateway.streams;

import static io.ordo.gateway.streams.StreamStatuses.ATTEMPTS_MAX;
import static io.ordo.gateway.streams.StreamStatuses.await;
import static io.ordo.gateway.streams.StreamStatuses.checkShardId;
import static io.ordo.gateway.streams.StreamStatuses.gaveUp;
import static io.ordo.gateway.streams.StreamStatuses.requireOpenShard;
import static io.ordo.gateway.streams.StreamStatuses.unexpectedAbort;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.core.Validation;
import io.ordo.proto.AbortReason;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.LookupShardRequest;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.SealShard;
import io.ordo.proto.Shard;
import io.ordo.proto.ShardState;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Transaction;
import io.ordo.proto.TrimShard;
import io.ordo.proto.TrimShardRequest;
import io.ordo.proto.TrimShardResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The shards of a stream: their states read through the log (ListShards, LookupShard, and the
 * reads' notion of where a shard ends "now"), and the changes of the shard set (SplitShard,
 * MergeShards) and of a shard's start (TrimShard).
 *
 * <p>A split or merge is one OLLP transaction (ARCHITECTURE.md, "Streams, shards and
 * subscriptions"): assert the metadata read, write the new metadata, seal the parent(s), create
 * the children (empty, offsets from 0). When the assert fails, or a parent was sealed or deleted
 * meanwhile, the metadata is re-read and the change planned again, at most {@value
 * StreamStatuses#ATTEMPTS_MAX} times, then UNAVAILABLE. New shard ids come from the metadata's
 * {@code next_shard_id}, so they are never reused.
 *
 * <p>Every method blocks on transactions (run it on the unary pool, under the caller's gRPC
 * context) and fails with the statuses of {@link StreamStatuses}: INVALID_ARGUMENT (bad input),
 * NOT_FOUND (no such stream or shard), FAILED_PRECONDITION (a closed shard, shards that are not
 * adjacent, a single-hash shard to split), UNAVAILABLE (attempts exhausted). Thread-safe (no
 * state of its own; the reader's cache is thread-safe).
 */
final class StreamShards {
  private final TxnRunner runner;
  private final StreamMetadataReader reader;
  private final Limits limits;

  /**
   * @param runner runs transactions through the log
   * @param reader reads and caches stream metadata
   * @param limits request bounds (a LookupShard partition key: keyBytesMax)
   */
  StreamShards(TxnRunner runner, StreamMetadataReader reader, Limits limits) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** The metadata reader these shards are read with (shared with the reads). */
  StreamMetadataReader reader() {
    return reader;
  }

  /**
   * A stream's metadata and the state of every shard it names, read in one transaction.
   *
   * @param snapshot the metadata as read by that transaction
   * @param states shard id → state (a shard key missing although the metadata names it is left
   *     out)
   */
  record ShardStates(StreamMetadataReader.Snapshot snapshot, Map<Long, ShardState> states) {
    StreamMetadata metadata() {
      return snapshot.require();
    }

    Position position() {
      return snapshot.position();
    }
  }

  /**
   * Reads {@code stream}'s metadata and the states of all its shards in one Get transaction
   * (planned with the cached metadata; repeated with the metadata it read when that was stale).
   * NOT_FOUND status when the stream does not exist.
   */
  ShardStates readShardStates(String stream) {
    StreamMetadataReader.Snapshot planned = await(reader.cachedOrRead(stream));
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      StreamMetadata metadata = planned.require();
      String streamKey = StreamKeys.stream(stream);
      List<String> keys = new ArrayList<>();
      keys.add(streamKey);
      for (ShardInfo shard : metadata.getShardsList()) {
        keys.add(StreamKeys.shard(stream, shard.getId()));
      }
      StreamMetadataReader.KeyValues read = await(reader.get(keys));
      StreamMetadataReader.Snapshot now =
          StreamMetadataReader.snapshotOf(stream, read.get(streamKey), read.position());
      reader.remember(now);
      if (now.raw().equals(planned.raw())) {
        Map<Long, ShardState> states = new TreeMap<>();
        for (ShardInfo shard : metadata.getShardsList()) {
          read.get(StreamKeys.shard(stream, shard.getId()))
              .filter(v -> v.getKindCase() == Value.KindCase.SHARD)
              .ifPresent(v -> states.put(shard.getId(), v.getShard()));
        }
        return new ShardStates(now, states);
      }
      planned = now;
    }
    throw gaveUp("reading the shards of stream '" + stream + "'");
  }

  /** ListShards: every shard the stream has had, with its state, and where they were read. */
  ListShardsResponse listShards(ListShardsRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    Validation.checkName(request.getStream(), "stream");
    ShardStates read = readShardStates(request.getStream());
    ListShardsResponse.Builder response =
        ListShardsResponse.newBuilder().setPosition(read.position());
    for (ShardInfo shard : read.metadata().getShardsList()) {
      response.addShards(toShard(request.getStream(), shard, read.states().get(shard.getId())));
    }
    return response.build();
  }

  /** LookupShard: the open shard that records with the request's partition key go to now. */
  Shard lookupShard(LookupShardRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    Validation.checkName(request.getStream(), "stream");
    if (!request.getPartitionKey().isEmpty()) {
      Validation.checkKey(request.getPartitionKey(), "partition_key", limits);
    }
    ShardStates read = readShardStates(request.getStream());
    ShardInfo shard = StreamMetadataReader.route(read.metadata(), request.getPartitionKey());
    return toShard(request.getStream(), shard, read.states().get(shard.getId()));
  }

  /**
   * SplitShard: closes an open shard and creates two children that split its hash range at
   * {@code at_hash} (default: the middle), the left one ending right before it.
   */
  SplitShardResponse splitShard(SplitShardRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String stream = request.getStream();
    Validation.checkName(stream, "stream");
    checkShardId(request.getShardId(), "shard_id");
    Optional<ByteString> requestedAt =
        request.getAtHash().isEmpty()
            ? Optional.empty()
            : Optional.of(HashRanges.parseHex(request.getAtHash(), "at_hash"));
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      StreamMetadataReader.Snapshot snapshot = await(reader.read(stream));
      StreamMetadata metadata = snapshot.require();
      ShardInfo parent = requireOpenShard(metadata, request.getShardId());
      BigInteger start = HashRanges.toBigInteger(parent.getStartHash());
      BigInteger end = HashRanges.toBigInteger(parent.getEndHash());
      if (start.equals(end)) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "shard " + parent.getId() + " of stream '" + stream
                    + "' covers a single hash and cannot be split")
            .asRuntimeException();
      }
      ByteString at =
          requestedAt.orElseGet(() -> HashRanges.middle(parent.getStartHash(), parent.getEndHash()));
      BigInteger atValue = HashRanges.toBigInteger(at);
      if (atValue.compareTo(start) <= 0 || atValue.compareTo(end) > 0) {
        throw new IllegalArgumentException(
            "at_hash must lie in (" + HashRanges.hex(parent.getStartHash()) + ", "
                + HashRanges.hex(parent.getEndHash()) + "], the range of shard " + parent.getId()
                + " without its first hash; got " + request.getAtHash());
      }
      long leftId = metadata.getNextShardId();
      long rightId = leftId + 1;
      ShardInfo left =
          ShardInfo.newBuilder()
              .setId(leftId)
              .setStartHash(parent.getStartHash())
              .setEndHash(HashRanges.toBytes(atValue.subtract(BigInteger.ONE)))
              .addParentIds(parent.getId())
              .build();
      ShardInfo right =
          ShardInfo.newBuilder()
              .setId(rightId)
              .setStartHash(at)
              .setEndHash(parent.getEndHash())
              .addParentIds(parent.getId())
              .build();
      StreamMetadata.Builder next = metadata.toBuilder().clearShards();
      for (ShardInfo shard : metadata.getShardsList()) {
        next.addShards(
            shard.getId() == parent.getId()
                ? shard.toBuilder().setClosed(true).addChildIds(leftId).addChildIds(rightId).build()
                : shard);
      }
      StreamMetadata changed =
          next.addShards(left)
              .addShards(right)
              .setNextShardId(rightId + 1)
              .setVersion(metadata.getVersion() + 1)
              .build();
      TxnResult result =
          runChange(stream, snapshot, changed, List.of(parent.getId()), List.of(leftId, rightId));
      if (result != null) {
        return SplitShardResponse.newBuilder()
            .addChildren(toShard(stream, left, emptyShard(stream, leftId).getShard()))
            .addChildren(toShard(stream, right, emptyShard(stream, rightId).getShard()))
            .setPosition(result.getPosition())
            .build();
      }
    }
    throw gaveUp("splitting shard " + request.getShardId() + " of stream '" + stream + "'");
  }

  /**
   * MergeShards: closes two open shards with adjacent hash ranges (left the lower) and creates
   * one child covering both.
   */
  MergeShardsResponse mergeShards(MergeShardsRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String stream = request.getStream();
    Validation.checkName(stream, "stream");
    checkShardId(request.getLeft(), "left");
    checkShardId(request.getRight(), "right");
    if (request.getLeft() == request.getRight()) {
      throw new IllegalArgumentException("left and right are the same shard " + request.getLeft());
    }
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      StreamMetadataReader.Snapshot snapshot = await(reader.read(stream));
      StreamMetadata metadata = snapshot.require();
      ShardInfo left = requireOpenShard(metadata, request.getLeft());
      ShardInfo right = requireOpenShard(metadata, request.getRight());
      BigInteger leftEnd = HashRanges.toBigInteger(left.getEndHash());
      if (!leftEnd.add(BigInteger.ONE).equals(HashRanges.toBigInteger(right.getStartHash()))) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "shards " + left.getId() + " and " + right.getId() + " of stream '" + stream
                    + "' are not adjacent: left ends at " + HashRanges.hex(left.getEndHash())
                    + ", right starts at " + HashRanges.hex(right.getStartHash())
                    + " (left must be the lower range, ending right before right starts)")
            .asRuntimeException();
      }
      long childId = metadata.getNextShardId();
      ShardInfo child =
          ShardInfo.newBuilder()
              .setId(childId)
              .setStartHash(left.getStartHash())
              .setEndHash(right.getEndHash())
              .addParentIds(left.getId())
              .addParentIds(right.getId())
              .build();
      StreamMetadata.Builder next = metadata.toBuilder().clearShards();
      for (ShardInfo shard : metadata.getShardsList()) {
        boolean parent = shard.getId() == left.getId() || shard.getId() == right.getId();
        next.addShards(parent ? shard.toBuilder().setClosed(true).addChildIds(childId).build() : shard);
      }
      StreamMetadata changed =
          next.addShards(child)
              .setNextShardId(childId + 1)
              .setVersion(metadata.getVersion() + 1)
              .build();
      TxnResult result =
          runChange(stream, snapshot, changed, List.of(left.getId(), right.getId()), List.of(childId));
      if (result != null) {
        return MergeShardsResponse.newBuilder()
            .setChild(toShard(stream, child, emptyShard(stream, childId).getShard()))
            .setPosition(result.getPosition())
            .build();
      }
    }
    throw gaveUp(
        "merging shards " + request.getLeft() + " and " + request.getRight() + " of stream '"
            + stream + "'");
  }

  /**
   * Runs a split or merge: assert the metadata read, put the changed metadata, seal the parents,
   * create the children. Returns the committed result, or null when the metadata changed meanwhile
   * (the caller re-reads and plans again).
   */
  private TxnResult runChange(
      String stream,
      StreamMetadataReader.Snapshot read,
      StreamMetadata changed,
      List<Long> parents,
      List<Long> children) {
    String streamKey = StreamKeys.stream(stream);
    Transaction.Builder txn =
        Transaction.newBuilder()
            .setId(TxnRunner.newTxnId())
            .addOps(StreamMetadataReader.assertUnchanged(streamKey, read.raw()))
            .addOps(StreamMetadataReader.put(streamKey, StreamMetadataReader.valueOf(changed)));
    for (long parent : parents) {
      txn.addOps(
          Operation.newBuilder()
              .setKey(StreamKeys.shard(stream, parent))
              .setSealShard(SealShard.getDefaultInstance()));
    }
    for (long child : children) {
      txn.addOps(StreamMetadataReader.put(StreamKeys.shard(stream, child), emptyShard(stream, child)));
    }
    TxnResult result = StreamStatuses.run(runner, txn.build());
    if (result.getOutcome() == Outcome.COMMITTED) {
      reader.remember(
          StreamMetadataReader.snapshotOf(
              stream, Optional.of(StreamMetadataReader.valueOf(changed)), result.getPosition()));
      return result;
    }
    reader.invalidate(stream);
    if (result.getAbortReason() == AbortReason.ASSERT_FAILED
        || result.getAbortReason() == AbortReason.SHARD_CLOSED
        || result.getAbortReason() == AbortReason.NOT_FOUND) {
      return null;
    }
    throw unexpectedAbort(result);
  }

  /**
   * TrimShard: deletes the shard's records below {@code before_offset} (at most up to its next
   * offset; the start offset never moves back, so it is idempotent) and answers the start offset
   * after it.
   */
  TrimShardResponse trimShard(TrimShardRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String stream = request.getStream();
    Validation.checkName(stream, "stream");
    checkShardId(request.getShardId(), "shard_id");
    if (request.getBeforeOffset() < 0) {
      throw new IllegalArgumentException(
          "before_offset must be >= 0, got " + request.getBeforeOffset());
    }
    Transaction txn =
        Transaction.newBuilder()
            .setId(TxnRunner.newTxnId())
            .addOps(
                Operation.newBuilder()
                    .setKey(StreamKeys.shard(stream, request.getShardId()))
                    .setTrimShard(TrimShard.newBuilder().setBeforeOffset(request.getBeforeOffset())))
            .build();
    TxnResult result = StreamStatuses.run(runner, txn);
    if (result.getOutcome() == Outcome.ABORTED) {
      if (result.getAbortReason() == AbortReason.NOT_FOUND) {
        throw StreamStatuses.noSuchShard(stream, request.getShardId());
      }
      throw unexpectedAbort(result);
    }
    ShardState state = StreamStatuses.requirePostState(result, 0);
    return TrimShardResponse.newBuilder()
        .setStartOffset(state.getStartOffset())
        .setPosition(result.getPosition())
        .build();
  }

  /** The API view of a shard; {@code state} may be null (offsets then 0). */
  static Shard toShard(String stream, ShardInfo shard, ShardState state) {
    Shard.Builder out =
        Shard.newBuilder()
            .setStream(stream)
            .setId(shard.getId())
            .setStartHash(HashRanges.hex(shard.getStartHash()))
            .setEndHash(HashRanges.hex(shard.getEndHash()))
            .setState(shard.getClosed() ? Shard.State.CLOSED : Shard.State.OPEN)
            .addAllParentIds(shard.getParentIdsList())
            .addAllChildIds(shard.getChildIdsList());
    if (state != null) {
      out.setNextOffset(state.getNextOffset()).setStartOffset(state.getStartOffset());
    }
    return out.build();
  }

  /** The value of a new shard's key: open, no records, offsets from 0. */
  static Value emptyShard(String stream, long shardId) {
    return Value.newBuilder()
        .setShard(ShardState.newBuilder().setStream(stream).setShardId(shardId))
        .build();
  }
}
