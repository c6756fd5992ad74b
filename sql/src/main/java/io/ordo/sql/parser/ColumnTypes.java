package io.ordo.sql.parser;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import java.util.Locale;
import java.util.Map;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.SqlBasicTypeNameSpec;
import org.apache.calcite.sql.SqlDataTypeSpec;
import org.apache.calcite.sql.SqlTypeNameSpec;
import org.apache.calcite.sql.SqlUserDefinedTypeNameSpec;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Maps the types written in DDL and casts to Ordo's {@link SqlType}s.
 *
 * <p>Accepted spellings (PostgreSQL 15 §8 names and aliases, plus a few common elsewhere):
 *
 * <table>
 *   <caption>Type names</caption>
 *   <tr><th>Written</th><th>Ordo type</th></tr>
 *   <tr><td>BOOLEAN, BOOL</td><td>BOOLEAN</td></tr>
 *   <tr><td>SMALLINT, INT2</td><td>SMALLINT</td></tr>
 *   <tr><td>INT, INTEGER, INT4</td><td>INTEGER</td></tr>
 *   <tr><td>BIGINT, INT8</td><td>BIGINT</td></tr>
 *   <tr><td>DOUBLE [PRECISION], FLOAT, FLOAT8, REAL, FLOAT4</td><td>DOUBLE</td></tr>
 *   <tr><td>DECIMAL[(p[,s])], NUMERIC[(p[,s])], DEC</td><td>DECIMAL (p, s; s is 0 when only p
 *       is given, as in PostgreSQL)</td></tr>
 *   <tr><td>VARCHAR[(n)], CHARACTER VARYING[(n)]</td><td>VARCHAR (n)</td></tr>
 *   <tr><td>TEXT, STRING</td><td>TEXT</td></tr>
 *   <tr><td>BYTEA, VARBINARY</td><td>BYTEA</td></tr>
 *   <tr><td>DATE</td><td>DATE</td></tr>
 *   <tr><td>TIMESTAMP[(p)] [WITHOUT TIME ZONE]</td><td>TIMESTAMP</td></tr>
 *   <tr><td>TIMESTAMPTZ, TIMESTAMP[(p)] WITH [LOCAL] TIME ZONE</td><td>TIMESTAMPTZ</td></tr>
 *   <tr><td>JSONB, JSON</td><td>JSONB</td></tr>
 * </table>
 *
 * <p>TEXT, STRING, BYTEA, BOOL, INT2/4/8, FLOAT4/8, TIMESTAMPTZ, JSON and JSONB are not Calcite
 * built-ins: the parser reads them as user-defined type names, which are matched here. Unquoted
 * names are folded to lower case by the parser; a quoted name must be written in lower case, as in
 * PostgreSQL ({@code "text"} is a type, {@code "TEXT"} is not).
 */
public final class ColumnTypes {
  private ColumnTypes() {}

  /**
   * A column type.
   *
   * @param type the Ordo type
   * @param precision VARCHAR's maximum length in characters, DECIMAL's precision in digits,
   *     TIMESTAMP[TZ]'s fractional-second digits; -1 when not given
   * @param scale DECIMAL's digits after the point; -1 when not given (and for other types)
   */
  public record ColumnType(SqlType type, int precision, int scale) {
    /** The type in DDL spelling, e.g. "VARCHAR(20)", "DECIMAL(10, 2)", "BIGINT". */
    public String sql() {
      String base = type.sqlName();
      if (precision < 0) {
        return base;
      }
      return scale < 0 ? base + "(" + precision + ")" : base + "(" + precision + ", " + scale + ")";
    }
  }

  private static final Map<String, SqlType> NAMED = Map.ofEntries(
      Map.entry("bool", SqlType.BOOLEAN),
      Map.entry("int2", SqlType.SMALLINT),
      Map.entry("int4", SqlType.INTEGER),
      Map.entry("int8", SqlType.BIGINT),
      Map.entry("float4", SqlType.DOUBLE),
      Map.entry("float8", SqlType.DOUBLE),
      Map.entry("text", SqlType.TEXT),
      Map.entry("string", SqlType.TEXT),
      Map.entry("bytea", SqlType.BYTEA),
      Map.entry("timestamptz", SqlType.TIMESTAMPTZ),
      Map.entry("json", SqlType.JSONB),
      Map.entry("jsonb", SqlType.JSONB));

  /** As {@link #of(SqlDataTypeSpec, SourceMap)}, with error positions 0 (no source text). */
  public static ColumnType of(SqlDataTypeSpec spec) throws SqlException {
    return of(spec, null);
  }

  /**
   * The Ordo type of {@code spec}.
   *
   * @param source the map of the statement the spec was parsed from (for error positions), or null
   * @throws SqlException 42704 (undefined_object, "type \"x\" does not exist") for an unknown
   *     name; 0A000 for a Calcite type Ordo does not have (e.g. TIME, CHAR, arrays); both with the
   *     type's position in the script
   */
  public static ColumnType of(SqlDataTypeSpec spec, SourceMap source) throws SqlException {
    SqlTypeNameSpec name = spec.getTypeNameSpec();
    int position = source == null ? 0 : source.position(name.getParserPos());
    if (spec.getCollectionsTypeName() != null) {
      throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED,
          "array and multiset types are not supported", position);
    }
    if (name instanceof SqlUserDefinedTypeNameSpec) {
      String written = String.join(".", name.getTypeName().names);
      SqlType type = NAMED.get(written);
      if (type == null) {
        throw new SqlException(SqlState.UNDEFINED_OBJECT,
            "type \"" + written + "\" does not exist", position);
      }
      return new ColumnType(type, -1, -1);
    }
    if (!(name instanceof SqlBasicTypeNameSpec basic)) {
      throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED,
          "type " + name.getTypeName() + " is not supported", position);
    }
    SqlTypeName typeName = SqlTypeName.get(basic.getTypeName().getSimple());
    int precision = basic.getPrecision() == RelDataType.PRECISION_NOT_SPECIFIED
        ? -1 : basic.getPrecision();
    int scale = basic.getScale() == RelDataType.SCALE_NOT_SPECIFIED ? -1 : basic.getScale();
    if (typeName == null) {
      throw new SqlException(SqlState.UNDEFINED_OBJECT,
          "type \"" + basic.getTypeName().getSimple().toLowerCase(Locale.ROOT)
              + "\" does not exist", position);
    }
    switch (typeName) {
      case BOOLEAN:
        return new ColumnType(SqlType.BOOLEAN, -1, -1);
      case SMALLINT:
        return new ColumnType(SqlType.SMALLINT, -1, -1);
      case INTEGER:
        return new ColumnType(SqlType.INTEGER, -1, -1);
      case BIGINT:
        return new ColumnType(SqlType.BIGINT, -1, -1);
      case DOUBLE:
      case FLOAT:
      case REAL:
        return new ColumnType(SqlType.DOUBLE, -1, -1);
      case DECIMAL:
        return new ColumnType(SqlType.DECIMAL, precision, precision >= 0 && scale < 0 ? 0 : scale);
      case VARCHAR:
        return new ColumnType(SqlType.VARCHAR, precision, -1);
      case VARBINARY:
        return new ColumnType(SqlType.BYTEA, -1, -1);
      case DATE:
        return new ColumnType(SqlType.DATE, -1, -1);
      case TIMESTAMP:
        return new ColumnType(SqlType.TIMESTAMP, precision, -1);
      case TIMESTAMP_TZ:
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        return new ColumnType(SqlType.TIMESTAMPTZ, precision, -1);
      default:
        throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED,
            "type " + typeName.getName().replace('_', ' ') + " is not supported", position);
    }
  }

  /**
   * The Calcite built-in type a PostgreSQL type name written as a user-defined type stands for in
   * a query (e.g. {@code x::text} → VARCHAR, {@code x::int8} → BIGINT, {@code timestamptz} →
   * TIMESTAMP WITH LOCAL TIME ZONE, JSON/JSONB → VARCHAR); {@code spec} itself when it is none of
   * them. Used by {@link OrdoSqlParser#unparse} so Calcite's planner needs no user-defined types.
   */
  public static SqlDataTypeSpec toCalcite(SqlDataTypeSpec spec) {
    // Timestamps without a precision keep milliseconds (Calcite's default precision is 0, which
    // would drop the fraction; Ordo stores timestamps at millisecond precision).
    if (spec.getTypeNameSpec() instanceof SqlBasicTypeNameSpec basic
        && spec.getCollectionsTypeName() == null
        && (basic.getTypeName().getSimple().equals("TIMESTAMP")
            || basic.getTypeName().getSimple().equals("TIMESTAMP_WITH_LOCAL_TIME_ZONE"))
        && basic.getPrecision() < 0) {
      SqlTypeName name = SqlTypeName.get(basic.getTypeName().getSimple());
      if (name != null) {
        return new SqlDataTypeSpec(
            new SqlBasicTypeNameSpec(name, 3, basic.getParserPos()), spec.getParserPosition());
      }
    }
    if (!(spec.getTypeNameSpec() instanceof SqlUserDefinedTypeNameSpec udt)
        || spec.getCollectionsTypeName() != null) {
      return spec;
    }
    SqlType type = NAMED.get(String.join(".", udt.getTypeName().names));
    if (type == null) {
      return spec;
    }
    SqlTypeName calcite = switch (type) {
      case BOOLEAN -> SqlTypeName.BOOLEAN;
      case SMALLINT -> SqlTypeName.SMALLINT;
      case INTEGER -> SqlTypeName.INTEGER;
      case BIGINT -> SqlTypeName.BIGINT;
      case DOUBLE -> SqlTypeName.DOUBLE;
      case BYTEA -> SqlTypeName.VARBINARY;
      case TIMESTAMPTZ -> SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE;
      default -> SqlTypeName.VARCHAR;
    };
    SqlBasicTypeNameSpec name = calcite == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE
        ? new SqlBasicTypeNameSpec(calcite, 3, udt.getParserPos())
        : new SqlBasicTypeNameSpec(calcite, udt.getParserPos());
    return new SqlDataTypeSpec(name, spec.getParserPosition());
  }
}
