package io.ordo.launcher.bench;

import io.grpc.Channel;
import io.grpc.Status;
import io.ordo.gateway.client.TxnPipeline;
import io.ordo.launcher.demo.TransferWorkload;
import java.util.concurrent.CompletableFuture;

/**
 * Sends transfers as Ordo transactions over one {@code TxnStream} ({@link TxnPipeline}), up to
 * {@code inFlight} at once, and maps each result as {@link OrdoTransferClient} does. Each
 * transfer waits at most the gateway's default deadline (the stream has none); a per-request
 * failure is error {@code RPC_<status code>}.
 */
public final class OrdoPipelinedTransferClient implements PipelinedTransferClient {
  private final TxnPipeline pipeline;

  /**
   * @param channel a channel to the gateway's gRPC endpoint; not closed here
   * @param inFlight transfers outstanding at most, in [1, {@value #IN_FLIGHT_MAX}]
   */
  public OrdoPipelinedTransferClient(Channel channel, int inFlight) {
    this.pipeline = new TxnPipeline(channel, inFlight);
  }

  @Override
  public CompletableFuture<Attempt> submit(TransferWorkload.Transfer transfer)
      throws InterruptedException {
    return pipeline.submit(TransferWorkload.toRequest(transfer)).handle((response, error) ->
        error == null ? OrdoTransferClient.attemptOf(response.getResult())
            : Attempt.failed("RPC_" + Status.fromThrowable(error).getCode().name()));
  }

  /** Cancels the stream: transfers still out end as {@code RPC_CANCELLED}. */
  @Override
  public void close() {
    pipeline.close();
  }
}
