package io.ordo.launcher.cli;

import io.ordo.gateway.auth.Credentials;
import io.ordo.gateway.auth.Permission;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo auth add-token|add-user}: appends an entry to a gateway credentials file ({@code
 * --auth-file} of {@code ordo start}/{@code ordo gateway}; format in {@link Credentials}). A new
 * token is random (32 bytes from {@link SecureRandom}) and printed once: the file keeps only its
 * SHA-256. A password is read from the terminal without echo (or one line of standard input with
 * {@code --password-stdin}) and stored as its SCRAM-SHA-256 verifier. A running gateway reads
 * the file when it starts.
 */
@Command(
    name = "auth",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    description = "Add bearer tokens and PostgreSQL users to a gateway credentials file.",
    subcommands = {AuthCommand.AddToken.class, AuthCommand.AddUser.class})
public final class AuthCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return OrdoCli.EXIT_USAGE;
  }

  /** Options of both subcommands. */
  abstract static class Add implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--auth-file", required = true, paramLabel = "FILE", description = "The credentials file (created when missing, owner-only).")
    Path authFile;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Entry name: 1-63 of A-Z a-z 0-9 . _ @ - (a user's PostgreSQL user name).")
    String name;

    @Option(names = "--permission", required = true, paramLabel = "read|write|admin", description = "read, write (implies read) or admin (implies write).")
    String permission;

    Permission permission() {
      try {
        return Permission.parse(permission);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--permission: " + e.getMessage());
      }
    }

    void append(String line) throws java.io.IOException {
      try {
        Credentials.appendEntry(authFile, line);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
    }
  }

  /** {@code ordo auth add-token}. */
  @Command(
      name = "add-token",
      mixinStandardHelpOptions = true,
      description = "Add a bearer token; prints the new token once (the file keeps its SHA-256).")
  static final class AddToken extends Add {
    @Override
    public Integer call() throws Exception {
      Permission p = permission();
      String token = Credentials.newToken(new SecureRandom());
      append(Credentials.tokenLine(name, p, token));
      PrintWriter out = spec.commandLine().getOut();
      out.println(token);
      out.flush();
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo auth add-user}. */
  @Command(
      name = "add-user",
      mixinStandardHelpOptions = true,
      description = "Add a PostgreSQL password user (stored as a SCRAM-SHA-256 verifier).")
  static final class AddUser extends Add {
    @Option(names = "--password-stdin", description = "Read the password from one line of standard input instead of the terminal.")
    boolean passwordStdin;

    @Override
    public Integer call() throws Exception {
      Permission p = permission();
      String password;
      if (passwordStdin) {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        password = in.readLine();
      } else {
        Console console = System.console();
        if (console == null) {
          throw new ParameterException(
              spec.commandLine(), "no terminal to read the password from: use --password-stdin");
        }
        char[] typed = console.readPassword("Password for %s: ", name);
        password = typed == null ? null : new String(typed);
      }
      if (password == null || password.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "the password must not be empty");
      }
      append(Credentials.userLine(name, p, password, new SecureRandom()));
      spec.commandLine().getOut().println("added user " + name + " (" + p.label() + ")");
      return OrdoCli.EXIT_OK;
    }
  }
}
