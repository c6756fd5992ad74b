package io.ordo.sql.types;

import com.fasterxml.jackson.core.io.NumberOutput;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL's text forms of Ordo's SQL values (what PostgreSQL 15's type output and input
 * functions produce and accept with {@code DateStyle = 'ISO, MDY'}, {@code TimeZone = 'UTC'},
 * {@code extra_float_digits >= 1}), used by the wire protocol's text format, the REST layer and
 * the engine's casts from text.
 *
 * <p>Java shapes are those of {@link SqlType}; for the catalog types: NAME and CHAR {@link
 * String}, OID {@link Long} (any {@link Number} is accepted by {@link #format}), INT2VECTOR a
 * {@link List} of {@link Short} (format also takes {@code short[]} and any list of numbers),
 * TEXT_ARRAY a {@link List} of {@link String} (elements may be null; format also takes {@code
 * String[]}). UNKNOWN values are their text.
 *
 * <p>Errors are PostgreSQL's, message included: 22P02 for malformed text of a type, 22003 for a
 * number out of its type's range, 22007/22008/22009 for malformed or out-of-range dates,
 * timestamps and zone offsets, 22023 for bad bytea hex digits, 22021 for text that cannot be
 * stored (NUL), 22P05 for an escaped NUL in JSON, 0A000 for forms Ordo does not represent
 * (numeric NaN and infinities, infinite dates and timestamps, date words such as {@code today}
 * are refused as 22007). Thread-safe; no state.
 */
public final class PgText {
  private PgText() {}

  /** SQLSTATE invalid_datetime_format, PostgreSQL's code for malformed date/time text. */
  static final String INVALID_DATETIME_FORMAT = "22007";
  /** SQLSTATE datetime_field_overflow, for dates and times outside their fields or range. */
  static final String DATETIME_FIELD_OVERFLOW = "22008";
  /** SQLSTATE invalid_time_zone_displacement_value. */
  static final String INVALID_TIME_ZONE_DISPLACEMENT = "22009";
  /** SQLSTATE character_not_in_repertoire, for NUL in text (PostgreSQL cannot store it). */
  static final String CHARACTER_NOT_IN_REPERTOIRE = "22021";

  /** PostgreSQL numeric's limits: digits before the decimal point and after it (dscale). */
  static final int NUMERIC_MAX_INTEGER_DIGITS = 131_072;
  static final int NUMERIC_MAX_DSCALE = 16_383;

  /**
   * PostgreSQL's ranges: dates and timestamps from 4714-11-24 BC (Julian day 0; year -4713 in
   * ISO numbering), dates to 5874897-12-31, timestamps to 294276-12-31 23:59:59.999999.
   */
  static final LocalDate MIN_DATE = LocalDate.of(-4713, 11, 24);
  static final LocalDate MAX_DATE = LocalDate.of(5_874_897, 12, 31);
  static final LocalDateTime MIN_TIMESTAMP = MIN_DATE.atStartOfDay();
  static final LocalDateTime END_TIMESTAMP = LocalDate.of(294_277, 1, 1).atStartOfDay();

  /** Whether {@code d} is a PostgreSQL date. */
  static boolean inDateRange(LocalDate d) {
    return !d.isBefore(MIN_DATE) && !d.isAfter(MAX_DATE);
  }

  /** Whether {@code t} is a PostgreSQL timestamp. */
  static boolean inTimestampRange(LocalDateTime t) {
    return !t.isBefore(MIN_TIMESTAMP) && t.isBefore(END_TIMESTAMP);
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  // ---------------------------------------------------------------------------------- output

  /**
   * The text PostgreSQL's output function gives for {@code value} of {@code type}, or null for
   * SQL NULL.
   *
   * @throws IllegalArgumentException when {@code value} does not have the Java shape of {@code
   *     type} (an engine bug, not a client error)
   */
  public static String format(SqlType type, Object value) {
    if (value == null) {
      return null;
    }
    try {
      switch (type) {
        case BOOLEAN:
          return ((Boolean) value) ? "t" : "f";
        case SMALLINT:
        case INTEGER:
        case BIGINT:
          return Long.toString(integral(value));
        case DOUBLE:
          return formatDouble(((Number) value).doubleValue());
        case DECIMAL:
          return formatDecimal((BigDecimal) value);
        case VARCHAR:
        case TEXT:
        case JSONB:
        case NAME:
        case CHAR:
        case UNKNOWN:
          return (String) value;
        case BYTEA:
          return formatBytea((byte[]) value);
        case DATE:
          return formatDate((LocalDate) value);
        case TIMESTAMP:
          return formatTimestamp(roundToMicros((LocalDateTime) value), null);
        case TIMESTAMPTZ:
          return formatTimestamp(
              roundToMicros(
                  ((OffsetDateTime) value).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime()),
              "+00");
        case OID:
          return Long.toString(((Number) value).longValue() & 0xFFFF_FFFFL);
        case INT2VECTOR:
          return formatInt2Vector(value);
        case TEXT_ARRAY:
          return formatTextArray(value);
        default:
          throw new IllegalArgumentException("no text form for type " + type);
      }
    } catch (ClassCastException e) {
      throw new IllegalArgumentException(
          "a " + type + " value cannot be a " + value.getClass().getName(), e);
    }
  }

  private static long integral(Object value) {
    if (value instanceof Long || value instanceof Integer || value instanceof Short
        || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    throw new ClassCastException(value.getClass().getName());
  }

  /**
   * PostgreSQL's float8out with extra_float_digits &gt; 0 (its Ryu code): the shortest decimal
   * strictly between the midpoints to the neighbouring doubles (so it reads back as the same
   * double whatever the reader does with ties), the nearest such one; fixed notation for decimal
   * exponents -4..14, else {@code d.ddde+XX}.
   */
  static String formatDouble(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    if (v == 0) {
      return (Double.doubleToRawLongBits(v) < 0) ? "-0" : "0";
    }
    BigDecimal shortest = shortestDecimal(Math.abs(v));
    String digits = shortest.unscaledValue().toString();
    int exponent = digits.length() - 1 - shortest.scale();
    if (exponent >= -4 && exponent < 15) {
      return (v < 0 ? "-" : "") + shortest.toPlainString();
    }
    StringBuilder sb = new StringBuilder(digits.length() + 8);
    if (v < 0) {
      sb.append('-');
    }
    sb.append(digits.charAt(0));
    if (digits.length() > 1) {
      sb.append('.').append(digits, 1, digits.length());
    }
    sb.append('e').append(exponent < 0 ? '-' : '+');
    int abs = Math.abs(exponent);
    if (abs < 10) {
      sb.append('0');
    }
    return sb.append(abs).toString();
  }

  private static final BigDecimal HALF = new BigDecimal("0.5");

  /** 2^53: below it, midpoints between doubles have more significant digits than any double. */
  private static final double TWO_TO_53 = 0x1p53;

  /** The shortest decimal strictly inside {@code a}'s rounding interval, the nearest to it. */
  private static BigDecimal shortestDecimal(double a) {
    // Jackson's Schubfach gives the shortest decimal with the interval's bounds included when the
    // significand is even, the nearest one, and at least two digits.
    BigDecimal hint = new BigDecimal(NumberOutput.toString(a, true)).stripTrailingZeros();
    if (hint.precision() >= 3 && a < TWO_TO_53) {
      // Three digits or more: it is the true shortest. Below 2^53 a midpoint cannot have 17
      // digits or fewer, so it cannot sit on an (excluded) bound: PostgreSQL's answer too.
      return hint;
    }
    BigDecimal exact = new BigDecimal(a);
    BigDecimal upper =
        Double.isInfinite(Math.nextUp(a))
            ? exact.add(new BigDecimal(Math.ulp(a)).multiply(HALF))
            : exact.add(new BigDecimal(Math.nextUp(a))).multiply(HALF);
    BigDecimal lower = exact.add(new BigDecimal(Math.nextDown(a))).multiply(HALF);
    if (hint.precision() >= 3 && hint.compareTo(lower) > 0 && hint.compareTo(upper) < 0) {
      return hint; // not on a bound
    }
    // The answer has at most one digit fewer than the hint (whose minimum is two digits).
    int start = Math.max(1, hint.precision() - 1);
    for (int n = start; n <= 17; n++) {
      BigDecimal down = exact.round(new java.math.MathContext(n, RoundingMode.DOWN));
      BigDecimal up = exact.round(new java.math.MathContext(n, RoundingMode.UP));
      boolean downInside = down.compareTo(lower) > 0;
      boolean upInside = up.compareTo(upper) < 0;
      BigDecimal pick;
      if (downInside && upInside) {
        // The nearer one; on an exact tie the even one, as Ryu does.
        int c = exact.subtract(down).compareTo(up.subtract(exact));
        pick = c < 0 ? down : c > 0 ? up : (down.unscaledValue().testBit(0) ? up : down);
      } else if (downInside) {
        pick = down;
      } else if (upInside) {
        pick = up;
      } else {
        continue;
      }
      return pick.stripTrailingZeros();
    }
    return exact.round(new java.math.MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
  }

  private static String formatDecimal(BigDecimal v) {
    return (v.scale() < 0 ? v.setScale(0) : v).toPlainString();
  }

  private static String formatBytea(byte[] bytes) {
    StringBuilder sb = new StringBuilder(2 + bytes.length * 2);
    sb.append("\\x");
    for (byte b : bytes) {
      sb.append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
    }
    return sb.toString();
  }

  private static void appendYearMonthDay(StringBuilder sb, LocalDate d) {
    int year = d.getYear();
    int shown = year > 0 ? year : 1 - year; // year 0 is 1 BC
    if (shown < 1000) {
      sb.append(String.format(Locale.ROOT, "%04d", shown));
    } else {
      sb.append(shown);
    }
    sb.append('-');
    pad2(sb, d.getMonthValue());
    sb.append('-');
    pad2(sb, d.getDayOfMonth());
  }

  private static void pad2(StringBuilder sb, int v) {
    if (v < 10) {
      sb.append('0');
    }
    sb.append(v);
  }

  private static String formatDate(LocalDate d) {
    StringBuilder sb = new StringBuilder(16);
    appendYearMonthDay(sb, d);
    if (d.getYear() <= 0) {
      sb.append(" BC");
    }
    return sb.toString();
  }

  private static String formatTimestamp(LocalDateTime t, String zone) {
    StringBuilder sb = new StringBuilder(40);
    appendYearMonthDay(sb, t.toLocalDate());
    sb.append(' ');
    pad2(sb, t.getHour());
    sb.append(':');
    pad2(sb, t.getMinute());
    sb.append(':');
    pad2(sb, t.getSecond());
    int micros = t.getNano() / 1000;
    if (micros != 0) {
      String frac = String.format(Locale.ROOT, "%06d", micros);
      int end = frac.length();
      while (frac.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(frac, 0, end);
    }
    if (zone != null) {
      sb.append(zone);
    }
    if (t.getYear() <= 0) {
      sb.append(" BC");
    }
    return sb.toString();
  }

  /**
   * Rounds to PostgreSQL's microsecond resolution, half to even (as PostgreSQL rounds fractional
   * seconds).
   */
  static LocalDateTime roundToMicros(LocalDateTime t) {
    int nanos = t.getNano();
    int rest = nanos % 1000;
    if (rest == 0) {
      return t;
    }
    LocalDateTime down = t.minusNanos(rest);
    int micros = nanos / 1000;
    boolean up = rest > 500 || (rest == 500 && (micros & 1) == 1);
    return up ? down.plusNanos(1000) : down;
  }

  private static String formatInt2Vector(Object value) {
    StringBuilder sb = new StringBuilder();
    if (value instanceof short[]) {
      for (short s : (short[]) value) {
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append(s);
      }
      return sb.toString();
    }
    for (Object o : (List<?>) value) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(integral(o));
    }
    return sb.toString();
  }

  private static String formatTextArray(Object value) {
    List<?> elements = value instanceof String[] ? List.of((Object[]) value) : (List<?>) value;
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Object o : elements) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      if (o == null) {
        sb.append("NULL");
        continue;
      }
      String s = (String) o;
      if (needsArrayQuotes(s)) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
          char c = s.charAt(i);
          if (c == '"' || c == '\\') {
            sb.append('\\');
          }
          sb.append(c);
        }
        sb.append('"');
      } else {
        sb.append(s);
      }
    }
    return sb.append('}').toString();
  }

  /** array_out's rule: quote empty strings, NULL, and text with delimiters, quotes or spaces. */
  private static boolean needsArrayQuotes(String s) {
    if (s.isEmpty() || s.equalsIgnoreCase("NULL")) {
      return true;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || isArraySpace(c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isArraySpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u000B' || c == '\f';
  }

  // ----------------------------------------------------------------------------------- input

  /**
   * The value PostgreSQL's input function reads from {@code text} for {@code type}, in the Java
   * shape of {@link SqlType}. {@code text} must not be null (SQL NULL has no text form).
   *
   * @throws SqlException 22P02 {@code invalid input syntax for type integer: "x"} and the like,
   *     22003 {@code value "x" is out of range for type integer}, 22007/22008 for dates and
   *     timestamps, 22021 for NUL in text, 22P05 for an escaped NUL (backslash u0000) in JSON, 0A000 for values
   *     Ordo does not represent, 54000 for JSON nested too deeply
   */
  public static Object parse(SqlType type, String text) throws SqlException {
    switch (type) {
      case BOOLEAN:
        return parseBoolean(text);
      case SMALLINT:
        return (short) parseIntegral(text, Short.MIN_VALUE, Short.MAX_VALUE, "smallint");
      case INTEGER:
        return (int) parseIntegral(text, Integer.MIN_VALUE, Integer.MAX_VALUE, "integer");
      case BIGINT:
        return parseIntegral(text, Long.MIN_VALUE, Long.MAX_VALUE, "bigint");
      case DOUBLE:
        return parseDouble(text);
      case DECIMAL:
        return parseDecimal(text, "numeric");
      case VARCHAR:
      case TEXT:
      case NAME:
      case UNKNOWN:
        return checkText(text);
      case CHAR:
        // "char" keeps the first byte; Ordo keeps the first character.
        return checkText(text).isEmpty() ? "" : text.substring(0, text.offsetByCodePoints(0, 1));
      case BYTEA:
        return parseBytea(text);
      case DATE:
        return parseDate(text);
      case TIMESTAMP:
        return parseTimestamp(text, false);
      case TIMESTAMPTZ:
        return parseTimestamp(text, true);
      case JSONB:
        return PgJson.normalize(text);
      case OID:
        return parseIntegral(text, 0, 0xFFFF_FFFFL, "oid");
      case INT2VECTOR:
        return parseInt2Vector(text);
      case TEXT_ARRAY:
        return parseTextArray(text);
      default:
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED, "no input function for type " + type.pgName());
    }
  }

  static SqlException invalidSyntax(String typeName, String text) {
    return new SqlException(
        SqlState.INVALID_TEXT_REPRESENTATION,
        "invalid input syntax for type " + typeName + ": \"" + text + "\"");
  }

  static String checkText(String text) throws SqlException {
    if (text.indexOf('\0') >= 0) {
      throw new SqlException(
          CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\": 0x00");
    }
    return text;
  }

  /** PostgreSQL's isspace: the C locale's white space. */
  static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u000B' || c == '\f';
  }

  static String trim(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  /** boolin: t/true/yes/on/1 and f/false/no/off/0, case-insensitive, and unique prefixes. */
  private static Boolean parseBoolean(String text) throws SqlException {
    String v = trim(text).toLowerCase(Locale.ROOT);
    if (!v.isEmpty()) {
      switch (v.charAt(0)) {
        case 't':
          if ("true".startsWith(v)) {
            return true;
          }
          break;
        case 'f':
          if ("false".startsWith(v)) {
            return false;
          }
          break;
        case 'y':
          if ("yes".startsWith(v)) {
            return true;
          }
          break;
        case 'n':
          if ("no".startsWith(v)) {
            return false;
          }
          break;
        case 'o':
          // "o" alone is ambiguous: on and off need two letters.
          if (v.length() >= 2 && "on".startsWith(v)) {
            return true;
          }
          if (v.length() >= 2 && "off".startsWith(v)) {
            return false;
          }
          break;
        case '1':
          if (v.length() == 1) {
            return true;
          }
          break;
        case '0':
          if (v.length() == 1) {
            return false;
          }
          break;
        default:
          break;
      }
    }
    throw invalidSyntax("boolean", text);
  }

  /** int2in/int4in/int8in: optional white space and sign around decimal digits. */
  private static long parseIntegral(String text, long min, long max, String typeName)
      throws SqlException {
    String v = trim(text);
    int i = 0;
    boolean negative = false;
    if (!v.isEmpty() && (v.charAt(0) == '+' || v.charAt(0) == '-')) {
      negative = v.charAt(0) == '-';
      i = 1;
    }
    if (i == v.length()) {
      throw invalidSyntax(typeName, text);
    }
    for (int j = i; j < v.length(); j++) {
      char c = v.charAt(j);
      if (c < '0' || c > '9') {
        throw invalidSyntax(typeName, text);
      }
    }
    // Digits only from here on: BigInteger cannot fail and holds any length.
    BigInteger n = new BigInteger(v.substring(i));
    if (negative) {
      n = n.negate();
    }
    if (n.bitLength() > 63 || n.longValue() < min || n.longValue() > max) {
      throw new SqlException(
          SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
          "value \"" + text + "\" is out of range for type " + typeName);
    }
    return n.longValue();
  }

  private static final Pattern DECIMAL_NUMBER =
      Pattern.compile("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE]([+-]?[0-9]+))?");

  /** float8in: decimal numbers, NaN and the infinities; 22003 when the value leaves double. */
  private static Double parseDouble(String text) throws SqlException {
    String v = trim(text);
    String lower = v.toLowerCase(Locale.ROOT);
    String unsigned = lower.startsWith("+") || lower.startsWith("-") ? lower.substring(1) : lower;
    if (unsigned.equals("infinity") || unsigned.equals("inf")) {
      return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (lower.equals("nan")) {
      return Double.NaN;
    }
    if (!DECIMAL_NUMBER.matcher(v).matches()) {
      throw invalidSyntax("double precision", text);
    }
    double d = Double.parseDouble(v);
    boolean nonZeroDigits = false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == 'e' || c == 'E') {
        break;
      }
      if (c >= '1' && c <= '9') {
        nonZeroDigits = true;
        break;
      }
    }
    if (Double.isInfinite(d) || (d == 0 && nonZeroDigits)) {
      throw new SqlException(
          SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
          "\"" + v + "\" is out of range for type double precision");
    }
    return d;
  }

  /**
   * numeric_in: a decimal number with an optional exponent; the result's scale is the digits
   * after the point less the exponent, never negative (so {@code 1e5} is {@code 100000} and
   * {@code 1.50} keeps its zero); at most 131072 digits before the point and 16383 after (22003).
   */
  static BigDecimal parseDecimal(String text, String typeName) throws SqlException {
    String v = trim(text);
    String lower = v.toLowerCase(Locale.ROOT);
    String unsigned = lower.startsWith("+") || lower.startsWith("-") ? lower.substring(1) : lower;
    if (lower.equals("nan") || unsigned.equals("infinity") || unsigned.equals("inf")) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED, "numeric NaN and infinity are not supported");
    }
    if (!DECIMAL_NUMBER.matcher(v).matches()) {
      throw invalidSyntax(typeName, text);
    }
    BigDecimal d;
    try {
      d = new BigDecimal(v);
    } catch (NumberFormatException e) {
      // Only an exponent beyond int can fail here: far outside numeric's range.
      throw new SqlException(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
    }
    checkNumericRange(d); // before setScale: 1e999999999 must not be expanded
    return d.scale() < 0 ? d.setScale(0) : d;
  }

  static BigDecimal checkNumericRange(BigDecimal d) throws SqlException {
    if (d.signum() != 0 && ((long) d.precision() - d.scale() > NUMERIC_MAX_INTEGER_DIGITS)
        || d.scale() > NUMERIC_MAX_DSCALE) {
      throw new SqlException(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
    }
    return d;
  }

  /** byteain: {@code \x} followed by hex pairs (white space between pairs), or escape format. */
  private static byte[] parseBytea(String text) throws SqlException {
    if (text.startsWith("\\x")) {
      byte[] out = new byte[(text.length() - 2) / 2];
      int n = 0;
      int i = 2;
      while (i < text.length()) {
        char c = text.charAt(i);
        if (isSpace(c)) {
          i++;
          continue;
        }
        int hi = hexDigit(c);
        if (i + 1 >= text.length()) {
          throw new SqlException(
              SqlState.INVALID_PARAMETER_VALUE, "invalid hexadecimal data: odd number of digits");
        }
        int lo = hexDigit(text.charAt(i + 1));
        out[n++] = (byte) ((hi << 4) | lo);
        i += 2;
      }
      return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }
    byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(utf8.length);
    int i = 0;
    while (i < utf8.length) {
      byte b = utf8[i];
      if (b != '\\') {
        out.write(b);
        i++;
      } else if (i + 1 < utf8.length && utf8[i + 1] == '\\') {
        out.write('\\');
        i += 2;
      } else if (i + 3 < utf8.length
          && utf8[i + 1] >= '0' && utf8[i + 1] <= '3'
          && utf8[i + 2] >= '0' && utf8[i + 2] <= '7'
          && utf8[i + 3] >= '0' && utf8[i + 3] <= '7') {
        out.write(((utf8[i + 1] - '0') << 6) | ((utf8[i + 2] - '0') << 3) | (utf8[i + 3] - '0'));
        i += 4;
      } else {
        throw new SqlException(
            SqlState.INVALID_TEXT_REPRESENTATION, "invalid input syntax for type bytea");
      }
    }
    return out.toByteArray();
  }

  private static int hexDigit(char c) throws SqlException {
    int d = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
        ? Character.digit(c, 16) : -1;
    if (d < 0) {
      throw new SqlException(
          SqlState.INVALID_PARAMETER_VALUE,
          "invalid hexadecimal digit: \"" + new String(Character.toChars(c)) + "\"");
    }
    return d;
  }

  private static final Pattern TIMESTAMP =
      Pattern.compile(
          "([0-9]{1,7})-([0-9]{1,2})-([0-9]{1,2})"
              + "(?:(?:[Tt]|[ ]+)([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\\.([0-9]*))?)?)?"
              + "[ ]*(Z|UTC|GMT|[+-][0-9]{1,2}(?::?[0-9]{2}(?::?[0-9]{2})?)?)?"
              + "(?:[ ]+(BC|AD))?",
          Pattern.CASE_INSENSITIVE);

  /**
   * date_in for ISO forms: {@code YYYY-MM-DD} with an optional time and zone, which are checked
   * and then dropped (as PostgreSQL does; pgjdbc sends dates as {@code 2026-12-06 +01}), and an
   * optional {@code BC}.
   */
  private static LocalDate parseDate(String text) throws SqlException {
    Matcher m = TIMESTAMP.matcher(trim(text));
    if (!m.matches()) {
      throw dateTimeSyntax("date", text);
    }
    LocalDate d = toDate(m.group(1), m.group(2), m.group(3), m.group(9), text);
    timeOfDay(m, text);
    if (m.group(8) != null) {
      zoneSeconds(m.group(8), text);
    }
    if (!inDateRange(d)) {
      throw new SqlException(DATETIME_FIELD_OVERFLOW, "date out of range: \"" + text + "\"");
    }
    return d;
  }

  private static SqlException dateTimeSyntax(String typeName, String text) {
    return new SqlException(
        INVALID_DATETIME_FORMAT, "invalid input syntax for type " + typeName + ": \"" + text + "\"");
  }

  private static SqlException fieldOutOfRange(String text) {
    return new SqlException(
        DATETIME_FIELD_OVERFLOW, "date/time field value out of range: \"" + text + "\"");
  }

  private static LocalDate toDate(String y, String mo, String d, String era, String text)
      throws SqlException {
    int year = Integer.parseInt(y);
    int month = Integer.parseInt(mo);
    int day = Integer.parseInt(d);
    if (year == 0 || month < 1 || month > 12 || day < 1) {
      throw fieldOutOfRange(text);
    }
    if (era != null && era.equalsIgnoreCase("BC")) {
      year = 1 - year;
    }
    try {
      return LocalDate.of(year, month, day);
    } catch (java.time.DateTimeException e) {
      throw fieldOutOfRange(text);
    }
  }

  /**
   * timestamp_in/timestamptz_in for ISO forms: {@code YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][zone][
   * BC]}, zone {@code Z}, {@code UTC}, {@code GMT} or {@code ±HH[[:]MM[[:]SS]]}. Fractions are
   * rounded to microseconds as PostgreSQL does. Without time zone a given zone is ignored (as in
   * PostgreSQL); with time zone, text without a zone is in UTC and the result is in UTC.
   */
  private static Object parseTimestamp(String text, boolean withZone) throws SqlException {
    String typeName = withZone ? "timestamp with time zone" : "timestamp";
    Matcher m = TIMESTAMP.matcher(trim(text));
    if (!m.matches()) {
      throw dateTimeSyntax(typeName, text);
    }
    LocalDate date = toDate(m.group(1), m.group(2), m.group(3), m.group(9), text);
    LocalDateTime t = date.atTime(LocalTime.MIDNIGHT).plus(timeOfDay(m, text), ChronoUnit.MICROS);
    if (m.group(8) != null) {
      int zone = zoneSeconds(m.group(8), text); // checked even where it is then ignored
      if (withZone) {
        t = t.minusSeconds(zone);
      }
    }
    if (!inTimestampRange(t)) {
      throw new SqlException(
          DATETIME_FIELD_OVERFLOW, "timestamp out of range: \"" + text + "\"");
    }
    return withZone ? t.atOffset(ZoneOffset.UTC) : t;
  }

  /** The time fields of a TIMESTAMP match in microseconds since midnight (24:00:00 allowed). */
  private static long timeOfDay(Matcher m, String text) throws SqlException {
    int hour = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
    int minute = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
    int second = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
    long micros = 0;
    if (m.group(7) != null && !m.group(7).isEmpty()) {
      // PostgreSQL reads the fraction as a C double and rounds with rint(); so does this.
      micros = (long) Math.rint(Double.parseDouble("0." + m.group(7)) * 1_000_000);
    }
    boolean endOfDay = hour == 24 && minute == 0 && second == 0 && micros == 0;
    if ((hour > 23 && !endOfDay) || minute > 59 || second > 60) {
      throw fieldOutOfRange(text);
    }
    return ((hour * 60L + minute) * 60 + second) * 1_000_000 + micros;
  }

  private static int zoneSeconds(String zone, String text) throws SqlException {
    char sign = zone.charAt(0);
    if (sign != '+' && sign != '-') {
      return 0; // Z, UTC, GMT
    }
    String digits = zone.substring(1).replace(":", "");
    int h;
    int mi = 0;
    int s = 0;
    if (digits.length() <= 2) {
      h = Integer.parseInt(digits);
    } else {
      // [H]HMM[SS]: the hours are what precedes the last two (or four) digits.
      int hoursLen = zone.contains(":") ? zone.indexOf(':') - 1 : (digits.length() % 2 == 0
          ? 2 : 1);
      h = Integer.parseInt(digits.substring(0, hoursLen));
      String rest = digits.substring(hoursLen);
      mi = Integer.parseInt(rest.substring(0, 2));
      if (rest.length() >= 4) {
        s = Integer.parseInt(rest.substring(2, 4));
      }
    }
    if (h > 15 || mi > 59 || s > 59) {
      throw new SqlException(
          INVALID_TIME_ZONE_DISPLACEMENT,
          "time zone displacement out of range: \"" + text + "\"");
    }
    int total = h * 3600 + mi * 60 + s;
    return sign == '-' ? -total : total;
  }

  private static List<Short> parseInt2Vector(String text) throws SqlException {
    List<Short> out = new ArrayList<>();
    for (String part : trim(text).split("[ \t\n\r\f\u000B]+")) {
      if (!part.isEmpty()) {
        out.add((short) parseIntegral(part, Short.MIN_VALUE, Short.MAX_VALUE, "smallint"));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** array_in for one-dimensional text arrays: {@code {a,"b c",NULL}}. */
  private static List<String> parseTextArray(String text) throws SqlException {
    String v = trim(text);
    if (v.length() < 2 || v.charAt(0) != '{' || v.charAt(v.length() - 1) != '}') {
      throw new SqlException(
          SqlState.INVALID_TEXT_REPRESENTATION, "malformed array literal: \"" + text + "\"");
    }
    List<String> out = new ArrayList<>();
    int i = 1;
    int end = v.length() - 1;
    while (i < end && isSpace(v.charAt(i))) {
      i++;
    }
    if (i == end) {
      return List.of();
    }
    while (true) {
      while (i < end && isSpace(v.charAt(i))) {
        i++;
      }
      StringBuilder sb = new StringBuilder();
      boolean quoted = false;
      boolean any = false;
      if (i < end && v.charAt(i) == '"') {
        quoted = true;
        i++;
        while (i < end && v.charAt(i) != '"') {
          if (v.charAt(i) == '\\' && i + 1 < end) {
            i++;
          }
          sb.append(v.charAt(i++));
        }
        if (i >= end) {
          throw new SqlException(
              SqlState.INVALID_TEXT_REPRESENTATION, "malformed array literal: \"" + text + "\"");
        }
        i++;
      } else {
        while (i < end && v.charAt(i) != ',') {
          char c = v.charAt(i);
          if (c == '{' || c == '}' || c == '"') {
            throw new SqlException(
                SqlState.INVALID_TEXT_REPRESENTATION,
                "malformed array literal: \"" + text + "\"");
          }
          if (c == '\\' && i + 1 < end) {
            i++;
          }
          sb.append(v.charAt(i++));
          any = true;
        }
      }
      String element = quoted ? sb.toString() : trim(sb.toString());
      if (!quoted && (!any || element.isEmpty())) {
        throw new SqlException(
            SqlState.INVALID_TEXT_REPRESENTATION, "malformed array literal: \"" + text + "\"");
      }
      out.add(!quoted && element.equalsIgnoreCase("NULL") ? null : checkText(element));
      while (i < end && isSpace(v.charAt(i))) {
        i++;
      }
      if (i == end) {
        break;
      }
      if (v.charAt(i) != ',') {
        throw new SqlException(
            SqlState.INVALID_TEXT_REPRESENTATION, "malformed array literal: \"" + text + "\"");
      }
      i++;
    }
    return Collections.unmodifiableList(out);
  }
}
