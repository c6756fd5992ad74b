package io.ordo.jepsen.workload;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TxnClient} over one plaintext gRPC channel to an Ordo gateway ({@code host:port}).
 *
 * <p>Calls wait for the channel to be ready (gRPC's wait-for-ready) within their deadline, so while
 * the gateway is down (the restart-all nemesis) each worker records one info op per deadline rather
 * than thousands of instant UNAVAILABLE ones; both outcomes are info (unknown), so the history's
 * meaning is the same, only far smaller. After a call fails with DEADLINE_EXCEEDED or UNAVAILABLE
 * the channel's reconnect backoff is reset, so a gateway that is back is found within about a
 * second rather than after gRPC's backoff (which grows to two minutes).
 */
public final class GrpcTxnClient implements TxnClient, AutoCloseable {
  /** How long {@link #close} waits for in-flight calls to end, in milliseconds. */
  public static final long SHUTDOWN_WAIT_MS = 5_000;

  private final ManagedChannel channel;
  private final OrdoGrpc.OrdoBlockingStub stub;

  private GrpcTxnClient(ManagedChannel channel) {
    this.channel = channel;
    this.stub = OrdoGrpc.newBlockingStub(channel);
  }

  /**
   * Opens a channel to {@code target}; connecting is lazy, so an unreachable gateway shows up as
   * {@code UNAVAILABLE} on the first call.
   *
   * @param target {@code host:port} of the gateway's gRPC port
   * @throws IllegalArgumentException if the target is blank
   */
  public static GrpcTxnClient connect(String target) {
    Objects.requireNonNull(target, "target");
    if (target.isBlank()) {
      throw new IllegalArgumentException("gRPC target must be host:port, got a blank string");
    }
    return new GrpcTxnClient(ManagedChannelBuilder.forTarget(target).usePlaintext().build());
  }

  @Override
  public TxnResult txn(TxnRequest request, long deadlineMs) {
    if (deadlineMs <= 0) {
      throw new IllegalArgumentException("deadlineMs must be > 0, got " + deadlineMs);
    }
    try {
      return stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).withWaitForReady().txn(request).getResult();
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.UNAVAILABLE) {
        channel.resetConnectBackoff();
      }
      throw e;
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
