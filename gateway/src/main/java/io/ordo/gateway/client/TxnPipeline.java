package io.ordo.gateway.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import io.ordo.proto.TxnStreamRequest;
import io.ordo.proto.TxnStreamResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * An asynchronous client of a gateway's {@code TxnStream}: keeps up to {@code window}
 * transactions in flight on one bidirectional stream, like a Kafka producer, and completes each
 * {@link #submit}'s future with that transaction's response.
 *
 * <p>Correlation numbers are chosen here (1, 2, 3, ... per pipeline) and matched to the
 * responses, which arrive in completion order. {@link #submit} blocks while {@code window}
 * transactions are in flight (the window is at most {@value #WINDOW_MAX}, the gateway's bound per
 * stream, so the gateway never has to hold requests back).
 *
 * <p>Outcomes: a future completes normally with the {@link TxnResponse} (COMMITTED or ABORTED,
 * as the unary {@code Txn} answers), or exceptionally with a {@link StatusRuntimeException}: the
 * request's own status (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, ALREADY_EXISTS, DEADLINE_EXCEEDED,
 * ...), or, when the stream itself ended (gateway gone, {@link #close}), that stream's status for
 * every transaction still in flight (outcome unknown) and for every later submit.
 *
 * <p>Thread-safe. Futures complete on the channel's executor: callbacks should be short.
 */
public final class TxnPipeline implements AutoCloseable {
  /** The gateway's bound on one stream's requests in flight. */
  public static final int WINDOW_MAX = 1_024;

  private final Semaphore window;
  private final Map<Long, CompletableFuture<TxnResponse>> pending = new ConcurrentHashMap<>();
  private final ClientCallStreamObserver<TxnStreamRequest> requests;
  private long nextCorrelation = 1; // guarded by this
  private volatile StatusRuntimeException ended; // the stream's end, once it ended

  /**
   * Opens the stream.
   *
   * @param channel a channel to the gateway's gRPC endpoint (credentials as for the unary Txn
   *     belong in {@code callOptions}); not closed here
   * @param callOptions options of the stream call (e.g. {@code withCallCredentials}); a deadline
   *     here bounds the whole stream
   * @param window transactions in flight at most, in [1, {@value #WINDOW_MAX}]
   * @throws IllegalArgumentException if {@code window} is out of range
   */
  public TxnPipeline(Channel channel, CallOptions callOptions, int window) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(callOptions, "callOptions");
    if (window < 1 || window > WINDOW_MAX) {
      throw new IllegalArgumentException(
          "window must be in [1, " + WINDOW_MAX + "], got " + window);
    }
    this.window = new Semaphore(window);
    Responses responses = new Responses();
    io.grpc.ClientCall<TxnStreamRequest, TxnStreamResponse> call =
        channel.newCall(OrdoGrpc.getTxnStreamMethod(), callOptions);
    this.requests =
        (ClientCallStreamObserver<TxnStreamRequest>)
            io.grpc.stub.ClientCalls.asyncBidiStreamingCall(call, responses);
  }

  /** A pipeline with default call options. */
  public TxnPipeline(Channel channel, int window) {
    this(channel, CallOptions.DEFAULT, window);
  }

  /**
   * Sends {@code request}, waiting first while the window is full.
   *
   * @return the future of its response (see the class comment for its failures)
   * @throws InterruptedException if interrupted while the window is full (nothing was sent)
   */
  public CompletableFuture<TxnResponse> submit(TxnRequest request) throws InterruptedException {
    Objects.requireNonNull(request, "request");
    StatusRuntimeException end = ended;
    if (end != null) {
      return CompletableFuture.failedFuture(end);
    }
    window.acquire();
    CompletableFuture<TxnResponse> future = new CompletableFuture<>();
    synchronized (this) {
      end = ended;
      if (end != null) {
        window.release();
        return CompletableFuture.failedFuture(end);
      }
      long correlation = nextCorrelation++;
      pending.put(correlation, future);
      // Under the lock: a stream's request side takes one caller at a time.
      requests.onNext(
          TxnStreamRequest.newBuilder().setCorrelation(correlation).setTxn(request).build());
    }
    return future;
  }

  /** Transactions sent and not yet answered. */
  public int inFlight() {
    return pending.size();
  }

  /**
   * Cancels the stream: transactions still in flight fail with CANCELLED (their outcome is
   * unknown: appended ones still run), later submits too. Idempotent.
   */
  @Override
  public void close() {
    StatusRuntimeException cancelled =
        Status.CANCELLED.withDescription("the pipeline was closed").asRuntimeException();
    synchronized (this) {
      // A no-op on a stream that already ended.
      requests.cancel("the pipeline was closed", null);
    }
    end(cancelled);
  }

  /**
   * Half-closes the stream and returns once every transaction in flight was answered (or the
   * stream ended); later submits fail.
   */
  public void drainAndClose() throws InterruptedException {
    synchronized (this) {
      if (ended == null) {
        ended = Status.FAILED_PRECONDITION
            .withDescription("the pipeline is closing").asRuntimeException();
        requests.onCompleted();
      }
    }
    for (CompletableFuture<TxnResponse> f : new ArrayList<>(pending.values())) {
      try {
        f.join();
      } catch (RuntimeException e) {
        // Its failure is the caller's to read from the future.
      }
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /** Fails every pending future with {@code status} and every later submit. */
  private void end(StatusRuntimeException status) {
    synchronized (this) {
      if (ended == null
          || ended.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
        ended = status;
      }
    }
    List<Long> left = new ArrayList<>(pending.keySet());
    for (Long correlation : left) {
      CompletableFuture<TxnResponse> f = pending.remove(correlation);
      if (f != null) {
        window.release();
        f.completeExceptionally(status);
      }
    }
  }

  /** The response side: completes futures by correlation number. */
  private final class Responses
      implements ClientResponseObserver<TxnStreamRequest, TxnStreamResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<TxnStreamRequest> stream) {
      // Automatic inbound flow control: responses are handled at once, the window bounds them.
    }

    @Override
    public void onNext(TxnStreamResponse response) {
      CompletableFuture<TxnResponse> f = pending.remove(response.getCorrelation());
      if (f == null) {
        return; // not ours (cannot happen with a conforming gateway) or already failed by end()
      }
      window.release();
      if (response.hasResponse()) {
        f.complete(response.getResponse());
      } else {
        f.completeExceptionally(StatusProto.toStatusRuntimeException(response.getError()));
      }
    }

    @Override
    public void onError(Throwable t) {
      end(Status.fromThrowable(t)
          .augmentDescription("the TxnStream ended; the outcome of transactions in flight is"
              + " unknown")
          .asRuntimeException());
    }

    @Override
    public void onCompleted() {
      end(Status.UNAVAILABLE.withDescription("the gateway ended the TxnStream").asRuntimeException());
    }
  }
}
