package io.ordo.views;

import static io.ordo.views.MaterializedViewIT.one;
import static io.ordo.views.MaterializedViewIT.sqlState;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Materialized views with event-time windows over a stream, on a whole embedded Ordo: a windowed
 * COUNT per key (TUMBLE, HOP, SESSION over a TIMESTAMP column with allowed lateness, TUMBLE over
 * the log time) fed out-of-order and late records, its job killed mid-way, ends equal to the same
 * windows computed here in plain Java with the documented rule: a record whose event time is at or
 * below the watermark before its log position (greatest event time of the records at earlier
 * positions - allowed lateness - 1 ms) is dropped; a window is in the view once the watermark
 * reaches its end - 1 ms. And what CREATE refuses.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WindowedViewIT {
  @TempDir static Path dir;
  static EmbeddedOrdo ordo;

  static final Duration CONVERGE = Duration.ofSeconds(90);
  static final LocalDateTime T0 = LocalDateTime.of(2026, 1, 1, 0, 0);
  static final DateTimeFormatter LITERAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
  static final long TUMBLE_MS = 10_000;
  static final long TUMBLE_LATENESS = 4_000;
  static final long HOP_SLIDE = 5_000;
  static final long HOP_SIZE = 15_000;
  static final long HOP_LATENESS = 2_000;
  static final long GAP = 3_000;
  static final long SESSION_LATENESS = 1_000;

  @BeforeAll
  static void start() throws Exception {
    ordo = MaterializedViewIT.startOrdo(dir);
  }

  @AfterAll
  static void stop() {
    if (ordo != null) {
      ordo.close();
    }
  }

  record Click(String k, long t) {}

  /**
   * Windows of kept records: (key, start, end) -> "count|greatest event time", for windows the
   * watermark closed.
   */
  static TreeMap<String, String> expected(List<List<Click>> positions, long lateness,
      String function, long size, long slide) {
    long max = Long.MIN_VALUE;
    long watermark = Long.MIN_VALUE;
    Map<String, List<Long>> kept = new TreeMap<>();
    for (List<Click> position : positions) {
      for (Click c : position) {
        if (c.t() > watermark) {
          kept.computeIfAbsent(c.k(), k -> new ArrayList<>()).add(c.t());
          max = Math.max(max, c.t());
        }
      }
      watermark = max - lateness - 1;
    }
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, List<Long>> e : kept.entrySet()) {
      List<Long> times = e.getValue().stream().sorted().toList();
      List<long[]> windows = new ArrayList<>();
      if (function.equals("SESSION")) {
        long first = times.get(0);
        long last = first;
        long n = 0;
        for (long t : times) {
          if (t - last > size) {
            windows.add(new long[] {first, last + size, n, last});
            first = t;
            n = 0;
          }
          last = t;
          n++;
        }
        windows.add(new long[] {first, last + size, n, last});
      } else {
        TreeMap<Long, long[]> counts = new TreeMap<>();
        for (long t : times) {
          for (long s = Math.floorDiv(t, slide) * slide; s > t - size; s -= slide) {
            long[] c = counts.computeIfAbsent(s, x -> new long[2]);
            c[0]++;
            c[1] = t;
          }
        }
        counts.forEach((s, c) -> windows.add(new long[] {s, s + size, c[0], c[1]}));
      }
      for (long[] w : windows) {
        if (w[1] - 1 <= watermark) {
          out.put(e.getKey() + "|" + time(w[0]) + "|" + time(w[1]), w[2] + "|" + time(w[3]));
        }
      }
    }
    return out;
  }

  static long counted(TreeMap<String, String> windows) {
    return windows.values().stream().mapToLong(v -> Long.parseLong(v.split("\\|")[0])).sum();
  }

  static String time(long ms) {
    return LocalDateTime.ofInstant(Instant.ofEpochMilli(ms), ZoneOffset.UTC).toString();
  }

  /** A view's rows as (key, start, end) -> "count|greatest event time". */
  static TreeMap<String, String> rows(SqlSession s, String view) throws SqlException {
    TreeMap<String, String> out = new TreeMap<>();
    for (List<Object> r
        : one(s, "SELECT k, window_start, window_end, n, last_ts FROM " + view).rows()) {
      out.put(r.get(0) + "|" + text(r.get(1)) + "|" + text(r.get(2)),
          ((Number) r.get(3)).longValue() + "|" + text(r.get(4)));
    }
    return out;
  }

  static String text(Object timestamp) {
    if (timestamp instanceof LocalDateTime t) {
      return t.toString();
    }
    if (timestamp instanceof OffsetDateTime t) {
      return t.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime().toString();
    }
    return String.valueOf(timestamp);
  }

  static TreeMap<String, String> awaitRows(SqlSession s, String view,
      TreeMap<String, String> expected) throws Exception {
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    TreeMap<String, String> actual = rows(s, view);
    while (!actual.equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(250);
      actual = rows(s, view);
    }
    return actual;
  }

  @Test
  void windowedCountsEqualTheBatchComputationAcrossAKilledJob() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE STREAM clicks (k TEXT, ts TIMESTAMP, note TEXT) WITH (shards = 2, key = 'k')");
      one(s, "CREATE MATERIALIZED VIEW by_tumble WITH (allowed_lateness = '4 seconds') AS"
          + " SELECT k, window_start, window_end, count(*) AS n, max(ts) AS last_ts"
          + " FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))"
          + " GROUP BY k, window_start, window_end");
      one(s, "CREATE MATERIALIZED VIEW by_hop WITH (allowed_lateness = '2000 ms') AS"
          + " SELECT k, window_start, window_end, count(*) AS n, max(ts) AS last_ts"
          + " FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '5' SECOND,"
          + " INTERVAL '15' SECOND)) GROUP BY k, window_start, window_end");
      one(s, "CREATE MATERIALIZED VIEW by_session WITH (allowed_lateness = '1 second') AS"
          + " SELECT k, window_start, window_end, count(*) AS n, max(ts) AS last_ts"
          + " FROM TABLE(SESSION(TABLE clicks PARTITION BY k, DESCRIPTOR(ts),"
          + " INTERVAL '3' SECOND)) GROUP BY k, window_start, window_end");
      one(s, "CREATE MATERIALIZED VIEW by_log_time AS"
          + " SELECT k, window_start, window_end, count(*) AS n, max(ts) AS last_ts"
          + " FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(_log_time), INTERVAL '1' SECOND))"
          + " GROUP BY k, window_start, window_end");

      // Positions of 1-3 records each: time mostly moves on, some records are up to 9 s behind
      // (some within the lateness, some beyond it).
      Random random = new Random(20261207L);
      long base = T0.toInstant(ZoneOffset.UTC).toEpochMilli();
      long clock = base;
      List<List<Click>> positions = new ArrayList<>();
      for (int i = 0; i < 70; i++) {
        List<Click> position = new ArrayList<>();
        for (int j = 1 + random.nextInt(3); j > 0; j--) {
          clock += random.nextInt(1_200);
          long t = random.nextInt(5) == 0 ? clock - random.nextInt(9_000) : clock;
          position.add(new Click("k" + random.nextInt(3), t));
        }
        positions.add(position);
      }
      // The last one, far ahead, closes every window before it.
      positions.add(List.of(new Click("zz", clock + 3_600_000)));

      ViewSupervisor views = ordo.views().orElseThrow();
      for (int i = 0; i < positions.size(); i++) {
        StringJoiner values = new StringJoiner(", ");
        for (Click c : positions.get(i)) {
          values.add("('" + c.k() + "', TIMESTAMP '" + LITERAL.format(
              LocalDateTime.ofInstant(Instant.ofEpochMilli(c.t()), ZoneOffset.UTC)) + "', 'p" + i
              + "')");
        }
        one(s, "INSERT INTO clicks VALUES " + values);
        if (i == positions.size() / 2) {
          // Killed mid-way, after it wrote some windows: its replacement restores from the
          // newest checkpoint, with the watermark state the first run had.
          long deadline = System.nanoTime() + CONVERGE.toNanos();
          while (rows(s, "by_tumble").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
          }
          assertThat(rows(s, "by_tumble")).as("windows closed before the kill").isNotEmpty();
          views.killJob("by_tumble");
          views.killJob("by_session");
        }
      }

      TreeMap<String, String> tumble = expected(positions, TUMBLE_LATENESS, "TUMBLE", TUMBLE_MS,
          TUMBLE_MS);
      TreeMap<String, String> hop = expected(positions, HOP_LATENESS, "HOP", HOP_SIZE, HOP_SLIDE);
      TreeMap<String, String> session = expected(positions, SESSION_LATENESS, "SESSION", GAP, GAP);
      assertThat(awaitRows(s, "by_tumble", tumble)).isEqualTo(tumble).isNotEmpty();
      assertThat(awaitRows(s, "by_hop", hop)).isEqualTo(hop).isNotEmpty();
      assertThat(awaitRows(s, "by_session", session)).isEqualTo(session).isNotEmpty();
      // The rule dropped records, and not every late one: the test covers both sides.
      long all = positions.stream().mapToLong(List::size).sum() - 1;
      long tumbleCounted = counted(tumble);
      assertThat(tumbleCounted).isLessThan(all).isGreaterThan(all / 2);
      assertThat(counted(expected(positions, 0, "TUMBLE", TUMBLE_MS, TUMBLE_MS)))
          .isLessThan(tumbleCounted);

      // Log time: every record counts (log time only grows), and windows close without new
      // records as the log's progress moves the watermark.
      TreeMap<String, long[]> logTimeWindows = new TreeMap<>();
      for (List<Object> r : one(s, "SELECT k, _log_time, ts FROM clicks").rows()) {
        long t = r.get(1) instanceof OffsetDateTime o ? o.toInstant().toEpochMilli()
            : r.get(1) instanceof Instant i ? i.toEpochMilli()
            : ((LocalDateTime) r.get(1)).toInstant(ZoneOffset.UTC).toEpochMilli();
        long start = Math.floorDiv(t, 1_000) * 1_000;
        long[] w = logTimeWindows.computeIfAbsent(
            r.get(0) + "|" + time(start) + "|" + time(start + 1_000), x -> new long[] {0, 0});
        w[0]++;
        w[1] = Math.max(w[1],
            ((LocalDateTime) r.get(2)).toInstant(ZoneOffset.UTC).toEpochMilli());
      }
      TreeMap<String, String> byLogTime = new TreeMap<>();
      logTimeWindows.forEach((k, w) -> byLogTime.put(k, w[0] + "|" + time(w[1])));
      assertThat(awaitRows(s, "by_log_time", byLogTime)).isEqualTo(byLogTime);

      List<Object> shown = one(s, "SHOW VIEWS").rows().stream()
          .filter(r -> r.get(0).equals("by_tumble")).findFirst().orElseThrow();
      assertThat(shown.subList(8, 12)).as("source_kind, time_column, lateness")
          .containsExactly("stream", "ts", 4_000L, shown.get(11));
      assertThat((String) shown.get(11)).matches("\\d+:\\d+:\\d+");
      assertThat(sqlState(s, "DROP STREAM clicks"))
          .isEqualTo(SqlState.DEPENDENT_OBJECTS_STILL_EXIST);
    }
  }

  @Test
  void createRefusesWhatWindowsDoNotSupport() throws Exception {
    try (SqlSession s = ordo.sqlEngine().openSession("test", "ordo")) {
      one(s, "CREATE STREAM views_r (k TEXT, ts TIMESTAMP, n INT)");
      one(s, "CREATE TABLE views_t (id INT PRIMARY KEY, k TEXT, ts TIMESTAMP)");
      String tumble = "TABLE(TUMBLE(TABLE views_r, DESCRIPTOR(ts), INTERVAL '1' MINUTE))";
      String select = "SELECT k, window_start, window_end, count(*) AS c, max(ts) AS last_ts"
          + " FROM ";
      String group = " GROUP BY k, window_start, window_end";
      // An aggregate over a whole stream would grow without bound.
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 AS SELECT k, count(*) AS c"
          + " FROM views_r GROUP BY k")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 AS " + select
          + "TABLE(TUMBLE(TABLE views_t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))" + group))
          .isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 AS " + select
          + "TABLE(TUMBLE(TABLE views_r, DESCRIPTOR(n), INTERVAL '1' MINUTE))" + group))
          .isEqualTo(SqlState.DATATYPE_MISMATCH);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 AS " + select
          + "TABLE(TUMBLE(TABLE views_r, DESCRIPTOR(nope), INTERVAL '1' MINUTE))" + group))
          .isEqualTo(SqlState.UNDEFINED_COLUMN);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 AS " + select + tumble
          + " GROUP BY k, window_start")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 WITH (allowed_lateness = 'later') AS "
          + select + tumble + group)).isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 WITH (allowed_lateness = '1 s') AS"
          + " SELECT id, count(*) AS c FROM views_t GROUP BY id"))
          .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 AS " + select
          + "TABLE(TUMBLE(TABLE nowhere, DESCRIPTOR(ts), INTERVAL '1' MINUTE))" + group))
          .isEqualTo(SqlState.UNDEFINED_TABLE);
      assertThat(sqlState(s, "CREATE MATERIALIZED VIEW w1 AS " + select + tumble + group))
          .isEqualTo("ok");
      assertThat(one(s, "DESCRIBE w1").rows()).extracting(r -> r.get(0) + " " + r.get(1))
          .containsExactly("k text", "window_start timestamp without time zone",
              "window_end timestamp without time zone", "c bigint",
              "last_ts timestamp without time zone");
      one(s, "DROP VIEW w1");
      assertThat(sqlState(s, "DROP STREAM views_r")).isEqualTo("ok");
    }
  }
}
