package io.ordo.gateway.streams;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.StreamOpsResolver;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.core.Validation;
import io.ordo.proto.AbortReason;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.StreamMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Resolves the stream operations of a client {@code Txn} and runs it.
 *
 * <ul>
 *   <li>{@code stream_append} with {@code shard_id}: the key becomes that shard's key.
 *   <li>{@code stream_append} without {@code shard_id}: its records are routed by partition key
 *       (the stream's cached metadata) and the operation becomes one append per target shard, in
 *       shard id order, each keeping its records' request order. {@code expected_offset} then
 *       needs every record in one shard (INVALID_ARGUMENT otherwise). When the transaction aborts
 *       with SHARD_CLOSED or NOT_FOUND on such a routed append (a split or merge was sequenced
 *       first), the metadata is re-read and the transaction re-run as {@code <id>.r<n>}, at most
 *       {@value StreamStatuses#ATTEMPTS_MAX} attempts (only when that id still fits
 *       txnIdLengthMax; otherwise the aborted result is returned). Nothing of an aborted attempt
 *       was applied, so re-running is safe.
 *   <li>{@code ack}: the key becomes the subscription's progress key for the shard.
 * </ul>
 *
 * The result's operation indexes ({@code reads[].op_index}, {@code failed_op_index}) are mapped
 * back to the client's operations: every append a routed operation became reports under its
 * index. A routed append on a stream that does not exist is NOT_FOUND.
 *
 * <p>Thread-safe; non-blocking (metadata reads are futures).
 */
public final class TxnStreamOps implements StreamOpsResolver {
  private final TxnRunner runner;
  private final StreamMetadataReader reader;
  private final Limits limits;

  /**
   * @param runner runs the resolved transaction
   * @param reader the stream metadata (shared with the Streams service)
   * @param limits bounds on the resolved transaction
   */
  public TxnStreamOps(TxnRunner runner, StreamMetadataReader reader, Limits limits) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * A client transaction with stream operations resolved.
   *
   * @param txn the transaction to run
   * @param originalIndex for each of its operations, the index of the client operation it came
   *     from
   * @param routed for each of its operations, whether it is an append routed by partition key
   *     without an expected offset (which a retry may route elsewhere)
   */
  record Resolution(Transaction txn, int[] originalIndex, boolean[] routed) {}

  @Override
  public CompletableFuture<TxnResult> execute(Transaction clientTxn) {
    return attempt(clientTxn, 1, Context.current());
  }

  private CompletableFuture<TxnResult> attempt(Transaction clientTxn, int attempt, Context context) {
    Map<String, CompletableFuture<StreamMetadataReader.Snapshot>> metadata = new TreeMap<>();
    for (Operation op : clientTxn.getOpsList()) {
      if (op.getOpCase() == Operation.OpCase.STREAM_APPEND && !op.getStreamAppend().hasShardId()) {
        String stream = op.getStreamAppend().getStream();
        metadata.computeIfAbsent(
            stream, s -> attempt == 1 ? reader.cachedOrRead(s) : reader.read(s));
      }
    }
    return CompletableFuture.allOf(metadata.values().toArray(CompletableFuture[]::new))
        .thenCompose(
            ignored -> {
              Map<String, StreamMetadataReader.Snapshot> snapshots = new TreeMap<>();
              metadata.forEach((stream, future) -> snapshots.put(stream, future.join()));
              String id = attempt == 1 ? clientTxn.getId() : clientTxn.getId() + ".r" + (attempt - 1);
              Resolution resolution;
              try {
                resolution = resolve(clientTxn, id, snapshots, limits);
              } catch (IllegalArgumentException e) {
                throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
              }
              return inContext(context, () -> runner.execute(resolution.txn()))
                  .thenCompose(
                      result -> {
                        if (shouldRetry(result, resolution, clientTxn.getId(), attempt)) {
                          metadata.keySet().forEach(reader::invalidate);
                          return inContext(context, () -> attempt(clientTxn, attempt + 1, context));
                        }
                        return CompletableFuture.completedFuture(remap(result, resolution));
                      });
            });
  }

  /**
   * Runs {@code step} with the call's context attached: continuations run on the runner's
   * threads, and the transactions they start must still see the call's deadline and cancellation.
   */
  private static CompletableFuture<TxnResult> inContext(
      Context context, Supplier<CompletableFuture<TxnResult>> step) {
    Context previous = context.attach();
    try {
      return step.get();
    } finally {
      context.detach(previous);
    }
  }

  private boolean shouldRetry(TxnResult result, Resolution resolution, String baseId, int attempt) {
    if (result.getOutcome() != Outcome.ABORTED
        || (result.getAbortReason() != AbortReason.SHARD_CLOSED
            && result.getAbortReason() != AbortReason.NOT_FOUND)) {
      return false;
    }
    int failed = result.getFailedOpIndex();
    return failed >= 0
        && failed < resolution.routed().length
        && resolution.routed()[failed]
        && attempt < StreamStatuses.ATTEMPTS_MAX
        && (baseId + ".r" + attempt).length() <= limits.txnIdLengthMax();
  }

  /**
   * Resolves the stream operations of {@code clientTxn} with the metadata of every stream that a
   * routed append names.
   *
   * @throws IllegalArgumentException when an expected offset meets several target shards, or the
   *     resolved transaction exceeds the limits
   * @throws StatusRuntimeException NOT_FOUND when a routed append names a missing stream
   */
  static Resolution resolve(
      Transaction clientTxn,
      String id,
      Map<String, StreamMetadataReader.Snapshot> metadata,
      Limits limits) {
    Transaction.Builder txn =
        Transaction.newBuilder().setId(id).setReturnPostState(clientTxn.getReturnPostState());
    List<Integer> originalIndex = new ArrayList<>();
    List<Boolean> routed = new ArrayList<>();
    for (int i = 0; i < clientTxn.getOpsCount(); i++) {
      Operation op = clientTxn.getOps(i);
      switch (op.getOpCase()) {
        case STREAM_APPEND -> {
          StreamAppend append = op.getStreamAppend();
          String stream = append.getStream();
          if (append.hasShardId()) {
            txn.addOps(op.toBuilder().setKey(StreamKeys.shard(stream, append.getShardId())));
            originalIndex.add(i);
            routed.add(false);
            continue;
          }
          StreamMetadataReader.Snapshot snapshot = metadata.get(stream);
          if (snapshot == null || !snapshot.exists()) {
            throw Status.NOT_FOUND
                .withDescription("op " + i + ": stream '" + stream + "' does not exist")
                .asRuntimeException();
          }
          StreamMetadata meta = snapshot.require();
          TreeMap<Long, List<StreamRecord>> byShard = new TreeMap<>();
          for (StreamRecord record : append.getRecordsList()) {
            long shardId = StreamMetadataReader.route(meta, record.getPartitionKey()).getId();
            byShard.computeIfAbsent(shardId, s -> new ArrayList<>()).add(record);
          }
          if (append.hasExpectedOffset() && byShard.size() > 1) {
            throw new IllegalArgumentException(
                "op " + i + ": expected_offset needs a single target shard, but the records map"
                    + " to shards " + byShard.keySet() + " (set shard_id)");
          }
          for (Map.Entry<Long, List<StreamRecord>> entry : byShard.entrySet()) {
            StreamAppend.Builder part =
                append.toBuilder().setShardId(entry.getKey()).clearRecords().addAllRecords(entry.getValue());
            txn.addOps(
                Operation.newBuilder()
                    .setKey(StreamKeys.shard(stream, entry.getKey()))
                    .setStreamAppend(part));
            originalIndex.add(i);
            routed.add(!append.hasExpectedOffset());
          }
        }
        case ACK -> {
          SubscriptionAck ack = op.getAck();
          txn.addOps(op.toBuilder().setKey(StreamKeys.progress(ack.getSubscription(), ack.getShardId())));
          originalIndex.add(i);
          routed.add(false);
        }
        default -> {
          txn.addOps(op);
          originalIndex.add(i);
          routed.add(false);
        }
      }
    }
    if (txn.getOpsCount() > limits.opsPerTxnMax()) {
      throw new IllegalArgumentException(
          "transaction has " + txn.getOpsCount() + " operations once its stream appends are split"
              + " per shard; at most " + limits.opsPerTxnMax() + " are allowed (opsPerTxnMax)");
    }
    Transaction built = txn.build();
    Validation.checkEncodedSize(built, limits);
    int[] indexes = originalIndex.stream().mapToInt(Integer::intValue).toArray();
    boolean[] routedOps = new boolean[routed.size()];
    for (int k = 0; k < routedOps.length; k++) {
      routedOps[k] = routed.get(k);
    }
    return new Resolution(built, indexes, routedOps);
  }

  /** {@code result} with operation indexes of the resolved transaction mapped to the client's. */
  static TxnResult remap(TxnResult result, Resolution resolution) {
    int[] original = resolution.originalIndex();
    TxnResult.Builder out = result.toBuilder().clearReads();
    for (KeyRead read : result.getReadsList()) {
      int index = read.getOpIndex();
      out.addReads(
          index >= 0 && index < original.length ? read.toBuilder().setOpIndex(original[index]).build() : read);
    }
    int failed = result.getFailedOpIndex();
    if (failed >= 0 && failed < original.length) {
      out.setFailedOpIndex(original[failed]);
    }
    return out.build();
  }
}
