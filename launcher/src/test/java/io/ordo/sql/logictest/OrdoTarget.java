package io.ordo.sql.logictest;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.StatementResult;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs sqllogictest records in one Ordo {@link SqlSession}: {@code prepare(sql, List.of())}, then
 * each statement's {@code execute(List.of())}. A statement still running after the time limit is
 * cancelled with {@link SqlSession#cancel()} and reported as 57014; the rows are bounded by the
 * engine's row limit.
 */
final class OrdoTarget implements Target {
  private final SqlSession session;
  private final Duration timeout;
  private final ExecutorService runner;

  /**
   * @param session a fresh session; closed with this target
   * @param timeout the limit on each {@link #execute} call
   */
  OrdoTarget(SqlSession session, Duration timeout) {
    this.session = session;
    this.timeout = timeout;
    this.runner =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "slt-ordo-session");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public String engine() {
    return "ordo";
  }

  @Override
  public Outcome execute(String sql) throws TargetException {
    Future<StatementResult> f = runner.submit(() -> runAll(sql));
    try {
      StatementResult r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Outcome(r.columns().size(), r.rows(), affected(r.commandTag()));
    } catch (TimeoutException e) {
      session.cancel();
      f.cancel(true);
      throw new TargetException(
          SqlState.QUERY_CANCELED, "statement ran longer than " + timeout.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SqlException s) {
        throw new TargetException(s.sqlState(), s.getMessage(), s);
      }
      throw new IllegalStateException("the engine failed outside SqlException", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TargetException(SqlState.QUERY_CANCELED, "interrupted", e);
    }
  }

  private StatementResult runAll(String sql) throws SqlException {
    List<SqlStatement> statements = session.prepare(sql, List.of());
    StatementResult last = StatementResult.command("EMPTY");
    for (SqlStatement s : statements) {
      last = s.execute(List.of());
    }
    return last;
  }

  /** The trailing number of a command tag such as {@code INSERT 0 2} or {@code UPDATE 0}. */
  static OptionalLong affected(String tag) {
    int space = tag.lastIndexOf(' ');
    if (space < 0) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(tag.substring(space + 1)));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } finally {
      runner.shutdownNow();
    }
  }
}
