package io.ordo.sql.logictest;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

/**
 * Prints result values as sqllogictest compares them, from the Java shapes of {@link
 * io.ordo.sql.SqlType} (Boolean, Short, Integer, Long, Double, BigDecimal, String, byte[],
 * LocalDate, LocalDateTime, OffsetDateTime; null for SQL NULL), so that an Ordo session and a JDBC
 * connection print the same value the same way.
 *
 * <p>By the column's type letter: {@code I} an integer (an integral DECIMAL or DOUBLE too), {@code
 * R} a number with exactly 3 decimals (rounded half up), {@code B} {@code t}/{@code f}, {@code T}
 * PostgreSQL's text output with its defaults (DateStyle ISO, TimeZone UTC, bytea_output hex,
 * extra_float_digits 1). SQL NULL prints {@code NULL}, an empty string {@code (empty)}, and control
 * characters print as {@code @} so that one value stays one line (as in the original format).
 */
final class SltValues {
  private SltValues() {}

  /** The printed form of {@code value} in a column of type letter {@code type}. */
  static String format(Object value, char type) {
    if (value == null) {
      return "NULL";
    }
    String s = switch (type) {
      case 'I' -> integer(value);
      case 'R' -> real(value);
      case 'B' -> value instanceof Boolean b ? (b ? "t" : "f") : text(value);
      case 'T' -> text(value);
      default -> throw new IllegalArgumentException("unknown type letter " + type);
    };
    if (s.isEmpty()) {
      return "(empty)";
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(c < ' ' || c == 0x7f ? '@' : c);
    }
    return out.toString();
  }

  /**
   * The original format's hash of a result: MD5 over every printed value followed by a newline,
   * in lower-case hex.
   */
  static String md5(List<String> values) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      for (String v : values) {
        md.update(v.getBytes(StandardCharsets.UTF_8));
        md.update((byte) '\n');
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is a required JDK algorithm", e);
    }
  }

  private static String integer(Object v) {
    if (v instanceof Short || v instanceof Integer || v instanceof Long) {
      return v.toString();
    }
    if (v instanceof BigDecimal d) {
      BigDecimal stripped = d.stripTrailingZeros();
      return stripped.scale() <= 0 ? stripped.toBigInteger().toString() : d.toPlainString();
    }
    if (v instanceof Double d && !d.isNaN() && !d.isInfinite() && d == Math.rint(d)
        && Math.abs(d) < 1e18) {
      return Long.toString(d.longValue());
    }
    return text(v);
  }

  private static String real(Object v) {
    BigDecimal d;
    if (v instanceof BigDecimal b) {
      d = b;
    } else if (v instanceof Double x && !x.isNaN() && !x.isInfinite()) {
      d = new BigDecimal(Double.toString(x));
    } else if (v instanceof Short || v instanceof Integer || v instanceof Long) {
      d = BigDecimal.valueOf(((Number) v).longValue());
    } else {
      return text(v);
    }
    BigDecimal r = d.setScale(3, RoundingMode.HALF_UP);
    return r.signum() == 0 ? "0.000" : r.toPlainString();
  }

  /** PostgreSQL's text output of a value (with the defaults named in the class comment). */
  static String text(Object v) {
    if (v instanceof Boolean b) {
      return b ? "t" : "f";
    }
    if (v instanceof Double d) {
      return float8(d);
    }
    if (v instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (v instanceof byte[] bytes) {
      return "\\x" + HexFormat.of().formatHex(bytes);
    }
    if (v instanceof LocalDate d) {
      return d.toString();
    }
    if (v instanceof LocalDateTime t) {
      return t.toLocalDate() + " " + time(t.toLocalTime());
    }
    if (v instanceof OffsetDateTime t) {
      LocalDateTime utc = t.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
      return utc.toLocalDate() + " " + time(utc.toLocalTime()) + "+00";
    }
    return v.toString();
  }

  /** hh:mm:ss with the fraction's trailing zeros dropped, as PostgreSQL prints times. */
  private static String time(LocalTime t) {
    String s = String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
    if (t.getNano() == 0) {
      return s;
    }
    String frac = String.format("%09d", t.getNano()).replaceAll("0+$", "");
    return s + "." + frac;
  }

  /**
   * float8out: the shortest text that reads back to the same double; positional notation for
   * decimal exponents -4..14, else {@code d.ddde+XX}.
   */
  static String float8(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0" : "0";
    }
    // Double.toString gives the shortest digits that read back to the same double (JDK 19+
    // exactly; JDK 17 may add a digit in rare cases).
    BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    int exponent = b.precision() - b.scale() - 1;
    if (exponent >= -4 && exponent < 15) {
      return b.toPlainString();
    }
    String digits = b.unscaledValue().abs().toString();
    StringBuilder s = new StringBuilder();
    if (b.signum() < 0) {
      s.append('-');
    }
    s.append(digits.charAt(0));
    if (digits.length() > 1) {
      s.append('.').append(digits, 1, digits.length());
    }
    s.append('e').append(exponent < 0 ? '-' : '+');
    int abs = Math.abs(exponent);
    s.append(abs < 10 ? "0" : "").append(abs);
    return s.toString();
  }
}
