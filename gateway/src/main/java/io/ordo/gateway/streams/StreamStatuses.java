package io.ordo.gateway.streams;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.proto.AbortReason;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Outcome;
import io.ordo.proto.ShardState;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the Streams calls share when they run transactions and fail: the bound on attempts, the
 * statuses they answer with, the checks that throw them, and the mapping of any failure to a
 * status. Stateless.
 *
 * <p>Failures map as follows ({@link #toStatus}): a {@link StatusRuntimeException} is kept (the
 * {@link TxnRunner}'s DEADLINE_EXCEEDED, UNAVAILABLE, RESOURCE_EXHAUSTED pass through so); an
 * {@link IllegalArgumentException} is INVALID_ARGUMENT with its message; an interrupt is
 * CANCELLED ("the gateway is stopping"), a cancellation CANCELLED; anything else is INTERNAL and
 * logged. Wrappers ({@link CompletionException}, {@link ExecutionException}) are looked through.
 */
final class StreamStatuses {
  private static final Logger LOG = LoggerFactory.getLogger(StreamStatuses.class);

  /** Most attempts of an OLLP change or an append that meets a closed shard. */
  static final int ATTEMPTS_MAX = 5;

  private StreamStatuses() {}

  /** The status a failure of a handler maps to (see the class comment). */
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
    if (e instanceof CancellationException) {
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

  /**
   * Waits for a future of the runner or reader (they are bounded by the call's deadline) and
   * rethrows its failure unwrapped; a checked cause becomes INTERNAL.
   */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw Status.INTERNAL.withDescription(cause.toString()).withCause(cause).asRuntimeException();
    }
  }

  /**
   * Runs {@code txn} and waits for its result (blocking: only on the unary pool); a DUPLICATE or
   * unknown outcome becomes its status ({@link TxnRunner#duplicateOrUnknown}), so the result is
   * COMMITTED or ABORTED.
   */
  static TxnResult run(TxnRunner runner, Transaction txn) {
    TxnResult result = await(runner.execute(txn));
    if (result.getOutcome() != Outcome.COMMITTED && result.getOutcome() != Outcome.ABORTED) {
      throw TxnRunner.duplicateOrUnknown(result);
    }
    return result;
  }

  /** Throws INTERNAL unless {@code result} aborted on ASSERT_FAILED (an OLLP race: re-read). */
  static void requireAssertFailed(TxnResult result) {
    if (result.getAbortReason() != AbortReason.ASSERT_FAILED) {
      throw unexpectedAbort(result);
    }
  }

  /** INTERNAL: a transaction the gateway planned aborted for a reason the plan rules out. */
  static StatusRuntimeException unexpectedAbort(TxnResult result) {
    return Status.INTERNAL
        .withDescription(
            "transaction '" + result.getTxnId() + "' aborted unexpectedly ("
                + result.getAbortReason() + "): " + result.getDetail())
        .asRuntimeException();
  }

  /** UNAVAILABLE: {@code what} lost the race with metadata changes {@value #ATTEMPTS_MAX} times. */
  static StatusRuntimeException gaveUp(String what) {
    return Status.UNAVAILABLE
        .withDescription(
            what + " failed: the metadata changed under each of " + ATTEMPTS_MAX
                + " attempts; retry later")
        .asRuntimeException();
  }

  /** NOT_FOUND: {@code stream} has no shard {@code shardId}. */
  static StatusRuntimeException noSuchShard(String stream, long shardId) {
    return Status.NOT_FOUND
        .withDescription("stream '" + stream + "' has no shard " + shardId)
        .asRuntimeException();
  }

  /** FAILED_PRECONDITION: reads need the local store, which this gateway was started without. */
  static StatusRuntimeException noStore() {
    return Status.FAILED_PRECONDITION
        .withDescription(
            "this gateway has no local store (it was started without a data directory), so it"
                + " cannot serve reads")
        .asRuntimeException();
  }

  /** @throws IllegalArgumentException when {@code shardId} is negative */
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

  /**
   * The shard's state after the stream operation at {@code opIndex} of a committed {@code result}
   * (the executor reports it as a post-state read); INTERNAL status when the result lacks it.
   */
  static ShardState requirePostState(TxnResult result, int opIndex) {
    for (KeyRead read : result.getReadsList()) {
      if (read.getOpIndex() == opIndex
          && read.getPostState()
          && read.getValue().getKindCase() == Value.KindCase.SHARD) {
        return read.getValue().getShard();
      }
    }
    throw Status.INTERNAL
        .withDescription(
            "the result of transaction '" + result.getTxnId() + "' lacks a shard post-state")
        .asRuntimeException();
  }
}
