package io.ordo.sql.pgcatalog;

import io.ordo.sql.SqlException;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The name filters of the client queries: psql's regular expressions ({@code name
 * OPERATOR(pg_catalog.~) '^(acc.*)$'}) and pgjdbc's LIKE patterns ({@code relname LIKE 'acc%'}).
 * A {@code null} pattern is SQL NULL: it matches nothing, as in PostgreSQL.
 */
final class NamePatterns {
  private NamePatterns() {}

  /** Longest pattern accepted (psql builds patterns from a name of at most 63 bytes). */
  static final int PATTERN_CHARS_MAX = 1024;

  /** SQLSTATE invalid_regular_expression (PostgreSQL manual, Appendix A). */
  static final String INVALID_REGULAR_EXPRESSION = "2201B";
  /** SQLSTATE invalid_escape_sequence. */
  static final String INVALID_ESCAPE_SEQUENCE = "22025";

  /**
   * A predicate for {@code name ~ regex}. psql writes only the common subset of POSIX advanced
   * regular expressions and Java's ({@code ^ $ ( ) | . * + ? [ ]} and backslash escapes), which
   * mean the same in both; the match is unanchored, as {@code ~} is.
   *
   * @throws SqlException 2201B when the expression is invalid or longer than {@link
   *     #PATTERN_CHARS_MAX}
   */
  static Predicate<String> regex(String regex) throws SqlException {
    if (regex == null) {
      return name -> false;
    }
    if (regex.length() > PATTERN_CHARS_MAX) {
      throw new SqlException(INVALID_REGULAR_EXPRESSION,
          "regular expression longer than " + PATTERN_CHARS_MAX + " characters");
    }
    try {
      Pattern p = Pattern.compile(regex);
      return name -> p.matcher(name).find();
    } catch (PatternSyntaxException e) {
      throw new SqlException(INVALID_REGULAR_EXPRESSION,
          "invalid regular expression: " + e.getDescription());
    }
  }

  /**
   * A predicate for {@code name LIKE pattern}: {@code %} any run of characters, {@code _} one
   * character, backslash takes the next character literally (PostgreSQL manual §9.7.1).
   *
   * @throws SqlException 22025 when the pattern ends with a lone backslash; 2201B when it is longer
   *     than {@link #PATTERN_CHARS_MAX}
   */
  static Predicate<String> like(String like) throws SqlException {
    if (like == null) {
      return name -> false;
    }
    if (like.length() > PATTERN_CHARS_MAX) {
      throw new SqlException(INVALID_REGULAR_EXPRESSION,
          "LIKE pattern longer than " + PATTERN_CHARS_MAX + " characters");
    }
    StringBuilder re = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (int i = 0; i < like.length(); i++) {
      char c = like.charAt(i);
      if (c == '\\') {
        if (i + 1 == like.length()) {
          throw new SqlException(INVALID_ESCAPE_SEQUENCE,
              "LIKE pattern must not end with escape character");
        }
        literal.append(like.charAt(++i));
      } else if (c == '%' || c == '_') {
        flush(re, literal);
        re.append(c == '%' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    flush(re, literal);
    Pattern p = Pattern.compile(re.toString(), Pattern.DOTALL);
    return name -> p.matcher(name).matches();
  }

  /** A predicate for {@code name = value}; SQL NULL equals nothing. */
  static Predicate<String> equal(String value) {
    return name -> value != null && value.equals(name);
  }

  private static void flush(StringBuilder re, StringBuilder literal) {
    if (literal.length() > 0) {
      re.append(Pattern.quote(literal.toString()));
      literal.setLength(0);
    }
  }
}
