package io.ordo.launcher.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A table for people: a header row and rows of cells, each column left-aligned to its widest
 * cell, columns separated by two spaces, no trailing spaces. Cells are printed as given, so
 * callers escape what must stay on one line.
 */
final class TextTable {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  /** A table with these column headers. */
  TextTable(String... headers) {
    if (headers.length == 0) {
      throw new IllegalArgumentException("a table needs at least one column");
    }
    this.headers = List.of(headers);
  }

  /**
   * Adds a row.
   *
   * @throws IllegalArgumentException unless it has one cell per column
   */
  TextTable row(Object... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException(
          "a row needs " + headers.size() + " cells, got " + cells.length);
    }
    List<String> row = new ArrayList<>(cells.length);
    for (Object cell : cells) {
      row.add(String.valueOf(cell));
    }
    rows.add(row);
    return this;
  }

  /** Number of rows added (without the header). */
  int size() {
    return rows.size();
  }

  /** Prints the header and the rows. */
  void print(PrintWriter out) {
    int[] widths = new int[headers.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = headers.get(c).length();
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    printRow(out, headers, widths);
    for (List<String> row : rows) {
      printRow(out, row, widths);
    }
  }

  private static void printRow(PrintWriter out, List<String> cells, int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      if (c > 0) {
        sb.append("  ");
      }
      sb.append(cells.get(c));
      if (c < cells.size() - 1) {
        sb.append(" ".repeat(widths[c] - cells.get(c).length()));
      }
    }
    // The last cell may be empty; no line ends in spaces.
    int end = sb.length();
    while (end > 0 && sb.charAt(end - 1) == ' ') {
      end--;
    }
    out.println(sb.substring(0, end));
  }
}
