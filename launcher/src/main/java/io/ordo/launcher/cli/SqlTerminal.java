package io.ordo.launcher.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The interactive input of {@code ordo sql}: a JLine line reader on the system terminal (the JNI
 * provider, which works on Java 17; JLine falls back to its other providers where JNI is not
 * available) with line editing, history in a file and completion of SQL keywords and of the
 * table and stream names the shell knows. Ctrl-C at the prompt is {@link SqlShell.Interrupted};
 * Ctrl-C while a statement runs calls {@code onInterrupt}; Ctrl-D on an empty line ends the
 * input.
 */
final class SqlTerminal implements SqlShell.Input, AutoCloseable {
  /** Lines kept in the history file. */
  static final int HISTORY_LINES_MAX = 10_000;

  private final Terminal terminal;
  private final LineReader reader;

  /**
   * @param historyFile where the history is read from and appended to
   * @param names table and stream names to complete (read at each completion)
   * @param onInterrupt run on Ctrl-C outside the prompt (cancels the running statement)
   * @throws IOException when the terminal cannot be opened
   */
  SqlTerminal(Path historyFile, Set<String> names, Runnable onInterrupt) throws IOException {
    terminal =
        TerminalBuilder.builder()
            .system(true)
            .jni(true)
            .ffm(false) // FFM needs Java 22
            .name("ordo sql")
            .build();
    terminal.handle(Terminal.Signal.INT, signal -> onInterrupt.run());
    DefaultParser parser = new DefaultParser();
    // Quotes and backslashes are SQL's, not a shell's: a line never continues because of them
    // (statements end at ';', which the shell finds itself).
    parser.setEscapeChars(new char[0]);
    parser.setEofOnUnclosedQuote(false);
    reader =
        LineReaderBuilder.builder()
            .terminal(terminal)
            .appName("ordo sql")
            .parser(parser)
            .completer(
                (lineReader, line, candidates) -> {
                  for (String word : words(names)) {
                    candidates.add(new Candidate(word));
                  }
                })
            .variable(LineReader.HISTORY_FILE, historyFile)
            .variable(LineReader.HISTORY_SIZE, HISTORY_LINES_MAX)
            .variable(LineReader.HISTORY_FILE_SIZE, HISTORY_LINES_MAX)
            .option(LineReader.Option.CASE_INSENSITIVE, true)
            .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
            .build();
  }

  /** Keywords (upper and lower case) and names. */
  static Collection<String> words(Set<String> names) {
    List<String> words = new ArrayList<>(2 * SqlShell.KEYWORDS.size() + names.size());
    for (String keyword : SqlShell.KEYWORDS) {
      words.add(keyword);
      words.add(keyword.toLowerCase(java.util.Locale.ROOT));
    }
    words.addAll(names);
    return words;
  }

  @Override
  public String readLine(String prompt) throws SqlShell.Interrupted {
    try {
      return reader.readLine(prompt);
    } catch (UserInterruptException e) {
      throw new SqlShell.Interrupted();
    } catch (EndOfFileException e) {
      return null;
    }
  }

  /** Saves the history and restores the terminal. */
  @Override
  public void close() throws IOException {
    try {
      reader.getHistory().save();
    } finally {
      terminal.close();
    }
  }
}
