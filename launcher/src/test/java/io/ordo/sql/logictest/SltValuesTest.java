package io.ordo.sql.logictest;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SltValuesTest {

  @Test
  void nullsEmptyStringsAndControlCharacters() {
    assertThat(SltValues.format(null, 'T')).isEqualTo("NULL");
    assertThat(SltValues.format(null, 'I')).isEqualTo("NULL");
    assertThat(SltValues.format("", 'T')).isEqualTo("(empty)");
    assertThat(SltValues.format("a\nb\tc", 'T')).isEqualTo("a@b@c");
    assertThat(SltValues.format("héllo", 'T')).isEqualTo("héllo");
  }

  @Test
  void integersFromEveryNumericShape() {
    assertThat(SltValues.format((short) -3, 'I')).isEqualTo("-3");
    assertThat(SltValues.format(42, 'I')).isEqualTo("42");
    assertThat(SltValues.format(9_000_000_000L, 'I')).isEqualTo("9000000000");
    assertThat(SltValues.format(new BigDecimal("7.00"), 'I')).isEqualTo("7");
    assertThat(SltValues.format(new BigDecimal("1E+2"), 'I')).isEqualTo("100");
    assertThat(SltValues.format(3.0, 'I')).isEqualTo("3");
    // Not integral: printed as is, so the comparison fails instead of truncating.
    assertThat(SltValues.format(new BigDecimal("2.5"), 'I')).isEqualTo("2.5");
    assertThat(SltValues.format(2.5, 'I')).isEqualTo("2.5");
  }

  @Test
  void realsWithThreeDecimals() {
    assertThat(SltValues.format(2.5, 'R')).isEqualTo("2.500");
    assertThat(SltValues.format(1.0 / 3, 'R')).isEqualTo("0.333");
    assertThat(SltValues.format(new BigDecimal("2.0005"), 'R')).isEqualTo("2.001");
    assertThat(SltValues.format(new BigDecimal("-0.0001"), 'R')).isEqualTo("0.000");
    assertThat(SltValues.format(7, 'R')).isEqualTo("7.000");
    assertThat(SltValues.format(Double.NaN, 'R')).isEqualTo("NaN");
  }

  @Test
  void booleans() {
    assertThat(SltValues.format(true, 'B')).isEqualTo("t");
    assertThat(SltValues.format(false, 'B')).isEqualTo("f");
    assertThat(SltValues.format(false, 'T')).isEqualTo("f");
  }

  @Test
  void textOfEveryShapeAsPostgresqlPrintsIt() {
    assertThat(SltValues.format(new BigDecimal("12.50"), 'T')).isEqualTo("12.50");
    assertThat(SltValues.format(new byte[] {0, (byte) 0xab, 0x10}, 'T')).isEqualTo("\\x00ab10");
    assertThat(SltValues.format(new byte[0], 'T')).isEqualTo("\\x");
    assertThat(SltValues.format(LocalDate.of(2024, 2, 29), 'T')).isEqualTo("2024-02-29");
    assertThat(SltValues.format(LocalDateTime.of(2024, 1, 2, 3, 4, 5), 'T'))
        .isEqualTo("2024-01-02 03:04:05");
    assertThat(SltValues.format(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 120_000_000), 'T'))
        .isEqualTo("2024-01-02 03:04:05.12");
    assertThat(
            SltValues.format(
                OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 1_000_000, ZoneOffset.ofHours(2)), 'T'))
        .isEqualTo("2024-01-02 01:04:05.001+00");
    assertThat(SltValues.format("{\"a\": 1}", 'T')).isEqualTo("{\"a\": 1}");
  }

  @Test
  void doublesAsFloat8Out() {
    assertThat(SltValues.float8(3.0)).isEqualTo("3");
    assertThat(SltValues.float8(0.1)).isEqualTo("0.1");
    assertThat(SltValues.float8(-2.5)).isEqualTo("-2.5");
    assertThat(SltValues.float8(1e15)).isEqualTo("1e+15");
    assertThat(SltValues.float8(123456789012345.0)).isEqualTo("123456789012345");
    assertThat(SltValues.float8(0.0001)).isEqualTo("0.0001");
    assertThat(SltValues.float8(0.00001234)).isEqualTo("1.234e-05");
    assertThat(SltValues.float8(-0.0)).isEqualTo("-0");
    assertThat(SltValues.float8(Double.POSITIVE_INFINITY)).isEqualTo("Infinity");
  }

  @Test
  void md5OfValuesEachFollowedByANewline() {
    // md5("1\n2\n") computed independently: printf '1\n2\n' | md5sum
    assertThat(SltValues.md5(List.of("1", "2"))).isEqualTo("6ddb4095eb719e2a9f0a3f95677d24e0");
  }
}
