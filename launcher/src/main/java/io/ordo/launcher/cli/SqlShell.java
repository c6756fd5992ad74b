package io.ordo.launcher.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.SqlError;
import io.ordo.proto.SqlResponse;
import io.ordo.proto.SqlResult;
import io.ordo.proto.SqlRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.LongSupplier;

/**
 * The read-run-print loop of {@code ordo sql}, over any source of lines: the JLine terminal
 * (interactive), a script ({@code -e}, {@code -f}) or standard input that is not a terminal.
 *
 * <p>Lines are collected until a {@code ;} ends a statement ({@link SqlStatementSplitter}: not
 * inside quotes, dollar quotes or comments); each complete statement is sent as one request of
 * the session ({@link SqlSessionClient}), so a {@code BEGIN ... COMMIT} block spans lines and
 * statements. At the end of the input a last statement without {@code ;} runs too. A line that
 * starts with a backslash while no statement is pending is a command of the shell: {@code \q}
 * quits, {@code \timing} switches the {@code Time: 12.3 ms} line after each statement on or off,
 * {@code \?} lists them.
 *
 * <p>Interactive: prompts {@code ordo=> } (no block), {@code ordo*> } (inside a block), {@code
 * ordo!> } (inside a failed block, which only ROLLBACK ends), {@code ordo-> } for the lines of a
 * statement after its first; timing is on; errors are printed and the loop goes on; Ctrl-C at the
 * prompt clears the pending lines, Ctrl-C while a statement runs cancels it ({@link
 * SqlSessionClient#cancel}: its session ends, so an open block is rolled back, which is said).
 * The names of tables and streams for completion are read with {@code SHOW TABLES} and {@code SHOW
 * STREAMS} at the start and after a statement that creates, drops or alters something, only
 * while no block is open (a failed read must not fail the user's block).
 *
 * <p>Script: no prompts, timing off; the first failing statement stops the loop with exit code
 * {@value OrdoCli#EXIT_FAILURE} unless {@code continueOnError}, with which every statement runs
 * and the exit code is still {@value OrdoCli#EXIT_FAILURE} if any failed.
 *
 * <p>Errors go to {@code err}: {@code ERROR <SQLSTATE>: <message>}, then, when the error has a
 * position, the statement's line with a caret under the position ({@code LINE 2: ...}).
 */
final class SqlShell {
  /** A source of lines. */
  interface Input {
    /**
     * The next line without its terminator, or null at the end of the input.
     *
     * @param prompt the prompt to show (a source that shows none ignores it)
     * @throws Interrupted when the user pressed Ctrl-C at the prompt
     */
    String readLine(String prompt) throws IOException, Interrupted;
  }

  /** Ctrl-C at the prompt. */
  static final class Interrupted extends Exception {
    private static final long serialVersionUID = 1L;

    Interrupted() {
      super("interrupted", null, false, false);
    }
  }

  /** Most characters of pending statement text (a statement larger than this is refused). */
  static final int PENDING_CHARS_MAX = 16 << 20;

  /** Keywords offered for completion, besides table and stream names. */
  static final List<String> KEYWORDS =
      List.of(
          "ALTER", "AND", "AS", "ASC", "AVG", "BEGIN", "BETWEEN", "BIGINT", "BOOLEAN", "BY",
          "BYTEA", "CASE", "COMMIT", "COUNT", "CREATE", "DATE", "DECIMAL", "DEFAULT", "DELETE",
          "DESC", "DESCRIBE", "DISTINCT", "DOUBLE", "DROP", "ELSE", "END", "EXISTS", "EXPLAIN",
          "FALSE", "FROM", "GROUP", "HAVING", "IF", "IN", "INNER", "INSERT", "INTEGER", "INTO",
          "IS", "JOIN", "JSONB", "KEY", "LEFT", "LIKE", "LIMIT", "MAX", "MIN", "NOT", "NULL",
          "OF", "OFFSET", "ON", "OR", "ORDER", "PRIMARY", "ROLLBACK", "SELECT", "SET", "SHARDS",
          "SHOW", "SMALLINT", "STREAM", "STREAMS", "SUM", "SYSTEM", "TABLE", "TABLES", "TEXT",
          "THEN", "TIME", "TIMESTAMP", "TIMESTAMPTZ", "TRUE", "UPDATE", "VALUES", "VARCHAR",
          "WHEN", "WHERE", "WITH");

  private final SqlSessionClient client;
  private final PrintWriter out;
  private final PrintWriter err;
  private final SqlResultPrinter printer;
  private final boolean interactive;
  private final boolean continueOnError;
  private final LongSupplier nanoTime;
  private final Set<String> names = new ConcurrentSkipListSet<>();
  private boolean timing;
  private boolean namesStale = true;
  private boolean anyFailed;

  /**
   * @param client the session
   * @param out results
   * @param err errors and notes
   * @param json print results as JSON lines ({@link SqlResultPrinter})
   * @param interactive prompts, keep going after errors, timing on, completion names
   * @param continueOnError (scripts) run every statement even after one failed
   * @param nanoTime the clock of the {@code Time:} lines
   */
  SqlShell(
      SqlSessionClient client,
      PrintWriter out,
      PrintWriter err,
      boolean json,
      boolean interactive,
      boolean continueOnError,
      LongSupplier nanoTime) {
    this.client = Objects.requireNonNull(client, "client");
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
    this.printer = new SqlResultPrinter(out, json);
    this.interactive = interactive;
    this.continueOnError = continueOnError;
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.timing = interactive;
  }

  /** Table and stream names known for completion (a live view). */
  Set<String> names() {
    return names;
  }

  /** Runs until the input ends, {@code \q}, or (scripts) the first error; returns the exit code. */
  int run(Input input) throws IOException, InterruptedException {
    StringBuilder pending = new StringBuilder();
    refreshNamesIfStale();
    while (true) {
      String line;
      try {
        line = input.readLine(prompt(pending));
      } catch (Interrupted e) {
        pending.setLength(0); // Ctrl-C at the prompt: drop what was typed
        continue;
      }
      if (line == null) {
        if (!SqlStatementSplitter.isBlank(pending.toString())) {
          if (!execute(pending.toString().strip()) && !continueOnError && !interactive) {
            return OrdoCli.EXIT_FAILURE;
          }
        }
        return exitCode();
      }
      if (SqlStatementSplitter.isBlank(pending.toString()) && line.strip().startsWith("\\")) {
        pending.setLength(0);
        if (!command(line.strip())) {
          return exitCode();
        }
        continue;
      }
      if (pending.length() + line.length() + 1 > PENDING_CHARS_MAX) {
        err.println("ERROR: the statement is longer than " + PENDING_CHARS_MAX + " characters; it was dropped");
        err.flush();
        pending.setLength(0);
        anyFailed = true;
        if (!interactive && !continueOnError) {
          return OrdoCli.EXIT_FAILURE;
        }
        continue;
      }
      pending.append(line).append('\n');
      SqlStatementSplitter.Split split = SqlStatementSplitter.split(pending.toString());
      pending.setLength(0);
      if (!split.restIsBlank()) {
        pending.append(split.rest());
      }
      for (String statement : split.statements()) {
        if (!execute(statement) && !interactive && !continueOnError) {
          return OrdoCli.EXIT_FAILURE;
        }
      }
    }
  }

  private int exitCode() {
    return anyFailed && !interactive ? OrdoCli.EXIT_FAILURE : OrdoCli.EXIT_OK;
  }

  /** The prompt for the next line. */
  String prompt(CharSequence pending) {
    if (!interactive) {
      return "";
    }
    if (!SqlStatementSplitter.isBlank(pending.toString())) {
      return "ordo-> ";
    }
    return switch (client.txnState()) {
      case "T" -> "ordo*> ";
      case "E" -> "ordo!> ";
      default -> "ordo=> ";
    };
  }

  /** Runs a backslash command; false when the shell should stop. */
  private boolean command(String line) {
    String name = line.split("\\s+")[0];
    switch (name) {
      case "\\q":
        return false;
      case "\\timing":
        timing = !timing;
        out.println("Timing is " + (timing ? "on." : "off."));
        break;
      case "\\?":
        out.println("\\q        quit (or Ctrl-D)");
        out.println("\\timing   show how long each statement took: on/off");
        out.println("\\?        this list");
        out.println("Statements end with ';'. Ctrl-C cancels the running statement.");
        break;
      default:
        err.println("invalid command " + name + ". Try \\? for help.");
        anyFailed = true;
        break;
    }
    out.flush();
    err.flush();
    return true;
  }

  /** Quoted strings, quoted identifiers and comments: removed before looking for EMIT CHANGES. */
  private static final java.util.regex.Pattern NOT_KEYWORDS =
      java.util.regex.Pattern.compile("'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\\*.*?\\*/", java.util.regex.Pattern.DOTALL);

  private static final java.util.regex.Pattern EMIT_CHANGES =
      java.util.regex.Pattern.compile("(?i)\\bEMIT\\s+CHANGES\\b");

  /** Whether {@code sql} is a push query ({@code ... EMIT CHANGES}), which runs with Sql.Push. */
  static boolean isPushQuery(String sql) {
    return EMIT_CHANGES.matcher(NOT_KEYWORDS.matcher(sql).replaceAll(" ")).find();
  }

  /**
   * Runs a push query, printing rows as they come (people: the column names, then one line per
   * row, cells separated by {@code " | "}; {@code --json}: every message as one JSON line) until
   * Ctrl-C ({@link SqlSessionClient#cancel}) or an error; false when it failed.
   */
  private boolean executePush(String sql) {
    long[] rows = {0};
    try {
      client.push(
          sql,
          message -> {
            if (printer.json()) {
              out.println(SqlResultPrinter.toJson(message));
            } else if (message.getColumnsCount() > 0) {
              out.println(
                  message.getColumnsList().stream()
                      .map(io.ordo.proto.SqlColumn::getName)
                      .collect(java.util.stream.Collectors.joining(" | ")));
            } else if (message.hasRow()) {
              rows[0]++;
              out.println(
                  message.getRow().getValuesList().stream()
                      .map(SqlResultPrinter::cell)
                      .collect(java.util.stream.Collectors.joining(" | ")));
            }
            out.flush();
          });
    } catch (StatusRuntimeException e) {
      anyFailed = true;
      err.println("error: " + GatewayCallCommand.describe(e.getStatus()));
      err.flush();
      return false;
    }
    err.println("(push query ended after " + rows[0] + (rows[0] == 1 ? " row)" : " rows)"));
    err.flush();
    return true;
  }

  /** Runs one statement and prints its outcome; false when it failed. */
  private boolean execute(String sql) throws InterruptedException {
    if (isPushQuery(sql)) {
      return executePush(sql);
    }
    long start = nanoTime.getAsLong();
    SqlResponse response;
    try {
      response = client.run(sql);
    } catch (StatusRuntimeException e) {
      anyFailed = true;
      Status status = e.getStatus();
      if (status.getCode() == Status.Code.CANCELLED) {
        err.println("Cancelled. The session was closed: an open transaction block was rolled back.");
      } else {
        err.println("error: " + GatewayCallCommand.describe(status));
      }
      err.flush();
      return false;
    }
    if (client.sessionWasReset()) {
      err.println("(a new session was opened; the previous one had ended)");
    }
    boolean changedCatalog = false;
    for (SqlResult result : response.getResultsList()) {
      printer.print(result);
      String tag = result.getCommandTag().toUpperCase(Locale.ROOT);
      changedCatalog |= tag.startsWith("CREATE") || tag.startsWith("DROP") || tag.startsWith("ALTER");
    }
    out.flush();
    boolean ok = !response.hasError();
    if (!ok) {
      anyFailed = true;
      printError(sql, response.getError());
    }
    if (timing) {
      double ms = (nanoTime.getAsLong() - start) / 1e6;
      out.println(String.format(Locale.ROOT, "Time: %.1f ms", ms));
      out.flush();
    }
    if (changedCatalog) {
      namesStale = true;
    }
    refreshNamesIfStale();
    return ok;
  }

  private void printError(String sql, SqlError error) {
    err.println("ERROR " + error.getSqlstate() + ": " + error.getMessage());
    int position = error.getPosition();
    if (position > 0 && position <= sql.length() + 1) {
      int at = position - 1;
      int lineStart = sql.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
      if (at < lineStart) {
        lineStart = 0;
      }
      int lineEnd = sql.indexOf('\n', at);
      String line = sql.substring(lineStart, lineEnd < 0 ? sql.length() : lineEnd);
      long lineNumber = sql.substring(0, lineStart).chars().filter(c -> c == '\n').count() + 1;
      String prefix = "LINE " + lineNumber + ": ";
      err.println(prefix + SqlResultPrinter.escape(line));
      err.println(" ".repeat(prefix.length() + (at - lineStart)) + "^");
    }
    err.flush();
  }

  /**
   * Reads the table and stream names for completion when they may have changed, if this is an
   * interactive shell and no transaction block is open. Failures are ignored: completion is a
   * convenience.
   */
  private void refreshNamesIfStale() throws InterruptedException {
    if (!interactive || !namesStale || !client.txnState().equals("I")) {
      return;
    }
    namesStale = false;
    Set<String> fresh = new java.util.TreeSet<>();
    for (String show : List.of("SHOW TABLES", "SHOW STREAMS")) {
      try {
        SqlResponse response = client.run(show);
        for (SqlResult result : response.getResultsList()) {
          for (SqlRow row : result.getRowsList()) {
            if (row.getValuesCount() > 0 && row.getValues(0).hasStringValue()) {
              fresh.add(row.getValues(0).getStringValue());
            }
          }
        }
      } catch (StatusRuntimeException e) {
        namesStale = true; // the gateway is not reachable now: try again after the next statement
        return;
      }
    }
    names.retainAll(fresh); // dropped ones go
    names.addAll(fresh);
  }
}
