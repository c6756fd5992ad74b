package io.ordo.views;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.NullValue;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.ordo.proto.SqlRow;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.types.Row;

/**
 * Between the gateway's row shapes (SqlRow: google.protobuf.Value per column, sql.proto) and
 * Flink's Java values. Stateless.
 *
 * <p>Types: BOOLEAN Boolean, SMALLINT Short, INTEGER Integer, BIGINT Long, DOUBLE Double, DECIMAL
 * BigDecimal, VARCHAR/TEXT/JSONB String (JSONB as its JSON text), BYTEA byte[], DATE LocalDate,
 * TIMESTAMP LocalDateTime, TIMESTAMPTZ Instant.
 */
final class ViewValues {
  private ViewValues() {}

  private static final Value NULL = Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();

  /** The base type name: {@code DECIMAL(10,2)} is DECIMAL. */
  static String base(String type) {
    int paren = type.indexOf('(');
    return (paren < 0 ? type : type.substring(0, paren)).trim().toUpperCase(Locale.ROOT);
  }

  /**
   * Flink's type of a column.
   *
   * @throws IllegalArgumentException for a type views do not read
   */
  static TypeInformation<?> typeOf(String type) {
    return switch (base(type)) {
      case "BOOLEAN" -> Types.BOOLEAN;
      case "SMALLINT" -> Types.SHORT;
      case "INTEGER" -> Types.INT;
      case "BIGINT" -> Types.LONG;
      case "DOUBLE" -> Types.DOUBLE;
      case "DECIMAL" -> Types.BIG_DEC;
      case "VARCHAR", "TEXT", "JSONB" -> Types.STRING;
      case "BYTEA" -> Types.PRIMITIVE_ARRAY(Types.BYTE);
      case "DATE" -> Types.LOCAL_DATE;
      case "TIMESTAMP" -> Types.LOCAL_DATE_TIME;
      case "TIMESTAMPTZ" -> Types.INSTANT;
      default -> throw new IllegalArgumentException(
          "materialized views cannot read columns of type " + type + " yet");
    };
  }

  /** A named row type of these columns. */
  static TypeInformation<Row> rowType(List<ViewSpec.ColumnSpec> columns) {
    String[] names = new String[columns.size()];
    TypeInformation<?>[] types = new TypeInformation<?>[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      names[i] = columns.get(i).name();
      types[i] = typeOf(columns.get(i).type());
    }
    return Types.ROW_NAMED(names, types);
  }

  /** A gateway value of a column of {@code type} as Flink's Java value. */
  static Object fromGateway(Value v, String type) {
    if (v.hasNullValue() || v.getKindCase() == Value.KindCase.KIND_NOT_SET) {
      return null;
    }
    String text = v.hasStringValue() ? v.getStringValue() : null;
    return switch (base(type)) {
      case "BOOLEAN" -> v.getBoolValue();
      case "SMALLINT" -> (short) v.getNumberValue();
      case "INTEGER" -> (int) v.getNumberValue();
      case "BIGINT" -> text != null ? Long.parseLong(text) : (long) v.getNumberValue();
      case "DOUBLE" -> text != null ? Double.parseDouble(text) : v.getNumberValue();
      case "DECIMAL" -> text != null ? new BigDecimal(text) : BigDecimal.valueOf(v.getNumberValue());
      case "VARCHAR", "TEXT" -> text;
      case "JSONB" -> json(v);
      case "BYTEA" -> Base64.getDecoder().decode(text);
      case "DATE" -> LocalDate.parse(text);
      case "TIMESTAMP" -> LocalDateTime.parse(text);
      case "TIMESTAMPTZ" -> OffsetDateTime.parse(text).toInstant();
      default -> throw new IllegalArgumentException("unsupported column type " + type);
    };
  }

  private static String json(Value v) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(v);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a JSONB value does not print: " + e.getMessage(), e);
    }
  }

  /**
   * A Flink value as a gateway value the engine converts to the view column's type: integers
   * and decimals as text (every digit), other numbers as numbers, times in ISO-8601.
   */
  static Value toGateway(Object o) {
    if (o == null) {
      return NULL;
    }
    if (o instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    }
    if (o instanceof Double d) {
      return d.isNaN() || d.isInfinite()
          ? Value.newBuilder().setStringValue(d.toString()).build()
          : Value.newBuilder().setNumberValue(d).build();
    }
    if (o instanceof Float f) {
      return toGateway(f.doubleValue());
    }
    if (o instanceof BigDecimal d) {
      return Value.newBuilder().setStringValue(d.toPlainString()).build();
    }
    if (o instanceof Number n) {
      return Value.newBuilder().setStringValue(Long.toString(n.longValue())).build();
    }
    if (o instanceof byte[] b) {
      return Value.newBuilder().setStringValue(Base64.getEncoder().encodeToString(b)).build();
    }
    if (o instanceof Instant i) {
      return Value.newBuilder().setStringValue(i.toString()).build();
    }
    // String, LocalDate, LocalDateTime: their toString is ISO-8601 / the text itself.
    return Value.newBuilder().setStringValue(o.toString()).build();
  }

  /** The gateway row of these Flink values, at {@code indexes} or all. */
  static SqlRow toGatewayRow(Row row, List<Integer> indexes) {
    SqlRow.Builder out = SqlRow.newBuilder();
    if (indexes == null) {
      for (int i = 0; i < row.getArity(); i++) {
        out.addValues(toGateway(row.getField(i)));
      }
    } else {
      for (int i : indexes) {
        out.addValues(toGateway(row.getField(i)));
      }
    }
    return out.build();
  }
}
