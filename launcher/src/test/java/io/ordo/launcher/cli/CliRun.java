package io.ordo.launcher.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * One {@code ordo} command line run in this JVM, with what it printed.
 *
 * @param exitCode {@link OrdoCli#EXIT_OK}, {@link OrdoCli#EXIT_FAILURE} or {@link OrdoCli#EXIT_USAGE}
 * @param out what it wrote to its standard output
 * @param err what it wrote to its standard error
 */
public record CliRun(int exitCode, String out, String err) {
  /** Runs {@code ordo ARGS...} with captured output. */
  public static CliRun run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exitCode = cli.execute(args);
    return new CliRun(exitCode, out.toString(), err.toString());
  }
}
