package io.ordo.gateway.streams;

import static io.ordo.gateway.streams.StreamMetadataReader.delete;
import static io.ordo.gateway.streams.StreamMetadataReader.nameList;
import static io.ordo.gateway.streams.StreamMetadataReader.put;
import static io.ordo.gateway.streams.StreamStatuses.ATTEMPTS_MAX;
import static io.ordo.gateway.streams.StreamStatuses.await;
import static io.ordo.gateway.streams.StreamStatuses.gaveUp;
import static io.ordo.gateway.streams.StreamStatuses.requireAssertFailed;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.core.Validation;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.GetStreamRequest;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.Outcome;
import io.ordo.proto.Stream;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.sequencer.TopicLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The streams themselves: CreateStream, GetStream, ListStreams and DeleteStream over the stream
 * catalog ({@code \u0000ordo/streams}, a sorted name list) and each stream's metadata key ({@code
 * \u0000ordo/stream/<name>}).
 *
 * <p>Create and delete are OLLP transactions (ARCHITECTURE.md, "Streams, shards and
 * subscriptions"): read the keys with a Get transaction, plan, then run a transaction that asserts
 * the exact values read and writes the new ones; when an assert fails (someone changed them
 * meanwhile) the read and plan are repeated, at most {@value StreamStatuses#ATTEMPTS_MAX} times,
 * then UNAVAILABLE. A create writes the catalog, the metadata and every shard key at once; a
 * delete removes them and, with {@code force}, the stream's subscriptions and their progress keys
 * too, in one transaction (FAILED_PRECONDITION when that exceeds opsPerTxnMax). After either
 * commits, {@code catalogChanged} runs.
 *
 * <p>Every method blocks on transactions (run it on the unary pool, under the caller's gRPC
 * context) and fails with the statuses of {@link StreamStatuses}: INVALID_ARGUMENT, NOT_FOUND,
 * ALREADY_EXISTS (CreateStream of an existing name), FAILED_PRECONDITION (more than {@value
 * #STREAMS_MAX} streams; subscriptions on a stream deleted without force), UNAVAILABLE.
 * Thread-safe (no state of its own).
 */
final class StreamCatalog {
  /** Most shards a stream is created with. */
  static final int SHARD_COUNT_MAX = 1024;

  /** Most streams (the catalog is one value). */
  static final int STREAMS_MAX = 10_000;

  /** Largest retention, in seconds (100 years). */
  static final long RETENTION_SECONDS_MAX = 100L * 365 * 24 * 3600;

  /** Most stream keys one ListStreams transaction reads. */
  static final int LIST_BATCH_MAX = 1_000;

  private final TxnRunner runner;
  private final StreamMetadataReader reader;
  private final Limits limits;
  private final TopicLayout topics;
  private final Runnable catalogChanged;

  /**
   * @param runner runs transactions through the log
   * @param reader reads and caches stream metadata (a create or delete updates its cache)
   * @param limits request bounds (a delete's transaction: opsPerTxnMax)
   * @param topics names the ingest topics ({@code <prefix>-ingest-<stream>}) a Stream reports
   * @param catalogChanged called after a stream was created or deleted; must not block
   */
  StreamCatalog(
      TxnRunner runner,
      StreamMetadataReader reader,
      Limits limits,
      TopicLayout topics,
      Runnable catalogChanged) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.catalogChanged = Objects.requireNonNull(catalogChanged, "catalogChanged");
  }

  /**
   * CreateStream: {@code shard_count} open shards (0 means 1, at most {@value #SHARD_COUNT_MAX})
   * splitting the MD5 space evenly, retention {@code retention_seconds} (0 = forever).
   */
  Stream createStream(CreateStreamRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String name = request.getName();
    Validation.checkName(name, "name");
    int shardCount = request.getShardCount() == 0 ? 1 : request.getShardCount();
    if (shardCount < 1 || shardCount > SHARD_COUNT_MAX) {
      throw new IllegalArgumentException(
          "shard_count must be in [1, " + SHARD_COUNT_MAX + "] (0 means 1), got "
              + request.getShardCount());
    }
    if (request.getRetentionSeconds() < 0 || request.getRetentionSeconds() > RETENTION_SECONDS_MAX) {
      throw new IllegalArgumentException(
          "retention_seconds must be in [0, " + RETENTION_SECONDS_MAX + "] (0 keeps records"
              + " forever), got " + request.getRetentionSeconds());
    }
    StreamMetadata.Builder metadata =
        StreamMetadata.newBuilder()
            .setName(name)
            .setRetentionSeconds(request.getRetentionSeconds())
            .setNextShardId(shardCount)
            .setVersion(1);
    List<ByteString[]> ranges = HashRanges.evenSplit(shardCount);
    for (int i = 0; i < shardCount; i++) {
      metadata.addShards(
          ShardInfo.newBuilder().setId(i).setStartHash(ranges.get(i)[0]).setEndHash(ranges.get(i)[1]));
    }
    StreamMetadata created = metadata.build();
    String catalogKey = StreamKeys.streamCatalog();
    String streamKey = StreamKeys.stream(name);
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      StreamMetadataReader.KeyValues read = await(reader.get(List.of(catalogKey, streamKey)));
      if (read.get(streamKey).isPresent()) {
        throw Status.ALREADY_EXISTS
            .withDescription("stream '" + name + "' already exists")
            .asRuntimeException();
      }
      List<String> names = new ArrayList<>(StreamMetadataReader.names(read.get(catalogKey)));
      int at = Collections.binarySearch(names, name);
      if (at < 0) {
        names.add(-at - 1, name);
      }
      if (names.size() > STREAMS_MAX) {
        throw Status.FAILED_PRECONDITION
            .withDescription("there are already " + STREAMS_MAX + " streams (the most allowed)")
            .asRuntimeException();
      }
      Transaction.Builder txn =
          Transaction.newBuilder()
              .setId(TxnRunner.newTxnId())
              .addOps(StreamMetadataReader.assertUnchanged(catalogKey, read.get(catalogKey)))
              .addOps(StreamMetadataReader.assertUnchanged(streamKey, Optional.empty()))
              .addOps(put(catalogKey, nameList(names)))
              .addOps(put(streamKey, StreamMetadataReader.valueOf(created)));
      for (ShardInfo shard : created.getShardsList()) {
        txn.addOps(
            put(StreamKeys.shard(name, shard.getId()), StreamShards.emptyShard(name, shard.getId())));
      }
      TxnResult result = StreamStatuses.run(runner, txn.build());
      if (result.getOutcome() == Outcome.COMMITTED) {
        reader.remember(
            StreamMetadataReader.snapshotOf(
                name, Optional.of(StreamMetadataReader.valueOf(created)), result.getPosition()));
        catalogChanged.run();
        return toStream(created);
      }
      requireAssertFailed(result);
    }
    throw gaveUp("creating stream '" + name + "'");
  }

  /** GetStream: the stream as read through the log now (NOT_FOUND when it does not exist). */
  Stream getStream(GetStreamRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    Validation.checkName(request.getName(), "name");
    return toStream(await(reader.read(request.getName())).require());
  }

  /**
   * ListStreams: the streams whose names start with {@code prefix}, in name order, their metadata
   * read {@value #LIST_BATCH_MAX} keys per transaction.
   */
  ListStreamsResponse listStreams(ListStreamsRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String prefix = request.getPrefix();
    String catalogKey = StreamKeys.streamCatalog();
    StreamMetadataReader.KeyValues catalog = await(reader.get(List.of(catalogKey)));
    List<String> keys = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (String name : StreamMetadataReader.names(catalog.get(catalogKey))) {
      if (name.startsWith(prefix)) {
        names.add(name);
        keys.add(StreamKeys.stream(name));
      }
    }
    ListStreamsResponse.Builder response = ListStreamsResponse.newBuilder();
    // A stream deleted between the catalog read and its metadata read is left out: the
    // answer is the catalog as of the first read, minus what vanished since.
    for (int from = 0; from < keys.size(); from += LIST_BATCH_MAX) {
      List<String> batch = keys.subList(from, Math.min(keys.size(), from + LIST_BATCH_MAX));
      StreamMetadataReader.KeyValues values = await(reader.get(batch));
      for (int i = 0; i < batch.size(); i++) {
        Optional<Value> value = values.get(batch.get(i));
        if (value.isPresent()) {
          response.addStreams(
              toStream(StreamMetadataReader.parse(names.get(from + i), value.get())));
        }
      }
    }
    return response.build();
  }

  /**
   * DeleteStream: removes the stream from the catalog with its metadata and shard keys (its
   * records stay in the changelog; the stores drop them with the shard keys), and with {@code
   * force} its subscriptions; {@code ignore_missing} answers {@code existed = false} instead of
   * NOT_FOUND.
   */
  DeleteStreamResponse deleteStream(DeleteStreamRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String name = request.getName();
    Validation.checkName(name, "name");
    String catalogKey = StreamKeys.streamCatalog();
    String streamKey = StreamKeys.stream(name);
    String subsKey = StreamKeys.subscriptionCatalog();
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      StreamMetadataReader.KeyValues read =
          await(reader.get(List.of(catalogKey, streamKey, subsKey)));
      if (read.get(streamKey).isEmpty()) {
        reader.invalidate(name);
        if (request.getIgnoreMissing()) {
          return DeleteStreamResponse.newBuilder()
              .setExisted(false)
              .setPosition(read.position())
              .build();
        }
        throw Status.NOT_FOUND
            .withDescription("stream '" + name + "' does not exist")
            .asRuntimeException();
      }
      StreamMetadata metadata = StreamMetadataReader.parse(name, read.get(streamKey).get());
      if (metadata.getSubscriptionsCount() > 0 && !request.getForce()) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "stream '" + name + "' has subscriptions " + metadata.getSubscriptionsList()
                    + "; delete them first or set force")
            .asRuntimeException();
      }
      List<String> names = new ArrayList<>(StreamMetadataReader.names(read.get(catalogKey)));
      names.remove(name);
      Transaction.Builder txn =
          Transaction.newBuilder()
              .setId(TxnRunner.newTxnId())
              .addOps(StreamMetadataReader.assertUnchanged(catalogKey, read.get(catalogKey)))
              .addOps(StreamMetadataReader.assertUnchanged(streamKey, read.get(streamKey)))
              .addOps(put(catalogKey, nameList(names)))
              .addOps(delete(streamKey));
      for (ShardInfo shard : metadata.getShardsList()) {
        txn.addOps(delete(StreamKeys.shard(name, shard.getId())));
      }
      if (metadata.getSubscriptionsCount() > 0) {
        List<String> subs = new ArrayList<>(StreamMetadataReader.names(read.get(subsKey)));
        subs.removeAll(metadata.getSubscriptionsList());
        txn.addOps(StreamMetadataReader.assertUnchanged(subsKey, read.get(subsKey)))
            .addOps(put(subsKey, nameList(subs)));
        for (String sub : metadata.getSubscriptionsList()) {
          txn.addOps(delete(StreamKeys.subscription(sub)));
          for (ShardInfo shard : metadata.getShardsList()) {
            txn.addOps(delete(StreamKeys.progress(sub, shard.getId())));
          }
        }
      }
      if (txn.getOpsCount() > limits.opsPerTxnMax()) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "deleting stream '" + name + "' takes " + txn.getOpsCount()
                    + " operations; at most " + limits.opsPerTxnMax()
                    + " fit one transaction (opsPerTxnMax)")
            .asRuntimeException();
      }
      TxnResult result = StreamStatuses.run(runner, txn.build());
      if (result.getOutcome() == Outcome.COMMITTED) {
        reader.invalidate(name);
        catalogChanged.run();
        return DeleteStreamResponse.newBuilder()
            .setExisted(true)
            .setPosition(result.getPosition())
            .build();
      }
      requireAssertFailed(result);
    }
    throw gaveUp("deleting stream '" + name + "'");
  }

  private Stream toStream(StreamMetadata metadata) {
    return Stream.newBuilder()
        .setName(metadata.getName())
        .setShardCount(StreamMetadataReader.openShards(metadata).size())
        .setRetentionSeconds(metadata.getRetentionSeconds())
        .setIngestTopic(IngestTopics.topic(topics, metadata.getName()))
        .build();
  }
}
