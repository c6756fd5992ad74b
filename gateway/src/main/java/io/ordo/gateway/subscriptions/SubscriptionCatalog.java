package io.ordo.gateway.subscriptions;

import static io.ordo.gateway.streams.StreamMetadataReader.put;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ShardProgress;
import io.ordo.proto.ShardState;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.SubscriptionDetail;
import io.ordo.proto.SubscriptionProgress;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.NameList;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.proto.state.SubscriptionMetadata;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Subscription metadata and progress as sequenced transactions: create, read, list, delete, the
 * LATEST follow-up and acknowledgements. Every change is an OLLP transaction (Calvin §3.2.1): it
 * reads the values it plans with, then asserts them unchanged next to its writes; on
 * ASSERT_FAILED it reads again and retries, at most {@value #OLLP_ATTEMPTS_MAX} times.
 *
 * <p><b>Keys</b> ({@link StreamKeys}): {@code \u0000ordo/sub/<id>} holds bytes of {@link
 * SubscriptionMetadata}; {@code \u0000ordo/subp/<id>/<shard>} a {@link SubscriptionProgress}
 * value per shard; the stream's metadata lists the subscription ids; {@code \u0000ordo/subs} is the
 * catalog of all ids ({@link NameList}, sorted).
 *
 * <p><b>LATEST.</b> A transaction cannot write a value computed from a value it reads, so a
 * LATEST subscription takes two: the create transaction writes the metadata with {@code
 * pending_latest = true}, every progress key with floor 0, and Gets every shard key (their
 * next_offset at the subscription's position); the follow-up asserts the metadata and every
 * progress key unchanged, sets each floor to that shard's next offset and clears the marker. If the
 * gateway dies between the two, the marker stays; {@link #completeLatest} (run by the first fetch,
 * and by Create when its own follow-up lost a race) repeats the follow-up with the shards' next
 * offsets at <em>that</em> time, so records appended between the create and the repair are
 * skipped: the subscription then starts where the repair found the shards. Nothing is delivered
 * while the marker is set.
 *
 * <p>Futures complete on the {@link TxnRunner}'s response executor; failures are {@link
 * StatusRuntimeException}s: NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED (gave up after
 * the retries), INTERNAL (a stored value that does not parse), or the runner's statuses.
 */
final class SubscriptionCatalog {
  /** Attempts of one OLLP change before it fails with ABORTED. */
  static final int OLLP_ATTEMPTS_MAX = 8;

  /** Shards a stream may have for a subscription over it (each costs ops in one transaction). */
  static final int SHARDS_MAX = 2_000;

  /** Keys one read transaction of {@link #list} reads. */
  static final int LIST_READ_KEYS_MAX = 2_000;

  /**
   * A subscription's stored metadata.
   *
   * @param raw the value as stored (the exact value to assert)
   * @param metadata {@code raw} parsed
   */
  record Stored(Value raw, SubscriptionMetadata metadata) {
    Subscription subscription() {
      return metadata.getSubscription();
    }
  }

  private final TxnRunner runner;
  private final StreamMetadataReader reader;

  SubscriptionCatalog(TxnRunner runner, StreamMetadataReader reader) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.reader = Objects.requireNonNull(reader, "reader");
  }

  // ---- create ----

  /**
   * Creates the subscription {@code settings} (validated, defaults filled) and, for LATEST, sets
   * its floors before completing.
   *
   * @return the subscription as stored
   */
  CompletableFuture<Subscription> create(Subscription settings) {
    return createAttempt(settings, 1);
  }

  private CompletableFuture<Subscription> createAttempt(Subscription settings, int attempt) {
    String id = settings.getId();
    String streamKey = StreamKeys.stream(settings.getStream());
    String catalogKey = StreamKeys.subscriptionCatalog();
    String subKey = StreamKeys.subscription(id);
    return reader
        .get(List.of(streamKey, catalogKey, subKey))
        .thenCompose(
            read -> {
              Optional<Value> streamRaw = read.get(streamKey);
              if (streamRaw.isEmpty()) {
                throw Status.NOT_FOUND
                    .withDescription("stream '" + settings.getStream() + "' does not exist")
                    .asRuntimeException();
              }
              if (read.get(subKey).isPresent()) {
                throw Status.ALREADY_EXISTS
                    .withDescription("subscription '" + id + "' already exists")
                    .asRuntimeException();
              }
              StreamMetadata stream = StreamMetadataReader.parse(settings.getStream(), streamRaw.get());
              List<ShardInfo> shards = sortedShards(stream);
              boolean latest = settings.getFrom() == ReadFrom.Special.LATEST;
              SubscriptionMetadata metadata =
                  SubscriptionMetadata.newBuilder()
                      .setSubscription(settings)
                      .setPendingLatest(latest)
                      .build();
              Value metadataValue = valueOf(metadata);
              Optional<Value> catalogRaw = read.get(catalogKey);

              Transaction.Builder txn = Transaction.newBuilder().setId(TxnRunner.newTxnId());
              txn.addOps(StreamMetadataReader.assertUnchanged(streamKey, streamRaw));
              txn.addOps(put(streamKey, StreamMetadataReader.valueOf(withSubscription(stream, id))));
              txn.addOps(StreamMetadataReader.assertUnchanged(catalogKey, catalogRaw));
              txn.addOps(put(catalogKey, StreamMetadataReader.nameList(withName(StreamMetadataReader.names(catalogRaw), id))));
              txn.addOps(StreamMetadataReader.assertUnchanged(subKey, Optional.empty()));
              txn.addOps(put(subKey, metadataValue));
              SortedMap<Long, Value> initial = new TreeMap<>();
              for (ShardInfo shard : shards) {
                Value progress = progressValue(settings, shard.getId(), 0, List.of());
                initial.put(shard.getId(), progress);
                txn.addOps(put(StreamKeys.progress(id, shard.getId()), progress));
              }
              // LATEST: the shards' next offsets at this transaction's position.
              SortedMap<Integer, Long> shardGetAt = new TreeMap<>();
              if (latest) {
                for (ShardInfo shard : shards) {
                  shardGetAt.put(txn.getOpsCount(), shard.getId());
                  txn.addOps(get(StreamKeys.shard(settings.getStream(), shard.getId())));
                }
              }
              return runner
                  .execute(txn.build())
                  .thenCompose(
                      result -> {
                        if (isAssertFailed(result) && attempt < OLLP_ATTEMPTS_MAX) {
                          return createAttempt(settings, attempt + 1);
                        }
                        requireCommitted(result, "creating subscription '" + id + "'");
                        if (!latest) {
                          return CompletableFuture.completedFuture(settings);
                        }
                        SortedMap<Long, Long> nextOffsets = new TreeMap<>();
                        for (KeyRead keyRead : result.getReadsList()) {
                          Long shardId = shardGetAt.get(keyRead.getOpIndex());
                          if (shardId != null && !keyRead.getPostState()) {
                            nextOffsets.put(shardId, nextOffsetOf(keyRead));
                          }
                        }
                        Transaction followUp =
                            latestFollowUp(
                                new Stored(metadataValue, metadata), initial, nextOffsets);
                        return runner
                            .execute(followUp)
                            .thenCompose(
                                done -> {
                                  if (isAssertFailed(done)) {
                                    // A fetch repaired it first, or it was deleted: read again.
                                    return completeLatest(id).thenApply(ignored -> settings);
                                  }
                                  requireCommitted(done, "setting the LATEST floors of '" + id + "'");
                                  return CompletableFuture.completedFuture(settings);
                                });
                      });
            });
  }

  /**
   * Completes a LATEST subscription whose follow-up transaction did not run (see the class
   * comment): floors = the shards' next offsets now. Completes normally when the marker is not
   * (or no longer) set.
   *
   * @throws StatusRuntimeException (in the future) NOT_FOUND when the subscription does not exist
   */
  CompletableFuture<Stored> completeLatest(String id) {
    return completeLatestAttempt(id, 1);
  }

  private CompletableFuture<Stored> completeLatestAttempt(String id, int attempt) {
    return require(id)
        .thenCompose(
            stored -> {
              if (!stored.metadata().getPendingLatest()) {
                return CompletableFuture.completedFuture(stored);
              }
              String stream = stored.subscription().getStream();
              return reader
                  .read(stream)
                  .thenCompose(
                      snapshot -> {
                        List<ShardInfo> shards =
                            snapshot.metadata().map(SubscriptionCatalog::sortedShards).orElse(List.of());
                        String subKey = StreamKeys.subscription(id);
                        List<String> keys = new ArrayList<>();
                        keys.add(subKey);
                        for (ShardInfo shard : shards) {
                          keys.add(StreamKeys.progress(id, shard.getId()));
                          keys.add(StreamKeys.shard(stream, shard.getId()));
                        }
                        return reader
                            .get(keys)
                            .thenCompose(
                                values -> {
                                  Optional<Value> subRaw = values.get(subKey);
                                  if (subRaw.isEmpty()) {
                                    throw notFound(id);
                                  }
                                  Stored now = new Stored(subRaw.get(), parse(id, subRaw.get()));
                                  if (!now.metadata().getPendingLatest()) {
                                    return CompletableFuture.completedFuture(now);
                                  }
                                  SortedMap<Long, Value> progress = new TreeMap<>();
                                  SortedMap<Long, Long> nextOffsets = new TreeMap<>();
                                  for (ShardInfo shard : shards) {
                                    long shardId = shard.getId();
                                    // Shards without progress came after the create: floor 0.
                                    values.get(StreamKeys.progress(id, shardId))
                                        .ifPresent(v -> progress.put(shardId, v));
                                    nextOffsets.put(
                                        shardId,
                                        values.get(StreamKeys.shard(stream, shardId))
                                            .map(v -> v.getShard().getNextOffset())
                                            .orElse(0L));
                                  }
                                  return runner
                                      .execute(latestFollowUp(now, progress, nextOffsets))
                                      .thenCompose(
                                          result -> {
                                            if (isAssertFailed(result)
                                                && attempt < OLLP_ATTEMPTS_MAX) {
                                              return completeLatestAttempt(id, attempt + 1);
                                            }
                                            requireCommitted(
                                                result, "setting the LATEST floors of '" + id + "'");
                                            SubscriptionMetadata done =
                                                now.metadata().toBuilder().setPendingLatest(false).build();
                                            return CompletableFuture.completedFuture(
                                                new Stored(valueOf(done), done));
                                          });
                                });
                      });
            });
  }

  /**
   * The LATEST follow-up: asserts the metadata and each progress value unchanged, raises each
   * floor to the shard's next offset (keeping acks above it) and clears the marker.
   */
  private static Transaction latestFollowUp(
      Stored pending, SortedMap<Long, Value> progress, SortedMap<Long, Long> nextOffsets) {
    String id = pending.subscription().getId();
    String subKey = StreamKeys.subscription(id);
    Transaction.Builder txn = Transaction.newBuilder().setId(TxnRunner.newTxnId());
    txn.addOps(StreamMetadataReader.assertUnchanged(subKey, Optional.of(pending.raw())));
    for (Map.Entry<Long, Value> entry : progress.entrySet()) {
      long shardId = entry.getKey();
      String key = StreamKeys.progress(id, shardId);
      SubscriptionProgress old = entry.getValue().getProgress();
      Progress raised = new Progress(old.getFloor(), old.getAckedList());
      raised.merge(nextOffsets.getOrDefault(shardId, 0L), List.of());
      txn.addOps(StreamMetadataReader.assertUnchanged(key, Optional.of(entry.getValue())));
      txn.addOps(
          put(key, progressValue(pending.subscription(), shardId, raised.floor(), raised.acked())));
    }
    txn.addOps(put(subKey, valueOf(pending.metadata().toBuilder().setPendingLatest(false).build())));
    return txn.build();
  }

  // ---- read ----

  /** The stored metadata of {@code id}, read through the log; empty when it does not exist. */
  CompletableFuture<Optional<Stored>> read(String id) {
    String key = StreamKeys.subscription(id);
    return reader
        .get(List.of(key))
        .thenApply(values -> values.get(key).map(raw -> new Stored(raw, parse(id, raw))));
  }

  /** As {@link #read}, failing with NOT_FOUND when it does not exist. */
  CompletableFuture<Stored> require(String id) {
    return read(id).thenApply(found -> found.orElseThrow(() -> notFound(id)));
  }

  /** The subscription with its progress over every shard that has a progress key, read in one transaction. */
  CompletableFuture<SubscriptionDetail> detail(String id) {
    return require(id)
        .thenCompose(
            stored ->
                reader
                    .read(stored.subscription().getStream())
                    .thenCompose(
                        snapshot -> {
                          List<ShardInfo> shards =
                              snapshot.metadata().map(SubscriptionCatalog::sortedShards).orElse(List.of());
                          String subKey = StreamKeys.subscription(id);
                          List<String> keys = new ArrayList<>();
                          keys.add(subKey);
                          for (ShardInfo shard : shards) {
                            keys.add(StreamKeys.progress(id, shard.getId()));
                          }
                          return reader
                              .get(keys)
                              .thenApply(
                                  values -> {
                                    Optional<Value> subRaw = values.get(subKey);
                                    if (subRaw.isEmpty()) {
                                      throw notFound(id);
                                    }
                                    SubscriptionDetail.Builder detail =
                                        SubscriptionDetail.newBuilder()
                                            .setSubscription(parse(id, subRaw.get()).getSubscription());
                                    for (ShardInfo shard : shards) {
                                      values
                                          .get(StreamKeys.progress(id, shard.getId()))
                                          .ifPresent(
                                              v ->
                                                  detail.addProgress(
                                                      ShardProgress.newBuilder()
                                                          .setShardId(shard.getId())
                                                          .setFloor(v.getProgress().getFloor())
                                                          .addAllAcked(v.getProgress().getAckedList())));
                                    }
                                    return detail.build();
                                  });
                        }));
  }

  /**
   * Every subscription (of {@code stream} when not empty), in id order: the catalog, then the
   * metadata of each id (ids deleted in between are left out).
   */
  CompletableFuture<List<Subscription>> list(String stream) {
    String catalogKey = StreamKeys.subscriptionCatalog();
    return reader
        .get(List.of(catalogKey))
        .thenCompose(
            values -> {
              List<String> ids = StreamMetadataReader.names(values.get(catalogKey));
              return readAll(ids, 0, new ArrayList<>())
                  .thenApply(
                      all -> {
                        List<Subscription> out = new ArrayList<>();
                        for (Subscription s : all) {
                          if (stream.isEmpty() || s.getStream().equals(stream)) {
                            out.add(s);
                          }
                        }
                        return out;
                      });
            });
  }

  private CompletableFuture<List<Subscription>> readAll(
      List<String> ids, int from, List<Subscription> into) {
    if (from >= ids.size()) {
      return CompletableFuture.completedFuture(into);
    }
    List<String> chunk = ids.subList(from, Math.min(ids.size(), from + LIST_READ_KEYS_MAX));
    List<String> keys = chunk.stream().map(StreamKeys::subscription).toList();
    return reader
        .get(keys)
        .thenCompose(
            values -> {
              for (String id : chunk) {
                values
                    .get(StreamKeys.subscription(id))
                    .ifPresent(raw -> into.add(parse(id, raw).getSubscription()));
              }
              return readAll(ids, from + chunk.size(), into);
            });
  }

  // ---- delete ----

  /**
   * Deletes {@code id} in one transaction: its metadata, its delivery lease, its progress keys,
   * its entry in the stream's metadata and in the catalog.
   *
   * @return the transaction's position
   * @throws StatusRuntimeException (in the future) NOT_FOUND when it does not exist
   */
  CompletableFuture<Position> delete(String id) {
    return deleteAttempt(id, 1);
  }

  private CompletableFuture<Position> deleteAttempt(String id, int attempt) {
    String subKey = StreamKeys.subscription(id);
    String catalogKey = StreamKeys.subscriptionCatalog();
    return reader
        .get(List.of(subKey, catalogKey))
        .thenCompose(
            first -> {
              Optional<Value> subRaw = first.get(subKey);
              if (subRaw.isEmpty()) {
                throw notFound(id);
              }
              Subscription subscription = parse(id, subRaw.get()).getSubscription();
              String streamKey = StreamKeys.stream(subscription.getStream());
              return reader
                  .get(List.of(streamKey))
                  .thenCompose(
                      second -> {
                        Optional<Value> catalogRaw = first.get(catalogKey);
                        Optional<Value> streamRaw = second.get(streamKey);
                        Transaction.Builder txn =
                            Transaction.newBuilder().setId(TxnRunner.newTxnId());
                        txn.addOps(StreamMetadataReader.assertUnchanged(subKey, subRaw));
                        txn.addOps(StreamMetadataReader.delete(subKey));
                        // A lease of a deleted subscription guards nothing; a gateway still
                        // delivering it learns of the deletion and closes its group.
                        txn.addOps(StreamMetadataReader.delete(StreamKeys.subscriptionOwner(id)));
                        txn.addOps(StreamMetadataReader.assertUnchanged(catalogKey, catalogRaw));
                        List<String> names = new ArrayList<>(StreamMetadataReader.names(catalogRaw));
                        names.remove(id);
                        txn.addOps(put(catalogKey, StreamMetadataReader.nameList(names)));
                        txn.addOps(StreamMetadataReader.assertUnchanged(streamKey, streamRaw));
                        if (streamRaw.isPresent()) {
                          StreamMetadata stream =
                              StreamMetadataReader.parse(subscription.getStream(), streamRaw.get());
                          List<String> subs = new ArrayList<>(stream.getSubscriptionsList());
                          subs.remove(id);
                          txn.addOps(
                              put(
                                  streamKey,
                                  StreamMetadataReader.valueOf(
                                      stream.toBuilder()
                                          .clearSubscriptions()
                                          .addAllSubscriptions(subs)
                                          .setVersion(stream.getVersion() + 1)
                                          .build())));
                          for (ShardInfo shard : sortedShards(stream)) {
                            txn.addOps(StreamMetadataReader.delete(StreamKeys.progress(id, shard.getId())));
                          }
                        }
                        return runner
                            .execute(txn.build())
                            .thenCompose(
                                result -> {
                                  if (isAssertFailed(result) && attempt < OLLP_ATTEMPTS_MAX) {
                                    return deleteAttempt(id, attempt + 1);
                                  }
                                  requireCommitted(result, "deleting subscription '" + id + "'");
                                  return CompletableFuture.completedFuture(result.getPosition());
                                });
                      });
            });
  }

  // ---- progress ----

  /**
   * Creates the progress key of a shard that has none (a split or merge child that appeared after
   * the subscription): Assert absent + Put floor 0. Completes normally when it already existed.
   */
  CompletableFuture<Void> ensureProgress(Subscription subscription, long shardId) {
    String key = StreamKeys.progress(subscription.getId(), shardId);
    Transaction txn =
        Transaction.newBuilder()
            .setId(TxnRunner.newTxnId())
            .addOps(StreamMetadataReader.assertUnchanged(key, Optional.empty()))
            .addOps(put(key, progressValue(subscription, shardId, 0, List.of())))
            .build();
    return runner
        .execute(txn)
        .thenApply(
            result -> {
              if (!isAssertFailed(result)) {
                requireCommitted(result, "creating the progress of '" + subscription.getId() + "' over shard " + shardId);
              }
              return null;
            });
  }

  /**
   * The acknowledgement transaction of {@code offsets} by shard: one SubscriptionAck per shard (in
   * shard order), returning each progress's post-state.
   */
  static Transaction ackTransaction(
      String txnId, Subscription subscription, SortedMap<Long, ? extends Collection<Long>> offsets) {
    Transaction.Builder txn = Transaction.newBuilder().setId(txnId).setReturnPostState(true);
    for (Map.Entry<Long, ? extends Collection<Long>> entry : offsets.entrySet()) {
      txn.addOps(
          Operation.newBuilder()
              .setKey(StreamKeys.progress(subscription.getId(), entry.getKey()))
              .setAck(
                  SubscriptionAck.newBuilder()
                      .setSubscription(subscription.getId())
                      .setStream(subscription.getStream())
                      .setShardId(entry.getKey())
                      .addAllOffsets(new TreeSet<>(entry.getValue()))));
    }
    return txn.build();
  }

  /** The progress post-states of a committed ack transaction, by shard id. */
  static SortedMap<Long, SubscriptionProgress> postStates(TxnResult result) {
    SortedMap<Long, SubscriptionProgress> out = new TreeMap<>();
    for (KeyRead read : result.getReadsList()) {
      if (read.getPostState() && read.getFound() && read.getValue().hasProgress()) {
        SubscriptionProgress progress = read.getValue().getProgress();
        out.put(progress.getShardId(), progress);
      }
    }
    return out;
  }

  /** Runs {@code txn} with the runner (for the acks of fetches and of the Ack RPC). */
  CompletableFuture<TxnResult> run(Transaction txn) {
    return runner.execute(txn);
  }

  /** Runs {@code txn}, waiting at most {@code waitMs} (background work with no caller deadline). */
  CompletableFuture<TxnResult> run(Transaction txn, long waitMs) {
    return runner.execute(txn, waitMs);
  }

  // ---- values ----

  static Value valueOf(SubscriptionMetadata metadata) {
    return Value.newBuilder().setBytes(metadata.toByteString()).build();
  }

  static SubscriptionMetadata parse(String id, Value value) {
    if (value.getKindCase() != Value.KindCase.BYTES) {
      throw Status.INTERNAL
          .withDescription("the metadata key of subscription '" + id + "' holds a " + value.getKindCase())
          .asRuntimeException();
    }
    try {
      return SubscriptionMetadata.parseFrom(value.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL
          .withDescription("the metadata of subscription '" + id + "' does not parse: " + e.getMessage())
          .asRuntimeException();
    }
  }

  static Value progressValue(
      Subscription subscription, long shardId, long floor, Collection<Long> acked) {
    return Value.newBuilder()
        .setProgress(
            SubscriptionProgress.newBuilder()
                .setSubscription(subscription.getId())
                .setStream(subscription.getStream())
                .setShardId(shardId)
                .setFloor(floor)
                .addAllAcked(new TreeSet<>(acked)))
        .build();
  }

  static StatusRuntimeException notFound(String id) {
    return Status.NOT_FOUND
        .withDescription("subscription '" + id + "' does not exist")
        .asRuntimeException();
  }

  static boolean isAssertFailed(TxnResult result) {
    return result.getOutcome() == Outcome.ABORTED
        && result.getAbortReason() == AbortReason.ASSERT_FAILED;
  }

  /**
   * Throws unless {@code result} committed: ABORTED after repeated assert failures (concurrent
   * changes), INTERNAL for any other abort, the runner's status for DUPLICATE.
   */
  static void requireCommitted(TxnResult result, String what) {
    if (result.getOutcome() == Outcome.COMMITTED) {
      return;
    }
    if (result.getOutcome() != Outcome.ABORTED) {
      throw TxnRunner.duplicateOrUnknown(result);
    }
    if (result.getAbortReason() == AbortReason.ASSERT_FAILED) {
      throw Status.ABORTED
          .withDescription(
              what + " lost to concurrent changes " + OLLP_ATTEMPTS_MAX + " times in a row; retry")
          .asRuntimeException();
    }
    throw Status.INTERNAL
        .withDescription(
            what + " aborted (" + result.getAbortReason() + "): " + result.getDetail())
        .asRuntimeException();
  }

  static List<ShardInfo> sortedShards(StreamMetadata stream) {
    List<ShardInfo> shards = new ArrayList<>(stream.getShardsList());
    shards.sort((a, b) -> Long.compare(a.getId(), b.getId()));
    if (shards.size() > SHARDS_MAX) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "stream '" + stream.getName() + "' has " + shards.size() + " shards; subscriptions "
                  + "support at most " + SHARDS_MAX)
          .asRuntimeException();
    }
    return shards;
  }

  private static long nextOffsetOf(KeyRead read) {
    if (!read.getFound()) {
      return 0;
    }
    ShardState state = read.getValue().getShard();
    return state.getNextOffset();
  }

  private static StreamMetadata withSubscription(StreamMetadata stream, String id) {
    return stream.toBuilder()
        .clearSubscriptions()
        .addAllSubscriptions(withName(stream.getSubscriptionsList(), id))
        .setVersion(stream.getVersion() + 1)
        .build();
  }

  private static List<String> withName(List<String> names, String name) {
    List<String> out = new ArrayList<>(names);
    int at = Collections.binarySearch(out, name);
    if (at < 0) {
      out.add(-at - 1, name);
    }
    return out;
  }

  private static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }
}
