package io.ordo.sql.logictest;

import io.ordo.sql.logictest.SltRecord.Condition;
import io.ordo.sql.logictest.SltRecord.SortMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the sqllogictest format (D. R. Hipp's sqllogictest, as documented with it): records
 * separated by blank lines; {@code #} comment lines; {@code statement ok}, {@code statement error
 * [<sqlstate>|<regex>]}, {@code query <types> [nosort|rowsort|valuesort] [<label>]} followed by the
 * SQL, a {@code ----} line and the expected values one per line; {@code halt}; {@code skipif
 * <engine>} / {@code onlyif <engine>} lines before a record; {@code hash-threshold} (ignored).
 *
 * <p>Extensions: {@code statement error 23505} compares a SQLSTATE; {@code statement count <n>}
 * checks the rows a DML statement reports; {@code let $name} binds the one value of a query for
 * later records. A query without a {@code ----} line expects no rows.
 *
 * <p>Bounded: at most {@link #MAX_RECORDS} records and {@link #MAX_CHARS} characters per file;
 * anything else is a {@link SltFormatException} naming the file and line.
 */
final class SltParser {
  /** Records per file. */
  static final int MAX_RECORDS = 10_000;
  /** Characters per file. */
  static final int MAX_CHARS = 8 * 1024 * 1024;

  private static final Pattern SQLSTATE = Pattern.compile("[0-9A-Z]{5}");
  private static final Pattern TYPES = Pattern.compile("[TIRB]+");
  private static final Pattern HASHED = Pattern.compile("(\\d+) values hashing to ([0-9a-f]{32})");
  private static final Pattern LET_NAME = Pattern.compile("\\$[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern ENGINE = Pattern.compile("[a-z][a-z0-9_]*");

  private SltParser() {}

  /** A malformed file: the message starts with {@code <source>:<line>:}. */
  static final class SltFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    SltFormatException(String source, int line, String message) {
      super(source + ":" + line + ": " + message);
    }
  }

  /**
   * The records of one file.
   *
   * @param source the file's name, for messages
   * @param text the file's content (line ends {@code \n} or {@code \r\n})
   * @throws SltFormatException on a malformed record or when a bound is exceeded
   */
  static List<SltRecord> parse(String source, String text) {
    if (text.length() > MAX_CHARS) {
      throw new SltFormatException(source, 1, "file longer than " + MAX_CHARS + " characters");
    }
    String[] lines = text.split("\r?\n", -1);
    List<SltRecord> records = new ArrayList<>();
    List<Condition> conditions = new ArrayList<>();
    int i = 0;
    while (i < lines.length) {
      String line = lines[i];
      int lineNo = i + 1;
      if (line.isBlank() || line.startsWith("#")) {
        i++;
        continue;
      }
      String[] words = line.trim().split("\\s+");
      String head = words[0];
      if (head.equals("skipif") || head.equals("onlyif")) {
        if (words.length != 2 || !ENGINE.matcher(words[1]).matches()) {
          throw new SltFormatException(source, lineNo, head + " needs one engine name");
        }
        conditions.add(new Condition(head.equals("onlyif"), words[1]));
        i++;
        continue;
      }
      if (head.equals("hash-threshold")) {
        requireNoConditions(source, lineNo, conditions, head);
        i++;
        continue;
      }
      if (records.size() >= MAX_RECORDS) {
        throw new SltFormatException(source, lineNo, "more than " + MAX_RECORDS + " records");
      }
      List<Condition> conds = List.copyOf(conditions);
      conditions.clear();
      switch (head) {
        case "halt" -> {
          requireWords(source, lineNo, words, 1, 1);
          records.add(new SltRecord.Halt(lineNo, conds));
          i++;
        }
        case "statement" -> {
          SltRecord.Expectation expect = statementExpectation(source, lineNo, line, words);
          List<String> sql = new ArrayList<>();
          i = readSql(lines, i + 1, sql, false);
          records.add(new SltRecord.Statement(lineNo, conds, expect, joinSql(source, lineNo, sql)));
        }
        case "let" -> {
          requireWords(source, lineNo, words, 2, 2);
          if (!LET_NAME.matcher(words[1]).matches()) {
            throw new SltFormatException(source, lineNo, "let needs a $name, got " + words[1]);
          }
          List<String> sql = new ArrayList<>();
          i = readSql(lines, i + 1, sql, false);
          records.add(new SltRecord.Let(lineNo, conds, words[1], joinSql(source, lineNo, sql)));
        }
        case "query" -> i = parseQuery(source, lines, i, words, conds, records);
        default -> throw new SltFormatException(source, lineNo, "unknown record type '" + head + "'");
      }
    }
    if (!conditions.isEmpty()) {
      throw new SltFormatException(source, lines.length, "skipif/onlyif without a record");
    }
    return List.copyOf(records);
  }

  private static int parseQuery(
      String source, String[] lines, int start, String[] words, List<Condition> conds,
      List<SltRecord> records) {
    int lineNo = start + 1;
    requireWords(source, lineNo, words, 2, 4);
    String types = words[1];
    if (!TYPES.matcher(types).matches()) {
      throw new SltFormatException(source, lineNo, "query types must be letters T, I, R, B: " + types);
    }
    SortMode sort = SortMode.NOSORT;
    Optional<String> label = Optional.empty();
    if (words.length >= 3) {
      sort = switch (words[2]) {
        case "nosort" -> SortMode.NOSORT;
        case "rowsort" -> SortMode.ROWSORT;
        case "valuesort" -> SortMode.VALUESORT;
        default -> throw new SltFormatException(source, lineNo, "unknown sort mode " + words[2]);
      };
    }
    if (words.length == 4) {
      label = Optional.of(words[3]);
    }
    List<String> sql = new ArrayList<>();
    int i = readSql(lines, start + 1, sql, true);
    List<String> expected = new ArrayList<>();
    Optional<SltRecord.Hashed> hashed = Optional.empty();
    if (i < lines.length && lines[i].equals("----")) {
      i++;
      while (i < lines.length && !lines[i].isEmpty()) {
        expected.add(lines[i]);
        i++;
      }
      if (expected.size() == 1) {
        Matcher m = HASHED.matcher(expected.get(0));
        if (m.matches()) {
          hashed = Optional.of(new SltRecord.Hashed(Integer.parseInt(m.group(1)), m.group(2)));
          expected.clear();
        }
      }
    }
    records.add(
        new SltRecord.Query(
            lineNo, conds, types, sort, label, joinSql(source, lineNo, sql), List.copyOf(expected),
            hashed));
    return i;
  }

  /** Reads SQL lines from {@code i} up to a blank line (or {@code ----} for queries). */
  private static int readSql(String[] lines, int i, List<String> out, boolean query) {
    while (i < lines.length && !lines[i].isBlank() && !(query && lines[i].equals("----"))) {
      if (!lines[i].startsWith("#")) {
        out.add(lines[i]);
      }
      i++;
    }
    return i;
  }

  private static String joinSql(String source, int lineNo, List<String> sql) {
    if (sql.isEmpty()) {
      throw new SltFormatException(source, lineNo, "record without SQL");
    }
    return String.join("\n", sql);
  }

  private static SltRecord.Expectation statementExpectation(
      String source, int lineNo, String line, String[] words) {
    if (words.length < 2) {
      throw new SltFormatException(source, lineNo, "statement needs ok, count or error");
    }
    switch (words[1]) {
      case "ok" -> {
        requireWords(source, lineNo, words, 2, 2);
        return new SltRecord.Ok();
      }
      case "count" -> {
        requireWords(source, lineNo, words, 3, 3);
        try {
          long n = Long.parseLong(words[2]);
          if (n < 0) {
            throw new NumberFormatException();
          }
          return new SltRecord.Count(n);
        } catch (NumberFormatException e) {
          throw new SltFormatException(source, lineNo, "statement count needs a row count");
        }
      }
      case "error" -> {
        if (words.length == 2) {
          return new SltRecord.Error(Optional.empty(), Optional.empty());
        }
        // The pattern is the rest of the line, spaces included.
        String pattern = line.trim().substring("statement".length()).trim()
            .substring("error".length()).trim();
        if (SQLSTATE.matcher(pattern).matches()) {
          return new SltRecord.Error(Optional.of(pattern), Optional.empty());
        }
        try {
          Pattern.compile(pattern);
        } catch (java.util.regex.PatternSyntaxException e) {
          throw new SltFormatException(source, lineNo, "bad error pattern: " + e.getDescription());
        }
        return new SltRecord.Error(Optional.empty(), Optional.of(pattern));
      }
      default -> throw new SltFormatException(
          source, lineNo, "statement needs ok, count or error, got " + words[1].toLowerCase(Locale.ROOT));
    }
  }

  private static void requireWords(String source, int lineNo, String[] words, int min, int max) {
    if (words.length < min || words.length > max) {
      throw new SltFormatException(source, lineNo, "malformed '" + words[0] + "' line");
    }
  }

  private static void requireNoConditions(
      String source, int lineNo, List<Condition> conditions, String head) {
    if (!conditions.isEmpty()) {
      throw new SltFormatException(source, lineNo, "skipif/onlyif before " + head);
    }
  }
}
