package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo sql}: an SQL shell on a running gateway, over its {@code Sql.Session} gRPC call (one
 * session for the whole run, so a {@code BEGIN ... COMMIT} block spans statements and lines).
 * Interactive on a terminal ({@link SqlTerminal}, {@link SqlShell}); with {@code -e} or {@code -f},
 * or with standard input that is not a terminal, it runs the statements given and stops at the
 * first error (exit code {@value OrdoCli#EXIT_FAILURE}) unless {@code --continue-on-error}.
 */
@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "SQL shell on a running gateway: interactive on a terminal (history, completion, Ctrl-C"
          + " cancels the running statement, \\q or Ctrl-D quits), or runs -e/-f/stdin statements."
    })
public final class SqlCommand implements Callable<Integer>, ClientIo.Holder {
  /** Default history file, in the user's home directory. */
  static final String HISTORY_FILE_NAME = ".ordo_sql_history";

  /** Replaced by tests; see {@link ClientIo}. */
  ClientIo clientIo = ClientIo.system();

  /** Whether standard input is a terminal (then the shell is interactive); replaced by tests. */
  BooleanSupplier stdinIsTerminal = () -> System.console() != null;

  @Spec CommandSpec spec;

  @Option(
      names = {"--gateway", "--target"},
      paramLabel = "HOST:PORT",
      description = "gRPC address of the gateway.")
  String gateway = GatewayCallCommand.DEFAULT_GATEWAY;

  @Mixin ClientSecurityOptions clientSecurity = new ClientSecurityOptions();

  @Option(
      names = {"-e", "--execute"},
      paramLabel = "SQL",
      description = "Run these statements (separated by ';') and exit.")
  String execute;

  @Option(
      names = {"-f", "--file"},
      paramLabel = "FILE",
      description = "Run the statements of this file and exit.")
  Path file;

  @Option(
      names = "--continue-on-error",
      description =
          "With -e, -f or piped input: run every statement even after one failed (the exit code"
              + " is still 1 if any failed).")
  boolean continueOnError;

  @Option(names = "--json", description = "Print each result as one JSON object per line.")
  boolean json;

  @Option(
      names = "--history-file",
      paramLabel = "FILE",
      description = "History of the interactive shell (default: ~/" + HISTORY_FILE_NAME + ").")
  Path historyFile;

  @Override
  public ClientIo clientIo() {
    return clientIo;
  }

  @Override
  public Integer call() throws Exception {
    String target = GatewayCallCommand.checkedTarget(spec.commandLine(), "--gateway", gateway);
    if (execute != null && file != null) {
      throw new ParameterException(spec.commandLine(), "give -e or -f, not both");
    }
    if (file != null && !Files.isReadable(file)) {
      throw new ParameterException(spec.commandLine(), "-f: cannot read " + file);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ManagedChannel channel = clientIo.channels().open(target, clientSecurity);
    try (SqlSessionClient client = new SqlSessionClient(channel)) {
      if (execute != null) {
        return script(client, out, err, new BufferedReader(new StringReader(execute)));
      }
      if (file != null) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          return script(client, out, err, reader);
        }
      }
      if (!stdinIsTerminal.getAsBoolean()) {
        return script(
            client,
            out,
            err,
            new BufferedReader(new InputStreamReader(clientIo.stdin(), StandardCharsets.UTF_8)));
      }
      SqlShell shell = new SqlShell(client, out, err, json, true, false, System::nanoTime);
      Path history =
          historyFile != null
              ? historyFile
              : Path.of(System.getProperty("user.home"), HISTORY_FILE_NAME);
      try (SqlTerminal terminal = new SqlTerminal(history, shell.names(), client::cancel)) {
        out.println("ordo sql on " + target + ". Statements end with ';'; \\? for help, \\q to quit.");
        out.flush();
        return shell.run(terminal);
      }
    } finally {
      out.flush();
      err.flush();
      channel.shutdownNow();
      // Bounded: the channel is already shut down; this only waits for its threads to stop.
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private int script(SqlSessionClient client, PrintWriter out, PrintWriter err, BufferedReader lines)
      throws IOException, InterruptedException {
    SqlShell shell = new SqlShell(client, out, err, json, false, continueOnError, System::nanoTime);
    return shell.run(prompt -> readBoundedLine(lines));
  }

  /** Most characters of one input line. */
  static final int LINE_CHARS_MAX = SqlShell.PENDING_CHARS_MAX;

  /** The next line, refusing one longer than {@value #LINE_CHARS_MAX} characters. */
  static String readBoundedLine(BufferedReader reader) throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      int c = reader.read();
      if (c < 0) {
        return line.length() == 0 ? null : line.toString();
      }
      if (c == '\n') {
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\r') {
          line.setLength(end - 1);
        }
        return line.toString();
      }
      if (line.length() >= LINE_CHARS_MAX) {
        throw new IllegalArgumentException(
            "an input line is longer than " + LINE_CHARS_MAX + " characters");
      }
      line.append((char) c);
    }
  }
}
