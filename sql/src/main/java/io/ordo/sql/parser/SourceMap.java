package io.ordo.sql.parser;

import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * Turns Calcite's line/column positions (of the text the parser saw, where each {@code $n} became
 * {@code ?}) into 1-based character positions in the original script, as {@link
 * io.ordo.sql.SqlException#position()} and PostgreSQL's ErrorResponse field P count them (Unicode
 * characters from 1; 0 = none).
 */
public final class SourceMap {
  private final ScriptScanner scanner;
  private final int[] lineStarts;

  SourceMap(ScriptScanner scanner) {
    this.scanner = scanner;
    this.lineStarts = lineStarts(scanner.rewritten());
  }

  /** The 1-based position in the script of the start of {@code pos}; 0 for an unknown position. */
  public int position(SqlParserPos pos) {
    if (pos == null || pos.getLineNum() <= 0) {
      return 0;
    }
    return scanner.position(originalOffset(pos.getLineNum(), pos.getColumnNum()));
  }

  /** The original char offset (0-based) of a 1-based line and column of the parsed text. */
  int originalOffset(int line, int column) {
    int l = Math.min(line, lineStarts.length) - 1;
    int rewritten = lineStarts[l] + Math.max(0, column - 1);
    return scanner.originalOffset(rewritten);
  }

  /** Line start offsets as JavaCC counts lines: "\n", "\r" and "\r\n" each end one. */
  private static int[] lineStarts(String text) {
    int count = 1;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n' || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
        count++;
      }
    }
    int[] starts = new int[count];
    int k = 1;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n' || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
        starts[k++] = i + 1;
      }
    }
    return starts;
  }
}
