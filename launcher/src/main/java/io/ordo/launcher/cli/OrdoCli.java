package io.ordo.launcher.cli;

import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ordo} command line: the root command and its subcommands.
 *
 * <p>Each subcommand is one class annotated with {@link Command} that implements {@code
 * Callable<Integer>}; adding one means writing that class and listing it in {@link #SUBCOMMANDS}.
 *
 * <p>Options not given on the command line come from {@code ORDO_<OPTION>} environment variables,
 * then from the {@code --config} file, then from their defaults (flags &gt; env &gt; file &gt;
 * defaults; see {@link ConfigDefaults}).
 *
 * <p>Exit codes: {@value #EXIT_OK} success, {@value #EXIT_FAILURE} failure (an error while
 * running, or a check that did not hold, such as the demo's invariant), {@value #EXIT_USAGE} usage
 * error (unknown option, bad value, missing subcommand), with the reason on stderr.
 */
@Command(
    name = "ordo",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    description = "Ordo: a deterministic transactional stream processor on Kafka and Flink.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:failure (an error, or a check that did not hold)",
      "2:usage error"
    })
public final class OrdoCli {
  /** Exit code of a successful run. */
  public static final int EXIT_OK = 0;

  /** Exit code of a run that failed or whose checks did not hold. */
  public static final int EXIT_FAILURE = 1;

  /** Exit code of a usage error. */
  public static final int EXIT_USAGE = 2;

  /** The subcommands, in the order the help lists them (picocli's {@code help} comes last). */
  static final Class<?>[] SUBCOMMANDS = {
    StartCommand.class, GatewayCommand.class, ClusterCommand.class, DemoCommand.class, CheckCommand.class, JepsenCommand.class,
    JepsenBatteryCommand.class,
    BenchCommand.class,
    StreamCommand.class,
    SubCommand.class,
    SqlCommand.class,
    AuthCommand.class
  };

  private static final Logger LOG = LoggerFactory.getLogger(OrdoCli.class);

  /** Runs the command line and exits the JVM with its exit code. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Runs the command line in this JVM (for tests and embedding) and returns its exit code.
   *
   * @param args the arguments after {@code ordo}
   * @return {@value #EXIT_OK}, {@value #EXIT_FAILURE} or {@value #EXIT_USAGE}
   */
  public static int execute(String... args) {
    return newCommandLine().execute(args);
  }

  /**
   * A new, configured command line; set its out/err writers to capture output.
   *
   * <p>Usage errors are reported as {@code ordo <command>: <reason>} and a pointer to {@code
   * --help} on stderr, with exit code {@value #EXIT_USAGE}.
   *
   * <p>Errors while running are reported as one line {@code ordo <command>: error: <message>} on
   * stderr (with the causes' messages); the stack trace is logged only for unexpected exception
   * types (not for IllegalArgumentException or IllegalStateException).
   */
  public static CommandLine newCommandLine() {
    return newCommandLine(System.getenv());
  }

  /**
   * Like {@link #newCommandLine()}, with {@code environment} in place of the process's
   * environment variables: every command takes {@code --config FILE}, and an option missing from
   * the command line comes from {@code ORDO_<OPTION>} in {@code environment}, then from the config
   * file, then from its default ({@link ConfigDefaults}).
   */
  public static CommandLine newCommandLine(java.util.Map<String, String> environment) {
    CommandLine commandLine = new CommandLine(new OrdoCli());
    for (Class<?> subcommand : SUBCOMMANDS) {
      commandLine.addSubcommand(subcommand);
    }
    commandLine.addSubcommand(CommandLine.HelpCommand.class);
    ConfigDefaults.addConfigOption(commandLine);
    commandLine.setDefaultValueProvider(new ConfigDefaults(environment));
    commandLine.setExecutionExceptionHandler(OrdoCli::handleExecutionException);
    commandLine.setParameterExceptionHandler(OrdoCli::handleParameterException);
    return commandLine;
  }

  /** Prints the reason and a hint to the command's help, rather than the whole usage text. */
  private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
    CommandLine commandLine = e.getCommandLine();
    PrintWriter err = commandLine.getErr();
    err.println(commandLine.getColorScheme().errorText(
        commandLine.getCommandSpec().qualifiedName() + ": " + e.getMessage()));
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Try '" + commandLine.getCommandSpec().qualifiedName()
        + " --help' for more information.");
    err.flush();
    return EXIT_USAGE;
  }

  private static int handleExecutionException(
      Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    err.println(commandLine.getColorScheme().errorText(
        commandLine.getCommandSpec().qualifiedName() + ": error: " + describe(e)));
    err.flush();
    if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      // Expected failures (bad input, a part that cannot start) are explained by their message.
      LOG.debug("Command failed", e);
    } else {
      LOG.error("Command failed", e);
    }
    return EXIT_FAILURE;
  }

  /** The messages of a throwable and its causes, joined by ": ", without repeats. */
  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    String previous = null;
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      if (previous == null || !previous.contains(message)) {
        if (sb.length() > 0) {
          sb.append(": ");
        }
        sb.append(message);
      }
      previous = message;
      if (sb.length() > 2_000) {
        break;
      }
    }
    return sb.toString();
  }
}
