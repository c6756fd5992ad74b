package io.ordo.sql.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordo SQL across a restart of the whole embedded Ordo (broker, executor, gateway) on the same
 * data directory: tables and their rows, a stream's schema and records, and {@code AS OF SYSTEM
 * TIME} reads of the values before the last updates are all there afterwards, and new statements
 * run.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SqlRestartIT {
  @TempDir static Path dir;
  static PgOrdo pg;

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  /** Every row of a query, each row as the strings pgjdbc returns for its columns. */
  static List<List<String>> rows(Connection c, String sql) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  @Test
  void tablesStreamsAndHistorySurviveARestart() throws Exception {
    Path data = dir.resolve("data");
    pg = PgOrdo.start(data, 0);
    Instant before;
    List<List<String>> streamsBefore;
    List<List<String>> describeBefore;
    List<List<String>> eventsBefore;
    try (Connection c = pg.connect()) {
      exec(c, "CREATE TABLE r_acct (id INT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT,"
          + " opened DATE)");
      exec(c, "CREATE TABLE r_tags (tag VARCHAR(10) PRIMARY KEY, n INT DEFAULT 1)");
      exec(c, "INSERT INTO r_acct VALUES (1, 'ann', 100, DATE '2024-01-02'),"
          + " (2, 'bob', 50, NULL), (3, 'cy', 0, DATE '2023-12-31')");
      exec(c, "INSERT INTO r_tags (tag) VALUES ('red'), ('blue')");
      exec(c, "CREATE STREAM r_events (id BIGINT, kind TEXT, amount NUMERIC(8,2))"
          + " WITH (shards = 2, key = 'id')");
      exec(c, "INSERT INTO r_events VALUES (1, 'open', 100.00), (2, 'open', 50.5),"
          + " (3, 'open', 0)");
      streamsBefore = rows(c, "SHOW STREAMS");
      describeBefore = rows(c, "DESCRIBE r_events");
      eventsBefore = rows(c, "SELECT id, kind, amount FROM r_events ORDER BY id");
      // A point in time between the inserts and the updates (the log's broker time is this
      // machine's clock; the pauses keep both sides apart from it).
      Thread.sleep(200);
      before = Instant.now();
      Thread.sleep(200);
      exec(c, "UPDATE r_acct SET balance = balance + 1000 WHERE id <= 2");
      exec(c, "DELETE FROM r_acct WHERE id = 3");
      exec(c, "UPDATE r_tags SET n = 5 WHERE tag = 'red'");
      assertThat(rows(c, "SELECT id, balance FROM r_acct ORDER BY id"))
          .containsExactly(List.of("1", "1100"), List.of("2", "1050"));
    }
    assertThat(streamsBefore).anySatisfy(r -> {
      assertThat(r.get(0)).isEqualTo("r_events");
      assertThat(r.get(1)).isEqualTo("2");
      assertThat(r.get(3)).contains("id", "kind", "amount");
    });
    assertThat(eventsBefore).hasSize(3);

    pg.close();
    pg = null;
    pg = PgOrdo.start(data, 0);

    try (Connection c = pg.connect()) {
      assertThat(rows(c, "SHOW TABLES")).contains(List.of("r_acct"), List.of("r_tags"));
      assertThat(rows(c, "SELECT id, owner, balance, opened FROM r_acct ORDER BY id"))
          .containsExactly(List.of("1", "ann", "1100", "2024-01-02"),
              java.util.Arrays.asList("2", "bob", "1050", null));
      assertThat(rows(c, "SELECT tag, n FROM r_tags ORDER BY tag"))
          .containsExactly(List.of("blue", "1"), List.of("red", "5"));
      assertThat(rows(c, "SHOW STREAMS")).isEqualTo(streamsBefore);
      assertThat(rows(c, "DESCRIBE r_events")).isEqualTo(describeBefore);
      assertThat(rows(c, "SELECT id, kind, amount FROM r_events ORDER BY id"))
          .isEqualTo(eventsBefore)
          .containsExactly(List.of("1", "open", "100.00"), List.of("2", "open", "50.50"),
              List.of("3", "open", "0.00"));
      assertThat(rows(c, "SELECT id, balance FROM r_acct ORDER BY id AS OF SYSTEM TIME '"
          + before + "'"))
          .containsExactly(List.of("1", "100"), List.of("2", "50"), List.of("3", "0"));
      assertThat(rows(c, "SELECT tag, n FROM r_tags ORDER BY tag AS OF SYSTEM TIME '"
          + before + "'"))
          .containsExactly(List.of("blue", "1"), List.of("red", "1"));

      // New statements run, and the stream still holds to its schema.
      exec(c, "INSERT INTO r_acct VALUES (4, 'dee', 7, NULL)");
      exec(c, "UPDATE r_acct SET balance = balance - 100 WHERE id = 1");
      exec(c, "INSERT INTO r_events VALUES (4, 'open', 7)");
      exec(c, "CREATE TABLE r_after (k INT PRIMARY KEY)");
      exec(c, "INSERT INTO r_after VALUES (1)");
      assertThat(rows(c, "SELECT id, balance FROM r_acct ORDER BY id"))
          .containsExactly(List.of("1", "1000"), List.of("2", "1050"), List.of("4", "7"));
      assertThat(rows(c, "SELECT count(*) FROM r_events")).containsExactly(List.of("4"));
      assertThat(rows(c, "SELECT k FROM r_after")).containsExactly(List.of("1"));
      try (Statement st = c.createStatement()) {
        st.execute("INSERT INTO r_events (id, nope) VALUES (5, 'x')");
        throw new AssertionError("an insert of an unknown stream column succeeded");
      } catch (SQLException e) {
        assertThat(e.getSQLState()).isEqualTo("42703");
      }
    }
  }
}
