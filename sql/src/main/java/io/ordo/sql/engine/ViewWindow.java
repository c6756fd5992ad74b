package io.ordo.sql.engine;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlIntervalLiteral;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlParserUtil;

/**
 * An event-time window in a materialized view's FROM, in Flink SQL's window table-valued function
 * form: {@code TABLE(TUMBLE(TABLE s, DESCRIPTOR(c), size))}, {@code TABLE(HOP(TABLE s,
 * DESCRIPTOR(c), slide, size))} or {@code TABLE(SESSION(TABLE s [PARTITION BY k, ...],
 * DESCRIPTOR(c), gap))}, optionally with an alias. The function adds the columns {@code
 * window_start} and {@code window_end} (TIMESTAMP(3), UTC) and {@code window_time} to the
 * stream's.
 *
 * @param function TUMBLE, HOP or SESSION
 * @param source the stream the window reads
 * @param alias the FROM item's alias (the stream's name without one)
 * @param timeColumn the DESCRIPTOR column: the time attribute
 * @param sizeMs the window's size (TUMBLE, HOP) or the session gap (SESSION), ms > 0
 * @param slideMs HOP's slide in ms (> 0, divides the size); otherwise the size
 * @param partitionBy SESSION's PARTITION BY columns (sessions per their values), else empty
 */
record ViewWindow(String function, String source, String alias, String timeColumn, long sizeMs,
    long slideMs, List<String> partitionBy) {
  /** The columns a window function adds to its input's. */
  static final List<String> WINDOW_COLUMNS = List.of("window_start", "window_end", "window_time");

  /** The log-time column of every stream (the record's log position's time, TIMESTAMPTZ). */
  static final String LOG_TIME = "_log_time";

  /** The one option of CREATE MATERIALIZED VIEW ... WITH (...). */
  static final String ALLOWED_LATENESS = "allowed_lateness";

  /**
   * The window of a FROM item, empty when it is not a table function call.
   *
   * @throws SqlException 0A000 for other table functions, named arguments, window offsets,
   *     subqueries as the window's input; 42601 for a wrong number or kind of arguments; 22023 for
   *     sizes that are not positive day-time intervals, or a HOP size that is not a multiple of
   *     its slide (Flink's sliced windows need it)
   */
  static Optional<ViewWindow> of(SqlNode from, int at) throws SqlException {
    String alias = null;
    if (from.getKind() == SqlKind.AS) {
      SqlCall as = (SqlCall) from;
      alias = ((SqlIdentifier) as.operand(1)).getSimple();
      if (as.operandCount() > 2) {
        throw unsupported("column aliases of a window", at);
      }
      from = as.operand(0);
    }
    if (from.getKind() != SqlKind.COLLECTION_TABLE) {
      return Optional.empty();
    }
    SqlNode f = ((SqlCall) from).operand(0);
    if (!(f instanceof SqlCall call)) {
      throw unsupported("FROM TABLE(...) other than TUMBLE, HOP or SESSION", at);
    }
    String function = call.getOperator().getName().toUpperCase(Locale.ROOT);
    int intervals = switch (function) {
      case "TUMBLE", "SESSION" -> 1;
      case "HOP" -> 2;
      default -> throw unsupported("the table function " + function
          + " (supported: TUMBLE, HOP, SESSION)", at);
    };
    List<SqlNode> args = call.getOperandList();
    for (SqlNode a : args) {
      if (a != null && a.getKind() == SqlKind.ARGUMENT_ASSIGNMENT) {
        throw unsupported("named arguments of " + function + " (pass them in order)", at);
      }
    }
    if (args.size() == 3 + intervals) {
      throw unsupported("window offsets (" + function + "'s last argument)", at);
    }
    if (args.size() != 2 + intervals) {
      throw new SqlException(SqlState.SYNTAX_ERROR, function + " takes " + (2 + intervals)
          + " arguments here: " + usage(function), at);
    }
    // The input: TABLE s, or (SESSION) TABLE s PARTITION BY k, ...
    SqlNode input = args.get(0);
    List<String> partitionBy = new ArrayList<>();
    if (input.getKind() == SqlKind.SET_SEMANTICS_TABLE) {
      SqlCall set = (SqlCall) input;
      if (!function.equals("SESSION")) {
        throw unsupported("PARTITION BY in " + function + " (only SESSION takes one)", at);
      }
      if (set.operandCount() > 2 && set.operand(2) instanceof SqlNodeList order
          && !order.isEmpty()) {
        throw unsupported("ORDER BY in a window's input", at);
      }
      for (SqlNode k : (SqlNodeList) set.operand(1)) {
        if (!(k instanceof SqlIdentifier id) || id.names.size() != 1) {
          throw unsupported("PARTITION BY expressions (partition by columns)", at);
        }
        partitionBy.add(id.getSimple());
      }
      input = set.operand(0);
    }
    if (input.getKind() != SqlKind.EXPLICIT_TABLE
        || !(((SqlCall) input).operand(0) instanceof SqlIdentifier table)) {
      throw unsupported("a window over anything but TABLE <stream>", at);
    }
    if (table.names.size() != 1) {
      throw unsupported("qualified table names", at);
    }
    SqlNode descriptor = args.get(1);
    if (!(descriptor instanceof SqlCall d)
        || !d.getOperator().getName().equalsIgnoreCase("DESCRIPTOR")
        || d.operandCount() != 1 || !(d.operand(0) instanceof SqlIdentifier timeColumn)
        || timeColumn.names.size() != 1) {
      throw new SqlException(SqlState.SYNTAX_ERROR, function
          + "'s second argument is DESCRIPTOR(<one time column>): " + usage(function), at);
    }
    long first = intervalMs(function, args.get(2), at);
    long size = first;
    long slide = first;
    if (function.equals("HOP")) {
      size = intervalMs(function, args.get(3), at);
      if (size % slide != 0) {
        throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, "HOP's size (" + size
            + " ms) must be a whole multiple of its slide (" + slide + " ms)", at);
      }
    }
    return Optional.of(new ViewWindow(function, table.getSimple(),
        alias == null ? table.getSimple() : alias, timeColumn.getSimple(), size, slide,
        List.copyOf(partitionBy)));
  }

  /**
   * Checks the window against the stream it reads and the view's GROUP BY.
   *
   * @throws SqlException 42703 when the time column or a PARTITION BY column is not the stream's;
   *     42804 when the time column is not a TIMESTAMP or TIMESTAMPTZ; 0A000 when GROUP BY lacks
   *     window_start, window_end or a PARTITION BY column (the aggregate would not be per window)
   */
  void check(StreamDef stream, SqlNodeList groupBy, int at) throws SqlException {
    if (!timeColumn.equals(LOG_TIME)) {
      ColumnDef c = column(stream, timeColumn, at);
      if (c.type() != SqlType.TIMESTAMP && c.type() != SqlType.TIMESTAMPTZ) {
        throw new SqlException(SqlState.DATATYPE_MISMATCH, "the time column of " + function
            + " must be a timestamp or timestamptz column of stream \"" + source + "\" (or "
            + LOG_TIME + ", the record's log time); \"" + timeColumn + "\" is "
            + c.type().pgName(), at);
      }
    }
    for (String k : partitionBy) {
      column(stream, k, at);
    }
    List<String> grouped = new ArrayList<>();
    for (SqlNode g : groupBy) {
      SqlIdentifier id = (SqlIdentifier) g;
      grouped.add(id.names.get(id.names.size() - 1));
    }
    List<String> needed = new ArrayList<>(List.of("window_start", "window_end"));
    needed.addAll(partitionBy);
    for (String n : needed) {
      if (!grouped.contains(n)) {
        throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED, "a windowed view must GROUP BY "
            + String.join(", ", needed) + " (it is missing \"" + n + "\"): an aggregate over a"
            + " stream that is not per window would grow without bound", at);
      }
    }
  }

  private static ColumnDef column(StreamDef stream, String name, int at) throws SqlException {
    for (ColumnDef c : stream.columns()) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    throw new SqlException(SqlState.UNDEFINED_COLUMN, "column \"" + name
        + "\" does not exist in stream \"" + stream.name() + "\"", at);
  }

  private static long intervalMs(String function, SqlNode node, int at) throws SqlException {
    if (node instanceof SqlIntervalLiteral literal) {
      SqlIntervalLiteral.IntervalValue v =
          literal.getValueAs(SqlIntervalLiteral.IntervalValue.class);
      if (!v.getIntervalQualifier().isYearMonth()) {
        long ms = SqlParserUtil.intervalToMillis(v);
        if (ms > 0) {
          return ms;
        }
      }
    }
    throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, "the sizes of " + function
        + " are positive day-time intervals such as INTERVAL '1' MINUTE, got " + node, at);
  }

  private static String usage(String function) {
    return switch (function) {
      case "HOP" -> "HOP(TABLE s, DESCRIPTOR(ts), slide, size)";
      case "SESSION" -> "SESSION(TABLE s [PARTITION BY k], DESCRIPTOR(ts), gap)";
      default -> "TUMBLE(TABLE s, DESCRIPTOR(ts), size)";
    };
  }

  private static final Pattern DURATION = Pattern.compile(
      "(\\d{1,12})\\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)");

  /**
   * The {@code allowed_lateness} option in ms (0 without it): {@code '<n> <unit>'}, unit ms,
   * second(s), minute(s), hour(s) or day(s) (also s, m, h, d).
   *
   * @throws SqlException 22023 for another option or a value not of that form
   */
  static long allowedLatenessMs(Map<String, String> options, int at) throws SqlException {
    for (String name : options.keySet()) {
      if (!name.equals(ALLOWED_LATENESS)) {
        throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, "unknown option \"" + name
            + "\" of a materialized view (known: " + ALLOWED_LATENESS + ")", at);
      }
    }
    String v = options.get(ALLOWED_LATENESS);
    if (v == null) {
      return 0;
    }
    Matcher m = DURATION.matcher(v.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String u = m.group(2);
      long unit = u.equals("ms") || u.startsWith("milli") ? 1
          : u.startsWith("s") ? 1_000
          : u.startsWith("m") ? 60_000
          : u.startsWith("h") ? 3_600_000 : 86_400_000;
      if (n <= Long.MAX_VALUE / unit) {
        return n * unit;
      }
    }
    throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, ALLOWED_LATENESS
        + " must be a duration such as '5 seconds', '500 ms' or '2 minutes', got '" + v + "'", at);
  }

  private static SqlException unsupported(String what, int at) {
    return new SqlException(SqlState.FEATURE_NOT_SUPPORTED,
        "materialized views do not support " + what + " yet", at);
  }
}
