package io.ordo.launcher.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds where SQL statements end in text typed or read by {@code ordo sql}: at a {@code ;}
 * outside string literals ({@code '...'} with {@code ''} inside, {@code E'...'} with backslash
 * escapes), quoted identifiers ({@code "..."}), dollar-quoted strings ({@code $tag$...$tag$}),
 * line comments ({@code -- ...}) and block comments ({@code /* ... *}{@code /}, which nest), as
 * PostgreSQL's lexer reads them (PostgreSQL manual §4.1). Only the ends are found here; the
 * gateway's parser reads the statements.
 */
final class SqlStatementSplitter {
  private SqlStatementSplitter() {}

  /**
   * What {@link #split} found.
   *
   * @param statements the complete statements, each without its {@code ;} and without the
   *     whitespace around it; statements that are only whitespace and comments are left out
   * @param rest the text after the last complete statement (an unfinished statement, or
   *     whitespace and comments)
   */
  record Split(List<String> statements, String rest) {
    /** True when {@link #rest} holds no statement text (only whitespace and comments). */
    boolean restIsBlank() {
      return isBlank(rest);
    }
  }

  /** Splits {@code text} at every {@code ;} that ends a statement. */
  static Split split(String text) {
    List<String> statements = new ArrayList<>();
    Lexer lexer = new Lexer(text);
    int start = 0;
    while (true) {
      int end = lexer.nextSemicolon();
      if (end < 0) {
        break;
      }
      String statement = text.substring(start, end).strip();
      if (!isBlank(statement)) {
        statements.add(statement);
      }
      start = end + 1;
    }
    return new Split(statements, text.substring(start));
  }

  /** True when {@code text} is only whitespace and comments (an unterminated comment counts). */
  static boolean isBlank(String text) {
    Lexer lexer = new Lexer(text);
    return lexer.onlyCommentsAndSpace();
  }

  /** A cursor over SQL text that skips literals, identifiers and comments. */
  private static final class Lexer {
    private final String s;
    private int i;

    Lexer(String s) {
      this.s = s;
    }

    /** The index of the next statement-ending {@code ;}, or -1 at the end of the text. */
    int nextSemicolon() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == ';') {
          return i++;
        }
        if (!skipToken()) {
          i++;
        }
      }
      return -1;
    }

    boolean onlyCommentsAndSpace() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (startsWith("--")) {
          skipLineComment();
        } else if (startsWith("/*")) {
          skipBlockComment();
        } else {
          return false;
        }
      }
      return true;
    }

    /** Skips a literal, quoted identifier or comment starting at {@code i}; false if none. */
    private boolean skipToken() {
      char c = s.charAt(i);
      if (c == '\'') {
        boolean escapes = i > 0 && (s.charAt(i - 1) == 'E' || s.charAt(i - 1) == 'e')
            && (i < 2 || !isIdentifierChar(s.charAt(i - 2)));
        skipQuoted('\'', escapes);
        return true;
      }
      if (c == '"') {
        skipQuoted('"', false);
        return true;
      }
      if (startsWith("--")) {
        skipLineComment();
        return true;
      }
      if (startsWith("/*")) {
        skipBlockComment();
        return true;
      }
      if (c == '$' && (i == 0 || !isIdentifierChar(s.charAt(i - 1)))) {
        return skipDollarQuoted();
      }
      return false;
    }

    private void skipQuoted(char quote, boolean backslashEscapes) {
      i++; // the opening quote
      while (i < s.length()) {
        char c = s.charAt(i);
        if (backslashEscapes && c == '\\') {
          i += 2;
        } else if (c == quote) {
          if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
            i += 2; // a doubled quote stands for one
          } else {
            i++;
            return;
          }
        } else {
          i++;
        }
      }
      i = s.length(); // unterminated: the rest is inside it
    }

    private void skipLineComment() {
      int newline = s.indexOf('\n', i);
      i = newline < 0 ? s.length() : newline + 1;
    }

    private void skipBlockComment() {
      int depth = 0;
      while (i < s.length()) {
        if (startsWith("/*")) {
          depth++;
          i += 2;
        } else if (startsWith("*/")) {
          depth--;
          i += 2;
          if (depth == 0) {
            return;
          }
        } else {
          i++;
        }
      }
    }

    /** {@code $tag$...$tag$} (tag empty or an identifier); false when {@code $} starts none. */
    private boolean skipDollarQuoted() {
      int close = i + 1;
      while (close < s.length() && isTagChar(s.charAt(close), close == i + 1)) {
        close++;
      }
      if (close >= s.length() || s.charAt(close) != '$') {
        return false; // a parameter ($1) or not a quote at all
      }
      String tag = s.substring(i, close + 1);
      int end = s.indexOf(tag, close + 1);
      i = end < 0 ? s.length() : end + tag.length();
      return true;
    }

    private boolean startsWith(String prefix) {
      return s.startsWith(prefix, i);
    }

    private static boolean isTagChar(char c, boolean first) {
      return Character.isLetter(c) || c == '_' || (!first && Character.isDigit(c));
    }

    private static boolean isIdentifierChar(char c) {
      return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
  }
}
