package io.ordo.sql.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DDL racing DML through pgjdbc: two clients insert into {@code t} without pause while a third,
 * in rounds, creates {@code t}, lets inserts land, runs {@code ALTER TABLE t ADD COLUMN c INT
 * DEFAULT 7}, lets more land, reads the table and drops it. Checked against the times each
 * statement began and ended (client-side, monotonic):
 *
 * <ul>
 *   <li>every read of {@code t} contains every insert into this generation of {@code t} that
 *       returned ok before the read began, and nothing else: no row of a failed insert, none of an
 *       earlier generation (the table's rows do not outlive DROP);
 *   <li>after ADD COLUMN every row reads {@code c = 7}, those inserted before it included;
 *   <li>an insert that began after DROP returned, and ended before the next CREATE began, fails
 *       with 42P01 (or 40001); the only errors at all are 42P01 and 40001.
 * </ul>
 *
 * <p>Rounds: {@code -Dordo.sqlddlrace.rounds} (3).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SqlDdlRaceIT {
  static final int ROUNDS = Integer.getInteger("ordo.sqlddlrace.rounds", 3);
  static final int INSERTERS = 2;
  /** Inserts that must return ok between two DDL steps of a round. */
  static final int OK_BETWEEN = 12;
  /** Bound of each inserter's loop. */
  static final int INSERTS_MAX = 20_000;

  @TempDir static Path dir;
  static PgOrdo pg;

  @BeforeAll
  static void start() throws Exception {
    pg = PgOrdo.start(dir, 0);
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  /** One insert: its id, when it began and ended, and its SQLSTATE ("ok" when it succeeded). */
  record Insert(long id, long startNs, long endNs, String state) {}

  /** One DDL statement or read of the DDL client, with what the read returned (id → c). */
  record Step(String what, int round, long startNs, long endNs, Map<Long, Integer> rows) {}

  @Test
  void insertsAreOrderedWithAddColumnAndDrop() throws Exception {
    ConcurrentLinkedQueue<Insert> inserts = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(INSERTERS);
    List<Future<?>> inserters = new ArrayList<>();
    List<Step> steps = new ArrayList<>();
    try (Connection ddl = pg.connect(); Statement st = ddl.createStatement()) {
      steps.add(step("create", 0, () -> st.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)")));
      for (int w = 0; w < INSERTERS; w++) {
        int worker = w;
        inserters.add(pool.submit(() -> {
          runInserter(worker, inserts, stop);
          return null;
        }));
      }
      for (int round = 0; round < ROUNDS; round++) {
        int r = round;
        if (round > 0) {
          steps.add(step("create", r, () -> st.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)")));
        }
        steps.add(read(st, r, "read-created", "SELECT id, 7 FROM t"));
        awaitOk(inserts, steps.get(steps.size() - 1).endNs(), OK_BETWEEN);
        steps.add(read(st, r, "read-before-alter", "SELECT id, 7 FROM t"));
        steps.add(step("alter", r, () -> st.execute("ALTER TABLE t ADD COLUMN c INT DEFAULT 7")));
        awaitOk(inserts, steps.get(steps.size() - 1).endNs(), OK_BETWEEN);
        steps.add(read(st, r, "read-before-drop", "SELECT id, c FROM t"));
        steps.add(step("drop", r, () -> st.execute("DROP TABLE t")));
        awaitFailed(inserts, steps.get(steps.size() - 1).endNs(), 3);
      }
    } finally {
      stop.set(true);
      pool.shutdown();
    }
    for (Future<?> f : inserters) {
      f.get(60, TimeUnit.SECONDS);
    }
    check(new ArrayList<>(inserts), steps);
  }

  interface SqlAction {
    void run() throws SQLException;
  }

  static Step step(String what, int round, SqlAction action) throws SQLException {
    long start = System.nanoTime();
    action.run();
    return new Step(what, round, start, System.nanoTime(), Map.of());
  }

  static Step read(Statement st, int round, String what, String sql) throws SQLException {
    long start = System.nanoTime();
    Map<Long, Integer> rows = new HashMap<>();
    try (ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        int c = rs.getInt(2);
        Integer value = rs.wasNull() ? null : c;
        rows.put(rs.getLong(1), value);
      }
    }
    return new Step(what, round, start, System.nanoTime(), rows);
  }

  /** Waits (bounded) until {@code n} inserts that began after {@code afterNs} returned ok. */
  static void awaitOk(ConcurrentLinkedQueue<Insert> inserts, long afterNs, int n)
      throws InterruptedException {
    awaitCount(inserts, afterNs, n, true);
  }

  static void awaitFailed(ConcurrentLinkedQueue<Insert> inserts, long afterNs, int n)
      throws InterruptedException {
    awaitCount(inserts, afterNs, n, false);
  }

  private static void awaitCount(ConcurrentLinkedQueue<Insert> inserts, long afterNs, int n,
      boolean ok) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      long seen = inserts.stream()
          .filter(i -> i.startNs() > afterNs && i.state().equals("ok") == ok).count();
      if (seen >= n) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("fewer than " + n + (ok ? " ok" : " failed") + " inserts in 60 s");
  }

  static void runInserter(int worker, ConcurrentLinkedQueue<Insert> inserts, AtomicBoolean stop)
      throws SQLException {
    try (Connection c = pg.connect();
        PreparedStatement ins = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
      for (int n = 0; n < INSERTS_MAX && !stop.get(); n++) {
        long id = (long) n * INSERTERS + worker;
        ins.setLong(1, id);
        ins.setString(2, "w" + worker);
        long start = System.nanoTime();
        String state;
        try {
          state = ins.executeUpdate() == 1 ? "ok" : "count";
        } catch (SQLException e) {
          state = e.getSQLState();
        }
        inserts.add(new Insert(id, start, System.nanoTime(), state));
      }
    }
  }

  static void check(List<Insert> inserts, List<Step> steps) {
    assertThat(inserts).extracting(Insert::state).as("every insert's outcome")
        .allSatisfy(state -> assertThat(state).isIn("ok", "42P01", "40001"))
        .contains("ok", "42P01");
    Map<Long, Insert> byId = new HashMap<>();
    for (Insert i : inserts) {
      byId.put(i.id(), i);
    }
    long okCount = inserts.stream().filter(i -> i.state().equals("ok")).count();
    System.out.printf("SqlDdlRaceIT: %d rounds, %d inserts: %d ok, %d 42P01, %d 40001%n",
        ROUNDS, inserts.size(), okCount,
        inserts.stream().filter(i -> i.state().equals("42P01")).count(),
        inserts.stream().filter(i -> i.state().equals("40001")).count());
    for (int round = 0; round < ROUNDS; round++) {
      int r = round;
      Step create = find(steps, "create", r);
      Step alter = find(steps, "alter", r);
      Step drop = find(steps, "drop", r);
      for (Step s : steps) {
        if (s.round() != r || !s.what().startsWith("read")) {
          continue;
        }
        // Rows of this generation that returned ok before the read began.
        List<Long> due = inserts.stream()
            .filter(i -> i.state().equals("ok") && i.startNs() > create.startNs()
                && i.endNs() < s.startNs())
            .map(Insert::id).toList();
        assertThat(s.rows().keySet()).as("%s of round %d: no ok insert is invisible", s.what(), r)
            .containsAll(due);
        for (Long id : s.rows().keySet()) {
          Insert i = byId.get(id);
          assertThat(i).as("row %d read in round %d was inserted", id, r).isNotNull();
          assertThat(i.state()).as("row %d read in round %d", id, r).isEqualTo("ok");
          assertThat(i.endNs()).as("row %d is of this generation of t", id)
              .isGreaterThan(create.startNs());
        }
        if (s.startNs() > alter.endNs()) {
          List<Long> beforeAlter = inserts.stream().filter(i -> i.state().equals("ok")
              && i.startNs() > create.startNs() && i.endNs() < alter.startNs())
              .map(Insert::id).toList();
          assertThat(beforeAlter).as("rows inserted before the ALTER of round %d", r)
              .hasSizeGreaterThanOrEqualTo(OK_BETWEEN);
          assertThat(s.rows().keySet()).as("rows from before the ALTER are read back")
              .containsAll(beforeAlter);
          assertThat(s.rows().values()).as("c after ADD COLUMN").containsOnly(7);
        }
      }
      long nextCreate = r + 1 < ROUNDS ? find(steps, "create", r + 1).startNs() : Long.MAX_VALUE;
      List<Insert> afterDrop = inserts.stream()
          .filter(i -> i.startNs() > drop.endNs() && i.endNs() < nextCreate).toList();
      assertThat(afterDrop).as("inserts after the DROP of round %d", r).isNotEmpty()
          .allSatisfy(i -> assertThat(i.state()).isIn("42P01", "40001"));
    }
  }

  static Step find(List<Step> steps, String what, int round) {
    return steps.stream().filter(s -> s.what().equals(what) && s.round() == round).findFirst()
        .orElseThrow();
  }
}
