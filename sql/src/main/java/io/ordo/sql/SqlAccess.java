package io.ordo.sql;

/**
 * The access a SQL statement needs, and the access a session is granted. Ordered: {@link #ADMIN}
 * covers {@link #WRITE}, which covers {@link #READ}.
 *
 * <ul>
 *   <li>{@link #READ}: queries ({@code SELECT}, {@code EXPLAIN}, {@code AS OF}), catalog
 *       introspection ({@code SHOW}, {@code DESCRIBE}, pg_catalog), session settings ({@code SET})
 *       and transaction control ({@code BEGIN}, {@code COMMIT}, {@code ROLLBACK});
 *   <li>{@link #WRITE}: DML ({@code INSERT}, {@code UPDATE}, {@code DELETE}, appends to streams);
 *   <li>{@link #ADMIN}: DDL ({@code CREATE}/{@code ALTER}/{@code DROP} of tables and streams).
 * </ul>
 */
public enum SqlAccess {
  READ,
  WRITE,
  ADMIN;

  /** Whether a session granted this access may run a statement that needs {@code needed}. */
  public boolean covers(SqlAccess needed) {
    return compareTo(needed) >= 0;
  }

  /** The lower-case name used in messages and files ({@code read}, {@code write}, {@code admin}). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
