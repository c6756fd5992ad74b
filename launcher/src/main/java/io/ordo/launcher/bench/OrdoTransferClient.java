package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.TxnResult;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Sends each transfer as one Ordo transaction ({@link TransferWorkload#toRequest}) over a gRPC
 * channel (shared between clients; the channel multiplexes calls) and maps the result: COMMITTED,
 * ABORTED with BOUND_VIOLATED = {@link TransferClient#INSUFFICIENT_FUNDS}, any other abort by its
 * reason name, any other outcome as error {@code OUTCOME_<name>}, an RPC failure as error {@code
 * RPC_<status code>}.
 */
public final class OrdoTransferClient implements TransferClient {
  /** Pause after a failed RPC so that a client facing an unavailable gateway does not spin. */
  static final long ERROR_PAUSE_MS = 10;

  private final OrdoGrpc.OrdoBlockingStub stub;
  private final long rpcTimeoutMs;

  /**
   * @param channel a channel to the gateway's gRPC endpoint; not closed here
   * @param rpcTimeout deadline of each transfer, positive
   */
  public OrdoTransferClient(Channel channel, Duration rpcTimeout) {
    this.stub = OrdoGrpc.newBlockingStub(Objects.requireNonNull(channel, "channel"));
    this.rpcTimeoutMs = rpcTimeout.toMillis();
    if (rpcTimeoutMs <= 0) {
      throw new IllegalArgumentException("rpc timeout must be positive, got " + rpcTimeout);
    }
  }

  @Override
  public Attempt execute(TransferWorkload.Transfer transfer) throws InterruptedException {
    TxnResult result;
    try {
      result = stub.withDeadlineAfter(rpcTimeoutMs, TimeUnit.MILLISECONDS)
          .txn(TransferWorkload.toRequest(transfer))
          .getResult();
    } catch (StatusRuntimeException e) {
      Thread.sleep(ERROR_PAUSE_MS);
      return Attempt.failed("RPC_" + e.getStatus().getCode().name());
    }
    return attemptOf(result);
  }

  /** The attempt a transaction's result stands for (see the class comment). */
  static Attempt attemptOf(TxnResult result) {
    return switch (result.getOutcome()) {
      case COMMITTED -> Attempt.committedAt(result.getPosition().getTs());
      case ABORTED -> Attempt.aborted(switch (result.getAbortReason()) {
        case BOUND_VIOLATED -> INSUFFICIENT_FUNDS;
        default -> result.getAbortReason().name();
      });
      default -> Attempt.failed("OUTCOME_" + result.getOutcome().name());
    };
  }

  @Override
  public void close() {
    // The channel belongs to the caller.
  }
}
