package io.ordo.gateway.streams;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ordo.gateway.Limits;
import io.ordo.gateway.ingest.IngestBridge;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.core.Validation;
import io.ordo.proto.AbortReason;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.Delete;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.GetStreamRequest;
import io.ordo.proto.KeyRead;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.LookupShardRequest;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.RecordId;
import io.ordo.proto.SealShard;
import io.ordo.proto.Shard;
import io.ordo.proto.ShardState;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.Transaction;
import io.ordo.proto.TrimShard;
import io.ordo.proto.TrimShardRequest;
import io.ordo.proto.TrimShardResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.NameList;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.sequencer.TopicLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ordo.v1.Streams} gRPC service: streams, their shards and records, on top of
 * transactions through the log ({@link TxnRunner}) and, for reads, the gateway's local store
 * ({@link ShardReads}).
 *
 * <p><b>Metadata</b> (stream key {@code \u0000ordo/stream/<name>}, catalog {@code
 * \u0000ordo/streams}) changes by OLLP transactions: read the keys with a Get transaction, plan,
 * then run a transaction that asserts the exact values read and writes the new ones; when an
 * assert fails (someone changed them meanwhile) the read and plan are repeated, at most {@value
 * #ATTEMPTS_MAX} times, then UNAVAILABLE.
 *
 * <p><b>Appends</b> route each record to the open shard whose hash range holds MD5(partition
 * key), with cached metadata, as one transaction of one {@code StreamAppend} per shard (records
 * in request order): all or none. An abort with SHARD_CLOSED (a split or merge was sequenced
 * first) or NOT_FOUND re-reads the metadata and retries, at most {@value #ATTEMPTS_MAX} times,
 * then UNAVAILABLE; the retry's transaction id is the request's id plus {@code ".r<attempt>"}
 * (the first attempt's id is taken by the aborted entry), so client-chosen ids are at most
 * {@value #RETRY_ID_SUFFIX_MAX} characters shorter than txnIdLengthMax. An append with
 * expected_offset or shard_id is never moved to another shard: SHARD_CLOSED is
 * FAILED_PRECONDITION, and WRONG_EXPECTED_OFFSET is FAILED_PRECONDITION naming expected and
 * actual offsets.
 *
 * <p><b>Statuses</b>: INVALID_ARGUMENT (bad input, with the reason), NOT_FOUND (no such stream or
 * shard), ALREADY_EXISTS (CreateStream of an existing name; an id already sequenced),
 * FAILED_PRECONDITION (a closed shard, a wrong expected offset, subscriptions on a deleted stream
 * without force, reads on a gateway without a local store), RESOURCE_EXHAUSTED (too many calls
 * in progress), UNAVAILABLE (retries exhausted, the log unavailable), OUT_OF_RANGE (an append
 * whose offsets would pass 2^63 - 1), DEADLINE_EXCEEDED (as {@code OrdoService}).
 *
 * <p><b>Threads</b>: Append never blocks: it chains the metadata read, the transaction and its
 * retries as futures under the caller's gRPC context (deadline, cancellation), bounded by the
 * results listener's waiters. The other unary calls (metadata changes, rare) run on a pool of
 * {@value #UNARY_THREADS} threads (queue {@value #UNARY_QUEUE_MAX}; RESOURCE_EXHAUSTED past it)
 * under the caller's context and block on results, which the {@link TxnRunner} completes on its
 * own executor, never on this pool. Reads are served by {@link ShardReads}.
 */
public final class StreamsService extends StreamsGrpc.StreamsImplBase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsService.class);

  /** Most shards a stream is created with. */
  public static final int SHARD_COUNT_MAX = 1024;

  /** Most streams (the catalog is one value). */
  public static final int STREAMS_MAX = 10_000;

  /** Largest retention, in seconds (100 years). */
  public static final long RETENTION_SECONDS_MAX = 100L * 365 * 24 * 3600;

  /** Most attempts of an OLLP change or an append that meets a closed shard. */
  public static final int ATTEMPTS_MAX = 5;

  /** Characters kept free in a client-chosen Append id for the retry suffix {@code .r<n>}. */
  public static final int RETRY_ID_SUFFIX_MAX = 3;

  /** Threads running unary calls. */
  public static final int UNARY_THREADS = 8;

  /** Unary calls that may wait for a thread. */
  public static final int UNARY_QUEUE_MAX = 1_024;

  /** Most stream keys one ListStreams transaction reads. */
  static final int LIST_BATCH_MAX = 1_000;

  private final TxnRunner runner;
  private final StreamMetadataReader reader;
  private final Limits limits;
  private final TopicLayout topics;
  private final ShardReads reads;
  private final Runnable catalogChanged;
  private final ThreadPoolExecutor unaryPool;

  /**
   * @param runner runs transactions through the log
   * @param reader reads and caches stream metadata (shared with the Txn path)
   * @param limits request bounds (record sizes: valueBytesMax per record; the whole append as a
   *     transaction: txnBytesMax)
   * @param topics names the ingest topics ({@code <prefix>-ingest-<stream>})
   * @param reads serves ReadShard/ReadStream; null when this gateway has no local store (reads
   *     then fail with FAILED_PRECONDITION)
   * @param catalogChanged called after this service created or deleted a stream (e.g. {@link
   *     IngestReconciler#catalogChanged}); must not block
   */
  public StreamsService(
      TxnRunner runner,
      StreamMetadataReader reader,
      Limits limits,
      TopicLayout topics,
      ShardReads reads,
      Runnable catalogChanged) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.reads = reads;
    this.catalogChanged = Objects.requireNonNull(catalogChanged, "catalogChanged");
    AtomicInteger count = new AtomicInteger();
    this.unaryPool =
        new ThreadPoolExecutor(
            UNARY_THREADS,
            UNARY_THREADS,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(UNARY_QUEUE_MAX),
            runnable -> {
              Thread thread = new Thread(runnable, "ordo-streams-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    unaryPool.allowCoreThreadTimeOut(true);
  }

  /** The ingest topic of {@code stream}: {@code <prefix>-ingest-<stream>}. */
  public static String ingestTopic(TopicLayout topics, String stream) {
    return IngestBridge.topic(topics, stream);
  }

  // ---------------------------------------------------------------------------------------------
  // Streams

  @Override
  public void createStream(CreateStreamRequest request, StreamObserver<Stream> observer) {
    unary(observer, () -> createStream(request));
  }

  private Stream createStream(CreateStreamRequest request) {
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
    List<com.google.protobuf.ByteString[]> ranges = HashRanges.evenSplit(shardCount);
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
        txn.addOps(put(StreamKeys.shard(name, shard.getId()), emptyShard(name, shard.getId())));
      }
      TxnResult result = run(txn.build());
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

  @Override
  public void getStream(GetStreamRequest request, StreamObserver<Stream> observer) {
    unary(
        observer,
        () -> {
          Validation.checkNoUnknownFields(request, "request");
          Validation.checkName(request.getName(), "name");
          return toStream(await(reader.read(request.getName())).require());
        });
  }

  @Override
  public void listStreams(ListStreamsRequest request, StreamObserver<ListStreamsResponse> observer) {
    unary(
        observer,
        () -> {
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
        });
  }

  @Override
  public void deleteStream(
      DeleteStreamRequest request, StreamObserver<DeleteStreamResponse> observer) {
    unary(observer, () -> deleteStream(request));
  }

  private DeleteStreamResponse deleteStream(DeleteStreamRequest request) {
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
      TxnResult result = run(txn.build());
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

  // ---------------------------------------------------------------------------------------------
  // Shards

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

  @Override
  public void listShards(ListShardsRequest request, StreamObserver<ListShardsResponse> observer) {
    unary(
        observer,
        () -> {
          Validation.checkNoUnknownFields(request, "request");
          Validation.checkName(request.getStream(), "stream");
          ShardStates read = readShardStates(request.getStream());
          ListShardsResponse.Builder response =
              ListShardsResponse.newBuilder().setPosition(read.position());
          for (ShardInfo shard : read.metadata().getShardsList()) {
            response.addShards(toShard(request.getStream(), shard, read.states().get(shard.getId())));
          }
          return response.build();
        });
  }

  @Override
  public void lookupShard(LookupShardRequest request, StreamObserver<Shard> observer) {
    unary(
        observer,
        () -> {
          Validation.checkNoUnknownFields(request, "request");
          Validation.checkName(request.getStream(), "stream");
          if (!request.getPartitionKey().isEmpty()) {
            Validation.checkKey(request.getPartitionKey(), "partition_key", limits);
          }
          ShardStates read = readShardStates(request.getStream());
          ShardInfo shard = StreamMetadataReader.route(read.metadata(), request.getPartitionKey());
          return toShard(request.getStream(), shard, read.states().get(shard.getId()));
        });
  }

  @Override
  public void splitShard(SplitShardRequest request, StreamObserver<SplitShardResponse> observer) {
    unary(observer, () -> splitShard(request));
  }

  private SplitShardResponse splitShard(SplitShardRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String stream = request.getStream();
    Validation.checkName(stream, "stream");
    checkShardId(request.getShardId(), "shard_id");
    Optional<com.google.protobuf.ByteString> requestedAt =
        request.getAtHash().isEmpty()
            ? Optional.empty()
            : Optional.of(HashRanges.parseHex(request.getAtHash(), "at_hash"));
    String streamKey = StreamKeys.stream(stream);
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      StreamMetadataReader.Snapshot snapshot = await(reader.read(stream));
      StreamMetadata metadata = snapshot.require();
      ShardInfo parent = requireOpenShard(metadata, request.getShardId());
      java.math.BigInteger start = HashRanges.toBigInteger(parent.getStartHash());
      java.math.BigInteger end = HashRanges.toBigInteger(parent.getEndHash());
      if (start.equals(end)) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "shard " + parent.getId() + " of stream '" + stream
                    + "' covers a single hash and cannot be split")
            .asRuntimeException();
      }
      com.google.protobuf.ByteString at =
          requestedAt.orElseGet(() -> HashRanges.middle(parent.getStartHash(), parent.getEndHash()));
      java.math.BigInteger atValue = HashRanges.toBigInteger(at);
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
              .setEndHash(HashRanges.toBytes(atValue.subtract(java.math.BigInteger.ONE)))
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

  @Override
  public void mergeShards(MergeShardsRequest request, StreamObserver<MergeShardsResponse> observer) {
    unary(observer, () -> mergeShards(request));
  }

  private MergeShardsResponse mergeShards(MergeShardsRequest request) {
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
      java.math.BigInteger leftEnd = HashRanges.toBigInteger(left.getEndHash());
      if (!leftEnd.add(java.math.BigInteger.ONE).equals(HashRanges.toBigInteger(right.getStartHash()))) {
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
            .addOps(put(streamKey, StreamMetadataReader.valueOf(changed)));
    for (long parent : parents) {
      txn.addOps(
          Operation.newBuilder()
              .setKey(StreamKeys.shard(stream, parent))
              .setSealShard(SealShard.getDefaultInstance()));
    }
    for (long child : children) {
      txn.addOps(put(StreamKeys.shard(stream, child), emptyShard(stream, child)));
    }
    TxnResult result = run(txn.build());
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

  @Override
  public void trimShard(TrimShardRequest request, StreamObserver<TrimShardResponse> observer) {
    unary(
        observer,
        () -> {
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
          TxnResult result = run(txn);
          if (result.getOutcome() == Outcome.ABORTED) {
            if (result.getAbortReason() == AbortReason.NOT_FOUND) {
              throw noSuchShard(stream, request.getShardId());
            }
            throw unexpectedAbort(result);
          }
          ShardState state = postState(result, 0).orElseThrow(() -> missingPostState(result));
          return TrimShardResponse.newBuilder()
              .setStartOffset(state.getStartOffset())
              .setPosition(result.getPosition())
              .build();
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Append

  @Override
  public void append(AppendRequest request, StreamObserver<AppendResponse> observer) {
    // The hot path: asynchronous from validation to answer, so concurrent appends are bounded by
    // the results listener's waiters, not by a pool of blocked threads.
    Context context = Context.current();
    CompletableFuture<AppendResponse> response;
    try {
      AppendPlan plan = planAppend(request);
      response = appendAttempt(context, plan, 1);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    response.whenComplete(
        (r, error) ->
            safely(
                () -> {
                  if (error != null) {
                    observer.onError(toStatus(error));
                  } else {
                    observer.onNext(r);
                    observer.onCompleted();
                  }
                }));
  }

  /** A validated Append: the request, its transaction id and each record's partition-key hash. */
  private record AppendPlan(AppendRequest request, String baseId, List<byte[]> hashes) {
    boolean pinned() {
      return request.hasShardId() || request.hasExpectedOffset();
    }
  }

  private AppendPlan planAppend(AppendRequest request) {
    Validation.checkNoUnknownFields(request, "request");
    String stream = request.getStream();
    Validation.checkName(stream, "stream");
    if (!request.getId().isEmpty()) {
      Validation.checkTxnId(request.getId(), limits);
      if (request.getId().length() > limits.txnIdLengthMax() - RETRY_ID_SUFFIX_MAX) {
        throw new IllegalArgumentException(
            "id is " + request.getId().length() + " characters; an Append id may have at most "
                + (limits.txnIdLengthMax() - RETRY_ID_SUFFIX_MAX) + " (txnIdLengthMax less "
                + RETRY_ID_SUFFIX_MAX + " for the retry suffix)");
      }
    }
    if (request.hasShardId()) {
      checkShardId(request.getShardId(), "shard_id");
    }
    if (request.hasExpectedOffset() && request.getExpectedOffset() < 0) {
      throw new IllegalArgumentException(
          "expected_offset must be >= 0, got " + request.getExpectedOffset());
    }
    Validation.checkStreamRecords(request.getRecordsList(), "records", limits);
    String baseId = request.getId().isEmpty() ? TxnRunner.newTxnId() : request.getId();
    List<byte[]> hashes = new ArrayList<>(request.getRecordsCount());
    for (StreamRecord record : request.getRecordsList()) {
      hashes.add(HashRanges.hash(record.getPartitionKey()));
    }
    return new AppendPlan(request, baseId, hashes);
  }

  /**
   * One attempt of an Append: routes with the cached metadata (first attempt) or freshly read
   * metadata (later ones), runs the transaction within {@code context}'s deadline, and on
   * SHARD_CLOSED / NOT_FOUND tries again, at most {@value #ATTEMPTS_MAX} times.
   */
  private CompletableFuture<AppendResponse> appendAttempt(
      Context context, AppendPlan plan, int attempt) {
    String stream = plan.request().getStream();
    CompletableFuture<StreamMetadataReader.Snapshot> metadata =
        attempt == 1 ? reader.cachedOrRead(stream) : reader.read(stream);
    return metadata.thenCompose(
        snapshot -> {
          AppendRequest request = plan.request();
          // shard id -> indexes of its records in the request, in request order
          TreeMap<Long, List<Integer>> shards = new TreeMap<>();
          Transaction built;
          List<Long> opShards = new ArrayList<>();
          try {
            StreamMetadata meta = snapshot.require();
            for (int i = 0; i < request.getRecordsCount(); i++) {
              long shardId =
                  request.hasShardId()
                      ? request.getShardId()
                      : StreamMetadataReader.route(meta, plan.hashes().get(i)).getId();
              shards.computeIfAbsent(shardId, id -> new ArrayList<>()).add(i);
            }
            if (request.hasShardId()) {
              requireOpenShard(meta, request.getShardId());
            }
            if (request.hasExpectedOffset() && shards.size() > 1) {
              throw new IllegalArgumentException(
                  "expected_offset needs every record in one shard, but the records map to shards "
                      + shards.keySet() + " (set shard_id, or send one append per shard)");
            }
            Transaction.Builder txn =
                Transaction.newBuilder()
                    .setId(attempt == 1 ? plan.baseId() : plan.baseId() + ".r" + (attempt - 1));
            for (Map.Entry<Long, List<Integer>> entry : shards.entrySet()) {
              StreamAppend.Builder op =
                  StreamAppend.newBuilder().setStream(stream).setShardId(entry.getKey());
              for (int index : entry.getValue()) {
                op.addRecords(request.getRecords(index));
              }
              if (request.hasExpectedOffset()) {
                op.setExpectedOffset(request.getExpectedOffset());
              }
              txn.addOps(
                  Operation.newBuilder()
                      .setKey(StreamKeys.shard(stream, entry.getKey()))
                      .setStreamAppend(op));
              opShards.add(entry.getKey());
            }
            built = txn.build();
            Validation.checkEncodedSize(built, limits);
          } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
          }
          CompletableFuture<TxnResult> run;
          try {
            run = context.call(() -> runner.execute(built));
          } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
          }
          return run.thenCompose(
              result -> appendOutcome(context, plan, attempt, shards, opShards, result));
        });
  }

  private CompletableFuture<AppendResponse> appendOutcome(
      Context context,
      AppendPlan plan,
      int attempt,
      TreeMap<Long, List<Integer>> shards,
      List<Long> opShards,
      TxnResult result) {
    AppendRequest request = plan.request();
    String stream = request.getStream();
    if (result.getOutcome() != Outcome.COMMITTED && result.getOutcome() != Outcome.ABORTED) {
      return CompletableFuture.failedFuture(TxnRunner.duplicateOrUnknown(result));
    }
    if (result.getOutcome() == Outcome.COMMITTED) {
      RecordId[] ids = new RecordId[request.getRecordsCount()];
      int opIndex = 0;
      for (Map.Entry<Long, List<Integer>> entry : shards.entrySet()) {
        Optional<ShardState> state = postState(result, opIndex);
        if (state.isEmpty()) {
          return CompletableFuture.failedFuture(missingPostState(result));
        }
        long first = state.get().getNextOffset() - entry.getValue().size();
        for (int k = 0; k < entry.getValue().size(); k++) {
          ids[entry.getValue().get(k)] =
              RecordId.newBuilder().setShardId(entry.getKey()).setOffset(first + k).build();
        }
        opIndex++;
      }
      return CompletableFuture.completedFuture(
          AppendResponse.newBuilder()
              .addAllRecordIds(List.of(ids))
              .setPosition(result.getPosition())
              .build());
    }
    long failedShard =
        result.getFailedOpIndex() >= 0 && result.getFailedOpIndex() < opShards.size()
            ? opShards.get(result.getFailedOpIndex())
            : -1;
    switch (result.getAbortReason()) {
      case WRONG_EXPECTED_OFFSET -> {
        return CompletableFuture.failedFuture(
            Status.FAILED_PRECONDITION
                .withDescription(
                    "wrong expected offset (WRONG_EXPECTED_OFFSET): " + result.getDetail())
                .asRuntimeException());
      }
      case OUT_OF_RANGE -> {
        // Deterministic and final: retrying the same append on the same shard aborts again.
        return CompletableFuture.failedFuture(
            Status.OUT_OF_RANGE
                .withDescription(
                    "shard " + failedShard + " of stream '" + stream + "' cannot take offsets"
                        + " past 2^63 - 1 (OUT_OF_RANGE): " + result.getDetail())
                .asRuntimeException());
      }
      case SHARD_CLOSED, NOT_FOUND -> {
        reader.invalidate(stream);
        if (plan.pinned() && result.getAbortReason() == AbortReason.SHARD_CLOSED) {
          return CompletableFuture.failedFuture(
              Status.FAILED_PRECONDITION
                  .withDescription(
                      "shard " + failedShard + " of stream '" + stream + "' is closed (split or"
                          + " merged); an append with "
                          + (request.hasShardId() ? "shard_id" : "expected_offset")
                          + " is not moved to its children: " + result.getDetail())
                  .asRuntimeException());
        }
        if (attempt >= ATTEMPTS_MAX) {
          return CompletableFuture.failedFuture(
              gaveUp("appending to stream '" + stream + "' (its shards kept changing)"));
        }
        // Re-read (through the log) and route again.
        return appendAttempt(context, plan, attempt + 1);
      }
      default -> {
        return CompletableFuture.failedFuture(unexpectedAbort(result));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  @Override
  public void readShard(ReadShardRequest request, StreamObserver<ReadResponse> observer) {
    if (reads == null) {
      observer.onError(noStore());
      return;
    }
    reads.readShard(request, observer, this);
  }

  @Override
  public void readStream(ReadStreamRequest request, StreamObserver<ReadResponse> observer) {
    if (reads == null) {
      observer.onError(noStore());
      return;
    }
    reads.readStream(request, observer, this);
  }

  private static StatusRuntimeException noStore() {
    return Status.FAILED_PRECONDITION
        .withDescription(
            "this gateway has no local store (it was started without a data directory), so it"
                + " cannot serve reads")
        .asRuntimeException();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Stops the unary pool (calls in progress get at most a few seconds). */
  @Override
  public void close() {
    unaryPool.shutdown();
    try {
      if (!unaryPool.awaitTermination(2, TimeUnit.SECONDS)) {
        unaryPool.shutdownNow();
      }
    } catch (InterruptedException e) {
      unaryPool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs {@code body} on the unary pool under the caller's gRPC context and answers once: with its
   * result or with the status its failure maps to.
   */
  private <R> void unary(StreamObserver<R> observer, Callable<R> body) {
    Context context = Context.current();
    Runnable task =
        () -> {
          R response;
          try {
            response = body.call();
          } catch (Exception e) {
            safely(() -> observer.onError(toStatus(e)));
            return;
          }
          safely(
              () -> {
                observer.onNext(response);
                observer.onCompleted();
              });
        };
    try {
      unaryPool.execute(context.wrap(task));
    } catch (RejectedExecutionException e) {
      observer.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  UNARY_QUEUE_MAX + " stream calls already wait on this gateway; retry later")
              .asRuntimeException());
    }
  }

  private static void safely(Runnable answer) {
    try {
      answer.run();
    } catch (RuntimeException e) {
      // The call was cancelled meanwhile (the client left); nothing is left to answer.
      LOG.debug("could not answer a streams call: {}", e.toString());
    }
  }

  /** The status a failure of a handler maps to. */
  static StatusRuntimeException toStatus(Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof StatusRuntimeException status) {
      return status;
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return Status.CANCELLED.withDescription("the gateway is stopping").asRuntimeException();
    }
    if (e instanceof java.util.concurrent.CancellationException) {
      return Status.CANCELLED.withDescription("the call was cancelled").asRuntimeException();
    }
    LOG.warn("streams call failed unexpectedly", e);
    return Status.INTERNAL.withDescription("unexpected failure: " + e).withCause(e).asRuntimeException();
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Waits for a future of the runner or reader (they are bounded by the call's deadline). */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw Status.INTERNAL.withDescription(cause.toString()).withCause(cause).asRuntimeException();
    }
  }

  /** Runs a transaction; DUPLICATE or an unknown outcome become statuses. */
  TxnResult run(Transaction txn) {
    TxnResult result = await(runner.execute(txn));
    if (result.getOutcome() != Outcome.COMMITTED && result.getOutcome() != Outcome.ABORTED) {
      throw TxnRunner.duplicateOrUnknown(result);
    }
    return result;
  }

  StreamMetadataReader reader() {
    return reader;
  }

  private static void requireAssertFailed(TxnResult result) {
    if (result.getAbortReason() != AbortReason.ASSERT_FAILED) {
      throw unexpectedAbort(result);
    }
  }

  static StatusRuntimeException unexpectedAbort(TxnResult result) {
    return Status.INTERNAL
        .withDescription(
            "transaction '" + result.getTxnId() + "' aborted unexpectedly ("
                + result.getAbortReason() + "): " + result.getDetail())
        .asRuntimeException();
  }

  private static StatusRuntimeException gaveUp(String what) {
    return Status.UNAVAILABLE
        .withDescription(
            what + " failed: the metadata changed under each of " + ATTEMPTS_MAX
                + " attempts; retry later")
        .asRuntimeException();
  }

  static StatusRuntimeException noSuchShard(String stream, long shardId) {
    return Status.NOT_FOUND
        .withDescription("stream '" + stream + "' has no shard " + shardId)
        .asRuntimeException();
  }

  private static StatusRuntimeException missingPostState(TxnResult result) {
    return Status.INTERNAL
        .withDescription("the result of transaction '" + result.getTxnId() + "' lacks a shard post-state")
        .asRuntimeException();
  }

  static void checkShardId(long shardId, String field) {
    if (shardId < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, got " + shardId);
    }
  }

  /** The shard {@code shardId} of {@code metadata}: NOT_FOUND status if absent. */
  static ShardInfo requireShard(StreamMetadata metadata, long shardId) {
    return StreamMetadataReader.shard(metadata, shardId)
        .orElseThrow(() -> noSuchShard(metadata.getName(), shardId));
  }

  /** As {@link #requireShard}, and FAILED_PRECONDITION when it is closed. */
  static ShardInfo requireOpenShard(StreamMetadata metadata, long shardId) {
    ShardInfo shard = requireShard(metadata, shardId);
    if (shard.getClosed()) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "shard " + shardId + " of stream '" + metadata.getName() + "' is closed; its"
                  + " children are " + shard.getChildIdsList())
          .asRuntimeException();
    }
    return shard;
  }

  /** The post-state of the stream operation at {@code opIndex}. */
  static Optional<ShardState> postState(TxnResult result, int opIndex) {
    for (KeyRead read : result.getReadsList()) {
      if (read.getOpIndex() == opIndex
          && read.getPostState()
          && read.getValue().getKindCase() == Value.KindCase.SHARD) {
        return Optional.of(read.getValue().getShard());
      }
    }
    return Optional.empty();
  }

  private Stream toStream(StreamMetadata metadata) {
    return Stream.newBuilder()
        .setName(metadata.getName())
        .setShardCount(StreamMetadataReader.openShards(metadata).size())
        .setRetentionSeconds(metadata.getRetentionSeconds())
        .setIngestTopic(ingestTopic(topics, metadata.getName()))
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

  private static Value emptyShard(String stream, long shardId) {
    return Value.newBuilder()
        .setShard(ShardState.newBuilder().setStream(stream).setShardId(shardId))
        .build();
  }

  private static Operation put(String key, Value value) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(value)).build();
  }

  private static Operation delete(String key) {
    return Operation.newBuilder().setKey(key).setDelete(Delete.getDefaultInstance()).build();
  }

  private static Value nameList(List<String> names) {
    return Value.newBuilder()
        .setBytes(NameList.newBuilder().addAllNames(names).build().toByteString())
        .build();
  }
}
