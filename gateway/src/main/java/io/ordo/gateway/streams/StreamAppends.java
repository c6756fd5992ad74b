package io.ordo.gateway.streams;

import static io.ordo.gateway.streams.StreamStatuses.ATTEMPTS_MAX;

import io.grpc.Context;
import io.grpc.Status;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.core.Validation;
import io.ordo.proto.AbortReason;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.RecordId;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.StreamMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The Append call: routes each record to the open shard whose hash range holds MD5(partition key),
 * with cached metadata, as one transaction of one {@code StreamAppend} per shard (shards in id
 * order, records in request order): all or none.
 *
 * <p>An abort with SHARD_CLOSED (a split or merge was sequenced first) or NOT_FOUND re-reads the
 * metadata and retries, at most {@value StreamStatuses#ATTEMPTS_MAX} times, then UNAVAILABLE;
 * the retry's transaction id is the request's id plus {@code ".r<attempt>"} (the first attempt's
 * id is taken by the aborted entry), so client-chosen ids are at most {@value
 * #RETRY_ID_SUFFIX_MAX} characters shorter than txnIdLengthMax. An append with expected_offset or
 * shard_id is never moved to another shard: SHARD_CLOSED is FAILED_PRECONDITION, and
 * WRONG_EXPECTED_OFFSET is FAILED_PRECONDITION naming expected and actual offsets.
 *
 * <p>Never blocks: the metadata read, the transaction and its retries are chained as futures
 * under the caller's gRPC context (deadline, cancellation), bounded by the results listener's
 * waiters rather than by threads. Thread-safe (no state of its own).
 */
final class StreamAppends {
  /** Characters kept free in a client-chosen Append id for the retry suffix {@code .r<n>}. */
  static final int RETRY_ID_SUFFIX_MAX = 3;

  private final TxnRunner runner;
  private final StreamMetadataReader reader;
  private final Limits limits;

  /**
   * @param runner runs transactions through the log
   * @param reader reads and caches stream metadata (routing uses the cache first)
   * @param limits request bounds (record sizes: valueBytesMax per record; the whole append as a
   *     transaction: txnBytesMax; ids: txnIdLengthMax less the retry suffix)
   */
  StreamAppends(TxnRunner runner, StreamMetadataReader reader, Limits limits) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Appends the request's records within {@code context}'s deadline.
   *
   * @return the records' ids (shard, offset) in request order and the transaction's position; or
   *     a failure that {@link StreamStatuses#toStatus} maps to the class comment's statuses (bad
   *     input fails at once, as INVALID_ARGUMENT)
   */
  CompletableFuture<AppendResponse> append(Context context, AppendRequest request) {
    try {
      return attempt(context, plan(request), 1);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A validated Append: the request, its transaction id and each record's partition-key hash. */
  private record AppendPlan(AppendRequest request, String baseId, List<byte[]> hashes) {
    boolean pinned() {
      return request.hasShardId() || request.hasExpectedOffset();
    }
  }

  private AppendPlan plan(AppendRequest request) {
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
      StreamStatuses.checkShardId(request.getShardId(), "shard_id");
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
   * SHARD_CLOSED / NOT_FOUND tries again, at most {@value StreamStatuses#ATTEMPTS_MAX} times.
   */
  private CompletableFuture<AppendResponse> attempt(Context context, AppendPlan plan, int attempt) {
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
              StreamStatuses.requireOpenShard(meta, request.getShardId());
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
          return run.thenCompose(result -> outcome(context, plan, attempt, shards, opShards, result));
        });
  }

  /**
   * The answer to an attempt's result: the record ids when it committed, the next attempt when a
   * shard closed under an unpinned append, a failure otherwise.
   */
  private CompletableFuture<AppendResponse> outcome(
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
        // The post-state's next offset is one past this op's last record.
        ShardState state = StreamStatuses.requirePostState(result, opIndex);
        long first = state.getNextOffset() - entry.getValue().size();
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
              StreamStatuses.gaveUp(
                  "appending to stream '" + stream + "' (its shards kept changing)"));
        }
        // Re-read (through the log) and route again.
        return attempt(context, plan, attempt + 1);
      }
      default -> {
        return CompletableFuture.failedFuture(StreamStatuses.unexpectedAbort(result));
      }
    }
  }
}
