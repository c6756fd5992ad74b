package io.ordo.sql.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.util.PGobject;

/**
 * Ordo SQL through pgjdbc over the PostgreSQL wire protocol: DDL, prepared statements with a
 * parameter of every supported type (run past pgjdbc's {@code prepareThreshold} of 5, after which
 * it uses named server-side statements and binary results), batches, explicit transactions,
 * a serialization failure seen by the client, DatabaseMetaData, and errors with their SQLSTATE.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PgJdbcIT {
  /** More than pgjdbc's default prepareThreshold (5), so the later runs are server-prepared. */
  static final int RUNS = 8;

  /** The columns queried by value (bytea and jsonb have no useful equality to test here). */
  static final String[] BY_VALUE = {"b", "s", "i", "l", "d", "n", "v", "t", "dt", "ts", "tz"};

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

  static String sqlState(Connection c, String sql) {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
      return "ok";
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }

  static long count(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
      assertThat(rs.next()).isTrue();
      return rs.getLong(1);
    }
  }

  /** The values of row {@code i} of table {@code typed}: each column's value varies with i. */
  record Typed(long id, boolean b, short s, int i, long l, double d, BigDecimal n, String v,
      String t, byte[] y, LocalDate dt, LocalDateTime ts, OffsetDateTime tz, String j) {
    static Typed of(int k) {
      return new Typed(
          1000 + k, k % 2 == 0, (short) (-300 + k), 70_000 * k - 5, 5_000_000_000L * k + 1,
          k + 0.25, new BigDecimal("12345.67" + k).setScale(3), "v" + k, "text é ✓ " + k,
          new byte[] {0, (byte) k, (byte) 0xff, 10},
          LocalDate.of(2020 + k, 2, 28 - k), LocalDateTime.of(2024, 1, 1 + k, 13, 5, 7, 123_000_000),
          OffsetDateTime.of(2025, 6, 1, 8, k, 0, 0, ZoneOffset.ofHours(k - 3)),
          "{\"k\": " + k + ", \"tags\": [\"a\", \"b\"]}");
    }
  }

  @Test
  void preparedStatementsWithEveryTypeStayCorrectAfterServerPrepare() throws Exception {
    ObjectMapper json = new ObjectMapper();
    try (Connection c = pg.connect()) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE typed (id BIGINT PRIMARY KEY, b BOOLEAN, s SMALLINT, i INT,"
            + " l BIGINT, d DOUBLE PRECISION, n NUMERIC(12,3), v VARCHAR(20), t TEXT, y BYTEA,"
            + " dt DATE, ts TIMESTAMP, tz TIMESTAMPTZ, j JSONB)");
      }
      try (PreparedStatement ins = c.prepareStatement(
              "INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
          PreparedStatement byId = c.prepareStatement(
              "SELECT b, s, i, l, d, n, v, t, y, dt, ts, tz, j FROM typed WHERE id = ?")) {
        List<PreparedStatement> byValue = new ArrayList<>();
        for (String col : BY_VALUE) {
          byValue.add(c.prepareStatement("SELECT id FROM typed WHERE " + col + " = ?"));
        }
        for (int k = 0; k < RUNS; k++) {
          Typed r = Typed.of(k);
          ins.setLong(1, r.id());
          ins.setBoolean(2, r.b());
          ins.setShort(3, r.s());
          ins.setInt(4, r.i());
          ins.setLong(5, r.l());
          ins.setDouble(6, r.d());
          ins.setBigDecimal(7, r.n());
          ins.setString(8, r.v());
          ins.setString(9, r.t());
          ins.setBytes(10, r.y());
          ins.setObject(11, r.dt());
          ins.setObject(12, r.ts());
          ins.setObject(13, r.tz());
          PGobject jsonb = new PGobject();
          jsonb.setType("jsonb");
          jsonb.setValue(r.j());
          ins.setObject(14, jsonb);
          assertThat(ins.executeUpdate()).as("insert %d", k).isEqualTo(1);
        }
        // Read every row back, each through the same statement, so the later ones are binary.
        for (int k = 0; k < RUNS; k++) {
          Typed r = Typed.of(k);
          byId.setLong(1, r.id());
          try (ResultSet rs = byId.executeQuery()) {
            assertThat(rs.next()).as("row %d", k).isTrue();
            assertThat(rs.getBoolean(1)).isEqualTo(r.b());
            assertThat(rs.getShort(2)).isEqualTo(r.s());
            assertThat(rs.getInt(3)).isEqualTo(r.i());
            assertThat(rs.getLong(4)).isEqualTo(r.l());
            assertThat(rs.getDouble(5)).isEqualTo(r.d());
            assertThat(rs.getBigDecimal(6)).isEqualByComparingTo(r.n());
            assertThat(rs.getBigDecimal(6).scale()).isEqualTo(3);
            assertThat(rs.getString(7)).isEqualTo(r.v());
            assertThat(rs.getString(8)).isEqualTo(r.t());
            assertThat(rs.getBytes(9)).isEqualTo(r.y());
            assertThat(rs.getObject(10, LocalDate.class)).isEqualTo(r.dt());
            assertThat(rs.getObject(11, LocalDateTime.class)).isEqualTo(r.ts());
            assertThat(rs.getObject(12, OffsetDateTime.class).toInstant())
                .isEqualTo(r.tz().toInstant());
            assertThat(json.readTree(rs.getString(13))).isEqualTo(json.readTree(r.j()));
            assertThat(rs.next()).isFalse();
          }
          // Each column compared with its parameter alone, so a mismatch names its type.
          Object[] values = {r.b(), r.s(), r.i(), r.l(), r.d(), r.n(), r.v(), r.t(), r.dt(),
              r.ts(), r.tz()};
          for (int col = 0; col < BY_VALUE.length; col++) {
            PreparedStatement ps = byValue.get(col);
            ps.setObject(1, values[col]);
            List<Long> ids = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getLong(1));
              }
            }
            assertThat(ids).as("rows whose %s = %s (row %d)", BY_VALUE[col], values[col], k)
                .contains(r.id()).allSatisfy(id -> assertThat(id).isGreaterThanOrEqualTo(1000));
          }
        }
      }
      // NULLs of every type, typed by the client (setNull with the SQL type).
      try (PreparedStatement ins = c.prepareStatement(
          "INSERT INTO typed (id, b, s, i, l, d, n, v, t, y, dt, ts, tz) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        int[] types = {Types.BOOLEAN, Types.SMALLINT, Types.INTEGER, Types.BIGINT, Types.DOUBLE,
            Types.NUMERIC, Types.VARCHAR, Types.VARCHAR, Types.BINARY, Types.DATE, Types.TIMESTAMP,
            Types.TIMESTAMP_WITH_TIMEZONE};
        ins.setLong(1, 1);
        for (int p = 0; p < types.length; p++) {
          ins.setNull(p + 2, types[p]);
        }
        assertThat(ins.executeUpdate()).isEqualTo(1);
      }
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT * FROM typed WHERE id = 1")) {
        assertThat(rs.next()).isTrue();
        for (int col = 2; col <= 14; col++) {
          assertThat(rs.getObject(col)).as("column %d", col).isNull();
        }
      }
      assertThat(count(c, "typed")).isEqualTo(RUNS + 1);
    }
  }

  @Test
  void batchesAndTransactionsCommitAndRollBack() throws Exception {
    try (Connection c = pg.connect(); Connection other = pg.connect()) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL, qty BIGINT)");
      }
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO items VALUES (?, ?, ?)")) {
        for (int k = 1; k <= 20; k++) {
          ins.setInt(1, k);
          ins.setString(2, "item-" + k);
          ins.setLong(3, k * 10L);
          ins.addBatch();
        }
        int[] counts = ins.executeBatch();
        assertThat(counts).hasSize(20).containsOnly(1);
      }
      assertThat(count(other, "items")).isEqualTo(20);

      c.setAutoCommit(false);
      try (PreparedStatement up = c.prepareStatement("UPDATE items SET qty = qty + ? WHERE id = ?")) {
        for (int k = 1; k <= 5; k++) {
          up.setLong(1, 1);
          up.setInt(2, k);
          up.addBatch();
        }
        assertThat(up.executeBatch()).containsOnly(1);
      }
      try (Statement st = c.createStatement()) {
        assertThat(st.executeUpdate("DELETE FROM items WHERE id > 18")).isEqualTo(2);
        // Read-your-writes inside the transaction; the other connection sees none of it yet.
        try (ResultSet rs = st.executeQuery("SELECT sum(qty), count(*) FROM items")) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(2100 - 190 - 200 + 5);
          assertThat(rs.getLong(2)).isEqualTo(18);
        }
      }
      assertThat(count(other, "items")).isEqualTo(20);
      c.commit();
      assertThat(count(other, "items")).isEqualTo(18);
      try (Statement st = other.createStatement();
          ResultSet rs = st.executeQuery("SELECT qty FROM items WHERE id = 3")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(31);
      }

      try (Statement st = c.createStatement()) {
        st.executeUpdate("DELETE FROM items");
        st.executeUpdate("INSERT INTO items VALUES (100, 'gone', 0)");
        assertThat(count(c, "items")).isEqualTo(1);
      }
      c.rollback();
      assertThat(count(c, "items")).isEqualTo(18);
      c.setAutoCommit(true);
      assertThat(count(other, "items")).isEqualTo(18);
    }
  }

  /**
   * A thousand-row INSERT, as written by hand (literals, one a timestamp given as text) and as
   * pgjdbc sends a batch with {@code reWriteBatchedInserts} (one INSERT of many parameter rows):
   * each row is evaluated as its own single-row VALUES, so neither plans a thousand-way union
   * (which overflowed the stack and took seconds to plan).
   */
  @Test
  void thousandRowInsertsOfLiteralsAndOfRewrittenBatchesLoadEveryRow() throws Exception {
    int n = 1_000;
    StringBuilder sql = new StringBuilder("INSERT INTO wide VALUES ");
    for (int k = 0; k < n; k++) {
      sql.append(k == 0 ? "" : ", ").append('(').append(k).append(", ").append(-k * 7L)
          .append(", 'name-").append(k).append("', '2024-01-02 03:04:").append(k % 60)
          .append("+00', ").append(k % 3 == 0 ? "NULL" : k + ".5").append(')');
    }
    java.util.Properties rewrite = new java.util.Properties();
    rewrite.setProperty("reWriteBatchedInserts", "true");
    try (Connection c = pg.connect(); Connection batched = pg.connect(rewrite);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE wide (id BIGINT PRIMARY KEY, v BIGINT NOT NULL, name TEXT,"
          + " ts TIMESTAMPTZ, x NUMERIC(12, 2))");
      assertThat(st.executeUpdate(sql.toString())).isEqualTo(n);
      try (ResultSet rs = st.executeQuery("SELECT count(*), sum(v), count(x), max(name),"
          + " min(ts), sum(x) FROM wide")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isEqualTo(n);
        assertThat(rs.getLong(2)).isEqualTo(-7L * n * (n - 1) / 2);
        assertThat(rs.getLong(3)).isEqualTo(n - (n + 2) / 3);
        assertThat(rs.getString(4)).isEqualTo("name-999");
        assertThat(rs.getObject(5, OffsetDateTime.class))
            .isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 0, 0, ZoneOffset.UTC));
        BigDecimal expected = BigDecimal.ZERO;
        for (int k = 0; k < n; k++) {
          if (k % 3 != 0) {
            expected = expected.add(new BigDecimal(k + ".5"));
          }
        }
        assertThat(rs.getBigDecimal(6)).isEqualByComparingTo(expected);
      }

      st.execute("CREATE TABLE pairs (id BIGINT PRIMARY KEY, name TEXT NOT NULL)");
      try (PreparedStatement ins = batched.prepareStatement("INSERT INTO pairs VALUES (?, ?)")) {
        for (int k = 0; k < n; k++) {
          ins.setLong(1, k);
          ins.setString(2, "p" + k);
          ins.addBatch();
        }
        int[] counts = ins.executeBatch();
        assertThat(counts).hasSize(n);
      }
      try (ResultSet rs = st.executeQuery(
          "SELECT count(*), sum(id), max(name) FROM pairs WHERE name = 'p' || CAST(id AS TEXT)")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isEqualTo(n);
        assertThat(rs.getLong(2)).isEqualTo((long) n * (n - 1) / 2);
        assertThat(rs.getString(3)).isEqualTo("p999");
      }
    }
  }

  @Test
  void conflictingCommitFailsWith40001AndTheConnectionGoesOn() throws Exception {
    try (Connection a = pg.connect(); Connection b = pg.connect()) {
      try (Statement st = a.createStatement()) {
        st.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL)");
        st.execute("INSERT INTO counters VALUES ('x', 1), ('y', 1)");
      }
      a.setAutoCommit(false);
      try (PreparedStatement read = a.prepareStatement("SELECT n FROM counters WHERE name = ?");
          PreparedStatement write = a.prepareStatement("UPDATE counters SET n = ? WHERE name = ?")) {
        read.setString(1, "x");
        long n;
        try (ResultSet rs = read.executeQuery()) {
          rs.next();
          n = rs.getLong(1);
        }
        assertThat(n).isEqualTo(1);
        try (Statement st = b.createStatement()) {
          assertThat(st.executeUpdate("UPDATE counters SET n = 50 WHERE name = 'x'")).isEqualTo(1);
        }
        write.setLong(1, n + 1);
        write.setString(2, "y");
        assertThat(write.executeUpdate()).isEqualTo(1);
        assertThatThrownBy(a::commit)
            .isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("40001"));

        // The failed transaction wrote nothing; the retry at a new snapshot commits.
        try (ResultSet rs = read.executeQuery()) {
          rs.next();
          n = rs.getLong(1);
        }
        assertThat(n).isEqualTo(50);
        write.setLong(1, n + 1);
        write.setString(2, "y");
        assertThat(write.executeUpdate()).isEqualTo(1);
        a.commit();
      }
      a.setAutoCommit(true);
      try (Statement st = b.createStatement();
          ResultSet rs = st.executeQuery("SELECT name, n FROM counters ORDER BY name")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(2)).isEqualTo(50);
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(2)).isEqualTo(51);
      }
    }
  }

  @Test
  void databaseMetaDataDescribesOrdoTables() throws Exception {
    try (Connection c = pg.connect()) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE meta_orders (id BIGINT PRIMARY KEY, customer VARCHAR(40) NOT NULL,"
            + " total NUMERIC(10,2), placed TIMESTAMPTZ, paid BOOLEAN DEFAULT false)");
      }
      DatabaseMetaData md = c.getMetaData();
      assertThat(md.getDatabaseProductName()).isEqualTo("PostgreSQL");
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = md.getTables(null, null, "meta_%", new String[] {"TABLE"})) {
        while (rs.next()) {
          tables.add(rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
        }
      }
      assertThat(tables).containsExactly("meta_orders:TABLE");

      List<String> columns = new ArrayList<>();
      try (ResultSet rs = md.getColumns(null, null, "meta_orders", null)) {
        while (rs.next()) {
          columns.add(rs.getInt("ORDINAL_POSITION") + " " + rs.getString("COLUMN_NAME") + " "
              + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE") + " "
              + rs.getString("IS_NULLABLE"));
        }
      }
      assertThat(columns).containsExactly(
          "1 id int8 " + Types.BIGINT + " NO",
          "2 customer varchar " + Types.VARCHAR + " NO",
          "3 total numeric " + Types.NUMERIC + " YES",
          "4 placed timestamptz " + Types.TIMESTAMP + " YES",
          "5 paid bool " + Types.BIT + " YES");
      try (ResultSet rs = md.getColumns(null, null, "meta_orders", "customer")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt("COLUMN_SIZE")).isEqualTo(40);
      }
      try (ResultSet rs = md.getPrimaryKeys(null, null, "meta_orders")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("COLUMN_NAME")).isEqualTo("id");
        assertThat(rs.getInt("KEY_SEQ")).isEqualTo(1);
        assertThat(rs.getString("PK_NAME")).isEqualTo("meta_orders_pkey");
        assertThat(rs.next()).isFalse();
      }
    }
  }

  @Test
  void errorsCarrySqlStateAndTheConnectionStaysUsable() throws Exception {
    try (Connection c = pg.connect()) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE errs (id INT PRIMARY KEY, v TEXT)");
        st.execute("INSERT INTO errs VALUES (1, 'one')");
      }
      assertThat(sqlState(c, "SELECT * FROM no_such_table")).isEqualTo("42P01");
      assertThat(sqlState(c, "SELECT 1")).isEqualTo("ok");
      assertThat(sqlState(c, "INSERT INTO errs VALUES (1, 'again')")).isEqualTo("23505");
      assertThat(sqlState(c, "SELECT 1")).isEqualTo("ok");
      assertThat(sqlState(c, "SELEC 1")).isEqualTo("42601");
      assertThat(sqlState(c, "SELECT 1")).isEqualTo("ok");
      // The same errors from a prepared statement (extended protocol).
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO errs VALUES (?, ?)")) {
        for (int k = 0; k < 3; k++) {
          ps.setInt(1, 1);
          ps.setString(2, "dup");
          assertThatThrownBy(ps::executeUpdate)
              .isInstanceOf(SQLException.class)
              .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
        }
        ps.setInt(1, 2);
        ps.setString(2, "two");
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      // An error inside a transaction: the transaction fails (25P02) until rollback.
      c.setAutoCommit(false);
      assertThat(sqlState(c, "SELECT * FROM no_such_table")).isEqualTo("42P01");
      assertThat(sqlState(c, "SELECT 1")).isEqualTo("25P02");
      c.rollback();
      c.setAutoCommit(true);
      assertThat(count(c, "errs")).isEqualTo(2);
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT v FROM errs WHERE id = 1")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("one");
      }
    }
  }
}
