package io.ordo.sql.pgcatalog;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One recognized client query: its template, its result columns (which may depend on the optional
 * parts the tool put in, e.g. psql's {@code \dt+} columns) and how to compute its rows.
 *
 * @param id a short name, e.g. {@code psql.listRelations}
 * @param source the tool, version and command that send it, e.g. {@code psql 15: \dt, \d, \di}
 * @param accepts which combinations of optional parts the tool sends: a text the template
 *     matches but that fails this is not recognized (the template alone cannot say "one of these
 *     two parts, not both")
 */
record QueryShape(
    String id,
    String source,
    QueryTemplate template,
    Predicate<QueryTemplate.Holes> accepts,
    Function<QueryTemplate.Holes, List<Column>> columns,
    Rows rows) {
  QueryShape {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(accepts, "accepts");
    Objects.requireNonNull(columns, "columns");
    Objects.requireNonNull(rows, "rows");
  }

  /** A shape that accepts every text its template matches. */
  QueryShape(String id, String source, QueryTemplate template,
      Function<QueryTemplate.Holes, List<Column>> columns, Rows rows) {
    this(id, source, template, holes -> true, columns, rows);
  }

  /** The rows of one execution, each with one value per column, in the result's order. */
  @FunctionalInterface
  interface Rows {
    List<List<Object>> compute(Request request) throws SqlException;
  }

  /** One execution's inputs. */
  record Request(
      QueryTemplate.Holes holes, List<Object> params, PgCatalogView view, SessionInfo session) {
    /** The hole's value (see {@link QueryTemplate.Holes#value}). */
    String value(String hole) throws SqlException {
      return holes.value(hole, params);
    }

    boolean present(String hole) {
      return holes.present(hole);
    }
  }
}
