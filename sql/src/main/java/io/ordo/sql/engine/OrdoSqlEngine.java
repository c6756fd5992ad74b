package io.ordo.sql.engine;

import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.calcite.avatica.util.Casing;
import org.apache.calcite.avatica.util.Quoting;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.validate.SqlConformanceEnum;

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

  public OrdoSqlEngine(SqlBackend backend, SqlConfig config) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.config = Objects.requireNonNull(config, "config");
    this.snapshots = new Snapshots(backend);
  }

  @Override
  public SqlSession openSession(String user, String database) {
    return new OrdoSession(this, user, database);
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

  /** Rows one statement may read from the store (scans), 100 times the rows it may return. */
  long scanRowsMax() {
    return (long) config.rowsMax() * 100;
  }

  int opsMax() {
    return OPS_MAX;
  }

  /** The parser factory Calcite's connection uses (Ordo's extended parser). */
  String parserFactory() {
    return null;
  }

  /** Parses a client's text into statements. */
  List<ParsedText> parse(String sql) throws SqlException {
    SqlParser.Config cfg = SqlParser.config()
        .withQuoting(Quoting.DOUBLE_QUOTE)
        .withUnquotedCasing(Casing.TO_LOWER)
        .withQuotedCasing(Casing.UNCHANGED)
        .withCaseSensitive(true)
        .withConformance(SqlConformanceEnum.LENIENT);
    List<ParsedText> out = new ArrayList<>();
    if (sql.isBlank()) {
      return out;
    }
    try {
      SqlNodeList list = SqlParser.create(sql, cfg).parseStmtList();
      for (SqlNode node : list) {
        out.add(new ParsedText(Plans.of(node, sql, 0), sql, 0, List.of(), countParams(node)));
      }
    } catch (SqlParseException e) {
      throw new SqlException(SqlState.SYNTAX_ERROR, e.getMessage(),
          QueryRunner.offset(sql, e.getPos().getLineNum(), e.getPos().getColumnNum()));
    }
    return out;
  }

  private static int countParams(SqlNode node) {
    return Unparse.parameters(node).size();
  }
}
