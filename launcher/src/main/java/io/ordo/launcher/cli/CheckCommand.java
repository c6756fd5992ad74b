package io.ordo.launcher.cli;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.CheckResultJson;
import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.checkers.Checkers;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.HistoryFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo check}: checks a recorded history (Jepsen EDN or elle-cli JSON) with one checker and
 * prints the result as JSON. Exit code 0 only if the verdict is valid; 1 if invalid or unknown;
 * 2 for usage errors and unreadable files.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Check a history file (.edn or .json) and print the result as JSON.",
      "Exit code 0 only if the history is valid under the checker (and model)."
    })
public final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--checker",
      required = true,
      paramLabel = "NAME",
      description = "One of: list-append, rw-register, linearizable-kv, bank, stream.")
  String checker;

  @Option(
      names = "--model",
      paramLabel = "MODEL",
      description = "Consistency model for list-append and rw-register (e.g. strict-serializable, serializable,"
          + " snapshot-isolation, read-committed); default: the checker's (strict-serializable).")
  String model;

  @Option(
      names = {"-o", "--option"},
      paramLabel = "KEY=VALUE",
      description = "A checker option, repeatable: numbers become integers, true/false booleans,"
          + " a,b,c lists, anything else text (e.g. total=1000, time-limit-ms=60000, mode=at-least-once).")
  List<String> options = new ArrayList<>();

  @Parameters(index = "0", paramLabel = "FILE", description = "The history (.edn or .json).")
  Path file;

  /** The checker options the command line describes. @throws ParameterException for a malformed option */
  Map<String, Object> checkerOptions() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String o : options) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new ParameterException(spec.commandLine(), "--option must be KEY=VALUE, got '" + o + "'");
      }
      out.put(o.substring(0, eq), parseValue(o.substring(eq + 1)));
    }
    if (model != null) {
      if (!checker.equals("list-append") && !checker.equals("rw-register")) {
        throw new ParameterException(spec.commandLine(), "--model applies to list-append and rw-register only");
      }
      out.put("consistency-models", List.of(model));
    }
    return out;
  }

  static Object parseValue(String v) {
    if (v.equals("true") || v.equals("false")) {
      return Boolean.valueOf(v);
    }
    if (v.matches("-?\\d{1,18}")) {
      return Long.valueOf(v);
    }
    if (v.contains(",")) {
      List<Object> list = new ArrayList<>();
      for (String part : v.split(",", -1)) {
        list.add(part.trim());
      }
      return list;
    }
    return v;
  }

  @Override
  public Integer call() {
    Checker c;
    try {
      c = Checkers.byName(checker);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    Map<String, Object> opts = checkerOptions();
    if (!Files.isRegularFile(file)) {
      throw new ParameterException(spec.commandLine(), "no such file: " + file);
    }
    History history;
    try {
      history = HistoryFiles.read(file);
    } catch (IOException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("ordo check: cannot read " + file + ": " + e.getMessage());
      return OrdoCli.EXIT_USAGE;
    }
    CheckResult result;
    try {
      result = c.check(opts, history);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("ordo check: " + e.getMessage());
      return OrdoCli.EXIT_USAGE;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(CheckResultJson.toJson(result));
    out.flush();
    return result.valid() == Validity.TRUE ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }
}
