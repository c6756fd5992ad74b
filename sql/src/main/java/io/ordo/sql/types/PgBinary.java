package io.ordo.sql.types;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL's binary forms (the {@code typsend}/{@code typreceive} functions of PostgreSQL 15,
 * format code 1 of the wire protocol) of Ordo's SQL values, all integers big-endian:
 *
 * <ul>
 *   <li>BOOLEAN: one byte, 1 or 0 (any non-zero byte reads as true);
 *   <li>SMALLINT, INTEGER, BIGINT: two's complement in 2, 4, 8 bytes; DOUBLE: IEEE 754, 8 bytes;
 *   <li>DECIMAL: int16 ndigits, int16 weight, int16 sign (0x0000 positive, 0x4000 negative),
 *       int16 dscale, then ndigits int16 base-10000 digits, the first worth 10000^weight;
 *   <li>VARCHAR, TEXT, NAME: the UTF-8 bytes; BYTEA: the bytes; CHAR: one byte;
 *   <li>DATE: int32 days since 2000-01-01; TIMESTAMP and TIMESTAMPTZ: int64 microseconds since
 *       2000-01-01 00:00:00 (UTC for TIMESTAMPTZ);
 *   <li>JSONB: the version byte 1, then the jsonb text in UTF-8;
 *   <li>OID: uint32; INT2VECTOR and TEXT_ARRAY (output only): the array format (int32 ndim,
 *       int32 has-nulls, int32 element OID, per dimension int32 length and lower bound, then
 *       each element as int32 length, -1 for NULL, and its bytes).
 * </ul>
 *
 * UNKNOWN has no binary form. Thread-safe; no state.
 */
public final class PgBinary {
  private PgBinary() {}

  /** SQLSTATE invalid_binary_representation. */
  public static final String INVALID_BINARY_REPRESENTATION = "22P03";

  static final LocalDate PG_EPOCH_DATE = LocalDate.of(2000, 1, 1);
  static final LocalDateTime PG_EPOCH = PG_EPOCH_DATE.atStartOfDay();

  private static final int NUMERIC_POS = 0x0000;
  private static final int NUMERIC_NEG = 0x4000;
  private static final BigInteger NBASE = BigInteger.valueOf(10_000);

  /** Whether values of {@code type} can be sent in binary (result format 1). */
  public static boolean canEncode(SqlType type) {
    return type != SqlType.UNKNOWN;
  }

  /** Whether values of {@code type} can be received in binary (parameter format 1). */
  public static boolean canDecode(SqlType type) {
    return type != SqlType.UNKNOWN && type != SqlType.INT2VECTOR && type != SqlType.TEXT_ARRAY;
  }

  // ---------------------------------------------------------------------------------- output

  /**
   * The binary form of {@code value} (non-null, in the Java shape of {@link SqlType} and {@link
   * PgText}'s catalog shapes).
   *
   * @throws IllegalArgumentException for UNKNOWN or a value of the wrong shape (an engine bug)
   */
  public static byte[] encode(SqlType type, Object value) {
    try {
      switch (type) {
        case BOOLEAN:
          return new byte[] {(byte) (((Boolean) value) ? 1 : 0)};
        case SMALLINT:
          return ByteBuffer.allocate(2)
              .putShort((short) integral(value, Short.MIN_VALUE, Short.MAX_VALUE)).array();
        case INTEGER:
          return ByteBuffer.allocate(4)
              .putInt((int) integral(value, Integer.MIN_VALUE, Integer.MAX_VALUE)).array();
        case OID:
          // uint32: the bits of the int (4294967295 is sent as -1).
          return ByteBuffer.allocate(4)
              .putInt((int) integral(value, Integer.MIN_VALUE, 0xFFFF_FFFFL)).array();
        case BIGINT:
          return ByteBuffer.allocate(8)
              .putLong(integral(value, Long.MIN_VALUE, Long.MAX_VALUE)).array();
        case DOUBLE:
          return ByteBuffer.allocate(8).putDouble(((Number) value).doubleValue()).array();
        case DECIMAL:
          return encodeNumeric((BigDecimal) value);
        case VARCHAR:
        case TEXT:
        case NAME:
          return ((String) value).getBytes(StandardCharsets.UTF_8);
        case CHAR: {
          byte[] b = ((String) value).getBytes(StandardCharsets.UTF_8);
          return b.length == 0 ? b : new byte[] {b[0]};
        }
        case BYTEA:
          return ((byte[]) value).clone();
        case DATE:
          return ByteBuffer.allocate(4)
              .putInt(Math.toIntExact(ChronoUnit.DAYS.between(PG_EPOCH_DATE, (LocalDate) value)))
              .array();
        case TIMESTAMP:
          return ByteBuffer.allocate(8)
              .putLong(micros(PgText.roundToMicros((LocalDateTime) value)))
              .array();
        case TIMESTAMPTZ:
          return ByteBuffer.allocate(8)
              .putLong(
                  micros(
                      PgText.roundToMicros(
                          ((OffsetDateTime) value)
                              .withOffsetSameInstant(ZoneOffset.UTC)
                              .toLocalDateTime())))
              .array();
        case JSONB: {
          byte[] text = ((String) value).getBytes(StandardCharsets.UTF_8);
          byte[] out = new byte[text.length + 1];
          out[0] = 1;
          System.arraycopy(text, 0, out, 1, text.length);
          return out;
        }
        case INT2VECTOR:
          return encodeInt2Vector(value);
        case TEXT_ARRAY:
          return encodeTextArray(value);
        default:
          throw new IllegalArgumentException("no binary form for type " + type.pgName());
      }
    } catch (ClassCastException e) {
      throw new IllegalArgumentException(
          "a " + type + " value cannot be a " + value.getClass().getName(), e);
    }
  }

  /** An integral Number within [min, max]; anything else is an engine bug. */
  private static long integral(Object value, long min, long max) {
    if (!(value instanceof Long || value instanceof Integer || value instanceof Short
        || value instanceof Byte)) {
      throw new ClassCastException(value.getClass().getName());
    }
    long v = ((Number) value).longValue();
    if (v < min || v > max) {
      throw new IllegalArgumentException("integer value " + v + " out of its column's range");
    }
    return v;
  }

  private static long micros(LocalDateTime t) {
    long seconds = ChronoUnit.SECONDS.between(PG_EPOCH, t.withNano(0));
    return Math.addExact(Math.multiplyExact(seconds, 1_000_000L), t.getNano() / 1000);
  }

  static byte[] encodeNumeric(BigDecimal v) {
    if (v.scale() < 0) {
      v = v.setScale(0);
    }
    int dscale = v.scale();
    int sign = v.signum() < 0 ? NUMERIC_NEG : NUMERIC_POS;
    String plain = v.abs().toPlainString();
    int point = plain.indexOf('.');
    String intPart = point < 0 ? plain : plain.substring(0, point);
    String fracPart = point < 0 ? "" : plain.substring(point + 1);
    // Align on the decimal point: whole base-10000 digits left of it and right of it.
    int intPad = (4 - intPart.length() % 4) % 4;
    int fracPad = (4 - fracPart.length() % 4) % 4;
    String digits = "0".repeat(intPad) + intPart + fracPart + "0".repeat(fracPad);
    int n = digits.length() / 4;
    int[] groups = new int[n];
    for (int i = 0; i < n; i++) {
      groups[i] = Integer.parseInt(digits.substring(i * 4, i * 4 + 4));
    }
    int weight = (intPart.length() + intPad) / 4 - 1;
    int first = 0;
    while (first < n && groups[first] == 0) {
      first++;
      weight--;
    }
    int last = n;
    while (last > first && groups[last - 1] == 0) {
      last--;
    }
    int ndigits = last - first;
    if (ndigits == 0) {
      weight = 0; // zero, as PostgreSQL sends it
    }
    ByteBuffer b = ByteBuffer.allocate(8 + 2 * ndigits);
    b.putShort((short) ndigits).putShort((short) weight).putShort((short) sign)
        .putShort((short) dscale);
    for (int i = first; i < last; i++) {
      b.putShort((short) groups[i]);
    }
    return b.array();
  }

  private static byte[] encodeInt2Vector(Object value) {
    List<Object> elements = new ArrayList<>();
    if (value instanceof short[]) {
      for (short s : (short[]) value) {
        elements.add(new byte[] {(byte) (s >> 8), (byte) s});
      }
    } else {
      for (Object o : (List<?>) value) {
        short s = ((Number) o).shortValue();
        elements.add(new byte[] {(byte) (s >> 8), (byte) s});
      }
    }
    return encodeArray(SqlType.SMALLINT.oid(), 0, elements);
  }

  private static byte[] encodeTextArray(Object value) {
    List<?> in = value instanceof String[] ? List.of((Object[]) value) : (List<?>) value;
    List<Object> elements = new ArrayList<>(in.size());
    for (Object o : in) {
      elements.add(o == null ? null : ((String) o).getBytes(StandardCharsets.UTF_8));
    }
    return encodeArray(SqlType.TEXT.oid(), 1, elements);
  }

  /** array_send for one dimension (none when empty); int2vector's lower bound is 0. */
  private static byte[] encodeArray(int elementOid, int lowerBound, List<Object> elements) {
    int size = 12 + (elements.isEmpty() ? 0 : 8);
    boolean hasNull = false;
    for (Object e : elements) {
      size += 4 + (e == null ? 0 : ((byte[]) e).length);
      hasNull |= e == null;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putInt(elements.isEmpty() ? 0 : 1).putInt(hasNull ? 1 : 0).putInt(elementOid);
    if (!elements.isEmpty()) {
      b.putInt(elements.size()).putInt(lowerBound);
    }
    for (Object e : elements) {
      if (e == null) {
        b.putInt(-1);
      } else {
        b.putInt(((byte[]) e).length).put((byte[]) e);
      }
    }
    return b.array();
  }

  // ----------------------------------------------------------------------------------- input

  /**
   * The value of {@code type} whose binary form is {@code bytes}, in the Java shape of {@link
   * SqlType}.
   *
   * @throws SqlException 22P03 when the length or content is not a value of the type
   *     (PostgreSQL's {@code incorrect binary data format}), 22021 for text that is not UTF-8 or
   *     holds NUL, 22003/22008 for values out of range, 0A000 for forms Ordo does not represent
   *     (numeric NaN and infinities, infinite dates and timestamps) and types without binary input
   */
  public static Object decode(SqlType type, byte[] bytes) throws SqlException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    switch (type) {
      case BOOLEAN:
        expectLength(type, bytes, 1);
        return bytes[0] != 0;
      case SMALLINT:
        expectLength(type, bytes, 2);
        return b.getShort();
      case INTEGER:
        expectLength(type, bytes, 4);
        return b.getInt();
      case OID:
        expectLength(type, bytes, 4);
        return b.getInt() & 0xFFFF_FFFFL;
      case BIGINT:
        expectLength(type, bytes, 8);
        return b.getLong();
      case DOUBLE:
        expectLength(type, bytes, 8);
        return b.getDouble();
      case DECIMAL:
        return decodeNumeric(b);
      case VARCHAR:
      case TEXT:
      case NAME:
      case CHAR:
        return utf8(bytes);
      case BYTEA:
        return bytes.clone();
      case DATE: {
        expectLength(type, bytes, 4);
        int days = b.getInt();
        if (days == Integer.MIN_VALUE || days == Integer.MAX_VALUE) {
          throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED, "infinite dates are not supported");
        }
        LocalDate d = PG_EPOCH_DATE.plusDays(days);
        if (!PgText.inDateRange(d)) {
          throw new SqlException(PgText.DATETIME_FIELD_OVERFLOW, "date out of range");
        }
        return d;
      }
      case TIMESTAMP:
      case TIMESTAMPTZ: {
        expectLength(type, bytes, 8);
        long micros = b.getLong();
        if (micros == Long.MIN_VALUE || micros == Long.MAX_VALUE) {
          throw new SqlException(
              SqlState.FEATURE_NOT_SUPPORTED, "infinite timestamps are not supported");
        }
        LocalDateTime t =
            PG_EPOCH
                .plusSeconds(Math.floorDiv(micros, 1_000_000L))
                .plusNanos(Math.floorMod(micros, 1_000_000L) * 1000L);
        if (!PgText.inTimestampRange(t)) {
          throw new SqlException(PgText.DATETIME_FIELD_OVERFLOW, "timestamp out of range");
        }
        return type == SqlType.TIMESTAMP ? t : t.atOffset(ZoneOffset.UTC);
      }
      case JSONB: {
        if (bytes.length < 1 || bytes[0] != 1) {
          throw new SqlException(
              INVALID_BINARY_REPRESENTATION,
              "unsupported jsonb version number " + (bytes.length < 1 ? "(none)" : bytes[0]));
        }
        return PgJson.normalize(utf8(java.util.Arrays.copyOfRange(bytes, 1, bytes.length)));
      }
      default:
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "binary input is not supported for type " + type.pgName());
    }
  }

  private static void expectLength(SqlType type, byte[] bytes, int length) throws SqlException {
    if (bytes.length != length) {
      throw new SqlException(
          INVALID_BINARY_REPRESENTATION,
          "incorrect binary data format: " + type.pgName() + " takes " + length + " bytes, got "
              + bytes.length);
    }
  }

  /** Strict UTF-8 without NUL, as PostgreSQL's UTF8 server encoding accepts. */
  static String utf8(byte[] bytes) throws SqlException {
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes));
      return PgText.checkText(chars.toString());
    } catch (CharacterCodingException e) {
      throw new SqlException(
          PgText.CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\"");
    }
  }

  private static BigDecimal decodeNumeric(ByteBuffer b) throws SqlException {
    if (b.remaining() < 8) {
      throw numericFormat("header shorter than 8 bytes");
    }
    int ndigits = b.getShort() & 0xFFFF;
    int weight = b.getShort();
    int sign = b.getShort() & 0xFFFF;
    int dscale = b.getShort() & 0xFFFF;
    if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED, "numeric NaN and infinity are not supported");
    }
    if (sign != NUMERIC_POS && sign != NUMERIC_NEG) {
      throw numericFormat("invalid sign");
    }
    if (dscale > PgText.NUMERIC_MAX_DSCALE) {
      throw numericFormat("invalid scale");
    }
    if (b.remaining() != 2 * ndigits) {
      throw numericFormat("digit count does not match the length");
    }
    BigInteger unscaled = BigInteger.ZERO;
    for (int i = 0; i < ndigits; i++) {
      int d = b.getShort();
      if (d < 0 || d >= 10_000) {
        throw numericFormat("invalid digit");
      }
      unscaled = unscaled.multiply(NBASE).add(BigInteger.valueOf(d));
    }
    // The digits are worth 10000^weight .. 10000^(weight-ndigits+1): scale by the last one.
    BigDecimal v = new BigDecimal(unscaled, -4 * (weight - ndigits + 1));
    if (sign == NUMERIC_NEG) {
      v = v.negate();
    }
    // numeric_recv truncates digits the dscale hides.
    return PgText.checkNumericRange(v.setScale(dscale, RoundingMode.DOWN));
  }

  private static SqlException numericFormat(String why) {
    return new SqlException(
        INVALID_BINARY_REPRESENTATION, "incorrect binary data format for numeric: " + why);
  }
}
