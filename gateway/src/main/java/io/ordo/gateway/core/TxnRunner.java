package io.ordo.gateway.core;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.sequencer.AppendAck;
import io.ordo.sequencer.Sequencer;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one transaction through the log for a gateway service: registers a waiter on the {@link
 * ResultListener} (before the append, so the result cannot be missed), appends through the
 * {@link Sequencer}, and completes with the {@link TxnResult}.
 *
 * <p>Failures complete the future exceptionally with a {@link StatusRuntimeException} that
 * explains them (the statuses {@link OrdoService} documents): DEADLINE_EXCEEDED naming the id,
 * "outcome unknown" and the log position; UNAVAILABLE when the append failed or the gateway is
 * closing; RESOURCE_EXHAUSTED when the waiter is refused; CANCELLED when the caller's gRPC
 * context was cancelled. A DUPLICATE outcome is a normal result: callers decide.
 *
 * <p>A request is answered by the result of its own log entry (the position its append was
 * acknowledged at; {@link ResultListener#appended}), never by another request's that has the same
 * id.
 * Futures complete on the {@code responseExecutor}, never on a Kafka client thread.
 */
public final class TxnRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TxnRunner.class);

  /**
   * Upper bound on any wait for a result, in milliseconds (10 minutes): a client deadline or a
   * configured default beyond it is cut to it, so a waiter never outlives it.
   */
  public static final long DEADLINE_MS_MAX = 600_000;

  private final Sequencer sequencer;
  private final ResultListener results;
  private final SequencerHealth sequencerHealth;
  private final long defaultDeadlineMs;
  private final Executor responseExecutor;
  private final GatewayMetrics metrics;

  /**
   * A runner whose meters go nowhere ({@link GatewayMetrics#unregistered()}).
   *
   * @param sequencer appends transactions to the log
   * @param results the started results listener
   * @param sequencerHealth records append outcomes
   * @param defaultDeadlineMs how long to wait when the caller has no deadline, in milliseconds
   * @param responseExecutor completes the futures (must not be a Kafka client thread)
   */
  public TxnRunner(
      Sequencer sequencer,
      ResultListener results,
      SequencerHealth sequencerHealth,
      long defaultDeadlineMs,
      Executor responseExecutor) {
    this(
        sequencer,
        results,
        sequencerHealth,
        defaultDeadlineMs,
        responseExecutor,
        GatewayMetrics.unregistered());
  }

  /**
   * @param sequencer appends transactions to the log
   * @param results the started results listener
   * @param sequencerHealth records append outcomes
   * @param defaultDeadlineMs how long to wait when the caller has no deadline, in milliseconds
   * @param responseExecutor completes the futures (must not be a Kafka client thread)
   * @param metrics records append latency and errors, results by outcome and abort reason, the
   *     time from append to result and failures (the sequencer itself has no meters: the runner
   *     times its appends)
   */
  public TxnRunner(
      Sequencer sequencer,
      ResultListener results,
      SequencerHealth sequencerHealth,
      long defaultDeadlineMs,
      Executor responseExecutor,
      GatewayMetrics metrics) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.sequencer = Objects.requireNonNull(sequencer, "sequencer");
    this.results = Objects.requireNonNull(results, "results");
    this.sequencerHealth = Objects.requireNonNull(sequencerHealth, "sequencerHealth");
    if (defaultDeadlineMs <= 0) {
      throw new IllegalArgumentException("defaultDeadlineMs must be > 0, got " + defaultDeadlineMs);
    }
    this.defaultDeadlineMs = defaultDeadlineMs;
    this.responseExecutor = Objects.requireNonNull(responseExecutor, "responseExecutor");
  }

  /** A new transaction id (a random UUID: ids are inputs of the executor, not outputs). */
  public static String newTxnId() {
    return UUID.randomUUID().toString();
  }

  /**
   * Runs {@code txn} within the current gRPC context's deadline (or the default deadline when it
   * has none); cancelling that context frees the waiter.
   */
  public CompletableFuture<TxnResult> execute(Transaction txn) {
    Context context = Context.current();
    long waitMs = waitBudgetMs(context.getDeadline());
    CompletableFuture<TxnResult> out = execute(txn, waitMs);
    return out;
  }

  /**
   * Runs {@code txn}, waiting at most {@code waitMs} milliseconds for its result (capped at
   * {@link #DEADLINE_MS_MAX}); a cancellation of the current gRPC context frees the
   * waiter.
   */
  public CompletableFuture<TxnResult> execute(Transaction txn, long waitMs) {
    String txnId = txn.getId();
    String caller = GatewayMetrics.caller();
    if (waitMs <= 0) {
      metrics.failure(caller, Status.Code.DEADLINE_EXCEEDED);
      return CompletableFuture.failedFuture(
          Status.DEADLINE_EXCEEDED
              .withDescription(
                  "the deadline had passed before transaction '"
                      + txnId
                      + "' was appended to the log; it was not run")
              .asRuntimeException());
    }
    CompletableFuture<TxnResult> result;
    try {
      // Registered before the append, so the result cannot arrive before anyone waits for it.
      result = results.await(txnId, Math.min(waitMs, DEADLINE_MS_MAX));
    } catch (ResultListener.WaiterRefusedException e) {
      Status status =
          switch (e.reason()) {
            case LIMIT_REACHED -> Status.RESOURCE_EXHAUSTED;
            case CLOSED -> Status.UNAVAILABLE;
          };
      metrics.failure(caller, status.getCode());
      return CompletableFuture.failedFuture(
          status.withDescription(e.getMessage()).asRuntimeException());
    }
    AtomicReference<AppendAck> appendedAt = new AtomicReference<>();
    CompletableFuture<TxnResult> out = new CompletableFuture<>();
    long appendStartNanos = metrics.now();
    result.whenCompleteAsync(
        (txnResult, error) -> {
          if (error == null) {
            metrics.result(caller, txnResult, metrics.now() - appendStartNanos);
            out.complete(txnResult);
          } else {
            StatusRuntimeException status = statusOf(txnId, appendedAt.get(), unwrap(error));
            metrics.failure(caller, status.getStatus().getCode());
            out.completeExceptionally(status);
          }
        },
        responseExecutor);
    // The client going away (cancel, or its deadline) frees the waiter at once. The listener is
    // removed once the result is in: a streaming call (TxnStream, Sql/Session) runs many
    // transactions in one context, which would otherwise hold every one's listener (and, through
    // it, its result) until the stream ends.
    Context context = Context.current();
    Context.CancellationListener onCancel =
        cancelled ->
            results.cancel(
                txnId, result, new CancellationException("the client cancelled the call"));
    context.addListener(onCancel, Runnable::run);
    out.whenComplete((r, e) -> context.removeListener(onCancel));
    CompletableFuture<AppendAck> append;
    try {
      append = sequencer.append(txn);
    } catch (RuntimeException e) {
      append = CompletableFuture.failedFuture(e);
    }
    append.whenComplete(
        (position, error) -> {
          // Runs on the producer's I/O thread: record and hand over, nothing more.
          if (error == null) {
            appendedAt.set(position);
            metrics.appendSucceeded(metrics.now() - appendStartNanos);
            sequencerHealth.appendSucceeded();
            // From now on only the result of this entry answers this request.
            results.appended(txnId, result, position.partition(), position.offset());
          } else {
            metrics.appendFailed();
            sequencerHealth.appendFailed(error);
            results.cancel(txnId, result, new AppendFailedException(txnId, error));
          }
        });
    return out;
  }

  /** How long to wait for a result, in milliseconds; <= 0 when the deadline has passed. */
  long waitBudgetMs(Deadline deadline) {
    if (deadline == null) {
      return Math.min(defaultDeadlineMs, DEADLINE_MS_MAX);
    }
    return Math.min(
        OrdoService.waitMsForRemainingMs(deadline.timeRemaining(TimeUnit.MILLISECONDS)),
        DEADLINE_MS_MAX);
  }

  /**
   * The status for a transaction that ended without a usable result: ABORTED-style outcomes are
   * not errors here, only DUPLICATE and unknown outcomes are (for callers that need a commit or
   * abort).
   */
  public static StatusRuntimeException duplicateOrUnknown(TxnResult result) {
    String txnId = result.getTxnId();
    if (result.getOutcome() == Outcome.DUPLICATE) {
      return Status.ALREADY_EXISTS
          .withDescription(
              "transaction id '"
                  + txnId
                  + "' was already sequenced; this request's entry (log partition "
                  + result.getPosition().getPartition()
                  + ", offset "
                  + result.getPosition().getOffset()
                  + ") did not run (outcome DUPLICATE)"
                  + (result.getDetail().isEmpty() ? "" : ": " + result.getDetail()))
          .asRuntimeException();
    }
    return Status.INTERNAL
        .withDescription(
            "the result of transaction '"
                + txnId
                + "' has outcome "
                + result.getOutcome()
                + "; the outcome is unknown")
        .asRuntimeException();
  }

  static StatusRuntimeException statusOf(String txnId, AppendAck appendedAt, Throwable error) {
    if (error instanceof StatusRuntimeException status) {
      return status;
    }
    if (error instanceof ResultListener.ResultDeadlineException deadline) {
      String where =
          appendedAt == null
              ? "its append to the log had not been acknowledged"
              : "it was appended to log partition "
                  + appendedAt.partition()
                  + " at offset "
                  + appendedAt.offset();
      return Status.DEADLINE_EXCEEDED
          .withDescription(
              "deadline exceeded after "
                  + deadline.timeoutMs()
                  + " ms waiting for the result of transaction '"
                  + txnId
                  + "'; the outcome is unknown ("
                  + where
                  + ")")
          .asRuntimeException();
    }
    if (error instanceof AppendFailedException) {
      return Status.UNAVAILABLE.withDescription(error.getMessage()).withCause(error.getCause())
          .asRuntimeException();
    }
    if (error instanceof ResultListener.ListenerClosedException) {
      return Status.UNAVAILABLE.withDescription(error.getMessage()).asRuntimeException();
    }
    if (error instanceof CancellationException) {
      return Status.CANCELLED.withDescription(error.getMessage()).asRuntimeException();
    }
    LOG.warn("unexpected failure while waiting for transaction '{}'", txnId, error);
    return Status.INTERNAL
        .withDescription(
            "unexpected failure while waiting for transaction '"
                + txnId
                + "'; the outcome is unknown: "
                + error)
        .asRuntimeException();
  }

  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The sequencer could not append a transaction; whether it reached the log is unknown. */
  static final class AppendFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AppendFailedException(String txnId, Throwable cause) {
      super(
          "appending transaction '"
              + txnId
              + "' to the log failed ("
              + unwrap(cause)
              + "); it may or may not have been appended, so the outcome is unknown",
          unwrap(cause));
    }
  }
}
