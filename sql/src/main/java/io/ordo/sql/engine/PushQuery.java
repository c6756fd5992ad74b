package io.ordo.sql.engine;

import io.ordo.proto.Position;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import io.ordo.sql.Column;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.parser.stmt.SqlEmitChanges;
import io.ordo.storage.ChangeEntry;
import io.ordo.storage.ChangePage;
import io.ordo.storage.MultiVersionStore;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.JoinType;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlJoin;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.util.SqlBasicVisitor;

/**
 * One run of a push query, {@code SELECT <items> FROM <table or stream> [WHERE <cond>] EMIT
 * CHANGES [AT POSITION '<p>' | AT TIME '<t>']}, over the store's change index ({@link
 * MultiVersionStore#changesAfter}).
 *
 * <p><b>What is emitted.</b> Every change of the table's rows, in commit order (log position,
 * then row key): an insert is one row with {@code _op} {@code insert}, a delete one row {@code
 * delete} (the deleted row's image), an update two rows, {@code update_before} then {@code
 * update_after}. A stream gives one {@code insert} row per record (position, then shard key,
 * then offset), with the stream's {@code _shard}, {@code _offset} and {@code _log_time} columns.
 * Each row starts with {@code _position}, {@code <ts>:<partition>:<offset>:<n>}: the log position
 * of the transaction and the row's 1-based number among the source's rows at that position,
 * counted before the WHERE filter, so the same row has the same {@code _position} in every
 * query, on every gateway.
 *
 * <p><b>WHERE</b> is evaluated on each image; a change is emitted, with all its images, when any
 * image matches (an update that moves a row into or out of the filter shows both sides).
 *
 * <p><b>Expressions</b> are Calcite's: the select list and the condition are composed into one
 * query over a one-row {@code VALUES} of the image, {@code SELECT <items>, (<cond>) IS TRUE FROM
 * (VALUES (CAST(? AS t1), ...)) AS <alias>(c1, ...)}, planned once per session (cached by text),
 * run per image.
 *
 * <p><b>Consistency.</b> Rows are read only up to a consistent snapshot position (every key
 * range's frontier at or after it, {@link Snapshots}), so a change is emitted only once every
 * change before it is in the store: the order is the commit order, with no gap. When the store
 * holds changes of the source beyond its newest consistent position, a sync ({@link
 * Snapshots#fresh}, shared with every other request of the gateway) moves it; changes of other
 * keys (other tables, sync markers) never cause one, so push queries on several gateways do not
 * make each other sync.
 *
 * <p><b>Several tables.</b> {@code SELECT * FROM a, b, ... EMIT CHANGES} (plain tables, {@code
 * *} and nothing else) is not a join: it gives the changes of all the tables in one stream in
 * commit order (position, then row key), with {@code _table} after {@code _op} naming each
 * change's table, then every table's columns in FROM order (the other tables' are null). Its
 * progress marks cover all the tables, so a reader sees every table at the same log position
 * (materialized views over joins read their sources this way). {@code _position} numbers the
 * rows at a position across the tables.
 *
 * <p><b>Start.</b> No clause: after the query's own fresh snapshot. {@code AT POSITION '<ts>:<p>:<o>'}:
 * after every change at that position; {@code '<ts>:<p>:<o>:<n>'} (a {@code _position} value):
 * after that row. {@code AT TIME '<timestamp>'}: after every position stamped at or before it.
 * The start is checked like AS OF: not in the future (22023), not older than the history
 * retention (72000).
 */
final class PushQuery {
  /** Changes read per store call. */
  static final int PAGE_CHANGES = 1_000;

  /** Longest single wait for a new change, in milliseconds (cancellation is checked between). */
  static final long WAIT_SLICE_MS = 1_000;

  /** Result columns every push query starts with. */
  static final List<Column> META_COLUMNS =
      List.of(Column.of("_position", SqlType.TEXT), Column.of("_op", SqlType.TEXT));

  /** Aggregate function names of Calcite's standard library (refused in push queries). */
  private static final Set<String> AGGREGATES =
      SqlStdOperatorTable.instance().getOperatorList().stream()
          .filter(SqlOperator::isAggregator)
          .map(o -> o.getName().toUpperCase(java.util.Locale.ROOT))
          .collect(Collectors.toUnmodifiableSet());

  /** Prefix of a stream's shard keys: {@code SHARD_KEY_PREFIX + stream + "/"}. */
  static final String SHARD_KEY_PREFIX = "\u0000ordo/shard/";

  private final OrdoSession session;
  private final ParsedText parsed;
  private final Plan.Push push;
  private final List<Object> params;
  private final PushSink sink;
  private final MultiVersionStore store;

  // The query's shape
  private String sourceName;
  private String alias;
  private SqlNodeList items;
  private SqlNode where;

  /** With several tables ({@code SELECT * FROM a, b EMIT CHANGES}): their names in FROM order. */
  private List<String> sourceNames;

  // The source, resolved at the start snapshot
  private TableDef table; // or
  private StreamDef stream; // or, with several tables:
  private List<TableDef> tables;
  private String keyPrefix;
  /** The key prefix of each table read, in FROM order (one entry unless several tables). */
  private List<String> keyPrefixes;
  private List<ColumnDef> imageColumns;
  private QueryRunner.Prepared evaluation;
  /** Values of the client's parameters in the evaluation query (select list, then WHERE). */
  private List<Object> itemParams;

  // Where the query is: strictly after (cursorPosition, cursorKey); cursorKey null = after every
  // change at cursorPosition. Rows at rowPosition numbered so far (and how many to skip there).
  private Position cursorPosition;
  private String cursorKey;
  private Position rowPosition;
  private int rowsAtPosition;
  private int skipRowsAt;
  private Position lastMark;
  /** This query in SHOW QUERIES; set first thing in {@link #run}. */
  private RunningQueries.Entry entry;

  PushQuery(OrdoSession session, ParsedText parsed, Plan.Push push, List<Object> params, PushSink sink) {
    this.session = session;
    this.parsed = parsed;
    this.push = push;
    this.params = params;
    this.sink = sink;
    this.store = session.engine().backend().store();
  }

  /**
   * Runs until cancelled (57014, also by {@code TERMINATE QUERY}) or failed; listed by {@code
   * SHOW QUERIES} meanwhile.
   */
  void run() throws SqlException, InterruptedException {
    RunningQueries.Entry entry = session.engine().runningQueries().register(
        session, session.user(), parsed.text(), System.currentTimeMillis());
    this.entry = entry;
    try {
      runRegistered();
    } finally {
      session.engine().runningQueries().remove(entry);
    }
  }

  private void runRegistered() throws SqlException, InterruptedException {
    shape(push.query());
    Position snapshot = session.fresh().position();
    Catalog catalog = Catalog.read(store, snapshot);
    resolve(catalog);
    start(snapshot);
    List<Column> columns = new ArrayList<>(META_COLUMNS);
    if (tables != null) {
      columns.add(Column.of("_table", SqlType.TEXT));
      for (TableDef t : tables) {
        for (ColumnDef c : t.columns()) {
          columns.add(new Column(c.name(), c.type(), c.precision(), c.scale(), true));
        }
      }
    } else {
      prepareEvaluation(catalog);
      columns.addAll(evaluation.columns.subList(0, evaluation.columns.size() - 1));
    }
    sink.start(columns);
    Snapshots snapshots = session.engine().snapshots();
    var materializer = session.engine().backend().materializer();
    // Read before the first emission: a batch applied after it wakes the loop below.
    long applied = materializer.recordsApplied();
    emitUpTo(snapshot);
    while (true) {
      checkCancelled();
      mark();
      if (!materializer.awaitAppliedBeyond(applied, WAIT_SLICE_MS)) {
        continue;
      }
      applied = materializer.recordsApplied();
      Optional<Position> complete = snapshots.latestComplete();
      Position from = later(complete.orElse(cursorPosition), cursorPosition);
      Position target;
      if (holdsChangesAfter(snapshots, from)) {
        // The store holds changes of the source that no consistent position covers yet (an idle
        // key range's frontier lags): a sync makes one.
        target = session.fresh().position();
      } else {
        target = complete.orElse(snapshot);
      }
      if (Positions.ORDER.compare(target, snapshot) > 0) {
        checkSourceUnchanged(target);
        emitUpTo(target);
        snapshot = target;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Shape: what push queries support

  private void shape(SqlNode query) throws SqlException {
    int at = push.position();
    if (query.getKind() == SqlKind.ORDER_BY) {
      throw unsupported("ORDER BY, LIMIT and OFFSET (changes come in commit order)", at);
    }
    if (query.getKind() == SqlKind.WITH) {
      throw unsupported("WITH", at);
    }
    if (query.getKind() == SqlKind.UNION || query.getKind() == SqlKind.INTERSECT
        || query.getKind() == SqlKind.EXCEPT) {
      throw unsupported("set operations (" + query.getKind() + ")", at);
    }
    if (!(query instanceof SqlSelect select)) {
      throw unsupported(query.getKind() + " (only SELECT ... FROM one table or stream)", at);
    }
    if (select.getFrom() == null) {
      throw unsupported("SELECT without FROM", at);
    }
    SqlNode from = select.getFrom();
    if (from.getKind() == SqlKind.JOIN) {
      shapeSeveral(select, (SqlJoin) from);
      return;
    }
    SqlNode source = from;
    String as = null;
    if (from.getKind() == SqlKind.AS) {
      SqlBasicCall call = (SqlBasicCall) from;
      source = call.operand(0);
      if (call.operandCount() > 2) {
        throw unsupported("column aliases in FROM", position(from));
      }
      as = ((SqlIdentifier) call.operand(1)).getSimple();
    }
    if (!(source instanceof SqlIdentifier id) || id.names.size() != 1) {
      throw unsupported(
          source.getKind() == SqlKind.SELECT ? "subqueries" : source.getKind() + " in FROM",
          position(source));
    }
    sourceName = id.getSimple();
    alias = as == null ? sourceName : as;
    if (select.isDistinct()) {
      throw unsupported("SELECT DISTINCT", at);
    }
    if (select.getGroup() != null && !select.getGroup().isEmpty()) {
      throw unsupported("GROUP BY (aggregates)", position(select.getGroup()));
    }
    if (select.getHaving() != null) {
      throw unsupported("HAVING (aggregates)", position(select.getHaving()));
    }
    if (select.getWindowList() != null && !select.getWindowList().isEmpty()) {
      throw unsupported("WINDOW", at);
    }
    if (select.getOrderList() != null && !select.getOrderList().isEmpty()
        || select.getFetch() != null || select.getOffset() != null) {
      throw unsupported("ORDER BY, LIMIT and OFFSET (changes come in commit order)", at);
    }
    items = select.getSelectList();
    where = select.getWhere();
    for (SqlNode item : items) {
      refuseInExpression(item);
    }
    if (where != null) {
      refuseInExpression(where);
    }
  }

  /**
   * {@code SELECT * FROM a, b, ... EMIT CHANGES}: the changes of several tables in one stream;
   * any other join is refused (0A000).
   */
  private void shapeSeveral(SqlSelect select, SqlJoin join) throws SqlException {
    List<String> names = new ArrayList<>();
    if (!commaTables(join, names)) {
      throw unsupported("joins", position(join));
    }
    boolean star = select.getSelectList().size() == 1
        && select.getSelectList().get(0) instanceof SqlIdentifier id && id.isStar()
        && id.names.size() == 1;
    if (!star || select.getWhere() != null || select.isDistinct()
        || select.getGroup() != null && !select.getGroup().isEmpty()
        || select.getHaving() != null
        || select.getOrderList() != null && !select.getOrderList().isEmpty()
        || select.getFetch() != null || select.getOffset() != null) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "a push query over several tables (SELECT * FROM a, b EMIT CHANGES: their changes in"
              + " one stream in commit order, not a join) takes SELECT * and no other clause",
          position(join));
    }
    if (names.size() > SEVERAL_TABLES_MAX) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "a push query reads at most " + SEVERAL_TABLES_MAX + " tables, got " + names.size(),
          position(join));
    }
    if (new java.util.TreeSet<>(names).size() != names.size()) {
      throw new SqlException(
          SqlState.DUPLICATE_ALIAS, "a push query over several tables names a table twice",
          position(join));
    }
    sourceNames = names;
    sourceName = names.get(0);
    alias = sourceName;
  }

  /** The most tables one push query reads. */
  static final int SEVERAL_TABLES_MAX = 16;

  /** Collects the tables of a comma-separated FROM list of plain names; false for anything else. */
  private static boolean commaTables(SqlNode from, List<String> out) {
    if (from instanceof SqlIdentifier id && id.names.size() == 1) {
      out.add(id.getSimple());
      return true;
    }
    return from instanceof SqlJoin j && j.getJoinType() == JoinType.COMMA && !j.isNatural()
        && j.getCondition() == null && commaTables(j.getLeft(), out)
        && commaTables(j.getRight(), out);
  }

  /** Refuses aggregates, window functions and subqueries inside an expression. */
  private void refuseInExpression(SqlNode expr) throws SqlException {
    SqlException[] found = new SqlException[1];
    expr.accept(
        new SqlBasicVisitor<Void>() {
          @Override
          public Void visit(SqlCall call) {
            if (found[0] != null) {
              return null;
            }
            if (call instanceof SqlSelect || call.getKind() == SqlKind.SCALAR_QUERY
                || call.getKind() == SqlKind.EXISTS) {
              found[0] = unsupported("subqueries", position(call));
              return null;
            }
            if (call.getKind() == SqlKind.OVER) {
              found[0] = unsupported("window functions (OVER)", position(call));
              return null;
            }
            String name = call.getOperator().getName().toUpperCase(java.util.Locale.ROOT);
            if (call.getOperator().isAggregator() || AGGREGATES.contains(name)) {
              found[0] = unsupported("aggregate function " + name, position(call));
              return null;
            }
            return super.visit(call);
          }
        });
    if (found[0] != null) {
      throw found[0];
    }
  }

  private SqlException unsupported(String construct, int position) {
    return new SqlException(
        SqlState.FEATURE_NOT_SUPPORTED,
        "push queries (EMIT CHANGES) do not support " + construct + " yet: only SELECT with"
            + " expressions and WHERE over one table or stream", position);
  }

  private int position(SqlNode node) {
    return Math.max(1, parsed.parsed().position(node.getParserPosition()));
  }

  // -------------------------------------------------------------------------------------------
  // Source, start, evaluation

  private void resolve(Catalog catalog) throws SqlException {
    if (sourceNames != null) {
      tables = new ArrayList<>();
      keyPrefixes = new ArrayList<>();
      for (String name : sourceNames) {
        Optional<TableDef> t = catalog.table(name);
        if (t.isEmpty()) {
          if (catalog.stream(name).isPresent()) {
            throw unsupported("streams among several tables (\"" + name + "\")",
                push.position());
          }
          throw new SqlException(
              SqlState.UNDEFINED_TABLE, "relation \"" + name + "\" does not exist",
              push.position());
        }
        tables.add(t.get());
        keyPrefixes.add(Encodings.rowPrefix(t.get(), List.of()));
      }
      return;
    }
    Optional<TableDef> t = catalog.table(sourceName);
    if (t.isPresent()) {
      table = t.get();
      keyPrefix = Encodings.rowPrefix(table, List.of());
      keyPrefixes = List.of(keyPrefix);
      imageColumns = table.columns();
      return;
    }
    Optional<StreamDef> s = catalog.stream(sourceName);
    if (s.isPresent()) {
      stream = s.get();
      keyPrefix = SHARD_KEY_PREFIX + stream.name() + "/";
      keyPrefixes = List.of(keyPrefix);
      imageColumns = new ArrayList<>(stream.columns());
      int id = imageColumns.stream().mapToInt(ColumnDef::id).max().orElse(0);
      imageColumns.add(new ColumnDef(StreamTable.META_COLUMNS.get(0), id + 1, SqlType.BIGINT, -1, -1, true, Optional.empty()));
      imageColumns.add(new ColumnDef(StreamTable.META_COLUMNS.get(1), id + 2, SqlType.BIGINT, -1, -1, true, Optional.empty()));
      imageColumns.add(new ColumnDef(StreamTable.META_COLUMNS.get(2), id + 3, SqlType.TIMESTAMPTZ, -1, -1, true, Optional.empty()));
      return;
    }
    throw new SqlException(
        SqlState.UNDEFINED_TABLE, "relation \"" + sourceName + "\" does not exist", push.position());
  }

  /** Sets the cursor from the start clause, checked against the snapshot {@code now}. */
  private void start(Position now) throws SqlException {
    if (push.start() == SqlEmitChanges.Start.NOW) {
      cursorPosition = now;
      cursorKey = null;
      return;
    }
    String literal = push.literal().orElseThrow();
    if (push.start() == SqlEmitChanges.Start.TIME) {
      cursorPosition = session.asOf(new Plan.AsOf(false, literal, push.position()), now, "AT TIME");
      cursorKey = null;
      return;
    }
    String[] parts = literal.trim().split(":", -1);
    int row = 0;
    String positionText = literal;
    if (parts.length == 4) {
      positionText = parts[0] + ":" + parts[1] + ":" + parts[2];
      try {
        row = Integer.parseInt(parts[3]);
      } catch (NumberFormatException e) {
        row = -1;
      }
      if (row < 1) {
        throw new SqlException(
            SqlState.INVALID_TEXT_REPRESENTATION,
            "invalid position \"" + literal + "\": expected <ts>:<partition>:<offset> or a"
                + " _position value <ts>:<partition>:<offset>:<n> with n >= 1", push.position());
      }
    }
    Position p;
    try {
      p = Positions.parse(positionText);
    } catch (SqlException e) {
      throw new SqlException(
          SqlState.INVALID_TEXT_REPRESENTATION,
          "invalid position \"" + literal + "\": expected <ts>:<partition>:<offset> or a"
              + " _position value <ts>:<partition>:<offset>:<n>", push.position());
    }
    cursorPosition =
        session.asOf(new Plan.AsOf(true, positionText, push.position()), now, "AT POSITION");
    if (row > 0) {
      // After row n at p: read p's changes again (afterKey "" excludes no key) and skip n rows.
      cursorKey = "";
      rowPosition = p;
      skipRowsAt = row;
    } else {
      cursorKey = null;
    }
  }

  /**
   * Plans the evaluation query. Its parameters, in text order: the select list's, the
   * condition's (the match flag is the last select item), then the image's columns.
   */
  private void prepareEvaluation(Catalog catalog) throws SqlException {
    StringBuilder sql = new StringBuilder("SELECT ");
    itemParams = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      SqlNode item = items.get(i);
      sql.append(i == 0 ? "" : ", ").append(Unparse.sql(item));
      for (int index : Unparse.parameters(item)) {
        itemParams.add(parsed.parameterValue(index, params));
      }
    }
    sql.append(", (").append(where == null ? "TRUE" : Unparse.sql(where)).append(") IS TRUE");
    if (where != null) {
      for (int index : Unparse.parameters(where)) {
        itemParams.add(parsed.parameterValue(index, params));
      }
    }
    sql.append(" FROM (VALUES (");
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < imageColumns.size(); i++) {
      ColumnDef c = imageColumns.get(i);
      sql.append(i == 0 ? "" : ", ").append("CAST(? AS ").append(CalciteTypes.castTarget(c)).append(')');
      names.append(i == 0 ? "" : ", ").append(Dml.quote(c.name()));
    }
    sql.append(")) AS ").append(Dml.quote(alias)).append('(').append(names).append(')');
    try (ReadContext.Bound bound =
        session.context(Positions.endOf(Long.MAX_VALUE), catalog, null).bind()) {
      evaluation = session.runner().prepare(sql.toString(), catalog.fingerprint());
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading and emitting

  /** Whether the store holds changes of any source after {@code p}. */
  private boolean holdsChangesAfter(Snapshots snapshots, Position p) {
    for (String prefix : keyPrefixes) {
      if (snapshots.storeHoldsChangesAfter(p, prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Emits every change of the source after the cursor and at or before {@code upTo}. */
  private void emitUpTo(Position upTo) throws SqlException, InterruptedException {
    if (tables != null) {
      emitSeveralUpTo(upTo);
      return;
    }
    while (true) {
      checkCancelled();
      ChangePage page =
          store.changesAfter(cursorPosition, cursorKey, upTo, keyPrefix, PAGE_CHANGES);
      for (ChangeEntry change : page.entries()) {
        emit(change);
      }
      if (page.lastPosition().isPresent()) {
        cursorPosition = page.lastPosition().get();
        cursorKey = page.lastKey();
      }
      if (page.complete()) {
        cursorPosition = upTo;
        cursorKey = null;
        return;
      }
    }
  }

  /**
   * Like {@link #emitUpTo} over several tables: a merge of each table's changes in the store's
   * order (position, then key as UTF-8 bytes, the order of one scan over all of them). One cursor
   * serves every table: a round reads a page of each after it, emits the changes up to the
   * nearest point where a page stopped short, and moves the cursor there.
   */
  private void emitSeveralUpTo(Position upTo) throws SqlException, InterruptedException {
    while (true) {
      checkCancelled();
      List<ChangeEntry> merged = new ArrayList<>();
      Position boundPosition = null;
      String boundKey = null;
      List<Integer> owners = new ArrayList<>();
      for (int i = 0; i < keyPrefixes.size(); i++) {
        ChangePage page =
            store.changesAfter(cursorPosition, cursorKey, upTo, keyPrefixes.get(i), PAGE_CHANGES);
        for (ChangeEntry e : page.entries()) {
          merged.add(e);
          owners.add(i);
        }
        if (!page.complete() && page.lastPosition().isPresent()) {
          Position lp = page.lastPosition().get();
          if (boundPosition == null
              || compareChange(lp, page.lastKey(), boundPosition, boundKey) < 0) {
            boundPosition = lp;
            boundKey = page.lastKey();
          }
        }
      }
      Integer[] order = new Integer[merged.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, (a, b) -> compareChange(merged.get(a).position(),
          merged.get(a).key(), merged.get(b).position(), merged.get(b).key()));
      for (int i : order) {
        ChangeEntry e = merged.get(i);
        if (boundPosition != null
            && compareChange(e.position(), e.key(), boundPosition, boundKey) > 0) {
          break;
        }
        emitOfTable(owners.get(i), e);
      }
      if (boundPosition == null) {
        cursorPosition = upTo;
        cursorKey = null;
        return;
      }
      cursorPosition = boundPosition;
      cursorKey = boundKey;
    }
  }

  /** The store's change order: position, then key in UTF-8 byte order. */
  private static int compareChange(Position p, String key, Position q, String otherKey) {
    int c = Positions.ORDER.compare(p, q);
    return c != 0 ? c : java.util.Arrays.compareUnsigned(
        key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        otherKey.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Emits one change of table {@code index} of several: {@code _position, _op, _table}, then
   * every table's columns, this one's holding the image.
   */
  private void emitOfTable(int index, ChangeEntry change) throws SqlException, InterruptedException {
    if (!change.position().equals(rowPosition)) {
      rowPosition = change.position();
      rowsAtPosition = 0;
      skipRowsAt = 0;
    }
    TableDef t = tables.get(index);
    for (Image image : tableImages(t, change)) {
      rowsAtPosition++;
      if (rowsAtPosition <= skipRowsAt) {
        continue;
      }
      List<Object> row = new ArrayList<>();
      row.add(Positions.format(change.position()) + ":" + rowsAtPosition);
      row.add(image.op());
      row.add(t.name());
      for (int i = 0; i < tables.size(); i++) {
        if (i == index) {
          row.addAll(image.values());
        } else {
          row.addAll(java.util.Collections.nCopies(tables.get(i).columns().size(), null));
        }
      }
      sink.row(row);
      entry.rows.incrementAndGet();
    }
  }

  /**
   * Emits the rows of one change: a table change's images when any of them matches, a stream
   * record when it matches (each record is a change of its own).
   */
  private void emit(ChangeEntry change) throws SqlException, InterruptedException {
    if (!change.position().equals(rowPosition)) {
      rowPosition = change.position();
      rowsAtPosition = 0;
      skipRowsAt = 0;
    }
    List<Image> images = images(change);
    List<List<Object>> projected = new ArrayList<>(images.size());
    boolean anyMatches = false;
    for (Image image : images) {
      List<Object> out = evaluate(image.values());
      anyMatches |= matches(out);
      projected.add(out);
    }
    for (int i = 0; i < images.size(); i++) {
      rowsAtPosition++;
      List<Object> out = projected.get(i);
      boolean emitted = table != null ? anyMatches : matches(out);
      if (rowsAtPosition <= skipRowsAt || !emitted) {
        continue;
      }
      List<Object> row = new ArrayList<>(out.size() + 1);
      row.add(Positions.format(change.position()) + ":" + rowsAtPosition);
      row.add(images.get(i).op());
      row.addAll(out.subList(0, out.size() - 1));
      sink.row(row);
      entry.rows.incrementAndGet();
    }
  }

  /** The match flag of an evaluated image (its last value). */
  private static boolean matches(List<Object> evaluated) {
    return Boolean.TRUE.equals(evaluated.get(evaluated.size() - 1));
  }

  /** One row image of a change and what it is. */
  private record Image(String op, List<Object> values) {}

  private List<Image> images(ChangeEntry change) throws SqlException {
    if (table != null) {
      return tableImages(table, change);
    }
    List<Image> out = new ArrayList<>();
    if (change.after().isEmpty() || !change.after().get().hasShard()) {
      return out;
    }
    ShardState shard = change.after().get().getShard();
    long first = shard.getNextOffset() - shard.getAppendedCount();
    OffsetDateTime logTime =
        OffsetDateTime.ofInstant(Instant.ofEpochMilli(change.position().getTs()), ZoneOffset.UTC);
    for (int i = 0; i < shard.getAppendedCount(); i++) {
      StreamRecord record = shard.getAppended(i);
      long offset = first + i;
      List<Object> values =
          new ArrayList<>(Encodings.decodeStreamRow(stream, record, shard.getShardId(), offset));
      values.add(shard.getShardId());
      values.add(offset);
      values.add(logTime);
      out.add(new Image("insert", values));
    }
    return out;
  }

  /** The images of a change of table {@code t}: insert, delete, or update_before + _after. */
  private List<Image> tableImages(TableDef t, ChangeEntry change) throws SqlException {
    List<Image> out = new ArrayList<>(2);
    Optional<List<Object>> before = rowOf(t, change.before());
    Optional<List<Object>> after = rowOf(t, change.after());
    if (before.isPresent() && after.isPresent()) {
      out.add(new Image("update_before", before.get()));
      out.add(new Image("update_after", after.get()));
    } else if (after.isPresent()) {
      out.add(new Image("insert", after.get()));
    } else if (before.isPresent()) {
      out.add(new Image("delete", before.get()));
    }
    return out;
  }

  private Optional<List<Object>> rowOf(TableDef t, Optional<Value> v) throws SqlException {
    if (v.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Encodings.decodeRow(t, v.get(), session.defaults(t)));
  }

  /** The image's projected items followed by whether it matches the condition. */
  private List<Object> evaluate(List<Object> image) throws SqlException {
    List<Object> values = new ArrayList<>(itemParams.size() + image.size());
    values.addAll(itemParams);
    values.addAll(image);
    List<List<Object>> rows = session.runner().run(evaluation, values, 1);
    return rows.get(0);
  }

  /** Sends a progress mark when the cursor moved since the last one (at a position boundary). */
  private void mark() throws InterruptedException {
    if (cursorKey == null && !cursorPosition.equals(lastMark)) {
      String progress = Positions.format(cursorPosition);
      sink.progress(progress);
      entry.progress(progress);
      lastMark = cursorPosition;
    }
  }

  private static Position later(Position a, Position b) {
    return Positions.ORDER.compare(a, b) >= 0 ? a : b;
  }

  /** Ends the query when its table or stream was dropped (or dropped and created again). */
  private void checkSourceUnchanged(Position at) throws SqlException {
    Catalog catalog = Catalog.read(store, at);
    if (tables != null) {
      for (TableDef t : tables) {
        if (!catalog.table(t.name()).map(c -> c.tableId().equals(t.tableId())).orElse(false)) {
          throw new SqlException(
              SqlState.UNDEFINED_TABLE,
              "relation \"" + t.name() + "\" was dropped at or before log position "
                  + Positions.format(at) + "; the push query ends there");
        }
      }
      return;
    }
    boolean same =
        table != null
            ? catalog.table(sourceName).map(t -> t.tableId().equals(table.tableId())).orElse(false)
            : catalog.stream(sourceName).isPresent();
    if (!same) {
      throw new SqlException(
          SqlState.UNDEFINED_TABLE,
          "relation \"" + sourceName + "\" was dropped at or before log position "
              + Positions.format(at) + "; the push query ends there");
    }
  }

  private void checkCancelled() throws SqlException {
    String terminatedBy = entry.terminatedBy();
    if (terminatedBy != null) {
      throw new SqlException(SqlState.QUERY_CANCELED,
          "push query " + entry.id + " ended by TERMINATE QUERY (user \"" + terminatedBy + "\")");
    }
    if (session.isCancelled() || Thread.currentThread().isInterrupted()) {
      throw new SqlException(SqlState.QUERY_CANCELED, "canceling statement due to user request");
    }
  }
}
