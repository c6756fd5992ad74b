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
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIdentifier;
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
 * Materialized views in the engine: CREATE / DROP / SHOW VIEWS and the batches their jobs apply.
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
    int at = v.position();
    SqlSelect select = shape(v.query(), at);
    Optional<ViewWindow> window = ViewWindow.of(select.getFrom(), at);
    String source = window.isPresent() ? window.get().source() : sourceName(select, at);
    long lateness = ViewWindow.allowedLatenessMs(v.options(), at);
    if (window.isEmpty() && v.options().containsKey(ViewWindow.ALLOWED_LATENESS)) {
      throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, ViewWindow.ALLOWED_LATENESS
          + " applies to views with an event-time window (TUMBLE, HOP, SESSION) only", at);
    }
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Catalog catalog = ddl.freshCatalog();
      if (catalog.isView(v.name()) || catalog.table(v.name()).isPresent()
          || catalog.stream(v.name()).isPresent()) {
        if (v.ifNotExists()) {
          return StatementResult.command("CREATE MATERIALIZED VIEW");
        }
        throw new SqlException(
            SqlState.DUPLICATE_TABLE, "relation \"" + v.name() + "\" already exists", at);
      }
      if (catalog.isView(source)) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "a materialized view over another view (\"" + source + "\") is not supported yet",
            at);
      }
      Optional<StreamDef> stream = catalog.stream(source);
      SqlSelect described = select;
      String start = "";
      if (stream.isPresent()) {
        if (window.isEmpty()) {
          throw new SqlException(
              SqlState.FEATURE_NOT_SUPPORTED,
              "a materialized view over a stream (\"" + source + "\") needs an event-time window,"
                  + " FROM TABLE(TUMBLE | HOP | SESSION(TABLE " + source + ", DESCRIPTOR(<time"
                  + " column>), ...)) GROUP BY window_start, window_end, ...: an aggregate over"
                  + " a whole stream would grow without bound", at);
        }
        window.get().check(stream.get(), select.getGroup(), at);
        described = windowed(select, window.get());
        // The view counts the stream's records after this position (ViewDef.startPosition).
        start = Positions.format(session.fresh().position());
      } else if (window.isPresent()) {
        catalog.requireTable(source, at);
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "materialized views support event-time windows over streams only: table \""
                + source + "\" is not append-only", at);
      }
      Optional<TableDef> base = stream.isPresent() ? Optional.empty()
          : Optional.of(catalog.requireTable(source, at));
      List<Column> columns = session.describe(
          new Dml.Composed(Unparse.sql(described), List.of()), catalog).columns;
      List<String> key = keyColumns(select, columns, at);
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
      ViewDef def = new ViewDef(v.name(), viewId, Unparse.sql(select),
          OrdoSqlParser.unparseForFlink(select),
          List.of(new ViewSource(source, base.map(TableDef::tableId).orElse(""),
              stream.isPresent())),
          lateness, window.map(ViewWindow::timeColumn).orElse(""), start);
      String tableKey = Encodings.tableKey(v.name());
      String baseKey = Encodings.tableKey(source);
      List<Operation> ops = new ArrayList<>(List.of(
          Ddl.assertOp(tableKey, Optional.empty()),
          Ddl.assertOp(Encodings.streamKey(v.name()), Optional.empty()),
          Ddl.assertOp(ViewCodec.viewKey(v.name()), Optional.empty())));
      if (base.isPresent()) {
        // The base table's definition is rewritten with version + 1: a concurrent DROP TABLE
        // asserts the definition it read, so it fails and, retried, sees this view and refuses.
        TableDef b = base.get();
        ops.add(Ddl.assertOp(baseKey, Optional.of(catalog.tableValue(source))));
        ops.add(Ddl.put(baseKey, Encodings.encodeTable(
            new TableDef(b.name(), b.tableId(), b.columns(), b.primaryKey(), b.version() + 1))));
      }
      // A DROP STREAM racing this CREATE is not fenced (DROP STREAM of a stream a view reads is
      // refused otherwise): the view's job then fails, and SHOW VIEWS says "source dropped".
      ops.add(Ddl.put(tableKey, Encodings.encodeTable(table)));
      ops.add(Ddl.put(ViewCodec.viewKey(v.name()), ViewCodec.encode(def)));
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

  /** The query as one SELECT this slice supports, else 0A000 naming what is not. */
  private static SqlSelect shape(SqlNode query, int at) throws SqlException {
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
    if (from.getKind() == SqlKind.JOIN) {
      throw unsupported("joins", at);
    }
    if (from.getKind() == SqlKind.AS) {
      from = ((SqlCall) from).operand(0);
    }
    if (!(from instanceof SqlIdentifier) && from.getKind() != SqlKind.COLLECTION_TABLE) {
      throw unsupported("FROM other than one table, stream or window over a stream"
          + " (subqueries)", at);
    }
    if (select.getGroup() == null || select.getGroup().isEmpty()) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "a materialized view needs GROUP BY: its primary key is the GROUP BY columns, and a"
              + " view without one has no key to store its rows under", at);
    }
    for (SqlNode g : select.getGroup()) {
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

  private static String sourceName(SqlSelect select, int at) throws SqlException {
    SqlNode from = select.getFrom();
    if (from.getKind() == SqlKind.AS) {
      from = ((SqlCall) from).operand(0);
    }
    SqlIdentifier id = (SqlIdentifier) from;
    if (id.names.size() != 1) {
      throw unsupported("qualified table names", at);
    }
    return id.getSimple();
  }

  /**
   * The view's primary key: its GROUP BY columns, each of which must be selected under its own
   * name (so the view's rows carry their key); every result column needs a name of its own.
   */
  private static List<String> keyColumns(SqlSelect select, List<Column> columns, int at)
      throws SqlException {
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
      Optional<String> base = sourcePrefix(catalog, v);
      if (position == null) {
        state = "starting";
      } else if (base.isEmpty()) {
        state = "source dropped";
      } else {
        long[] at = parse(position);
        ChangePage page = unreflected(store, base.get(), position, p, LAG_COUNT_MAX);
        lagChanges = page.entries().size();
        if (lagChanges > 0) {
          long newest = page.entries().get(page.entries().size() - 1).position().getTs();
          lagSeconds = Math.max(0, newest - at[0]) / 1000.0;
        }
        state = lagChanges == 0 ? "caught up" : "behind";
      }
      List<Object> row = new ArrayList<>();
      row.add(v.name());
      row.add(v.viewId());
      row.add(v.sourceTable());
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
   * The key prefix of the changes of a view's source (a table's rows, a stream's shards), empty
   * when the source was dropped.
   */
  static Optional<String> sourcePrefix(Catalog catalog, ViewDef v) throws SqlException {
    ViewSource source = v.sources().get(0);
    if (source.stream()) {
      return catalog.stream(source.name())
          .map(s -> PushQuery.SHARD_KEY_PREFIX + s.name() + "/");
    }
    Optional<TableDef> t = catalog.table(source.name());
    return t.isPresent() ? Optional.of(Encodings.rowPrefix(t.get(), List.of())) : Optional.empty();
  }

  /**
   * The changes under {@code prefix} (a view's source, {@link #sourcePrefix}) at or before {@code
   * upTo} that a view whose stored progress is {@code progress} does not reflect yet, at most
   * {@code limit}.
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
   * Read-your-writes through views ({@code SET view_consistency = 'read_your_writes'}): waits
   * until every view {@code query} reads reflects every change of its source table at or before
   * {@code lastCommit} (this session's newest commit), or fails.
   *
   * @throws SqlException 57014 when a view has not caught up within {@code timeoutMs}; 55000
   *     when a view's source table was dropped (it never will)
   */
  static void awaitReflected(
      OrdoSession session, SqlNode query, Position lastCommit, long timeoutMs)
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
      ViewDef v = catalog.views().get(name).getKey();
      Optional<String> base = sourcePrefix(catalog, v);
      if (base.isEmpty()) {
        throw new SqlException(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE,
            "view \"" + name + "\" cannot catch up: its source \"" + v.sourceTable()
                + "\" was dropped");
      }
      while (true) {
        long applied = materializer.recordsApplied();
        Optional<Value> progress = store.getLatest(ViewCodec.progressKey(v.viewId()));
        if (progress.isPresent() && unreflected(store, base.get(),
            ViewCodec.decodeProgress(progress.get()), lastCommit, 1).entries().isEmpty()) {
          break;
        }
        long leftNs = deadline - System.nanoTime();
        if (leftNs <= 0) {
          throw new SqlException(SqlState.QUERY_CANCELED,
              "view \"" + name + "\" has not caught up with this session's last write (position "
                  + Positions.format(lastCommit) + ") within " + timeoutMs + " ms"
                  + " (view_consistency = read_your_writes; SHOW VIEWS shows its lag)");
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
