package io.ordo.launcher.cli;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlPushResponse;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.SqlResponse;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The client side of one {@code Sql.Session} call at a time (sql.proto): sends a request, waits
 * for its one response. The session (and so a transaction block) lives as long as the call; when
 * the call ends (a cancel, the gateway going away) the next {@link #run} opens a new one, and
 * {@link #sessionWasReset} says so once.
 *
 * <p>{@link #run} is called by one thread at a time; {@link #cancel} by any thread (Ctrl-C).
 */
final class SqlSessionClient implements AutoCloseable {
  /** How long {@link #close} waits for the gateway to end the call after the half-close. */
  static final long CLOSE_WAIT_MS = 2_000;

  private final Channel channel;
  private volatile Call call;
  private volatile Context.CancellableContext push; // the running push query's call, if any
  private boolean everOpened;
  private boolean reset;
  private String txnState = "I";

  SqlSessionClient(Channel channel) {
    this.channel = Objects.requireNonNull(channel, "channel");
  }

  /** One Session call: its request stream and the queue its answers land in. */
  private static final class Call {
    // One request is outstanding at most, so one response and one end (error or completion).
    final BlockingQueue<Object> answers = new ArrayBlockingQueue<>(4);
    volatile ClientCallStreamObserver<SqlRequest> requests;
  }

  private static final Object COMPLETED = new Object();

  private Call open() {
    Call opened = new Call();
    SqlGrpc.newStub(channel)
        .session(
            new ClientResponseObserver<SqlRequest, SqlResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<SqlRequest> requests) {
                opened.requests = requests;
              }

              @Override
              public void onNext(SqlResponse response) {
                opened.answers.offer(response);
              }

              @Override
              public void onError(Throwable t) {
                opened.answers.offer(t);
              }

              @Override
              public void onCompleted() {
                opened.answers.offer(COMPLETED);
              }
            });
    return opened;
  }

  /**
   * Runs {@code sql} in the session and returns the gateway's response (its results, or its
   * error with the SQLSTATE).
   *
   * @throws StatusRuntimeException when the call failed (CANCELLED after {@link #cancel},
   *     UNAVAILABLE when the gateway cannot be reached, ...); the session is gone with it
   * @throws InterruptedException when interrupted while waiting (the call is cancelled)
   */
  SqlResponse run(String sql) throws InterruptedException {
    Call current = call;
    if (current != null && current.answers.peek() != null) {
      // The call ended while idle (the gateway stopped, a network failure): its end is queued
      // and nothing sent on it would run. Start over on a new one.
      current = null;
    }
    if (current == null) {
      if (everOpened) {
        reset = true;
      }
      current = open();
      everOpened = true;
      call = current;
    }
    current.requests.onNext(SqlRequest.newBuilder().setSql(sql).build());
    Object answer;
    try {
      answer = current.answers.take();
    } catch (InterruptedException e) {
      current.requests.cancel("the client was interrupted", null);
      call = null;
      txnState = "I";
      throw e;
    }
    if (answer instanceof SqlResponse response) {
      txnState = response.getTxnState().isEmpty() ? "I" : response.getTxnState();
      return response;
    }
    call = null;
    txnState = "I";
    if (answer instanceof Throwable t) {
      throw Status.fromThrowable(t).asRuntimeException(Status.trailersFromThrowable(t));
    }
    throw Status.UNAVAILABLE
        .withDescription("the gateway ended the SQL session")
        .asRuntimeException();
  }

  /**
   * Cancels the running statement by cancelling the call: the gateway cancels the statement and
   * closes the session (an open transaction block is rolled back).
   */
  void cancel() {
    Context.CancellableContext running = push;
    if (running != null) {
      running.cancel(null);
    }
    Call current = call;
    if (current != null && current.requests != null) {
      current.requests.cancel("cancelled by the user", null);
    }
  }

  /**
   * Runs a push query ({@code Sql.Push}, a call of its own: the session is not involved), handing
   * each message to {@code onMessage} as it comes, until {@link #cancel} (then it returns
   * normally) or the gateway ends the call. The blocking stub asks for one message at a time, so
   * a slow printer holds the gateway's query back rather than filling memory.
   *
   * @throws StatusRuntimeException when the gateway refused or ended the query (its SQLSTATE in
   *     the description and trailers), or cannot be reached
   */
  void push(String sql, Consumer<SqlPushResponse> onMessage) {
    Context.CancellableContext context = Context.current().withCancellation();
    push = context;
    try {
      context.run(
          () -> {
            Iterator<SqlPushResponse> messages =
                SqlGrpc.newBlockingStub(channel).push(SqlRequest.newBuilder().setSql(sql).build());
            while (messages.hasNext()) {
              onMessage.accept(messages.next());
            }
          });
    } catch (StatusRuntimeException e) {
      if (!(context.isCancelled() && e.getStatus().getCode() == Status.Code.CANCELLED)) {
        throw e;
      }
    } finally {
      push = null;
      context.cancel(null);
    }
  }

  /** The transaction state after the last response: "I", "T" or "E" ("I" with no session). */
  String txnState() {
    return txnState;
  }

  /**
   * True once after {@link #run} had to open a new session because the previous one ended
   * (its transaction block, if any, was rolled back).
   */
  boolean sessionWasReset() {
    boolean was = reset;
    reset = false;
    return was;
  }

  /** Ends the call (half-close), waiting up to {@value #CLOSE_WAIT_MS} ms for its end. */
  @Override
  public void close() {
    Call current = call;
    call = null;
    if (current == null) {
      return;
    }
    try {
      current.requests.onCompleted();
      current.answers.poll(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // The call had ended already.
    }
  }
}
