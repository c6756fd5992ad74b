package io.ordo.sql.engine;

import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlAccess;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
import io.ordo.sql.ViewBatch;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.pgcatalog.PgCatalogAnswers;
import io.ordo.sql.pgcatalog.SessionInfo;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.util.SqlShuttle;

/**
 * One SQL session: its transaction block, its settings and its read-your-writes position; runs
 * statements as Ordo transactions (see {@link TxnBuffer} for how reads become asserts).
 *
 * <p><b>Snapshots.</b> A query, a statement that reads rows and a {@code BEGIN} block read a
 * fresh snapshot ({@link Snapshots#fresh}): it sees every transaction that committed before it
 * began, so autocommit queries are strictly serializable on their own, and reads that a commit
 * asserts are as new as they can be (a stale read would only cost a retry, or a 40001 at COMMIT).
 * A statement that only writes (INSERT ... VALUES, UPSERT) reads just the catalog, which its
 * commit asserts, so it uses the newest snapshot the store already holds when that includes the
 * session's last commit. An autocommit statement whose commit fails an assert is retried up to
 * {@link SqlConfig#retriesMax} times at fresh snapshots.
 *
 * <p>Not thread-safe (one statement at a time), except {@link #cancel}.
 */
final class OrdoSession implements SqlSession {
  /** Answers the catalog queries of psql and pgjdbc (stateless). */
  static final PgCatalogAnswers CATALOG_ANSWERS = new PgCatalogAnswers();

  private final OrdoSqlEngine engine;
  private final String user;
  private final String database;
  /** What this session may run (statements beyond it fail with 42501 before they run). */
  private final SqlAccess granted;
  /** Guards {@link #runner} and {@link #runnerCancelled} ({@link #cancel} runs on any thread). */
  private final Object runnerLock = new Object();
  /** Borrowed from the engine; null once closed (given back, or closed if it was cancelled). */
  private QueryRunner runner;
  /**
   * Whether a cancel reached the runner's statements: such a runner is closed, not given back to
   * the engine, so no cancel can reach a statement of the session that would borrow it next.
   */
  private boolean runnerCancelled;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final Map<String, String> settings = new HashMap<>();
  private final Map<String, List<Object>> defaultsCache = new HashMap<>();

  private TxnState state = TxnState.IDLE;
  private TxnBuffer block;
  private Position blockSnapshot;
  private boolean blockSnapshotFresh;
  /** The floor of this session's snapshots: its newest commit, or aborted commit's position. */
  private Position lastCommit;
  private boolean closed;

  OrdoSession(OrdoSqlEngine engine, String user, String database) {
    this(engine, user, database, SqlAccess.ADMIN);
  }

  OrdoSession(OrdoSqlEngine engine, String user, String database, SqlAccess granted) {
    this.engine = engine;
    this.user = user;
    this.database = database;
    this.granted = java.util.Objects.requireNonNull(granted, "granted");
    this.runner = engine.borrowRunner();
  }

  String user() {
    return user;
  }

  String database() {
    return database;
  }

  @Override
  public List<SqlStatement> prepare(String sql, List<SqlType> declaredParamTypes)
      throws SqlException {
    checkOpen();
    int bytes = sql.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > engine.config().statementBytesMax()) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "the statement text is " + bytes + " bytes, over the limit of "
              + engine.config().statementBytesMax());
    }
    List<SqlStatement> out = new ArrayList<>();
    Optional<PgCatalogAnswers.Description> catalogQuery = CATALOG_ANSWERS.describe(sql);
    if (catalogQuery.isPresent()) {
      out.add(new CatalogQueryStatement(this, sql, catalogQuery.get(), declaredParamTypes));
      return out;
    }
    for (ParsedText p : engine.parse(sql)) {
      out.add(new OrdoStatement(this, p, declaredParamTypes));
    }
    return out;
  }

  @Override
  public TxnState txnState() {
    return state;
  }

  @Override
  public void cancel() {
    cancelled.set(true);
    synchronized (runnerLock) {
      if (runner != null) {
        runnerCancelled = true;
        runner.cancel();
      }
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      block = null;
      state = TxnState.IDLE;
      QueryRunner r;
      boolean reusable;
      synchronized (runnerLock) {
        r = runner;
        runner = null;
        reusable = !runnerCancelled;
      }
      if (reusable) {
        engine.returnRunner(r);
      } else {
        r.close();
      }
    }
  }

  private void checkOpen() throws SqlException {
    if (closed) {
      throw new SqlException(SqlState.CONNECTION_FAILURE, "the session is closed");
    }
  }

  // ---------------------------------------------------------------------------------------
  // Execution

  /** Runs one statement's plan with its parameter values (indexed like its dynamic params). */
  StatementResult execute(ParsedText parsed, List<Object> params, List<SqlType> declared)
      throws SqlException {
    try (Unparse.Scope scope = Unparse.withParameterTypes(parameterTypes(parsed, params, declared))) {
      return execute(parsed, params);
    }
  }

  /**
   * The access a plan needs: DDL needs ADMIN, DML WRITE, everything else (queries, SHOW, SET,
   * transaction control) READ. An unknown plan kind needs ADMIN.
   */
  static SqlAccess accessOf(Plan plan) {
    if (plan instanceof Plan.Query
        || plan instanceof Plan.Push
        || plan instanceof Plan.Explain
        || plan instanceof Plan.ExplainCreateView
        || plan instanceof Plan.ExplainView
        || plan instanceof Plan.ShowTables
        || plan instanceof Plan.ShowStreams
        || plan instanceof Plan.ShowConnectors
        || plan instanceof Plan.ShowViews
        || plan instanceof Plan.ShowQueries
        // Anyone may end their own push queries; another user's needs admin (checked there).
        || plan instanceof Plan.TerminateQuery
        || plan instanceof Plan.ShowSetting
        || plan instanceof Plan.Describe
        || plan instanceof Plan.SetSetting
        || plan instanceof Plan.Begin
        || plan instanceof Plan.Commit
        || plan instanceof Plan.Rollback) {
      return SqlAccess.READ;
    }
    if (plan instanceof Plan.Insert || plan instanceof Plan.Update || plan instanceof Plan.Delete) {
      return SqlAccess.WRITE;
    }
    return SqlAccess.ADMIN;
  }

  /**
   * The known type of each dynamic parameter (by Calcite index): the client's declared type, else
   * the Java type of the value bound to it.
   */
  static Map<Integer, SqlType> parameterTypes(
      ParsedText parsed, List<Object> params, List<SqlType> declared) {
    Map<Integer, SqlType> types = new HashMap<>();
    int first = parsed.parsed().parameters().firstDynamicParamIndex();
    int count = parsed.parsed().parameters().dynamicParamCount();
    for (int k = first; k < first + count; k++) {
      int n = parsed.parameterOf(k);
      SqlType t = n <= declared.size() ? declared.get(n - 1) : SqlType.UNKNOWN;
      if (t == SqlType.UNKNOWN && params != null && n <= params.size()) {
        SqlType byValue = Unparse.typeOfValue(params.get(n - 1));
        t = byValue == null ? SqlType.UNKNOWN : byValue;
      }
      if (t != SqlType.UNKNOWN) {
        types.put(k, t);
      }
    }
    return types;
  }

  @Override
  public ViewBatch.Result applyView(ViewBatch batch) throws SqlException {
    checkOpen();
    cancelled.set(false);
    if (granted != SqlAccess.ADMIN) {
      throw new SqlException(
          SqlState.INSUFFICIENT_PRIVILEGE, "applying a view's batch needs admin access");
    }
    if (state != TxnState.IDLE) {
      throw new SqlException(
          SqlState.ACTIVE_SQL_TRANSACTION, "a view's batch cannot run inside a transaction block");
    }
    try {
      return new Views(this, engine, new Ddl(this, engine)).apply(batch);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SqlException(SqlState.QUERY_CANCELED, "canceling statement: interrupted");
    }
  }

  private StatementResult execute(ParsedText parsed, List<Object> params) throws SqlException {
    checkOpen();
    cancelled.set(false);
    Plan plan = parsed.plan();
    if (state == TxnState.FAILED
        && !(plan instanceof Plan.Commit || plan instanceof Plan.Rollback)) {
      throw new SqlException(
          SqlState.IN_FAILED_SQL_TRANSACTION,
          "current transaction is aborted, commands ignored until end of transaction block");
    }
    try {
      // Inside the try: like any failed statement it fails an open block, and nothing runs.
      checkGranted(plan);
      return run(parsed, plan, params);
    } catch (SqlException e) {
      if (state == TxnState.IN_TRANSACTION) {
        state = TxnState.FAILED;
      }
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (state == TxnState.IN_TRANSACTION) {
        state = TxnState.FAILED;
      }
      throw new SqlException(SqlState.QUERY_CANCELED, "canceling statement: interrupted");
    } catch (RuntimeException | AssertionError e) {
      // AssertionError: Calcite checks some of its invariants with assertions (when enabled).
      if (state == TxnState.IN_TRANSACTION) {
        state = TxnState.FAILED;
      }
      throw QueryRunner.translate(e, null);
    }
  }

  private StatementResult run(ParsedText parsed, Plan plan, List<Object> params)
      throws SqlException, InterruptedException {
    if (plan instanceof Plan.Begin) {
      if (state == TxnState.IDLE) {
        state = TxnState.IN_TRANSACTION;
        block = new TxnBuffer();
        blockSnapshot = null;
        blockSnapshotFresh = false;
      }
      return StatementResult.command("BEGIN");
    }
    if (plan instanceof Plan.Commit) {
      return commitBlock();
    }
    if (plan instanceof Plan.Rollback) {
      endBlock();
      return StatementResult.command("ROLLBACK");
    }
    if (plan instanceof Plan.Query q) {
      return query(parsed, q, params);
    }
    if (plan instanceof Plan.Push push) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "push queries are served over gRPC/REST: a query with EMIT CHANGES never ends, so it"
              + " runs through the gateway's ordo.v1.Sql/Push call (REST: POST /v1/sql, answered"
              + " as NDJSON or Server-Sent Events; or ordo sql), not as a statement that returns"
              + " a result", push.position());
    }
    if (plan instanceof Plan.Explain e) {
      return explain(e);
    }
    if (plan instanceof Plan.ExplainCreateView e) {
      return new Views(this, engine, new Ddl(this, engine)).explainCreate(e.create(),
          settings.getOrDefault(Settings.VIEW_CONSISTENCY, Settings.EVENTUAL));
    }
    if (plan instanceof Plan.ExplainView e) {
      return new Views(this, engine, new Ddl(this, engine)).explainView(e,
          settings.getOrDefault(Settings.VIEW_CONSISTENCY, Settings.EVENTUAL));
    }
    if (plan instanceof Plan.Insert || plan instanceof Plan.Update || plan instanceof Plan.Delete) {
      return dml(parsed, plan, params);
    }
    if (plan instanceof Plan.SetSetting s) {
      return Settings.set(settings, s);
    }
    if (plan instanceof Plan.ShowSetting s) {
      return Settings.show(settings, s, user, database);
    }
    if (plan instanceof Plan.ShowQueries) {
      return engine.runningQueries().show();
    }
    if (plan instanceof Plan.TerminateQuery t) {
      return engine.runningQueries().terminate(
          t.id(), user, granted.covers(SqlAccess.ADMIN), t.position());
    }
    if (plan instanceof Plan.ShowViews) {
      // The newest snapshot the store holds, not a fresh one: the view supervisor asks every
      // second, and a fresh snapshot appends a sync transaction (an idle Ordo appends nothing).
      // The session's own DDL is still in it (latest() makes sure).
      Snap snap = latest();
      return Views.show(Catalog.read(engine.backend().store(), snap.position()),
          engine.backend().store(), snap.position());
    }
    if (plan instanceof Plan.ShowTables || plan instanceof Plan.ShowStreams
        || plan instanceof Plan.ShowConnectors || plan instanceof Plan.Describe) {
      // SHOW CONNECTORS reads a fresh snapshot: connector DDL through another session or gateway
      // shows at once (it is rare, and the statuses ask the sources anyway).
      Snap snap = plan instanceof Plan.ShowConnectors ? fresh() : latest();
      return Introspection.run(plan, Catalog.read(engine.backend().store(), snap.position()),
          plan instanceof Plan.ShowConnectors
              ? Catalog.connectors(engine.backend().store(), snap.position())
              : new java.util.TreeMap<>(),
          engine.backend(), this);
    }
    // DDL
    if (state != TxnState.IDLE) {
      throw new SqlException(
          SqlState.ACTIVE_SQL_TRANSACTION,
          "DDL cannot run inside a transaction block; COMMIT or ROLLBACK first");
    }
    return new Ddl(this, engine).run(plan);
  }

  /**
   * Runs a push query until cancelled or failed ({@link io.ordo.sql.SqlStatement#push}).
   *
   * @throws SqlException as {@link io.ordo.sql.SqlStatement#push} says; 25001 inside a block
   */
  void push(ParsedText parsed, List<Object> params, List<SqlType> declared, PushSink sink)
      throws SqlException {
    checkOpen();
    cancelled.set(false);
    if (!(parsed.plan() instanceof Plan.Push push)) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED, "not a push query (SELECT ... EMIT CHANGES)");
    }
    if (state != TxnState.IDLE) {
      throw new SqlException(
          SqlState.ACTIVE_SQL_TRANSACTION,
          "a push query cannot run inside a transaction block; COMMIT or ROLLBACK first",
          push.position());
    }
    checkGranted(push);
    try (Unparse.Scope scope = Unparse.withParameterTypes(parameterTypes(parsed, params, declared))) {
      new PushQuery(this, parsed, push, params, sink).run();
    } catch (InterruptedException e) {
      throw new SqlException(SqlState.QUERY_CANCELED, "canceling statement due to user request");
    } catch (RuntimeException | AssertionError e) {
      throw QueryRunner.translate(e, null);
    }
  }

  /** 42501 unless this session may run {@code plan}. */
  private void checkGranted(Plan plan) throws SqlException {
    SqlAccess needed = accessOf(plan);
    if (!granted.covers(needed)) {
      throw new SqlException(
          SqlState.INSUFFICIENT_PRIVILEGE,
          "permission denied: the statement needs " + needed.label() + " access; user \""
              + user + "\" has " + granted.label());
    }
  }

  /** Whether {@link #cancel} was called since the running statement began. */
  boolean isCancelled() {
    return cancelled.get();
  }

  /** This session's runner (not after {@link #close}). */
  QueryRunner runner() {
    synchronized (runnerLock) {
      if (runner == null) {
        throw new IllegalStateException("the session is closed");
      }
      return runner;
    }
  }

  /** A snapshot position and whether it was taken after the statement began. */
  record Snap(Position position, boolean fresh) {}

  /** A fresh snapshot (a sync after now). */
  Snap fresh() throws SqlException, InterruptedException {
    Position p = engine.snapshots().fresh(engine.config().statementTimeoutMs());
    return new Snap(p, true);
  }

  /**
   * The newest snapshot the store already holds if it includes this session's last commit and
   * every change the store holds, else a fresh one. The second condition matters for a new
   * session: an idle key range's frontier stays at the last sync, so without it a session would
   * read a snapshot older than what other sessions committed and the store already applied (psql
   * runs each {@code -c} in its own connection: a table created by one was missing from the next
   * one's {@code \dt} whenever a sync had happened before the CREATE). In an idle Ordo the first
   * such read syncs once and the following ones sync no more.
   */
  Snap latest() throws SqlException, InterruptedException {
    Optional<Position> complete = engine.snapshots().latestComplete();
    if (complete.isPresent()
        && (lastCommit == null || Positions.ORDER.compare(complete.get(), lastCommit) >= 0)
        && !engine.snapshots().storeHoldsChangesAfter(complete.get())) {
      return new Snap(complete.get(), false);
    }
    return fresh();
  }

  ReadContext context(Position p, Catalog catalog, TxnBuffer txn) {
    return new ReadContext(
        engine.backend().store(),
        p,
        catalog,
        txn,
        engine.scanRowsMax(),
        engine.config().rowsMax(),
        cancelled,
        engine.backend(),
        this::defaults);
  }

  /** Runs a composed query in {@code ctx}: rows at most {@code rowsMax}. */
  List<List<Object>> run(ReadContext ctx, Dml.Composed composed, ParsedText parsed,
      List<Object> params) throws SqlException {
    return runWithColumns(ctx, composed, parsed, params).rows();
  }

  /**
   * Runs composed queries in {@code ctx}, in order, and concatenates their rows.
   *
   * @throws SqlException 54000 if they give more than {@code rowsMax} rows in all; any error of
   *     a query
   */
  List<List<Object>> runAll(ReadContext ctx, List<Dml.Composed> composed, ParsedText parsed,
      List<Object> params) throws SqlException {
    if (composed.size() == 1) {
      return run(ctx, composed.get(0), parsed, params);
    }
    int rowsMax = engine.config().rowsMax();
    List<List<Object>> rows = new ArrayList<>(Math.min(composed.size(), rowsMax));
    for (Dml.Composed c : composed) {
      rows.addAll(run(ctx, c, parsed, params));
      if (rows.size() > rowsMax) {
        throw new SqlException(SqlState.PROGRAM_LIMIT_EXCEEDED,
            "the statement has more than " + rowsMax + " rows");
      }
    }
    return rows;
  }

  /** Runs a composed query in {@code ctx}: its result columns and rows (at most {@code rowsMax}). */
  private StatementResult runWithColumns(
      ReadContext ctx, Dml.Composed composed, ParsedText parsed, List<Object> params)
      throws SqlException {
    List<Object> values = new ArrayList<>(composed.parameters().size());
    for (int index : composed.parameters()) {
      values.add(index < 0
          ? composed.constants().get(-1 - index)
          : parsed.parameterValue(index, params));
    }
    try (ReadContext.Bound bound = ctx.bind()) {
      QueryRunner.Prepared p = runner().prepare(composed.sql(), ctx.catalog.fingerprint());
      List<List<Object>> rows = runner().run(p, values, engine.config().rowsMax());
      return new StatementResult("SELECT " + rows.size(), p.columns, rows);
    }
  }

  /** Plans a composed query for Describe: its parameter types and columns. */
  QueryRunner.Prepared describe(Dml.Composed composed, Catalog catalog) throws SqlException {
    try (ReadContext.Bound bound = context(Positions.endOf(Long.MAX_VALUE), catalog, null).bind()) {
      return runner().prepare(composed.sql(), catalog.fingerprint());
    }
  }

  private StatementResult query(ParsedText parsed, Plan.Query q, List<Object> params)
      throws SqlException, InterruptedException {
    ReadContext ctx;
    if (state == TxnState.IN_TRANSACTION) {
      if (q.asOf().isPresent()) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "AS OF cannot be used inside a transaction block", q.asOf().get().position());
      }
      ensureBlockSnapshot();
      ctx = context(blockSnapshot, Catalog.read(engine.backend().store(), blockSnapshot), block);
    } else {
      if (q.asOf().isEmpty()) {
        awaitViews(q.query());
      }
      Position p = fresh().position();
      if (q.asOf().isPresent()) {
        p = asOf(q.asOf().get(), p);
      }
      ctx = context(p, Catalog.read(engine.backend().store(), p), null);
    }
    Dml.Composed composed = new Dml.Composed(Unparse.sql(q.query()), Unparse.parameters(q.query()));
    return runWithColumns(ctx, composed, parsed, params);
  }

  /**
   * Waits as {@code view_consistency} asks before a query outside a block reads the views in it:
   * until they reflect this session's last write (read_your_writes) or a named log position
   * (at_position:...); eventual waits for nothing.
   */
  private void awaitViews(SqlNode query) throws SqlException, InterruptedException {
    String consistency = settings.getOrDefault(Settings.VIEW_CONSISTENCY, Settings.EVENTUAL);
    Optional<Position> named = Settings.viewPosition(consistency);
    if (named.isPresent()) {
      Views.awaitReflected(this, query, named.get(), "position " + Positions.format(named.get())
          + " (view_consistency = " + consistency + ")", engine.config().statementTimeoutMs());
    } else if (lastCommit != null && consistency.equals(Settings.READ_YOUR_WRITES)) {
      Views.awaitReflected(this, query, lastCommit, "this session's last write (position "
          + Positions.format(lastCommit) + "; view_consistency = read_your_writes)",
          engine.config().statementTimeoutMs());
    }
  }

  /** The position an AS OF clause names, checked against the retention and the present. */
  private Position asOf(Plan.AsOf asOf, Position now) throws SqlException {
    return asOf(asOf, now, "AS OF");
  }

  /**
   * The position a time-travel clause names ({@code clause}: how errors name it), checked
   * against the retention and the present.
   */
  Position asOf(Plan.AsOf asOf, Position now, String clause) throws SqlException {
    Position p;
    if (asOf.logPosition()) {
      p = Positions.parse(asOf.literal());
    } else {
      long ts;
      try {
        ts = OffsetDateTime.parse(asOf.literal().trim().replace(' ', 'T')).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        try {
          ts = java.time.LocalDateTime.parse(asOf.literal().trim().replace(' ', 'T'))
              .toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e2) {
          throw new SqlException(
              SqlState.INVALID_TEXT_REPRESENTATION,
              "invalid input syntax for type timestamp with time zone: \"" + asOf.literal()
                  + "\"", asOf.position());
        }
      }
      p = Positions.endOf(ts);
    }
    if (Positions.ORDER.compare(p, now) > 0) {
      throw new SqlException(
          SqlState.INVALID_PARAMETER_VALUE,
          clause + " " + asOf.literal() + " is in the future (the log is at "
              + Instant.ofEpochMilli(now.getTs()) + ")", asOf.position());
    }
    if (p.getTs() < now.getTs() - engine.config().historyRetentionMs()) {
      throw new SqlException(
          SqlState.SNAPSHOT_TOO_OLD,
          clause + " " + asOf.literal() + " is older than the history retention of "
              + engine.config().historyRetentionMs() / 1000 + " s", asOf.position());
    }
    return p;
  }

  private void ensureBlockSnapshot() throws SqlException, InterruptedException {
    if (blockSnapshot == null) {
      // Fresh, not the newest the store holds: a block's reads that are already stale when it
      // begins (an idle key range's frontier can be far behind) only buy a 40001 at COMMIT, which
      // costs the client a whole retry; one shared sync round trip is cheaper.
      Snap s = fresh();
      blockSnapshot = s.position();
      blockSnapshotFresh = s.fresh();
    }
  }

  private StatementResult explain(Plan.Explain e) throws SqlException, InterruptedException {
    Snap snap = latest();
    Catalog catalog = Catalog.read(engine.backend().store(), snap.position());
    Dml.Composed composed =
        new Dml.Composed("EXPLAIN PLAN FOR " + Unparse.sql(e.query()), List.of());
    ReadContext ctx = context(snap.position(), catalog, null);
    List<List<Object>> rows;
    try (ReadContext.Bound bound = ctx.bind()) {
      QueryRunner.Prepared p = runner().prepare(composed.sql(), catalog.fingerprint());
      rows = runner().run(p, List.of(), engine.config().rowsMax());
    }
    List<String> plan = new ArrayList<>();
    for (List<Object> r : rows) {
      plan.add(String.valueOf(r.get(0)));
    }
    return Views.explained(plan);
  }

  // ---------------------------------------------------------------------------------------
  // DML

  private StatementResult dml(ParsedText parsed, Plan plan, List<Object> params)
      throws SqlException, InterruptedException {
    if (state == TxnState.IN_TRANSACTION) {
      ensureBlockSnapshot();
      Catalog catalog = Catalog.read(engine.backend().store(), blockSnapshot);
      Dml.Written w = applyDml(parsed, plan, params, context(blockSnapshot, catalog, block), true);
      return StatementResult.command(w.tag() + w.rows());
    }
    SqlException last = null;
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      // A statement that reads rows reads a fresh snapshot (a stale one would fail its commit's
      // asserts); one that only writes (INSERT ... VALUES, UPSERT) reads only the catalog,
      // which its commit asserts too, so the newest snapshot the store holds serves it.
      Snap snap = attempt == 0 && !readsRows(plan) ? newestHeld() : fresh();
      Catalog catalog = Catalog.read(engine.backend().store(), snap.position());
      TxnBuffer buffer = new TxnBuffer();
      Dml.Written w;
      try {
        w = applyDml(parsed, plan, params, context(snap.position(), catalog, buffer), false);
      } catch (SqlException e) {
        if (snap.fresh() || !e.sqlState().equals(SqlState.UNDEFINED_TABLE)) {
          throw e;
        }
        // The store may not hold yet a table created just before: decide on a fresh snapshot.
        last = e;
        continue;
      }
      try {
        // A statement that wrote nothing commits nothing only if its reads were fresh.
        commit(buffer, snap.fresh());
        return StatementResult.command(w.tag() + w.rows());
      } catch (SqlException e) {
        if (!e.sqlState().equals(SqlState.SERIALIZATION_FAILURE)) {
          throw e;
        }
        last = e;
        engine.retried();
      }
    }
    throw last;
  }

  /**
   * What the store holds now, for statements that read only the catalog (their commit asserts the
   * definitions they used, so a stale catalog costs at most a retry): no sync.
   */
  private Snap newestHeld() {
    return new Snap(Positions.endOf(Long.MAX_VALUE), false);
  }

  /** Whether a DML statement reads rows (not only the catalog) before it writes. */
  private static boolean readsRows(Plan plan) {
    if (plan instanceof Plan.Insert ins) {
      return ins.onConflict() == Plan.OnConflict.NOTHING
          || ins.onConflict() == Plan.OnConflict.UPDATE
          || ins.source().getKind() != org.apache.calcite.sql.SqlKind.VALUES;
    }
    return true;
  }

  private Dml.Written applyDml(
      ParsedText parsed, Plan plan, List<Object> params, ReadContext ctx, boolean inBlock)
      throws SqlException {
    if (plan instanceof Plan.Insert ins) {
      Optional<TableDef> table = ctx.catalog.table(ins.target());
      String tag = "INSERT 0 ";
      if (table.isPresent()) {
        Views.checkWritable(ctx.catalog, ins.target(), ins.position());
        TableDef def = table.get();
        List<ColumnDef> targets = Dml.targetColumns(def, ins);
        List<List<Object>> rows =
            runAll(ctx, Dml.insertSource(targets, ins.source(), ctx.catalog), parsed, params);
        Dml.ConflictUpdater updater =
            ins.onConflict() == Plan.OnConflict.UPDATE
                ? conflictUpdater(def, ins, ctx, parsed, params)
                : null;
        return new Dml.Written(
            tag, Dml.insertRows(ctx, def, targets, rows, ins.onConflict(), inBlock, updater));
      }
      Optional<StreamDef> stream = ctx.catalog.stream(ins.target());
      if (stream.isPresent()) {
        if (ins.onConflict() != Plan.OnConflict.ERROR) {
          throw new SqlException(
              SqlState.FEATURE_NOT_SUPPORTED,
              "ON CONFLICT and UPSERT do not apply to streams", ins.position());
        }
        TableDef shape = streamShape(stream.get());
        List<ColumnDef> targets = Dml.targetColumns(shape, ins);
        List<List<Object>> rows =
            runAll(ctx, Dml.insertSource(targets, ins.source(), ctx.catalog), parsed, params);
        return new Dml.Written(tag, Dml.appendRows(ctx, stream.get(), targets, rows));
      }
      throw new SqlException(
          SqlState.UNDEFINED_TABLE, "relation \"" + ins.target() + "\" does not exist",
          ins.position());
    }
    if (plan instanceof Plan.Update up) {
      TableDef def = requireWritableTable(ctx.catalog, up.table(), up.position());
      List<List<Object>> rows =
          run(ctx, Dml.selectTargets(def, up.alias(), up.set(), up.where()), parsed, params);
      return new Dml.Written("UPDATE ", Dml.updateRows(ctx, def, up.set(), rows));
    }
    Plan.Delete del = (Plan.Delete) plan;
    TableDef def = requireWritableTable(ctx.catalog, del.table(), del.position());
    List<List<Object>> rows =
        run(ctx, Dml.selectTargets(def, del.alias(), List.of(), del.where()), parsed, params);
    return new Dml.Written("DELETE ", Dml.deleteRows(ctx, def, rows));
  }

  private static TableDef requireWritableTable(Catalog catalog, String name, int position)
      throws SqlException {
    if (catalog.stream(name).isPresent() && catalog.table(name).isEmpty()) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "\"" + name + "\" is a stream: its records cannot be updated or deleted", position);
    }
    Views.checkWritable(catalog, name, position);
    return catalog.requireTable(name, position);
  }

  /** A stream's columns as a table shape (for INSERT's column checks). */
  static TableDef streamShape(StreamDef s) {
    return new TableDef(
        s.name(), "0000000000000000", s.columns(),
        List.of(s.columns().isEmpty() ? "_" : s.columns().get(0).name()), 1);
  }

  /**
   * ON CONFLICT DO UPDATE: evaluates the SET expressions (and WHERE) with Calcite over the
   * existing row (as the table's name) and the proposed one (as {@code excluded}).
   */
  private Dml.ConflictUpdater conflictUpdater(
      TableDef def, Plan.Insert ins, ReadContext ctx, ParsedText parsed, List<Object> params) {
    return (existing, excluded) -> {
      StringBuilder sql = new StringBuilder("SELECT ");
      List<Object> values = new ArrayList<>();
      for (int i = 0; i < ins.conflictSet().size(); i++) {
        Plan.Assignment a = ins.conflictSet().get(i);
        ColumnDef c =
            def.column(a.column())
                .orElseThrow(
                    () -> new SqlException(
                        SqlState.UNDEFINED_COLUMN,
                        "column \"" + a.column() + "\" of relation \"" + def.name()
                            + "\" does not exist", a.position()));
        SqlNode expr = qualify(a.expr(), def);
        sql.append(i == 0 ? "" : ", ").append("CAST(").append(Unparse.sql(expr)).append(" AS ")
            .append(CalciteTypes.castTarget(c)).append(')');
        for (int index : Unparse.parameters(expr)) {
          values.add(parsed.parameterValue(index, params));
        }
      }
      sql.append(" FROM ").append(rowValues(def, Dml.quote(def.name()), existing, values));
      sql.append(", ").append(rowValues(def, "\"excluded\"", excluded, values));
      if (ins.conflictWhere().isPresent()) {
        SqlNode where = qualify(ins.conflictWhere().get(), def);
        sql.append(" WHERE ").append(Unparse.sql(where));
        for (int index : Unparse.parameters(where)) {
          values.add(parsed.parameterValue(index, params));
        }
      }
      List<List<Object>> rows;
      try (ReadContext.Bound bound = ctx.bind()) {
        QueryRunner.Prepared p = runner().prepare(sql.toString(), ctx.catalog.fingerprint());
        rows = runner().run(p, values, 1);
      }
      if (rows.isEmpty()) {
        return Optional.empty();
      }
      List<Object> next = new ArrayList<>(existing);
      for (int i = 0; i < ins.conflictSet().size(); i++) {
        ColumnDef c = def.column(ins.conflictSet().get(i).column()).orElseThrow();
        next.set(def.columns().indexOf(c), CalciteTypes.coerce(c, rows.get(0).get(i)));
      }
      return Optional.of(next);
    };
  }

  /** {@code (VALUES (CAST(? AS t1), ...)) AS alias(c1, ...)}, adding the row to {@code values}. */
  private static String rowValues(TableDef def, String alias, List<Object> row, List<Object> values) {
    StringBuilder sb = new StringBuilder("(VALUES (");
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < def.columns().size(); i++) {
      ColumnDef c = def.columns().get(i);
      sb.append(i == 0 ? "" : ", ").append("CAST(? AS ").append(CalciteTypes.castTarget(c))
          .append(')');
      names.append(i == 0 ? "" : ", ").append(Dml.quote(c.name()));
      values.add(row.get(i));
    }
    return sb.append(")) AS ").append(alias).append('(').append(names).append(')').toString();
  }

  /** Qualifies bare column names with the table's name (PostgreSQL's reading in DO UPDATE). */
  private static SqlNode qualify(SqlNode expr, TableDef def) {
    return expr.accept(
        new SqlShuttle() {
          @Override
          public SqlNode visit(SqlIdentifier id) {
            if (id.names.size() == 1 && def.column(id.getSimple()).isPresent()) {
              return new SqlIdentifier(List.of(def.name(), id.getSimple()), id.getParserPosition());
            }
            return id;
          }
        });
  }

  // ---------------------------------------------------------------------------------------
  // Commit

  private StatementResult commitBlock() throws SqlException, InterruptedException {
    if (state == TxnState.IDLE) {
      return StatementResult.command("COMMIT");
    }
    if (state == TxnState.FAILED) {
      endBlock();
      return StatementResult.command("ROLLBACK");
    }
    TxnBuffer buffer = block;
    boolean fresh = blockSnapshotFresh;
    endBlock();
    commit(buffer, fresh);
    return StatementResult.command("COMMIT");
  }

  private void endBlock() {
    state = TxnState.IDLE;
    block = null;
    blockSnapshot = null;
    blockSnapshotFresh = false;
  }

  /**
   * Commits a buffer as one Ordo transaction; nothing to do for a buffer without writes whose
   * reads were at a fresh snapshot.
   */
  void commit(TxnBuffer buffer, boolean readsFresh) throws SqlException, InterruptedException {
    if (buffer.isEmpty() || (!buffer.hasWrites() && readsFresh)) {
      return;
    }
    TxnBuffer.Commit commit = buffer.build("sql-" + UUID.randomUUID(), engine.opsMax());
    TxnResult result = submit(commit);
    if (result.getOutcome() != Outcome.COMMITTED) {
      if (result.hasPosition()) {
        // The write that failed an assert is ordered before this position: the session's next
        // snapshot must include it, or a retry would read the same stale values and fail again.
        committedAt(result.getPosition());
      }
      throw TxnBuffer.failure(commit, result);
    }
    committedAt(result.getPosition());
  }

  /** Sequences a transaction and waits for its result within the statement timeout. */
  TxnResult submit(TxnBuffer.Commit commit) throws SqlException, InterruptedException {
    long timeout = engine.config().statementTimeoutMs();
    try {
      return engine.backend().execute(commit.txn(), timeout).get(timeout + 1_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new SqlException(
          SqlState.UNAVAILABLE,
          "no result for transaction " + commit.txn().getId() + " in time: its outcome is unknown");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new SqlException(
          SqlState.UNAVAILABLE, "the transaction could not run: " + cause.getMessage(), 0, cause);
    }
  }

  /**
   * Raises the session's snapshot floor to {@code p} (a position its own transaction reached,
   * committed or aborted): later snapshots of this session include everything ordered before it.
   */
  void committedAt(Position p) {
    if (lastCommit == null || Positions.ORDER.compare(p, lastCommit) > 0) {
      lastCommit = p;
    }
  }

  /** Answers a recognized catalog query from the newest catalog the store holds. */
  StatementResult answerCatalogQuery(String sql, List<Object> params) throws SqlException {
    checkOpen();
    if (state == TxnState.FAILED) {
      throw new SqlException(
          SqlState.IN_FAILED_SQL_TRANSACTION,
          "current transaction is aborted, commands ignored until end of transaction block");
    }
    try {
      Snap snap = latest();
      Catalog catalog = Catalog.read(engine.backend().store(), snap.position());
      return CATALOG_ANSWERS
          .answer(sql, params, catalog.snapshot(),
              new SessionInfo(user, database, Settings.DEFAULTS.get("server_version")))
          .orElseThrow(() -> new SqlException(
              SqlState.INTERNAL_ERROR, "a recognized catalog query was not answered"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SqlException(SqlState.QUERY_CANCELED, "canceling statement: interrupted");
    }
  }

  // ---------------------------------------------------------------------------------------
  // Column defaults

  /** A table's column defaults, in column order (NULL where none), evaluated once per version. */
  List<Object> defaults(TableDef def) {
    String key = def.tableId() + "/" + def.version();
    List<Object> cached = defaultsCache.get(key);
    if (cached != null) {
      return cached;
    }
    List<Object> out = new ArrayList<>();
    for (ColumnDef c : def.columns()) {
      out.add(null);
    }
    boolean any = def.columns().stream().anyMatch(c -> c.defaultSql().isPresent());
    if (any) {
      StringBuilder sql = new StringBuilder("VALUES (");
      for (int i = 0; i < def.columns().size(); i++) {
        sql.append(i == 0 ? "" : ", ").append(Dml.defaultSql(def.columns().get(i)));
      }
      sql.append(')');
      try {
        QueryRunner.Prepared p = runner().prepare(sql.toString(), "defaults");
        List<Object> row = runner().run(p, List.of(), 1).get(0);
        for (int i = 0; i < row.size(); i++) {
          out.set(i, CalciteTypes.coerce(def.columns().get(i), row.get(i)));
        }
      } catch (SqlException e) {
        throw new SqlRuntimeException(e);
      }
    }
    List<Object> result = java.util.Collections.unmodifiableList(out);
    defaultsCache.put(key, result);
    return result;
  }

  /** Evaluates a constant expression as a column's type (DEFAULT checks in DDL). */
  Object evaluate(ColumnDef c, String exprSql) throws SqlException {
    QueryRunner.Prepared p =
        runner().prepare("VALUES (CAST(" + exprSql + " AS " + CalciteTypes.castTarget(c) + "))",
            "defaults");
    return CalciteTypes.coerce(c, runner().run(p, List.of(), 1).get(0).get(0));
  }

  OrdoSqlEngine engine() {
    return engine;
  }

  Map<String, String> settings() {
    return settings;
  }
}
