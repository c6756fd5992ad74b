package io.ordo.sql.parser;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The lexical pre-pass over a script, before Calcite's parser sees it. It knows only what is
 * needed to tell code from literals: single-quoted strings ({@code ''} escapes; {@code E'...'}
 * also takes backslash escapes), double-quoted identifiers ({@code ""} escapes), {@code --} and
 * (non-nesting, as Calcite's lexer) {@code /* *}{@code /} comments. Outside those it
 *
 * <ul>
 *   <li>replaces each PostgreSQL parameter {@code $n} (PostgreSQL 15 §4.2.2, "Positional
 *       Parameters") by Calcite's {@code ?} and records which n each {@code ?} stands for;
 *   <li>finds the {@code ;} that separate statements, and blanks out (with a space, so no position
 *       moves) each one that ends an empty statement, since Calcite's statement-list grammar
 *       accepts {@code a;;b} and {@code a;} but not a leading {@code ;}.
 * </ul>
 *
 * <p>Dollar-quoted strings are not recognized. A literal or comment left open runs to the end of
 * the script; Calcite's lexer then reports it.
 */
final class ScriptScanner {
  /** PostgreSQL's protocol carries at most 65535 parameters (Bind's Int16 count). */
  static final int MAX_PARAMETER = 65_535;

  /** One {@code ?} of the rewritten text. */
  record Param(int originalStart, int originalLength, int number) {}

  /**
   * One statement's extent: between two separators, in original char offsets; {@code operators}
   * counts its operator tokens (symbols such as {@code +} or {@code ||}, and AND, OR, NOT, IS,
   * LIKE, ILIKE, BETWEEN, IN), the measure of the parser's work on operator chains; {@code
   * binaryLiteralChars} is the length of its longest binary string literal, in chars between the
   * quotes: an {@code X'...'} with the quoted strings that continue it (separated only by blanks
   * and comments, which the parser concatenates), and {@code binaryLiteralStart} where that literal
   * starts (-1 without one); {@code listItems} is the most comma-separated items directly inside one
   * pair of brackets ({@code (...)} or {@code [...]}), and {@code listStart} where that pair opens
   * (-1 without one).
   */
  record Segment(int start, int end, int tokenStart, int tokenEnd, List<Param> params,
      int operators, int binaryLiteralChars, int binaryLiteralStart, int listItems, int listStart) {
    boolean hasTokens() {
      return tokenStart >= 0;
    }
  }

  private static final String SYMBOL_OPERATORS = "+-*/%<>=|!~^&#@";
  private static final java.util.Set<String> WORD_OPERATORS =
      java.util.Set.of("AND", "OR", "NOT", "IS", "LIKE", "ILIKE", "BETWEEN", "IN");

  private final String original;
  private final StringBuilder rewritten;
  /** For each replaced {@code $n}: its offset in the rewritten text, and in the original. */
  private final List<int[]> replacements = new ArrayList<>();
  private final List<Segment> segments = new ArrayList<>();

  private ScriptScanner(String original) {
    this.original = original;
    this.rewritten = new StringBuilder(original.length());
  }

  /**
   * Scans {@code script}.
   *
   * @throws SqlException 42601 for {@code $0}, for {@code $n} above {@link #MAX_PARAMETER}, and for
   *     a statement that mixes {@code $n} and {@code ?}; positions point into {@code script}
   */
  static ScriptScanner scan(String script) throws SqlException {
    ScriptScanner s = new ScriptScanner(script);
    s.run();
    return s;
  }

  String rewritten() {
    return rewritten.toString();
  }

  List<Segment> segments() {
    return segments;
  }

  /**
   * The original char offset of a char offset into the rewritten text; an offset inside a
   * {@code ?} that replaced {@code $n} maps to the {@code $}.
   */
  int originalOffset(int rewrittenOffset) {
    int delta = 0;
    for (int[] r : replacements) {
      if (r[0] > rewrittenOffset) {
        break;
      }
      if (r[0] == rewrittenOffset) {
        return r[1];
      }
      // Absolute: how far the original runs ahead of the rewritten text past this replacement.
      delta = r[1] + r[2] - (r[0] + 1);
    }
    return rewrittenOffset + delta;
  }

  private void run() throws SqlException {
    final String s = original;
    final int n = s.length();
    int segStart = 0;
    int tokenStart = -1;
    int tokenEnd = -1;
    List<Param> params = new ArrayList<>();
    int operators = 0;
    // The binary string literal being read (an X'...' and the strings continuing it): its start
    // and chars so far; -1 when the last token was no part of one.
    int binaryStart = -1;
    int binaryChars = 0;
    int longestBinary = 0;
    int longestBinaryStart = -1;
    // Open brackets: where each opened and how many commas it has held so far.
    java.util.ArrayDeque<int[]> brackets = new java.util.ArrayDeque<>();
    int longestList = 0;
    int longestListStart = -1;
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
        int j = i + 2;
        while (j < n && s.charAt(j) != '\n' && s.charAt(j) != '\r') {
          j++;
        }
        rewritten.append(s, i, j);
        i = j;
        continue;
      }
      if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        int close = s.indexOf("*/", i + 2);
        int j = close < 0 ? n : close + 2;
        rewritten.append(s, i, j);
        i = j;
        continue;
      }
      if (Character.isWhitespace(c)) {
        rewritten.append(c);
        i++;
        continue;
      }
      if (c == ';') {
        boolean empty = tokenStart < 0;
        rewritten.append(empty ? ' ' : ';');
        segments.add(new Segment(segStart, i, tokenStart, tokenEnd, List.copyOf(params), operators,
            longestBinary, longestBinaryStart, longestList, longestListStart));
        operators = 0;
        binaryStart = -1;
        longestBinary = 0;
        longestBinaryStart = -1;
        brackets.clear();
        longestList = 0;
        longestListStart = -1;
        segStart = i + 1;
        tokenStart = -1;
        tokenEnd = -1;
        params = new ArrayList<>();
        i++;
        continue;
      }
      if (tokenStart < 0) {
        tokenStart = i;
      }
      int j;
      if (c == '\'') {
        boolean backslash = i > 0 && (s.charAt(i - 1) == 'e' || s.charAt(i - 1) == 'E')
            && (i < 2 || !isIdentifierChar(s.charAt(i - 2)));
        j = endOfQuoted(s, i, '\'', backslash);
        rewritten.append(s, i, j);
        boolean binary = i > 0 && (s.charAt(i - 1) == 'x' || s.charAt(i - 1) == 'X')
            && (i < 2 || !isIdentifierChar(s.charAt(i - 2)));
        int chars = Math.max(0, j - i - 2);
        if (binary) {
          binaryStart = i - 1;
          binaryChars = chars;
        } else if (binaryStart >= 0 && !backslash) {
          binaryChars += chars;
        } else {
          binaryStart = -1;
        }
        if (binaryStart >= 0 && binaryChars > longestBinary) {
          longestBinary = binaryChars;
          longestBinaryStart = binaryStart;
        }
      } else if (c == '"') {
        j = endOfQuoted(s, i, '"', false);
        rewritten.append(s, i, j);
      } else if (c == '$' && i + 1 < n && isDigit(s.charAt(i + 1))
          && (i == 0 || !isIdentifierChar(s.charAt(i - 1)))) {
        j = i + 1;
        while (j < n && isDigit(s.charAt(j))) {
          j++;
        }
        int number = parameterNumber(s, i, j);
        replacements.add(new int[] {rewritten.length(), i, j - i});
        rewritten.append('?');
        params.add(new Param(i, j - i, number));
      } else if (c == '?') {
        j = i + 1;
        rewritten.append('?');
        params.add(new Param(i, 1, 0));
      } else if (isIdentifierChar(c)) {
        // A whole word at once, so "a$1" stays an identifier.
        j = i + 1;
        while (j < n && isIdentifierChar(s.charAt(j))) {
          j++;
        }
        if (j - i <= 7 && WORD_OPERATORS.contains(s.substring(i, j).toUpperCase(Locale.ROOT))) {
          operators++;
        }
        rewritten.append(s, i, j);
      } else {
        j = i + 1;
        rewritten.append(c);
        if (SYMBOL_OPERATORS.indexOf(c) >= 0) {
          operators++;
        } else if (c == '(' || c == '[') {
          brackets.push(new int[] {i, 0});
        } else if ((c == ')' || c == ']') && !brackets.isEmpty()) {
          brackets.pop();
        } else if (c == ',' && !brackets.isEmpty()) {
          int[] open = brackets.peek();
          open[1]++;
          if (open[1] + 1 > longestList) {
            longestList = open[1] + 1;
            longestListStart = open[0];
          }
        }
      }
      if (c != '\'') {
        binaryStart = -1;
      }
      tokenEnd = j;
      i = j;
    }
    segments.add(new Segment(segStart, n, tokenStart, tokenEnd, List.copyOf(params), operators,
        longestBinary, longestBinaryStart, longestList, longestListStart));
    for (Segment seg : segments) {
      checkNotMixed(seg);
    }
  }

  private int parameterNumber(String s, int start, int end) throws SqlException {
    String digits = s.substring(start + 1, end);
    long value = digits.length() > 6 ? Long.MAX_VALUE : Long.parseLong(digits);
    if (value < 1 || value > MAX_PARAMETER) {
      throw new SqlException(SqlState.SYNTAX_ERROR,
          "there is no parameter $" + digits + " (parameters are $1 to $" + MAX_PARAMETER + ")",
          position(start));
    }
    return (int) value;
  }

  private void checkNotMixed(Segment seg) throws SqlException {
    boolean dollar = false;
    boolean hook = false;
    for (Param p : seg.params()) {
      dollar |= p.number() > 0;
      hook |= p.number() == 0;
      if (dollar && hook) {
        throw new SqlException(SqlState.SYNTAX_ERROR,
            "a statement cannot mix $n and ? parameters", position(p.originalStart()));
      }
    }
  }

  /** The 1-based code point position of an original char offset (PostgreSQL counts characters). */
  int position(int originalOffset) {
    int o = Math.max(0, Math.min(originalOffset, original.length()));
    return original.codePointCount(0, o) + 1;
  }

  /** The offset just past a quoted run starting at {@code start}; the script's end if unclosed. */
  private static int endOfQuoted(String s, int start, char quote, boolean backslash) {
    int j = start + 1;
    int n = s.length();
    while (j < n) {
      char c = s.charAt(j);
      if (backslash && c == '\\') {
        j += 2;
        continue;
      }
      if (c == quote) {
        if (j + 1 < n && s.charAt(j + 1) == quote) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdentifierChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$';
  }
}
