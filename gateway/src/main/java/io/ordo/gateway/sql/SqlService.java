package io.ordo.gateway.sql;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.gateway.core.BackgroundThreads;
import io.ordo.gateway.core.Validation;
import io.ordo.proto.SqlColumn;
import io.ordo.proto.SqlError;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlPushResponse;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.SqlResponse;
import io.ordo.proto.SqlRow;
import io.ordo.proto.SqlViewApplyRequest;
import io.ordo.proto.SqlViewApplyResponse;
import io.ordo.sql.Column;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.TxnState;
import io.ordo.sql.ViewBatch;
import io.ordo.sql.engine.SqlConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ordo.v1.Sql} gRPC service (sql.proto): {@code Execute} runs the statements of one
 * request in a session of its own (REST: {@code POST /v1/sql}); {@code Session} keeps one
 * session for the life of a bidirectional call, answering each request with one response.
 *
 * <p><b>Statements</b>: the request's text is prepared as a whole first (a syntax error anywhere
 * runs nothing, as PostgreSQL's simple query protocol does); then each statement is prepared
 * again alone right before it runs, so that it sees what the statements before it created, and
 * runs with the request's parameters {@code $1..$n} (n = the statement's parameter count; 42P02
 * when fewer are given, 54000 past {@value #PARAMS_MAX}; a request with fields this gateway does
 * not know is refused with 08P01). Error positions are reported in the
 * request's text (a statement's own position is shifted by where its text starts in the
 * request; left as it is when the engine's statement text is not found there verbatim).
 *
 * <p><b>Threads and bounds</b>: statements run on a pool of this service (never on a gRPC
 * thread), at most one per session at a time; at most {@code sessionsMax} sessions are open at
 * once (Execute requests included), RESOURCE_EXHAUSTED beyond, so the pool needs and has at most
 * {@code sessionsMax} threads. A Session call reads its next request only after answering the
 * previous one (gRPC flow control), so no requests queue up in the gateway.
 *
 * <p><b>Push queries</b> ({@code Push}): each runs on a thread of its own pool, in a session of
 * its own, at most {@code pushQueriesMax} at once (RESOURCE_EXHAUSTED beyond; they do not count
 * against {@code sessionsMax}). A row is sent only when the call is ready ({@link
 * ServerCallStreamObserver#isReady}: gRPC's flow control window has room), so a slow client
 * holds the query where it is rather than growing a buffer; a cancelled call cancels the session
 * and interrupts the query's thread, which frees the slot at once.
 *
 * <p><b>Cancellation</b>: a cancelled call (the client's cancel, its deadline, a dropped
 * connection) cancels the running statement ({@link SqlSession#cancel}; 57014, reported as
 * DEADLINE_EXCEEDED when the deadline passed) and closes the session, which rolls back an open
 * transaction block.
 */
public final class SqlService extends SqlGrpc.SqlImplBase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SqlService.class);

  /** The user name sessions of this service report ({@code current_user}). */
  public static final String USER = "ordo";

  /** The database name sessions of this service report ({@code current_database()}). */
  public static final String DATABASE = "ordo";

  /** Most parameters of one request (PostgreSQL's Bind message carries at most 65535). */
  public static final int PARAMS_MAX = 65_535;

  /** SQLSTATE of a parameter the statement uses and the request gives no value for. */
  static final String UNDEFINED_PARAMETER = "42P02";

  private final SqlEngine engine;
  private final int sessionsMax;
  private final Semaphore sessions;
  private final ThreadPoolExecutor pool;
  private final int pushQueriesMax;
  private final Semaphore pushSlots;
  private final ThreadPoolExecutor pushPool;

  /**
   * @param engine opens the sessions
   * @param sessionsMax most sessions open at once, in [1, 4096]
   */
  public SqlService(SqlEngine engine, int sessionsMax) {
    this(engine, sessionsMax, SqlConfig.DEFAULT_PUSH_QUERIES_MAX);
  }

  /**
   * @param engine opens the sessions
   * @param sessionsMax most sessions open at once, in [1, 4096]
   * @param pushQueriesMax most push queries running at once, in [1, 1024]
   */
  public SqlService(SqlEngine engine, int sessionsMax, int pushQueriesMax) {
    this.engine = Objects.requireNonNull(engine, "engine");
    if (sessionsMax < 1 || sessionsMax > 4_096) {
      throw new IllegalArgumentException("sessionsMax must be in [1, 4096], got " + sessionsMax);
    }
    this.sessionsMax = sessionsMax;
    this.sessions = new Semaphore(sessionsMax);
    // One statement per open session at most, so sessionsMax threads never make a task wait;
    // the queue only bridges a thread's last moments between two statements.
    this.pool = boundedPool("ordo-sql-", sessionsMax);
    if (pushQueriesMax < 1 || pushQueriesMax > SqlConfig.PUSH_QUERIES_MAX_CEILING) {
      throw new IllegalArgumentException(
          "pushQueriesMax must be in [1, " + SqlConfig.PUSH_QUERIES_MAX_CEILING + "], got "
              + pushQueriesMax);
    }
    this.pushQueriesMax = pushQueriesMax;
    this.pushSlots = new Semaphore(pushQueriesMax);
    // One thread per admitted query, likewise.
    this.pushPool = boundedPool("ordo-sql-push-", pushQueriesMax);
  }

  /** {@code threads} daemon threads named {@code prefix<n>}, idle ones ending after 60 s. */
  private static ThreadPoolExecutor boundedPool(String prefix, int threads) {
    AtomicInteger count = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(threads),
            runnable -> {
              Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Push queries running now. */
  public int runningPushQueries() {
    return pushQueriesMax - pushSlots.availablePermits();
  }

  /** Sessions open now (Execute requests in progress and Session calls). */
  public int openSessions() {
    return sessionsMax - sessions.availablePermits();
  }

  @Override
  public void execute(SqlRequest request, StreamObserver<SqlResponse> observer) {
    if (!sessions.tryAcquire()) {
      observer.onError(tooManySessions());
      return;
    }
    Context context = Context.current();
    Runnable task =
        () -> {
          try {
            answer(observer, runExecute(request, context));
          } finally {
            sessions.release();
          }
        };
    try {
      pool.execute(context.wrap(task));
    } catch (RejectedExecutionException e) {
      sessions.release();
      observer.onError(stopping());
    }
  }

  /**
   * One batch of a materialized view's job (the views module's sink): run in a session of its
   * own, as one transaction, by {@link SqlSession#applyView}.
   */
  @Override
  public void applyView(
      SqlViewApplyRequest request, StreamObserver<SqlViewApplyResponse> observer) {
    if (!sessions.tryAcquire()) {
      observer.onError(tooManySessions());
      return;
    }
    Context context = Context.current();
    Runnable task =
        () -> {
          Object outcome;
          try {
            outcome = runApplyView(request, context);
          } finally {
            sessions.release();
          }
          safely(() -> {
            if (outcome instanceof SqlViewApplyResponse response) {
              observer.onNext(response);
              observer.onCompleted();
            } else {
              observer.onError((StatusRuntimeException) outcome);
            }
          });
        };
    try {
      pool.execute(context.wrap(task));
    } catch (RejectedExecutionException e) {
      sessions.release();
      observer.onError(stopping());
    }
  }

  private Object runApplyView(SqlViewApplyRequest request, Context context) {
    SqlSession session;
    try {
      session = engine.openSession(USER, DATABASE);
    } catch (RuntimeException e) {
      return Status.UNAVAILABLE
          .withDescription("could not open an SQL session: " + e.getMessage())
          .asRuntimeException();
    }
    Context.CancellationListener cancel = cancelled -> session.cancel();
    context.addListener(cancel, Runnable::run);
    try {
      List<List<Object>> upserts = new ArrayList<>();
      for (SqlRow row : request.getUpsertsList()) {
        upserts.add(SqlValues.params(row.getValuesList()));
      }
      List<List<Object>> deletes = new ArrayList<>();
      for (SqlRow row : request.getDeletesList()) {
        deletes.add(SqlValues.params(row.getValuesList()));
      }
      ViewBatch.Result r = session.applyView(new ViewBatch(
          request.getView(), request.getViewId(), request.getPosition(), request.getReplace(),
          upserts, deletes));
      return SqlViewApplyResponse.newBuilder()
          .setApplied(r.applied()).setPosition(r.position()).build();
    } catch (SqlException e) {
      return SqlStatuses.toStatus(e, 0, deadlinePassed(context));
    } catch (RuntimeException e) {
      LOG.warn("a view batch failed", e);
      return Status.INTERNAL.withDescription(e.toString()).asRuntimeException();
    } finally {
      context.removeListener(cancel);
      closeQuietly(session);
    }
  }

  /** Runs an Execute request: its response, or the status it fails with. */
  private Object runExecute(SqlRequest request, Context context) {
    if (context.isCancelled()) {
      // The client left (or its deadline passed) before a thread was free: run nothing.
      Status status =
          deadlinePassed(context) ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
      return status.withDescription("the call ended before the request ran; nothing ran")
          .asRuntimeException();
    }
    SqlSession session;
    try {
      session = engine.openSession(USER, DATABASE);
    } catch (RuntimeException e) {
      LOG.warn("could not open an SQL session", e);
      return Status.UNAVAILABLE
          .withDescription("could not open an SQL session: " + e.getMessage())
          .asRuntimeException();
    }
    Context.CancellationListener cancel = cancelled -> session.cancel();
    context.addListener(cancel, Runnable::run);
    try {
      SqlResponse.Builder response = SqlResponse.newBuilder();
      try {
        run(session, request, response);
        if (session.txnState() != TxnState.IDLE) {
          throw new Located(
              new SqlException(
                  SqlState.ACTIVE_SQL_TRANSACTION,
                  "the transaction block begun in this request was not ended by COMMIT or"
                      + " ROLLBACK; it was rolled back"),
              0);
        }
      } catch (Located e) {
        return SqlStatuses.toStatus(e.error, e.position, deadlinePassed(context));
      }
      return response.setTxnState(String.valueOf(TxnState.IDLE.indicator())).build();
    } finally {
      context.removeListener(cancel);
      closeQuietly(session);
    }
  }

  @Override
  public StreamObserver<SqlRequest> session(StreamObserver<SqlResponse> responses) {
    ServerCallStreamObserver<SqlResponse> call = (ServerCallStreamObserver<SqlResponse>) responses;
    if (!sessions.tryAcquire()) {
      call.onError(tooManySessions());
      return new Ignored();
    }
    SqlSession session;
    try {
      session = engine.openSession(USER, DATABASE);
    } catch (RuntimeException e) {
      sessions.release();
      LOG.warn("could not open an SQL session", e);
      call.onError(
          Status.UNAVAILABLE
              .withDescription("could not open an SQL session: " + e.getMessage())
              .asRuntimeException());
      return new Ignored();
    }
    SessionCall sessionCall = new SessionCall(call, session, Context.current());
    // Both must be set before this method returns (gRPC's rule).
    call.disableAutoRequest();
    call.setOnCancelHandler(sessionCall::cancelled);
    call.request(1);
    return sessionCall;
  }

  /** One Session call: its session and the request being run, if any. */
  private final class SessionCall implements StreamObserver<SqlRequest> {
    private final ServerCallStreamObserver<SqlResponse> call;
    private final SqlSession session;
    private final Context context;
    private final AtomicBoolean released = new AtomicBoolean();
    private final Object lock = new Object();
    private boolean running; // guarded by lock
    private boolean halfClosed; // guarded by lock
    private boolean ended; // guarded by lock: no more responses; close the session when idle

    SessionCall(ServerCallStreamObserver<SqlResponse> call, SqlSession session, Context context) {
      this.call = call;
      this.session = session;
      this.context = context;
    }

    @Override
    public void onNext(SqlRequest request) {
      synchronized (lock) {
        if (ended) {
          return;
        }
        running = true;
      }
      try {
        pool.execute(context.wrap(() -> runRequest(request)));
      } catch (RejectedExecutionException e) {
        synchronized (lock) {
          running = false;
          ended = true;
        }
        release();
        safely(() -> call.onError(stopping()));
      }
    }

    private void runRequest(SqlRequest request) {
      SqlResponse.Builder response = SqlResponse.newBuilder();
      try {
        run(session, request, response);
      } catch (Located e) {
        SqlError error = SqlStatuses.toError(e.error, e.position);
        response.setError(error);
      }
      response.setTxnState(String.valueOf(session.txnState().indicator()));
      boolean finish;
      synchronized (lock) {
        running = false;
        if (ended) {
          finish = false;
        } else {
          safely(() -> call.onNext(response.build()));
          finish = halfClosed;
          if (finish) {
            ended = true;
          } else {
            safely(() -> call.request(1));
          }
        }
      }
      if (finish) {
        release();
        safely(call::onCompleted);
      } else if (isEnded()) {
        release(); // ended while the request ran: the session is idle now
      }
    }

    private boolean isEnded() {
      synchronized (lock) {
        return ended;
      }
    }

    @Override
    public void onError(Throwable t) {
      cancelled();
    }

    /** The call ended without a half-close (cancel, deadline, transport): stop and close. */
    void cancelled() {
      boolean idle;
      synchronized (lock) {
        ended = true;
        idle = !running;
      }
      if (idle) {
        release();
      } else {
        session.cancel(); // the running request's task closes the session when it returns
      }
    }

    @Override
    public void onCompleted() {
      boolean finish;
      synchronized (lock) {
        halfClosed = true;
        finish = !running && !ended;
        if (finish) {
          ended = true;
        }
      }
      if (finish) {
        release();
        safely(call::onCompleted);
      }
    }

    /** Closes the session (rolling back an open block) and frees its slot, once. */
    private void release() {
      if (released.compareAndSet(false, true)) {
        closeQuietly(session);
        sessions.release();
      }
    }
  }

  @Override
  public void push(SqlRequest request, StreamObserver<SqlPushResponse> responses) {
    ServerCallStreamObserver<SqlPushResponse> call =
        (ServerCallStreamObserver<SqlPushResponse>) responses;
    if (!pushSlots.tryAcquire()) {
      call.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  pushQueriesMax + " push queries already run on this gateway (pushQueriesMax);"
                      + " retry later")
              .asRuntimeException());
      return;
    }
    PushCall pushCall = new PushCall(call, request, Context.current());
    // Both must be set before this method returns (gRPC's rule).
    call.setOnReadyHandler(pushCall::readyChanged);
    call.setOnCancelHandler(pushCall::cancelled);
    try {
      pushPool.execute(pushCall);
    } catch (RejectedExecutionException e) {
      pushSlots.release();
      safely(() -> call.onError(stopping()));
    }
  }

  /** One Push call: its session, thread and flow control. */
  private final class PushCall implements Runnable, PushSink {
    private final ServerCallStreamObserver<SqlPushResponse> call;
    private final SqlRequest request;
    private final Context context;
    private final Object lock = new Object();
    private Thread thread; // guarded by lock: the thread running the query, while it runs
    private SqlSession session; // guarded by lock
    private boolean cancelled; // guarded by lock
    private List<Column> columns = List.of();

    PushCall(ServerCallStreamObserver<SqlPushResponse> call, SqlRequest request, Context context) {
      this.call = call;
      this.request = request;
      this.context = context;
    }

    @Override
    public void run() {
      synchronized (lock) {
        thread = Thread.currentThread();
      }
      try {
        // In a fork of the call's context: its values (the caller's principal) without its
        // cancellation. The query's syncs are shared with other requests of the gateway, and a
        // cancelled context would cancel them for everyone; this call's own cancel reaches the
        // query through cancelled() instead.
        Object outcome = context.fork().wrap(this::runQuery).call();
        if (outcome instanceof StatusRuntimeException error && !isCancelled()) {
          safely(() -> call.onError(error));
        }
      } catch (Exception e) {
        LOG.warn("a push query failed unexpectedly", e);
        safely(() -> call.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException()));
      } finally {
        SqlSession open;
        synchronized (lock) {
          thread = null;
          open = session;
          session = null;
        }
        if (open != null) {
          closeQuietly(open);
        }
        Thread.interrupted(); // an interrupt meant for this query must not reach the next task
        pushSlots.release();
      }
    }

    /** Runs the query; returns the status it failed with (it never ends otherwise). */
    private Object runQuery() {
      if (isCancelled() || context.isCancelled()) {
        return Status.CANCELLED.withDescription("the call ended before the query ran").asRuntimeException();
      }
      SqlSession opened;
      try {
        opened = engine.openSession(USER, DATABASE);
      } catch (RuntimeException e) {
        LOG.warn("could not open an SQL session", e);
        return Status.UNAVAILABLE
            .withDescription("could not open an SQL session: " + e.getMessage())
            .asRuntimeException();
      }
      synchronized (lock) {
        session = opened;
        if (cancelled) {
          opened.cancel();
        }
      }
      try {
        List<Object> params = checkedParams(request);
        List<SqlStatement> statements = opened.prepare(request.getSql(), List.of());
        if (statements.size() != 1 || !statements.get(0).isPush()) {
          throw new SqlException(
              SqlState.FEATURE_NOT_SUPPORTED,
              "Push runs exactly one push query (SELECT ... FROM <table or stream> [WHERE ...]"
                  + " EMIT CHANGES); got " + statements.size() + " statement(s)"
                  + (statements.size() == 1 ? " that is not one" : ""));
        }
        SqlStatement statement = statements.get(0);
        int needed = statement.parameterCount();
        if (needed > params.size()) {
          throw new SqlException(
              UNDEFINED_PARAMETER,
              "the statement uses " + needed + " parameters, but the request gives "
                  + params.size());
        }
        statement.push(new ArrayList<>(params.subList(0, needed)), this);
        return Status.INTERNAL.withDescription("the push query ended").asRuntimeException();
      } catch (SqlException e) {
        return SqlStatuses.toStatus(e, e.position(), deadlinePassed(context));
      } catch (RuntimeException e) {
        return SqlStatuses.toStatus(unexpected(e), 0, deadlinePassed(context));
      }
    }

    private boolean isCancelled() {
      synchronized (lock) {
        return cancelled;
      }
    }

    /** The call was cancelled (client cancel, deadline, disconnect): stop the query now. */
    void cancelled() {
      synchronized (lock) {
        cancelled = true;
        if (session != null) {
          session.cancel();
        }
        if (thread != null) {
          thread.interrupt();
        }
        lock.notifyAll();
      }
    }

    void readyChanged() {
      synchronized (lock) {
        lock.notifyAll();
      }
    }

    /** Waits until the call can take a message (flow control) or is cancelled. */
    private void awaitReady() throws InterruptedException {
      synchronized (lock) {
        while (!cancelled && !call.isReady()) {
          // The ready handler wakes this; the timeout only guards against a missed wake-up.
          lock.wait(1_000);
        }
        if (cancelled) {
          throw new InterruptedException("the push query's call was cancelled");
        }
      }
    }

    @Override
    public void start(List<Column> resultColumns) throws InterruptedException {
      this.columns = List.copyOf(resultColumns);
      SqlPushResponse.Builder first = SqlPushResponse.newBuilder();
      for (Column c : columns) {
        SqlColumn column = SqlValues.column(c);
        first.addColumns(column);
      }
      send(first.build());
    }

    @Override
    public void row(List<Object> row) throws InterruptedException {
      send(SqlPushResponse.newBuilder().setRow(SqlValues.row(row, columns)).build());
    }

    @Override
    public void progress(String position) throws InterruptedException {
      send(SqlPushResponse.newBuilder().setPosition(position).build());
    }

    private void send(SqlPushResponse message) throws InterruptedException {
      awaitReady();
      try {
        call.onNext(message);
      } catch (RuntimeException e) {
        // The call ended under us (cancelled): stop the query.
        throw new InterruptedException("the push query's call ended: " + e);
      }
    }
  }

  /**
   * Runs the statements of {@code request} in {@code session}, adding each result to {@code
   * response}.
   *
   * @throws Located the first failure, with its position in the request's text
   */
  private static void run(SqlSession session, SqlRequest request, SqlResponse.Builder response)
      throws Located {
    String text = request.getSql();
    List<Object> params;
    List<SqlStatement> statements;
    try {
      params = checkedParams(request);
      statements = session.prepare(text, List.of());
    } catch (SqlException e) {
      throw new Located(e, e.position());
    } catch (RuntimeException e) {
      throw new Located(unexpected(e), 0);
    }
    int searchFrom = 0;
    for (int i = 0; i < statements.size(); i++) {
      SqlStatement statement = statements.get(i);
      int at = text.indexOf(statement.sql(), searchFrom);
      int offset = Math.max(0, at);
      if (at >= 0) {
        searchFrom = at + statement.sql().length();
      }
      try {
        // Prepared again alone, so it is planned against what the statements before it did.
        SqlStatement current = i == 0 ? statement : single(session, statement);
        int needed = current.parameterCount();
        if (needed > params.size()) {
          throw new SqlException(
              UNDEFINED_PARAMETER,
              "the statement uses " + needed + " parameters, but the request gives "
                  + params.size());
        }
        response.addResults(SqlValues.result(current.execute(new ArrayList<>(params.subList(0, needed)))));
      } catch (SqlException e) {
        throw new Located(e, e.position() == 0 ? 0 : offset + e.position());
      } catch (RuntimeException e) {
        throw new Located(unexpected(e), 0);
      }
    }
  }

  /**
   * The request's parameters, after checking it has no fields this gateway does not know (08P01)
   * and at most {@value #PARAMS_MAX} parameters (54000).
   */
  private static List<Object> checkedParams(SqlRequest request) throws SqlException {
    try {
      Validation.checkNoUnknownFields(request, "request");
    } catch (IllegalArgumentException e) {
      // A client built against another sql.proto: the request may mean something else.
      throw new SqlException(SqlState.PROTOCOL_VIOLATION, e.getMessage());
    }
    if (request.getParamsCount() > PARAMS_MAX) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "a request may have at most " + PARAMS_MAX + " parameters, got "
              + request.getParamsCount());
    }
    return SqlValues.params(request.getParamsList());
  }

  private static SqlStatement single(SqlSession session, SqlStatement statement)
      throws SqlException {
    List<SqlStatement> again = session.prepare(statement.sql(), List.of());
    if (again.size() != 1) {
      throw new SqlException(
          SqlState.INTERNAL_ERROR,
          "statement text '" + statement.sql() + "' parsed as " + again.size() + " statements");
    }
    return again.get(0);
  }

  private static SqlException unexpected(RuntimeException e) {
    LOG.warn("an SQL statement failed unexpectedly", e);
    return SqlStatuses.internal(e);
  }

  /** A failed statement and its position in the request's text (0 = none). */
  private static final class Located extends Exception {
    private static final long serialVersionUID = 1L;
    final transient SqlException error;
    final int position;

    Located(SqlException error, int position) {
      super(error.getMessage(), error, false, false);
      this.error = error;
      this.position = position;
    }
  }

  private static boolean deadlinePassed(Context context) {
    Deadline deadline = context.getDeadline();
    return deadline != null && deadline.isExpired();
  }

  private static void answer(StreamObserver<SqlResponse> observer, Object outcome) {
    safely(
        () -> {
          if (outcome instanceof SqlResponse response) {
            observer.onNext(response);
            observer.onCompleted();
          } else {
            observer.onError((StatusRuntimeException) outcome);
          }
        });
  }

  private StatusRuntimeException tooManySessions() {
    return Status.RESOURCE_EXHAUSTED
        .withDescription(
            sessionsMax + " SQL sessions are already open on this gateway (sqlSessionsMax); retry"
                + " later")
        .asRuntimeException();
  }

  private static StatusRuntimeException stopping() {
    return Status.UNAVAILABLE.withDescription("the gateway is stopping").asRuntimeException();
  }

  private static void closeQuietly(SqlSession session) {
    try {
      session.close();
    } catch (RuntimeException e) {
      LOG.warn("closing an SQL session failed", e);
    }
  }

  private static void safely(Runnable answer) {
    try {
      answer.run();
    } catch (RuntimeException e) {
      // The call was cancelled meanwhile (the client left); nothing is left to answer.
      LOG.debug("could not answer an SQL call: {}", e.toString());
    }
  }

  /** The requests of a call that was refused: nothing to do. */
  private static final class Ignored implements StreamObserver<SqlRequest> {
    @Override
    public void onNext(SqlRequest value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  /** Stops the statement threads: running statements are interrupted; waits up to 2 s for them. */
  @Override
  public void close() {
    BackgroundThreads.stopNow(pushPool, 2_000);
    BackgroundThreads.stopNow(pool, 2_000);
  }
}
