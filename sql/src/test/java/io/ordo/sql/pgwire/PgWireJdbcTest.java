package io.ordo.sql.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.postgresql.util.PSQLException;

/** PgWireServer driven by pgjdbc (PostgreSQL's JDBC driver) over a {@link FakeEngine}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgWireJdbcTest {
  private static FakeEngine engine;
  private static PgWireServer server;

  @BeforeAll
  static void start() throws Exception {
    engine = new FakeEngine();
    server = PgWireServer.start(engine, new InetSocketAddress("127.0.0.1", 0), 16);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Connection connect(String extra) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + server.port() + "/shop?user=alice"
            + "&connectTimeout=10&socketTimeout=30&ApplicationName=jdbc-test" + extra);
  }

  @Test
  void simpleStatementAndSessionNames() throws Exception {
    for (String mode : List.of("extended", "simple")) {
      try (Connection c = connect("&preferQueryMode=" + mode);
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT 1")) {
        ResultSetMetaData md = rs.getMetaData();
        assertThat(md.getColumnCount()).isEqualTo(1);
        assertThat(md.getColumnName(1)).isEqualTo("?column?");
        assertThat(md.getColumnType(1)).isEqualTo(Types.INTEGER);
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(1);
        assertThat(rs.next()).isFalse();
        assertThat(c.getMetaData().getDatabaseProductVersion()).isEqualTo("15.0");
      }
      assertThat(engine.lastUser).isEqualTo("alice");
      assertThat(engine.lastDatabase).isEqualTo("shop");
    }
  }

  @Test
  void preparedParametersOfEveryTypeSwitchToBinary() throws Exception {
    long binaryInBefore = server.binaryValuesReceived();
    long binaryOutBefore = server.binaryValuesSent();
    LocalDateTime ts = LocalDateTime.of(2026, 12, 6, 10, 15, 30, 123_456_000);
    OffsetDateTime tstz = OffsetDateTime.of(1999, 1, 2, 3, 4, 5, 600_000_000, ZoneOffset.UTC);
    try (Connection c = connect("");
        PreparedStatement ps =
            c.prepareStatement("SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?")) {
      for (int run = 1; run <= 10; run++) {
        ps.setBoolean(1, run % 2 == 0);
        ps.setShort(2, (short) -run);
        ps.setInt(3, Integer.MIN_VALUE + run);
        ps.setLong(4, Long.MAX_VALUE - run);
        ps.setDouble(5, 0.1 * run);
        ps.setBigDecimal(6, new BigDecimal("-12345678901234567890.000" + run));
        ps.setString(7, "värde " + run);
        ps.setBytes(8, new byte[] {(byte) run, 0, (byte) 0xFE});
        ps.setObject(9, LocalDate.of(1970 + run, 1, 31));
        ps.setObject(10, ts.plusDays(run));
        ps.setObject(11, tstz.plusSeconds(run));
        ps.setNull(12, Types.INTEGER);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getBoolean(1)).isEqualTo(run % 2 == 0);
          assertThat(rs.getShort(2)).isEqualTo((short) -run);
          assertThat(rs.getInt(3)).isEqualTo(Integer.MIN_VALUE + run);
          assertThat(rs.getLong(4)).isEqualTo(Long.MAX_VALUE - run);
          assertThat(rs.getDouble(5)).isEqualTo(0.1 * run);
          assertThat(rs.getBigDecimal(6))
              .isEqualTo(new BigDecimal("-12345678901234567890.000" + run));
          assertThat(rs.getString(7)).isEqualTo("värde " + run);
          assertThat(rs.getBytes(8)).containsExactly((byte) run, 0, (byte) 0xFE);
          assertThat(rs.getObject(9, LocalDate.class)).isEqualTo(LocalDate.of(1970 + run, 1, 31));
          assertThat(rs.getObject(10, LocalDateTime.class)).isEqualTo(ts.plusDays(run));
          assertThat(rs.getObject(11, OffsetDateTime.class)).isEqualTo(tstz.plusSeconds(run));
          assertThat(rs.getObject(12)).isNull();
          assertThat(rs.next()).isFalse();
        }
      }
    }
    // After prepareThreshold (5) runs pgjdbc prepares server-side and asks for binary results.
    assertThat(server.binaryValuesReceived()).isGreaterThan(binaryInBefore);
    assertThat(server.binaryValuesSent()).isGreaterThan(binaryOutBefore);
  }

  @Test
  void jdbcDatesTimestampsAndJsonAsUntypedParameters() throws Exception {
    // pgjdbc sends java.sql.Date/Timestamp as text with a zone ("2026-12-06 +01") and no type,
    // and strings with stringtype=unspecified untyped: the statement's casts type them.
    // In a zone east of UTC, so the text carries an offset and local midnight is the day before
    // in UTC.
    java.util.TimeZone saved = java.util.TimeZone.getDefault();
    java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Asia/Tokyo"));
    try {
      datesAndTimestamps();
    } finally {
      java.util.TimeZone.setDefault(saved);
    }
  }

  private void datesAndTimestamps() throws Exception {
    java.sql.Date date = java.sql.Date.valueOf("2026-12-06");
    java.sql.Timestamp ts = java.sql.Timestamp.valueOf("2026-12-06 01:15:30.123456");
    try (Connection c = connect("&stringtype=unspecified");
        PreparedStatement ps =
            c.prepareStatement("SELECT ?::date, ?::timestamp, ?::timestamptz, ?::jsonb")) {
      for (int run = 1; run <= 10; run++) {
        ps.setDate(1, date);
        ps.setTimestamp(2, ts);
        ps.setTimestamp(3, ts);
        ps.setString(4, "{\"b\": " + run + ", \"a\": [true, null]}");
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getDate(1)).isEqualTo(date);
          assertThat(rs.getTimestamp(2)).isEqualTo(ts);
          assertThat(rs.getTimestamp(3)).isEqualTo(ts);
          assertThat(rs.getString(4)).isEqualTo("{\"a\": [true, null], \"b\": " + run + "}");
        }
      }
    }
  }

  @Test
  void resultsOfEveryTypeInTextAndBinary() throws Exception {
    long binaryOutBefore = server.binaryValuesSent();
    try (Connection c = connect("");
        PreparedStatement ps = c.prepareStatement("select samples")) {
      for (int run = 1; run <= 10; run++) {
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getBoolean("b")).isTrue();
          assertThat(rs.getShort("i2")).isEqualTo((short) -12);
          assertThat(rs.getInt("i4")).isEqualTo(123456789);
          assertThat(rs.getLong("i8")).isEqualTo(-9_000_000_000L);
          assertThat(rs.getDouble("f8")).isEqualTo(1.5e300);
          assertThat(rs.getBigDecimal("num")).isEqualTo(new BigDecimal("-12345.6789"));
          assertThat(rs.getString("vc")).isEqualTo("héllo");
          assertThat(rs.getString("t")).isEqualTo("tab\there");
          assertThat(rs.getBytes("by")).containsExactly(0, 1, (byte) 0xFF, 'a');
          assertThat(rs.getObject("d", LocalDate.class)).isEqualTo(LocalDate.of(2026, 12, 6));
          assertThat(rs.getObject("ts", LocalDateTime.class))
              .isEqualTo(LocalDateTime.of(2026, 12, 6, 10, 15, 30, 123_456_000));
          assertThat(rs.getObject("tstz", OffsetDateTime.class))
              .isEqualTo(OffsetDateTime.of(2026, 12, 6, 10, 15, 30, 500_000_000, ZoneOffset.UTC));
          assertThat(rs.getString("j")).isEqualTo("{\"a\": 1, \"bb\": [1, 2]}");
          assertThat(rs.getMetaData().getPrecision(6)).isEqualTo(20);
          assertThat(rs.getMetaData().getScale(6)).isEqualTo(4);
          assertThat(rs.getMetaData().getPrecision(7)).isEqualTo(10);
          assertThat(rs.next()).isTrue();
          for (int i = 1; i <= FakeEngine.SAMPLE_COLUMNS.size(); i++) {
            assertThat(rs.getObject(i)).isNull();
          }
          assertThat(rs.next()).isFalse();
        }
      }
    }
    assertThat(server.binaryValuesSent()).isGreaterThan(binaryOutBefore);
  }

  @Test
  void fetchSizeWithoutAutocommitSuspendsThePortal() throws Exception {
    long suspensionsBefore = server.portalSuspensions();
    try (Connection c = connect("")) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.setFetchSize(7);
        List<Long> seen = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("select n from series(50)")) {
          while (rs.next() && seen.size() <= 50) {
            seen.add(rs.getLong(1));
          }
        }
        assertThat(seen).hasSize(50);
        for (int i = 0; i < 50; i++) {
          assertThat(seen.get(i)).isEqualTo(i + 1L);
        }
      }
      assertThat(c.unwrap(BaseConnection.class).getTransactionState())
          .isEqualTo(TransactionState.OPEN);
      c.commit();
      assertThat(c.unwrap(BaseConnection.class).getTransactionState())
          .isEqualTo(TransactionState.IDLE);
    }
    // 50 rows by 7: seven suspensions, then the last Execute completes.
    assertThat(server.portalSuspensions() - suspensionsBefore).isEqualTo(7);
  }

  @Test
  void batches() throws Exception {
    try (Connection c = connect("");
        PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
      for (int i = 0; i < 5; i++) {
        ps.setInt(1, i);
        ps.setString(2, "row " + i);
        ps.addBatch();
      }
      assertThat(ps.executeBatch()).containsExactly(1, 1, 1, 1, 1);
      try (Statement st = c.createStatement()) {
        st.addBatch("INSERT INTO t VALUES (1)");
        st.addBatch("INSERT INTO t VALUES (2)");
        assertThat(st.executeBatch()).containsExactly(1, 1);
      }
    }
  }

  @Test
  void errorsThenTheConnectionGoesOn() throws Exception {
    try (Connection c = connect("");
        Statement st = c.createStatement()) {
      assertThatThrownBy(() -> st.executeQuery("SELECT bad"))
          .isInstanceOfSatisfying(
              PSQLException.class,
              e -> {
                assertThat(e.getSQLState()).isEqualTo("42703");
                assertThat(e.getServerErrorMessage().getMessage())
                    .isEqualTo("column \"bad\" does not exist");
                assertThat(e.getServerErrorMessage().getPosition()).isEqualTo(8);
                assertThat(e.getServerErrorMessage().getSeverity()).isEqualTo("ERROR");
              });
      assertThatThrownBy(() -> st.executeQuery("select boom"))
          .isInstanceOfSatisfying(
              PSQLException.class,
              e -> {
                assertThat(e.getSQLState()).isEqualTo("XX000");
                assertThat(e.getServerErrorMessage().getMessage()).isEqualTo("boom");
              });
      assertThatThrownBy(() -> st.executeQuery("nonsense"))
          .isInstanceOfSatisfying(
              PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42601"));
      try (ResultSet rs = st.executeQuery("select 1")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(1);
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT ?")) {
        ps.setInt(1, 5);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).isEqualTo(5);
        }
      }
    }
  }

  @Test
  void transactionStateFollowsBeginCommitAndFailures() throws Exception {
    try (Connection c = connect("");
        Statement st = c.createStatement()) {
      BaseConnection base = c.unwrap(BaseConnection.class);
      assertThat(base.getTransactionState()).isEqualTo(TransactionState.IDLE);
      st.execute("BEGIN");
      assertThat(base.getTransactionState()).isEqualTo(TransactionState.OPEN);
      assertThatThrownBy(() -> st.executeQuery("select 1/0"))
          .isInstanceOfSatisfying(
              PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("22012"));
      assertThat(base.getTransactionState()).isEqualTo(TransactionState.FAILED);
      assertThatThrownBy(() -> st.executeQuery("select 1"))
          .isInstanceOfSatisfying(
              PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25P02"));
      st.execute("ROLLBACK");
      assertThat(base.getTransactionState()).isEqualTo(TransactionState.IDLE);
      st.execute("BEGIN");
      st.execute("INSERT INTO t VALUES (1)");
      st.execute("COMMIT");
      assertThat(base.getTransactionState()).isEqualTo(TransactionState.IDLE);
    }
  }

  @Test
  void cancelFromAnotherThread() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection c = connect("");
        Statement st = c.createStatement()) {
      engine.sleeping = new CountDownLatch(1);
      long started = System.nanoTime();
      Future<?> running = pool.submit(() -> st.executeQuery("select pg_sleep(30)"));
      assertThat(engine.sleeping.await(10, TimeUnit.SECONDS)).isTrue();
      st.cancel();
      assertThatThrownBy(() -> running.get(20, TimeUnit.SECONDS))
          .hasCauseInstanceOf(PSQLException.class)
          .satisfies(
              e -> assertThat(((PSQLException) e.getCause()).getSQLState()).isEqualTo("57014"));
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(20);
      try (ResultSet rs = st.executeQuery("select 1")) {
        assertThat(rs.next()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sslPreferFallsBackToPlainText() throws Exception {
    try (Connection c = connect("&sslmode=prefer");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select 1")) {
      assertThat(rs.next()).isTrue();
    }
    // The server refuses TLS, so a client that insists cannot connect.
    assertThatThrownBy(() -> connect("&sslmode=require").close())
        .isInstanceOf(PSQLException.class)
        .hasMessageContaining("SSL");
  }

  @Test
  void concurrentConnectionsDoNotMix() throws Exception {
    int clients = 8;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int client = 0; client < clients; client++) {
        int id = client;
        results.add(pool.submit(() -> {
          int checked = 0;
          try (Connection c = connect("");
              PreparedStatement ps = c.prepareStatement("SELECT ?, ?")) {
            for (int i = 0; i < 50; i++) {
              ps.setInt(1, id);
              ps.setString(2, "client " + id + " query " + i);
              try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(id);
                assertThat(rs.getString(2)).isEqualTo("client " + id + " query " + i);
                checked++;
              }
            }
          }
          return checked;
        }));
      }
      for (Future<Integer> r : results) {
        assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(50);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void tooManyClients() throws Exception {
    try (PgWireServer small =
        PgWireServer.start(engine, new InetSocketAddress("127.0.0.1", 0), 2)) {
      String url = "jdbc:postgresql://127.0.0.1:" + small.port() + "/db?user=u&connectTimeout=10";
      Connection a = DriverManager.getConnection(url);
      Connection b = DriverManager.getConnection(url);
      assertThatThrownBy(() -> DriverManager.getConnection(url).close())
          .isInstanceOfSatisfying(
              PSQLException.class,
              e -> {
                assertThat(e.getSQLState()).isEqualTo("53300");
                assertThat(e.getMessage()).contains("sorry, too many clients already");
              });
      a.close();
      // The slot frees when the server thread notices the close: retry for a bounded time.
      Connection third = null;
      for (int attempt = 0; attempt < 50 && third == null; attempt++) {
        try {
          third = DriverManager.getConnection(url);
        } catch (PSQLException e) {
          assertThat(e.getSQLState()).isEqualTo("53300");
          Thread.sleep(100);
        }
      }
      assertThat(third).isNotNull();
      third.close();
      b.close();
    }
  }
}
