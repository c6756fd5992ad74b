package io.ordo.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL engine of a whole embedded Ordo (broker, executor, gateway): DDL, DML and queries as
 * Ordo transactions, transaction blocks, AS OF, streams.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SqlEngineIT {
  @TempDir static Path dir;
  static EmbeddedOrdo ordo;

  @BeforeAll
  static void start() throws Exception {
    ordo = EmbeddedOrdo.start(EmbeddedOrdo.Options.defaults(dir).withFreePorts()
        .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(500)));
    ordo.awaitServing(Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() {
    if (ordo != null) {
      ordo.close();
    }
  }

  static List<StatementResult> exec(SqlSession s, String sql, Object... params) throws SqlException {
    List<StatementResult> out = new ArrayList<>();
    for (SqlStatement st : s.prepare(sql, List.of())) {
      out.add(st.execute(Arrays.asList(params)));
    }
    return out;
  }

  static StatementResult one(SqlSession s, String sql, Object... params) throws SqlException {
    List<StatementResult> r = exec(s, sql, params);
    assertThat(r).hasSize(1);
    return r.get(0);
  }

  static String sqlState(SqlSession s, String sql, Object... params) {
    try {
      exec(s, sql, params);
      return "ok";
    } catch (SqlException e) {
      return e.sqlState();
    }
  }

  @Test
  void tablesRowsAndQueries() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner VARCHAR(20) NOT NULL,"
          + " balance BIGINT DEFAULT 0, note TEXT)");
      assertThat(one(s, "INSERT INTO accounts (id, owner, balance) VALUES (1, 'ann', 100),"
          + " (2, 'bob', 50), (3, 'cy', 0)").commandTag()).isEqualTo("INSERT 0 3");
      assertThat(one(s, "INSERT INTO accounts (id, owner) VALUES ($1, $2)", 4L, "dee")
          .commandTag()).isEqualTo("INSERT 0 1");
      StatementResult all = one(s, "SELECT id, owner, balance FROM accounts ORDER BY id");
      assertThat(all.rows()).containsExactly(
          List.of(1L, "ann", 100L), List.of(2L, "bob", 50L), List.of(3L, "cy", 0L),
          List.of(4L, "dee", 0L));
      assertThat(all.columns()).extracting(Column::type)
          .containsExactly(SqlType.BIGINT, SqlType.VARCHAR, SqlType.BIGINT);
      assertThat(one(s, "SELECT owner FROM accounts WHERE id = $1", 2L).rows())
          .containsExactly(List.of("bob"));
      assertThat(one(s, "SELECT count(*), sum(balance) FROM accounts WHERE balance > 0").rows())
          .containsExactly(List.of(2L, 150L));
      assertThat(one(s, "UPDATE accounts SET balance = balance - $1 WHERE id = $2", 30L, 1L)
          .commandTag()).isEqualTo("UPDATE 1");
      assertThat(one(s, "UPDATE accounts SET note = 'rich' WHERE balance >= 50").commandTag())
          .isEqualTo("UPDATE 2");
      assertThat(one(s, "DELETE FROM accounts WHERE id = 3").commandTag()).isEqualTo("DELETE 1");
      assertThat(one(s, "SELECT id, balance, note FROM accounts ORDER BY id").rows())
          .containsExactly(
              List.of(1L, 70L, "rich"), List.of(2L, 50L, "rich"),
              Arrays.asList(4L, 0L, null));
      assertThat(sqlState(s, "INSERT INTO accounts (id, owner) VALUES (1, 'x')"))
          .isEqualTo(SqlState.UNIQUE_VIOLATION);
      assertThat(sqlState(s, "INSERT INTO accounts (id) VALUES (9)"))
          .isEqualTo(SqlState.NOT_NULL_VIOLATION);
      assertThat(sqlState(s, "INSERT INTO accounts (id, owner) VALUES (9, 'this is too long for it')"))
          .isEqualTo(SqlState.STRING_DATA_RIGHT_TRUNCATION);
      assertThat(sqlState(s, "SELECT nope FROM accounts")).isEqualTo(SqlState.UNDEFINED_COLUMN);
      assertThat(sqlState(s, "SELECT * FROM nowhere")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(sqlState(s, "SELEC 1")).isEqualTo(SqlState.SYNTAX_ERROR);
      assertThat(one(s, "SHOW TABLES").rows()).contains(List.of("accounts"));
      assertThat(one(s, "DESCRIBE accounts").rows()).containsExactly(
          Arrays.asList("id", "bigint", false, null, true),
          Arrays.asList("owner", "character varying(20)", false, null, false),
          Arrays.asList("balance", "bigint", true, "0", false),
          Arrays.asList("note", "text", true, null, false));
      StatementResult plan = one(s, "EXPLAIN SELECT owner FROM accounts WHERE id = 1");
      assertThat(plan.columns()).extracting(Column::name).containsExactly("QUERY PLAN");
      assertThat(plan.rows()).anySatisfy(
          row -> assertThat((String) row.get(0)).contains("accounts"));
    }
  }

  @Test
  void transactionBlocksCommitRollbackAndFail() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo");
        SqlSession other = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT)");
      one(s, "INSERT INTO kv VALUES ('a', 1), ('b', 2)");
      one(s, "BEGIN");
      assertThat(s.txnState()).isEqualTo(TxnState.IN_TRANSACTION);
      one(s, "UPDATE kv SET v = v + 10 WHERE k = 'a'");
      one(s, "INSERT INTO kv VALUES ('c', 3)");
      // Read-your-writes inside the block; the other session sees nothing yet.
      assertThat(one(s, "SELECT k, v FROM kv ORDER BY k").rows())
          .containsExactly(List.of("a", 11L), List.of("b", 2L), List.of("c", 3L));
      assertThat(one(other, "SELECT count(*) FROM kv").rows()).containsExactly(List.of(2L));
      assertThat(one(s, "COMMIT").commandTag()).isEqualTo("COMMIT");
      assertThat(one(other, "SELECT k, v FROM kv ORDER BY k").rows())
          .containsExactly(List.of("a", 11L), List.of("b", 2L), List.of("c", 3L));

      one(s, "BEGIN");
      one(s, "DELETE FROM kv");
      one(s, "ROLLBACK");
      assertThat(one(s, "SELECT count(*) FROM kv").rows()).containsExactly(List.of(3L));

      // A conflicting commit in between: the block's COMMIT fails with 40001.
      one(s, "BEGIN");
      assertThat(one(s, "SELECT v FROM kv WHERE k = 'b'").rows()).containsExactly(List.of(2L));
      one(other, "UPDATE kv SET v = 20 WHERE k = 'b'");
      one(s, "UPDATE kv SET v = 0 WHERE k = 'a'");
      assertThat(sqlState(s, "COMMIT")).isEqualTo(SqlState.SERIALIZATION_FAILURE);
      assertThat(s.txnState()).isEqualTo(TxnState.IDLE);
      assertThat(one(s, "SELECT v FROM kv WHERE k = 'a'").rows()).containsExactly(List.of(11L));

      // An error inside a block fails the block until ROLLBACK.
      one(s, "BEGIN");
      assertThat(sqlState(s, "SELECT * FROM nowhere")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(s.txnState()).isEqualTo(TxnState.FAILED);
      assertThat(sqlState(s, "SELECT 1")).isEqualTo(SqlState.IN_FAILED_SQL_TRANSACTION);
      assertThat(one(s, "COMMIT").commandTag()).isEqualTo("ROLLBACK");
    }
  }

  @Test
  void asOfReadsOldValues() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE hist (id INT PRIMARY KEY, v TEXT)");
      one(s, "INSERT INTO hist VALUES (1, 'old')");
      String position = one(s, "SELECT 1").commandTag(); // a statement between, nothing more
      assertThat(position).isEqualTo("SELECT 1");
      Thread.sleep(20);
      java.time.Instant before = java.time.Instant.now();
      Thread.sleep(20);
      one(s, "UPDATE hist SET v = 'new' WHERE id = 1");
      assertThat(one(s, "SELECT v FROM hist").rows()).containsExactly(List.of("new"));
      assertThat(one(s, "SELECT v FROM hist AS OF SYSTEM TIME '" + before + "'").rows())
          .containsExactly(List.of("old"));
      assertThat(sqlState(s, "SELECT v FROM hist AS OF SYSTEM TIME '2000-01-01T00:00:00Z'"))
          .isEqualTo(SqlState.SNAPSHOT_TOO_OLD);
    }
  }

  @Test
  void streamsTakeRowsWithTableWritesInOneTransaction() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE STREAM events (id BIGINT, kind TEXT) WITH (shards = 2, key = 'id')");
      one(s, "CREATE TABLE counts (kind TEXT PRIMARY KEY, n BIGINT)");
      one(s, "BEGIN");
      one(s, "INSERT INTO events VALUES (1, 'click'), (2, 'view')");
      one(s, "INSERT INTO counts VALUES ('click', 1)");
      one(s, "COMMIT");
      StatementResult r = one(s, "SELECT id, kind FROM events ORDER BY id");
      assertThat(r.rows()).containsExactly(List.of(1L, "click"), List.of(2L, "view"));
      assertThat(one(s, "SELECT n FROM counts").rows()).containsExactly(List.of(1L));
      assertThat(one(s, "SHOW STREAMS").rows()).anySatisfy(row -> assertThat(row.get(0)).isEqualTo("events"));
    }
  }

  /**
   * Sessions take over the Calcite connections (and cached plans) of closed ones: a later session
   * sees the table as it is now, not as the plan of an earlier session had it, and the cancel of
   * a closed session reaches none of the statements of the sessions after it.
   */
  @Test
  void laterSessionsReuseNoStalePlanAndNoCancel() throws Exception {
    SqlEngine engine = ordo.sqlEngine();
    try (SqlSession s = engine.openSession("test", "ordo")) {
      one(s, "CREATE TABLE reuse (id BIGINT PRIMARY KEY, v BIGINT)");
      one(s, "INSERT INTO reuse VALUES (1, 10)");
      assertThat(one(s, "SELECT v FROM reuse WHERE id = 1").rows()).containsExactly(List.of(10L));
    }
    try (SqlSession s = engine.openSession("test", "ordo")) {
      one(s, "DROP TABLE reuse");
      one(s, "CREATE TABLE reuse (id BIGINT PRIMARY KEY, v TEXT)");
      one(s, "INSERT INTO reuse VALUES (1, 'ten')");
    }
    try (SqlSession s = engine.openSession("test", "ordo")) {
      assertThat(one(s, "SELECT v FROM reuse WHERE id = 1").rows())
          .containsExactly(List.of("ten"));
      one(s, "INSERT INTO reuse VALUES (2, 3000000000000)");
      assertThat(one(s, "SELECT v FROM reuse WHERE id = 2").rows())
          .containsExactly(List.of("3000000000000"));
    }
    for (int i = 0; i < 3; i++) {
      SqlSession cancelled = engine.openSession("test", "ordo");
      assertThat(one(cancelled, "SELECT v FROM reuse WHERE id = 1").rows())
          .containsExactly(List.of("ten"));
      cancelled.cancel();
      cancelled.close();
      cancelled.cancel(); // after close: reaches nothing
      try (SqlSession next = engine.openSession("test", "ordo")) {
        assertThat(one(next, "SELECT v FROM reuse WHERE id = 1").rows())
            .containsExactly(List.of("ten"));
        assertThat(one(next, "INSERT INTO reuse VALUES (" + (10 + i) + ", 'x')").commandTag())
            .isEqualTo("INSERT 0 1");
      }
    }
    try (SqlSession s = engine.openSession("test", "ordo")) {
      assertThat(one(s, "SELECT count(*) FROM reuse").rows()).containsExactly(List.of(5L));
    }
  }
}
