package io.ordo.sql.engine;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Calendar;
import java.util.TimeZone;
import org.apache.calcite.avatica.util.ByteString;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Ordo's SQL types in Calcite: the relational type of each column, the runtime representation
 * Calcite's generated code expects (DATE: Integer days since 1970-01-01; TIMESTAMP and
 * TIMESTAMPTZ: Long milliseconds since the epoch in UTC; BYTEA: ByteString), and the way back from
 * Calcite's JDBC results to the Java shapes of {@link SqlType}.
 *
 * <p>Timestamps go through Calcite at millisecond precision (Calcite's runtime keeps TIMESTAMP as
 * epoch milliseconds); Ordo stores them at that precision too, so what is written is what is read.
 */
final class CalciteTypes {
  private CalciteTypes() {}

  private static final Calendar UTC = Calendar.getInstance(TimeZone.getTimeZone("UTC"));

  /** The Calcite type of a catalog column. */
  static RelDataType relType(RelDataTypeFactory f, ColumnDef c) {
    return f.createTypeWithNullability(sqlType(f, c.type(), c.precision(), c.scale()), !c.notNull());
  }

  static RelDataType sqlType(RelDataTypeFactory f, SqlType type, int precision, int scale) {
    return switch (type) {
      case BOOLEAN -> f.createSqlType(SqlTypeName.BOOLEAN);
      case SMALLINT -> f.createSqlType(SqlTypeName.SMALLINT);
      case INTEGER -> f.createSqlType(SqlTypeName.INTEGER);
      case BIGINT -> f.createSqlType(SqlTypeName.BIGINT);
      case DOUBLE -> f.createSqlType(SqlTypeName.DOUBLE);
      // An unbounded NUMERIC keeps half of Calcite's largest precision for the fraction.
      case DECIMAL -> precision > 0
          ? f.createSqlType(SqlTypeName.DECIMAL, precision, Math.max(scale, 0))
          : f.createSqlType(
              SqlTypeName.DECIMAL,
              f.getTypeSystem().getMaxNumericPrecision(),
              f.getTypeSystem().getMaxNumericPrecision() / 2);
      case VARCHAR -> precision > 0
          ? f.createSqlType(SqlTypeName.VARCHAR, precision)
          : f.createSqlType(SqlTypeName.VARCHAR);
      case TEXT, JSONB -> f.createSqlType(SqlTypeName.VARCHAR);
      case BYTEA -> f.createSqlType(SqlTypeName.VARBINARY);
      case DATE -> f.createSqlType(SqlTypeName.DATE);
      case TIMESTAMP -> f.createSqlType(SqlTypeName.TIMESTAMP, 3);
      case TIMESTAMPTZ -> f.createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, 3);
      default -> f.createSqlType(SqlTypeName.VARCHAR);
    };
  }

  /** The type as Calcite SQL text, for CAST targets. */
  static String castTarget(ColumnDef c) {
    return switch (c.type()) {
      case BOOLEAN -> "BOOLEAN";
      case SMALLINT -> "SMALLINT";
      case INTEGER -> "INTEGER";
      case BIGINT -> "BIGINT";
      case DOUBLE -> "DOUBLE";
      case DECIMAL -> c.precision() > 0
          ? "DECIMAL(" + c.precision() + ", " + Math.max(c.scale(), 0) + ")"
          : "DECIMAL";
      case BYTEA -> "VARBINARY";
      case DATE -> "DATE";
      case TIMESTAMP -> "TIMESTAMP(3)";
      case TIMESTAMPTZ -> "TIMESTAMP(3) WITH LOCAL TIME ZONE";
      default -> "VARCHAR";
    };
  }

  /** A Java-shaped value (SqlType's shapes) as Calcite's runtime representation. */
  static Object toCalcite(SqlType type, Object v) {
    if (v == null) {
      return null;
    }
    return switch (type) {
      case BYTEA -> new ByteString((byte[]) v);
      case DATE -> (int) ((LocalDate) v).toEpochDay();
      case TIMESTAMP -> ((LocalDateTime) v).toInstant(ZoneOffset.UTC).toEpochMilli();
      case TIMESTAMPTZ -> ((OffsetDateTime) v).toInstant().toEpochMilli();
      default -> v;
    };
  }

  /** A value of Calcite's runtime representation as the column type's Java shape. */
  static Object fromCalcite(SqlType type, Object v) {
    if (v == null) {
      return null;
    }
    return switch (type) {
      case BYTEA -> v instanceof ByteString b ? b.getBytes() : v;
      case DATE -> v instanceof Number n ? LocalDate.ofEpochDay(n.longValue()) : v;
      case TIMESTAMP -> v instanceof Number n
          ? LocalDateTime.ofInstant(Instant.ofEpochMilli(n.longValue()), ZoneOffset.UTC)
          : v;
      case TIMESTAMPTZ -> v instanceof Number n
          ? OffsetDateTime.ofInstant(Instant.ofEpochMilli(n.longValue()), ZoneOffset.UTC)
          : v;
      default -> v;
    };
  }

  /** The SqlType of a Calcite JDBC result column. */
  static SqlType ofJdbc(ResultSetMetaData md, int i) throws SQLException {
    int jdbc = md.getColumnType(i);
    String name = md.getColumnTypeName(i);
    return switch (jdbc) {
      case Types.BOOLEAN, Types.BIT -> SqlType.BOOLEAN;
      case Types.TINYINT, Types.SMALLINT -> SqlType.SMALLINT;
      case Types.INTEGER -> SqlType.INTEGER;
      case Types.BIGINT -> SqlType.BIGINT;
      case Types.FLOAT, Types.REAL, Types.DOUBLE -> SqlType.DOUBLE;
      case Types.DECIMAL, Types.NUMERIC -> SqlType.DECIMAL;
      case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR -> SqlType.VARCHAR;
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY -> SqlType.BYTEA;
      case Types.DATE -> SqlType.DATE;
      case Types.TIMESTAMP -> name != null && name.contains("LOCAL_TIME_ZONE")
          ? SqlType.TIMESTAMPTZ
          : SqlType.TIMESTAMP;
      case Types.TIMESTAMP_WITH_TIMEZONE -> SqlType.TIMESTAMPTZ;
      default -> name != null && name.contains("LOCAL_TIME_ZONE")
          ? SqlType.TIMESTAMPTZ
          : SqlType.TEXT;
    };
  }

  /** The result column {@code i} (1-based) of Calcite's metadata. */
  static Column column(ResultSetMetaData md, int i) throws SQLException {
    SqlType t = ofJdbc(md, i);
    int precision = t == SqlType.DECIMAL || t == SqlType.VARCHAR ? md.getPrecision(i) : -1;
    int scale = t == SqlType.DECIMAL ? md.getScale(i) : -1;
    return new Column(
        md.getColumnLabel(i),
        t,
        precision,
        scale,
        md.isNullable(i) != ResultSetMetaData.columnNoNulls);
  }

  /** Column {@code i} (1-based) of the current row as {@code type}'s Java shape. */
  static Object value(ResultSet rs, int i, SqlType type) throws SQLException {
    Object v =
        switch (type) {
          case BOOLEAN -> rs.getBoolean(i);
          case SMALLINT -> rs.getShort(i);
          case INTEGER -> rs.getInt(i);
          case BIGINT -> rs.getLong(i);
          case DOUBLE -> rs.getDouble(i);
          case DECIMAL -> rs.getBigDecimal(i);
          case BYTEA -> rs.getBytes(i);
          case DATE -> {
            java.sql.Date d = rs.getDate(i, (Calendar) UTC.clone());
            yield d == null ? null : LocalDate.ofEpochDay(Math.floorDiv(d.getTime(), 86_400_000L));
          }
          case TIMESTAMP -> {
            java.sql.Timestamp t = rs.getTimestamp(i, (Calendar) UTC.clone());
            yield t == null ? null : LocalDateTime.ofInstant(t.toInstant(), ZoneOffset.UTC);
          }
          case TIMESTAMPTZ -> {
            java.sql.Timestamp t = rs.getTimestamp(i, (Calendar) UTC.clone());
            yield t == null ? null : OffsetDateTime.ofInstant(t.toInstant(), ZoneOffset.UTC);
          }
          default -> rs.getString(i);
        };
    return rs.wasNull() ? null : v;
  }

  /**
   * Converts a value (any Java shape of SqlType, or a result of Calcite) to a column's type,
   * checking PostgreSQL's limits: integer ranges (22003), VARCHAR(n) length (22001), DECIMAL(p, s)
   * precision after rounding to s (22003).
   */
  static Object coerce(ColumnDef c, Object v) throws SqlException {
    if (v == null) {
      return null;
    }
    try {
      return switch (c.type()) {
        case BOOLEAN -> v instanceof String text
            ? io.ordo.sql.types.PgText.parse(SqlType.BOOLEAN, text)
            : (Boolean) v;
        case SMALLINT -> {
          long l = integral(v, c);
          if (l < Short.MIN_VALUE || l > Short.MAX_VALUE) {
            throw outOfRange("smallint");
          }
          yield (short) l;
        }
        case INTEGER -> {
          long l = integral(v, c);
          if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw outOfRange("integer");
          }
          yield (int) l;
        }
        case BIGINT -> integral(v, c);
        case DOUBLE -> v instanceof String text
            ? io.ordo.sql.types.PgText.parse(SqlType.DOUBLE, text)
            : ((Number) v).doubleValue();
        case DECIMAL -> {
          if (v instanceof Boolean) {
            throw new ClassCastException("boolean");
          }
          BigDecimal d = v instanceof BigDecimal b ? b : new BigDecimal(v.toString());
          if (c.scale() >= 0 && c.precision() > 0) {
            d = d.setScale(c.scale(), java.math.RoundingMode.HALF_UP);
            if (d.precision() - d.scale() > c.precision() - c.scale()) {
              throw new SqlException(
                  SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
                  "numeric field overflow: a field with precision " + c.precision() + ", scale "
                      + c.scale() + " must round to an absolute value less than 10^"
                      + (c.precision() - c.scale()));
            }
          }
          yield d;
        }
        case VARCHAR, TEXT, JSONB -> {
          if (v instanceof byte[] || v instanceof ByteString) {
            throw new ClassCastException("bytea");
          }
          String s = c.type() == SqlType.JSONB
              ? (String) io.ordo.sql.types.PgText.parse(SqlType.JSONB, v.toString())
              : v.toString();
          if (c.type() == SqlType.VARCHAR && c.precision() > 0
              && s.codePointCount(0, s.length()) > c.precision()) {
            throw new SqlException(
                SqlState.STRING_DATA_RIGHT_TRUNCATION,
                "value too long for type character varying(" + c.precision() + ")");
          }
          yield s;
        }
        case BYTEA -> v instanceof ByteString b ? b.getBytes() : (byte[]) v;
        case DATE -> v instanceof String text
            ? io.ordo.sql.types.PgText.parse(SqlType.DATE, text)
            : v instanceof LocalDateTime t ? t.toLocalDate()
            : v instanceof OffsetDateTime t ? t.toLocalDate()
            : (LocalDate) fromCalcite(SqlType.DATE, v);
        case TIMESTAMP -> {
          Object t = v instanceof String text
              ? io.ordo.sql.types.PgText.parse(SqlType.TIMESTAMP, text)
              : v instanceof OffsetDateTime o ? o.toLocalDateTime()
              : v instanceof LocalDate d ? d.atStartOfDay()
              : fromCalcite(SqlType.TIMESTAMP, v);
          LocalDateTime ldt = (LocalDateTime) t;
          // Millisecond precision (see the class comment).
          yield ldt.withNano(ldt.getNano() / 1_000_000 * 1_000_000);
        }
        case TIMESTAMPTZ -> {
          Object t = v instanceof String text
              ? io.ordo.sql.types.PgText.parse(SqlType.TIMESTAMPTZ, text)
              : v instanceof LocalDateTime l ? l.atOffset(ZoneOffset.UTC)
              : v instanceof LocalDate d ? d.atStartOfDay().atOffset(ZoneOffset.UTC)
              : fromCalcite(SqlType.TIMESTAMPTZ, v);
          yield OffsetDateTime.ofInstant(
              Instant.ofEpochMilli(((OffsetDateTime) t).toInstant().toEpochMilli()), ZoneOffset.UTC);
        }
        default -> v;
      };
    } catch (NumberFormatException e) {
      throw new SqlException(
          SqlState.INVALID_TEXT_REPRESENTATION,
          "invalid input syntax for type " + c.type().pgName() + ": \"" + v + "\"");
    } catch (ClassCastException e) {
      throw new SqlException(
          SqlState.DATATYPE_MISMATCH,
          "column \"" + c.name() + "\" is of type " + c.type().pgName()
              + " but expression is of another type");
    }
  }

  private static long integral(Object v, ColumnDef c) throws SqlException {
    if (v instanceof Boolean) {
      throw new ClassCastException("boolean");
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    BigDecimal d = v instanceof BigDecimal b ? b : new BigDecimal(v.toString());
    BigDecimal rounded = d.setScale(0, java.math.RoundingMode.HALF_UP);
    if (rounded.unscaledValue().bitLength() > 63) {
      throw outOfRange(c.type().pgName());
    }
    return rounded.longValueExact();
  }

  private static SqlException outOfRange(String type) {
    return new SqlException(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, type + " out of range");
  }
}
