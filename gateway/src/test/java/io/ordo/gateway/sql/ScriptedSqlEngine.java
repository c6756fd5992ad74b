package io.ordo.gateway.sql;

import io.ordo.sql.Column;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test double of the SQL engine with a tiny command language, enough to drive the front ends:
 * {@code BEGIN}, {@code COMMIT}, {@code ROLLBACK}, {@code INSERT word} (into one shared table,
 * at commit inside a block), {@code SELECT *} (the table), {@code ECHO $1 $2 ...} (a row of the
 * parameters), {@code TYPES} (a row of every type), {@code FAIL sqlstate position}, {@code SLEEP}
 * (until cancelled), {@code SHOW TABLES}/{@code SHOW STREAMS}. Statements are split at every
 * {@code ;}; an unknown word is a syntax error (42601) at prepare time, positioned in the text.
 */
final class ScriptedSqlEngine implements SqlEngine {
  final List<String> table = new CopyOnWriteArrayList<>();
  final AtomicInteger opened = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  final AtomicInteger cancels = new AtomicInteger();
  /** Counted down when a SLEEP starts. */
  volatile CountDownLatch sleeping = new CountDownLatch(1);

  private static final Pattern PARAM = Pattern.compile("\\$(\\d+)");

  @Override
  public SqlSession openSession(String user, String database) {
    opened.incrementAndGet();
    return new Session();
  }

  private final class Session implements SqlSession {
    private TxnState state = TxnState.IDLE;
    private final List<String> pending = new ArrayList<>();
    private volatile CountDownLatch cancelled = new CountDownLatch(1);

    @Override
    public List<SqlStatement> prepare(String sql, List<SqlType> declared) throws SqlException {
      List<SqlStatement> out = new ArrayList<>();
      int start = 0;
      for (String part : sql.split(";", -1)) {
        String text = part.strip();
        if (!text.isEmpty()) {
          String word = text.split("\\s+")[0].toUpperCase(Locale.ROOT);
          if (!List.of("BEGIN", "COMMIT", "ROLLBACK", "INSERT", "SELECT", "ECHO", "TYPES", "FAIL",
                  "SLEEP", "SHOW").contains(word)) {
            throw new SqlException(
                SqlState.SYNTAX_ERROR,
                "syntax error at or near \"" + text.split("\\s+")[0] + "\"",
                sql.indexOf(text, start) + 1);
          }
          out.add(new Statement(text));
        }
        start += part.length() + 1;
      }
      return out;
    }

    @Override
    public TxnState txnState() {
      return state;
    }

    @Override
    public void cancel() {
      cancels.incrementAndGet();
      cancelled.countDown();
    }

    @Override
    public void close() {
      pending.clear();
      state = TxnState.IDLE;
      closed.incrementAndGet();
    }

    private final class Statement implements SqlStatement {
      private final String text;
      private final String[] words;

      Statement(String text) {
        this.text = text;
        this.words = text.split("\\s+");
      }

      @Override
      public String sql() {
        return text;
      }

      @Override
      public List<SqlType> parameterTypes() {
        int max = 0;
        Matcher m = PARAM.matcher(text);
        while (m.find()) {
          max = Math.max(max, Integer.parseInt(m.group(1)));
        }
        SqlType[] types = new SqlType[max];
        Arrays.fill(types, SqlType.UNKNOWN);
        return List.of(types);
      }

      @Override
      public Optional<List<Column>> resultColumns() {
        return Optional.empty();
      }

      @Override
      public StatementResult execute(List<Object> params) throws SqlException {
        String word = words[0].toUpperCase(Locale.ROOT);
        if (state == TxnState.FAILED && !word.equals("COMMIT") && !word.equals("ROLLBACK")) {
          throw new SqlException(
              SqlState.IN_FAILED_SQL_TRANSACTION,
              "current transaction is aborted, commands ignored until end of transaction block");
        }
        try {
          return run(word, params);
        } catch (SqlException e) {
          if (state == TxnState.IN_TRANSACTION) {
            state = TxnState.FAILED;
          }
          throw e;
        }
      }

      private StatementResult run(String word, List<Object> params) throws SqlException {
        switch (word) {
          case "BEGIN":
            state = TxnState.IN_TRANSACTION;
            return StatementResult.command("BEGIN");
          case "COMMIT":
            {
              boolean failed = state == TxnState.FAILED;
              if (!failed) {
                table.addAll(pending);
              }
              pending.clear();
              state = TxnState.IDLE;
              return StatementResult.command(failed ? "ROLLBACK" : "COMMIT");
            }
          case "ROLLBACK":
            pending.clear();
            state = TxnState.IDLE;
            return StatementResult.command("ROLLBACK");
          case "INSERT":
            if (state == TxnState.IN_TRANSACTION) {
              pending.add(words[1]);
            } else {
              table.add(words[1]);
            }
            return StatementResult.command("INSERT 0 1");
          case "SELECT":
            {
              List<List<Object>> rows = new ArrayList<>();
              for (String v : table) {
                rows.add(List.of(v));
              }
              return new StatementResult(
                  "SELECT " + rows.size(), List.of(Column.of("v", SqlType.TEXT)), rows);
            }
          case "ECHO":
            {
              List<Column> columns = new ArrayList<>();
              for (int i = 0; i < params.size(); i++) {
                columns.add(Column.of("p" + (i + 1), typeOf(params.get(i))));
              }
              List<List<Object>> rows = new ArrayList<>();
              rows.add(new ArrayList<>(params));
              return new StatementResult("SELECT 1", columns, rows);
            }
          case "TYPES":
            return types();
          case "FAIL":
            throw new SqlException(words[1], "scripted failure", Integer.parseInt(words[2]));
          case "SLEEP":
            cancelled = new CountDownLatch(1);
            sleeping.countDown();
            try {
              cancelled.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new SqlException(
                SqlState.QUERY_CANCELED, "canceling statement due to user request");
          case "SHOW":
            {
              List<String> names =
                  words[1].equalsIgnoreCase("TABLES") ? List.of("accounts", "orders") : List.of("clicks");
              List<List<Object>> rows = new ArrayList<>();
              for (String n : names) {
                rows.add(List.of(n));
              }
              return new StatementResult(
                  "SHOW", List.of(new Column("name", SqlType.TEXT, -1, -1, false)), rows);
            }
          default:
            throw new SqlException(SqlState.INTERNAL_ERROR, "unreachable: " + word);
        }
      }
    }
  }

  static SqlType typeOf(Object value) {
    if (value instanceof Long) {
      return SqlType.BIGINT;
    }
    if (value instanceof BigDecimal) {
      return SqlType.DECIMAL;
    }
    if (value instanceof Double) {
      return SqlType.DOUBLE;
    }
    if (value instanceof Boolean) {
      return SqlType.BOOLEAN;
    }
    return SqlType.TEXT;
  }

  /** One row with a value of every type and a NULL. */
  static StatementResult types() {
    List<Column> columns =
        List.of(
            Column.of("b", SqlType.BOOLEAN),
            Column.of("s", SqlType.SMALLINT),
            Column.of("i", SqlType.INTEGER),
            Column.of("l", SqlType.BIGINT),
            Column.of("d", SqlType.DOUBLE),
            Column.of("n", SqlType.DECIMAL),
            Column.of("t", SqlType.TEXT),
            Column.of("y", SqlType.BYTEA),
            Column.of("dt", SqlType.DATE),
            Column.of("ts", SqlType.TIMESTAMP),
            Column.of("tz", SqlType.TIMESTAMPTZ),
            Column.of("j", SqlType.JSONB),
            Column.of("z", SqlType.INTEGER));
    List<Object> row =
        Arrays.asList(
            true,
            (short) 7,
            42,
            (1L << 60) + 1,
            1.5,
            new BigDecimal("12345678901234567890.125"),
            "héllo",
            new byte[] {0, 1, 2, (byte) 255},
            LocalDate.of(2024, 1, 31),
            LocalDateTime.of(2024, 1, 31, 12, 0, 0),
            OffsetDateTime.of(2024, 1, 31, 12, 0, 0, 500_000_000, ZoneOffset.UTC),
            "{\"a\":[1,true,null]}",
            null);
    return new StatementResult("SELECT 1", columns, List.of(row));
  }
}
