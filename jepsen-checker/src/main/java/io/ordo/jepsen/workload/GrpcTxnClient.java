package io.ordo.jepsen.workload;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/** A {@link TxnClient} over one plaintext gRPC channel to an Ordo gateway ({@code host:port}). */
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
    return stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).txn(request).getResult();
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
