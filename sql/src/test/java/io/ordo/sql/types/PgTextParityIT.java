package io.ordo.sql.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.util.PSQLException;

/**
 * PgText and PgBinary against a real PostgreSQL 15 (127.0.0.1:5432, database {@code test}, user
 * {@code postgres}, trust authentication; see {@link ReferencePostgres}):
 * for a table of inputs per type, PostgreSQL's input function then output function ({@code
 * concat(CAST($1 AS type))}) and send function must give what {@code PgText.parse} then {@code
 * PgText.format} and {@code PgBinary.encode} give, errors included (SQLSTATE and message); and
 * random doubles, numerics and timestamps must print and encode alike.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PgTextParityIT {
  private static Connection pg;

  @BeforeAll
  static void connect() throws SQLException {
    pg = ReferencePostgres.connectOrSkip();
    try (Statement st = pg.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute("SET DateStyle = 'ISO, MDY'");
      st.execute("SET extra_float_digits = 1");
    }
    assertThat(pg.getMetaData().getDatabaseMajorVersion()).isEqualTo(15);
  }

  @AfterAll
  static void close() throws SQLException {
    if (pg != null) {
      pg.close();
    }
  }

  private static Arguments c(SqlType type, String input) {
    return Arguments.of(type, input);
  }

  static Stream<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    for (String s : List.of("t", "f", "true", "FALSE", "yes", "No", "on", "OFF", "1", "0",
        " tr ", "of", "o", "y", "maybe", "", "2")) {
      a.add(c(SqlType.BOOLEAN, s));
    }
    for (String s : List.of("0", "-32768", "32767", "32768", "-32769", " 42 ", "+7", "1.5", "x",
        "", "-", "0x10")) {
      a.add(c(SqlType.SMALLINT, s));
    }
    for (String s : List.of("2147483647", "-2147483648", "2147483648", "00012", "abc", "1e3",
        " -5 ", "99999999999999999999999")) {
      a.add(c(SqlType.INTEGER, s));
    }
    for (String s : List.of("9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "123 456", "42")) {
      a.add(c(SqlType.BIGINT, s));
    }
    for (String s : List.of("1.5e300", "0.1", "1e15", "1e14", "123456789012345678", "0.0001",
        "0.00001", "-0", "5e-324", "1.7976931348623157e308", "2.82879384806159e17", "NaN",
        "Infinity", "-Infinity", "inf", "-INF", "1e400", "-1e400", "1e-400", "abc", " 3.25 ",
        "1.", ".5", "+1e+3", "100", "1e22", "1e21", "4.35", "0.3", "2.5e-5", "123456.789e3",
        "9007199254740993", "1e", "0.1.2", "2.2250738585072014e-308", "4.9e-324",
        "123456789012345.6", "1234567890123456.7")) {
      a.add(c(SqlType.DOUBLE, s));
    }
    for (String s : List.of("12.500", "1e5", "-0.0", "1.5e300", ".5", "5.", "0", "-1",
        "3.14159265358979323846264338327950288419716939937510",
        "-123456789012345678901234567890.123456789", "0.000000001", "1e-20", "1.50e1",
        "abc", "1e1000", "1e1001", "1e-1000", " 7 ", "1 000", "+.5e-3", "0e10", "-0")) {
      a.add(c(SqlType.DECIMAL, s));
    }
    for (String s : List.of("héllo", "", "a\nb", " padded ")) {
      a.add(c(SqlType.TEXT, s));
      a.add(c(SqlType.VARCHAR, s));
    }
    for (String s : List.of("\\x0102ff", "\\xDEADbeef", "abc", "a\\\\b", "\\001\\377", "\\x0",
        "\\xzz", "\\x01 02", "a\\b", "", "\\x", "é")) {
      a.add(c(SqlType.BYTEA, s));
    }
    for (String s : List.of("2026-12-06", "0001-01-01 BC", "2024-02-29", "2023-02-29",
        "2026-13-01", "10000-01-01", "4713-01-01 BC", "garbage", " 2026-1-5 ", "1999-12-31",
        "2000-01-01", "0000-01-01", "2026-12-06 AD", "2026-12-06 +01", "2026-12-06 23:00:00-05",
        "0001-01-01 +00 BC", "2026-12-06T10:00", "2026-12-06 25:00", "2026-12-06 10:00 BC",
        "4714-11-24 BC", "4714-11-23 BC", "5874897-12-31", "5874898-01-01")) {
      a.add(c(SqlType.DATE, s));
    }
    for (String s : List.of("2026-12-06 10:15:30.123456", "2026-12-06 10:15:30",
        "2026-12-06T10:15:30.5", "2026-12-06 10:15:30.1234565", "2026-12-06 10:15:30.1234575",
        "2026-12-06", "2026-12-06 24:00:00", "2026-12-06 23:59:60", "2026-12-06 10:15:30+02",
        "0001-01-01 00:00:00 BC", "2026-12-06 25:00", "nope", "2026-12-06 10:15",
        "1970-01-01 00:00:00.000001", "2026-12-06 10:15:30.100", "1999-12-31 23:59:59.9999999",
        "2026-12-06 10:61:00", "2026-12-06 10:15:30+16", "2026-12-06 +01",
        "4714-11-24 00:00:00 BC", "4714-11-23 23:59:59 BC", "294276-12-31 23:59:59.999999",
        "294277-01-01 00:00:00")) {
      a.add(c(SqlType.TIMESTAMP, s));
    }
    for (String s : List.of("2026-12-06 10:15:30.123456+00", "2026-12-06 10:15:30+02:30",
        "2026-12-06 10:15:30-0530", "2026-12-06T10:15:30Z", "2026-12-06 10:15:30 UTC",
        "2026-12-06 10:15:30", "2026-12-06 00:00:00+14", "1999-12-31 23:59:59.999999-01",
        "2000-01-01 00:00:00+01", "0001-01-01 00:30:00+01", "2026-12-06 10:15:30+5",
        "2026-12-06 10:15:30 +02:00", "2026-12-06 +01", "0001-01-01 00:00:00+00 BC",
        "2026-12-06 10:15:30.123456+00 BC", "4714-11-24 00:00:00+00 BC",
        "4714-11-24 00:30:00+01 BC", "294276-12-31 23:59:59.999999+00")) {
      a.add(c(SqlType.TIMESTAMPTZ, s));
    }
    for (String s : List.of("{\"b\":1,\"a\":[1,2]}",
        "{\"aa\":1,\"b\":{\"x\":\"\\u0001é\\n\"},\"b\":2.50, \"c\":1e2}", "[]", "{}",
        "  \"str\"  ", "null", "true", "1.0e-3", "-0", "[1,{\"é\":\"\\\"\", \"e\":null}]",
        "{\"a\":1", "nul", "\"\\u0000\"", "01", "{\"b\":1,\"a\":2,\"ab\":3,\"é\":4,\"z\":5}",
        "[1, 2", "\"\\u00e9\\t\\/\"", "{\"a\" : [ ] , \"b\":{ }}", "1e2", "12345678901234567890",
        "\"\\ud83d\\ude00\"", "", "[1,]", "\"\u007f\"")) {
      a.add(c(SqlType.JSONB, s));
    }
    return a.stream();
  }

  private static String pgName(SqlType type) {
    switch (type) {
      case DOUBLE:
        return "float8";
      case VARCHAR:
        return "varchar";
      default:
        return type.pgName();
    }
  }

  private static String sendFunction(SqlType type) {
    switch (type) {
      case BOOLEAN:
        return "boolsend";
      case SMALLINT:
        return "int2send";
      case INTEGER:
        return "int4send";
      case BIGINT:
        return "int8send";
      case DOUBLE:
        return "float8send";
      case DECIMAL:
        return "numeric_send";
      case VARCHAR:
        return "varcharsend";
      case TEXT:
        return "textsend";
      case BYTEA:
        return "byteasend";
      case DATE:
        return "date_send";
      case TIMESTAMP:
        return "timestamp_send";
      case TIMESTAMPTZ:
        return "timestamptz_send";
      case JSONB:
        return "jsonb_send";
      default:
        throw new IllegalArgumentException(type.toString());
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void textAndBinaryMatchPostgres(SqlType type, String input) throws Exception {
    String pgText = null;
    byte[] pgBinary = null;
    PSQLException pgError = null;
    try (PreparedStatement ps =
        pg.prepareStatement(
            "SELECT concat(CAST(CAST(? AS text) AS " + pgName(type) + ")), "
                + sendFunction(type) + "(CAST(CAST(? AS text) AS " + pgName(type) + "))")) {
      ps.setString(1, input);
      ps.setString(2, input);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        pgText = rs.getString(1);
        pgBinary = rs.getBytes(2);
      }
    } catch (PSQLException e) {
      pgError = e;
    }
    Object parsed;
    try {
      parsed = PgText.parse(type, input);
    } catch (SqlException e) {
      if (pgError == null) {
        fail("PostgreSQL reads '%s' as %s but Ordo fails: %s %s", input, pgText, e.sqlState(),
            e.getMessage());
      }
      assertThat(e.sqlState()).as("SQLSTATE").isEqualTo(pgError.getSQLState());
      assertThat(e.getMessage()).isEqualTo(pgError.getServerErrorMessage().getMessage());
      return;
    }
    if (pgError != null) {
      fail("Ordo reads '%s' as %s but PostgreSQL fails: %s %s", input,
          PgText.format(type, parsed), pgError.getSQLState(), pgError.getMessage());
    }
    assertThat(PgText.format(type, parsed)).isEqualTo(pgText);
    assertThat(PgBinary.encode(type, parsed)).as("binary form").isEqualTo(pgBinary);
    Object decoded = PgBinary.decode(type, pgBinary);
    assertThat(PgText.format(type, decoded)).isEqualTo(pgText);
  }

  @Test
  void randomDoublesPrintAndEncodeAlike() throws Exception {
    Random random = new Random(20261206L);
    List<Double> values = new ArrayList<>();
    while (values.size() < 20_000) {
      double d;
      switch (values.size() % 5) {
        case 0:
          d = Double.longBitsToDouble(random.nextLong()); // any exponent
          break;
        case 1:
          d = random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
          break;
        case 2:
          // Integers beyond 2^53, where a short decimal can sit exactly between two doubles.
          d = (double) (random.nextLong() >>> random.nextInt(11));
          break;
        case 3:
          d = random.nextInt(1000) * Math.pow(10, random.nextInt(60) - 30); // few digits
          break;
        default:
          d = Math.round(random.nextDouble() * 1e6) / Math.pow(10, random.nextInt(8));
          break;
      }
      if (!Double.isNaN(d) && !Double.isInfinite(d)) {
        values.add(random.nextBoolean() ? d : -d);
      }
    }
    List<String> pgTexts = new ArrayList<>();
    List<byte[]> pgBinaries = new ArrayList<>();
    try (PreparedStatement ps =
        pg.prepareStatement(
            "SELECT v::text, float8send(v) FROM unnest(?::float8[]) WITH ORDINALITY AS u(v, i)"
                + " ORDER BY i")) {
      Array array = pg.createArrayOf("float8", values.toArray());
      ps.setArray(1, array);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pgTexts.add(rs.getString(1));
          pgBinaries.add(rs.getBytes(2));
        }
      }
    }
    assertThat(pgTexts).hasSize(values.size());
    for (int i = 0; i < values.size(); i++) {
      double d = values.get(i);
      assertThat(PgText.format(SqlType.DOUBLE, d)).as("%s", d).isEqualTo(pgTexts.get(i));
      assertThat(PgText.parse(SqlType.DOUBLE, pgTexts.get(i))).isEqualTo(d);
      assertThat(PgBinary.encode(SqlType.DOUBLE, d)).isEqualTo(pgBinaries.get(i));
    }
  }

  @Test
  void randomNumericsPrintAndEncodeAlike() throws Exception {
    Random random = new Random(42L);
    List<String> inputs = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      BigInteger unscaled = new BigInteger(1 + random.nextInt(200), random);
      if (random.nextBoolean()) {
        unscaled = unscaled.negate();
      }
      inputs.add(new BigDecimal(unscaled, random.nextInt(60) - 20).toString());
    }
    List<String> pgTexts = new ArrayList<>();
    List<byte[]> pgBinaries = new ArrayList<>();
    try (PreparedStatement ps =
        pg.prepareStatement(
            "SELECT v::numeric::text, numeric_send(v::numeric)"
                + " FROM unnest(?::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i")) {
      ps.setArray(1, pg.createArrayOf("text", inputs.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pgTexts.add(rs.getString(1));
          pgBinaries.add(rs.getBytes(2));
        }
      }
    }
    assertThat(pgTexts).hasSize(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      Object v = PgText.parse(SqlType.DECIMAL, inputs.get(i));
      assertThat(PgText.format(SqlType.DECIMAL, v)).as(inputs.get(i)).isEqualTo(pgTexts.get(i));
      assertThat(PgBinary.encode(SqlType.DECIMAL, v)).as(inputs.get(i))
          .isEqualTo(pgBinaries.get(i));
      assertThat(PgBinary.decode(SqlType.DECIMAL, pgBinaries.get(i))).isEqualTo(v);
    }
  }

  @Test
  void randomTimestampsPrintAndEncodeAlike() throws Exception {
    Random random = new Random(7L);
    List<LocalDateTime> values = new ArrayList<>();
    LocalDateTime min = LocalDateTime.of(-4712, 1, 1, 0, 0);
    long spanSeconds = java.time.Duration.between(min, LocalDateTime.of(9999, 12, 31, 0, 0))
        .getSeconds();
    for (int i = 0; i < 2000; i++) {
      long s = Math.floorMod(random.nextLong(), spanSeconds);
      int micros = random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000);
      values.add(min.plusSeconds(s).plusNanos(micros * 1000L));
    }
    List<String> texts = new ArrayList<>();
    for (LocalDateTime t : values) {
      texts.add(PgText.format(SqlType.TIMESTAMP, t));
    }
    List<String> pgTexts = new ArrayList<>();
    List<byte[]> pgBinaries = new ArrayList<>();
    try (PreparedStatement ps =
        pg.prepareStatement(
            "SELECT v::timestamp::text, timestamp_send(v::timestamp), v::date::text"
                + " FROM unnest(?::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i")) {
      ps.setArray(1, pg.createArrayOf("text", texts.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        int i = 0;
        while (rs.next()) {
          pgTexts.add(rs.getString(1));
          pgBinaries.add(rs.getBytes(2));
          assertThat(PgText.format(SqlType.DATE, values.get(i).toLocalDate()))
              .isEqualTo(rs.getString(3));
          i++;
        }
      }
    }
    assertThat(pgTexts).hasSize(values.size());
    for (int i = 0; i < values.size(); i++) {
      assertThat(texts.get(i)).isEqualTo(pgTexts.get(i));
      assertThat(PgText.parse(SqlType.TIMESTAMP, pgTexts.get(i))).isEqualTo(values.get(i));
      assertThat(PgBinary.encode(SqlType.TIMESTAMP, values.get(i))).isEqualTo(pgBinaries.get(i));
      assertThat(PgBinary.decode(SqlType.TIMESTAMP, pgBinaries.get(i))).isEqualTo(values.get(i));
    }
  }
}
