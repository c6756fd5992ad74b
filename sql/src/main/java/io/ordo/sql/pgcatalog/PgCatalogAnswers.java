package io.ordo.sql.pgcatalog;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.catalog.CatalogSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Answers the PostgreSQL system-catalog queries that psql 15 and pgjdbc 42.7 send (psql's {@code
 * \dt}, {@code \d}, {@code \d t}, {@code \di}, {@code \l}, {@code \dn} and their {@code +} forms;
 * pgjdbc's DatabaseMetaData getTables, getColumns, getPrimaryKeys, getIndexInfo, getSchemas,
 * getCatalogs and {@code select current_catalog}; its TypeInfoCache's pg_type lookups; a few
 * session functions such as {@code select version()}) from Ordo's catalog, so those tools work
 * although Ordo's SQL parser cannot parse these queries. sql/PGCATALOG.md lists them and tells
 * how to add one.
 *
 * <p>Recognition is exact up to layout: the statement's {@linkplain SqlText#normalize normal form}
 * must match one known query's template as a whole; the template's holes take the name patterns,
 * oids and parameters. Anything else is not recognized ({@link Optional#empty()}), and the caller
 * runs the statement as usual.
 *
 * <p>Results have the column names and PostgreSQL types the real server gives for the same query
 * (with the deviations PGCATALOG.md lists), and rows as PostgreSQL 15 would return them for a
 * database holding Ordo's tables in schema {@code public}. Value shapes: NAME, TEXT, CHAR ({@code
 * "char"}) {@link String}; OID {@link Long} (unsigned 32-bit); SMALLINT {@link Short}; INTEGER
 * {@link Integer}; BIGINT {@link Long}; DOUBLE {@link Double}; BOOLEAN {@link Boolean}; SQL NULL
 * {@code null}.
 *
 * <p>Stateless and thread-safe; the templates are compiled once per class.
 */
public final class PgCatalogAnswers {
  /** Longer statements are not compared with the templates (no client query is this long). */
  public static final int STATEMENT_CHARS_MAX = 64 * 1024;

  private static final List<QueryShape> SHAPES = allShapes();

  /**
   * What a recognized query returns, known before it runs (for the extended protocol's Describe,
   * PostgreSQL protocol §55.2.3).
   *
   * @param parameterTypes the types of {@code $1..$n} as PostgreSQL infers them when the client
   *     declares none (text for a LIKE pattern, name for a name compared with {@code =}); the
   *     client's declared types, when given, take precedence
   * @param columns the result columns
   */
  public record Description(List<SqlType> parameterTypes, List<Column> columns) {
    public Description {
      parameterTypes = List.copyOf(parameterTypes);
      columns = List.copyOf(columns);
    }
  }

  private static List<QueryShape> allShapes() {
    List<QueryShape> all = new ArrayList<>();
    all.addAll(PsqlQueries.shapes());
    all.addAll(JdbcQueries.shapes());
    all.addAll(JdbcTypeQueries.shapes());
    return List.copyOf(all);
  }

  /**
   * The description of {@code sql} if it is a recognized query; nothing runs and no catalog is
   * read.
   */
  public Optional<Description> describe(String sql) {
    return recognize(sql).map(m -> new Description(
        m.holes().parameterTypes(), m.shape().columns().apply(m.holes())));
  }

  /**
   * The answer to {@code sql} if it is a recognized query, computed from {@code catalog}.
   *
   * @param sql one statement's text as the client sent it (a trailing semicolon is allowed)
   * @param params the bound parameter values by position ({@code $1} first), with the Java shapes
   *     of {@link SqlType} or the client's text form; empty for the simple query protocol
   * @return the result with command tag {@code SELECT <rows>}, or empty when {@code sql} is not a
   *     recognized query
   * @throws SqlException 08P01 when the statement refers to a parameter that was not bound; 2201B
   *     for an invalid or too long name pattern; 22025 for a LIKE pattern ending in a backslash;
   *     22003 for an oid beyond 2^32-1
   */
  public Optional<StatementResult> answer(
      String sql, List<Object> params, CatalogSnapshot catalog, SessionInfo session)
      throws SqlException {
    Objects.requireNonNull(params, "params");
    Objects.requireNonNull(catalog, "catalog");
    Objects.requireNonNull(session, "session");
    Optional<Match> match = recognize(sql);
    if (match.isEmpty()) {
      return Optional.empty();
    }
    Match m = match.get();
    List<Column> columns = m.shape().columns().apply(m.holes());
    List<List<Object>> rows = m.shape().rows().compute(
        new QueryShape.Request(m.holes(), params, PgCatalogView.of(catalog), session));
    for (List<Object> row : rows) {
      if (row.size() != columns.size()) {
        throw new IllegalStateException(m.shape().id() + ": a row of " + row.size()
            + " values for " + columns.size() + " columns");
      }
    }
    return Optional.of(new StatementResult("SELECT " + rows.size(), columns, rows));
  }

  /** The id of the known query {@code sql} is (e.g. {@code psql.listRelations}), if any. */
  public Optional<String> recognizedId(String sql) {
    return recognize(sql).map(m -> m.shape().id());
  }

  private Optional<Match> recognize(String sql) {
    Objects.requireNonNull(sql, "sql");
    if (sql.length() > STATEMENT_CHARS_MAX) {
      return Optional.empty();
    }
    Optional<String> normalized = SqlText.normalize(sql);
    if (normalized.isEmpty()) {
      return Optional.empty();
    }
    for (QueryShape shape : SHAPES) {
      Optional<QueryTemplate.Holes> holes = shape.template().match(normalized.get());
      if (holes.isPresent() && shape.accepts().test(holes.get())) {
        return Optional.of(new Match(shape, holes.get()));
      }
    }
    return Optional.empty();
  }

  private record Match(QueryShape shape, QueryTemplate.Holes holes) {}
}
