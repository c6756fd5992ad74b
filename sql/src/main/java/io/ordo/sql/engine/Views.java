package io.ordo.sql.engine;

import io.ordo.proto.AbortReason;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.ViewBatch;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.catalog.ViewDef;
import io.ordo.sql.catalog.ViewSource;
import io.ordo.sql.encoding.ViewCodec;
import io.ordo.sql.parser.OrdoSqlParser;
import io.ordo.storage.ChangePage;
import io.ordo.storage.MultiVersionStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.calcite.sql.JoinConditionType;
import org.apache.calcite.sql.JoinType;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlJoin;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlOperatorTable;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.SqlSyntax;
import org.apache.calcite.sql.SqlUnresolvedFunction;
import org.apache.calcite.sql.fun.SqlLibrary;
import org.apache.calcite.sql.fun.SqlLibraryOperatorTableFactory;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.validate.SqlNameMatchers;
import org.apache.calcite.sql.util.SqlBasicVisitor;

/**
 * Materialized views in the engine: CREATE / DROP / SHOW VIEWS / EXPLAIN, the waits of {@code
 * view_consistency} and the batches their jobs apply.
 *
 * <p>A view is two catalog entries written by one sequenced DDL transaction: its definition
 * ({@link ViewCodec}) and a table of the same name whose columns are the query's and whose
 * primary key is its GROUP BY columns. The rows are ordinary table rows, so pull queries, AS OF
 * and EMIT CHANGES read a view like any table. A Flink job (module {@code views}) computes the
 * rows; this class only checks and stores what it sends ({@link #apply}).
 *
 * <p>Supported in this slice: one base table, or an event-time window over one stream ({@link
 * ViewWindow}: TUMBLE, HOP, SESSION, grouped per window); WHERE, projections, GROUP BY over plain
 * columns that are all selected, and COUNT, COUNT(DISTINCT), SUM, AVG, MIN, MAX. Everything else
 * is refused at CREATE with 0A000 naming the construct.
 */
final class Views {
  /** Aggregate functions a view may use (Flink SQL computes them incrementally). */
  private static final Set<String> AGGREGATES = Set.of("COUNT", "SUM", "AVG", "MIN", "MAX");

  /** The most source changes SHOW VIEWS counts as a view's lag (one index page). */
  static final int LAG_COUNT_MAX = MultiVersionStore.CHANGE_SCAN_MAX;

  private final OrdoSession session;
  private final OrdoSqlEngine engine;
  private final Ddl ddl;

  Views(OrdoSession session, OrdoSqlEngine engine, Ddl ddl) {
    this.session = session;
    this.engine = engine;
    this.ddl = ddl;
  }

  // -------------------------------------------------------------------------------------------
  // CREATE MATERIALIZED VIEW

  StatementResult create(Plan.CreateView v) throws SqlException, InterruptedException {
    Shape shape = shape(v);
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Catalog catalog = ddl.freshCatalog();
      if (exists(catalog, v)) {
        return StatementResult.command("CREATE MATERIALIZED VIEW");
      }
      // The view counts a stream's records after this position (ViewDef.startPosition).
      Definition d = define(v, shape, catalog, () -> Positions.format(session.fresh().position()));
      String tableKey = Encodings.tableKey(v.name());
      List<Operation> ops = new ArrayList<>(List.of(
          Ddl.assertOp(tableKey, Optional.empty()),
          Ddl.assertOp(Encodings.streamKey(v.name()), Optional.empty()),
          Ddl.assertOp(ViewCodec.viewKey(v.name()), Optional.empty())));
      for (TableDef base : d.bases()) {
        String baseKey = Encodings.tableKey(base.name());
        // The base table's definition is rewritten with version + 1: a concurrent DROP TABLE
        // asserts the definition it read, so it fails and, retried, sees this view and refuses.
        TableDef baseNext = new TableDef(base.name(), base.tableId(), base.columns(),
            base.primaryKey(), base.version() + 1);
        ops.add(Ddl.assertOp(baseKey, Optional.of(catalog.tableValue(base.name()))));
        ops.add(Ddl.put(baseKey, Encodings.encodeTable(baseNext)));
      }
      // A DROP STREAM racing this CREATE is not fenced (DROP STREAM of a stream a view reads is
      // refused otherwise): the view's job then fails, and SHOW VIEWS says "source dropped".
      ops.add(Ddl.put(tableKey, Encodings.encodeTable(d.table())));
      ops.add(Ddl.put(ViewCodec.viewKey(v.name()), ViewCodec.encode(d.def())));
      TxnResult r = ddl.submit(ops);
      if (r.getOutcome() == Outcome.COMMITTED) {
        return StatementResult.command("CREATE MATERIALIZED VIEW");
      }
      if (r.getAbortReason() != AbortReason.ASSERT_FAILED) {
        throw Ddl.aborted(r);
      }
    }
    throw Ddl.conflict(v.name());
  }

  /**
   * A view's query checked without the catalog ({@link #shape(SqlNode, int)}, its window and
   * relations).
   *
   * @param select the query
   * @param window its event-time window, if any
   * @param lateness the allowed lateness in ms (0 without a window)
   * @param relations what FROM reads: the window's stream, or the tables in FROM order
   */
  record Shape(SqlSelect select, Optional<ViewWindow> window, long lateness,
      List<Relation> relations) {}

  /** Checks CREATE's query and options as far as they need no catalog (0A000, 22023, 42601). */
  static Shape shape(Plan.CreateView v) throws SqlException {
    int at = v.position();
    SqlSelect select = shape(v.query(), at);
    Optional<ViewWindow> window = ViewWindow.of(select.getFrom(), at);
    long lateness = ViewWindow.allowedLatenessMs(v.options(), at);
    if (window.isEmpty() && v.options().containsKey(ViewWindow.ALLOWED_LATENESS)) {
      throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, ViewWindow.ALLOWED_LATENESS
          + " applies to views with an event-time window (TUMBLE, HOP, SESSION) only", at);
    }
    if (window.isPresent() && (select.getGroup() == null || select.getGroup().isEmpty())) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "a materialized view needs GROUP BY: its primary key is the GROUP BY columns, and a"
              + " view without one has no key to store its rows under", at);
    }
    // A window reads one stream; otherwise FROM is one table or a join of tables.
    List<Relation> relations = window.isPresent()
        ? List.of(new Relation(window.get().source(), window.get().alias(), false, null))
        : relations(select, at);
    return new Shape(select, window, lateness, relations);
  }

  /**
   * Whether CREATE finds its name taken and IF NOT EXISTS lets it do nothing.
   *
   * @throws SqlException 42P07 when the name is taken and there is no IF NOT EXISTS
   */
  private static boolean exists(Catalog catalog, Plan.CreateView v) throws SqlException {
    if (catalog.isView(v.name()) || catalog.table(v.name()).isPresent()
        || catalog.stream(v.name()).isPresent()) {
      if (v.ifNotExists()) {
        return true;
      }
      throw new SqlException(
          SqlState.DUPLICATE_TABLE, "relation \"" + v.name() + "\" already exists", v.position());
    }
    return false;
  }

  /** Where a new view over a stream starts: a log position {@code <ts>:<p>:<o>}. */
  interface StartPosition {
    String get() throws SqlException, InterruptedException;
  }

  /**
   * What CREATE stores for a view.
   *
   * @param table the view's rows' table
   * @param def the view's definition, which its job reads (SHOW VIEWS)
   * @param bases the tables it reads, each once, in FROM order (their definitions are bumped)
   */
  record Definition(TableDef table, ViewDef def, List<TableDef> bases) {}

  /**
   * The view CREATE would store in {@code catalog}: checks the relations it reads, describes the
   * query for its columns and derives its key. Stores nothing.
   *
   * @param start the start position of a view over a stream (asked only for one)
   * @throws SqlException as CREATE: 42P01 for an unknown relation, 0A000 for what views do not
   *     support, and {@link #key}'s and {@link ViewWindow#check}'s refusals
   */
  Definition define(Plan.CreateView v, Shape shape, Catalog catalog, StartPosition start)
      throws SqlException, InterruptedException {
    int at = v.position();
    SqlSelect select = shape.select();
    Optional<ViewWindow> window = shape.window();
    List<Relation> relations = shape.relations();
    boolean join = relations.size() > 1;
    List<TableDef> bases = new ArrayList<>();
    Optional<StreamDef> stream = Optional.empty();
    for (Relation r : relations) {
      String source = r.table();
      if (catalog.isView(source)) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "a materialized view over another view (\"" + source + "\") is not supported yet",
            at);
      }
      Optional<StreamDef> s = catalog.stream(source);
      if (s.isPresent()) {
        if (join) {
          throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED,
              "materialized views do not support joins with a stream (\"" + source
                  + "\") yet: only joins of tables", at);
        }
        if (window.isEmpty()) {
          throw new SqlException(
              SqlState.FEATURE_NOT_SUPPORTED,
              "a materialized view over a stream (\"" + source + "\") needs an event-time"
                  + " window, FROM TABLE(TUMBLE | HOP | SESSION(TABLE " + source
                  + ", DESCRIPTOR(<time column>), ...)) GROUP BY window_start, window_end,"
                  + " ...: an aggregate over a whole stream would grow without bound", at);
        }
        stream = s;
        continue;
      }
      if (window.isPresent()) {
        catalog.requireTable(source, at);
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "materialized views support event-time windows over streams only: table \""
                + source + "\" is not append-only", at);
      }
      bases.add(catalog.requireTable(source, at));
    }
    SqlSelect described = select;
    String startPosition = "";
    if (stream.isPresent()) {
      window.get().check(stream.get(), select.getGroup(), at);
      described = windowed(select, window.get());
      startPosition = start.get();
    }
    List<Column> columns = session.describe(
        new Dml.Composed(Unparse.sql(described), List.of()), catalog).columns;
    List<String> key = key(select, relations, bases, columns, at);
    List<ColumnDef> defs = new ArrayList<>();
    int id = 1;
    for (Column c : columns) {
      boolean isKey = key.contains(c.name());
      if (isKey && c.type() == SqlType.JSONB) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "GROUP BY column \"" + c.name() + "\" of type jsonb cannot be a view's key", at);
      }
      // A result column without a length (an unbounded VARCHAR, a DECIMAL of any scale) is
      // stored as its unbounded table type.
      SqlType type = c.type() == SqlType.VARCHAR && c.precision() <= 0 ? SqlType.TEXT : c.type();
      boolean bounded = type == SqlType.VARCHAR
          || type == SqlType.DECIMAL && c.precision() > 0 && c.scale() >= 0;
      defs.add(new ColumnDef(c.name(), id++, type, bounded ? c.precision() : -1,
          bounded ? c.scale() : -1, isKey, Optional.empty()));
    }
    String viewId = Ddl.newTableId();
    TableDef table = new TableDef(v.name(), viewId, defs, key, 1);
    // Sources in FROM order, each table once (a self-join reads one table twice); a stream has
    // no id of its own.
    List<ViewSource> sources = new ArrayList<>();
    List<TableDef> distinct = new ArrayList<>();
    if (stream.isPresent()) {
      sources.add(new ViewSource(stream.get().name(), "", true));
    }
    for (TableDef base : bases) {
      if (sources.stream().noneMatch(x -> x.name().equals(base.name()))) {
        sources.add(new ViewSource(base.name(), base.tableId(), false));
        distinct.add(base);
      }
    }
    return new Definition(table, viewDef(v, shape, viewId, sources, startPosition), distinct);
  }

  /**
   * The definition CREATE stores for a view of {@code shape}: its query as Ordo keeps it and as
   * its Flink job is given it, its sources, lateness, time column and start position.
   *
   * @param viewId the view's id (its rows' table id)
   * @param sources what it reads, in FROM order, each once
   * @param startPosition where a view over a stream starts ({@code <ts>:<p>:<o>}), else ""
   */
  static ViewDef viewDef(Plan.CreateView v, Shape shape, String viewId, List<ViewSource> sources,
      String startPosition) {
    return new ViewDef(v.name(), viewId, Unparse.sql(shape.select()),
        OrdoSqlParser.unparseForFlink(shape.select()), sources, shape.lateness(),
        shape.window().map(ViewWindow::timeColumn).orElse(""), startPosition);
  }

  /**
   * The view's primary key: its GROUP BY columns when grouped, else every joined table's primary
   * key (see {@link #joinKey}); also checks that every result column has a name of its own.
   *
   * @param select the view's query ({@link #shape})
   * @param relations its tables ({@link #relations})
   * @param bases the definitions of those tables, in the same order
   * @param columns the query's result columns
   * @return the key's column names, in key order
   * @throws SqlException 42P16 for an unnamed or reserved column or a missing key column, 42701
   *     for a repeated name, 42803 for a GROUP BY column not selected, 0A000 for a LEFT JOIN whose
   *     unmatched rows would have no key or a GROUP BY column from a LEFT JOIN's right side
   */
  static List<String> key(SqlSelect select, List<Relation> relations, List<TableDef> bases,
      List<Column> columns, int at) throws SqlException {
    checkColumnNames(columns, at);
    if (select.getGroup() == null || select.getGroup().isEmpty()) {
      return joinKey(select, relations, bases, columns, at);
    }
    for (SqlNode g : select.getGroup()) {
      SqlIdentifier id = (SqlIdentifier) g;
      String column = id.names.get(id.names.size() - 1);
      for (Relation r : relations) {
        if (r.nullable() && refersTo(id, r, column, relations, bases)) {
          throw unsupported("GROUP BY column \"" + id + "\" from the right side of a LEFT JOIN"
              + " (rows without a match would group under NULL, and a view's key cannot be"
              + " NULL; group by a column of the left side, or use an INNER JOIN)", at);
        }
      }
    }
    return keyColumns(select, columns, at);
  }

  /**
   * The tables a view's query reads, in FROM order, checked: joins are INNER or LEFT [OUTER]
   * equi-joins of tables (0A000 otherwise), no name twice (42712), and a query over one table
   * needs GROUP BY (0A000).
   */
  static List<Relation> relations(SqlSelect select, int at) throws SqlException {
    List<Relation> relations = new ArrayList<>();
    relations(select.getFrom(), relations, at);
    if (relations.size() == 1 && (select.getGroup() == null || select.getGroup().isEmpty())) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "a materialized view needs GROUP BY: its primary key is the GROUP BY columns, and a"
              + " view without one has no key to store its rows under", at);
    }
    Set<String> aliases = new HashSet<>();
    for (Relation r : relations) {
      if (!aliases.add(r.alias())) {
        throw new SqlException(SqlState.DUPLICATE_ALIAS,
            "table name \"" + r.alias() + "\" specified more than once (give one an alias)",
            at);
      }
    }
    return relations;
  }

  /** The query as one SELECT this slice supports, else 0A000 naming what is not. */
  static SqlSelect shape(SqlNode query, int at) throws SqlException {
    if (!(query instanceof SqlSelect select)) {
      String what = query.getKind() == SqlKind.ORDER_BY ? "ORDER BY / LIMIT"
          : query.getKind().lowerName.replace('_', ' ');
      throw unsupported(what, at);
    }
    if (select.getFetch() != null || select.getOffset() != null
        || (select.getOrderList() != null && !select.getOrderList().isEmpty())) {
      throw unsupported("ORDER BY / LIMIT", at);
    }
    if (select.isDistinct()) {
      throw unsupported("SELECT DISTINCT (use GROUP BY)", at);
    }
    if (select.getWindowList() != null && !select.getWindowList().isEmpty()) {
      throw unsupported("WINDOW clauses", at);
    }
    SqlNode from = select.getFrom();
    if (from == null) {
      throw unsupported("a view without FROM", at);
    }
    for (SqlNode g : select.getGroup() == null ? List.<SqlNode>of() : select.getGroup()) {
      if (g instanceof SqlCall c && c.getOperator().getName().toUpperCase(Locale.ROOT)
          .matches("TUMBLE|HOP|SESSION|CUBE|ROLLUP|GROUPING SETS")) {
        throw unsupported(
            "windows and grouping sets (" + c.getOperator().getName() + ") in GROUP BY", at);
      }
      if (!(g instanceof SqlIdentifier)) {
        throw unsupported("GROUP BY expressions (group by columns)", at);
      }
    }
    SqlException[] found = new SqlException[1];
    SqlBasicVisitor<Void> visitor = new SqlBasicVisitor<>() {
      @Override
      public Void visit(SqlCall call) {
        if (found[0] != null) {
          return null;
        }
        if (call.getKind() == SqlKind.SELECT || call.getKind() == SqlKind.SCALAR_QUERY
            || call.getKind() == SqlKind.EXISTS || call.getKind() == SqlKind.IN
            && call.operand(1) instanceof SqlSelect) {
          found[0] = unsupported("subqueries", at);
          return null;
        }
        if (call.getKind() == SqlKind.OVER) {
          found[0] = unsupported("window functions (OVER)", at);
          return null;
        }
        if (isAggregate(call)) {
          String name = call.getOperator().getName().toUpperCase(Locale.ROOT);
          if (!AGGREGATES.contains(name)) {
            found[0] = unsupported("aggregate function " + name
                + " (supported: COUNT, COUNT(DISTINCT), SUM, AVG, MIN, MAX)", at);
            return null;
          }
          if (call.getFunctionQuantifier() != null && !name.equals("COUNT")) {
            found[0] = unsupported(name + "(DISTINCT ...)", at);
            return null;
          }
        }
        return super.visit(call);
      }
    };
    select.getSelectList().accept(visitor);
    if (select.getWhere() != null) {
      select.getWhere().accept(visitor);
    }
    if (select.getHaving() != null) {
      select.getHaving().accept(visitor);
    }
    if (found[0] != null) {
      throw found[0];
    }
    return select;
  }

  /**
   * {@code select} with its window replaced by a subquery of the same columns, which the engine
   * can describe: the stream's columns and the window's (TIMESTAMP(3) like Flink's {@code
   * window_start} and {@code window_end}; {@code window_time} is TIMESTAMPTZ(3) like the job's
   * time attribute, a TIMESTAMP_LTZ(3)).
   */
  private static SqlSelect windowed(SqlSelect select, ViewWindow w) throws SqlException {
    String q = "\"" + w.source().replace("\"", "\"\"") + "\"";
    String sql = "SELECT * FROM (SELECT *, CAST(NULL AS TIMESTAMP(3)) AS \"window_start\","
        + " CAST(NULL AS TIMESTAMP(3)) AS \"window_end\", \"" + ViewWindow.LOG_TIME
        + "\" AS \"window_time\" FROM " + q + ") AS \"" + w.alias().replace("\"", "\"\"") + "\"";
    SqlSelect parsed = (SqlSelect) OrdoSqlParser.parseOne(sql).node();
    SqlSelect copy = (SqlSelect) select.clone(select.getParserPosition());
    copy.setFrom(parsed.getFrom());
    return copy;
  }

  /** Operators of the function libraries the engine runs with (standard and PostgreSQL). */
  private static final SqlOperatorTable FUNCTIONS = SqlLibraryOperatorTableFactory.INSTANCE
      .getOperatorTable(SqlLibrary.STANDARD, SqlLibrary.POSTGRESQL);

  /**
   * Whether {@code call} is an aggregate. Before validation a function the parser does not know
   * by name (STDDEV_POP, STRING_AGG, ...) is an unresolved function: it is looked up by name.
   */
  private static boolean isAggregate(SqlCall call) {
    SqlOperator op = call.getOperator();
    if (op.isAggregator()) {
      return true;
    }
    if (!(op instanceof SqlUnresolvedFunction)) {
      return false;
    }
    List<SqlOperator> found = new ArrayList<>();
    FUNCTIONS.lookupOperatorOverloads(
        new SqlIdentifier(op.getName(), SqlParserPos.ZERO), null, SqlSyntax.FUNCTION, found,
        SqlNameMatchers.withCaseSensitive(false));
    return found.stream().anyMatch(SqlOperator::isAggregator);
  }

  /**
   * One table of a view's FROM clause.
   *
   * @param table the table's name
   * @param alias the name the query refers to it by (the table's own without AS)
   * @param nullable whether the join may pad its columns with nulls (the right side of a LEFT
   *     JOIN)
   * @param on the ON condition that joined it (null for the first table)
   */
  record Relation(String table, String alias, boolean nullable, SqlNode on) {}

  /**
   * Collects the tables of {@code from} in FROM order: one table, or INNER / LEFT [OUTER] joins
   * with an ON condition holding an equality between columns. Anything else is 0A000.
   */
  private static void relations(SqlNode from, List<Relation> out, int at) throws SqlException {
    if (from instanceof SqlJoin join) {
      relations(join.getLeft(), out, at);
      JoinType type = join.getJoinType();
      if (type == JoinType.COMMA || type == JoinType.CROSS) {
        throw unsupported("cross joins (a join needs ON with an equality between columns of"
            + " its two sides)", at);
      }
      if (join.isNatural()) {
        throw unsupported("NATURAL joins (name the columns with ON)", at);
      }
      if (type != JoinType.INNER && type != JoinType.LEFT) {
        throw unsupported(type.name().replace('_', ' ') + " joins (supported: INNER and LEFT"
            + " [OUTER] equi-joins)", at);
      }
      if (join.getConditionType() != JoinConditionType.ON
          || !hasEquality(join.getCondition())) {
        throw unsupported("non-equi joins (a join needs ON with an equality between columns"
            + " of its two sides)", at);
      }
      if (join.getRight() instanceof SqlJoin) {
        throw unsupported("nested joins in parentheses", at);
      }
      List<Relation> right = new ArrayList<>();
      relations(join.getRight(), right, at);
      Relation r = right.get(0);
      out.add(new Relation(r.table(), r.alias(), type == JoinType.LEFT, join.getCondition()));
      return;
    }
    String alias = null;
    SqlNode table = from;
    if (from.getKind() == SqlKind.AS) {
      SqlCall as = (SqlCall) from;
      if (as.operandCount() > 2) {
        throw unsupported("column aliases in FROM", at);
      }
      table = as.operand(0);
      alias = ((SqlIdentifier) as.operand(1)).getSimple();
    }
    if (!(table instanceof SqlIdentifier id)) {
      throw unsupported("FROM other than tables and joins of tables (subqueries, table"
          + " functions)", at);
    }
    if (id.names.size() != 1) {
      throw unsupported("qualified table names", at);
    }
    out.add(new Relation(id.getSimple(), alias == null ? id.getSimple() : alias, false, null));
  }

  /** Whether a join condition has a conjunct {@code column = column}. */
  private static boolean hasEquality(SqlNode condition) {
    if (condition == null) {
      return false;
    }
    if (condition.getKind() == SqlKind.AND) {
      for (SqlNode operand : ((SqlCall) condition).getOperandList()) {
        if (hasEquality(operand)) {
          return true;
        }
      }
      return false;
    }
    return condition.getKind() == SqlKind.EQUALS
        && ((SqlCall) condition).operand(0) instanceof SqlIdentifier
        && ((SqlCall) condition).operand(1) instanceof SqlIdentifier;
  }

  /**
   * The key of a join view without GROUP BY: the primary-key columns of every joined table, each
   * selected as a plain column (so every view row carries them; together they identify it). A
   * table on the right of a LEFT JOIN whose ON condition equates its whole primary key with
   * columns of the tables before it matches at most one row per row of those: its key adds
   * nothing and is not needed (and it would be null in the rows without a match).
   *
   * @throws SqlException 42P16 when a needed key column is not selected; 0A000 for a LEFT JOIN
   *     whose rows without a match would have no key
   */
  private static List<String> joinKey(SqlSelect select, List<Relation> relations,
      List<TableDef> bases, List<Column> columns, int at) throws SqlException {
    SqlNodeList items = select.getSelectList();
    List<String> key = new ArrayList<>();
    for (int t = 0; t < relations.size(); t++) {
      Relation r = relations.get(t);
      TableDef base = bases.get(t);
      if (r.nullable()) {
        if (coversKey(r, base, r.on())) {
          continue;
        }
        throw unsupported("a LEFT JOIN without GROUP BY whose ON does not match the whole"
            + " primary key of \"" + r.alias() + "\" (its rows without a match would have no"
            + " key; join on its primary key, or GROUP BY)", at);
      }
      for (String k : base.primaryKey()) {
        String found = selected(items, columns, r, k, relations, bases);
        // An INNER JOIN's ON equates it with another column: selecting that one is as good.
        for (int j = 0; found == null && j < relations.size(); j++) {
          Relation other = relations.get(j);
          if (other.on() == null || other.nullable()) {
            continue;
          }
          for (SqlNode[] eq : equalities(other.on())) {
            for (int side = 0; side < 2 && found == null; side++) {
              SqlIdentifier mine = (SqlIdentifier) eq[side];
              SqlIdentifier theirs = (SqlIdentifier) eq[1 - side];
              if (refersTo(mine, r, k, relations, bases) && theirs.names.size() == 2) {
                for (int t2 = 0; t2 < relations.size() && found == null; t2++) {
                  Relation o = relations.get(t2);
                  if (o.alias().equals(theirs.names.get(0)) && !o.nullable()) {
                    found = selected(items, columns, o, theirs.names.get(1), relations, bases);
                  }
                }
              }
            }
          }
        }
        if (found == null) {
          throw new SqlException(
              SqlState.INVALID_TABLE_DEFINITION,
              "a materialized view over a join without GROUP BY needs every joined table's"
                  + " primary key in its select list (they form the view's key): select "
                  + r.alias() + "." + k, at);
        }
        if (!key.contains(found)) {
          key.add(found);
        }
      }
    }
    return key;
  }

  /** The view column that selects column {@code column} of {@code r} as is, or null. */
  private static String selected(SqlNodeList items, List<Column> columns, Relation r,
      String column, List<Relation> relations, List<TableDef> bases) {
    for (int i = 0; i < items.size(); i++) {
      SqlNode item = items.get(i);
      if (item.getKind() == SqlKind.AS) {
        item = ((SqlBasicCall) item).operand(0);
      }
      if (item instanceof SqlIdentifier id && !id.isStar()
          && refersTo(id, r, column, relations, bases)) {
        return columns.get(i).name();
      }
    }
    return null;
  }

  /** The conjuncts {@code column = column} of a join condition, as operand pairs. */
  private static List<SqlNode[]> equalities(SqlNode on) {
    List<SqlNode[]> out = new ArrayList<>();
    List<SqlNode> conjuncts = new ArrayList<>(List.of(on));
    while (!conjuncts.isEmpty()) {
      SqlNode c = conjuncts.remove(conjuncts.size() - 1);
      if (c.getKind() == SqlKind.AND) {
        conjuncts.addAll(((SqlCall) c).getOperandList());
      } else if (c.getKind() == SqlKind.EQUALS
          && ((SqlCall) c).operand(0) instanceof SqlIdentifier
          && ((SqlCall) c).operand(1) instanceof SqlIdentifier) {
        out.add(new SqlNode[] {((SqlCall) c).operand(0), ((SqlCall) c).operand(1)});
      }
    }
    return out;
  }

  /** Whether {@code id} names column {@code column} of relation {@code r}. */
  private static boolean refersTo(SqlIdentifier id, Relation r, String column,
      List<Relation> relations, List<TableDef> bases) {
    if (id.names.size() == 2) {
      return id.names.get(0).equals(r.alias()) && id.names.get(1).equals(column);
    }
    if (id.names.size() != 1 || !id.names.get(0).equals(column)) {
      return false;
    }
    // Unqualified: it is r's when r is the only relation with that column (else the query is
    // ambiguous, which validation refused already).
    int owners = 0;
    boolean mine = false;
    for (int i = 0; i < relations.size(); i++) {
      if (bases.get(i).column(column).isPresent()) {
        owners++;
        mine |= relations.get(i) == r;
      }
    }
    return mine && owners == 1;
  }

  /** Whether {@code on} equates every primary-key column of {@code r} with another column. */
  private static boolean coversKey(Relation r, TableDef base, SqlNode on) {
    Set<String> matched = new HashSet<>();
    for (SqlNode[] eq : equalities(on)) {
      for (int side = 0; side < 2; side++) {
        SqlIdentifier x = (SqlIdentifier) eq[side];
        SqlIdentifier y = (SqlIdentifier) eq[1 - side];
        if (x.names.size() == 2 && x.names.get(0).equals(r.alias())
            && base.primaryKey().contains(x.names.get(1))
            && !(y.names.size() == 2 && y.names.get(0).equals(r.alias()))) {
          matched.add(x.names.get(1));
        }
      }
    }
    return matched.containsAll(base.primaryKey());
  }

  /** Every result column needs a name of its own, not reserved, not repeated. */
  private static void checkColumnNames(List<Column> columns, int at) throws SqlException {
    Set<String> names = new HashSet<>();
    for (Column c : columns) {
      if (c.name().contains("$")) {
        throw new SqlException(
            SqlState.INVALID_TABLE_DEFINITION,
            "every column of a materialized view needs a name: give the expression one with AS"
                + " (it is \"" + c.name() + "\" now)", at);
      }
      if (c.name().startsWith("_")) {
        throw new SqlException(
            SqlState.INVALID_TABLE_DEFINITION,
            "column names starting with '_' are reserved for Ordo (\"" + c.name() + "\")", at);
      }
      if (!names.add(c.name())) {
        throw new SqlException(
            SqlState.DUPLICATE_COLUMN, "column \"" + c.name() + "\" specified more than once",
            at);
      }
    }
  }

  /**
   * The view's primary key: its GROUP BY columns, each of which must be selected under its own
   * name (so the view's rows carry their key).
   */
  private static List<String> keyColumns(SqlSelect select, List<Column> columns, int at)
      throws SqlException {
    // Selected plain columns by the source column they show (aliases allowed).
    Map<String, String> selected = new TreeMap<>();
    SqlNodeList items = select.getSelectList();
    for (int i = 0; i < items.size(); i++) {
      SqlNode item = items.get(i);
      if (item.getKind() == SqlKind.AS) {
        item = ((SqlBasicCall) item).operand(0);
      }
      if (item instanceof SqlIdentifier id && !id.isStar()) {
        selected.putIfAbsent(id.names.get(id.names.size() - 1), columns.get(i).name());
      }
    }
    List<String> key = new ArrayList<>();
    for (SqlNode g : select.getGroup()) {
      SqlIdentifier id = (SqlIdentifier) g;
      String name = id.names.get(id.names.size() - 1);
      String column = selected.get(name);
      if (column == null) {
        throw new SqlException(
            SqlState.GROUPING_ERROR,
            "GROUP BY column \"" + name + "\" must be in the select list: the GROUP BY columns"
                + " are the view's primary key", at);
      }
      if (!key.contains(column)) {
        key.add(column);
      }
    }
    return key;
  }

  private static SqlException unsupported(String what, int at) {
    return new SqlException(
        SqlState.FEATURE_NOT_SUPPORTED,
        "materialized views do not support " + what + " yet", at);
  }

  // -------------------------------------------------------------------------------------------
  // DROP VIEW, DROP TABLE of what a view reads

  StatementResult drop(Plan.DropView d) throws SqlException, InterruptedException {
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Catalog catalog = ddl.freshCatalog();
      Map.Entry<ViewDef, Value> current = catalog.views().get(d.name());
      if (current == null) {
        if (d.ifExists()) {
          return StatementResult.command("DROP VIEW");
        }
        if (catalog.table(d.name()).isPresent()) {
          throw new SqlException(
              SqlState.WRONG_OBJECT_TYPE, "\"" + d.name() + "\" is a table: use DROP TABLE",
              d.position());
        }
        throw new SqlException(
            SqlState.UNDEFINED_TABLE, "view \"" + d.name() + "\" does not exist", d.position());
      }
      String viewKey = ViewCodec.viewKey(d.name());
      String tableKey = Encodings.tableKey(d.name());
      List<Operation> ops = new ArrayList<>(List.of(
          Ddl.assertOp(viewKey, Optional.of(current.getValue())),
          Ddl.delete(viewKey),
          Ddl.delete(tableKey),
          Ddl.delete(ViewCodec.progressKey(current.getKey().viewId()))));
      TxnResult r = ddl.submit(ops);
      if (r.getOutcome() == Outcome.COMMITTED) {
        return StatementResult.command("DROP VIEW");
      }
      if (r.getAbortReason() != AbortReason.ASSERT_FAILED) {
        throw Ddl.aborted(r);
      }
    }
    throw Ddl.conflict(d.name());
  }

  /** Refuses DROP TABLE of a view's rows (42809) or of a table a view reads (2BP01). */
  static void checkDropTable(Catalog catalog, String table, int at) throws SqlException {
    if (catalog.isView(table)) {
      throw new SqlException(
          SqlState.WRONG_OBJECT_TYPE,
          "\"" + table + "\" is a materialized view: use DROP VIEW", at);
    }
    checkDropSource(catalog, table, "table", at);
  }

  /** Refuses DROP TABLE / DROP STREAM of a relation a view reads (2BP01). */
  static void checkDropSource(Catalog catalog, String name, String kind, int at)
      throws SqlException {
    for (Map.Entry<ViewDef, Value> v : catalog.views().values()) {
      for (ViewSource source : v.getKey().sources()) {
        if (source.name().equals(name) && source.stream() == kind.equals("stream")) {
          throw new SqlException(
              SqlState.DEPENDENT_OBJECTS_STILL_EXIST,
              "cannot drop " + kind + " \"" + name + "\" because materialized view \""
                  + v.getKey().name() + "\" depends on it (DROP VIEW " + v.getKey().name()
                  + " first)", at);
        }
      }
    }
  }

  /** Refuses DML on a view's rows: only its job writes them (42809). */
  static void checkWritable(Catalog catalog, String table, int at) throws SqlException {
    if (catalog.isView(table)) {
      throw new SqlException(
          SqlState.WRONG_OBJECT_TYPE,
          "cannot change materialized view \"" + table + "\": its rows are computed from its"
              + " query", at);
    }
  }

  // -------------------------------------------------------------------------------------------
  // EXPLAIN CREATE MATERIALIZED VIEW, EXPLAIN VIEW

  /** The one column of EXPLAIN's answer, as PostgreSQL names it. */
  static final List<Column> EXPLAIN = List.of(Column.of("QUERY PLAN", SqlType.TEXT));

  /**
   * {@code EXPLAIN CREATE MATERIALIZED VIEW}: what the CREATE would make, checked as CREATE
   * checks it ({@link #shape(Plan.CreateView)}, {@link #define}) against a fresh catalog, as
   * CREATE reads it. Stores nothing and starts no job.
   *
   * @param consistency this session's {@code view_consistency}
   * @throws SqlException whatever CREATE would refuse the statement with
   */
  StatementResult explainCreate(Plan.CreateView v, String consistency)
      throws SqlException, InterruptedException {
    Shape shape = shape(v);
    Catalog catalog = ddl.freshCatalog();
    if (exists(catalog, v)) {
      return explained(List.of("CREATE MATERIALIZED VIEW IF NOT EXISTS " + v.name()
          + ": nothing to do (relation \"" + v.name() + "\" already exists)"));
    }
    Definition d = define(v, shape, catalog, () -> "");
    return explained(explainLines(d.def(), d.table(), shape,
        "(not created: EXPLAIN stores nothing and starts no job)", consistency));
  }

  /**
   * {@code EXPLAIN VIEW name}: what an existing view runs, from its stored definition, and how
   * far its job got.
   *
   * @param consistency this session's {@code view_consistency}
   * @throws SqlException 42P01 when there is no such view; 42809 when it is a table or stream
   */
  StatementResult explainView(Plan.ExplainView e, String consistency)
      throws SqlException, InterruptedException {
    MultiVersionStore store = engine.backend().store();
    Position p = session.latest().position();
    Catalog catalog = Catalog.read(store, p);
    Map.Entry<ViewDef, Value> entry = catalog.views().get(e.name());
    Optional<TableDef> table = catalog.table(e.name());
    if (entry == null || table.isEmpty()) {
      if (table.isPresent() || catalog.stream(e.name()).isPresent()) {
        throw new SqlException(SqlState.WRONG_OBJECT_TYPE, "\"" + e.name() + "\" is a "
            + (table.isPresent() ? "table" : "stream") + ", not a materialized view (EXPLAIN"
            + " SELECT ... FROM " + e.name() + " explains a query of it)", e.position());
      }
      throw new SqlException(
          SqlState.UNDEFINED_TABLE, "view \"" + e.name() + "\" does not exist", e.position());
    }
    ViewDef def = entry.getKey();
    Shape shape = shape(new Plan.CreateView(def.name(), false, Map.of(),
        OrdoSqlParser.parseOne(def.query()).node(), e.position()));
    Optional<Value> progress = store.getAsOf(ViewCodec.progressKey(def.viewId()), p);
    return explained(explainLines(def, table.get(), shape, "(view id " + def.viewId()
        + ", " + (progress.isPresent()
            ? "position " + ViewCodec.decodeProgress(progress.get())
            : "starting: its job has written no rows yet") + ")", consistency));
  }

  /**
   * EXPLAIN's answer, as PostgreSQL gives it: one {@code QUERY PLAN} row per line of {@code
   * texts} (a text holding line breaks becomes several rows).
   */
  static StatementResult explained(List<String> texts) {
    List<List<Object>> rows = new ArrayList<>();
    for (String text : texts) {
      for (String line : text.split("\n")) {
        rows.add(List.of(line));
      }
    }
    return new StatementResult("EXPLAIN", EXPLAIN, rows);
  }

  /**
   * The lines of EXPLAIN for a view: a heading, then one indented {@code Label: value} line per
   * property (what it reads, its key, joins, window, aggregates, columns, the query as Ordo keeps
   * it, the Flink SQL its job runs, and its consistency).
   *
   * @param def the view's definition (its Flink SQL is what the job is given)
   * @param table the view's rows' table (columns and key)
   * @param shape the view's query, checked ({@link #shape(Plan.CreateView)})
   * @param state the heading's parenthesized remark (created or not, progress)
   * @param consistency this session's {@code view_consistency}
   */
  static List<String> explainLines(ViewDef def, TableDef table, Shape shape, String state,
      String consistency) {
    List<String> out = new ArrayList<>();
    out.add("Materialized View " + def.name() + " " + state);
    List<String> sources = new ArrayList<>();
    for (ViewSource s : def.sources()) {
      sources.add((s.stream() ? "stream " : "table ") + s.name());
    }
    out.add("  Sources: " + String.join(", ", sources));
    SqlSelect select = shape.select();
    boolean grouped = select.getGroup() != null && !select.getGroup().isEmpty();
    out.add("  Key: " + String.join(", ", table.primaryKey())
        + (grouped ? " (the GROUP BY columns)" : " (the joined tables' primary keys)"));
    for (Relation r : shape.relations()) {
      if (r.on() != null) {
        out.add("  Join: " + (r.nullable() ? "LEFT JOIN " : "INNER JOIN ") + r.table()
            + (r.alias().equals(r.table()) ? "" : " AS " + r.alias()) + " ON "
            + OrdoSqlParser.unparse(r.on()));
      }
    }
    if (shape.window().isPresent()) {
      ViewWindow w = shape.window().get();
      String size = switch (w.function()) {
        case "HOP" -> "slide " + w.slideMs() + " ms, size " + w.sizeMs() + " ms";
        case "SESSION" -> "gap " + w.sizeMs() + " ms"
            + (w.partitionBy().isEmpty() ? "" : ", partition by "
                + String.join(", ", w.partitionBy()));
        default -> "size " + w.sizeMs() + " ms";
      };
      out.add("  Window: " + w.function() + " (" + size + ") over stream " + w.source()
          + ", time column " + w.timeColumn() + ", allowed lateness "
          + def.allowedLatenessMs() + " ms");
      out.add("  Start: the stream's records after " + (def.startPosition().isEmpty()
          ? "the log position at CREATE" : "position " + def.startPosition()));
    }
    List<String> aggregates = new ArrayList<>();
    for (SqlNode item : select.getSelectList()) {
      if (hasAggregate(item)) {
        aggregates.add(OrdoSqlParser.unparse(item));
      }
    }
    out.add("  Aggregates: " + (aggregates.isEmpty() ? "none" : String.join(", ", aggregates)));
    out.add("  Columns: " + Introspection.columnList(table.columns()));
    // The unparsed query breaks lines (before a JOIN): one row of the answer per line.
    addLines(out, "  Query: ", def.query());
    addLines(out, "  Flink SQL: ", def.flinkQuery());
    if (!def.timeColumn().isEmpty()) {
      out.add("  Flink time attribute: the records' event times (the values of "
          + def.timeColumn() + "), which the job's DESCRIPTOR names, with watermarks from its"
          + " source");
    }
    out.add("  Consistency: each row reflects one source log position (SHOW VIEWS: position)");
    out.add("  Reads: eventual, as far as the job got, unless view_consistency is"
        + " read_your_writes or at_position:<ts>:<partition>:<offset> (this session: "
        + consistency + ")");
    return out;
  }

  /** Adds {@code label + text}, the text's second and later lines indented under it. */
  private static void addLines(List<String> out, String label, String text) {
    String[] lines = text.split("\n");
    out.add(label + lines[0]);
    for (int i = 1; i < lines.length; i++) {
      out.add("    " + lines[i]);
    }
  }

  /** Whether an expression holds an aggregate call. */
  private static boolean hasAggregate(SqlNode node) {
    boolean[] found = new boolean[1];
    node.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlCall call) {
        found[0] |= isAggregate(call);
        return super.visit(call);
      }
    });
    return found[0];
  }

  // -------------------------------------------------------------------------------------------
  // SHOW VIEWS

  static final List<Column> SHOW_VIEWS =
      List.of(
          Column.of("name", SqlType.TEXT),
          Column.of("view_id", SqlType.TEXT),
          Column.of("source", SqlType.TEXT),
          Column.of("query", SqlType.TEXT),
          Column.of("state", SqlType.TEXT),
          Column.of("position", SqlType.TEXT),
          Column.of("lag_changes", SqlType.BIGINT),
          Column.of("lag_seconds", SqlType.DOUBLE),
          Column.of("source_kind", SqlType.TEXT),
          Column.of("time_column", SqlType.TEXT),
          Column.of("allowed_lateness_ms", SqlType.BIGINT),
          Column.of("start_position", SqlType.TEXT),
          Column.of("flink_query", SqlType.TEXT));

  /**
   * One row per view at {@code p} (the newest consistent position the store holds): its
   * progress, and its lag: the source's changes at or before {@code p} that the view does not
   * reflect yet (counted up to {@link #LAG_COUNT_MAX}) and the
   * log time between the view's position and the newest of them (0 when none).
   */
  static StatementResult show(Catalog catalog, MultiVersionStore store, Position p)
      throws SqlException {
    List<List<Object>> rows = new ArrayList<>();
    for (Map.Entry<ViewDef, Value> e : catalog.views().values()) {
      ViewDef v = e.getKey();
      Optional<Value> progress = store.getAsOf(ViewCodec.progressKey(v.viewId()), p);
      String position = progress.isPresent() ? ViewCodec.decodeProgress(progress.get()) : null;
      String state;
      long lagChanges = 0;
      double lagSeconds = 0;
      List<String> prefixes = sourcePrefixes(catalog, v);
      if (position == null) {
        state = "starting";
      } else if (prefixes.size() < v.sources().size()) {
        state = "source dropped";
      } else {
        long[] at = parse(position);
        long newest = Long.MIN_VALUE;
        for (String prefix : prefixes) {
          ChangePage page = unreflected(store, prefix, position, p, LAG_COUNT_MAX);
          lagChanges += page.entries().size();
          if (!page.entries().isEmpty()) {
            newest = Math.max(newest,
                page.entries().get(page.entries().size() - 1).position().getTs());
          }
        }
        lagChanges = Math.min(lagChanges, LAG_COUNT_MAX);
        if (lagChanges > 0) {
          lagSeconds = Math.max(0, newest - at[0]) / 1000.0;
        }
        state = lagChanges == 0 ? "caught up" : "behind";
      }
      List<Object> row = new ArrayList<>();
      row.add(v.name());
      row.add(v.viewId());
      row.add(sourceList(v));
      row.add(v.query());
      row.add(state);
      row.add(position);
      row.add(lagChanges);
      row.add(lagSeconds);
      row.add(v.sources().get(0).stream() ? "stream" : "table");
      row.add(v.timeColumn().isEmpty() ? null : v.timeColumn());
      row.add(v.allowedLatenessMs());
      row.add(v.startPosition().isEmpty() ? null : v.startPosition());
      row.add(v.flinkQuery());
      rows.add(row);
    }
    return new StatementResult("SHOW " + rows.size(), SHOW_VIEWS, rows);
  }

  /**
   * The {@code source} column of SHOW VIEWS: the view's sources in FROM order, separated by
   * {@code ", "}, each name double-quoted when it is not a plain lower-case identifier (so the
   * list parses back).
   */
  static String sourceList(ViewDef v) {
    StringBuilder out = new StringBuilder();
    for (ViewSource s : v.sources()) {
      out.append(out.length() == 0 ? "" : ", ");
      out.append(s.name().matches("[a-z_][a-z0-9_]*") ? s.name() : Dml.quote(s.name()));
    }
    return out.toString();
  }

  /**
   * The key prefixes of the changes of a view's sources that still exist (a table's rows, a
   * stream's shards), in FROM order; fewer than the view's sources when one was dropped.
   */
  static List<String> sourcePrefixes(Catalog catalog, ViewDef v) throws SqlException {
    List<String> out = new ArrayList<>();
    for (ViewSource source : v.sources()) {
      if (source.stream()) {
        catalog.stream(source.name())
            .ifPresent(s -> out.add(PushQuery.SHARD_KEY_PREFIX + s.name() + "/"));
      } else {
        Optional<TableDef> t = catalog.table(source.name());
        if (t.isPresent()) {
          out.add(Encodings.rowPrefix(t.get(), List.of()));
        }
      }
    }
    return out;
  }

  /**
   * The changes under {@code prefix} (a view's source, {@link #sourcePrefixes}) at or before
   * {@code upTo} that a view whose stored progress is {@code progress} does not reflect yet, at
   * most {@code limit}.
   */
  static ChangePage unreflected(
      MultiVersionStore store, String prefix, String progress, Position upTo, int limit)
      throws SqlException {
    long[] at = parse(progress);
    Position after = Position.newBuilder().setTs(at[0]).setPartition((int) at[1])
        .setOffset(at[2]).build();
    // A position with a row count has only part of that position's rows: start at it.
    return at[3] == Long.MAX_VALUE
        ? store.changesAfter(after, LAST_KEY, upTo, prefix, limit)
        : store.changesAfter(before(after), LAST_KEY, upTo, prefix, limit);
  }

  /**
   * Waits until every view {@code query} reads reflects every change of its sources at or before
   * {@code target}, or fails: read-your-writes through views ({@code SET view_consistency =
   * 'read_your_writes'}, {@code target} this session's newest commit) and waiting for a named
   * position ({@code 'at_position:<ts>:<partition>:<offset>'}).
   *
   * @param target the log position the views must reflect
   * @param what how errors name {@code target} and the setting that asked for it
   * @throws SqlException 57014 when a view has not caught up within {@code timeoutMs}; 55000
   *     when a view's source table was dropped (it never will); 22023 when {@code target} is
   *     after the log's newest position (no view can reflect it yet)
   */
  static void awaitReflected(
      OrdoSession session, SqlNode query, Position target, String what, long timeoutMs)
      throws SqlException, InterruptedException {
    MultiVersionStore store = session.engine().backend().store();
    Position now = session.fresh().position();
    Catalog catalog = Catalog.read(store, now);
    Set<String> read = new java.util.TreeSet<>();
    query.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlCall call) {
        if (call instanceof SqlSelect select && select.getFrom() != null) {
          fromNames(select.getFrom(), read);
        }
        return super.visit(call);
      }
    });
    var materializer = session.engine().backend().materializer();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (String name : read) {
      if (!catalog.isView(name)) {
        continue;
      }
      if (Positions.ORDER.compare(target, now) > 0) {
        throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, "view \"" + name
            + "\" cannot reflect " + what + " yet: it is after the log's newest position "
            + Positions.format(now));
      }
      ViewDef v = catalog.views().get(name).getKey();
      List<String> prefixes = sourcePrefixes(catalog, v);
      if (prefixes.size() < v.sources().size()) {
        throw new SqlException(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE,
            "view \"" + name + "\" cannot catch up: one of its sources "
                + v.sources().stream().map(ViewSource::name).toList() + " was dropped");
      }
      while (true) {
        long applied = materializer.recordsApplied();
        Optional<Value> progress = store.getLatest(ViewCodec.progressKey(v.viewId()));
        boolean reflected = progress.isPresent();
        for (int i = 0; reflected && i < prefixes.size(); i++) {
          reflected = unreflected(store, prefixes.get(i), ViewCodec.decodeProgress(progress.get()),
              target, 1).entries().isEmpty();
        }
        if (reflected) {
          break;
        }
        long leftNs = deadline - System.nanoTime();
        if (leftNs <= 0) {
          throw new SqlException(SqlState.QUERY_CANCELED,
              "view \"" + name + "\" has not caught up with " + what + " within " + timeoutMs
                  + " ms (SHOW VIEWS shows its lag)");
        }
        // The view's job writes its rows through the log: wait for the store to apply more.
        materializer.awaitAppliedBeyond(applied,
            Math.max(1, Math.min(200, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(leftNs))));
      }
    }
  }

  /** The relation names a FROM clause reads directly (joins and aliases unwrapped). */
  private static void fromNames(SqlNode from, Set<String> out) {
    if (from instanceof SqlIdentifier id) {
      out.add(id.names.get(id.names.size() - 1));
    } else if (from instanceof org.apache.calcite.sql.SqlJoin join) {
      fromNames(join.getLeft(), out);
      fromNames(join.getRight(), out);
    } else if (from.getKind() == SqlKind.AS && from instanceof SqlCall call) {
      fromNames(call.operand(0), out);
    }
  }

  /** A key after every key: the changes at a position are all "before" it. */
  private static final String LAST_KEY = "\uffff";

  private static Position before(Position p) {
    if (p.getOffset() > 0) {
      return p.toBuilder().setOffset(p.getOffset() - 1).build();
    }
    return p.toBuilder().setTs(p.getTs() - 1).setPartition(Integer.MAX_VALUE)
        .setOffset(Long.MAX_VALUE).build();
  }

  // -------------------------------------------------------------------------------------------
  // Batches of a view's job

  /**
   * Applies {@code batch} as one transaction: asserts the view's definition and the progress read,
   * puts the new progress, the rows and the deletes, and bumps the row-set counter.
   *
   * <p>Why skipping a batch whose position is not after the stored progress is correct: the job
   * is deterministic over its input (the source's changes in log order), and every batch carries
   * the latest image of each view row that changed in its range of positions, not a delta. So
   * when the stored rows are the view at position S and a replayed batch ends at R <= S, the
   * stored rows already include everything the batch says. When a later batch covers (Q, R] with
   * Q < S < R (a restored job whose checkpoints fall elsewhere), every row that differs between
   * the view at S and at R changed in (S, R], inside the batch, and rows in the batch that did
   * not change after S are rewritten with the value they already hold: after it, the stored rows
   * are the view at R. Nothing is applied twice because nothing is a delta.
   */
  ViewBatch.Result apply(ViewBatch batch) throws SqlException, InterruptedException {
    long[] target = parse(batch.position());
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Position snapshot = session.fresh().position();
      MultiVersionStore store = engine.backend().store();
      Catalog catalog = Catalog.read(store, snapshot);
      Map.Entry<ViewDef, Value> entry = catalog.views().get(batch.view());
      Optional<TableDef> table = catalog.table(batch.view());
      if (entry == null || table.isEmpty() || !entry.getKey().viewId().equals(batch.viewId())) {
        throw new SqlException(
            SqlState.UNDEFINED_TABLE,
            "materialized view \"" + batch.view() + "\" with id " + batch.viewId()
                + " does not exist (dropped or re-created)");
      }
      TableDef def = table.get();
      String progressKey = ViewCodec.progressKey(batch.viewId());
      Optional<Value> stored = store.getAsOf(progressKey, snapshot);
      if (stored.isPresent()) {
        String storedPosition = ViewCodec.decodeProgress(stored.get());
        if (compare(parse(storedPosition), target) >= 0) {
          return new ViewBatch.Result(false, storedPosition);
        }
      }
      List<Operation> ops = new ArrayList<>();
      ops.add(Ddl.assertOp(ViewCodec.viewKey(batch.view()), Optional.of(entry.getValue())));
      ops.add(Ddl.assertOp(Encodings.tableKey(batch.view()),
          Optional.of(catalog.tableValue(batch.view()))));
      ops.add(Ddl.assertOp(progressKey, stored));
      ops.add(Ddl.put(progressKey, ViewCodec.encodeProgress(batch.position())));
      TreeMap<String, Value> puts = new TreeMap<>();
      for (List<Object> row : batch.upserts()) {
        List<Object> values = coerceRow(def, row);
        puts.put(rowKey(def, values), Encodings.encodeRow(def, values));
      }
      Set<String> deletes = new java.util.TreeSet<>();
      for (List<Object> row : batch.deletes()) {
        String k = rowKey(def, coerceRow(def, row));
        if (!puts.containsKey(k)) {
          deletes.add(k);
        }
      }
      if (batch.replace()) {
        String prefix = Encodings.rowPrefix(def, List.of());
        // A view with more rows than one transaction can delete fails the size check below
        // anyway, so the scan needs no more.
        int limit = Math.min(engine.opsMax(), MultiVersionStore.SCAN_LIMIT_MAX);
        for (Map.Entry<String, Value> e : store.scanAsOf(prefix, snapshot, limit)) {
          if (!puts.containsKey(e.getKey())) {
            deletes.add(e.getKey());
          }
        }
      }
      for (Map.Entry<String, Value> e : puts.entrySet()) {
        ops.add(Ddl.put(e.getKey(), e.getValue()));
      }
      for (String k : deletes) {
        ops.add(Ddl.delete(k));
      }
      ops.add(Operation.newBuilder().setKey(Encodings.rowsetKey(def.tableId()))
          .setIncrement(Increment.newBuilder().setDelta(1)).build());
      if (ops.size() > engine.opsMax()) {
        throw new SqlException(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            "a batch of view \"" + batch.view() + "\" needs " + ops.size()
                + " operations; one transaction takes at most " + engine.opsMax()
                + " (checkpoint the view's job more often)");
      }
      TxnResult r = ddl.submit(ops);
      if (r.getOutcome() == Outcome.COMMITTED) {
        return new ViewBatch.Result(true, batch.position());
      }
      if (r.getAbortReason() != AbortReason.ASSERT_FAILED) {
        throw Ddl.aborted(r);
      }
    }
    throw Ddl.conflict(batch.view());
  }

  private static String rowKey(TableDef def, List<Object> values) throws SqlException {
    List<Object> key = new ArrayList<>();
    for (String k : def.primaryKey()) {
      key.add(values.get(def.columns().indexOf(def.column(k).orElseThrow())));
    }
    return Encodings.rowKey(def, key);
  }

  private static List<Object> coerceRow(TableDef def, List<Object> row) throws SqlException {
    List<ColumnDef> columns = def.columns();
    if (row.size() != columns.size()) {
      throw new SqlException(
          SqlState.INVALID_PARAMETER_VALUE,
          "a row of view \"" + def.name() + "\" has " + row.size() + " values; expected "
              + columns.size());
    }
    List<Object> out = new ArrayList<>(row.size());
    for (int i = 0; i < row.size(); i++) {
      out.add(CalciteTypes.coerce(columns.get(i), row.get(i)));
    }
    return out;
  }

  /**
   * A source position as (ts, partition, offset, rows): {@code <ts>:<p>:<o>} covers every row at
   * the position (rows = Long.MAX_VALUE), {@code <ts>:<p>:<o>:<n>} its first n.
   *
   * @throws SqlException 22P02 when malformed
   */
  static long[] parse(String position) throws SqlException {
    String[] parts = position.trim().split(":", -1);
    if (parts.length == 3 || parts.length == 4) {
      Position p = Positions.parse(parts[0] + ":" + parts[1] + ":" + parts[2]);
      long n = Long.MAX_VALUE;
      if (parts.length == 4) {
        try {
          n = Long.parseLong(parts[3]);
        } catch (NumberFormatException e) {
          n = -1;
        }
      }
      if (n >= 0) {
        return new long[] {p.getTs(), p.getPartition(), p.getOffset(), n};
      }
    }
    throw new SqlException(
        SqlState.INVALID_TEXT_REPRESENTATION,
        "invalid view position \"" + position
            + "\": expected <ts>:<partition>:<offset> or <ts>:<partition>:<offset>:<n>");
  }

  static int compare(long[] a, long[] b) {
    for (int i = 0; i < 4; i++) {
      int c = Long.compare(a[i], b[i]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }
}
