package io.ordo.sql.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.checker.elle.ListAppendChecker;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Elle's list-append workload as SQL transactions through pgjdbc, checked strict-serializable by
 * the project's {@link ListAppendChecker}: each transaction is {@code BEGIN}, 1–4 micro-ops
 * ({@code [:r k vs]} as {@code SELECT vals FROM la WHERE k = ?}, the comma-separated list parsed;
 * {@code [:append k v]} as an upsert that appends {@code ,v}), {@code COMMIT}. 40001 completes the
 * op as fail; an unknown outcome (a timeout or lost connection) as info, and the client continues
 * as a new process. A final read of every key used closes the history.
 *
 * <p>Sizes: {@code -Dordo.sqlla.clients} (6), {@code -Dordo.sqlla.txns} per client (30).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SqlListAppendIT {
  static final int CLIENTS = Integer.getInteger("ordo.sqlla.clients", 6);
  static final int TXNS = Integer.getInteger("ordo.sqlla.txns", 30);
  static final int KEYS = 8;
  static final int MICRO_OPS_MAX = 4;
  static final Keyword APPEND = Keyword.of("append");
  static final Keyword READ = Keyword.of("r");
  static final Map<String, Object> STRICT =
      Map.of("consistency-models", List.of("strict-serializable"));

  @TempDir static Path dir;
  static PgOrdo pg;
  /** The recorded history, shared by the tests (the tampering test reuses it). */
  static History recorded;

  @BeforeAll
  static void start() throws Exception {
    pg = PgOrdo.start(dir, 0);
    try (Connection c = pg.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE la (k BIGINT PRIMARY KEY, vals TEXT NOT NULL)");
    }
    recorded = record();
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  /** Runs the workload and returns its history. */
  static History record() throws Exception {
    HistoryRecorder recorder = new HistoryRecorder(System::nanoTime, 100_000);
    AtomicLong nextValue = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    List<Future<Void>> clients = new ArrayList<>();
    for (int client = 0; client < CLIENTS; client++) {
      int id = client;
      clients.add(pool.submit(() -> {
        runClient(recorder, id, nextValue);
        return null;
      }));
    }
    try {
      for (Future<Void> f : clients) {
        f.get(240, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    // The final read: every key, one transaction, by a process of its own.
    List<Object> finalRead = new ArrayList<>();
    for (long k = 0; k < KEYS; k++) {
      finalRead.add(Arrays.asList(READ, k, null));
    }
    try (Connection c = pg.connect()) {
      c.setAutoCommit(false);
      // A block may read an older snapshot; its COMMIT then fails (40001) and a retry reads on.
      boolean done = false;
      for (int attempt = 0; attempt < 10 && !done; attempt++) {
        Op invoke = recorder.invoke(CLIENTS * 1000L, "txn", finalRead);
        try {
          recorder.complete(invoke, OpType.OK, execute(c, finalRead), null);
          done = true;
        } catch (SQLException e) {
          if (!"40001".equals(e.getSQLState())) {
            throw e;
          }
          recorder.complete(invoke, OpType.FAIL, finalRead, "40001 " + e.getMessage());
          c.rollback();
        }
      }
      assertThat(done).as("the final read committed within 10 attempts").isTrue();
    }
    return recorder.history();
  }

  /**
   * One client's bounded loop; values are unique over the whole history (one counter), as Elle
   * requires of appends.
   */
  static void runClient(HistoryRecorder recorder, int client, AtomicLong nextValue)
      throws SQLException {
    Random random = new Random(client);
    long process = client;
    Connection c = pg.connect();
    try {
      c.setAutoCommit(false);
      for (int n = 0; n < TXNS; n++) {
        int size = 1 + random.nextInt(MICRO_OPS_MAX);
        List<Object> txn = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          long k = random.nextInt(KEYS);
          txn.add(random.nextBoolean()
              ? Arrays.asList(APPEND, k, nextValue.incrementAndGet())
              : Arrays.asList(READ, k, null));
        }
        Op invoke = recorder.invoke(process, "txn", txn);
        try {
          List<Object> done = execute(c, txn);
          recorder.complete(invoke, OpType.OK, done, null);
        } catch (SQLException e) {
          if ("40001".equals(e.getSQLState())) {
            recorder.complete(invoke, OpType.FAIL, txn, "40001 " + e.getMessage());
            c.rollback();
          } else if (definitelyNotCommitted(e)) {
            recorder.complete(invoke, OpType.FAIL, txn, e.getSQLState() + " " + e.getMessage());
            c.rollback();
          } else {
            // Outcome unknown: the process crashed in Jepsen's terms; go on as a new one.
            recorder.complete(invoke, OpType.INFO, txn, e.getSQLState() + " " + e.getMessage());
            process += CLIENTS;
            c.close();
            c = pg.connect();
            c.setAutoCommit(false);
          }
        }
      }
    } finally {
      c.close();
    }
  }

  /**
   * Whether an error certainly left nothing committed: an SQL error class raised before COMMIT
   * (syntax, data, constraint); unavailability, timeouts and connection failures are unknown.
   */
  static boolean definitelyNotCommitted(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23")
        || state.startsWith("42") || state.startsWith("25"));
  }

  /** Runs one transaction on {@code c} (autocommit off); returns the micro-ops with reads filled. */
  static List<Object> execute(Connection c, List<Object> txn) throws SQLException {
    List<Object> out = new ArrayList<>(txn.size());
    try (PreparedStatement read = c.prepareStatement("SELECT vals FROM la WHERE k = ?");
        PreparedStatement append = c.prepareStatement(
            "INSERT INTO la VALUES (?, ?) ON CONFLICT (k) DO UPDATE"
                + " SET vals = la.vals || ',' || excluded.vals")) {
      for (Object m : txn) {
        List<?> micro = (List<?>) m;
        long k = (Long) micro.get(1);
        if (READ.equals(micro.get(0))) {
          read.setLong(1, k);
          List<Long> vs = null;
          try (ResultSet rs = read.executeQuery()) {
            if (rs.next()) {
              vs = new ArrayList<>();
              for (String e : rs.getString(1).split(",")) {
                vs.add(Long.parseLong(e));
              }
              if (rs.next()) {
                throw new AssertionError("two rows for primary key " + k);
              }
            }
          }
          out.add(Arrays.asList(READ, k, vs));
        } else {
          append.setLong(1, k);
          append.setString(2, Long.toString((Long) micro.get(2)));
          append.executeUpdate();
          out.add(micro);
        }
      }
      c.commit();
    }
    return out;
  }

  @Test
  void sqlTransactionsAreStrictSerializable() {
    CheckResult result = new ListAppendChecker().check(STRICT, recorded);
    long ok = recorded.ops().stream().filter(Op::isOk).count();
    long fail = recorded.ops().stream().filter(Op::isFail).count();
    long info = recorded.ops().stream().filter(Op::isInfo).count();
    System.out.printf("SqlListAppendIT: %d ops (%d ok, %d fail, %d info); checker: %s %s%n",
        recorded.size(), ok, fail, info, result.valid(), result.anomalyTypes());
    assertThat(result.valid()).as("anomalies: %s", result.anomalies()).isEqualTo(Validity.TRUE);
    // The history must be worth checking: a good share of the transactions committed (40001
    // is frequent: blocks read the store's newest snapshot, which may be stale) and lists grew.
    assertThat(ok).isGreaterThan((long) CLIENTS * TXNS / 4);
    Op last = recorded.ops().get(recorded.size() - 1);
    assertThat((List<?>) last.value()).anySatisfy(
        m -> assertThat((List<?>) ((List<?>) m).get(2)).hasSizeGreaterThan(2));
  }

  @Test
  void theCheckerFindsATamperedRead() {
    // Drop the first element of one ok read of a key that another ok transaction also read with
    // at least two elements and the same first one: the two reads then disagree on the order.
    List<Op> ops = new ArrayList<>(recorded.ops());
    Optional<int[]> target = Optional.empty();
    outer:
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      if (!op.isOk()) {
        continue;
      }
      List<?> txn = (List<?>) op.value();
      for (int m = 0; m < txn.size(); m++) {
        List<?> micro = (List<?>) txn.get(m);
        if (READ.equals(micro.get(0)) && micro.get(2) instanceof List<?> vs && vs.size() >= 2
            && readAgain(ops, i, micro.get(1), vs.get(0))) {
          target = Optional.of(new int[] {i, m});
          break outer;
        }
      }
    }
    assertThat(target).as("a read to tamper with").isPresent();
    int i = target.get()[0];
    int m = target.get()[1];
    Op op = ops.get(i);
    List<Object> txn = new ArrayList<>((List<?>) op.value());
    List<?> micro = (List<?>) txn.get(m);
    List<?> vs = (List<?>) micro.get(2);
    txn.set(m, Arrays.asList(READ, micro.get(1), new ArrayList<>(vs.subList(1, vs.size()))));
    ops.set(i, new Op(op.index(), op.timeNanos(), op.process(), op.type(), op.f(), txn, op.error()));

    CheckResult tampered = new ListAppendChecker().check(STRICT, History.of(ops));
    assertThat(tampered.valid()).isEqualTo(Validity.FALSE);
    assertThat(tampered.anomalyTypes()).isNotEmpty();
  }

  /** Whether an ok op other than {@code except} read key {@code k} with {@code first} first. */
  private static boolean readAgain(List<Op> ops, int except, Object k, Object first) {
    for (int j = 0; j < ops.size(); j++) {
      if (j == except || !ops.get(j).isOk()) {
        continue;
      }
      for (Object o : (List<?>) ops.get(j).value()) {
        List<?> micro = (List<?>) o;
        if (READ.equals(micro.get(0)) && micro.get(1).equals(k)
            && micro.get(2) instanceof List<?> vs && vs.size() >= 2 && vs.get(0).equals(first)) {
          return true;
        }
      }
    }
    return false;
  }
}
