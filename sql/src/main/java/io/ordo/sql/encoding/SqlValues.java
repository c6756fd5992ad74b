package io.ordo.sql.encoding;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Set;

/**
 * The canonical form of column values, shared by the key, row and stream-row codecs so that one
 * logical value always becomes the same key component, the same row cell and the same JSON
 * member. Canonicalization checks the Java shape ({@link SqlType}'s documented shapes, integers
 * of any of Short/Integer/Long accepted for the integer types), the column's range and bounds,
 * and normalizes: DECIMAL to the column's scale, timestamps to whole microseconds, NaN to the
 * one canonical NaN.
 */
final class SqlValues {
  private SqlValues() {}

  /** PostgreSQL's character_not_in_repertoire: NUL or an unpaired surrogate in text. */
  static final String CHARACTER_NOT_IN_REPERTOIRE = "22021";
  /** PostgreSQL's name_too_long. */
  static final String NAME_TOO_LONG = "42622";
  /** PostgreSQL's invalid_name. */
  static final String INVALID_NAME = "42602";
  /** PostgreSQL's datetime_field_overflow ("timestamp out of range"). */
  static final String DATETIME_FIELD_OVERFLOW = "22008";
  /** PostgreSQL's data_corrupted: a stored key or value that no version of the codecs wrote. */
  static final String DATA_CORRUPTED = "XX001";

  /** PostgreSQL numeric's limits: up to 131072 digits before the decimal point. */
  static final int DECIMAL_INTEGER_DIGITS_MAX = 131_072;
  /** PostgreSQL numeric's limits: up to 16383 digits after the decimal point. */
  static final int DECIMAL_SCALE_MAX = 16_383;

  /** Largest key of the store, in UTF-8 bytes (storage VersionKeys, gateway keyBytesMax). */
  static final int KEY_BYTES_MAX = 1024;

  /** The types a table or stream column may have. */
  static final Set<SqlType> STORABLE =
      EnumSet.of(
          SqlType.BOOLEAN,
          SqlType.SMALLINT,
          SqlType.INTEGER,
          SqlType.BIGINT,
          SqlType.DOUBLE,
          SqlType.DECIMAL,
          SqlType.VARCHAR,
          SqlType.TEXT,
          SqlType.BYTEA,
          SqlType.DATE,
          SqlType.TIMESTAMP,
          SqlType.TIMESTAMPTZ,
          SqlType.JSONB);

  private static final long MICROS_PER_SECOND = 1_000_000L;

  /** {@code column "c" of relation "t"}, the way PostgreSQL names a column in messages. */
  static String where(ColumnDef column, String relation) {
    return "column \"" + column.name() + "\" of relation \"" + relation + "\"";
  }

  static SqlException mismatch(ColumnDef column, String relation, Object value) {
    return new SqlException(
        SqlState.DATATYPE_MISMATCH,
        where(column, relation) + " is of type " + column.type().pgName()
            + " but the value is a " + value.getClass().getName());
  }

  static SqlException notNull(ColumnDef column, String relation) {
    return new SqlException(
        SqlState.NOT_NULL_VIOLATION,
        "null value in " + where(column, relation) + " violates not-null constraint");
  }

  static SqlException corrupt(String what) {
    return new SqlException(DATA_CORRUPTED, what);
  }

  static void requireStorable(ColumnDef column, String relation) throws SqlException {
    if (!STORABLE.contains(column.type())) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          where(column, relation) + " has type " + column.type().pgName()
              + ", which cannot be stored");
    }
  }

  static boolean bool(ColumnDef column, Object value, String relation) throws SqlException {
    if (value instanceof Boolean b) {
      return b;
    }
    throw mismatch(column, relation, value);
  }

  /**
   * A SMALLINT, INTEGER or BIGINT value as a long, range-checked for the column's type (22003,
   * PostgreSQL's "smallint out of range" and "integer out of range").
   */
  static long integer(ColumnDef column, Object value, String relation) throws SqlException {
    long v;
    if (value instanceof Long l) {
      v = l;
    } else if (value instanceof Integer i) {
      v = i;
    } else if (value instanceof Short s) {
      v = s;
    } else if (value instanceof Byte b) {
      v = b;
    } else {
      throw mismatch(column, relation, value);
    }
    checkIntegerRange(column.type(), v, relation, column);
    return v;
  }

  private static void checkIntegerRange(SqlType type, long v, String relation, ColumnDef column)
      throws SqlException {
    boolean ok =
        switch (type) {
          case SMALLINT -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
          case INTEGER -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
          default -> true;
        };
    if (!ok) {
      throw new SqlException(
          SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
          type.pgName() + " out of range: " + v + " for " + where(column, relation));
    }
  }

  /** The Java shape of an integer-typed column (Short, Integer, Long) holding {@code v}. */
  static Object integerShape(SqlType type, long v) throws SqlException {
    switch (type) {
      case SMALLINT -> {
        if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
          throw corrupt("stored value " + v + " does not fit smallint");
        }
        return (short) v;
      }
      case INTEGER -> {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
          throw corrupt("stored value " + v + " does not fit integer");
        }
        return (int) v;
      }
      default -> {
        return v;
      }
    }
  }

  /** A DOUBLE value; every NaN becomes {@link Double#NaN} (one bit pattern). */
  static double float8(ColumnDef column, Object value, String relation) throws SqlException {
    double v;
    if (value instanceof Double d) {
      v = d;
    } else if (value instanceof Float f) {
      v = f;
    } else {
      throw mismatch(column, relation, value);
    }
    return Double.isNaN(v) ? Double.NaN : v;
  }

  /**
   * A DECIMAL value normalized for the column: within PostgreSQL numeric's range (22003 beyond),
   * rounded half away from zero to the column's scale when it has one (as PostgreSQL does on
   * assignment to numeric(p,s)), at most the column's precision (22003 "numeric field
   * overflow"); for an unconstrained column the given scale is kept, except that a negative scale
   * becomes 0 (PostgreSQL never shows one).
   */
  static BigDecimal decimal(ColumnDef column, Object value, String relation) throws SqlException {
    BigDecimal d;
    if (value instanceof BigDecimal b) {
      d = b;
    } else if (value instanceof BigInteger b) {
      d = new BigDecimal(b);
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short) {
      d = BigDecimal.valueOf(((Number) value).longValue());
    } else {
      throw mismatch(column, relation, value);
    }
    if (d.signum() == 0) {
      d = BigDecimal.ZERO.setScale(Math.min(Math.max(d.scale(), 0), DECIMAL_SCALE_MAX));
    } else if (integerDigits(d) > DECIMAL_INTEGER_DIGITS_MAX) {
      throw new SqlException(
          SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
          "value overflows numeric format: " + where(column, relation) + " takes at most "
              + DECIMAL_INTEGER_DIGITS_MAX + " digits before the decimal point");
    }
    int scale = decimalScale(column);
    if (scale >= 0) {
      // A value below half a unit of the column's last digit rounds to zero. Deciding that from
      // the exponent keeps setScale from raising ten to an enormous power for values such as
      // 1E-2000000000, whose unscaled value is small but whose scale is not.
      if (d.signum() != 0 && integerDigits(d) <= -(long) scale - 1) {
        d = BigDecimal.ZERO;
      }
      d = d.setScale(scale, RoundingMode.HALF_UP);
      if (column.precision() > 0 && integerDigits(d) > column.precision() - scale) {
        throw new SqlException(
            SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
            "numeric field overflow: " + where(column, relation) + " has precision "
                + column.precision() + ", scale " + scale + " but the value has "
                + integerDigits(d) + " digits before the decimal point");
      }
      return d;
    }
    if (d.scale() > DECIMAL_SCALE_MAX) {
      d = d.stripTrailingZeros();
      if (d.scale() > DECIMAL_SCALE_MAX) {
        throw new SqlException(
            SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
            "value overflows numeric format: " + where(column, relation) + " takes at most "
                + DECIMAL_SCALE_MAX + " digits after the decimal point");
      }
    }
    // At most DECIMAL_INTEGER_DIGITS_MAX zeros to add: bounded by the check above.
    return d.scale() < 0 ? d.setScale(0) : d;
  }

  /**
   * The scale DECIMAL values of the column are rounded to, or -1 when unconstrained: the column's
   * scale when set, else 0 when it has a precision (PostgreSQL's numeric(p) is numeric(p,0)).
   */
  static int decimalScale(ColumnDef column) {
    if (column.scale() >= 0) {
      return column.scale();
    }
    return column.precision() > 0 ? 0 : -1;
  }

  /** Digits before the decimal point (may be negative or zero for values below 1). */
  static long integerDigits(BigDecimal d) {
    return (long) d.precision() - d.scale();
  }

  /**
   * A VARCHAR or TEXT value: no NUL (PostgreSQL text cannot hold one), no unpaired surrogate (not
   * encodable as UTF-8), at most the VARCHAR's length in characters (22001).
   */
  static String text(ColumnDef column, Object value, String relation) throws SqlException {
    if (!(value instanceof String s)) {
      throw mismatch(column, relation, value);
    }
    checkText(s, where(column, relation));
    if (column.type() == SqlType.VARCHAR && column.precision() >= 0) {
      int length = s.codePointCount(0, s.length());
      if (length > column.precision()) {
        throw new SqlException(
            SqlState.STRING_DATA_RIGHT_TRUNCATION,
            "value too long for type character varying(" + column.precision() + ") in "
                + where(column, relation) + ": " + length + " characters");
      }
    }
    return s;
  }

  /** Refuses NUL and unpaired surrogates (22021). */
  static void checkText(String s, String what) throws SqlException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        throw new SqlException(
            CHARACTER_NOT_IN_REPERTOIRE,
            "invalid byte sequence for encoding \"UTF8\": 0x00 in " + what + " at index " + i);
      }
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new SqlException(
            CHARACTER_NOT_IN_REPERTOIRE,
            what + " is not valid Unicode: unpaired surrogate at index " + i);
      }
    }
  }

  /** Whether {@link #checkText} would accept {@code s}. */
  static boolean isValidText(String s) {
    try {
      checkText(s, "text");
      return true;
    } catch (SqlException e) {
      return false;
    }
  }

  static String jsonb(ColumnDef column, Object value, String relation) throws SqlException {
    if (!(value instanceof String s)) {
      throw mismatch(column, relation, value);
    }
    checkText(s, where(column, relation));
    return s;
  }

  static byte[] bytea(ColumnDef column, Object value, String relation) throws SqlException {
    if (value instanceof byte[] b) {
      return b;
    }
    throw mismatch(column, relation, value);
  }

  static long epochDay(ColumnDef column, Object value, String relation) throws SqlException {
    if (value instanceof LocalDate d) {
      return d.toEpochDay();
    }
    throw mismatch(column, relation, value);
  }

  /**
   * A TIMESTAMP (LocalDateTime, taken as UTC) or TIMESTAMPTZ (OffsetDateTime, any offset) value
   * as microseconds since 1970-01-01T00:00:00Z, rounded half to even to the microsecond (as
   * PostgreSQL rounds its input); 22008 when that does not fit a long.
   */
  static long micros(ColumnDef column, Object value, String relation) throws SqlException {
    long seconds;
    int nanos;
    if (column.type() == SqlType.TIMESTAMP && value instanceof LocalDateTime t) {
      seconds = t.toEpochSecond(ZoneOffset.UTC);
      nanos = t.getNano();
    } else if (column.type() == SqlType.TIMESTAMPTZ && value instanceof OffsetDateTime t) {
      seconds = t.toEpochSecond();
      nanos = t.getNano();
    } else {
      throw mismatch(column, relation, value);
    }
    try {
      return micros(seconds, nanos);
    } catch (ArithmeticException e) {
      throw new SqlException(
          DATETIME_FIELD_OVERFLOW, "timestamp out of range: " + value + " for " + where(column, relation));
    }
  }

  /**
   * Seconds and nanoseconds (0..999,999,999) since the epoch as whole microseconds, half to even.
   *
   * @throws ArithmeticException when the result does not fit a long
   */
  static long micros(long seconds, int nanos) {
    long micros = nanos / 1000;
    int rest = nanos % 1000;
    if (rest > 500 || (rest == 500 && (micros & 1) == 1)) {
      micros++;
    }
    if (seconds < 0 && micros > 0) {
      // Near Long.MIN_VALUE microseconds, seconds * 10^6 alone overflows although the sum fits.
      return Math.addExact(
          Math.multiplyExact(seconds + 1, MICROS_PER_SECOND), micros - MICROS_PER_SECOND);
    }
    return Math.addExact(Math.multiplyExact(seconds, MICROS_PER_SECOND), micros);
  }

  static LocalDateTime localDateTime(long micros) {
    return LocalDateTime.ofEpochSecond(
        Math.floorDiv(micros, MICROS_PER_SECOND),
        (int) Math.floorMod(micros, MICROS_PER_SECOND) * 1000,
        ZoneOffset.UTC);
  }

  static OffsetDateTime offsetDateTime(long micros) {
    return localDateTime(micros).atOffset(ZoneOffset.UTC);
  }

  static LocalDate localDate(long epochDay) throws SqlException {
    try {
      return LocalDate.ofEpochDay(epochDay);
    } catch (DateTimeException e) {
      throw corrupt("stored date " + epochDay + " (days since 1970-01-01) is out of range");
    }
  }

  /** A temporal, DATE, or integer value from its stored long (the row cell's int_value). */
  static Object fromLong(ColumnDef column, long v) throws SqlException {
    return switch (column.type()) {
      case SMALLINT, INTEGER, BIGINT -> integerShape(column.type(), v);
      case DATE -> localDate(v);
      case TIMESTAMP -> localDateTime(v);
      case TIMESTAMPTZ -> offsetDateTime(v);
      default -> throw new IllegalStateException("not a long-valued type: " + column.type());
    };
  }

  /** UTF-8 length of a string without unpaired surrogates. */
  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
