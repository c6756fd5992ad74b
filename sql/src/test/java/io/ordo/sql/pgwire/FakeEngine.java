package io.ordo.sql.pgwire;

import io.ordo.sql.Column;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
import io.ordo.sql.types.PgText;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SqlEngine test double with fixed answers for a handful of statements (matched
 * case-insensitively, statements split at semicolons):
 *
 * <ul>
 *   <li>{@code select 1}: one INTEGER column {@code ?column?}, one row;
 *   <li>{@code select $1, ..., $n}: echoes its parameters, typed as declared, else by a cast
 *       {@code $n::date} (date, timestamp, timestamptz, int4, numeric, jsonb), else TEXT;
 *   <li>{@code select samples}: one column per type and two rows, {@link #SAMPLE_ROW} and NULLs;
 *   <li>{@code select n from series(N)}: BIGINT 1..N;
 *   <li>{@code select pg_sleep(S)}: waits up to S seconds unless cancelled (57014);
 *   <li>{@code begin}, {@code commit}, {@code rollback}: the transaction state;
 *   <li>{@code set ...}: {@code SET} (pgjdbc sets extra_float_digits and application_name);
 *   <li>{@code insert ...}: {@code INSERT 0 1}, with {@code $n} parameters;
 *   <li>{@code select bad}: 42703 when prepared; {@code select 1/0}: 22012 when run (a block
 *       becomes FAILED); {@code select boom}: a RuntimeException when run;
 *   <li>anything else: 42601 at position 1.
 * </ul>
 */
final class FakeEngine implements SqlEngine {
  static final List<Column> SAMPLE_COLUMNS =
      List.of(
          Column.of("b", SqlType.BOOLEAN),
          Column.of("i2", SqlType.SMALLINT),
          Column.of("i4", SqlType.INTEGER),
          Column.of("i8", SqlType.BIGINT),
          Column.of("f8", SqlType.DOUBLE),
          new Column("num", SqlType.DECIMAL, 20, 4, true),
          new Column("vc", SqlType.VARCHAR, 10, -1, true),
          Column.of("t", SqlType.TEXT),
          Column.of("by", SqlType.BYTEA),
          Column.of("d", SqlType.DATE),
          Column.of("ts", SqlType.TIMESTAMP),
          Column.of("tstz", SqlType.TIMESTAMPTZ),
          Column.of("j", SqlType.JSONB));

  static final List<Object> SAMPLE_ROW =
      List.of(
          true,
          (short) -12,
          123456789,
          -9_000_000_000L,
          1.5e300,
          new BigDecimal("-12345.6789"),
          "héllo",
          "tab\there",
          new byte[] {0, 1, (byte) 0xFF, 'a'},
          LocalDate.of(2026, 12, 6),
          LocalDateTime.of(2026, 12, 6, 10, 15, 30, 123_456_000),
          OffsetDateTime.of(2026, 12, 6, 10, 15, 30, 500_000_000, ZoneOffset.UTC),
          "{\"a\": 1, \"bb\": [1, 2]}");

  private static final Pattern ECHO =
      Pattern.compile("select\\s+\\$1(::\\w+)?(\\s*,\\s*\\$\\d+(::\\w+)?)*");
  private static final Pattern CAST = Pattern.compile("\\$(\\d+)::(\\w+)");
  private static final Pattern SERIES = Pattern.compile("select n from series\\((\\d{1,6})\\)");
  private static final Pattern SLEEP = Pattern.compile("select pg_sleep\\((\\d{1,3})\\)");
  private static final Pattern PARAM = Pattern.compile("\\$(\\d+)");

  /** Statements run, with their parameters, in order (all sessions). */
  final ConcurrentLinkedQueue<String> executed = new ConcurrentLinkedQueue<>();
  /** Counted down when a pg_sleep statement starts. */
  volatile CountDownLatch sleeping = new CountDownLatch(1);
  volatile String lastUser;
  volatile String lastDatabase;

  @Override
  public SqlSession openSession(String user, String database) {
    lastUser = user;
    lastDatabase = database;
    return new Session();
  }

  private final class Session implements SqlSession {
    private volatile TxnState state = TxnState.IDLE;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean cancelled;

    @Override
    public List<SqlStatement> prepare(String sql, List<SqlType> declared) throws SqlException {
      List<SqlStatement> out = new ArrayList<>();
      for (String part : sql.split(";")) {
        String text = part.trim();
        if (!text.isEmpty()) {
          out.add(statement(text, declared));
        }
      }
      return out;
    }

    private SqlStatement statement(String text, List<SqlType> declared) throws SqlException {
      String s = text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
      boolean ends = s.equals("commit") || s.equals("rollback") || s.equals("end");
      if (state == TxnState.FAILED && !ends) {
        throw aborted();
      }
      if (s.equals("select bad")) {
        if (state == TxnState.IN_TRANSACTION) {
          state = TxnState.FAILED; // as PostgreSQL: any error aborts the block
        }
        throw new SqlException(SqlState.UNDEFINED_COLUMN, "column \"bad\" does not exist", 8);
      }
      List<SqlType> types = new ArrayList<>();
      Matcher p = PARAM.matcher(s);
      int n = 0;
      while (p.find()) {
        n = Math.max(n, Integer.parseInt(p.group(1)));
      }
      for (int i = 0; i < n; i++) {
        SqlType t = i < declared.size() ? declared.get(i) : SqlType.UNKNOWN;
        types.add(t == SqlType.UNKNOWN ? SqlType.TEXT : t);
      }
      // $n::type fixes a parameter the client left open (pgjdbc sends dates and timestamps so).
      Matcher cast = CAST.matcher(s);
      while (cast.find()) {
        int i = Integer.parseInt(cast.group(1)) - 1;
        if (i >= declared.size() || declared.get(i) == SqlType.UNKNOWN) {
          types.set(i, castType(cast.group(2)));
        }
      }
      if (s.equals("select 1")) {
        return new Fixed(text, types, List.of(Column.of("?column?", SqlType.INTEGER)),
            params -> new StatementResult("SELECT 1", List.of(Column.of("?column?",
                SqlType.INTEGER)), List.of(List.of(1))));
      }
      if (ECHO.matcher(s).matches()) {
        List<Column> cols = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
          cols.add(Column.of("p" + (i + 1), types.get(i)));
        }
        return new Fixed(text, types, cols, params -> {
          List<Object> row = new ArrayList<>();
          for (int i = 0; i < params.size(); i++) {
            Object v = params.get(i);
            row.add(v instanceof String ? PgText.parse(types.get(i), (String) v) : v);
          }
          return new StatementResult("SELECT 1", cols, List.of(row));
        });
      }
      if (s.equals("select samples")) {
        return new Fixed(text, types, SAMPLE_COLUMNS, params -> {
          List<Object> nulls = Arrays.asList(new Object[SAMPLE_COLUMNS.size()]);
          return new StatementResult("SELECT 2", SAMPLE_COLUMNS, List.of(SAMPLE_ROW, nulls));
        });
      }
      Matcher series = SERIES.matcher(s);
      if (series.matches()) {
        int count = Integer.parseInt(series.group(1));
        List<Column> cols = List.of(Column.of("n", SqlType.BIGINT));
        return new Fixed(text, types, cols, params -> {
          List<List<Object>> rows = new ArrayList<>(count);
          for (long i = 1; i <= count; i++) {
            rows.add(List.of(i));
          }
          return new StatementResult("SELECT " + count, cols, rows);
        });
      }
      Matcher sleep = SLEEP.matcher(s);
      if (sleep.matches()) {
        int seconds = Integer.parseInt(sleep.group(1));
        List<Column> cols = List.of(Column.of("pg_sleep", SqlType.TEXT));
        return new Fixed(text, types, cols, params -> {
          sleeping.countDown();
          long until = System.nanoTime() + seconds * 1_000_000_000L;
          while (System.nanoTime() < until) {
            if (cancelled) {
              throw new SqlException(
                  SqlState.QUERY_CANCELED, "canceling statement due to user request");
            }
            try {
              Thread.sleep(5);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new SqlException(SqlState.QUERY_CANCELED, "interrupted");
            }
          }
          return new StatementResult("SELECT 1", cols, List.of(Arrays.asList((Object) "")));
        });
      }
      if (s.equals("begin") || s.equals("start transaction")) {
        return command(text, "BEGIN", () -> state = TxnState.IN_TRANSACTION);
      }
      if (s.equals("commit") || s.equals("end")) {
        return command(text, "COMMIT", () -> state = TxnState.IDLE);
      }
      if (s.equals("rollback")) {
        return command(text, "ROLLBACK", () -> state = TxnState.IDLE);
      }
      if (s.startsWith("set ")) {
        // pgjdbc's connection setup: SET extra_float_digits = 3, SET application_name = '...'.
        return command(text, "SET", () -> { });
      }
      if (s.startsWith("insert ")) {
        return new Fixed(text, types, null, params -> StatementResult.command("INSERT 0 1"));
      }
      if (s.equals("select 1/0")) {
        return new Fixed(text, types, List.of(Column.of("?column?", SqlType.INTEGER)), params -> {
          throw new SqlException(SqlState.DIVISION_BY_ZERO, "division by zero");
        });
      }
      if (s.equals("select boom")) {
        return new Fixed(text, types, List.of(Column.of("boom", SqlType.TEXT)), params -> {
          throw new IllegalStateException("boom");
        });
      }
      throw new SqlException(
          SqlState.SYNTAX_ERROR, "syntax error at or near \"" + text.split("\\s")[0] + "\"", 1);
    }

    private SqlType castType(String name) throws SqlException {
      switch (name) {
        case "date":
          return SqlType.DATE;
        case "timestamp":
          return SqlType.TIMESTAMP;
        case "timestamptz":
          return SqlType.TIMESTAMPTZ;
        case "int4":
          return SqlType.INTEGER;
        case "numeric":
          return SqlType.DECIMAL;
        case "jsonb":
          return SqlType.JSONB;
        default:
          throw new SqlException(SqlState.UNDEFINED_OBJECT, "type \"" + name + "\" does not exist");
      }
    }

    private SqlException aborted() {
      return new SqlException(
          SqlState.IN_FAILED_SQL_TRANSACTION,
          "current transaction is aborted, commands ignored until end of transaction block");
    }

    private SqlStatement command(String text, String tag, Runnable effect) {
      return new Fixed(text, List.of(), null, params -> {
        effect.run();
        return StatementResult.command(tag);
      });
    }

    @Override
    public TxnState txnState() {
      return state;
    }

    @Override
    public void cancel() {
      if (running.get()) {
        cancelled = true;
      }
    }

    @Override
    public void close() {}

    private interface Body {
      StatementResult run(List<Object> params) throws SqlException;
    }

    private final class Fixed implements SqlStatement {
      private final String sql;
      private final List<SqlType> types;
      private final List<Column> columns;
      private final Body body;

      Fixed(String sql, List<SqlType> types, List<Column> columns, Body body) {
        this.sql = sql;
        this.types = List.copyOf(types);
        this.columns = columns;
        this.body = body;
      }

      @Override
      public String sql() {
        return sql;
      }

      @Override
      public List<SqlType> parameterTypes() {
        return types;
      }

      @Override
      public Optional<List<Column>> resultColumns() {
        return Optional.ofNullable(columns);
      }

      @Override
      public StatementResult execute(List<Object> params) throws SqlException {
        if (params.size() != types.size()) {
          throw new SqlException(SqlState.PROTOCOL_VIOLATION, "wrong parameter count");
        }
        String lower = sql.toLowerCase(Locale.ROOT);
        boolean ends = lower.equals("commit") || lower.equals("rollback") || lower.equals("end");
        if (state == TxnState.FAILED && !ends) {
          throw aborted();
        }
        executed.add(sql + " " + params.size());
        cancelled = false;
        running.set(true);
        try {
          return body.run(params);
        } catch (SqlException e) {
          if (state == TxnState.IN_TRANSACTION) {
            state = TxnState.FAILED;
          }
          throw e;
        } finally {
          running.set(false);
          cancelled = false;
        }
      }
    }
  }
}
