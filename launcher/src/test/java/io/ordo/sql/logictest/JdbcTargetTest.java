package io.ordo.sql.logictest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigDecimal;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * JdbcTarget against PostgreSQL (the server of {@link SltPostgres}, as {@link
 * SqlLogicTestIT}): value shapes, row counts, errors, the time and row limits.
 */
class JdbcTargetTest {

  private static JdbcTarget open(Duration timeout, int maxRows) throws Exception {
    SltPostgres.Availability postgres = SltPostgres.availability();
    assumeTrue(postgres.url().isPresent(), postgres.reason());
    String url = postgres.url().get();
    JdbcTarget t = new JdbcTarget(DriverManager.getConnection(url), "postgresql", timeout, maxRows);
    t.execute("SET TIME ZONE 'UTC'");
    return t;
  }

  @Test
  void readsEveryTypeInItsSqlTypeShape() throws Exception {
    try (JdbcTarget t = open(Duration.ofSeconds(10), 10)) {
      Target.Outcome o = t.execute(
          "SELECT true, 1::smallint, 2, 3::bigint, 1.5::float8, 1.25::float4, 12.50::numeric(5,2),"
              + " 'v'::varchar(3), 't'::text, '\\x0aff'::bytea, '2024-02-29'::date,"
              + " '2024-01-02 03:04:05.5'::timestamp, '2024-01-02 03:04:05+02'::timestamptz,"
              + " '{\"b\":1, \"a\":2}'::jsonb, NULL::int");
      List<Object> row = o.rows().get(0);
      assertThat(row.subList(0, 9))
          .containsExactly(
              true, (short) 1, 2, 3L, 1.5, 1.25, new BigDecimal("12.50"), "v", "t");
      assertThat(Arrays.equals((byte[]) row.get(9), new byte[] {0x0a, (byte) 0xff})).isTrue();
      assertThat(row.get(10)).isEqualTo(LocalDate.of(2024, 2, 29));
      assertThat(row.get(11)).isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 500_000_000));
      assertThat(((OffsetDateTime) row.get(12)).toInstant())
          .isEqualTo(OffsetDateTime.of(2024, 1, 2, 1, 4, 5, 0, ZoneOffset.UTC).toInstant());
      assertThat(row.get(13)).isEqualTo("{\"a\": 2, \"b\": 1}");
      assertThat(row.get(14)).isNull();
      assertThat(o.affected()).hasValue(1);
    }
  }

  @Test
  void reportsRowCountsErrorsAndLimits() throws Exception {
    try (JdbcTarget t = open(Duration.ofSeconds(1), 3)) {
      t.execute("CREATE TEMP TABLE jdbc_target_t (k INT PRIMARY KEY)");
      assertThat(t.execute("INSERT INTO jdbc_target_t VALUES (1), (2), (3), (4)").affected())
          .hasValue(4);
      assertThat(t.execute("UPDATE jdbc_target_t SET k = k WHERE k > 9").affected()).hasValue(0);
      assertThatThrownBy(() -> t.execute("INSERT INTO jdbc_target_t VALUES (1)"))
          .isInstanceOfSatisfying(
              Target.TargetException.class, e -> assertThat(e.sqlState()).isEqualTo("23505"));
      assertThatThrownBy(() -> t.execute("SELECT k FROM jdbc_target_t"))
          .isInstanceOfSatisfying(
              Target.TargetException.class, e -> assertThat(e.sqlState()).isEqualTo("54000"));
      assertThatThrownBy(() -> t.execute("SELECT pg_sleep(5)"))
          .isInstanceOfSatisfying(
              Target.TargetException.class, e -> assertThat(e.sqlState()).isEqualTo("57014"));
    }
  }
}
