package io.ordo.sql.logictest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs sqllogictest files ({@link SltParser}) against a {@link Target}, independent of any test
 * framework: every record that applies to the target's engine runs in file order; a failed record
 * is reported with the file, line, SQL and expected versus actual outcome, and the run goes on
 * with the next record (as the original sqllogictest does), up to {@link #MAX_FAILURES}.
 */
final class SqlLogicTest {
  /** Failures kept per file; later ones are counted, not described. */
  static final int MAX_FAILURES = 50;
  /** Values shown per side in a mismatch message. */
  private static final int SHOWN_VALUES = 60;
  private static final Pattern VARIABLE = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)");

  private SqlLogicTest() {}

  /** One failed record. */
  record Failure(String source, int line, String sql, String message) {
    @Override
    public String toString() {
      return source + ":" + line + ": " + message + "\n    SQL: " + sql.replace("\n", "\n         ");
    }
  }

  /**
   * The outcome of one file on one engine.
   *
   * @param executed statements, queries and lets run
   * @param skipped records not for this engine, or after a halt
   * @param failures the first {@link #MAX_FAILURES} failures
   * @param failureCount all failures
   */
  record Report(String source, String engine, int executed, int skipped, List<Failure> failures,
      int failureCount) {
    boolean passed() {
      return failureCount == 0;
    }

    /** A summary line and each failure, for a test's failure message. */
    String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append(source).append(" on ").append(engine).append(": ").append(failureCount)
          .append(" of ").append(executed).append(" records failed (").append(skipped)
          .append(" skipped)");
      for (Failure f : failures) {
        sb.append("\n").append(f);
      }
      if (failureCount > failures.size()) {
        sb.append("\n... and ").append(failureCount - failures.size()).append(" more");
      }
      return sb.toString();
    }
  }

  /** Reads, parses and runs one file (UTF-8). */
  static Report runFile(Path file, Target target) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    String source = file.getFileName().toString();
    return run(source, SltParser.parse(source, text), target);
  }

  /** Runs parsed records against a target; the target is left open. */
  static Report run(String source, List<SltRecord> records, Target target) {
    String engine = target.engine();
    Map<String, String> variables = new HashMap<>();
    Map<String, String> labels = new HashMap<>();
    List<Failure> failures = new ArrayList<>();
    int failureCount = 0;
    int executed = 0;
    int skipped = 0;
    for (int r = 0; r < records.size(); r++) {
      SltRecord record = records.get(r);
      if (!record.appliesTo(engine)) {
        skipped++;
        continue;
      }
      if (record instanceof SltRecord.Halt) {
        skipped += records.size() - r - 1;
        break;
      }
      executed++;
      String sql;
      String problem;
      try {
        sql = substitute(sqlOf(record), variables);
      } catch (IllegalArgumentException e) {
        sql = sqlOf(record);
        problem = e.getMessage();
        failureCount++;
        addBounded(failures, new Failure(source, record.line(), sql, problem));
        continue;
      }
      if (record instanceof SltRecord.Statement s) {
        problem = checkStatement(s, sql, target);
      } else if (record instanceof SltRecord.Query q) {
        problem = checkQuery(q, sql, target, labels);
      } else {
        problem = bind((SltRecord.Let) record, sql, target, variables);
      }
      if (problem != null) {
        failureCount++;
        addBounded(failures, new Failure(source, record.line(), sql, problem));
      }
    }
    return new Report(source, engine, executed, skipped, List.copyOf(failures), failureCount);
  }

  private static void addBounded(List<Failure> failures, Failure f) {
    if (failures.size() < MAX_FAILURES) {
      failures.add(f);
    }
  }

  private static String sqlOf(SltRecord record) {
    if (record instanceof SltRecord.Statement s) {
      return s.sql();
    }
    if (record instanceof SltRecord.Query q) {
      return q.sql();
    }
    if (record instanceof SltRecord.Let l) {
      return l.sql();
    }
    return "";
  }

  /** Replaces each {@code $name} bound by a {@code let} with its value. */
  static String substitute(String sql, Map<String, String> variables) {
    if (variables.isEmpty()) {
      return sql;
    }
    Matcher m = VARIABLE.matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = variables.get("$" + m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Runs a statement; null when it met its expectation, else what went wrong. */
  private static String checkStatement(SltRecord.Statement s, String sql, Target target) {
    Target.Outcome outcome;
    try {
      outcome = target.execute(sql);
    } catch (Target.TargetException e) {
      if (s.expect() instanceof SltRecord.Error err) {
        if (err.sqlState().isPresent() && !err.sqlState().get().equals(e.sqlState())) {
          return "expected error " + err.sqlState().get() + ", got " + e.sqlState() + ": "
              + e.getMessage();
        }
        if (err.messageRegex().isPresent()
            && !Pattern.compile(err.messageRegex().get()).matcher(String.valueOf(e.getMessage()))
                .find()) {
          return "expected an error matching /" + err.messageRegex().get() + "/, got "
              + e.sqlState() + ": " + e.getMessage();
        }
        return null;
      }
      return "expected success, got error " + e.sqlState() + ": " + e.getMessage();
    }
    if (s.expect() instanceof SltRecord.Count c) {
      if (outcome.affected().isPresent() && outcome.affected().getAsLong() == c.rows()) {
        return null;
      }
      return "expected " + c.rows() + " rows affected, got "
          + (outcome.affected().isPresent() ? outcome.affected().getAsLong() : "no row count");
    }
    if (s.expect() instanceof SltRecord.Error err) {
      return "expected error " + err.sqlState().or(err::messageRegex).orElse("(any)")
          + ", but the statement succeeded";
    }
    return null;
  }

  /** Runs a query and compares its printed values; null when they match. */
  private static String checkQuery(
      SltRecord.Query q, String sql, Target target, Map<String, String> labels) {
    List<String> actual;
    try {
      actual = printed(q.types(), q.sort(), target.execute(sql));
    } catch (Target.TargetException e) {
      return "query failed: " + e.sqlState() + ": " + e.getMessage();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    String hash = SltValues.md5(actual);
    if (q.hashed().isPresent()) {
      SltRecord.Hashed h = q.hashed().get();
      if (h.values() != actual.size() || !h.md5().equals(hash)) {
        return "expected " + h.values() + " values hashing to " + h.md5() + ", got "
            + actual.size() + " values hashing to " + hash + ":\n" + show(actual);
      }
    } else if (!q.expected().equals(actual)) {
      return "wrong result" + firstDifference(q.expected(), actual, q.types().length())
          + "\n  expected (" + q.expected().size() + " values):\n" + show(q.expected())
          + "\n  actual (" + actual.size() + " values):\n" + show(actual);
    }
    if (q.label().isPresent()) {
      String before = labels.putIfAbsent(q.label().get(), hash);
      if (before != null && !before.equals(hash)) {
        return "result differs from the earlier query labelled " + q.label().get();
      }
    }
    return null;
  }

  private static String bind(
      SltRecord.Let l, String sql, Target target, Map<String, String> variables) {
    List<String> values;
    try {
      values = printed("T", SltRecord.SortMode.NOSORT, target.execute(sql));
    } catch (Target.TargetException e) {
      return "let query failed: " + e.sqlState() + ": " + e.getMessage();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    if (values.size() != 1 || values.get(0).equals("NULL")) {
      return "let needs exactly one non-NULL value, got " + values;
    }
    variables.put(l.name(), values.get(0));
    return null;
  }

  /**
   * A result's values as the file spells them, sorted by {@code sort}.
   *
   * @throws IllegalArgumentException when the column count differs from the type letters
   */
  static List<String> printed(String types, SltRecord.SortMode sort, Target.Outcome outcome) {
    if (outcome.columns() != types.length()) {
      throw new IllegalArgumentException(
          "expected " + types.length() + " columns (" + types + "), got " + outcome.columns());
    }
    List<List<String>> rows = new ArrayList<>(outcome.rows().size());
    for (List<Object> row : outcome.rows()) {
      List<String> printedRow = new ArrayList<>(row.size());
      for (int c = 0; c < types.length(); c++) {
        printedRow.add(SltValues.format(row.get(c), types.charAt(c)));
      }
      rows.add(printedRow);
    }
    if (sort == SltRecord.SortMode.ROWSORT) {
      rows.sort(SqlLogicTest::compareRows);
    }
    List<String> values = new ArrayList<>();
    rows.forEach(values::addAll);
    if (sort == SltRecord.SortMode.VALUESORT) {
      values.sort(Comparator.naturalOrder());
    }
    return values;
  }

  private static int compareRows(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  /** Where two value lists first differ, as 1-based value, row and column numbers. */
  static String firstDifference(List<String> expected, List<String> actual, int columns) {
    int i = 0;
    while (i < expected.size() && i < actual.size() && expected.get(i).equals(actual.get(i))) {
      i++;
    }
    return " at value " + (i + 1) + " (row " + (i / columns + 1) + ", column " + (i % columns + 1)
        + ")";
  }

  private static String show(List<String> values) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(values.size(), SHOWN_VALUES); i++) {
      sb.append("    ").append(values.get(i)).append('\n');
    }
    if (values.size() > SHOWN_VALUES) {
      sb.append("    ... ").append(values.size() - SHOWN_VALUES).append(" more\n");
    }
    return sb.toString().stripTrailing();
  }
}
