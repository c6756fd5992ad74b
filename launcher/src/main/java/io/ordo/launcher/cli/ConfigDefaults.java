package io.ordo.launcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.PropertiesDefaultProvider;

/**
 * Where an option of any {@code ordo} command gets its value when the command line does not give
 * it, as container deployments expect: <b>flags &gt; environment &gt; config file &gt; defaults</b>.
 *
 * <ol>
 *   <li>the command line;
 *   <li>the environment variable {@code ORDO_<OPTION>}: the option's long name without the leading
 *       dashes, upper case, {@code -} as {@code _} ({@code --bootstrap-servers} is {@code
 *       ORDO_BOOTSTRAP_SERVERS}, {@code --no-ingest} is {@code ORDO_NO_INGEST=true});
 *   <li>the config file given by {@code --config FILE} (every command has it; a parent command's
 *       applies to its subcommands) or {@code ORDO_CONFIG}: a {@code .properties} file, or a YAML
 *       file ({@code .yaml}/{@code .yml}) whose nested keys are joined with dots. Keys are option
 *       names without the dashes ({@code bootstrap-servers=kafka:9092}) and apply to every command
 *       that has the option, or are qualified by the command path ({@code
 *       ordo.gateway.grpc-port=7000}), which wins: the lookup is picocli's {@link
 *       PropertiesDefaultProvider}. A key that names no option of any command is an error, so a
 *       misspelt key cannot silently keep a default;
 *   <li>the option's default (shown by {@code --help}).
 * </ol>
 *
 * <p>picocli asks this provider only for the options the command line did not match (after the
 * arguments are processed), which is what gives flags the precedence and lets the provider read
 * the {@code --config} value that the command line gave.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
  /** Prefix of the environment variables that set options. */
  static final String ENV_PREFIX = "ORDO_";

  /** The option that names the config file; every command has it. */
  static final String CONFIG_OPTION = "--config";

  private final Map<String, String> environment;
  private final Map<Path, PropertiesDefaultProvider> files = new HashMap<>();

  ConfigDefaults(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** {@code ORDO_} + the long name without dashes, upper case, {@code -} as {@code _}. */
  static String environmentVariable(String longOptionName) {
    String name = longOptionName.replaceFirst("^-+", "");
    return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The long name ({@code --...}) of {@code option}, or null if it has only short names. */
  static String longName(OptionSpec option) {
    String longest = option.longestName();
    return longest.startsWith("--") ? longest : null;
  }

  /** Adds {@value #CONFIG_OPTION} to {@code commandLine} and every subcommand below it. */
  static void addConfigOption(CommandLine commandLine) {
    CommandSpec spec = commandLine.getCommandSpec();
    if (spec.findOption(CONFIG_OPTION) == null
        && !(commandLine.getCommand() instanceof CommandLine.HelpCommand)) {
      spec.addOption(
          OptionSpec.builder(CONFIG_OPTION)
              .paramLabel("FILE")
              .type(Path.class)
              .description(
                  "Options from a .properties or YAML file (keys: option names without dashes,"
                      + " e.g. bootstrap-servers); ORDO_<OPTION> environment variables override"
                      + " it and flags override both (env: ORDO_CONFIG).")
              .build());
    }
    Set<CommandLine> seen = new HashSet<>();
    for (CommandLine sub : commandLine.getSubcommands().values()) {
      if (seen.add(sub)) {
        addConfigOption(sub);
      }
    }
  }

  @Override
  public String defaultValue(ArgSpec arg) throws Exception {
    if (!arg.isOption()) {
      return null;
    }
    OptionSpec option = (OptionSpec) arg;
    String longName = longName(option);
    if (longName == null || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    String fromEnvironment = environment.get(environmentVariable(longName));
    if (fromEnvironment != null) {
      return fromEnvironment;
    }
    if (longName.equals(CONFIG_OPTION)) {
      return null;
    }
    Path file = configFile(option.command());
    return file == null ? null : provider(file, option.command()).defaultValue(option);
  }

  /** The config file in effect for {@code command}: its --config, a parent's, or ORDO_CONFIG. */
  private Path configFile(CommandSpec command) {
    for (CommandSpec spec = command; spec != null; spec = spec.parent()) {
      OptionSpec config = spec.findOption(CONFIG_OPTION);
      if (config != null && config.getValue() != null) {
        return config.getValue();
      }
    }
    String fromEnvironment = environment.get(environmentVariable(CONFIG_OPTION));
    return fromEnvironment == null || fromEnvironment.isBlank() ? null : Path.of(fromEnvironment);
  }

  private PropertiesDefaultProvider provider(Path file, CommandSpec command) {
    PropertiesDefaultProvider provider = files.get(file);
    if (provider == null) {
      Properties properties = load(file, command.commandLine());
      checkKeys(properties, file, command.root(), command.commandLine());
      provider = new PropertiesDefaultProvider(properties);
      files.put(file, provider);
    }
    return provider;
  }

  /**
   * Reads a .properties file, or a YAML file (by its extension) flattened to properties.
   *
   * @throws ParameterException if the file cannot be read or parsed
   */
  static Properties load(Path file, CommandLine commandLine) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ParameterException(
          commandLine, "config file " + file + " does not exist or is not readable");
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      if (name.endsWith(".yaml") || name.endsWith(".yml")) {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(in);
        if (root != null && !root.isMissingNode() && !root.isNull()) {
          if (!root.isObject()) {
            throw new ParameterException(
                commandLine, "config file " + file + " must be a YAML mapping of option names");
          }
          flatten("", root, properties);
        }
      } else {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new ParameterException(
          commandLine, "config file " + file + " cannot be read: " + e.getMessage(), e);
    }
    return properties;
  }

  /** Nested mappings become dotted keys; sequences become comma-separated values. */
  private static void flatten(String prefix, JsonNode node, Properties into) {
    if (node.isObject()) {
      node.properties()
          .forEach(
              e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), into));
    } else if (node.isArray()) {
      List<String> values = new ArrayList<>();
      node.forEach(v -> values.add(v.asText()));
      into.setProperty(prefix, String.join(",", values));
    } else if (!node.isNull()) {
      into.setProperty(prefix, node.asText());
    }
  }

  /**
   * Rejects keys that name no option: {@code name} of some command's {@code --name}, or {@code
   * <qualified command>.<name>} of that command's.
   */
  private static void checkKeys(
      Properties properties, Path file, CommandSpec root, CommandLine commandLine) {
    Set<String> known = new HashSet<>();
    collectKeys(root, known, new HashSet<>());
    Set<String> unknown = new TreeSet<>();
    for (String key : properties.stringPropertyNames()) {
      if (!known.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new ParameterException(
          commandLine,
          "config file " + file + " has keys that name no option: " + unknown
              + " (keys are option names without dashes, e.g. bootstrap-servers, optionally"
              + " prefixed by the command path, e.g. ordo.gateway.grpc-port)");
    }
  }

  private static void collectKeys(CommandSpec spec, Set<String> known, Set<CommandSpec> seen) {
    if (!seen.add(spec)) {
      return;
    }
    for (OptionSpec option : spec.options()) {
      String longName = longName(option);
      if (longName != null && !longName.equals(CONFIG_OPTION)) {
        String key = longName.substring(2);
        known.add(key);
        known.add(spec.qualifiedName(".") + "." + key);
      }
    }
    for (CommandLine sub : spec.subcommands().values()) {
      collectKeys(sub.getCommandSpec(), known, seen);
    }
  }

  @Override
  public String toString() {
    return "ORDO_* environment variables and the --config file";
  }
}
