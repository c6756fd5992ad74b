package io.ordo.sql.engine;

import io.ordo.sql.SqlAccess;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.parser.OrdoSqlParser;
import io.ordo.sql.parser.ParsedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The SQL engine over one Ordo deployment: sessions whose statements run as Ordo transactions and
 * whose queries read consistent snapshots of the gateway's store (ARCHITECTURE.md, "SQL").
 * Thread-safe; sessions are not.
 */
public final class OrdoSqlEngine implements SqlEngine {
  /** The most operations one SQL transaction may carry (the gateway's per-transaction limit). */
  public static final int OPS_MAX = 10_000;

  private final SqlBackend backend;
  private final SqlConfig config;
  private final Snapshots snapshots;
  private final AtomicLong retries = new AtomicLong();
  private final RunningQueries runningQueries = new RunningQueries();
  /** Runners of closed sessions, newest first, for the next sessions (at most IDLE_RUNNERS_MAX). */
  private final java.util.ArrayDeque<QueryRunner> idleRunners = new java.util.ArrayDeque<>();

  /**
   * Most idle {@link QueryRunner}s kept for new sessions. A runner holds a Calcite connection
   * and its cached plans (up to {@link QueryRunner#PLAN_CACHE_MAX}); a session that starts with
   * a used one skips Calcite's planning and code generation for the statements it has seen
   * (gRPC Sql/Execute opens a session per request, so without this every request planned
   * again: tens of milliseconds, several times a transaction's commit).
   */
  static final int IDLE_RUNNERS_MAX = 16;

  public OrdoSqlEngine(SqlBackend backend, SqlConfig config) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.config = Objects.requireNonNull(config, "config");
    this.snapshots = new Snapshots(backend);
  }

  @Override
  public SqlSession openSession(String user, String database) {
    return new OrdoSession(this, user, database);
  }

  @Override
  public SqlSession openSession(String user, String database, SqlAccess granted) {
    return new OrdoSession(this, user, database, granted);
  }

  /** A runner for a new session: an idle one (its plans cached) or a new one. */
  QueryRunner borrowRunner() {
    synchronized (idleRunners) {
      QueryRunner r = idleRunners.pollFirst();
      if (r != null) {
        return r;
      }
    }
    return new QueryRunner(parserFactory());
  }

  /**
   * Takes back the runner of a closed session, which must not be used (or cancelled) by it any
   * more; closes it when {@link #IDLE_RUNNERS_MAX} are idle already.
   */
  void returnRunner(QueryRunner r) {
    synchronized (idleRunners) {
      if (idleRunners.size() < IDLE_RUNNERS_MAX) {
        idleRunners.addFirst(r);
        return;
      }
    }
    r.close();
  }

  /** How many autocommit statements were retried after a serialization failure. */
  public long retries() {
    return retries.get();
  }

  void retried() {
    retries.incrementAndGet();
  }

  SqlBackend backend() {
    return backend;
  }

  SqlConfig config() {
    return config;
  }

  Snapshots snapshots() {
    return snapshots;
  }

  /** The push queries running in this engine (SHOW QUERIES, TERMINATE QUERY). */
  RunningQueries runningQueries() {
    return runningQueries;
  }

  /** Rows one statement may read from the store (scans), 100 times the rows it may return. */
  long scanRowsMax() {
    return (long) config.rowsMax() * 100;
  }

  int opsMax() {
    return OPS_MAX;
  }

  /** The parser factory Calcite's connection uses (Ordo's extended parser). */
  String parserFactory() {
    return "io.ordo.sql.parser.impl.OrdoSqlParserImpl#FACTORY";
  }

  /** Parses a client's text into statements and plans them. */
  List<ParsedText> parse(String sql) throws SqlException {
    List<ParsedText> out = new ArrayList<>();
    for (ParsedStatement p : OrdoSqlParser.parse(sql)) {
      out.add(new ParsedText(Plans.of(p), p));
    }
    return out;
  }
}
