package io.ordo.sequencer;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How Ordo's Kafka clients reach a cluster: its bootstrap servers and extra Kafka client
 * properties, the same for every client Ordo creates (the sequencer's producer, the gateway's and
 * the store's consumers, the admin clients, the executor job's Flink sources and sinks). The
 * extra properties are what a secured cluster asks of a client: {@code security.protocol}, {@code
 * sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.truststore.location}, ... (any Kafka client
 * property is accepted; a client type that does not know one ignores it with a warning).
 *
 * <p><b>Precedence.</b> A client starts from Ordo's own tuning of that client (timeouts, {@code
 * linger.ms}, {@code fetch.max.wait.ms}, ...), then {@link #apply} puts the bootstrap servers and
 * every extra property on top, so an extra property replaces Ordo's tuning of the same name. The
 * properties that decide what Ordo reads and writes are not tuning and cannot be given at all:
 * {@link #RESERVED} lists them with the reason; the constructor refuses them. Of a Kafka client
 * properties file ({@link #fromFile}) and single properties ({@code --kafka-property}), the single
 * ones win ({@link #resolve}).
 *
 * <p><b>Secrets.</b> Values of properties whose name contains one of {@link #HIDDEN_NAME_PARTS}
 * (passwords, JAAS configurations, tokens, private keys) are shown as {@value #HIDDEN} by {@link
 * #toString()} and {@link #redacted()}; nothing here logs a value.
 *
 * <p>Immutable and serializable. The executor job's graph carries what {@link #apply} put into
 * the Flink connectors' {@link Properties}, secrets included (as for any Flink Kafka connector).
 * Properties are kept sorted by name, so two equal settings produce identical client configs.
 */
public final class KafkaClientSettings implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /** Most extra properties (a client config has about a hundred names in all). */
  public static final int PROPERTIES_MAX = 256;

  /** Longest property name, in characters. */
  public static final int NAME_CHARS_MAX = 256;

  /** Longest property value, in characters (room for an inline PEM bundle). */
  public static final int VALUE_CHARS_MAX = 1 << 20;

  /** Largest client properties file {@link #fromFile} reads, in bytes. */
  public static final long FILE_BYTES_MAX = 4L << 20;

  /** What {@link #toString()} and {@link #redacted()} show instead of a secret value. */
  public static final String HIDDEN = "[hidden]";

  /**
   * A property whose name (lower case) contains one of these holds a secret: its value is never
   * shown. {@code ssl.keystore.key} and {@code ...private.key...} hold private keys inline.
   */
  public static final java.util.List<String> HIDDEN_NAME_PARTS =
      java.util.List.of(
          "password", "passphrase", "secret", "token", "jaas.config", "keystore.key", "private.key");

  /**
   * Kafka client properties Ordo sets itself, with why: giving one is an error, not a silent
   * override. Sorted by name.
   */
  public static final SortedMap<String, String> RESERVED = reserved();

  private final String bootstrapServers;
  // TreeMap: sorted (deterministic configs and messages) and serializable.
  private final TreeMap<String, String> properties;

  /**
   * Settings for the cluster at {@code bootstrapServers} with extra client properties.
   *
   * @param bootstrapServers {@code host:port[,host:port...]}, not blank
   * @param properties extra Kafka client properties, name → value; at most {@value
   *     #PROPERTIES_MAX}; names 1..{@value #NAME_CHARS_MAX} characters without white space,
   *     not one of {@link #RESERVED}; values non-null, at most {@value #VALUE_CHARS_MAX}
   *     characters (empty is allowed: {@code ssl.endpoint.identification.algorithm=} turns host
   *     name checking off)
   * @throws IllegalArgumentException naming the first bad server list, name or value (never the
   *     value of a secret)
   */
  public KafkaClientSettings(String bootstrapServers, Map<String, String> properties) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must not be blank");
    }
    Objects.requireNonNull(properties, "properties");
    if (properties.size() > PROPERTIES_MAX) {
      throw new IllegalArgumentException(
          "at most " + PROPERTIES_MAX + " Kafka client properties, got " + properties.size());
    }
    TreeMap<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : properties.entrySet()) {
      checkProperty(e.getKey(), e.getValue(), "");
      copy.put(e.getKey(), e.getValue());
    }
    this.bootstrapServers = bootstrapServers;
    this.properties = copy;
  }

  /** Settings for the cluster at {@code bootstrapServers} without extra properties (plain text). */
  public static KafkaClientSettings of(String bootstrapServers) {
    return new KafkaClientSettings(bootstrapServers, Map.of());
  }

  /**
   * The settings of a command line: the properties of {@code configFile} (when given), then
   * {@code overrides} on top (an override replaces the file's value of the same name).
   *
   * <p>A client properties file often names the cluster too ({@code bootstrap.servers}); Ordo takes
   * the servers from {@code bootstrapServers} only, so the file's line is accepted when it names the
   * same servers (ignoring white space) and refused when it names others.
   *
   * @param bootstrapServers the servers ({@code --bootstrap-servers})
   * @param configFile a Kafka client properties file ({@code --kafka-config}), see {@link #fromFile}
   * @param overrides single properties ({@code --kafka-property NAME=VALUE}), name → value
   * @throws IllegalArgumentException as {@link #fromFile} and the constructor do, naming the file or
   *     the option; or if the file's {@code bootstrap.servers} differs from {@code
   *     bootstrapServers}, or an override sets {@code bootstrap.servers}
   * @throws UncheckedIOException if the file cannot be read
   */
  public static KafkaClientSettings resolve(
      String bootstrapServers, Optional<Path> configFile, Map<String, String> overrides) {
    Objects.requireNonNull(configFile, "configFile");
    Objects.requireNonNull(overrides, "overrides");
    TreeMap<String, String> merged = new TreeMap<>();
    if (configFile.isPresent()) {
      Path file = configFile.get();
      SortedMap<String, String> fromFile = readFile(file);
      String servers = fromFile.remove("bootstrap.servers");
      if (servers != null && !sameServers(servers, bootstrapServers)) {
        throw new IllegalArgumentException(
            "Kafka client config file " + file + " sets bootstrap.servers=" + servers
                + " but the bootstrap servers are " + bootstrapServers + ": Ordo takes them from"
                + " --bootstrap-servers only; remove the line from the file or make the two equal");
      }
      for (Map.Entry<String, String> e : fromFile.entrySet()) {
        checkProperty(e.getKey(), e.getValue(), " in Kafka client config file " + file);
      }
      merged.putAll(fromFile);
    }
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      checkProperty(e.getKey(), e.getValue(), " (--kafka-property)");
      merged.put(e.getKey(), e.getValue());
    }
    return new KafkaClientSettings(bootstrapServers, merged);
  }

  /**
   * Reads a Kafka client properties file, the kind {@code kafka-console-producer.sh
   * --command-config} takes: {@link Properties} syntax, read as Kafka's tools read it
   * (ISO-8859-1, with backslash-u unicode escapes for other characters). Names and values are taken
   * as written (Properties already drops the white space around the separator).
   *
   * @param bootstrapServers the servers ({@code --bootstrap-servers}); the file's own {@code
   *     bootstrap.servers} line, if any, must name the same ones
   * @param file the file
   * @return the settings of the cluster at {@code bootstrapServers} with the file's properties
   * @throws IllegalArgumentException if the file does not exist, is not a readable regular file,
   *     is larger than {@value #FILE_BYTES_MAX} bytes, or holds a bad or reserved property (naming
   *     the file), or a {@code bootstrap.servers} other than {@code bootstrapServers}
   * @throws UncheckedIOException if reading fails
   */
  public static KafkaClientSettings fromFile(String bootstrapServers, Path file) {
    return resolve(bootstrapServers, Optional.of(file), Map.of());
  }

  /** The file's properties, sorted, size-checked but not yet checked against {@link #RESERVED}. */
  private static SortedMap<String, String> readFile(Path file) {
    Objects.requireNonNull(file, "file");
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IllegalArgumentException(
          "Kafka client config file " + file + " does not exist or is not a readable file");
    }
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Kafka client config file " + file, e);
    }
    if (size > FILE_BYTES_MAX) {
      throw new IllegalArgumentException(
          "Kafka client config file " + file + " has " + size + " bytes; at most "
              + FILE_BYTES_MAX + " are read");
    }
    Properties loaded = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      loaded.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Kafka client config file " + file, e);
    } catch (IllegalArgumentException e) {
      // Properties.load refuses a malformed unicode escape this way.
      throw new IllegalArgumentException(
          "Kafka client config file " + file + " is not a properties file: " + e.getMessage(), e);
    }
    TreeMap<String, String> out = new TreeMap<>();
    for (String name : loaded.stringPropertyNames()) {
      out.put(name, loaded.getProperty(name));
    }
    return out;
  }

  /**
   * Parses one {@code NAME=VALUE} (the argument of {@code --kafka-property}): split at the first
   * {@code =}, white space around the name dropped, the value kept as written (it may hold
   * {@code =}, as a JAAS configuration does).
   *
   * @return the name and the value
   * @throws IllegalArgumentException if there is no {@code =} or the name is empty; the message
   *     shows the name only
   */
  public static Map.Entry<String, String> parseProperty(String nameEqualsValue) {
    Objects.requireNonNull(nameEqualsValue, "nameEqualsValue");
    int eq = nameEqualsValue.indexOf('=');
    if (eq < 0) {
      // Without '=' the whole argument may be a secret: do not echo it.
      throw new IllegalArgumentException(
          "--kafka-property takes NAME=VALUE (e.g. security.protocol=SASL_SSL); got an argument"
              + " of " + nameEqualsValue.length() + " characters without '='");
    }
    String name = nameEqualsValue.substring(0, eq).trim();
    if (name.isEmpty()) {
      throw new IllegalArgumentException(
          "--kafka-property takes NAME=VALUE (e.g. security.protocol=SASL_SSL); the name is empty");
    }
    return Map.entry(name, nameEqualsValue.substring(eq + 1));
  }

  /** The bootstrap servers, {@code host:port[,host:port...]}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The extra client properties, sorted by name; unmodifiable. */
  public SortedMap<String, String> properties() {
    return Collections.unmodifiableSortedMap(properties);
  }

  /** True iff there are no extra properties (a plain-text cluster without authentication). */
  public boolean isPlain() {
    return properties.isEmpty();
  }

  /**
   * These settings with other bootstrap servers and the same extra properties.
   *
   * @throws IllegalArgumentException if servers is blank
   */
  public KafkaClientSettings withBootstrapServers(String servers) {
    return new KafkaClientSettings(servers, properties);
  }

  /**
   * Puts {@code bootstrap.servers} and every extra property into {@code clientConfig}, replacing
   * values of the same names (call it after setting the client's own tuning, see the class
   * comment).
   *
   * @return {@code clientConfig}
   */
  public Properties apply(Properties clientConfig) {
    Objects.requireNonNull(clientConfig, "clientConfig");
    clientConfig.putAll(toMap());
    return clientConfig;
  }

  /** Like {@link #apply(Properties)}, for the {@code Map} form of a client config. */
  public <M extends Map<String, Object>> M apply(M clientConfig) {
    Objects.requireNonNull(clientConfig, "clientConfig");
    clientConfig.putAll(toMap());
    return clientConfig;
  }

  /** {@code bootstrap.servers} and every extra property, sorted by name; unmodifiable. */
  public SortedMap<String, String> toMap() {
    TreeMap<String, String> all = new TreeMap<>(properties);
    all.put("bootstrap.servers", bootstrapServers);
    return Collections.unmodifiableSortedMap(all);
  }

  /** The extra properties with secret values replaced by {@value #HIDDEN}, sorted; for logs. */
  public SortedMap<String, String> redacted() {
    TreeMap<String, String> out = new TreeMap<>();
    properties.forEach((name, value) -> out.put(name, redact(name, value)));
    return Collections.unmodifiableSortedMap(out);
  }

  /** {@code value}, or {@value #HIDDEN} when {@code name} names a secret ({@link #isSecret}). */
  public static String redact(String name, String value) {
    return isSecret(name) ? HIDDEN : value;
  }

  /** True iff the value of property {@code name} is a secret (see {@link #HIDDEN_NAME_PARTS}). */
  public static boolean isSecret(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (String part : HIDDEN_NAME_PARTS) {
      if (lower.contains(part)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A short description for logs and error messages: the servers and the redacted properties,
   * e.g. {@code kafka:9093 {sasl.jaas.config=[hidden], security.protocol=SASL_SSL}}.
   */
  @Override
  public String toString() {
    return properties.isEmpty() ? bootstrapServers : bootstrapServers + " " + redacted();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KafkaClientSettings other
        && bootstrapServers.equals(other.bootstrapServers)
        && properties.equals(other.properties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(bootstrapServers, properties);
  }

  private static void checkProperty(String name, String value, String where) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a Kafka client property name is empty" + where);
    }
    if (name.length() > NAME_CHARS_MAX) {
      throw new IllegalArgumentException(
          "Kafka client property name '" + name.substring(0, 40) + "...' has " + name.length()
              + " characters, at most " + NAME_CHARS_MAX + where);
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isWhitespace(name.charAt(i)) || Character.isISOControl(name.charAt(i))) {
        throw new IllegalArgumentException(
            "Kafka client property name '" + name + "' contains white space or a control"
                + " character" + where);
      }
    }
    String reason = RESERVED.get(name);
    if (reason != null) {
      throw new IllegalArgumentException(
          "Kafka client property " + name + " cannot be set" + where + ": " + reason);
    }
    if (value == null) {
      throw new IllegalArgumentException("Kafka client property " + name + " has no value" + where);
    }
    if (value.length() > VALUE_CHARS_MAX) {
      throw new IllegalArgumentException(
          "the value of Kafka client property " + name + " has " + value.length()
              + " characters, at most " + VALUE_CHARS_MAX + where);
    }
  }

  /** Equal server lists, ignoring white space. */
  private static boolean sameServers(String a, String b) {
    return a.replaceAll("\\s", "").equals(b == null ? null : b.replaceAll("\\s", ""));
  }

  private static SortedMap<String, String> reserved() {
    TreeMap<String, String> r = new TreeMap<>();
    r.put("bootstrap.servers", "give the servers with --bootstrap-servers");
    String bytes = "each of Ordo's clients sets its own (the records are protobuf bytes)";
    r.put("key.serializer", bytes);
    r.put("value.serializer", bytes);
    r.put("key.deserializer", bytes);
    r.put("value.deserializer", bytes);
    String log =
        "the log's order and durability rely on Ordo's producers being idempotent with acks=all";
    r.put("enable.idempotence", log);
    r.put("acks", log);
    r.put(
        "transactional.id",
        "Ordo's producers are not transactional (the executor's sinks manage their own)");
    String positions =
        "each of Ordo's consumers positions itself (offsets in checkpoints, in the gateway's"
            + " store or at the end) and sets its own group";
    r.put("enable.auto.commit", positions);
    r.put("auto.offset.reset", positions);
    r.put("group.id", positions);
    r.put("group.instance.id", positions);
    r.put("group.protocol", positions);
    r.put(
        "isolation.level",
        "each of Ordo's consumers reads at the level it needs (read_committed for ingest topics)");
    r.put(
        "client.id",
        "Ordo names each of its clients (ordo-sequencer-..., ordo-gateway-results, ...), as logs"
            + " and broker metrics show them; quotas can be set per authenticated user instead");
    return Collections.unmodifiableSortedMap(r);
  }
}
