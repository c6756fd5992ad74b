package io.ordo.sql.logictest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** OrdoTarget over a session double: results, errors, several statements, the time limit. */
class OrdoTargetTest {

  /** Splits on ';' and answers each part by its text; "sleep" blocks until cancel(). */
  private static final class FakeSession implements SqlSession {
    final List<String> executed = new ArrayList<>();
    final CountDownLatch cancelled = new CountDownLatch(1);
    boolean closed;

    @Override
    public List<SqlStatement> prepare(String sql, List<SqlType> declaredParamTypes)
        throws SqlException {
      if (sql.startsWith("bad")) {
        throw new SqlException("42601", "syntax error at or near \"bad\"", 1);
      }
      List<SqlStatement> out = new ArrayList<>();
      for (String part : sql.split(";")) {
        out.add(statement(part.trim()));
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
        public StatementResult execute(List<Object> params) throws SqlException {
          executed.add(text);
          switch (text) {
            case "sleep" -> {
              try {
                if (cancelled.await(10, TimeUnit.SECONDS)) {
                  throw new SqlException("57014", "canceling statement due to user request");
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              throw new SqlException("XX000", "not cancelled");
            }
            case "dup" -> throw new SqlException("23505", "duplicate key");
            case "select" -> {
              return new StatementResult(
                  "SELECT 1",
                  List.of(Column.of("a", SqlType.INTEGER), Column.of("b", SqlType.TEXT)),
                  List.of(List.of(7, "x")));
            }
            default -> {
              return StatementResult.command(text);
            }
          }
        }
      };
    }

    @Override
    public TxnState txnState() {
      return TxnState.IDLE;
    }

    @Override
    public void cancel() {
      cancelled.countDown();
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void returnsTheLastStatementsRowsAndRowCount() throws Exception {
    FakeSession session = new FakeSession();
    try (OrdoTarget target = new OrdoTarget(session, Duration.ofSeconds(5))) {
      Target.Outcome o = target.execute("UPDATE 3; select");
      assertThat(session.executed).containsExactly("UPDATE 3", "select");
      assertThat(o.columns()).isEqualTo(2);
      assertThat(o.rows()).containsExactly(List.of(7, "x"));
      assertThat(o.affected()).isEqualTo(OptionalLong.of(1));
      assertThat(target.execute("INSERT 0 4").affected()).isEqualTo(OptionalLong.of(4));
    }
    assertThat(session.closed).isTrue();
  }

  @Test
  void reportsSqlStatesOfPrepareAndExecute() {
    FakeSession session = new FakeSession();
    try (OrdoTarget target = new OrdoTarget(session, Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> target.execute("bad"))
          .isInstanceOfSatisfying(
              Target.TargetException.class, e -> assertThat(e.sqlState()).isEqualTo("42601"));
      assertThatThrownBy(() -> target.execute("BEGIN; dup; COMMIT"))
          .isInstanceOfSatisfying(
              Target.TargetException.class, e -> assertThat(e.sqlState()).isEqualTo("23505"));
      // The statements after the failing one do not run.
      assertThat(session.executed).containsExactly("BEGIN", "dup");
    }
  }

  @Test
  void cancelsAStatementThatOutrunsTheLimit() {
    FakeSession session = new FakeSession();
    try (OrdoTarget target = new OrdoTarget(session, Duration.ofMillis(200))) {
      assertThatThrownBy(() -> target.execute("sleep"))
          .isInstanceOfSatisfying(
              Target.TargetException.class,
              e -> {
                assertThat(e.sqlState()).isEqualTo("57014");
                assertThat(e.getMessage()).contains("200 ms");
              });
      assertThat(session.cancelled.getCount()).isZero();
    }
  }
}
