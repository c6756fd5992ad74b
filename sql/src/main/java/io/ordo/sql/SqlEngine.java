package io.ordo.sql;

/** Opens SQL sessions over one Ordo deployment. Thread-safe. */
public interface SqlEngine {
  /**
   * A new session. The user and database names are recorded for {@code current_user} and {@code
   * current_database()}; there is no authentication (any names are accepted).
   */
  SqlSession openSession(String user, String database);
}
