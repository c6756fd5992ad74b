package io.ordo.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ordo.jepsen.availability.Availability;
import io.ordo.jepsen.availability.AvailabilityFormat;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.CheckResultJson;
import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.checkers.Checkers;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.HistoryFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
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
 *
 * <p>{@code --availability} also (or, without {@code --checker}, only) analyses availability under
 * the history's faults ({@link Availability}): as JSON ({@link AvailabilityFormat#json}; with a
 * checker both go into one object {@code {"check": <result>, "availability": <analysis>}}) or, with
 * {@code --availability-format markdown}, as the per-fault table (after the checker's JSON, if any).
 * Availability alone exits 0: it measures, it does not judge the history.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Check a history file (.edn or .json) and print the result as JSON; with --availability also (or, without --checker,"
          + " only) measure availability under the history's faults.",
      "Exit code 0 only if the history is valid under the checker (and model); 0 for --availability alone."
    })
public final class CheckCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;

  /** How {@code --availability} prints. */
  enum AvailabilityFormatName {
    json,
    markdown
  }

  @Option(
      names = "--checker",
      paramLabel = "NAME",
      description = "One of: list-append, rw-register, linearizable-kv, bank, stream. Required unless --availability is given.")
  String checker;

  @Option(
      names = "--availability",
      description = "Also (without --checker: only) print availability under each fault of the history: per fault interval"
          + " ok/s, the longest time without an ok op and the first ok after healing; per fault medians, maxima and whether"
          + " the goal is met.")
  boolean availability;

  @Option(
      names = "--availability-format",
      paramLabel = "FORMAT",
      defaultValue = "json",
      description = "How --availability prints: json (with --checker one object {\"check\", \"availability\"}) or markdown"
          + " (the per-fault table, after the checker's JSON if any).")
  AvailabilityFormatName availabilityFormat;

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
    if (checker == null && !availability) {
      throw new ParameterException(spec.commandLine(), "give --checker NAME, --availability, or both");
    }
    if (checker == null && (model != null || !options.isEmpty())) {
      throw new ParameterException(spec.commandLine(), "--model and --option need --checker");
    }
    Checker c = null;
    Map<String, Object> opts = Map.of();
    if (checker != null) {
      try {
        c = Checkers.byName(checker);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      opts = checkerOptions();
    }
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
    CheckResult result = null;
    if (c != null) {
      try {
        result = c.check(opts, history);
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("ordo check: " + e.getMessage());
        return OrdoCli.EXIT_USAGE;
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    Availability a = availability ? Availability.of(history) : null;
    if (a != null && availabilityFormat == AvailabilityFormatName.json) {
      ObjectNode analysis = AvailabilityFormat.json(a);
      try {
        if (result == null) {
          out.println(JSON.writeValueAsString(analysis));
        } else {
          ObjectNode both = JSON.createObjectNode();
          both.set("check", JSON.readTree(CheckResultJson.toJson(result)));
          both.set("availability", analysis);
          out.println(JSON.writeValueAsString(both));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      if (result != null) {
        out.println(CheckResultJson.toJson(result));
      }
      if (a != null) {
        out.print(AvailabilityFormat.markdown(a.summaries(), a.baseline()));
      }
    }
    out.flush();
    if (result == null) {
      return OrdoCli.EXIT_OK;
    }
    return result.valid() == Validity.TRUE ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }
}
