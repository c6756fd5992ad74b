package io.ordo.sql;

/** Opens SQL sessions over one Ordo deployment. Thread-safe. */
public interface SqlEngine {
  /**
   * A new session. The user and database names are recorded for {@code current_user} and {@code
   * current_database()}; there is no authentication (any names are accepted).
   */
  SqlSession openSession(String user, String database);

  /**
   * A new session that may run only statements whose {@link SqlStatement#access()} {@code
   * granted} covers; any other statement fails with SQLSTATE 42501 (insufficient_privilege)
   * before it runs, and writes nothing. {@code openSession(user, database)} is the same with
   * {@link SqlAccess#ADMIN}.
   *
   * @throws UnsupportedOperationException when this engine cannot restrict a session (the
   *     default, for engines without access checks) and {@code granted} is not ADMIN
   */
  default SqlSession openSession(String user, String database, SqlAccess granted) {
    if (granted == SqlAccess.ADMIN) {
      return openSession(user, database);
    }
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " cannot restrict a session to " + granted.label() + " access");
  }
}
