package io.ordo.jepsen.workload;

import io.grpc.StatusRuntimeException;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;

/**
 * Sends one transaction to Ordo and waits for its result. Implementations are thread-safe.
 *
 * <p>Errors follow the gateway's gRPC contract: {@code DEADLINE_EXCEEDED} (the outcome is unknown),
 * {@code UNAVAILABLE} (unknown), {@code ALREADY_EXISTS} (the id was used before), {@code
 * INVALID_ARGUMENT} (rejected before it was sequenced, so it certainly did not happen).
 */
public interface TxnClient {
  /**
   * Runs {@code request}.
   *
   * @param deadlineMs how long to wait for the result, in milliseconds, > 0
   * @return the result (committed or aborted)
   * @throws StatusRuntimeException on any gRPC error, as listed above
   */
  TxnResult txn(TxnRequest request, long deadlineMs);
}
