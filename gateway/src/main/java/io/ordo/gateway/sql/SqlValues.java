package io.ordo.gateway.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ordo.proto.SqlColumn;
import io.ordo.proto.SqlResult;
import io.ordo.proto.SqlRow;
import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * Converts between the Sql service's JSON-friendly {@link Value}s (sql.proto) and the Java shapes
 * of the SQL engine ({@link SqlType}).
 *
 * <p>Parameters: null → SQL NULL, a boolean → {@link Boolean}, a number → {@link Long} when it is
 * integral and within int64, else a {@link BigDecimal} of its shortest decimal form (the digits a
 * JSON number printed from the same double has; a number is a double once parsed, so clients that
 * need more than 15-17 significant digits pass a string), a NaN or infinity → {@link Double}, a
 * string → {@link String} (the engine converts it to the parameter's type). Lists and structs
 * are rejected with 22023.
 *
 * <p>Results: see {@code SqlRow} in sql.proto; BIGINT and DECIMAL become strings so that no digit
 * is lost to a JSON number's double precision.
 */
public final class SqlValues {
  private SqlValues() {}

  private static final Value NULL = Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();

  /** 2^63 as a double: integral doubles in [-2^63, 2^63) fit a long exactly. */
  private static final double TWO_TO_63 = 0x1p63;

  /**
   * The engine's parameter values for {@code params}, in order.
   *
   * @throws SqlException 22023 for a list or struct value, naming the parameter ({@code $n})
   */
  public static List<Object> params(List<Value> params) throws SqlException {
    List<Object> out = new ArrayList<>(params.size());
    for (int i = 0; i < params.size(); i++) {
      out.add(param(params.get(i), i + 1));
    }
    return out;
  }

  /** One parameter value; {@code number} is its 1-based index, for the error message. */
  static Object param(Value value, int number) throws SqlException {
    return switch (value.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> null;
      case BOOL_VALUE -> value.getBoolValue();
      case STRING_VALUE -> value.getStringValue();
      case NUMBER_VALUE -> paramNumber(value.getNumberValue());
      case LIST_VALUE, STRUCT_VALUE ->
          throw new SqlException(
              SqlState.INVALID_PARAMETER_VALUE,
              "parameter $" + number + " is a JSON "
                  + (value.hasListValue() ? "array" : "object")
                  + "; parameters must be null, a boolean, a number or a string (pass JSON"
                  + " documents as strings)");
    };
  }

  private static Object paramNumber(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return d;
    }
    if (d == Math.rint(d) && d >= -TWO_TO_63 && d < TWO_TO_63) {
      return (long) d;
    }
    // Double.toString gives the shortest decimal that reads back as d: the JSON text a client
    // wrote for a number of up to 15 significant digits.
    return new BigDecimal(Double.toString(d));
  }

  /** The API form of one statement's result. */
  public static SqlResult result(StatementResult result) {
    SqlResult.Builder out = SqlResult.newBuilder().setCommandTag(result.commandTag());
    List<Column> columns = result.columns();
    for (Column column : columns) {
      out.addColumns(column(column));
    }
    for (List<Object> row : result.rows()) {
      out.addRows(row(row, columns));
    }
    return out.build();
  }

  /** The API form of a result column. */
  public static SqlColumn column(Column column) {
    return SqlColumn.newBuilder()
        .setName(column.name())
        .setType(column.type().sqlName())
        .setTypeOid(column.type().oid())
        .setNullable(column.nullable())
        .build();
  }

  /** The API form of one row of a result with these columns. */
  public static SqlRow row(List<Object> row, List<Column> columns) {
    SqlRow.Builder encoded = SqlRow.newBuilder();
    for (int c = 0; c < row.size(); c++) {
      SqlType type = c < columns.size() ? columns.get(c).type() : SqlType.UNKNOWN;
      encoded.addValues(value(row.get(c), type));
    }
    return encoded.build();
  }

  /** The JSON-friendly form of {@code value}, a value of a column of type {@code type}. */
  public static Value value(Object value, SqlType type) {
    if (value == null) {
      return NULL;
    }
    if (type == SqlType.JSONB && value instanceof String text) {
      return json(text);
    }
    if (value instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    }
    // Integers beyond a double's 53 bits of precision and decimals: strings, as sql.proto says.
    if (value instanceof Long || value instanceof BigInteger) {
      return string(value.toString());
    }
    if (value instanceof BigDecimal d) {
      return string(d.toPlainString());
    }
    if (value instanceof Number n) {
      return type == SqlType.BIGINT || type == SqlType.DECIMAL
          ? string(n.toString())
          : number(n.doubleValue());
    }
    if (value instanceof byte[] bytes) {
      return string(Base64.getEncoder().encodeToString(bytes));
    }
    if (value instanceof LocalDateTime time) {
      return string(time.format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
    }
    if (value instanceof OffsetDateTime time) {
      return string(time.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    }
    if (value instanceof LocalDate date) {
      return string(date.format(DateTimeFormatter.ISO_LOCAL_DATE));
    }
    if (value instanceof Collection<?> list) {
      return list(list);
    }
    if (value instanceof Object[] array) {
      return list(Arrays.asList(array));
    }
    return string(value.toString());
  }

  private static Value number(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      // JSON has no NaN or infinities; PostgreSQL's text forms instead.
      return string(Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }
    return Value.newBuilder().setNumberValue(d).build();
  }

  private static Value list(Collection<?> elements) {
    ListValue.Builder list = ListValue.newBuilder();
    for (Object element : elements) {
      list.addValues(value(element, SqlType.UNKNOWN));
    }
    return Value.newBuilder().setListValue(list).build();
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  /** A JSONB value's document as a Value; its text as a string if it does not parse. */
  private static Value json(String text) {
    try {
      return json(JSON.readTree(text));
    } catch (JsonProcessingException | RuntimeException e) {
      // The engine normalizes JSONB, so this is not expected; the text is still the value.
      return string(text);
    }
  }

  private static Value json(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return NULL;
    }
    if (node.isBoolean()) {
      return Value.newBuilder().setBoolValue(node.booleanValue()).build();
    }
    if (node.isNumber()) {
      return Value.newBuilder().setNumberValue(node.doubleValue()).build();
    }
    if (node.isArray()) {
      ListValue.Builder list = ListValue.newBuilder();
      node.forEach(element -> list.addValues(json(element)));
      return Value.newBuilder().setListValue(list).build();
    }
    if (node.isObject()) {
      Struct.Builder struct = Struct.newBuilder();
      node.fields().forEachRemaining(field -> struct.putFields(field.getKey(), json(field.getValue())));
      return Value.newBuilder().setStructValue(struct).build();
    }
    return string(node.asText());
  }

  /** Strict JSON: one document, nothing after it. */
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
}
