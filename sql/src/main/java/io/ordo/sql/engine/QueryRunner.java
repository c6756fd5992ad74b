package io.ordo.sql.engine;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.jdbc.CalciteConnection;
import org.apache.calcite.runtime.CalciteContextException;
import org.apache.calcite.schema.SchemaPlus;

/**
 * Runs queries with Calcite — its validator, planner and enumerable runtime — over the session's
 * {@link OrdoSchema}, through Calcite's own JDBC driver (one connection per session).
 *
 * <p>Prepared plans are cached per session by query text and catalog fingerprint (Calcite plans
 * and generates code per query, which costs milliseconds; a statement a client runs again reuses
 * its plan): a DDL change makes a new fingerprint, so no plan outlives the schema it was made for.
 *
 * <p>Calcite's connection is configured like PostgreSQL's lexing: double-quoted identifiers,
 * unquoted ones folded to lower case, case-sensitive names, {@code LENIENT} conformance (LIMIT and
 * OFFSET, and other common dialect forms), the PostgreSQL function library besides the standard
 * one, and UTC as the time zone. Not thread-safe: one per session.
 */
final class QueryRunner implements AutoCloseable {
  /** Prepared plans kept per session. */
  static final int PLAN_CACHE_MAX = 64;

  private static final Pattern LINE_COLUMN =
      Pattern.compile("line (\\d+), column (\\d+)");

  private final Connection connection;
  private final LinkedHashMap<String, Prepared> plans =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Prepared> eldest) {
          if (size() > PLAN_CACHE_MAX) {
            closeQuietly(eldest.getValue().statement);
            return true;
          }
          return false;
        }
      };

  /** A query Calcite has planned: its parameter types and result columns. */
  static final class Prepared {
    final PreparedStatement statement;
    final List<SqlType> parameterTypes;
    final List<Column> columns;

    Prepared(PreparedStatement statement, List<SqlType> parameterTypes, List<Column> columns) {
      this.statement = statement;
      this.parameterTypes = parameterTypes;
      this.columns = columns;
    }
  }

  QueryRunner(String parserFactory) {
    Properties info = new Properties();
    info.setProperty("quoting", "DOUBLE_QUOTE");
    info.setProperty("unquotedCasing", "TO_LOWER");
    info.setProperty("quotedCasing", "UNCHANGED");
    // Calcite matches function names with the identifier matcher: case-sensitive matching would
    // miss library functions written in lower case (length, strpos), so names match
    // case-insensitively; unquoted names are folded to lower case first anyway.
    info.setProperty("caseSensitive", "false");
    // BIG_QUERY's conformance is the one with both checked integer arithmetic (overflow is an
    // error, as in PostgreSQL) and ragged CASE/UNION literals typed VARCHAR (no CHAR padding).
    info.setProperty("conformance", "BIG_QUERY");
    info.setProperty("fun", "standard,postgresql");
    info.setProperty("timeZone", "UTC");
    if (parserFactory != null) {
      info.setProperty("parserFactory", parserFactory);
    }
    try {
      Class.forName("org.apache.calcite.jdbc.Driver");
      connection = DriverManager.getConnection("jdbc:calcite:", info);
      CalciteConnection calcite = connection.unwrap(CalciteConnection.class);
      SchemaPlus root = calcite.getRootSchema();
      SchemaPlus schema = root.add("public", new OrdoSchema());
      // The table map depends on the statement's snapshot: never cache it.
      schema.setCacheEnabled(false);
      calcite.setSchema("public");
    } catch (SQLException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot start Calcite: " + e.getMessage(), e);
    }
  }

  /**
   * Plans {@code sql} (a query in Calcite's syntax with {@code ?} parameters) against the catalog
   * of the context bound to this thread.
   *
   * @throws SqlException with PostgreSQL's SQLSTATE for Calcite's validation errors
   */
  Prepared prepare(String sql, String catalogFingerprint) throws SqlException {
    String key = catalogFingerprint + "\n" + sql;
    Prepared p = plans.get(key);
    if (p != null) {
      return p;
    }
    try {
      PreparedStatement ps = connection.prepareStatement(sql);
      List<SqlType> params = new ArrayList<>();
      ParameterMetaData pmd = ps.getParameterMetaData();
      for (int i = 1; i <= pmd.getParameterCount(); i++) {
        params.add(parameterType(pmd.getParameterType(i), pmd.getParameterTypeName(i)));
      }
      List<Column> columns = new ArrayList<>();
      ResultSetMetaData md = ps.getMetaData();
      if (md != null) {
        for (int i = 1; i <= md.getColumnCount(); i++) {
          columns.add(CalciteTypes.column(md, i));
        }
      }
      p = new Prepared(ps, List.copyOf(params), List.copyOf(columns));
      plans.put(key, p);
      return p;
    } catch (SQLException | RuntimeException | LinkageError | AssertionError e) {
      throw translate(e, sql);
    }
  }

  /** Rows of a prepared query with these parameter values, at most {@code rowsMax}. */
  List<List<Object>> run(Prepared p, List<Object> params, int rowsMax) throws SqlException {
    try {
      p.statement.clearParameters();
      for (int i = 0; i < p.parameterTypes.size(); i++) {
        Object v = i < params.size() ? params.get(i) : null;
        setParameter(p.statement, i + 1, p.parameterTypes.get(i), v);
      }
      List<List<Object>> rows = new ArrayList<>();
      try (ResultSet rs = p.statement.executeQuery()) {
        int n = p.columns.size();
        while (rs.next()) {
          if (rows.size() >= rowsMax) {
            throw new SqlException(
                SqlState.PROGRAM_LIMIT_EXCEEDED,
                "the result has more than " + rowsMax + " rows; add LIMIT or narrow the query");
          }
          List<Object> row = new ArrayList<>(n);
          for (int i = 1; i <= n; i++) {
            row.add(CalciteTypes.value(rs, i, p.columns.get(i - 1).type()));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (SQLException | RuntimeException | LinkageError | AssertionError e) {
      // Calcite folds constant expressions into static initializers of its generated code, so an
      // error there (1 / 0) arrives as an ExceptionInInitializerError, and on a later run of the
      // same cached class as a NoClassDefFoundError that keeps only the first error's text.
      throw translate(e, null);
    }
  }

  /** Asks the running query to stop (another thread). */
  void cancel() {
    for (Iterator<Prepared> it = List.copyOf(plans.values()).iterator(); it.hasNext(); ) {
      try {
        it.next().statement.cancel();
      } catch (SQLException | RuntimeException e) {
        // best effort: the scans also check the session's cancel flag
      }
    }
  }

  private static void setParameter(PreparedStatement ps, int i, SqlType type, Object v)
      throws SQLException, SqlException {
    if (v == null) {
      ps.setNull(i, jdbcType(type));
      return;
    }
    if (v instanceof String s && type != SqlType.VARCHAR && type != SqlType.TEXT
        && type != SqlType.UNKNOWN && type != SqlType.JSONB) {
      v = io.ordo.sql.types.PgText.parse(type, s);
    }
    if (v instanceof LocalDate d) {
      ps.setDate(i, new java.sql.Date(d.toEpochDay() * 86_400_000L), UTC());
    } else if (v instanceof LocalDateTime t) {
      ps.setTimestamp(i, new java.sql.Timestamp(t.toInstant(ZoneOffset.UTC).toEpochMilli()), UTC());
    } else if (v instanceof OffsetDateTime t) {
      ps.setTimestamp(i, new java.sql.Timestamp(t.toInstant().toEpochMilli()), UTC());
    } else if (v instanceof byte[] b) {
      ps.setBytes(i, b);
    } else if (v instanceof BigDecimal d && type == SqlType.BIGINT) {
      ps.setLong(i, d.longValueExact());
    } else {
      ps.setObject(i, v);
    }
  }

  private static java.util.Calendar UTC() {
    return java.util.Calendar.getInstance(java.util.TimeZone.getTimeZone("UTC"));
  }

  private static int jdbcType(SqlType t) {
    return switch (t) {
      case BOOLEAN -> Types.BOOLEAN;
      case SMALLINT -> Types.SMALLINT;
      case INTEGER -> Types.INTEGER;
      case BIGINT -> Types.BIGINT;
      case DOUBLE -> Types.DOUBLE;
      case DECIMAL -> Types.DECIMAL;
      case BYTEA -> Types.VARBINARY;
      case DATE -> Types.DATE;
      case TIMESTAMP, TIMESTAMPTZ -> Types.TIMESTAMP;
      default -> Types.VARCHAR;
    };
  }

  private static SqlType parameterType(int jdbc, String name) {
    return switch (jdbc) {
      case Types.BOOLEAN, Types.BIT -> SqlType.BOOLEAN;
      case Types.TINYINT, Types.SMALLINT -> SqlType.SMALLINT;
      case Types.INTEGER -> SqlType.INTEGER;
      case Types.BIGINT -> SqlType.BIGINT;
      case Types.FLOAT, Types.REAL, Types.DOUBLE -> SqlType.DOUBLE;
      case Types.DECIMAL, Types.NUMERIC -> SqlType.DECIMAL;
      case Types.CHAR, Types.VARCHAR -> SqlType.VARCHAR;
      case Types.BINARY, Types.VARBINARY -> SqlType.BYTEA;
      case Types.DATE -> SqlType.DATE;
      case Types.TIMESTAMP -> name != null && name.contains("LOCAL_TIME_ZONE")
          ? SqlType.TIMESTAMPTZ : SqlType.TIMESTAMP;
      default -> SqlType.UNKNOWN;
    };
  }

  /** How the JVM words an ArithmeticException kept in a NoClassDefFoundError's cause. */
  private static final String ARITHMETIC_EXCEPTION_TEXT = "Exception java.lang.ArithmeticException: ";

  /** Whether {@code e} was thrown deriving a result type in Calcite's type system. */
  private static boolean calciteTypeDerivation(Throwable e) {
    StackTraceElement[] stack = e.getStackTrace();
    return stack.length > 0
        && stack[0].getClassName().startsWith("org.apache.calcite.rel.type.RelDataTypeSystem")
        && stack[0].getMethodName().startsWith("derive");
  }

  /**
   * Calcite's errors as PostgreSQL's: unknown table 42P01, unknown column 42703, unknown function
   * 42883, type errors 42804, bad casts 22P02, division by zero 22012, overflow 22003 (also operands
   * too wide for DECIMAL), characters outside a literal's character set 22021, identifiers too long
   * 42622, code too large 54000; a position when Calcite gives one and the text is the client's
   * ({@code sql} not null).
   */
  static SqlException translate(Throwable e, String sql) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SqlRuntimeException s) {
        return s.sqlException();
      }
      if (t instanceof SqlException s) {
        return s;
      }
    }
    CalciteContextException context = null;
    Throwable root = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CalciteContextException c && context == null) {
        context = c;
      }
      root = t;
    }
    String message = context != null ? context.getCause() != null
        ? context.getCause().getMessage() : context.getMessage() : root.getMessage();
    if (message == null) {
      message = root.getClass().getSimpleName();
    }
    int position = 0;
    if (context != null && sql != null) {
      position = offset(sql, context.getPosLine(), context.getPosColumn());
    } else if (sql != null) {
      Matcher m = LINE_COLUMN.matcher(String.valueOf(e.getMessage()));
      if (m.find()) {
        position = offset(sql, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
      }
    }
    String state;
    if (message.matches("(?s).*Object '.*' not found.*") || message.contains("Table '")
        && message.contains("not found")) {
      state = SqlState.UNDEFINED_TABLE;
      message = message.replaceAll("(?s).*Object '([^']*)' not found.*", "relation \"$1\" does not exist");
    } else if (message.matches("(?s).*Column '.*' not found.*")) {
      state = SqlState.UNDEFINED_COLUMN;
      message = message.replaceAll("(?s).*Column '([^']*)' not found.*", "column \"$1\" does not exist");
    } else if (message.matches("(?s).*Column '.*' is ambiguous.*")) {
      state = SqlState.AMBIGUOUS_COLUMN;
      message = message.replaceAll("(?s).*Column '([^']*)' is ambiguous.*",
          "column reference \"$1\" is ambiguous");
    } else if (root instanceof ExceptionInInitializerError
        && message.startsWith(ARITHMETIC_EXCEPTION_TEXT)) {
      // The generated class's static initializer failed on an earlier run; the JVM's
      // NoClassDefFoundError carries only the text of that ArithmeticException.
      message = message.substring(ARITHMETIC_EXCEPTION_TEXT.length())
          .replaceAll(" \\[in thread .*\\]$", "");
      boolean byZero = message.contains("by zero");
      state = byZero ? SqlState.DIVISION_BY_ZERO : SqlState.NUMERIC_VALUE_OUT_OF_RANGE;
      message = byZero ? "division by zero" : message;
    } else if (root instanceof AssertionError && calciteTypeDerivation(root)) {
      // Calcite checks the precision it derives for an arithmetic result with assertions (enabled
      // in tests): operands of more digits than DECIMAL holds (a 50-digit literal) fail there.
      state = SqlState.NUMERIC_VALUE_OUT_OF_RANGE;
      message = "numeric value out of range: the operands have more digits than DECIMAL holds";
    } else if (message.startsWith("Failed to encode")) {
      // A character literal Calcite keeps in ISO-8859-1 (e.g. one compared with a CASE operand)
      // holds a character outside it.
      state = SqlState.CHARACTER_NOT_IN_REPERTOIRE;
    } else if (message.contains("Length of identifier")) {
      // Calcite's own parse of the planned text; an over-long name is normally refused earlier,
      // by OrdoSqlParser.
      state = SqlState.NAME_TOO_LONG;
    } else if (message.contains("No match found for function signature")) {
      state = SqlState.UNDEFINED_FUNCTION;
    } else if (message.contains("Cannot apply") || message.contains("Cannot assign")
        || message.contains("Cast function cannot convert")
        || message.contains("clause must be a condition")
        || message.contains("cannot be converted") || message.contains("type mismatch")) {
      state = SqlState.DATATYPE_MISMATCH;
    } else if (message.contains("Code grows beyond 64 KB") || message.contains("too large")
        && root.getClass().getName().startsWith("org.codehaus.")) {
      // Calcite compiles a query's expressions into one Java method, and the JVM caps a method
      // at 64 KB of bytecode: a statement with some ten thousand expressions (a huge ARRAY[...]
      // or select list) cannot run. It is the statement's size, not a fault of the server.
      state = SqlState.PROGRAM_LIMIT_EXCEEDED;
      message = "statement too large to compile (" + message + "): split it, or use fewer expressions in one list";
    } else if (root instanceof ArithmeticException && message.contains("by zero")) {
      state = SqlState.DIVISION_BY_ZERO;
      message = "division by zero";
    } else if (root instanceof ArithmeticException) {
      state = SqlState.NUMERIC_VALUE_OUT_OF_RANGE;
    } else if (root instanceof NumberFormatException || message.contains("Invalid character")
        || message.contains("Unparseable") || message.contains("not a valid")) {
      state = SqlState.INVALID_TEXT_REPRESENTATION;
    } else if (root instanceof org.apache.calcite.sql.parser.SqlParseException
        || message.contains("Encountered")) {
      state = SqlState.SYNTAX_ERROR;
    } else if (context != null) {
      state = SqlState.SYNTAX_ERROR;
    } else {
      state = SqlState.INTERNAL_ERROR;
    }
    return new SqlException(state, message, position, e);
  }

  /** 1-based character offset of (line, column), both 1-based, in {@code text}. */
  static int offset(String text, int line, int column) {
    if (line < 1 || column < 1) {
      return 0;
    }
    int at = 0;
    for (int l = 1; l < line; l++) {
      int nl = text.indexOf('\n', at);
      if (nl < 0) {
        return 0;
      }
      at = nl + 1;
    }
    return Math.min(at + column, text.length());
  }

  private static void closeQuietly(PreparedStatement ps) {
    try {
      ps.close();
    } catch (SQLException e) {
      // closing a cached plan: nothing to report
    }
  }

  @Override
  public void close() {
    plans.values().forEach(p -> closeQuietly(p.statement));
    plans.clear();
    try {
      connection.close();
    } catch (SQLException e) {
      // the session is ending
    }
  }
}
