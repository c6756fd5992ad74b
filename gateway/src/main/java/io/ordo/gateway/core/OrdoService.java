package io.ordo.gateway.core;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.Delete;
import io.ordo.proto.DeleteRequest;
import io.ordo.proto.DeleteResponse;
import io.ordo.proto.Get;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.HealthRequest;
import io.ordo.proto.HealthResponse;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.PutRequest;
import io.ordo.proto.PutResponse;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.TxnStreamRequest;
import io.ordo.proto.TxnStreamResponse;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ordo.v1.Ordo} gRPC service: validates a request, builds a {@link Transaction}, waits
 * for its result on the {@link ResultListener} and appends it ({@link TxnRunner}).
 *
 * <p>Methods: {@code Txn} runs the client's operations (keys starting with U+0000 are internal
 * and rejected; {@code stream_append} and {@code ack} operations leave the key empty and are
 * resolved to internal keys by the {@link StreamOpsResolver}); {@code Get} is {@code Txn[get(key)]},
 * {@code Put} is {@code Txn[put(key, value)]}, {@code Delete} is {@code Txn[get(key),
 * delete(key)]} (existed = the get found the key), so single-key calls are ordered like any
 * other transaction (strict serializable). A transaction id left empty is generated (a random
 * UUID: ids are inputs of the executor, not outputs, so randomness here is harmless).
 *
 * <p>Status codes:
 *
 * <ul>
 *   <li>INVALID_ARGUMENT: bad input, with the reason from {@link Validation}.
 *   <li>RESOURCE_EXHAUSTED: {@code inFlightTxnMax} transactions already wait.
 *   <li>ALREADY_EXISTS: the id was already sequenced (outcome DUPLICATE); the message names this
 *       request's own log entry, which did not run.
 *   <li>DEADLINE_EXCEEDED: no result before the deadline (the client's, or {@code
 *       defaultDeadlineMs}); the message names the id, says the outcome is unknown and gives the
 *       log position when the append had completed.
 *   <li>UNAVAILABLE: the append to the log failed, or the gateway is shutting down.
 *   <li>ABORTED: only for Get/Put/Delete, whose single-key transactions should never abort. An
 *       aborted {@code Txn} is a normal response ({@code result.outcome = ABORTED}) whatever its
 *       reason (e.g. BOUND_VIOLATED, or OUT_OF_RANGE when a counter would leave int64): the
 *       reason is the transaction's outcome, not a failure of the call.
 * </ul>
 *
 * <p>Each request is answered by the result of its own log entry ({@link ResultListener}: same
 * id and the partition and offset its append was acknowledged at), so requests that share an id,
 * at once or one after the other, never receive each other's results. Retries: a client that got
 * DEADLINE_EXCEEDED may retry with the same id; within the dedup window the retry's own entry is
 * a duplicate and gets ALREADY_EXISTS (the original's result is not handed to it: it cannot be
 * told from another client's that chose the same id).
 *
 * <p>Deadlines: the service stops waiting a little before the client's deadline (a fifth of the
 * remaining time, at most {@value #DEADLINE_MARGIN_MS_MAX} ms; see {@link
 * #waitMsForRemainingMs}) so its own DEADLINE_EXCEEDED, with the id and the "outcome unknown"
 * reason, reaches the client before the client's timer fires.
 * Waits are capped at {@link TxnRunner#DEADLINE_MS_MAX}.
 *
 * <p>{@code TxnStream} runs the same requests as {@code Txn}, many in flight on one stream, each
 * answered by a response with its correlation number and its result or the status above ({@link
 * TxnStreamCall}: bounds, flow control, errors per request).
 *
 * <p>Threads: handlers never block on a result; results are delivered on {@code
 * responseExecutor}, never on the Kafka consumer or producer threads.
 */
public final class OrdoService extends OrdoGrpc.OrdoImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(OrdoService.class);

  /** The most the service shortens a client's deadline by, in milliseconds. */
  public static final long DEADLINE_MARGIN_MS_MAX = 1_000;

  /**
   * Health status when the log producer and the results listener are up (liveness; readiness,
   * which includes the executor, is the response's {@code ready}).
   */
  public static final String SERVING = "SERVING";

  /** Health status otherwise. */
  public static final String NOT_SERVING = "NOT_SERVING";

  private final TxnRunner runner;
  private final ResultListener results;
  private final SequencerHealth sequencerHealth;
  private final Limits limits;
  private final StreamOpsResolver streamOps;
  private final GatewayHealth health;

  /**
   * A service without stream support: {@code Txn} requests with stream operations get
   * FAILED_PRECONDITION.
   *
   * @param runner runs transactions through the log and waits for their results
   * @param results the started results listener (for Health)
   * @param sequencerHealth reports the producer's health
   * @param limits bounds on requests
   */
  public OrdoService(
      TxnRunner runner, ResultListener results, SequencerHealth sequencerHealth, Limits limits) {
    this(runner, results, sequencerHealth, limits, null);
  }

  /**
   * @param runner runs transactions through the log and waits for their results
   * @param results the started results listener (for Health)
   * @param sequencerHealth reports the producer's health
   * @param limits bounds on requests
   * @param streamOps resolves and runs {@code Txn} requests with stream operations; null when
   *     this gateway serves none
   */
  public OrdoService(
      TxnRunner runner,
      ResultListener results,
      SequencerHealth sequencerHealth,
      Limits limits,
      StreamOpsResolver streamOps) {
    this(
        runner,
        results,
        sequencerHealth,
        limits,
        streamOps,
        new GatewayHealth(
            sequencerHealth, results, java.util.Optional.empty(), java.util.Optional.empty()));
  }

  /**
   * @param runner runs transactions through the log and waits for their results
   * @param results the started results listener
   * @param sequencerHealth reports the producer's health
   * @param limits bounds on requests
   * @param streamOps resolves and runs {@code Txn} requests with stream operations; null when
   *     this gateway serves none
   * @param health what Health reports, part by part
   */
  public OrdoService(
      TxnRunner runner,
      ResultListener results,
      SequencerHealth sequencerHealth,
      Limits limits,
      StreamOpsResolver streamOps,
      GatewayHealth health) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.results = Objects.requireNonNull(results, "results");
    this.sequencerHealth = Objects.requireNonNull(sequencerHealth, "sequencerHealth");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.streamOps = streamOps;
    this.health = Objects.requireNonNull(health, "health");
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> observer) {
    String txnId = request.getId();
    startTxn(request)
        .whenComplete((result, error) -> respond(txnId, result, error, observer, OrdoService::txnResponse));
  }

  @Override
  public StreamObserver<TxnStreamRequest> txnStream(StreamObserver<TxnStreamResponse> responses) {
    return TxnStreamCall.start(
        (ServerCallStreamObserver<TxnStreamResponse>) responses,
        this::startTxn,
        TxnStreamCall.IN_FLIGHT_MAX);
  }

  /**
   * Validates {@code request} and runs it within the current gRPC context's deadline: the result
   * (COMMITTED, ABORTED or DUPLICATE), or a future failed with the {@link StatusRuntimeException}
   * the class comment lists (INVALID_ARGUMENT for bad input, FAILED_PRECONDITION for stream
   * operations on a gateway that serves none, ...). Must be called on the call's thread.
   */
  CompletableFuture<TxnResult> startTxn(TxnRequest request) {
    Transaction txn;
    try {
      Validation.checkTxnRequest(request, limits);
      txn =
          Transaction.newBuilder()
              .setId(request.getId().isEmpty() ? newTxnId() : request.getId())
              .addAllOps(request.getOpsList())
              .setReturnPostState(request.getReturnPostState())
              .build();
      Validation.checkEncodedSize(txn, limits);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(invalidArgument(e));
    }
    if (!hasStreamOps(txn)) {
      return runner.execute(txn);
    }
    if (streamOps == null) {
      return CompletableFuture.failedFuture(
          Status.FAILED_PRECONDITION
              .withDescription("this gateway does not serve stream operations")
              .asRuntimeException());
    }
    try {
      return streamOps.execute(txn);
    } catch (StatusRuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static boolean hasStreamOps(Transaction txn) {
    for (Operation op : txn.getOpsList()) {
      if (op.getOpCase() == Operation.OpCase.STREAM_APPEND
          || op.getOpCase() == Operation.OpCase.ACK) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> observer) {
    Transaction txn;
    try {
      Validation.checkNoUnknownFields(request, "request");
      Validation.checkClientKey(request.getKey(), "key", limits);
      txn = singleKey(Operation.newBuilder().setKey(request.getKey()).setGet(Get.getDefaultInstance()));
    } catch (IllegalArgumentException e) {
      observer.onError(invalidArgument(e));
      return;
    }
    run(
        txn,
        observer,
        result -> {
          requireCommitted(result);
          GetResponse.Builder response = GetResponse.newBuilder().setPosition(result.getPosition());
          KeyRead read = readOf(result, 0);
          if (read != null && read.getFound()) {
            response.setFound(true).setValue(read.getValue());
          }
          return response.build();
        });
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> observer) {
    Transaction txn;
    try {
      Validation.checkNoUnknownFields(request, "request");
      Validation.checkClientKey(request.getKey(), "key", limits);
      if (!request.hasValue()) {
        throw new IllegalArgumentException("value is missing");
      }
      Validation.checkValue(request.getValue(), "value", limits);
      txn =
          singleKey(
              Operation.newBuilder()
                  .setKey(request.getKey())
                  .setPut(Put.newBuilder().setValue(request.getValue())));
      Validation.checkEncodedSize(txn, limits);
    } catch (IllegalArgumentException e) {
      observer.onError(invalidArgument(e));
      return;
    }
    run(
        txn,
        observer,
        result -> {
          requireCommitted(result);
          return PutResponse.newBuilder().setPosition(result.getPosition()).build();
        });
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> observer) {
    Transaction txn;
    try {
      Validation.checkNoUnknownFields(request, "request");
      Validation.checkClientKey(request.getKey(), "key", limits);
      txn =
          Transaction.newBuilder()
              .setId(newTxnId())
              .addOps(Operation.newBuilder().setKey(request.getKey()).setGet(Get.getDefaultInstance()))
              .addOps(
                  Operation.newBuilder()
                      .setKey(request.getKey())
                      .setDelete(Delete.getDefaultInstance()))
              .build();
    } catch (IllegalArgumentException e) {
      observer.onError(invalidArgument(e));
      return;
    }
    run(
        txn,
        observer,
        result -> {
          requireCommitted(result);
          KeyRead read = readOf(result, 0);
          return DeleteResponse.newBuilder()
              .setExisted(read != null && read.getFound())
              .setPosition(result.getPosition())
              .build();
        });
  }

  @Override
  public void health(HealthRequest request, StreamObserver<HealthResponse> observer) {
    // status/detail as always (liveness); live, ready and parts added (GatewayHealth).
    observer.onNext(health.report(request.getProbe()));
    observer.onCompleted();
  }

  /**
   * Runs the transaction ({@link TxnRunner}) and answers once: with {@code toResponse(result)},
   * or with the status that explains why there is no result.
   */
  private <R> void run(
      Transaction txn, StreamObserver<R> observer, Function<TxnResult, R> toResponse) {
    runner.execute(txn).whenComplete((result, error) -> respond(txn.getId(), result, error, observer, toResponse));
  }

  private <R> void respond(
      String txnId,
      TxnResult result,
      Throwable error,
      StreamObserver<R> observer,
      Function<TxnResult, R> toResponse) {
    try {
      if (error != null) {
        observer.onError(TxnRunner.statusOf(txnId, null, TxnRunner.unwrap(error)));
        return;
      }
      if (result.getOutcome() != Outcome.COMMITTED && result.getOutcome() != Outcome.ABORTED) {
        observer.onError(TxnRunner.duplicateOrUnknown(result));
        return;
      }
      R response;
      try {
        response = toResponse.apply(result);
      } catch (StatusRuntimeException e) {
        observer.onError(e);
        return;
      }
      observer.onNext(response);
      observer.onCompleted();
    } catch (RuntimeException e) {
      // The call was cancelled meanwhile (the client left); nothing is left to answer.
      LOG.debug("could not answer the call for transaction '{}': {}", txnId, e.toString());
    }
  }

  /**
   * How long the service waits for a result when the client's deadline is {@code remainingMs}
   * away: a fifth less, at most {@value #DEADLINE_MARGIN_MS_MAX} ms less, so that its own
   * DEADLINE_EXCEEDED (naming the id and the log position) reaches the client before the
   * client's timer fires.
   */
  public static long waitMsForRemainingMs(long remainingMs) {
    return remainingMs - Math.min(DEADLINE_MARGIN_MS_MAX, Math.max(1, remainingMs / 5));
  }

  /**
   * The call deadline, in milliseconds, under which the service waits exactly {@code waitMs}
   * (the inverse of {@link #waitMsForRemainingMs}); the REST side uses it for {@code
   * ?timeoutMs=}.
   */
  public static long deadlineMsForWaitMs(long waitMs) {
    return waitMs + Math.min(DEADLINE_MARGIN_MS_MAX, Math.max(1, waitMs / 4));
  }

  private static TxnResponse txnResponse(TxnResult result) {
    return TxnResponse.newBuilder().setResult(result).build();
  }

  private static Transaction singleKey(Operation.Builder op) {
    return Transaction.newBuilder().setId(newTxnId()).addOps(op).build();
  }

  private static String newTxnId() {
    return TxnRunner.newTxnId();
  }

  private static KeyRead readOf(TxnResult result, int opIndex) {
    for (KeyRead read : result.getReadsList()) {
      if (read.getOpIndex() == opIndex && !read.getPostState()) {
        return read;
      }
    }
    return null;
  }

  private static void requireCommitted(TxnResult result) {
    if (result.getOutcome() != Outcome.COMMITTED) {
      throw Status.ABORTED
          .withDescription(
              "transaction '"
                  + result.getTxnId()
                  + "' aborted ("
                  + result.getAbortReason()
                  + ")"
                  + (result.getDetail().isEmpty() ? "" : ": " + result.getDetail()))
          .asRuntimeException();
    }
  }

  private static StatusRuntimeException invalidArgument(IllegalArgumentException e) {
    return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
  }
}
