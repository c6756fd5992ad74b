package io.ordo.sql.engine;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.pgcatalog.PgCatalogAnswers;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A PostgreSQL catalog query a client tool sends (psql's {@code \d}, pgjdbc's metadata calls),
 * answered by {@link PgCatalogAnswers} from the catalog as of the newest snapshot the store holds,
 * instead of by Calcite (which cannot parse PostgreSQL's catalog dialect).
 */
final class CatalogQueryStatement implements SqlStatement {
  private final OrdoSession session;
  private final String sql;
  private final PgCatalogAnswers.Description description;
  private final List<SqlType> declared;

  CatalogQueryStatement(
      OrdoSession session, String sql, PgCatalogAnswers.Description description,
      List<SqlType> declared) {
    this.session = session;
    this.sql = sql;
    this.description = description;
    this.declared = List.copyOf(declared);
  }

  /** Catalog introspection reads only. */
  @Override
  public io.ordo.sql.SqlAccess access() {
    return io.ordo.sql.SqlAccess.READ;
  }

  @Override
  public String sql() {
    return sql;
  }

  @Override
  public List<SqlType> parameterTypes() {
    List<SqlType> types = new ArrayList<>(description.parameterTypes());
    for (int i = 0; i < types.size() && i < declared.size(); i++) {
      if (declared.get(i) != SqlType.UNKNOWN) {
        types.set(i, declared.get(i));
      }
    }
    return types;
  }

  @Override
  public Optional<List<Column>> resultColumns() {
    return Optional.of(description.columns());
  }

  @Override
  public StatementResult execute(List<Object> params) throws SqlException {
    return session.answerCatalogQuery(sql, params);
  }
}
