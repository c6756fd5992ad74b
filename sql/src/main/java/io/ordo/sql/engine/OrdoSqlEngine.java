package io.ordo.sql.engine;

import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlSession;
import java.util.Objects;

/**
 * The SQL engine over one Ordo deployment: sessions whose statements run as Ordo transactions and
 * whose queries read snapshots of the gateway's store. Thread-safe.
 */
public final class OrdoSqlEngine implements SqlEngine {
  private final SqlBackend backend;
  private final SqlConfig config;

  public OrdoSqlEngine(SqlBackend backend, SqlConfig config) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  public SqlSession openSession(String user, String database) {
    throw new UnsupportedOperationException("the SQL engine is being written");
  }
}
