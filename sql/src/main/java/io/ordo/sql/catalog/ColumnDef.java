package io.ordo.sql.catalog;

import io.ordo.sql.SqlType;
import java.util.Objects;
import java.util.Optional;

/**
 * One column of a table or stream in the catalog.
 *
 * @param name the column name, lower-cased unless quoted in the DDL (PostgreSQL's folding)
 * @param id stable id within its table, assigned in DDL order from 1 and never reused; rows are
 *     encoded by column id, so ADD COLUMN never rewrites rows
 * @param type the SQL type
 * @param precision DECIMAL precision or VARCHAR length; -1 when unbounded
 * @param scale DECIMAL scale; -1 when not DECIMAL
 * @param notNull whether NULL is refused (primary key columns are always NOT NULL)
 * @param defaultSql the DEFAULT expression's SQL text, if any (a literal, evaluated at INSERT)
 */
public record ColumnDef(
    String name,
    int id,
    SqlType type,
    int precision,
    int scale,
    boolean notNull,
    Optional<String> defaultSql) {
  public ColumnDef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(defaultSql, "defaultSql");
    if (id < 1) {
      throw new IllegalArgumentException("column id must be >= 1, got " + id);
    }
  }
}
