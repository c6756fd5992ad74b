package io.ordo.sql.encoding;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The store key of a table row: {@code "\u0000ordo/sql/r1/" + tableId + "/" + encoded primary
 * key}, where the primary key is an order-preserving, prefix-free tuple encoding. See
 * sql/ENCODING.md for the format and why it is so.
 *
 * <p>Properties (each pinned by a test in {@code KeyCodecPropertiesTest}):
 *
 * <ul>
 *   <li><b>Order.</b> For two primary keys of one table, the keys compare (UTF-8 byte order, the
 *       store's scan order, which equals {@link String#compareTo} here because every character
 *       after the table prefix is in U+0001..U+00FF) as the tuples compare in SQL: column by
 *       column in key order; numbers numerically, DOUBLE with NaN above every other value and
 *       {@code -0.0 = 0.0}, text and bytea by bytes (text: Unicode code point order, PostgreSQL's
 *       "C" collation), false before true, dates and timestamps chronologically.
 *   <li><b>Prefixes.</b> Each encoded component is self-delimiting and no component's encoding is
 *       a proper prefix of another's, so {@link #prefix} of the first k key values is a string
 *       prefix of exactly the keys of rows with those values.
 *   <li><b>Equality.</b> Equal SQL values encode equally: 1.0 and 1.00 (DECIMAL), -0.0 and 0.0
 *       (DOUBLE), every NaN, a timestamp and the same instant at another offset (TIMESTAMPTZ).
 *   <li><b>Round trip.</b> {@link #decode} gives back the values, normalized as above.
 * </ul>
 *
 * <p>Component encodings, as bytes 0x01..0xFF, each byte stored as the character with that code
 * point: SMALLINT, INTEGER, BIGINT, DATE (days since 1970-01-01), TIMESTAMP and TIMESTAMPTZ
 * (microseconds since 1970-01-01T00:00Z): the value with its sign bit flipped, as 16 lower-case
 * hex digits. DOUBLE: the IEEE 754 bits made order-preserving (negative: all bits flipped;
 * positive: sign bit flipped), 16 hex digits. BOOLEAN: '0' or '1'. VARCHAR, TEXT, BYTEA: the
 * bytes (UTF-8 for text) with 0x00 written 0x01 0x02 and 0x01 written 0x01 0x03, then the
 * terminator 0x01 0x01. DECIMAL: a sign class ('0' negative, '1' zero, '2' positive), then for
 * non-zero values the decimal exponent E (the value is 0.d1d2... × 10^E with d1 ≠ 0) as 8 hex
 * digits of E with its sign bit flipped, then the significant digits without trailing zeros as
 * ASCII digits, then the terminator '!'; negative values store the exponent's bits inverted,
 * every digit d as 9-d and the terminator '~', so larger magnitudes sort first.
 *
 * <p>Stateless; thread-safe.
 */
public final class KeyCodec {
  private KeyCodec() {}

  /** Every row key starts with this: internal keys, SQL rows, format {@code r1}. */
  public static final String ROW_KEY_PREFIX = "\u0000ordo/sql/r1/";

  /** Largest key of the store, in UTF-8 bytes. */
  public static final int KEY_BYTES_MAX = SqlValues.KEY_BYTES_MAX;

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final char TEXT_ESCAPE = 0x01;
  private static final char TEXT_END = 0x01;
  private static final char ESCAPED_00 = 0x02;
  private static final char ESCAPED_01 = 0x03;
  private static final char DECIMAL_NEGATIVE = '0';
  private static final char DECIMAL_ZERO = '1';
  private static final char DECIMAL_POSITIVE = '2';
  private static final char DECIMAL_POSITIVE_END = '!';
  private static final char DECIMAL_NEGATIVE_END = '~';

  /**
   * The key prefix of every row of the table {@code tableId} (for full scans), ending in '/'.
   *
   * @param tableId 16 lower-case hex digits
   * @throws IllegalArgumentException when {@code tableId} is not of that form
   */
  public static String tablePrefix(String tableId) {
    checkTableId(tableId);
    return ROW_KEY_PREFIX + tableId + "/";
  }

  /**
   * The row key of the row whose primary key values are {@code pkValues}.
   *
   * @param pkValues one value per primary key column, in key order, in the Java shapes of {@link
   *     SqlType} (integer columns also take any of Short/Integer/Long, DOUBLE also Float, DECIMAL
   *     also Short/Integer/Long/BigInteger)
   * @return the key, at most {@value #KEY_BYTES_MAX} UTF-8 bytes
   * @throws SqlException 23502 for a NULL value; 0A000 for a JSONB (or other non-key) column;
   *     42804 for a value of the wrong Java type; 22003, 22001, 22008, 22021 for values the column
   *     cannot hold (see the row codec); 54000 {@code primary key of table t is N bytes encoded,
   *     over the limit of 1024} when the key is too long
   * @throws IllegalArgumentException when the number of values is not the number of key columns
   */
  public static String encode(TableDef table, List<?> pkValues) throws SqlException {
    List<ColumnDef> keyColumns = table.primaryKeyColumns();
    if (pkValues.size() != keyColumns.size()) {
      throw new IllegalArgumentException(
          "table " + table.name() + " has " + keyColumns.size() + " primary key columns, got "
              + pkValues.size() + " values");
    }
    return build(table, keyColumns, pkValues);
  }

  /**
   * The row key of a whole row: {@link #encode} of the primary key values picked from {@code
   * row}.
   *
   * @param row one value per column of {@code table.columns()}, in that order
   * @throws IllegalArgumentException when the row has not one value per column
   */
  public static String encodeRow(TableDef table, List<?> row) throws SqlException {
    List<ColumnDef> columns = table.columns();
    if (row.size() != columns.size()) {
      throw new IllegalArgumentException(
          "table " + table.name() + " has " + columns.size() + " columns, got " + row.size()
              + " values");
    }
    List<Object> pk = new ArrayList<>(table.primaryKey().size());
    for (String name : table.primaryKey()) {
      int index = indexOf(columns, name);
      pk.add(row.get(index));
    }
    return encode(table, pk);
  }

  /**
   * The key prefix shared by exactly the rows whose first {@code leadingPkValues.size()} primary
   * key columns have these values (for prefix scans). With no values it is {@link #tablePrefix};
   * with all of them it is the row key.
   *
   * @throws SqlException as {@link #encode} (54000 when the prefix alone is too long)
   * @throws IllegalArgumentException when there are more values than key columns
   */
  public static String prefix(TableDef table, List<?> leadingPkValues) throws SqlException {
    List<ColumnDef> keyColumns = table.primaryKeyColumns();
    if (leadingPkValues.size() > keyColumns.size()) {
      throw new IllegalArgumentException(
          "table " + table.name() + " has " + keyColumns.size() + " primary key columns, got "
              + leadingPkValues.size() + " values");
    }
    return build(table, keyColumns.subList(0, leadingPkValues.size()), leadingPkValues);
  }

  /**
   * Refuses a column type that cannot be part of a primary key (for CREATE TABLE and ALTER).
   *
   * @throws SqlException 0A000 for JSONB and the types no column may have
   */
  public static void checkKeyColumn(ColumnDef column, String tableName) throws SqlException {
    SqlValues.requireStorable(column, tableName);
    if (column.type() == SqlType.JSONB) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "primary key " + SqlValues.where(column, tableName) + " has type jsonb, which has no"
              + " ordering and cannot be part of a primary key");
    }
  }

  /**
   * The primary key values of a row key of {@code table}, in key order and in the Java shapes of
   * {@link SqlType} (SMALLINT Short, INTEGER Integer, DATE LocalDate, TIMESTAMPTZ OffsetDateTime in
   * UTC, ...), normalized as encoded: DECIMAL without trailing zeros beyond the column's scale
   * (scale ≥ 0; the row value keeps the inserted scale of an unconstrained DECIMAL), DOUBLE -0.0
   * as 0.0.
   *
   * @return an unmodifiable list
   * @throws SqlException XX001 when {@code key} is not a row key of this table in format r1
   */
  public static List<Object> decode(TableDef table, String key) throws SqlException {
    Objects.requireNonNull(key, "key");
    String prefix = tablePrefix(table.tableId());
    if (!key.startsWith(prefix)) {
      throw SqlValues.corrupt(
          "key " + printable(key) + " is not a row key of table " + table.name() + " (prefix "
              + printable(prefix) + ")");
    }
    Reader reader = new Reader(key, prefix.length(), table.name());
    List<Object> values = new ArrayList<>();
    for (ColumnDef column : table.primaryKeyColumns()) {
      values.add(reader.component(column));
    }
    if (reader.position != key.length()) {
      throw reader.fail("characters after the last key column");
    }
    return Collections.unmodifiableList(values);
  }

  private static String build(TableDef table, List<ColumnDef> columns, List<?> values)
      throws SqlException {
    StringBuilder key = new StringBuilder(64).append(tablePrefix(table.tableId()));
    for (int i = 0; i < columns.size(); i++) {
      ColumnDef column = columns.get(i);
      checkKeyColumn(column, table.name());
      Object value = values.get(i);
      if (value == null) {
        throw SqlValues.notNull(column, table.name());
      }
      append(key, column, value, table.name());
    }
    String result = key.toString();
    int bytes = SqlValues.utf8Length(result);
    if (bytes > KEY_BYTES_MAX) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "primary key of table " + table.name() + " is " + bytes
              + " bytes encoded, over the limit of " + KEY_BYTES_MAX);
    }
    return result;
  }

  private static void append(StringBuilder key, ColumnDef column, Object value, String table)
      throws SqlException {
    switch (column.type()) {
      case BOOLEAN -> key.append(SqlValues.bool(column, value, table) ? '1' : '0');
      case SMALLINT, INTEGER, BIGINT -> hex64(key, SqlValues.integer(column, value, table) ^ Long.MIN_VALUE);
      case DATE -> hex64(key, SqlValues.epochDay(column, value, table) ^ Long.MIN_VALUE);
      case TIMESTAMP, TIMESTAMPTZ -> hex64(key, SqlValues.micros(column, value, table) ^ Long.MIN_VALUE);
      case DOUBLE -> hex64(key, orderedBits(SqlValues.float8(column, value, table)));
      case DECIMAL -> decimal(key, SqlValues.decimal(column, value, table));
      case VARCHAR, TEXT -> bytes(key, SqlValues.utf8(SqlValues.text(column, value, table)));
      case BYTEA -> bytes(key, SqlValues.bytea(column, value, table));
      default -> throw new IllegalStateException("checked by checkKeyColumn: " + column.type());
    }
  }

  /** IEEE 754 bits whose unsigned order is the numeric order; -0.0 as 0.0, one NaN (highest). */
  static long orderedBits(double v) {
    long bits = Double.doubleToLongBits(v == 0.0 ? 0.0 : v);
    return bits < 0 ? ~bits : bits ^ Long.MIN_VALUE;
  }

  static double fromOrderedBits(long u) {
    return Double.longBitsToDouble(u < 0 ? u ^ Long.MIN_VALUE : ~u);
  }

  private static void hex64(StringBuilder out, long v) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      out.append(HEX[(int) (v >>> shift) & 0xF]);
    }
  }

  private static void hex32(StringBuilder out, int v) {
    for (int shift = 28; shift >= 0; shift -= 4) {
      out.append(HEX[(v >>> shift) & 0xF]);
    }
  }

  private static void bytes(StringBuilder out, byte[] bytes) {
    for (byte b : bytes) {
      int u = b & 0xFF;
      if (u == 0x00) {
        out.append(TEXT_ESCAPE).append(ESCAPED_00);
      } else if (u == 0x01) {
        out.append(TEXT_ESCAPE).append(ESCAPED_01);
      } else {
        out.append((char) u);
      }
    }
    out.append(TEXT_ESCAPE).append(TEXT_END);
  }

  private static void decimal(StringBuilder out, BigDecimal value) {
    if (value.signum() == 0) {
      out.append(DECIMAL_ZERO);
      return;
    }
    BigDecimal d = value.stripTrailingZeros();
    String digits = d.unscaledValue().abs().toString();
    // value = 0.<digits> × 10^exponent; SqlValues bounds the exponent to PostgreSQL numeric's
    // range (-16383 .. 131072), well inside an int.
    int exponent = Math.toIntExact((long) digits.length() - d.scale());
    boolean negative = d.signum() < 0;
    int orderedExponent = exponent ^ Integer.MIN_VALUE;
    out.append(negative ? DECIMAL_NEGATIVE : DECIMAL_POSITIVE);
    hex32(out, negative ? ~orderedExponent : orderedExponent);
    for (int i = 0; i < digits.length(); i++) {
      char c = digits.charAt(i);
      out.append(negative ? (char) ('9' - c + '0') : c);
    }
    out.append(negative ? DECIMAL_NEGATIVE_END : DECIMAL_POSITIVE_END);
  }

  private static int indexOf(List<ColumnDef> columns, String name) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no column " + name);
  }

  static void checkTableId(String tableId) {
    Objects.requireNonNull(tableId, "tableId");
    if (!isTableId(tableId)) {
      throw new IllegalArgumentException(
          "table id must be 16 lower-case hex digits, got '" + tableId + "'");
    }
  }

  static boolean isTableId(String tableId) {
    if (tableId.length() != 16) {
      return false;
    }
    for (int i = 0; i < 16; i++) {
      char c = tableId.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** The key with characters outside printable ASCII as \\uXXXX, for error messages. */
  static String printable(String key) {
    StringBuilder sb = new StringBuilder();
    int limit = Math.min(key.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = key.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        sb.append(c);
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    if (key.length() > limit) {
      sb.append("...");
    }
    return sb.toString();
  }

  /** Reads components from a key, failing with XX001 on anything an encoder would not write. */
  private static final class Reader {
    private final String key;
    private final String table;
    private int position;

    Reader(String key, int position, String table) {
      this.key = key;
      this.position = position;
      this.table = table;
    }

    SqlException fail(String why) {
      return SqlValues.corrupt(
          "row key " + printable(key) + " of table " + table + " is malformed at index "
              + position + ": " + why);
    }

    Object component(ColumnDef column) throws SqlException {
      return switch (column.type()) {
        case BOOLEAN -> {
          char c = next();
          if (c != '0' && c != '1') {
            throw fail("boolean must be '0' or '1'");
          }
          yield c == '1';
        }
        case SMALLINT, INTEGER, BIGINT, DATE, TIMESTAMP, TIMESTAMPTZ ->
            longValue(column, hex(16) ^ Long.MIN_VALUE);
        case DOUBLE -> fromOrderedBits(hex(16));
        case DECIMAL -> decimal(column);
        case VARCHAR, TEXT -> utf8(escaped(false));
        case BYTEA -> escaped(true);
        default -> throw fail("column " + column.name() + " has type " + column.type().pgName()
            + ", which cannot be part of a key");
      };
    }

    private Object longValue(ColumnDef column, long v) throws SqlException {
      try {
        return SqlValues.fromLong(column, v);
      } catch (SqlException e) {
        throw fail(e.getMessage());
      }
    }

    private char next() throws SqlException {
      if (position >= key.length()) {
        throw fail("the key ends inside a component");
      }
      char c = key.charAt(position++);
      if (c == 0 || c > 0xFF) {
        throw fail(String.format("character U+%04X cannot occur in an encoded key", (int) c));
      }
      return c;
    }

    private long hex(int digits) throws SqlException {
      long v = 0;
      for (int i = 0; i < digits; i++) {
        char c = next();
        int d;
        if (c >= '0' && c <= '9') {
          d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
          d = c - 'a' + 10;
        } else {
          position--;
          throw fail("expected a lower-case hex digit");
        }
        v = (v << 4) | d;
      }
      return v;
    }

    private byte[] escaped(boolean allowNul) throws SqlException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        char c = next();
        if (c != TEXT_ESCAPE) {
          out.write(c);
          continue;
        }
        char e = next();
        if (e == TEXT_END) {
          return out.toByteArray();
        } else if (e == ESCAPED_01) {
          out.write(0x01);
        } else if (e == ESCAPED_00 && allowNul) {
          out.write(0x00);
        } else {
          throw fail(String.format("invalid escape 0x01 0x%02x", (int) e));
        }
      }
    }

    private String utf8(byte[] bytes) throws SqlException {
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
      } catch (CharacterCodingException e) {
        throw fail("text is not valid UTF-8");
      }
    }

    private BigDecimal decimal(ColumnDef column) throws SqlException {
      char sign = next();
      if (sign == DECIMAL_ZERO) {
        return shape(column, BigDecimal.ZERO);
      }
      if (sign != DECIMAL_NEGATIVE && sign != DECIMAL_POSITIVE) {
        throw fail("decimal sign class must be '0', '1' or '2'");
      }
      boolean negative = sign == DECIMAL_NEGATIVE;
      int ordered = (int) hex(8);
      int exponent = (negative ? ~ordered : ordered) ^ Integer.MIN_VALUE;
      if (exponent > SqlValues.DECIMAL_INTEGER_DIGITS_MAX) {
        // The encoder refuses such values; decoding one would cost a huge power of ten.
        throw fail("decimal exponent " + exponent + " is outside numeric's range");
      }
      char end = negative ? DECIMAL_NEGATIVE_END : DECIMAL_POSITIVE_END;
      StringBuilder digits = new StringBuilder();
      while (true) {
        char c = next();
        if (c == end) {
          break;
        }
        if (c < '0' || c > '9') {
          position--;
          throw fail("expected a decimal digit or the terminator '" + end + "'");
        }
        digits.append(negative ? (char) ('9' - c + '0') : c);
      }
      int n = digits.length();
      if (n == 0 || digits.charAt(0) == '0' || digits.charAt(n - 1) == '0') {
        throw fail("decimal digits must be non-empty, without leading or trailing zeros");
      }
      BigInteger unscaled = new BigInteger(digits.toString());
      long scale = (long) n - exponent;
      if (scale > Integer.MAX_VALUE) {
        throw fail("decimal exponent " + exponent + " is outside numeric's range");
      }
      BigDecimal value = new BigDecimal(negative ? unscaled.negate() : unscaled, (int) scale);
      return shape(column, value);
    }

    /** The decoded value at the column's scale (exact: the key holds at most that many digits). */
    private static BigDecimal shape(ColumnDef column, BigDecimal value) {
      int scale = SqlValues.decimalScale(column);
      if (scale >= 0 && value.scale() < scale) {
        return value.setScale(scale);
      }
      if (value.scale() < 0) {
        return value.setScale(0);
      }
      return value;
    }
  }
}
