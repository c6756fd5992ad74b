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
