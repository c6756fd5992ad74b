package io.ordo.gateway.core;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.TxnStreamRequest;
import io.ordo.proto.TxnStreamResponse;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code ordo.v1.Ordo/TxnStream} call: many transactions in flight on one bidirectional
 * stream, each request answered by one response with the request's correlation number, in the
 * order the transactions complete.
 *
 * <p><b>Bound.</b> At most {@code inFlightMax} requests of the stream are in flight (received, not
 * yet answered). The call reads the stream through gRPC's manual flow control: it asks the
 * transport for {@code inFlightMax} messages at the start and for one more each time an answer has
 * been handed to a transport that is ready to send; while the client reads no responses the call
 * asks for nothing, so neither the requests nor the responses it holds grow beyond the bound. The
 * gateway-wide bound ({@link Limits#inFlightTxnMax()}) still applies per request
 * (RESOURCE_EXHAUSTED in that request's response).
 *
 * <p><b>Errors.</b> Each request's failure is its response's {@code error} (a {@code
 * google.rpc.Status} with the code and description the unary {@code Txn} fails with: bad input
 * INVALID_ARGUMENT, a DUPLICATE outcome ALREADY_EXISTS, no result in time DEADLINE_EXCEEDED, ...);
 * a request without {@code txn}, with unknown fields or with a correlation number already in
 * flight on this stream gets INVALID_ARGUMENT. The stream ends with OK after the client
 * half-closed it and every request was answered. The client cancelling the stream (or its
 * deadline passing) frees every waiting transaction at once (the call's context is cancelled,
 * which {@link TxnRunner} listens to); transactions already appended still run, their outcome is
 * unknown to the client.
 *
 * <p>Threads: gRPC delivers the requests serially; answers come from the runner's response
 * threads, so everything that touches the response side holds the instance's lock.
 */
final class TxnStreamCall implements StreamObserver<TxnStreamRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(TxnStreamCall.class);

  /** Requests of one stream in flight at most (the proto's TXN_STREAM_IN_FLIGHT_MAX). */
  static final int IN_FLIGHT_MAX = 1_024;

  private final ServerCallStreamObserver<TxnStreamResponse> responses;
  private final Function<TxnRequest, CompletableFuture<TxnResult>> start;

  // Guarded by this.
  private final Set<Long> inFlight = new HashSet<>();
  private int owed; // messages to ask the transport for once it is ready to send again
  private boolean halfClosed;
  private boolean ended;

  private TxnStreamCall(
      ServerCallStreamObserver<TxnStreamResponse> responses,
      Function<TxnRequest, CompletableFuture<TxnResult>> start) {
    this.responses = responses;
    this.start = start;
  }

  /**
   * Sets up the call on gRPC's thread, inside the service method (manual flow control must be
   * chosen before the method returns).
   *
   * @param responses the call's response side
   * @param start validates and runs one transaction ({@link OrdoService#startTxn}); a failed
   *     future carries a {@link StatusRuntimeException}
   * @param inFlightMax requests of the stream in flight at most, >= 1
   * @return the request side to hand back to gRPC
   */
  static TxnStreamCall start(
      ServerCallStreamObserver<TxnStreamResponse> responses,
      Function<TxnRequest, CompletableFuture<TxnResult>> start,
      int inFlightMax) {
    if (inFlightMax < 1) {
      throw new IllegalArgumentException("inFlightMax must be >= 1, got " + inFlightMax);
    }
    TxnStreamCall call = new TxnStreamCall(responses, start);
    responses.disableAutoRequest();
    responses.setOnReadyHandler(call::transportReady);
    responses.setOnCancelHandler(call::cancelled);
    responses.request(inFlightMax);
    return call;
  }

  @Override
  public void onNext(TxnStreamRequest request) {
    long correlation = request.getCorrelation();
    StatusRuntimeException invalid = checkRequest(request);
    synchronized (this) {
      if (ended) {
        return;
      }
      if (invalid == null && !inFlight.add(correlation)) {
        invalid =
            Status.INVALID_ARGUMENT
                .withDescription(
                    "correlation "
                        + Long.toUnsignedString(correlation)
                        + " is already in flight on this stream")
                .asRuntimeException();
      }
      if (invalid != null) {
        // Not registered as in flight: answered at once, and its message counts as answered.
        send(failure(correlation, invalid));
        grantOne();
        return;
      }
    }
    CompletableFuture<TxnResult> result;
    try {
      result = start.apply(request.getTxn());
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    result.whenComplete((r, error) -> answer(correlation, r, error));
  }

  @Override
  public void onError(Throwable t) {
    // The client cancelled or the transport failed: the call's context is cancelled too, which
    // frees the waiters; nothing more can be sent.
    cancelled();
  }

  @Override
  public synchronized void onCompleted() {
    halfClosed = true;
    finishIfDone();
  }

  private StatusRuntimeException checkRequest(TxnStreamRequest request) {
    try {
      Validation.checkNoUnknownFields(request, "request");
      if (!request.hasTxn()) {
        throw new IllegalArgumentException("txn is missing");
      }
      return null;
    } catch (IllegalArgumentException e) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
  }

  private void answer(long correlation, TxnResult result, Throwable error) {
    TxnStreamResponse response;
    if (error != null) {
      response = failure(correlation, TxnRunner.statusOf("", null, TxnRunner.unwrap(error)));
    } else if (result.getOutcome() == Outcome.COMMITTED || result.getOutcome() == Outcome.ABORTED) {
      response =
          TxnStreamResponse.newBuilder()
              .setCorrelation(correlation)
              .setResponse(TxnResponse.newBuilder().setResult(result))
              .build();
    } else {
      response = failure(correlation, TxnRunner.duplicateOrUnknown(result));
    }
    synchronized (this) {
      inFlight.remove(correlation);
      if (ended) {
        return;
      }
      send(response);
      grantOne();
      finishIfDone();
    }
  }

  private TxnStreamResponse failure(long correlation, StatusRuntimeException error) {
    Status status = StatusDescriptionLimit.bounded(error.getStatus());
    return TxnStreamResponse.newBuilder()
        .setCorrelation(correlation)
        .setError(StatusProto.fromStatusAndTrailers(status, null))
        .build();
  }

  // The methods below hold the lock.

  private void send(TxnStreamResponse response) {
    try {
      responses.onNext(response);
    } catch (RuntimeException e) {
      // Cancelled meanwhile: nothing is left to answer.
      LOG.debug("could not answer a TxnStream request: {}", e.toString());
      ended = true;
    }
  }

  /** One answer went out: ask for one more request, now or once the transport can send again. */
  private void grantOne() {
    if (ended) {
      return;
    }
    if (responses.isReady()) {
      responses.request(1);
    } else {
      owed++;
    }
  }

  private synchronized void transportReady() {
    if (!ended && owed > 0 && responses.isReady()) {
      responses.request(owed);
      owed = 0;
    }
  }

  private void finishIfDone() {
    if (halfClosed && inFlight.isEmpty() && !ended) {
      ended = true;
      try {
        responses.onCompleted();
      } catch (RuntimeException e) {
        LOG.debug("could not end a TxnStream call: {}", e.toString());
      }
    }
  }

  private synchronized void cancelled() {
    ended = true;
  }
}
