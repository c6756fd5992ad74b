package io.ordo.sql.parser;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.parser.impl.OrdoSqlParserImpl;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.calcite.avatica.util.Casing;
import org.apache.calcite.avatica.util.Quoting;
import org.apache.calcite.config.CharLiteralStyle;
import org.apache.calcite.sql.SqlDataTypeSpec;
import org.apache.calcite.sql.SqlDialect;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.util.SqlBasicVisitor;
import org.apache.calcite.sql.util.SqlShuttle;
import org.apache.calcite.sql.validate.SqlConformanceEnum;

/**
 * Ordo's SQL front door: splits a script into statements and parses them with Calcite's parser
 * extended for Ordo (DDL for tables and streams, transactions, SHOW, PostgreSQL habits, AS OF; see
 * PARSER.md for the accepted forms).
 *
 * <p>Lexing follows PostgreSQL: identifiers are quoted with double quotes; unquoted identifiers
 * are folded to lower case, quoted ones kept as written, and names then match case-sensitively;
 * strings are single-quoted with {@code ''} for a quote. The conformance is Calcite's
 * {@link SqlConformanceEnum#LENIENT}: it accepts what PostgreSQL clients write and the default
 * conformance rejects — OFFSET before LIMIT, SELECT without FROM, {@code !=}, {@code %}, GROUP BY
 * and ORDER BY by alias or ordinal, INSERT of a subset of the columns — while BABEL would also
 * accept many other dialects' forms for no gain.
 *
 * <p>Thread-safe: every call makes its own parser.
 */
public final class OrdoSqlParser {
  private OrdoSqlParser() {}

  /** Longest identifier accepted, in characters (PostgreSQL's NAMEDATALEN - 1 is 63 bytes). */
  public static final int IDENTIFIER_MAX_LENGTH = 128;

  /**
   * The most operator tokens one statement may hold (54000 beyond). Calcite reduces a chain of
   * operators by precedence climbing, whose time grows with the square of the chain's length: a
   * 1 MiB statement of {@code 1+1+...} (the statement size limit) would hold a thread for about an
   * hour, while a chain of 20,000 operators takes a few seconds at most.
   */
  public static final int OPERATORS_MAX = 20_000;

  /**
   * The longest binary string literal ({@code X'...'}, with the quoted strings that continue it)
   * one statement may hold, in hex digits (54000 beyond): 16,384, i.e. 8 KiB of binary data.
   * Calcite converts such a literal through {@link java.math.BigInteger}s of its bits, in time
   * quadratic in its length: a 100,000-digit literal held a thread for tens of seconds. Larger
   * binary values go as parameters (bytea).
   */
  public static final int BINARY_LITERAL_DIGITS_MAX = 16_384;

  /**
   * The most comma-separated items directly inside one pair of brackets (an {@code ARRAY[...]},
   * an IN list, a function's or a row's arguments; 54000 beyond). Calcite compiles a query's
   * expressions into one Java method: a 100,000-item {@code ARRAY[...]} held a thread for minutes
   * of code generation before the JVM's 64 KB method limit refused it. The rows of {@code INSERT
   * ... VALUES (...), (...)} are not inside one pair of brackets and are bounded by the row limit.
   */
  public static final int LIST_ITEMS_MAX = 10_000;

  /** How many expected tokens an error message lists before "...". */
  private static final int EXPECTED_TOKENS_SHOWN = 8;

  /** Ordo's parser configuration (Ordo's grammar, PostgreSQL-like lexing, LENIENT conformance). */
  public static final SqlParser.Config CONFIG = lexing(SqlParser.config())
      .withParserFactory(OrdoSqlParserImpl.FACTORY);

  /**
   * Calcite's own grammar with Ordo's lexing and conformance: what {@link #unparse} output is
   * written for (e.g. a query handed to Calcite's planner).
   */
  public static final SqlParser.Config CALCITE_CONFIG = lexing(SqlParser.config());

  private static final SqlDialect DIALECT = new SqlDialect(SqlDialect.EMPTY_CONTEXT
      .withDatabaseProduct(SqlDialect.DatabaseProduct.CALCITE)
      .withIdentifierQuoteString("\"")
      .withUnquotedCasing(Casing.TO_LOWER)
      .withQuotedCasing(Casing.UNCHANGED)
      .withCaseSensitive(true));

  /** Flink SQL's quoting: back-quoted identifiers, names case-sensitive as written. */
  private static final SqlDialect FLINK_DIALECT = new SqlDialect(SqlDialect.EMPTY_CONTEXT
      .withDatabaseProduct(SqlDialect.DatabaseProduct.CALCITE)
      .withIdentifierQuoteString("`")
      .withUnquotedCasing(Casing.UNCHANGED)
      .withQuotedCasing(Casing.UNCHANGED)
      .withCaseSensitive(true));

  private static SqlParser.Config lexing(SqlParser.Config config) {
    return config
        .withQuoting(Quoting.DOUBLE_QUOTE)
        .withUnquotedCasing(Casing.TO_LOWER)
        .withQuotedCasing(Casing.UNCHANGED)
        .withCaseSensitive(true)
        .withCharLiteralStyles(Set.of(CharLiteralStyle.STANDARD))
        .withIdentifierMaxLength(IDENTIFIER_MAX_LENGTH)
        .withConformance(SqlConformanceEnum.LENIENT);
  }

  /**
   * Parses a script of statements separated by {@code ;}. A trailing {@code ;} and empty
   * statements (only blanks or comments) are allowed; an empty script gives an empty list.
   * PostgreSQL parameters {@code $n} and plain {@code ?} are accepted (not both in one statement).
   *
   * <p>The caller bounds the script's length; the parser's time is linear in it for the grammar's
   * usual inputs, and a nesting too deep for the stack is reported as 54000.
   *
   * @return the statements in script order
   * @throws SqlException 42601 (syntax_error) with PostgreSQL's message form ({@code syntax error
   *     at or near "FROM"}, then a one-line summary of what was expected) and the 1-based
   *     character position in {@code script}; 54000 (program_limit_exceeded) for nesting too deep,
   *     more than {@link #OPERATORS_MAX} operators in one statement, a binary string literal
   *     longer than {@link #BINARY_LITERAL_DIGITS_MAX} hex digits or a list of more than {@link
   *     #LIST_ITEMS_MAX} items in one pair of brackets; 42622 (name_too_long) for an identifier, or an alias written
   *     as a string, longer than {@link #IDENTIFIER_MAX_LENGTH}
   */
  public static List<ParsedStatement> parse(String script) throws SqlException {
    ScriptScanner scanner = ScriptScanner.scan(script);
    SourceMap source = new SourceMap(scanner);
    List<ScriptScanner.Segment> segments = new ArrayList<>();
    for (ScriptScanner.Segment seg : scanner.segments()) {
      if (seg.hasTokens()) {
        segments.add(seg);
      }
    }
    if (segments.isEmpty()) {
      // Calcite's statement list cannot be empty-but-for-comments; nothing to parse anyway.
      return List.of();
    }
    for (ScriptScanner.Segment seg : segments) {
      if (seg.operators() > OPERATORS_MAX) {
        throw new SqlException(SqlState.PROGRAM_LIMIT_EXCEEDED, "statement is too complex ("
            + seg.operators() + " operators; at most " + OPERATORS_MAX + " are allowed)",
            scanner.position(seg.tokenStart()));
      }
      if (seg.binaryLiteralChars() > BINARY_LITERAL_DIGITS_MAX) {
        throw new SqlException(SqlState.PROGRAM_LIMIT_EXCEEDED, "binary string literal is too long ("
            + seg.binaryLiteralChars() + " hex digits; at most " + BINARY_LITERAL_DIGITS_MAX
            + " are allowed; pass larger values as parameters)",
            scanner.position(seg.binaryLiteralStart()));
      }
      if (seg.listItems() > LIST_ITEMS_MAX) {
        throw new SqlException(SqlState.PROGRAM_LIMIT_EXCEEDED, "list is too long ("
            + seg.listItems() + " items in one pair of brackets; at most " + LIST_ITEMS_MAX
            + " are allowed)", scanner.position(seg.listStart()));
      }
    }
    SqlNodeList nodes;
    try {
      nodes = SqlParser.create(scanner.rewritten(), CONFIG).parseStmtList();
    } catch (SqlParseException e) {
      if (e.getCause() instanceof StackOverflowError) {
        // Calcite's parser wraps whatever its recursion threw; too deep a nesting is a limit.
        throw tooComplex();
      }
      throw syntaxError(e, script, scanner, source);
    } catch (StackOverflowError e) {
      throw tooComplex();
    } catch (RuntimeException e) {
      // The grammar's own actions should raise only parse exceptions; anything else is still a
      // rejection of the input, never a crash of the caller.
      throw new SqlException(SqlState.SYNTAX_ERROR, "syntax error: " + e.getMessage(), 0, e);
    }
    if (segments.size() != nodes.size()) {
      throw new SqlException(SqlState.INTERNAL_ERROR, "the script has " + segments.size()
          + " statements but the parser returned " + nodes.size(), 0);
    }
    List<ParsedStatement> out = new ArrayList<>(nodes.size());
    int firstDynamicParam = 0;
    for (int i = 0; i < nodes.size(); i++) {
      checkIdentifierLengths(nodes.get(i), source);
      ScriptScanner.Segment seg = segments.get(i);
      List<ScriptScanner.Param> params = seg.params();
      int[] parameterOf = new int[params.size()];
      for (int k = 0; k < parameterOf.length; k++) {
        int number = params.get(k).number();
        parameterOf[k] = number == 0 ? k + 1 : number;
      }
      out.add(new ParsedStatement(nodes.get(i), script.substring(seg.tokenStart(), seg.tokenEnd()),
          scanner.position(seg.tokenStart()),
          new ParameterMapping(firstDynamicParam, parameterOf), source));
      firstDynamicParam += parameterOf.length;
    }
    return out;
  }

  /**
   * Parses a script that must hold exactly one statement.
   *
   * @throws SqlException as {@link #parse}; 42601 if the script holds no statement or several
   */
  public static ParsedStatement parseOne(String script) throws SqlException {
    List<ParsedStatement> statements = parse(script);
    if (statements.size() != 1) {
      throw new SqlException(SqlState.SYNTAX_ERROR, "expected one statement, found "
          + statements.size(), statements.size() > 1 ? statements.get(1).offset() : 0);
    }
    return statements.get(0);
  }

  /**
   * SQL text for {@code node} that Calcite's own parser ({@link #CALCITE_CONFIG}) accepts back
   * and reads as the same tree: identifiers all double-quoted (so case survives), {@code ::}
   * casts as CAST, LIMIT/OFFSET as OFFSET ... FETCH, parameters as {@code ?}, PostgreSQL type
   * names in casts as Calcite's built-ins ({@link ColumnTypes#toCalcite}). Meant for queries
   * (after taking the query out of an {@link io.ordo.sql.parser.stmt.SqlAsOf}) and DML; Ordo's
   * own statements unparse to Ordo's grammar.
   */
  public static String unparse(SqlNode node) {
    return unparse(node, DIALECT);
  }

  /**
   * Like {@link #unparse(SqlNode)}, in Flink SQL's quoting (back quotes): the text a materialized
   * view's Flink job runs. Names keep the case Ordo folded them to.
   */
  public static String unparseForFlink(SqlNode node) {
    return unparse(node, FLINK_DIALECT);
  }

  private static String unparse(SqlNode node, SqlDialect dialect) {
    SqlNode rewritten = node.accept(new SqlShuttle() {
      @Override
      public SqlNode visit(SqlDataTypeSpec type) {
        return ColumnTypes.toCalcite(type);
      }
    });
    return (rewritten == null ? node : rewritten).toSqlString(c -> c
        .withDialect(dialect)
        .withQuoteAllIdentifiers(true)
        .withAlwaysUseParentheses(false)
        .withSelectListItemsOnSeparateLines(false)
        .withUpdateSetListNewline(false)
        .withIndentation(0)
        .withClauseStartsLine(false)
        .withClauseEndsLine(false)).getSql();
  }

  /**
   * Refuses an identifier longer than {@link #IDENTIFIER_MAX_LENGTH} that the lexer's own check
   * does not see: an alias written as a string literal ({@code SELECT 1 'alias'}), which the
   * LENIENT conformance accepts. Unparsed as a quoted identifier, it failed Calcite's second parse
   * as an internal error (found by fuzzing).
   *
   * @throws SqlException 42622 (name_too_long) with the identifier's position
   */
  private static void checkIdentifierLengths(SqlNode node, SourceMap source) throws SqlException {
    SqlIdentifier[] tooLong = new SqlIdentifier[1];
    try {
      node.accept(new SqlBasicVisitor<Void>() {
        @Override
        public Void visit(SqlIdentifier id) {
          for (String name : id.names) {
            if (tooLong[0] == null && name.length() > IDENTIFIER_MAX_LENGTH) {
              tooLong[0] = id;
            }
          }
          return null;
        }
      });
    } catch (UnsupportedOperationException e) {
      // A statement of Ordo's grammar without an operand list: its names came through the
      // lexer's check, and its queries are checked where they are planned (QueryRunner).
    }
    if (tooLong[0] != null) {
      String name = tooLong[0].names.stream().filter(n -> n.length() > IDENTIFIER_MAX_LENGTH)
          .findFirst().orElse("");
      throw new SqlException(SqlState.NAME_TOO_LONG, "identifier \"" + name.substring(0, 32)
          + "...\" is too long (" + name.length() + " characters; at most " + IDENTIFIER_MAX_LENGTH
          + ")", source.position(tooLong[0].getParserPosition()));
    }
  }

  private static SqlException tooComplex() {
    return new SqlException(SqlState.PROGRAM_LIMIT_EXCEEDED,
        "statement is too complex (nested too deeply)", 0);
  }

  private static SqlException syntaxError(SqlParseException e, String script,
      ScriptScanner scanner, SourceMap source) {
    SqlParserPos pos = e.getPos();
    String message = e.getMessage() == null ? "" : e.getMessage();
    boolean atEnd = message.contains("Encountered \"<EOF>\"");
    int position;
    String what;
    if (atEnd) {
      position = scanner.position(script.length());
      what = "syntax error at end of input";
    } else if (pos != null && pos.getLineNum() > 0) {
      position = source.position(pos);
      int start = source.originalOffset(pos.getLineNum(), pos.getColumnNum());
      int end = source.originalOffset(pos.getEndLineNum(), pos.getEndColumnNum()) + 1;
      what = nearText(script, start, end);
    } else {
      position = 0;
      what = "syntax error";
    }
    Collection<String> expected = e.getExpectedTokenNames();
    String detail;
    if (!expected.isEmpty()) {
      detail = "expected " + summary(expected);
    } else {
      // Errors raised by grammar actions and the lexer carry a sentence of their own.
      detail = firstLine(message).replaceAll(" at line \\d+, column \\d+\\.?", "").trim();
    }
    String full = detail.isEmpty() ? what : what + " (" + detail + ")";
    return new SqlException(SqlState.SYNTAX_ERROR, full, position, e);
  }

  /** {@code syntax error at or near "tok"}, with the token as written (at most 40 characters). */
  private static String nearText(String script, int start, int end) {
    int s = Math.max(0, Math.min(start, script.length()));
    int t = Math.max(s, Math.min(end, script.length()));
    String token = script.substring(s, t);
    if (token.isEmpty()) {
      return "syntax error";
    }
    if (token.length() > 40) {
      token = token.substring(0, 40) + "...";
    }
    return "syntax error at or near \"" + token + "\"";
  }

  /**
   * One line naming what the parser expected: keywords and symbols as Calcite lists them, every
   * kind of identifier token as "identifier" and every kind of literal token as "literal", at most
   * {@link #EXPECTED_TOKENS_SHOWN} of them.
   */
  private static String summary(Collection<String> expected) {
    Set<String> names = new LinkedHashSet<>();
    for (String token : expected) {
      if (token.startsWith("<") && token.contains("IDENTIFIER")) {
        names.add("identifier");
      } else if (token.startsWith("<") && (token.contains("STRING") || token.contains("LITERAL"))) {
        names.add("literal");
      } else if (!token.startsWith("<LBRACE")) {
        names.add(token);
      }
    }
    StringBuilder sb = new StringBuilder(names.size() == 1 ? "" : "one of: ");
    Iterator<String> it = names.iterator();
    for (int i = 0; it.hasNext() && i < EXPECTED_TOKENS_SHOWN; i++) {
      sb.append(i == 0 ? "" : ", ").append(it.next());
    }
    if (names.size() > EXPECTED_TOKENS_SHOWN) {
      sb.append(", ... (").append(names.size() - EXPECTED_TOKENS_SHOWN).append(" more)");
    }
    return sb.toString();
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
