package io.ordo.gateway.sql;

import io.ordo.sql.SqlException;
import io.ordo.sql.parser.OrdoSqlParser;
import io.ordo.sql.parser.ParsedStatement;
import io.ordo.sql.parser.stmt.SqlEmitChanges;
import java.util.List;
import java.util.Locale;

/** Recognizes push queries in request text, so REST can serve them as streams. */
public final class PushQueries {
  private PushQueries() {}

  /**
   * Whether {@code sql} holds a push query ({@code ... EMIT CHANGES}): it then goes to {@code
   * Sql/Push}, which runs it, or refuses text that is more than that one query with a clear
   * error. Text that does not parse is not one (Execute reports its syntax error).
   */
  public static boolean isPushQuery(String sql) {
    if (!sql.toUpperCase(Locale.ROOT).contains("EMIT")) {
      return false; // the common case, without parsing
    }
    List<ParsedStatement> statements;
    try {
      statements = OrdoSqlParser.parse(sql);
    } catch (SqlException | RuntimeException e) {
      return false;
    }
    return statements.stream().anyMatch(p -> p.node() instanceof SqlEmitChanges);
  }
}
