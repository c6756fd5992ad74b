package io.ordo.sql.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * PgText against PostgreSQL 15's documented text forms (the same cases are checked against a
 * live PostgreSQL by PgTextParityIT), and format/parse round trips of random values.
 */
class PgTextTest {
  private static void assertError(SqlType type, String text, String sqlState, String message) {
    assertThatThrownBy(() -> PgText.parse(type, text))
        .isInstanceOfSatisfying(
            SqlException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(sqlState);
              assertThat(e.getMessage()).isEqualTo(message);
            });
  }

  @Test
  void booleans() throws Exception {
    assertThat(PgText.format(SqlType.BOOLEAN, true)).isEqualTo("t");
    assertThat(PgText.format(SqlType.BOOLEAN, false)).isEqualTo("f");
    for (String t : List.of("t", "true", "TRUE", "yes", "Y", "on", "ON", "1", " tr ")) {
      assertThat(PgText.parse(SqlType.BOOLEAN, t)).as(t).isEqualTo(true);
    }
    for (String f : List.of("f", "false", "no", "N", "off", "of", "0", "FaLsE")) {
      assertThat(PgText.parse(SqlType.BOOLEAN, f)).as(f).isEqualTo(false);
    }
    assertError(SqlType.BOOLEAN, "o", "22P02", "invalid input syntax for type boolean: \"o\"");
    assertError(SqlType.BOOLEAN, "2", "22P02", "invalid input syntax for type boolean: \"2\"");
  }

  @Test
  void integers() throws Exception {
    assertThat(PgText.parse(SqlType.INTEGER, " -42 ")).isEqualTo(-42);
    assertThat(PgText.parse(SqlType.SMALLINT, "+7")).isEqualTo((short) 7);
    assertThat(PgText.parse(SqlType.BIGINT, "-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(PgText.format(SqlType.BIGINT, Long.MIN_VALUE)).isEqualTo("-9223372036854775808");
    assertError(SqlType.INTEGER, "x", "22P02", "invalid input syntax for type integer: \"x\"");
    assertError(SqlType.INTEGER, "2147483648", "22003",
        "value \"2147483648\" is out of range for type integer");
    assertError(SqlType.SMALLINT, "32768", "22003",
        "value \"32768\" is out of range for type smallint");
    assertError(SqlType.BIGINT, "1.0", "22P02", "invalid input syntax for type bigint: \"1.0\"");
    assertThatThrownBy(() -> PgText.format(SqlType.INTEGER, "1"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void doublesInShortestRoundTripForm() throws Exception {
    assertThat(PgText.format(SqlType.DOUBLE, 1.5e300)).isEqualTo("1.5e+300");
    assertThat(PgText.format(SqlType.DOUBLE, 0.1)).isEqualTo("0.1");
    assertThat(PgText.format(SqlType.DOUBLE, 1e15)).isEqualTo("1e+15");
    assertThat(PgText.format(SqlType.DOUBLE, 1e14)).isEqualTo("100000000000000");
    assertThat(PgText.format(SqlType.DOUBLE, 0.0001)).isEqualTo("0.0001");
    assertThat(PgText.format(SqlType.DOUBLE, 0.00001)).isEqualTo("1e-05");
    assertThat(PgText.format(SqlType.DOUBLE, -0.0)).isEqualTo("-0");
    assertThat(PgText.format(SqlType.DOUBLE, Double.MIN_VALUE)).isEqualTo("5e-324");
    assertThat(PgText.format(SqlType.DOUBLE, Double.NaN)).isEqualTo("NaN");
    assertThat(PgText.format(SqlType.DOUBLE, Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
    // Java 17's Double.toString gives 2.82879384806159008E17 here.
    assertThat(PgText.format(SqlType.DOUBLE, 2.82879384806159E17))
        .isEqualTo("2.82879384806159e+17");
    assertThat(PgText.parse(SqlType.DOUBLE, "-inf")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(PgText.parse(SqlType.DOUBLE, " .5 ")).isEqualTo(0.5);
    assertError(SqlType.DOUBLE, "1e400", "22003",
        "\"1e400\" is out of range for type double precision");
    assertError(SqlType.DOUBLE, "1d", "22P02",
        "invalid input syntax for type double precision: \"1d\"");
  }

  @Test
  void numerics() throws Exception {
    assertThat(PgText.parse(SqlType.DECIMAL, "12.500")).isEqualTo(new BigDecimal("12.500"));
    assertThat(PgText.format(SqlType.DECIMAL, PgText.parse(SqlType.DECIMAL, "1e5")))
        .isEqualTo("100000");
    assertThat(PgText.format(SqlType.DECIMAL, PgText.parse(SqlType.DECIMAL, "-0.0")))
        .isEqualTo("0.0");
    assertThat(PgText.format(SqlType.DECIMAL, new BigDecimal("1E+3"))).isEqualTo("1000");
    assertError(SqlType.DECIMAL, "1e131072", "22003", "value overflows numeric format");
    assertError(SqlType.DECIMAL, "1e-16384", "22003", "value overflows numeric format");
    assertError(SqlType.DECIMAL, "1e99999999999", "22003", "value overflows numeric format");
    assertError(SqlType.DECIMAL, "NaN", "0A000", "numeric NaN and infinity are not supported");
    assertError(SqlType.DECIMAL, "1,5", "22P02", "invalid input syntax for type numeric: \"1,5\"");
  }

  @Test
  void bytea() throws Exception {
    assertThat(PgText.format(SqlType.BYTEA, new byte[] {0, 1, (byte) 0xFF, 'a'}))
        .isEqualTo("\\x0001ff61");
    assertThat((byte[]) PgText.parse(SqlType.BYTEA, "\\xDE ad")).containsExactly(0xDE, 0xAD);
    assertThat((byte[]) PgText.parse(SqlType.BYTEA, "a\\\\b\\001\\377"))
        .containsExactly('a', '\\', 'b', 1, 0xFF);
    assertError(SqlType.BYTEA, "\\x0", "22023", "invalid hexadecimal data: odd number of digits");
    assertError(SqlType.BYTEA, "a\\b", "22P02", "invalid input syntax for type bytea");
  }

  @Test
  void datesAndTimestamps() throws Exception {
    assertThat(PgText.format(SqlType.DATE, LocalDate.of(2026, 12, 6))).isEqualTo("2026-12-06");
    assertThat(PgText.format(SqlType.DATE, LocalDate.of(0, 1, 1))).isEqualTo("0001-01-01 BC");
    assertThat(PgText.parse(SqlType.DATE, "0001-01-01 BC")).isEqualTo(LocalDate.of(0, 1, 1));
    assertThat(PgText.format(SqlType.TIMESTAMP,
        LocalDateTime.of(2026, 12, 6, 10, 15, 30, 123_456_000)))
        .isEqualTo("2026-12-06 10:15:30.123456");
    assertThat(PgText.format(SqlType.TIMESTAMP, LocalDateTime.of(2026, 12, 6, 10, 15, 30, 500_000_000)))
        .isEqualTo("2026-12-06 10:15:30.5");
    assertThat(PgText.format(SqlType.TIMESTAMP, LocalDateTime.of(2026, 12, 6, 10, 15)))
        .isEqualTo("2026-12-06 10:15:00");
    assertThat(PgText.format(SqlType.TIMESTAMPTZ,
        OffsetDateTime.of(2026, 12, 6, 12, 15, 30, 123_456_000, ZoneOffset.ofHours(2))))
        .isEqualTo("2026-12-06 10:15:30.123456+00");
    assertThat(PgText.parse(SqlType.TIMESTAMPTZ, "2026-12-06T10:15:30+02:30"))
        .isEqualTo(OffsetDateTime.of(2026, 12, 6, 7, 45, 30, 0, ZoneOffset.UTC));
    assertThat(PgText.parse(SqlType.TIMESTAMPTZ, "2026-12-06 10:15:30.5Z"))
        .isEqualTo(OffsetDateTime.of(2026, 12, 6, 10, 15, 30, 500_000_000, ZoneOffset.UTC));
    assertThat(PgText.parse(SqlType.TIMESTAMP, "2026-12-06 10:15:30+02"))
        .isEqualTo(LocalDateTime.of(2026, 12, 6, 10, 15, 30));
    assertThat(PgText.parse(SqlType.TIMESTAMP, "2026-12-06 24:00:00"))
        .isEqualTo(LocalDateTime.of(2026, 12, 7, 0, 0));
    assertError(SqlType.DATE, "2026-13-01", "22008",
        "date/time field value out of range: \"2026-13-01\"");
    assertError(SqlType.DATE, "today", "22007", "invalid input syntax for type date: \"today\"");
    assertError(SqlType.TIMESTAMPTZ, "2026-12-06 10:00+16", "22009",
        "time zone displacement out of range: \"2026-12-06 10:00+16\"");
  }

  @Test
  void jsonbIsNormalizedAsPostgresPrintsIt() throws Exception {
    assertThat(PgText.parse(SqlType.JSONB, "{\"b\":1,\"a\":[1,2]}"))
        .isEqualTo("{\"a\": [1, 2], \"b\": 1}");
    assertThat(PgText.parse(SqlType.JSONB,
        "{\"aa\":1,\"b\":{\"x\":\"\\u0001é\\n\"},\"b\":2.50, \"c\":1e2}"))
        .isEqualTo("{\"b\": 2.50, \"c\": 100, \"aa\": 1}");
    assertThat(PgText.parse(SqlType.JSONB, " [ ] ")).isEqualTo("[]");
    assertThat(PgText.parse(SqlType.JSONB, "\"\\u0001\"")).isEqualTo("\"\\u0001\"");
    assertError(SqlType.JSONB, "{\"a\":1", "22P02", "invalid input syntax for type json");
    assertError(SqlType.JSONB, "[1] [2]", "22P02", "invalid input syntax for type json");
    assertError(SqlType.JSONB, "\"\\u0000\"", "22P05", "unsupported Unicode escape sequence");
    String deep = "[".repeat(PgJson.MAX_DEPTH + 1) + "]".repeat(PgJson.MAX_DEPTH + 1);
    assertThatThrownBy(() -> PgText.parse(SqlType.JSONB, deep))
        .isInstanceOfSatisfying(
            SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("54000"));
  }

  @Test
  void catalogTypes() throws Exception {
    assertThat(PgText.format(SqlType.TEXT_ARRAY, Arrays.asList("a", "b c", null, "", "NULL", "q\"")))
        .isEqualTo("{a,\"b c\",NULL,\"\",\"NULL\",\"q\\\"\"}");
    assertThat(PgText.parse(SqlType.TEXT_ARRAY, "{a,\"b c\",NULL,\"\",\"NULL\",\"q\\\"\"}"))
        .isEqualTo(Arrays.asList("a", "b c", null, "", "NULL", "q\""));
    assertThat(PgText.format(SqlType.INT2VECTOR, new short[] {1, 3})).isEqualTo("1 3");
    assertThat(PgText.parse(SqlType.INT2VECTOR, "1 3")).isEqualTo(List.of((short) 1, (short) 3));
    assertThat(PgText.format(SqlType.OID, 4_000_000_000L)).isEqualTo("4000000000");
    assertThat(PgText.format(SqlType.OID, -1)).isEqualTo("4294967295");
  }

  @Test
  void textRejectsNul() {
    assertError(SqlType.TEXT, "a\0b", "22021", "invalid byte sequence for encoding \"UTF8\": 0x00");
  }

  @Test
  void randomValuesRoundTrip() throws Exception {
    Random r = new Random(99);
    for (int i = 0; i < 5000; i++) {
      roundTrip(SqlType.BOOLEAN, r.nextBoolean());
      roundTrip(SqlType.SMALLINT, (short) r.nextInt());
      roundTrip(SqlType.INTEGER, r.nextInt());
      roundTrip(SqlType.BIGINT, r.nextLong());
      double d = Double.longBitsToDouble(r.nextLong());
      if (!Double.isNaN(d)) {
        roundTrip(SqlType.DOUBLE, d);
      }
      roundTrip(SqlType.DECIMAL, new BigDecimal(new BigInteger(r.nextInt(300) + 1, r),
          r.nextInt(100)));
      byte[] bytes = new byte[r.nextInt(20)];
      r.nextBytes(bytes);
      Object back = PgText.parse(SqlType.BYTEA, PgText.format(SqlType.BYTEA, bytes));
      assertThat((byte[]) back).isEqualTo(bytes);
      LocalDateTime t = LocalDateTime.of(-4712, 1, 1, 0, 0)
          .plusSeconds(Math.floorMod(r.nextLong(), 9_300_000_000_000L))
          .plusNanos(r.nextInt(1_000_000) * 1000L);
      roundTrip(SqlType.TIMESTAMP, t);
      roundTrip(SqlType.TIMESTAMPTZ, t.atOffset(ZoneOffset.UTC));
      roundTrip(SqlType.DATE, t.toLocalDate());
      StringBuilder s = new StringBuilder();
      for (int k = r.nextInt(10); k > 0; k--) {
        s.appendCodePoint(1 + r.nextInt(0x2FFF));
      }
      roundTrip(SqlType.TEXT, s.toString());
    }
  }

  private static void roundTrip(SqlType type, Object value) throws SqlException {
    String text = PgText.format(type, value);
    assertThat(PgText.parse(type, text)).as("%s %s", type, text).isEqualTo(value);
  }
}
