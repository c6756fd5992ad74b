package io.ordo.sql;

import java.util.Locale;

/**
 * The column and parameter types of Ordo SQL, with their PostgreSQL type OIDs (pg_type.oid, as
 * in PostgreSQL 15's {@code pg_type.dat}) so the wire protocol describes them as PostgreSQL would.
 *
 * <p>Java shapes of values (rows and parameters; SQL NULL is {@code null}): BOOLEAN {@link
 * Boolean}, SMALLINT {@link Short}, INTEGER {@link Integer}, BIGINT {@link Long}, DOUBLE {@link
 * Double}, DECIMAL {@link java.math.BigDecimal}, VARCHAR/TEXT {@link String}, BYTEA {@code
 * byte[]}, DATE {@link java.time.LocalDate}, TIMESTAMP {@link java.time.LocalDateTime},
 * TIMESTAMPTZ {@link java.time.OffsetDateTime} (in UTC), JSONB {@link String} (the JSON text,
 * normalized). The catalog types (NAME, OID, CHAR, INT2VECTOR and arrays) appear only in the
 * answers to {@code pg_catalog} queries.
 */
public enum SqlType {
  BOOLEAN(16, 1, "boolean"),
  SMALLINT(21, 2, "smallint"),
  INTEGER(23, 4, "integer"),
  BIGINT(20, 8, "bigint"),
  DOUBLE(701, 8, "double precision"),
  DECIMAL(1700, -1, "numeric"),
  VARCHAR(1043, -1, "character varying"),
  TEXT(25, -1, "text"),
  BYTEA(17, -1, "bytea"),
  DATE(1082, 4, "date"),
  TIMESTAMP(1114, 8, "timestamp without time zone"),
  TIMESTAMPTZ(1184, 8, "timestamp with time zone"),
  JSONB(3802, -1, "jsonb"),
  /** A parameter whose type the client left open and the statement does not fix. */
  UNKNOWN(705, -2, "unknown"),
  NAME(19, 64, "name"),
  OID(26, 4, "oid"),
  CHAR(18, 1, "\"char\""),
  INT2VECTOR(22, -1, "int2vector"),
  TEXT_ARRAY(1009, -1, "text[]");

  private final int oid;
  private final int typeLength;
  private final String pgName;

  SqlType(int oid, int typeLength, String pgName) {
    this.oid = oid;
    this.typeLength = typeLength;
    this.pgName = pgName;
  }

  /** The PostgreSQL type OID (RowDescription, ParameterDescription, pg_type.oid). */
  public int oid() {
    return oid;
  }

  /** pg_type.typlen: bytes of a fixed-size type, -1 variable length, -2 C string. */
  public int typeLength() {
    return typeLength;
  }

  /** The name PostgreSQL's {@code format_type} gives, e.g. "character varying". */
  public String pgName() {
    return pgName;
  }

  /** The type with this OID, or UNKNOWN for 0 and OIDs Ordo does not have. */
  public static SqlType ofOid(int oid) {
    for (SqlType t : values()) {
      if (t.oid == oid) {
        return t;
      }
    }
    return UNKNOWN;
  }

  /** The SQL spelling used in DDL and DESCRIBE, e.g. "BIGINT". */
  public String sqlName() {
    return name().replace('_', ' ').toUpperCase(Locale.ROOT);
  }
}
