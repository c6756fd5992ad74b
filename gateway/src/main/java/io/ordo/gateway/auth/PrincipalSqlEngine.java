package io.ordo.gateway.auth;

import io.ordo.sql.SqlAccess;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlSession;
import java.util.Objects;

/**
 * The SQL engine of the Sql gRPC/REST service when authentication is on: a session opened in a
 * call runs as the call's {@link Principal} ({@link AuthInterceptor#PRINCIPAL}), named by it
 * ({@code current_user}) and restricted to its permission's {@link SqlAccess}. A session opened
 * outside an authenticated call gets read access only.
 */
public final class PrincipalSqlEngine implements SqlEngine {
  private final SqlEngine engine;

  public PrincipalSqlEngine(SqlEngine engine) {
    this.engine = Objects.requireNonNull(engine, "engine");
  }

  @Override
  public SqlSession openSession(String user, String database) {
    Principal principal = AuthInterceptor.PRINCIPAL.get();
    if (principal == null) {
      return engine.openSession(user, database, SqlAccess.READ);
    }
    return engine.openSession(principal.name(), database, principal.permission().sqlAccess());
  }

  @Override
  public SqlSession openSession(String user, String database, SqlAccess granted) {
    return engine.openSession(user, database, granted);
  }
}
