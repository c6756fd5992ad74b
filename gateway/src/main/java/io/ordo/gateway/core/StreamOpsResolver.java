package io.ordo.gateway.core;

import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a client transaction that carries stream operations ({@code stream_append}, {@code ack})
 * whose internal keys the gateway must fill in: implemented by the streams package, which knows
 * the stream metadata; {@link OrdoService} only hands such transactions over.
 */
public interface StreamOpsResolver {
  /**
   * Resolves the stream operations of {@code clientTxn} (already validated by {@link Validation})
   * into operations on internal keys, runs the transaction and returns its result, with operation
   * indexes referring to {@code clientTxn}'s operations.
   *
   * <p>Must be called on the gRPC call's thread (the call's context carries its deadline).
   * Failures complete the future with a {@code StatusRuntimeException}.
   */
  CompletableFuture<TxnResult> execute(Transaction clientTxn);
}
