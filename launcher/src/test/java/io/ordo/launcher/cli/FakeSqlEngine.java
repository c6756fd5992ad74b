package io.ordo.launcher.cli;

import io.ordo.sql.Column;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A test double of the SQL engine for the shell tests: {@code BEGIN}, {@code COMMIT}, {@code
 * ROLLBACK}, {@code INSERT word} (one shared table; at commit inside a block), {@code SELECT *},
 * {@code CREATE TABLE name} (a name SHOW TABLES lists), {@code SHOW TABLES}/{@code SHOW
 * STREAMS}, {@code FAIL sqlstate position}, {@code SLEEP} (until cancelled). The statements split
 * at every {@code ;}; an unknown first word is 42601 at prepare time. Every statement text the
 * sessions ran is recorded.
 */
final class FakeSqlEngine implements SqlEngine {
  final List<String> table = new CopyOnWriteArrayList<>();
  final List<String> tables = new CopyOnWriteArrayList<>(List.of("accounts"));
  final List<String> ran = new CopyOnWriteArrayList<>();
  final CountDownLatch sleeping = new CountDownLatch(1);

  @Override
  public SqlSession openSession(String user, String database) {
    return new Session();
  }

  private final class Session implements SqlSession {
    private TxnState state = TxnState.IDLE;
    private final List<String> pending = new ArrayList<>();
    private final CountDownLatch cancelled = new CountDownLatch(1);

    @Override
    public List<SqlStatement> prepare(String sql, List<SqlType> declared) throws SqlException {
      List<SqlStatement> out = new ArrayList<>();
      int start = 0;
      // At every ';' outside single quotes.
      for (String part : sql.split(";(?=(?:[^']*'[^']*')*[^']*$)", -1)) {
        String text = part.strip();
        if (!text.isEmpty()) {
          String word = text.split("\\s+")[0].toUpperCase(Locale.ROOT);
          if (!List.of("BEGIN", "COMMIT", "ROLLBACK", "INSERT", "SELECT", "CREATE", "SHOW", "FAIL", "SLEEP")
              .contains(word)) {
            throw new SqlException(
                SqlState.SYNTAX_ERROR,
                "syntax error at or near \"" + text.split("\\s+")[0] + "\"",
                sql.indexOf(text, start) + 1);
          }
          out.add(statement(text));
        }
        start += part.length() + 1;
      }
      return out;
    }

    private SqlStatement statement(String text) {
      return new SqlStatement() {
        @Override
        public String sql() {
          return text;
        }

        @Override
        public List<SqlType> parameterTypes() {
          return List.of();
        }

        @Override
        public Optional<List<Column>> resultColumns() {
          return Optional.empty();
        }

        @Override
        public boolean isPush() {
          return text.toUpperCase(Locale.ROOT).contains("EMIT CHANGES");
        }

        /** The table's words as inserts, then the end of the query (57P03). */
        @Override
        public void push(List<Object> params, io.ordo.sql.PushSink sink) throws SqlException {
          ran.add(text);
          try {
            sink.start(
                List.of(
                    Column.of("_position", SqlType.TEXT), Column.of("_op", SqlType.TEXT),
                    Column.of("word", SqlType.TEXT)));
            for (int i = 0; i < table.size(); i++) {
              sink.row(List.of("1:0:" + i + ":1", "insert", table.get(i)));
            }
            sink.progress("1:0:" + table.size());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new SqlException(SqlState.UNAVAILABLE, "the fake gateway ends the push query");
        }

        @Override
        public StatementResult execute(List<Object> params) throws SqlException {
          ran.add(text);
          String[] words = text.split("\\s+");
          String word = words[0].toUpperCase(Locale.ROOT);
          if (state == TxnState.FAILED && !word.equals("COMMIT") && !word.equals("ROLLBACK")) {
            throw new SqlException(SqlState.IN_FAILED_SQL_TRANSACTION, "current transaction is aborted");
          }
          try {
            return run(word, words);
          } catch (SqlException e) {
            if (state == TxnState.IN_TRANSACTION) {
              state = TxnState.FAILED;
            }
            throw e;
          }
        }
      };
    }

    private StatementResult run(String word, String[] words) throws SqlException {
      switch (word) {
        case "BEGIN":
          state = TxnState.IN_TRANSACTION;
          return StatementResult.command("BEGIN");
        case "COMMIT":
          {
            String tag = state == TxnState.FAILED ? "ROLLBACK" : "COMMIT";
            if (state == TxnState.IN_TRANSACTION) {
              table.addAll(pending);
            }
            pending.clear();
            state = TxnState.IDLE;
            return StatementResult.command(tag);
          }
        case "ROLLBACK":
          pending.clear();
          state = TxnState.IDLE;
          return StatementResult.command("ROLLBACK");
        case "INSERT":
          (state == TxnState.IN_TRANSACTION ? pending : table).add(words[1]);
          return StatementResult.command("INSERT 0 1");
        case "SELECT":
          {
            List<List<Object>> rows = new ArrayList<>();
            for (String v : table) {
              rows.add(List.of(v, (long) v.length()));
            }
            return new StatementResult(
                "SELECT " + rows.size(),
                List.of(Column.of("word", SqlType.TEXT), Column.of("length", SqlType.BIGINT)),
                rows);
          }
        case "CREATE":
          tables.add(words[2]);
          return StatementResult.command("CREATE TABLE");
        case "SHOW":
          {
            List<List<Object>> rows = new ArrayList<>();
            for (String name : words[1].equalsIgnoreCase("TABLES") ? tables : List.of("clicks")) {
              rows.add(List.of(name));
            }
            return new StatementResult("SHOW", List.of(Column.of("name", SqlType.TEXT)), rows);
          }
        case "FAIL":
          throw new SqlException(words[1], "scripted failure", Integer.parseInt(words[2]));
        case "SLEEP":
          sleeping.countDown();
          try {
            cancelled.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new SqlException(SqlState.QUERY_CANCELED, "canceling statement due to user request");
        default:
          throw new SqlException(SqlState.INTERNAL_ERROR, "unreachable");
      }
    }

    @Override
    public TxnState txnState() {
      return state;
    }

    @Override
    public void cancel() {
      cancelled.countDown();
    }

    @Override
    public void close() {
      pending.clear();
      state = TxnState.IDLE;
    }
  }
}
