package io.ordo.sql.encoding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ordo.proto.StreamRecord;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/**
 * Rows of a SQL stream as Ordo stream records: the payload is {@code StreamRecord.json}, a JSON
 * object with one member per column, in column order; the partition key is the key column's value
 * in the text form its member carries. See sql/ENCODING.md.
 *
 * <p>Members by column type (NULL is JSON null):
 *
 * <table>
 *   <caption>JSON form of each type</caption>
 *   <tr><th>type</th><th>written as</th><th>also read from</th></tr>
 *   <tr><td>BOOLEAN</td><td>true / false</td><td>-</td></tr>
 *   <tr><td>SMALLINT, INTEGER</td><td>number</td><td>a string or number with an integral value
 *       in range</td></tr>
 *   <tr><td>BIGINT</td><td>string of decimal digits (exact; JSON readers often hold numbers as
 *       doubles)</td><td>an integral number in range</td></tr>
 *   <tr><td>DOUBLE</td><td>number (-0 as 0); "NaN", "Infinity", "-Infinity" as strings (JSON
 *       has no such numbers)</td><td>a numeric string</td></tr>
 *   <tr><td>DECIMAL</td><td>string, plain notation (exact)</td><td>a number (read exactly)</td></tr>
 *   <tr><td>VARCHAR, TEXT</td><td>string</td><td>any other member, as its JSON text (as
 *       PostgreSQL's {@code ->>})</td></tr>
 *   <tr><td>BYTEA</td><td>string, standard base64 with padding</td><td>-</td></tr>
 *   <tr><td>DATE</td><td>string, ISO 8601 {@code 2024-05-01}</td><td>-</td></tr>
 *   <tr><td>TIMESTAMP</td><td>string, ISO 8601 {@code 2024-05-01T12:30:00.5}</td><td>-</td></tr>
 *   <tr><td>TIMESTAMPTZ</td><td>string, ISO 8601 in UTC {@code 2024-05-01T12:30:00Z}</td><td>any
 *       offset, converted to UTC</td></tr>
 *   <tr><td>JSONB</td><td>the JSON value itself (nested)</td><td>-</td></tr>
 * </table>
 *
 * <p><b>Reading records SQL did not write.</b> Any Ordo client may append to a stream, so a
 * stream query must survive any record: members the stream has no column for are ignored; a
 * missing member, a JSON null, a member of another JSON type than the table above allows, and a
 * value the column cannot hold (out of range, unparsable date, invalid base64, text with NUL) all
 * read as NULL; a record whose payload is raw bytes or JSON that is not an object reads as a row
 * of NULLs. Values read are normalized as on write (DECIMAL to the column's scale, timestamps to
 * microseconds). The one error is a JSON payload that does not parse (the gateway validates JSON
 * payloads, so it means a damaged record): 22P02 naming stream, shard and offset. Note that a
 * JSONB column holding the JSON value {@code null} reads back as SQL NULL (the format has one
 * null).
 *
 * <p>Deterministic: the same row gives the same JSON text. Stateless; thread-safe.
 */
public final class StreamRowCodec {
  private StreamRowCodec() {}

  /**
   * Floats are read as BigDecimal (exact DECIMAL members, JSONB numbers kept as written) and
   * their trailing zeros kept; one document per payload.
   */
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .build();

  private static final JsonNodeFactory NODES = JSON.getNodeFactory();

  /** Largest integral digits a member read as an integer may have before it is out of range. */
  private static final int LONG_DIGITS = 19;

  /**
   * Longest numeric string read for an integer or DOUBLE column (Jackson's limit for JSON
   * numbers); longer ones read as NULL without parsing, which costs time quadratic in length.
   */
  private static final int NUMBER_TEXT_MAX = 1000;

  /** Longest numeric string read for a DECIMAL column: every digit numeric's range allows. */
  private static final int DECIMAL_TEXT_MAX =
      SqlValues.DECIMAL_INTEGER_DIGITS_MAX + SqlValues.DECIMAL_SCALE_MAX + 2;

  /**
   * The record of a row: {@link #toJson} as payload, {@link #partitionKey} as partition key.
   *
   * @throws SqlException as {@link #toJson} and {@link #partitionKey}
   */
  public static StreamRecord encode(StreamDef stream, List<?> row) throws SqlException {
    ObjectNode object = object(stream, row);
    return StreamRecord.newBuilder()
        .setPartitionKey(partitionKey(stream, object))
        .setJson(write(object))
        .build();
  }

  /**
   * The JSON payload of a row.
   *
   * @param row one value per column of {@code stream.columns()}, in that order, NULL as {@code
   *     null}, in the Java shapes of {@link SqlType}
   * @return a JSON object, members in column order
   * @throws SqlException 23502 NULL in a NOT NULL column; 42804 wrong Java type; 22003, 22001,
   *     22008, 22021 a value the column cannot hold (as the row codec); 22P02 a JSONB value that is
   *     not one JSON document
   * @throws IllegalArgumentException when the row has not one value per column
   */
  public static String toJson(StreamDef stream, List<?> row) throws SqlException {
    return write(object(stream, row));
  }

  /**
   * The partition key of a row: empty when the stream has no key column or the key is NULL;
   * else the content of the key's JSON member when it is a string, its JSON text otherwise
   * (numbers, booleans, JSONB). A producer outside SQL computes the same key from the payload.
   *
   * @throws SqlException as {@link #toJson}; 54000 when the key is over 1024 UTF-8 bytes
   */
  public static String partitionKey(StreamDef stream, List<?> row) throws SqlException {
    return partitionKey(stream, object(stream, row));
  }

  private static String partitionKey(StreamDef stream, ObjectNode object) throws SqlException {
    if (stream.keyColumn().isEmpty()) {
      return "";
    }
    JsonNode member = object.get(stream.keyColumn().get());
    if (member == null) {
      throw new IllegalArgumentException(
          "key column " + stream.keyColumn().get() + " is not a column of stream " + stream.name());
    }
    String key = member.isNull() ? "" : member.isTextual() ? member.textValue() : write(member);
    int bytes = SqlValues.utf8Length(key);
    if (bytes > SqlValues.KEY_BYTES_MAX) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "partition key of stream " + stream.name() + " (column " + stream.keyColumn().get()
              + ") is " + bytes + " bytes, over the limit of " + SqlValues.KEY_BYTES_MAX);
    }
    return key;
  }

  private static ObjectNode object(StreamDef stream, List<?> row) throws SqlException {
    List<ColumnDef> columns = stream.columns();
    if (row.size() != columns.size()) {
      throw new IllegalArgumentException(
          "stream " + stream.name() + " has " + columns.size() + " columns, got " + row.size()
              + " values");
    }
    ObjectNode object = NODES.objectNode();
    for (int i = 0; i < columns.size(); i++) {
      ColumnDef column = columns.get(i);
      Object value = row.get(i);
      if (value == null) {
        if (column.notNull()) {
          throw SqlValues.notNull(column, stream.name());
        }
        object.putNull(column.name());
      } else {
        object.set(column.name(), member(column, value, stream.name()));
      }
    }
    return object;
  }

  private static JsonNode member(ColumnDef column, Object value, String stream)
      throws SqlException {
    SqlValues.requireStorable(column, stream);
    return switch (column.type()) {
      case BOOLEAN -> NODES.booleanNode(SqlValues.bool(column, value, stream));
      case SMALLINT, INTEGER -> NODES.numberNode(SqlValues.integer(column, value, stream));
      case BIGINT -> NODES.textNode(Long.toString(SqlValues.integer(column, value, stream)));
      case DOUBLE -> {
        double d = SqlValues.float8(column, value, stream);
        // -0.0 as 0.0: JSON readers (this one included, which reads numbers as BigDecimal) do
        // not keep the sign of zero, and SQL compares the two equal.
        d = d == 0.0 ? 0.0 : d;
        yield Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(specialDouble(d));
      }
      case DECIMAL -> NODES.textNode(SqlValues.decimal(column, value, stream).toPlainString());
      case VARCHAR, TEXT -> NODES.textNode(SqlValues.text(column, value, stream));
      case BYTEA ->
          NODES.textNode(Base64.getEncoder().encodeToString(SqlValues.bytea(column, value, stream)));
      case DATE ->
          NODES.textNode(
              DateTimeFormatter.ISO_LOCAL_DATE.format(
                  LocalDate.ofEpochDay(SqlValues.epochDay(column, value, stream))));
      case TIMESTAMP ->
          NODES.textNode(
              DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                  SqlValues.localDateTime(SqlValues.micros(column, value, stream))));
      case TIMESTAMPTZ ->
          NODES.textNode(
              DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
                  SqlValues.offsetDateTime(SqlValues.micros(column, value, stream))));
      case JSONB -> parseJsonb(column, SqlValues.jsonb(column, value, stream), stream);
      default -> throw new IllegalStateException("checked by requireStorable: " + column.type());
    };
  }

  private static String specialDouble(double d) {
    return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
  }

  private static JsonNode parseJsonb(ColumnDef column, String text, String stream)
      throws SqlException {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new SqlException(
          SqlState.INVALID_TEXT_REPRESENTATION,
          "invalid input syntax for type json in " + SqlValues.where(column, stream) + ": "
              + e.getOriginalMessage());
    }
  }

  private static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      // A tree of plain nodes always serializes; nothing here does I/O.
      throw new IllegalStateException("could not write a JSON tree", e);
    }
  }

  /**
   * The row of a stream record.
   *
   * @param shardId the record's shard, named in errors
   * @param offset the record's offset in its shard, named in errors
   * @return one value per column of {@code stream.columns()} (see the class comment for how
   *     records SQL did not write read); an unmodifiable list that may hold nulls
   * @throws SqlException 22P02 when the JSON payload does not parse
   */
  public static List<Object> decode(StreamDef stream, StreamRecord record, long shardId, long offset)
      throws SqlException {
    if (record.getPayloadCase() != StreamRecord.PayloadCase.JSON) {
      return nulls(stream);
    }
    return decodeJson(stream, record.getJson(), shardId, offset);
  }

  /**
   * The row of a record's JSON payload; as {@link #decode}.
   *
   * @throws SqlException 22P02 when {@code json} does not parse
   */
  public static List<Object> decodeJson(StreamDef stream, String json, long shardId, long offset)
      throws SqlException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new SqlException(
          SqlState.INVALID_TEXT_REPRESENTATION,
          "stream " + stream.name() + ", shard " + shardId + ", offset " + offset
              + ": the record's JSON payload does not parse: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      return nulls(stream);
    }
    List<Object> values = new ArrayList<>(stream.columns().size());
    for (ColumnDef column : stream.columns()) {
      JsonNode member = root.get(column.name());
      values.add(member == null || member.isNull() ? null : read(column, member, stream.name()));
    }
    return Collections.unmodifiableList(values);
  }

  private static List<Object> nulls(StreamDef stream) {
    return Collections.nCopies(stream.columns().size(), null);
  }

  /** The member's value for the column, or null when it does not have one of the allowed forms. */
  private static Object read(ColumnDef column, JsonNode member, String stream) {
    try {
      return switch (column.type()) {
        case BOOLEAN -> member.isBoolean() ? member.booleanValue() : null;
        case SMALLINT, INTEGER, BIGINT -> {
          Long v = integral(member);
          if (v == null) {
            yield null;
          }
          yield SqlValues.integerShape(column.type(), SqlValues.integer(column, v, stream));
        }
        case DOUBLE -> float8(member);
        case DECIMAL -> {
          BigDecimal d = member.isNumber() ? member.decimalValue()
              : member.isTextual() ? number(member.textValue(), DECIMAL_TEXT_MAX) : null;
          yield d == null ? null : SqlValues.decimal(column, d, stream);
        }
        case VARCHAR, TEXT -> {
          String s = member.isTextual() ? member.textValue() : write(member);
          yield SqlValues.isValidText(s) ? s : null;
        }
        case BYTEA -> member.isTextual() ? Base64.getDecoder().decode(member.textValue()) : null;
        case DATE -> member.isTextual()
            ? LocalDate.parse(member.textValue(), DateTimeFormatter.ISO_LOCAL_DATE) : null;
        case TIMESTAMP -> member.isTextual()
            ? SqlValues.localDateTime(
                SqlValues.micros(
                    column,
                    LocalDateTime.parse(member.textValue(), DateTimeFormatter.ISO_LOCAL_DATE_TIME),
                    stream))
            : null;
        case TIMESTAMPTZ -> member.isTextual()
            ? SqlValues.offsetDateTime(
                SqlValues.micros(
                    column,
                    OffsetDateTime.parse(member.textValue(), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        .withOffsetSameInstant(ZoneOffset.UTC),
                    stream))
            : null;
        case JSONB -> {
          String s = write(member);
          yield SqlValues.isValidText(s) ? s : null;
        }
        default -> null;
      };
    } catch (SqlException | IllegalArgumentException | DateTimeParseException e) {
      // Out of range, unparsable, invalid base64 (IllegalArgumentException, as is
      // NumberFormatException): the documented NULL.
      return null;
    }
  }

  /** An integral number or numeric string within long range, else null. */
  private static Long integral(JsonNode member) {
    BigDecimal d;
    if (member.isNumber()) {
      d = member.decimalValue();
    } else if (member.isTextual()) {
      d = number(member.textValue(), NUMBER_TEXT_MAX);
    } else {
      return null;
    }
    if (d == null) {
      return null;
    }
    // stripTrailingZeros is cheap even for 1E-999999999; checking the digits before
    // longValueExact keeps it from scaling by a huge power of ten.
    BigDecimal stripped = d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
    if (stripped.scale() > 0 || SqlValues.integerDigits(stripped) > LONG_DIGITS) {
      return null;
    }
    try {
      return stripped.longValueExact();
    } catch (ArithmeticException e) {
      return null;
    }
  }

  /** A numeric string (BigDecimal syntax, surrounding blanks ignored), or null when too long. */
  private static BigDecimal number(String text, int maxLength) {
    String s = text.trim();
    return s.length() > maxLength ? null : new BigDecimal(s);
  }

  private static Double float8(JsonNode member) {
    double d;
    if (member.isNumber()) {
      d = member.isBigDecimal() ? member.decimalValue().doubleValue() : member.doubleValue();
    } else if (member.isTextual()) {
      String s = member.textValue().trim();
      switch (s) {
        case "NaN" -> {
          return Double.NaN;
        }
        case "Infinity" -> {
          return Double.POSITIVE_INFINITY;
        }
        case "-Infinity" -> {
          return Double.NEGATIVE_INFINITY;
        }
        default -> {
          BigDecimal parsed = number(s, NUMBER_TEXT_MAX);
          if (parsed == null) {
            return null;
          }
          d = parsed.doubleValue();
        }
      }
    } else {
      return null;
    }
    // A finite JSON number beyond double's range is out of range, not infinity.
    return Double.isFinite(d) ? d : null;
  }
}
