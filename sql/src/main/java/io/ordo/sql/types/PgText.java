package io.ordo.sql.types;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;

/** PostgreSQL's text forms of values (placeholder until the wire-protocol codec lands). */
public final class PgText {
  private PgText() {}

  public static Object parse(SqlType type, String text) throws SqlException {
    throw new UnsupportedOperationException("pending");
  }

  public static String format(SqlType type, Object value) {
    throw new UnsupportedOperationException("pending");
  }
}
