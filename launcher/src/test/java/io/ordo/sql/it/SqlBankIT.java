package io.ordo.sql.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bank invariant through pgjdbc: concurrent clients move money between accounts with
 * interactive transactions (read both balances, check funds, write both, COMMIT), retrying on
 * 40001. Every committed transfer is recorded; at the end each account's balance must equal its
 * initial balance plus the committed transfers exactly, no balance is negative, and an auditor's
 * autocommit totals, read while the clients run, always equal the initial total.
 *
 * <p>Sizes: {@code -Dordo.sqlbank.clients} (8), {@code -Dordo.sqlbank.transfers} per client (40);
 * larger values are for runs by hand.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SqlBankIT {
  static final int ACCOUNTS = 10;
  static final long INITIAL = 100;
  static final int CLIENTS = Integer.getInteger("ordo.sqlbank.clients", 8);
  static final int TRANSFERS = Integer.getInteger("ordo.sqlbank.transfers", 40);
  /** Attempts of one transfer before the client gives it up (counted, not a failure). */
  static final int ATTEMPTS_MAX = 40;

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

  record Transfer(int from, int to, long amount) {}

  /** What one client did. */
  static final class Tally {
    final List<Transfer> committed = new ArrayList<>();
    long retries;
    long insufficient;
    long gaveUp;
  }

  @Test
  void concurrentTransfersConserveMoneyAndMatchTheCommittedLog() throws Exception {
    try (Connection c = pg.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE acct (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO acct VALUES (?, ?)")) {
        for (int i = 0; i < ACCOUNTS; i++) {
          ins.setInt(1, i);
          ins.setLong(2, INITIAL);
          ins.addBatch();
        }
        ins.executeBatch();
      }
    }
    long total = ACCOUNTS * INITIAL;

    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
    AtomicBoolean done = new AtomicBoolean();
    ConcurrentLinkedQueue<Long> auditedTotals = new ConcurrentLinkedQueue<>();
    AtomicLong auditErrors = new AtomicLong();
    long t0 = System.nanoTime();
    List<Future<Tally>> clients = new ArrayList<>();
    for (int client = 0; client < CLIENTS; client++) {
      int seed = client;
      clients.add(pool.submit(() -> runClient(seed)));
    }
    Future<?> auditor = pool.submit(() -> {
      try (Connection c = pg.connect(); Statement st = c.createStatement()) {
        for (int round = 0; round < 10_000 && !done.get(); round++) {
          try (ResultSet rs = st.executeQuery("SELECT sum(balance), count(*) FROM acct")) {
            rs.next();
            auditedTotals.add(rs.getLong(1));
            assertThat(rs.getLong(2)).isEqualTo(ACCOUNTS);
          } catch (SQLException e) {
            auditErrors.incrementAndGet();
          }
          Thread.sleep(100);
        }
      }
      return null;
    });
    List<Tally> tallies = new ArrayList<>();
    try {
      for (Future<Tally> f : clients) {
        tallies.add(f.get(240, TimeUnit.SECONDS));
      }
      done.set(true);
      auditor.get(30, TimeUnit.SECONDS);
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

    long[] expected = new long[ACCOUNTS];
    java.util.Arrays.fill(expected, INITIAL);
    long committed = 0;
    long retries = 0;
    long insufficient = 0;
    long gaveUp = 0;
    for (Tally t : tallies) {
      for (Transfer x : t.committed) {
        expected[x.from()] -= x.amount();
        expected[x.to()] += x.amount();
      }
      committed += t.committed.size();
      retries += t.retries;
      insufficient += t.insufficient;
      gaveUp += t.gaveUp;
    }
    long[] actual = new long[ACCOUNTS];
    try (Connection c = pg.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, balance FROM acct ORDER BY id")) {
      int n = 0;
      while (rs.next()) {
        actual[rs.getInt(1)] = rs.getLong(2);
        n++;
      }
      assertThat(n).isEqualTo(ACCOUNTS);
    }
    System.out.printf(
        "SqlBankIT: %d clients x %d transfers in %.1f s: %d committed (%.1f/s), %d retries on"
            + " 40001, %d refused for funds, %d given up after %d attempts; %d audits, %d audit"
            + " errors%n",
        CLIENTS, TRANSFERS, seconds, committed, committed / seconds, retries, insufficient, gaveUp,
        ATTEMPTS_MAX, auditedTotals.size(), auditErrors.get());
    assertThat(actual).as("final balances = initial + committed transfers").isEqualTo(expected);
    assertThat(java.util.Arrays.stream(actual).sum()).isEqualTo(total);
    assertThat(java.util.Arrays.stream(actual).min().orElseThrow()).as("lowest balance").isNotNegative();
    assertThat(auditedTotals).isNotEmpty().containsOnly(total);
    assertThat(committed + insufficient + gaveUp).isEqualTo((long) CLIENTS * TRANSFERS);
    // Progress: contention makes retries, but most transfers must get through.
    assertThat(committed).isGreaterThan((long) CLIENTS * TRANSFERS / 2);
  }

  /** One client's bounded loop of transfers (seeded, so a run is repeatable in what it asks). */
  static Tally runClient(int seed) throws SQLException {
    Random random = new Random(seed);
    Tally tally = new Tally();
    try (Connection c = pg.connect();
        PreparedStatement read = c.prepareStatement("SELECT balance FROM acct WHERE id = ?");
        PreparedStatement write = c.prepareStatement("UPDATE acct SET balance = ? WHERE id = ?")) {
      c.setAutoCommit(false);
      for (int n = 0; n < TRANSFERS; n++) {
        int from = random.nextInt(ACCOUNTS);
        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        long amount = 1 + random.nextInt(25);
        boolean settled = false;
        for (int attempt = 0; attempt < ATTEMPTS_MAX && !settled; attempt++) {
          try {
            Long fromBalance = balance(read, from);
            Long toBalance = balance(read, to);
            if (fromBalance == null || toBalance == null) {
              // A block reads the newest snapshot the store holds, which may predate the
              // accounts' creation: its COMMIT asserts the absence and must fail (40001).
              c.commit();
              throw new AssertionError("account " + (fromBalance == null ? from : to)
                  + " is missing and the COMMIT that asserted so succeeded");
            }
            if (fromBalance < amount) {
              c.commit(); // read-only: its COMMIT still asserts what it read
              tally.insufficient++;
              settled = true;
              continue;
            }
            update(write, from, fromBalance - amount);
            update(write, to, toBalance + amount);
            c.commit();
            tally.committed.add(new Transfer(from, to, amount));
            settled = true;
          } catch (SQLException e) {
            if (!"40001".equals(e.getSQLState())) {
              throw e;
            }
            c.rollback();
            tally.retries++;
          }
        }
        if (!settled) {
          tally.gaveUp++;
        }
      }
    }
    return tally;
  }

  /** The balance of account {@code id} in the transaction's snapshot; null when absent there. */
  static Long balance(PreparedStatement read, int id) throws SQLException {
    read.setInt(1, id);
    try (ResultSet rs = read.executeQuery()) {
      return rs.next() ? rs.getLong(1) : null;
    }
  }

  static void update(PreparedStatement write, int id, long balance) throws SQLException {
    write.setLong(1, balance);
    write.setInt(2, id);
    if (write.executeUpdate() != 1) {
      throw new AssertionError("account " + id + " was not updated");
    }
  }
}
