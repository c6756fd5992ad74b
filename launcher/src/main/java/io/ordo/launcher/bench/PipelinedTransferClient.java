package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link TransferClient} that can keep several transfers outstanding on its one connection
 * (the load generator's pipelined mode). {@link #execute} is {@code submit(t).join()}.
 */
public interface PipelinedTransferClient extends TransferClient {
  /** Upper bound on transfers one client keeps outstanding (Ordo's TxnStream bound). */
  int IN_FLIGHT_MAX = io.ordo.gateway.client.TxnPipeline.WINDOW_MAX;

  /**
   * Sends {@code transfer}, waiting first while the client's window is full.
   *
   * @return its outcome; the future never fails (a failure is an {@link Attempt#failed}
   *     attempt)
   * @throws InterruptedException if interrupted while the window is full (nothing was sent)
   */
  CompletableFuture<Attempt> submit(TransferWorkload.Transfer transfer)
      throws InterruptedException;

  @Override
  default Attempt execute(TransferWorkload.Transfer transfer) throws InterruptedException {
    return submit(transfer).join();
  }
}
