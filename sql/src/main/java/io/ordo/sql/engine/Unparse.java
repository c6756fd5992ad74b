package io.ordo.sql.engine;

import io.ordo.sql.SqlType;
import io.ordo.sql.parser.OrdoSqlParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.calcite.sql.SqlBasicTypeNameSpec;
import org.apache.calcite.sql.SqlDataTypeSpec;
import org.apache.calcite.sql.SqlDynamicParam;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.util.SqlShuttle;

/**
 * Calcite nodes back to SQL text for the session's Calcite connection, and the parameters a node
 * uses, in text order.
 *
 * <p><b>Parameter types.</b> PostgreSQL infers a parameter's type from its context ({@code
 * balance - $1} is bigint); Calcite often cannot ({@code <BIGINT> - <UNKNOWN>}). So parameters
 * whose type is known — declared by the client, or given by the Java type of the value bound to
 * it — are written as {@code CAST(? AS type)}; the statement's thread sets those types with
 * {@link #withParameterTypes} around the composition of its queries. Parameters of unknown type
 * (text from a client that declared none) stay bare, and Calcite's inference decides.
 */
final class Unparse {
  private Unparse() {}

  private static final ThreadLocal<Map<Integer, SqlType>> PARAMETER_TYPES = new ThreadLocal<>();

  /**
   * The precision of a numeric parameter's cast: Calcite's largest, as for an unbounded NUMERIC
   * column ({@link CalciteTypes}), with half of it for the fraction.
   */
  private static final int DECIMAL_PRECISION =
      org.apache.calcite.rel.type.RelDataTypeSystem.DEFAULT.getMaxPrecision(SqlTypeName.DECIMAL);

  /** Restores the previous parameter types; never throws. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** Sets the known types of dynamic parameters (by Calcite index) for this thread. */
  static Scope withParameterTypes(Map<Integer, SqlType> types) {
    Map<Integer, SqlType> previous = PARAMETER_TYPES.get();
    PARAMETER_TYPES.set(types);
    return () -> {
      if (previous == null) {
        PARAMETER_TYPES.remove();
      } else {
        PARAMETER_TYPES.set(previous);
      }
    };
  }

  static String sql(SqlNode node) {
    Map<Integer, SqlType> types = PARAMETER_TYPES.get();
    if (types != null && !types.isEmpty()) {
      node = node.accept(
          new SqlShuttle() {
            @Override
            public SqlNode visit(SqlDynamicParam param) {
              SqlTypeName name = calciteType(types.get(param.getIndex()));
              if (name == null) {
                return param;
              }
              var pos = param.getParserPosition();
              // A bare DECIMAL is Calcite's DECIMAL(19, 0), which would drop a numeric
              // parameter's fraction; it gets the shape of an unbounded NUMERIC column instead.
              SqlBasicTypeNameSpec spec = name == SqlTypeName.DECIMAL
                  ? new SqlBasicTypeNameSpec(name, DECIMAL_PRECISION, DECIMAL_PRECISION / 2, pos)
                  : new SqlBasicTypeNameSpec(name, pos);
              return SqlStdOperatorTable.CAST.createCall(
                  pos, param, new SqlDataTypeSpec(spec, pos));
            }
          });
    }
    return OrdoSqlParser.unparse(node);
  }

  private static SqlTypeName calciteType(SqlType t) {
    if (t == null) {
      return null;
    }
    return switch (t) {
      case BOOLEAN -> SqlTypeName.BOOLEAN;
      case SMALLINT -> SqlTypeName.SMALLINT;
      case INTEGER -> SqlTypeName.INTEGER;
      case BIGINT -> SqlTypeName.BIGINT;
      case DOUBLE -> SqlTypeName.DOUBLE;
      case DECIMAL -> SqlTypeName.DECIMAL;
      case VARCHAR, TEXT -> SqlTypeName.VARCHAR;
      case BYTEA -> SqlTypeName.VARBINARY;
      case DATE -> SqlTypeName.DATE;
      case TIMESTAMP -> SqlTypeName.TIMESTAMP;
      case TIMESTAMPTZ -> SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE;
      default -> null;
    };
  }

  /** The SqlType of a bound value's Java shape; null for text and NULL (type left open). */
  static SqlType typeOfValue(Object v) {
    if (v instanceof Boolean) {
      return SqlType.BOOLEAN;
    } else if (v instanceof Short) {
      return SqlType.SMALLINT;
    } else if (v instanceof Integer) {
      return SqlType.INTEGER;
    } else if (v instanceof Long) {
      return SqlType.BIGINT;
    } else if (v instanceof Double || v instanceof Float) {
      return SqlType.DOUBLE;
    } else if (v instanceof java.math.BigDecimal) {
      return SqlType.DECIMAL;
    } else if (v instanceof byte[]) {
      return SqlType.BYTEA;
    } else if (v instanceof java.time.LocalDate) {
      return SqlType.DATE;
    } else if (v instanceof java.time.LocalDateTime) {
      return SqlType.TIMESTAMP;
    } else if (v instanceof java.time.OffsetDateTime) {
      return SqlType.TIMESTAMPTZ;
    }
    return null;
  }

  /** The Calcite indexes (script-wide, see ParameterMapping) of the dynamic parameters in
   * {@code node}, in text order. */
  static List<Integer> parameters(SqlNode node) {
    List<Integer> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    node.accept(
        new SqlShuttle() {
          @Override
          public SqlNode visit(SqlDynamicParam param) {
            out.add(param.getIndex());
            return param;
          }
        });
    return out;
  }
}
