package io.ordo.sql.pgcatalog;

import java.util.Optional;

/**
 * The normal form in which statement texts are compared with the known client queries, and the
 * decoding of the string literals captured from them.
 *
 * <p>Normal form: comments dropped, letters outside quotes lower-cased (ASCII), whitespace
 * removed except one space between two word characters ({@code [A-Za-z0-9_$]}), one trailing
 * semicolon dropped; the contents of string literals ({@code '...'}, {@code E'...'}) and quoted
 * identifiers ({@code "..."}) are kept byte for byte. Two texts with the same normal form differ
 * only in layout and in the case of keywords and unquoted names, which PostgreSQL also ignores
 * (unquoted names fold to lower case, SQL §5.2 and PostgreSQL manual §4.1.1).
 */
final class SqlText {
  private SqlText() {}

  /**
   * The normal form of {@code sql}, or empty when it has an unterminated literal, quoted
   * identifier or block comment (such a text is never a known client query).
   */
  static Optional<String> normalize(String sql) {
    StringBuilder out = new StringBuilder(sql.length());
    boolean pendingSpace = false;
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        while (i < n && sql.charAt(i) != '\n') {
          i++;
        }
        pendingSpace = true;
        continue;
      }
      if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        if (end < 0) {
          return Optional.empty();
        }
        i = end + 2;
        pendingSpace = true;
        continue;
      }
      if (Character.isWhitespace(c)) {
        pendingSpace = true;
        i++;
        continue;
      }
      if (pendingSpace && out.length() > 0 && isWord(out.charAt(out.length() - 1)) && isWord(c)) {
        out.append(' ');
      }
      pendingSpace = false;
      if (c == '\'') {
        boolean escapes = isEscapeStringPrefix(out);
        int end = literalEnd(sql, i, escapes);
        if (end < 0) {
          return Optional.empty();
        }
        out.append(sql, i, end);
        i = end;
      } else if (c == '"') {
        int end = quotedIdentifierEnd(sql, i);
        if (end < 0) {
          return Optional.empty();
        }
        out.append(sql, i, end);
        i = end;
      } else {
        out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        i++;
      }
    }
    int len = out.length();
    if (len > 0 && out.charAt(len - 1) == ';') {
      out.setLength(len - 1);
    }
    return Optional.of(out.toString());
  }

  /**
   * The value of a string literal in normal form: {@code 'it''s'} is {@code it's}; {@code
   * e'a\\$b'} is {@code a\$b} (backslash escapes of PostgreSQL manual §4.1.2.2: \b \f \n \r \t,
   * any other character stands for itself; octal and Unicode escapes are not decoded).
   *
   * @throws IllegalArgumentException when {@code literal} is not a literal in normal form
   */
  static String decodeLiteral(String literal) {
    boolean escapes = literal.startsWith("e'");
    int start = escapes ? 2 : 1;
    if (literal.length() < start + 1 || literal.charAt(start - 1) != '\''
        || literal.charAt(literal.length() - 1) != '\'') {
      throw new IllegalArgumentException("not a string literal: " + literal);
    }
    StringBuilder value = new StringBuilder(literal.length());
    int end = literal.length() - 1;
    for (int i = start; i < end; i++) {
      char c = literal.charAt(i);
      if (c == '\'' && i + 1 < end && literal.charAt(i + 1) == '\'') {
        value.append('\'');
        i++;
      } else if (escapes && c == '\\' && i + 1 < end) {
        char e = literal.charAt(++i);
        value.append(switch (e) {
          case 'b' -> '\b';
          case 'f' -> '\f';
          case 'n' -> '\n';
          case 'r' -> '\r';
          case 't' -> '\t';
          default -> e;
        });
      } else {
        value.append(c);
      }
    }
    return value.toString();
  }

  static boolean isWord(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
        || c == '$';
  }

  /** Whether the literal about to be appended is an E'...' string (an e not ending a word). */
  private static boolean isEscapeStringPrefix(StringBuilder out) {
    int len = out.length();
    return len > 0 && out.charAt(len - 1) == 'e' && (len == 1 || !isWord(out.charAt(len - 2)));
  }

  /** Index just past the literal starting at {@code start}, or -1 when unterminated. */
  private static int literalEnd(String sql, int start, boolean escapes) {
    int i = start + 1;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (escapes && c == '\\') {
        i += 2;
      } else if (c == '\'') {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    return -1;
  }

  private static int quotedIdentifierEnd(String sql, int start) {
    int i = start + 1;
    while (i < sql.length()) {
      if (sql.charAt(i) == '"') {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == '"') {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    return -1;
  }
}
