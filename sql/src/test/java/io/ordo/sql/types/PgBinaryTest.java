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
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * PgBinary's forms, byte for byte as PostgreSQL 15's send functions write them (hex built by
 * hand from the formats; PgTextParityIT compares with a live PostgreSQL), and round trips.
 */
class PgBinaryTest {
  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h.replace(" ", ""));
  }

  private static void assertEncodes(SqlType type, Object value, String expectedHex)
      throws SqlException {
    assertThat(HexFormat.of().formatHex(PgBinary.encode(type, value)))
        .as("%s %s", type, value)
        .isEqualTo(expectedHex.replace(" ", ""));
    Object back = PgBinary.decode(type, hex(expectedHex));
    if (value instanceof byte[]) {
      assertThat((byte[]) back).isEqualTo((byte[]) value);
    } else {
      assertThat(back).isEqualTo(value);
    }
  }

  @Test
  void fixedSizeTypes() throws Exception {
    assertEncodes(SqlType.BOOLEAN, true, "01");
    assertEncodes(SqlType.BOOLEAN, false, "00");
    assertEncodes(SqlType.SMALLINT, (short) -2, "fffe");
    assertEncodes(SqlType.INTEGER, 1, "00000001");
    assertEncodes(SqlType.BIGINT, Long.MIN_VALUE, "8000000000000000");
    assertEncodes(SqlType.DOUBLE, 1.0, "3ff0000000000000");
    assertEncodes(SqlType.DOUBLE, -0.0, "8000000000000000");
    assertEncodes(SqlType.OID, 4_294_967_295L, "ffffffff");
    // Any non-zero byte is true, as boolrecv reads it.
    assertThat(PgBinary.decode(SqlType.BOOLEAN, hex("07"))).isEqualTo(true);
  }

  @Test
  void numericIsBase10000Digits() throws Exception {
    // ndigits, weight, sign, dscale, then digits.
    assertEncodes(SqlType.DECIMAL, new BigDecimal("0"), "0000 0000 0000 0000");
    assertEncodes(SqlType.DECIMAL, new BigDecimal("0.00"), "0000 0000 0000 0002");
    assertEncodes(SqlType.DECIMAL, new BigDecimal("12.500"), "0002 0000 0000 0003 000c 1388");
    assertEncodes(SqlType.DECIMAL, new BigDecimal("-0.0001"), "0001 ffff 4000 0004 0001");
    assertEncodes(SqlType.DECIMAL, new BigDecimal("100000000"), "0001 0002 0000 0000 0001");
    assertEncodes(SqlType.DECIMAL, new BigDecimal("123456.789"),
        "0003 0001 0000 0003 000c 0d80 1ed2");
    // A negative BigDecimal scale is sent as dscale 0.
    assertThat(PgBinary.encode(SqlType.DECIMAL, new BigDecimal("1E+8")))
        .isEqualTo(hex("0001 0002 0000 0000 0001"));
    // numeric_recv truncates digits the dscale hides.
    assertThat(PgBinary.decode(SqlType.DECIMAL, hex("0002 0000 0000 0001 000c 1388")))
        .isEqualTo(new BigDecimal("12.5"));
    assertThat(PgBinary.decode(SqlType.DECIMAL, hex("0002 0000 0000 0000 000c 1388")))
        .isEqualTo(new BigDecimal("12"));
  }

  @Test
  void variableLengthAndTimeTypes() throws Exception {
    assertEncodes(SqlType.TEXT, "é", "c3a9");
    assertEncodes(SqlType.VARCHAR, "", "");
    assertEncodes(SqlType.BYTEA, new byte[] {0, (byte) 0xFF}, "00ff");
    assertEncodes(SqlType.DATE, LocalDate.of(2000, 1, 1), "00000000");
    assertEncodes(SqlType.DATE, LocalDate.of(1999, 12, 31), "ffffffff");
    assertEncodes(SqlType.TIMESTAMP, LocalDateTime.of(2000, 1, 1, 0, 0, 1), "00000000000f4240");
    assertEncodes(SqlType.TIMESTAMP, LocalDateTime.of(1999, 12, 31, 23, 59, 59, 999_999_000),
        "ffffffffffffffff");
    assertEncodes(SqlType.TIMESTAMPTZ,
        OffsetDateTime.of(2000, 1, 1, 0, 0, 0, 1000, ZoneOffset.UTC), "0000000000000001");
    // Another offset is the same instant in UTC.
    assertThat(PgBinary.encode(SqlType.TIMESTAMPTZ,
        OffsetDateTime.of(2000, 1, 1, 1, 0, 0, 1000, ZoneOffset.ofHours(1))))
        .isEqualTo(hex("0000000000000001"));
    assertEncodes(SqlType.JSONB, "{\"a\": 1}", "01 7b2261223a20317d");
  }

  @Test
  void catalogArrays() {
    assertThat(PgBinary.encode(SqlType.TEXT_ARRAY, java.util.Arrays.asList("a", null)))
        .isEqualTo(hex("00000001 00000001 00000019 00000002 00000001 00000001 61 ffffffff"));
    assertThat(PgBinary.encode(SqlType.TEXT_ARRAY, List.of()))
        .isEqualTo(hex("00000000 00000000 00000019"));
    assertThat(PgBinary.encode(SqlType.INT2VECTOR, new short[] {1, 2}))
        .isEqualTo(hex("00000001 00000000 00000015 00000002 00000000 00000002 0001 00000002 0002"));
    assertThat(PgBinary.canEncode(SqlType.UNKNOWN)).isFalse();
    assertThat(PgBinary.canDecode(SqlType.TEXT_ARRAY)).isFalse();
  }

  @Test
  void valuesOfTheWrongShapeAreEngineBugs() {
    assertThatThrownBy(() -> PgBinary.encode(SqlType.SMALLINT, 70_000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBinary.encode(SqlType.INTEGER, "1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBinary.encode(SqlType.DATE, LocalDateTime.MIN))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBinary.encode(SqlType.UNKNOWN, "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void assertDecodeError(SqlType type, String hex, String sqlState) {
    assertThatThrownBy(() -> PgBinary.decode(type, hex(hex)))
        .isInstanceOfSatisfying(
            SqlException.class, e -> assertThat(e.sqlState()).isEqualTo(sqlState));
  }

  @Test
  void badInput() {
    assertDecodeError(SqlType.INTEGER, "000001", "22P03");
    assertDecodeError(SqlType.BOOLEAN, "", "22P03");
    assertDecodeError(SqlType.DECIMAL, "0000 0000 c000 0000", "0A000"); // NaN
    assertDecodeError(SqlType.DECIMAL, "0001 0000 0000 0000 2710", "22P03"); // digit 10000
    assertDecodeError(SqlType.DECIMAL, "0002 0000 0000 0000 0001", "22P03"); // short
    assertDecodeError(SqlType.DECIMAL, "0001 0000 1234 0000 0001", "22P03"); // sign
    assertDecodeError(SqlType.TEXT, "c3", "22021");
    assertDecodeError(SqlType.TEXT, "6100", "22021");
    assertDecodeError(SqlType.TIMESTAMP, "7fffffffffffffff", "0A000");
    assertDecodeError(SqlType.DATE, "80000000", "0A000");
    assertDecodeError(SqlType.JSONB, "027b7d", "22P03");
    assertDecodeError(SqlType.JSONB, "017b", "22P02");
    assertDecodeError(SqlType.UNKNOWN, "61", "0A000");
  }

  @Test
  void randomValuesRoundTrip() throws Exception {
    Random r = new Random(5);
    for (int i = 0; i < 5000; i++) {
      BigDecimal n = new BigDecimal(new BigInteger(r.nextInt(400) + 1, r), r.nextInt(200) - 50);
      if (r.nextBoolean()) {
        n = n.negate();
      }
      BigDecimal expected = n.scale() < 0 ? n.setScale(0) : n;
      assertThat(PgBinary.decode(SqlType.DECIMAL, PgBinary.encode(SqlType.DECIMAL, n)))
          .isEqualTo(expected);
      LocalDateTime t = LocalDateTime.of(-4712, 1, 1, 0, 0)
          .plusSeconds(Math.floorMod(r.nextLong(), 9_300_000_000_000L))
          .plusNanos(r.nextInt(1_000_000) * 1000L);
      assertThat(PgBinary.decode(SqlType.TIMESTAMP, PgBinary.encode(SqlType.TIMESTAMP, t)))
          .isEqualTo(t);
      assertThat(PgBinary.decode(SqlType.DATE, PgBinary.encode(SqlType.DATE, t.toLocalDate())))
          .isEqualTo(t.toLocalDate());
      double d = Double.longBitsToDouble(r.nextLong());
      assertThat(PgBinary.decode(SqlType.DOUBLE, PgBinary.encode(SqlType.DOUBLE, d)))
          .isEqualTo(d);
    }
  }
}
