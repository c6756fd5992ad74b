package io.ordo.views;

import static io.ordo.views.MaterializedViewIT.one;
import static io.ordo.views.MaterializedViewIT.sqlState;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sql.Column;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Materialized views over joins on a whole embedded Ordo, under a bank workload: concurrent
 * transactions move money between the checking account of one customer and the savings account
 * of another of the same branch (two tables, one transaction). Money is conserved in total and
 * per region, so a view that ever showed one table's side of a transfer without the other's
 * would break the sums; the views are sampled throughout, and at quiescence each equals its
 * SELECT run as a pull query. Also: the push query over several tables the views' jobs read, and
 * what CREATE refuses for joins.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MaterializedViewJoinIT {
  @TempDir static Path dir;
  static EmbeddedOrdo ordo;

  static final int ACCOUNTS = 24;
  static final int BRANCHES = 4;
  static final long CHECKING = 100;
  static final long SAVINGS = 50;

  /** One row per customer: both balances and the branch's manager (LEFT JOIN), keyed by id. */
  static final String ACCOUNTS_QUERY = "SELECT c.id, c.balance AS checking, s.balance AS savings,"
      + " b.manager FROM checking c JOIN savings s ON s.id = c.id"
      + " LEFT JOIN branches b ON b.code = c.branch";

  /** Money per region over a three-table join, keyed by region. */
  static final String REGIONS_QUERY = "SELECT b.region, count(*) AS n,"
      + " sum(c.balance + s.balance) AS money FROM checking c JOIN savings s ON s.id = c.id"
      + " JOIN branches b ON b.code = c.branch GROUP BY b.region";

  @BeforeAll
  static void start() throws Exception {
    ordo = MaterializedViewIT.startOrdo(dir);
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE branches (code TEXT PRIMARY KEY, region TEXT NOT NULL, manager TEXT)");
      one(s, "CREATE TABLE checking (id BIGINT PRIMARY KEY, branch TEXT NOT NULL,"
          + " balance BIGINT NOT NULL)");
      one(s, "CREATE TABLE savings (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
      for (int b = 0; b < BRANCHES; b++) {
        one(s, "INSERT INTO branches VALUES ('b" + b + "', '" + region(b) + "', 'm0')");
      }
      for (int i = 0; i < ACCOUNTS; i++) {
        one(s, "INSERT INTO checking VALUES (" + i + ", 'b" + (i % BRANCHES) + "', " + CHECKING
            + ")");
        one(s, "INSERT INTO savings VALUES (" + i + ", " + SAVINGS + ")");
      }
    }
  }

  static String region(int branch) {
    return branch < BRANCHES / 2 ? "north" : "south";
  }

  @AfterAll
  static void stop() {
    if (ordo != null) {
      ordo.close();
    }
  }

  /**
   * One transfer in one transaction: from customer i's checking to j's savings or back (i and j
   * of one branch), retried on serialization failures.
   */
  static void transfer(SqlSession s, Random random) throws SqlException {
    int i = random.nextInt(ACCOUNTS);
    int j = (i + BRANCHES * (1 + random.nextInt(ACCOUNTS / BRANCHES - 1))) % ACCOUNTS;
    int amount = 1 + random.nextInt(30);
    boolean toSavings = random.nextBoolean();
    for (int attempt = 0; ; attempt++) {
      try {
        one(s, "BEGIN");
        one(s, "UPDATE checking SET balance = balance " + (toSavings ? "-" : "+") + " " + amount
            + " WHERE id = " + i);
        one(s, "UPDATE savings SET balance = balance " + (toSavings ? "+" : "-") + " " + amount
            + " WHERE id = " + j);
        one(s, "COMMIT");
        return;
      } catch (SqlException e) {
        try {
          one(s, "ROLLBACK");
        } catch (SqlException ignored) {
          // not in a block any more
        }
        if (!SqlState.SERIALIZATION_FAILURE.equals(e.sqlState()) || attempt >= 20) {
          throw e;
        }
      }
    }
  }

  /** A violated invariant in a sampled view, or null. Counts complete samples in {@code states}. */
  static String checkSample(SqlSession s, Set<List<List<Object>>> states) throws SqlException {
    List<List<Object>> accounts = one(s, "SELECT id, checking, savings FROM v_accounts ORDER BY id")
        .rows();
    if (!accounts.isEmpty()) {
      long money = 0;
      for (List<Object> r : accounts) {
        money += ((Number) r.get(1)).longValue() + ((Number) r.get(2)).longValue();
      }
      if (accounts.size() != ACCOUNTS || money != ACCOUNTS * (CHECKING + SAVINGS)) {
        return "v_accounts shows " + accounts.size() + " accounts holding " + money + ": "
            + accounts;
      }
      states.add(accounts);
    }
    List<List<Object>> regions = one(s, "SELECT region, n, money FROM v_regions ORDER BY region")
        .rows();
    if (!regions.isEmpty()) {
      long perRegion = ACCOUNTS / 2 * (CHECKING + SAVINGS);
      List<List<Object>> expected = List.of(
          List.of("north", (long) ACCOUNTS / 2, perRegion),
          List.of("south", (long) ACCOUNTS / 2, perRegion));
      List<List<Object>> actual = new ArrayList<>();
      for (List<Object> r : regions) {
        actual.add(List.of(r.get(0), ((Number) r.get(1)).longValue(),
            ((Number) r.get(2)).longValue()));
      }
      if (!actual.equals(expected)) {
        return "v_regions shows " + actual;
      }
    }
    return null;
  }

  /** Waits until {@code view} equals {@code query} as a pull query; returns both. */
  static List<List<List<String>>> awaitEqual(SqlSession s, String viewQuery, String query)
      throws Exception {
    long deadline = System.nanoTime() + MaterializedViewIT.CONVERGE.toNanos();
    List<List<String>> expected;
    List<List<String>> actual;
    do {
      expected = MaterializedViewIT.text(one(s, query));
      actual = MaterializedViewIT.text(one(s, viewQuery));
      if (expected.equals(actual)) {
        break;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    return List.of(expected, actual);
  }

  @Test
  void joinViewsNeverShowATornTransferAndEndEqualToTheirQueries() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE MATERIALIZED VIEW v_accounts AS " + ACCOUNTS_QUERY);
      one(s, "CREATE MATERIALIZED VIEW v_regions AS " + REGIONS_QUERY);
      assertThat(one(s, "DESCRIBE v_accounts").rows().stream()
          .filter(r -> Boolean.TRUE.equals(r.get(4))).map(r -> r.get(0)).toList())
          .as("the key of a join view without GROUP BY").containsExactly("id");
      Map<String, String> sources = new TreeMap<>();
      for (List<Object> r : one(s, "SHOW VIEWS").rows()) {
        sources.put((String) r.get(0), (String) r.get(2));
      }
      assertThat(sources).containsEntry("v_accounts", "checking, savings, branches")
          .containsEntry("v_regions", "checking, savings, branches");
      assertThat(sqlState(s, "DROP TABLE savings"))
          .isEqualTo(SqlState.DEPENDENT_OBJECTS_STILL_EXIST);
      assertThat(sqlState(s, "DROP TABLE branches"))
          .isEqualTo(SqlState.DEPENDENT_OBJECTS_STILL_EXIST);

      // Writers transfer until the sampler has checked several states of the views (bounded).
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicInteger transfers = new AtomicInteger();
      Set<List<List<Object>>> states = new HashSet<>();
      AtomicInteger samples = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        long seed = 20261207L + t;
        threads.add(new Thread(() -> {
          Random random = new Random(seed);
          try (SqlSession w = ordo.sqlEngine().openSession("test", "ordo")) {
            while (!stop.get() && transfers.get() < 3_000) {
              transfer(w, random);
              if (transfers.incrementAndGet() % 25 == 0) {
                one(w, "UPDATE branches SET manager = 'm" + transfers.get() + "' WHERE code = 'b"
                    + random.nextInt(BRANCHES) + "'");
              }
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }, "transfers-" + t));
      }
      threads.forEach(Thread::start);
      try (SqlSession reader = ordo.sqlEngine().openSession("test", "ordo")) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (failure.get() == null && System.nanoTime() < deadline
            && (states.size() < 3 || transfers.get() < 60)) {
          String violated = checkSample(reader, states);
          assertThat(violated).as("a sampled view state (after %d transfers)", transfers.get())
              .isNull();
          samples.incrementAndGet();
          Thread.sleep(50);
        }
      } finally {
        stop.set(true);
        for (Thread t : threads) {
          t.join(TimeUnit.SECONDS.toMillis(60));
        }
      }
      assertThat(failure.get()).isNull();
      assertThat(states.size()).as("distinct complete states of v_accounts sampled")
          .isGreaterThanOrEqualTo(3);

      List<List<List<String>>> accounts = awaitEqual(s,
          "SELECT id, checking, savings, manager FROM v_accounts ORDER BY id",
          ACCOUNTS_QUERY + " ORDER BY c.id");
      assertThat(accounts.get(1)).isEqualTo(accounts.get(0)).hasSize(ACCOUNTS);
      List<List<List<String>>> regions = awaitEqual(s,
          "SELECT region, n, money FROM v_regions ORDER BY region",
          REGIONS_QUERY + " ORDER BY b.region");
      assertThat(regions.get(1)).isEqualTo(regions.get(0)).hasSize(2);
      assertThat(checkSample(s, new HashSet<>())).isNull();
      System.out.printf("join views: %d transfers, %d samples, %d distinct states%n",
          transfers.get(), samples.get(), states.size());
    }
  }

  @Test
  void aPushQueryOverSeveralTablesGivesTheirChangesInCommitOrder() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo");
        SqlSession pusher = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE px (id INT PRIMARY KEY, v INT)");
      one(s, "CREATE TABLE py (k TEXT PRIMARY KEY, w TEXT, z INT)");
      List<SqlStatement> st = pusher.prepare("SELECT * FROM px, py EMIT CHANGES", List.of());
      List<List<Object>> rows = new CopyOnWriteArrayList<>();
      List<Column> columns = new CopyOnWriteArrayList<>();
      AtomicReference<Throwable> ended = new AtomicReference<>();
      Thread t = new Thread(() -> {
        try {
          st.get(0).push(List.of(), new PushSink() {
            @Override
            public void start(List<Column> c) {
              columns.addAll(c);
            }

            @Override
            public void row(List<Object> row) {
              rows.add(row);
            }

            @Override
            public void progress(String position) {}
          });
        } catch (Throwable e) {
          ended.set(e);
        }
      }, "push");
      t.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (columns.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      one(s, "INSERT INTO px VALUES (1, 10)");
      one(s, "BEGIN");
      one(s, "UPDATE px SET v = 11 WHERE id = 1");
      one(s, "INSERT INTO py VALUES ('a', 'x', 5)");
      one(s, "COMMIT");
      one(s, "INSERT INTO py VALUES ('b', 'y', 6)");
      while (rows.size() < 5 && ended.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      pusher.cancel();
      t.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(columns.stream().map(Column::name).toList())
          .containsExactly("_position", "_op", "_table", "id", "v", "k", "w", "z");
      assertThat(rows).hasSize(5);
      List<List<Object>> shown = rows.stream()
          .map(r -> (List<Object>) new ArrayList<>(r.subList(1, r.size()))).toList();
      assertThat(shown.get(0))
          .isEqualTo(java.util.Arrays.asList("insert", "px", 1, 10, null, null, null));
      // Within one position the order is the store's key order, whose table prefixes are the
      // tables' (random) ids: the transaction's rows in some order, each table's in its own.
      assertThat(shown.subList(1, 4)).containsExactlyInAnyOrder(
          java.util.Arrays.asList("update_before", "px", 1, 10, null, null, null),
          java.util.Arrays.asList("update_after", "px", 1, 11, null, null, null),
          java.util.Arrays.asList("insert", "py", null, null, "a", "x", 5));
      assertThat(shown.indexOf(java.util.Arrays.asList("update_before", "px", 1, 10, null, null,
          null))).isEqualTo(shown.indexOf(java.util.Arrays.asList("update_after", "px", 1, 11,
          null, null, null)) - 1);
      assertThat(shown.get(4))
          .isEqualTo(java.util.Arrays.asList("insert", "py", null, null, "b", "y", 6));
      // The transaction's three rows share its position, numbered across both tables.
      String txn = ((String) rows.get(1).get(0)).replaceAll(":\\d+$", "");
      assertThat(rows.subList(1, 4).stream().map(r -> (String) r.get(0)).toList())
          .containsExactly(txn + ":1", txn + ":2", txn + ":3");
      assertThat(sqlState(s, "SELECT px.id FROM px, py EMIT CHANGES"))
          .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
    }
  }

  @Test
  void createRefusesJoinsItCannotMaintain() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE TABLE r1 (id INT PRIMARY KEY, code TEXT)");
      one(s, "CREATE TABLE r2 (code TEXT PRIMARY KEY, id INT)");
      one(s, "CREATE STREAM r_events (id BIGINT, kind TEXT)");
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW rv AS SELECT a.id, b.code"
          + " FROM r1 a JOIN nowhere b ON a.code = b.code")).isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW rv AS SELECT id, b.code"
          + " FROM r1 a JOIN r2 b ON a.code = b.code")).isEqualTo(SqlState.AMBIGUOUS_COLUMN);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW rv AS SELECT a.id, b.code"
          + " FROM r1 a JOIN r2 b ON a.code < b.code")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW rv AS SELECT a.id, b.code"
          + " FROM r1 a, r2 b")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW rv AS SELECT a.id, e.kind"
          + " FROM r1 a JOIN r_events e ON e.id = a.id"))
          .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW rv AS SELECT a.id, b.id AS bid"
          + " FROM r1 a JOIN r2 b ON a.code = b.code"))
          .isEqualTo(SqlState.INVALID_TABLE_DEFINITION);
      assertThat(one(s, "SHOW VIEWS").rows().stream().map(r -> r.get(0)).toList())
          .doesNotContain("rv");
    }
  }
}
