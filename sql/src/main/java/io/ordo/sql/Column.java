package io.ordo.sql;

import java.util.Objects;

/**
 * One column of a result: its name, type and, for DECIMAL/VARCHAR, precision and scale (or the
 * length; -1 when unbounded), and whether it may be NULL. Immutable.
 */
public record Column(String name, SqlType type, int precision, int scale, boolean nullable) {
  public Column {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
  }

  /** A nullable column without precision or scale. */
  public static Column of(String name, SqlType type) {
    return new Column(name, type, -1, -1, true);
  }
}
