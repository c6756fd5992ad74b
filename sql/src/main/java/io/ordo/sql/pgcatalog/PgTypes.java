package io.ordo.sql.pgcatalog;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Ordo's pg_type: one row per {@link SqlType}, with PostgreSQL 15's typname, typtype, typelem and
 * typarray for it (all in schema pg_catalog). typarray is set only where Ordo has the array type
 * (text[]), so a client asking for the array of another type finds none, as Ordo has none.
 */
final class PgTypes {
  private PgTypes() {}

  /**
   * One pg_type row.
   *
   * @param oid pg_type.oid
   * @param typname pg_type.typname, e.g. {@code int8}, {@code _text}
   * @param typtype {@code b} base, {@code p} pseudo-type
   * @param typelem the element type's oid for arrays (and for name and int2vector, as in
   *     PostgreSQL), else 0
   * @param typarray the array type's oid when Ordo has it, else 0
   * @param isArray whether typinput is array_in (a true array)
   */
  record PgType(long oid, String typname, String typtype, long typelem, long typarray,
      boolean isArray) {}

  static final List<PgType> ALL = Arrays.stream(SqlType.values()).map(PgTypes::of)
      .sorted(Comparator.comparingLong(PgType::oid)).toList();

  private static PgType of(SqlType t) {
    String name = switch (t) {
      case BOOLEAN -> "bool";
      case SMALLINT -> "int2";
      case INTEGER -> "int4";
      case BIGINT -> "int8";
      case DOUBLE -> "float8";
      case DECIMAL -> "numeric";
      case VARCHAR -> "varchar";
      case TEXT -> "text";
      case BYTEA -> "bytea";
      case DATE -> "date";
      case TIMESTAMP -> "timestamp";
      case TIMESTAMPTZ -> "timestamptz";
      case JSONB -> "jsonb";
      case UNKNOWN -> "unknown";
      case NAME -> "name";
      case OID -> "oid";
      case CHAR -> "char";
      case INT2VECTOR -> "int2vector";
      case TEXT_ARRAY -> "_text";
    };
    long elem = switch (t) {
      case NAME -> SqlType.CHAR.oid();
      case INT2VECTOR -> SqlType.SMALLINT.oid();
      case TEXT_ARRAY -> SqlType.TEXT.oid();
      default -> 0;
    };
    return new PgType(t.oid(), name, t == SqlType.UNKNOWN ? "p" : "b", elem,
        t == SqlType.TEXT ? SqlType.TEXT_ARRAY.oid() : 0, t == SqlType.TEXT_ARRAY);
  }

  static Optional<PgType> byOid(long oid) {
    return ALL.stream().filter(t -> t.oid() == oid).findFirst();
  }

  static Optional<PgType> byName(String typname) {
    return ALL.stream().filter(t -> t.typname().equals(typname)).findFirst();
  }

  /**
   * An oid parameter or literal.
   *
   * @return the oid, or -1 for SQL NULL
   * @throws SqlException 22P02 when it is not an unsigned integer, 22003 beyond 2^32-1
   */
  static long parseOid(String text) throws SqlException {
    if (text == null) {
      return -1;
    }
    String t = text.trim();
    if (t.isEmpty() || t.length() > 20 || !t.chars().allMatch(Character::isDigit)) {
      throw new SqlException(SqlState.INVALID_TEXT_REPRESENTATION,
          "invalid input syntax for type oid: \"" + text + "\"");
    }
    return PsqlQueries.oid(t);
  }

  /**
   * A boolean parameter or literal in PostgreSQL's spellings (true/false, t/f, yes/no, on/off,
   * 1/0, any case).
   *
   * @return the value, or null for SQL NULL
   * @throws SqlException 22P02 for any other text
   */
  static Boolean parseBoolean(String text) throws SqlException {
    if (text == null) {
      return null;
    }
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "true", "t", "yes", "y", "on", "1" -> Boolean.TRUE;
      case "false", "f", "no", "n", "off", "0" -> Boolean.FALSE;
      default -> throw new SqlException(SqlState.INVALID_TEXT_REPRESENTATION,
          "invalid input syntax for type boolean: \"" + text + "\"");
    };
  }
}
