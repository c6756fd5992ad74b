package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSettingsTest {
  private static final String JAAS =
      "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"ordo\""
          + " password=\"s3cr=t\";";

  @Test
  void appliesServersAndPropertiesOverTheClientsOwnTuning() {
    KafkaClientSettings kafka =
        new KafkaClientSettings(
            "k1:9093,k2:9093",
            Map.of("security.protocol", "SASL_SSL", "request.timeout.ms", "20000"));
    Properties client = new Properties();
    client.put("request.timeout.ms", "15000");
    client.put("linger.ms", "1");

    assertThat(kafka.apply(client)).isSameAs(client);
    assertThat(client)
        .containsEntry("bootstrap.servers", "k1:9093,k2:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("request.timeout.ms", "20000") // the extra property wins
        .containsEntry("linger.ms", "1");

    Map<String, Object> asMap = kafka.apply(new HashMap<>());
    assertThat(asMap).isEqualTo(Map.copyOf(kafka.toMap()));
    assertThat(kafka.toMap().keySet())
        .containsExactly("bootstrap.servers", "request.timeout.ms", "security.protocol");
    assertThat(kafka.isPlain()).isFalse();
    assertThat(KafkaClientSettings.of("k:1").isPlain()).isTrue();
    assertThat(KafkaClientSettings.of("k:1").toMap()).containsExactly(Map.entry("bootstrap.servers", "k:1"));
  }

  @Test
  void refusesWhatOrdoSetsItselfNamingTheReason() {
    for (String reserved : KafkaClientSettings.RESERVED.keySet()) {
      assertThatThrownBy(() -> new KafkaClientSettings("k:1", Map.of(reserved, "x")))
          .as(reserved)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("Kafka client property " + reserved + " cannot be set")
          .hasMessageContaining(KafkaClientSettings.RESERVED.get(reserved));
    }
    assertThat(KafkaClientSettings.RESERVED)
        .containsKeys(
            "bootstrap.servers", "key.serializer", "value.deserializer", "enable.auto.commit",
            "isolation.level", "transactional.id", "acks", "enable.idempotence", "group.id");
    assertThatThrownBy(() -> new KafkaClientSettings("k:1", Map.of("acks", "1")))
        .hasMessageContaining("idempotent with acks=all");
  }

  @Test
  void refusesBadNamesValuesAndSizes() {
    assertThatThrownBy(() -> KafkaClientSettings.of(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bootstrapServers must not be blank");
    assertThatThrownBy(() -> new KafkaClientSettings("k:1", Map.of("", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name is empty");
    assertThatThrownBy(() -> new KafkaClientSettings("k:1", Map.of("ssl truststore", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ssl truststore' contains white space");
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("ssl.truststore.location", null);
    assertThatThrownBy(() -> new KafkaClientSettings("k:1", nullValue))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ssl.truststore.location has no value");
    assertThatThrownBy(
            () ->
                new KafkaClientSettings(
                    "k:1", Map.of("x".repeat(KafkaClientSettings.NAME_CHARS_MAX + 1), "v")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most " + KafkaClientSettings.NAME_CHARS_MAX);
    assertThatThrownBy(
            () ->
                new KafkaClientSettings(
                    "k:1",
                    Map.of("sasl.jaas.config", "x".repeat(KafkaClientSettings.VALUE_CHARS_MAX + 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the value of Kafka client property sasl.jaas.config has")
        .hasMessageNotContaining("xxx");
    Map<String, String> many = new TreeMap<>();
    for (int i = 0; i <= KafkaClientSettings.PROPERTIES_MAX; i++) {
      many.put("p" + i, "v");
    }
    assertThatThrownBy(() -> new KafkaClientSettings("k:1", many))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most " + KafkaClientSettings.PROPERTIES_MAX);
    // An empty value is a value: it turns host name verification off.
    assertThat(
            new KafkaClientSettings("k:1", Map.of("ssl.endpoint.identification.algorithm", ""))
                .properties())
        .containsEntry("ssl.endpoint.identification.algorithm", "");
  }

  @Test
  void parsesNameEqualsValueAtTheFirstEqualsSign() {
    assertThat(KafkaClientSettings.parseProperty("sasl.jaas.config=" + JAAS))
        .isEqualTo(Map.entry("sasl.jaas.config", JAAS));
    assertThat(KafkaClientSettings.parseProperty(" security.protocol =SSL"))
        .isEqualTo(Map.entry("security.protocol", "SSL"));
    assertThat(KafkaClientSettings.parseProperty("ssl.endpoint.identification.algorithm="))
        .isEqualTo(Map.entry("ssl.endpoint.identification.algorithm", ""));
    assertThatThrownBy(() -> KafkaClientSettings.parseProperty("hunter2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NAME=VALUE")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> KafkaClientSettings.parseProperty("=x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the name is empty");
  }

  @Test
  void readsAKafkaClientPropertiesFileAndFlagsWin(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "# as kafka-console-producer --command-config takes it",
            "bootstrap.servers = k1:9093, k2:9093",
            "security.protocol=SASL_SSL",
            "sasl.mechanism=SCRAM-SHA-256",
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\",
            "    username=\"ordo\" password=\"s3cr=t\";",
            "ssl.truststore.location=/etc/ordo/truststore.p12",
            ""),
        StandardCharsets.ISO_8859_1);

    KafkaClientSettings fromFile = KafkaClientSettings.fromFile("k1:9093,k2:9093", file);
    assertThat(fromFile.bootstrapServers()).isEqualTo("k1:9093,k2:9093");
    assertThat(fromFile.properties())
        .containsExactly(
            Map.entry("sasl.jaas.config", JAAS),
            Map.entry("sasl.mechanism", "SCRAM-SHA-256"),
            Map.entry("security.protocol", "SASL_SSL"),
            Map.entry("ssl.truststore.location", "/etc/ordo/truststore.p12"));

    // Single properties override the file's, name by name.
    KafkaClientSettings both =
        KafkaClientSettings.resolve(
            "k1:9093,k2:9093",
            Optional.of(file),
            Map.of("sasl.mechanism", "SCRAM-SHA-512", "client.dns.lookup", "use_all_dns_ips"));
    assertThat(both.properties())
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("client.dns.lookup", "use_all_dns_ips")
        .containsEntry("security.protocol", "SASL_SSL");
    assertThat(KafkaClientSettings.resolve("k:1", Optional.empty(), Map.of()))
        .isEqualTo(KafkaClientSettings.of("k:1"));
  }

  @Test
  void refusesABadFileNamingIt(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.properties");
    assertThatThrownBy(() -> KafkaClientSettings.fromFile("k:1", missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing + " does not exist");
    assertThatThrownBy(() -> KafkaClientSettings.fromFile("k:1", dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a readable file");

    Path other = dir.resolve("other.properties");
    Files.writeString(other, "bootstrap.servers=elsewhere:9092\n");
    assertThatThrownBy(() -> KafkaClientSettings.fromFile("k:1", other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sets bootstrap.servers=elsewhere:9092 but the bootstrap servers are k:1");

    Path reserved = dir.resolve("reserved.properties");
    Files.writeString(reserved, "isolation.level=read_uncommitted\n");
    assertThatThrownBy(() -> KafkaClientSettings.fromFile("k:1", reserved))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("isolation.level cannot be set in Kafka client config file " + reserved);

    Path badEscape = dir.resolve("escape.properties");
    Files.writeString(badEscape, "a=\\u12\n");
    assertThatThrownBy(() -> KafkaClientSettings.fromFile("k:1", badEscape))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a properties file");

    Path big = dir.resolve("big.properties");
    Files.write(big, new byte[(int) KafkaClientSettings.FILE_BYTES_MAX + 1]);
    assertThatThrownBy(() -> KafkaClientSettings.fromFile("k:1", big))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most " + KafkaClientSettings.FILE_BYTES_MAX);

    assertThatThrownBy(
            () -> KafkaClientSettings.resolve("k:1", Optional.empty(), Map.of("bootstrap.servers", "k:1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(--kafka-property)")
        .hasMessageContaining("--bootstrap-servers");
  }

  @Test
  void redactsSecretsInEveryDescription() {
    Map<String, String> props = new TreeMap<>();
    props.put("sasl.jaas.config", JAAS);
    props.put("ssl.truststore.password", "trust-pw");
    props.put("ssl.key.password", "key-pw");
    props.put("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----");
    props.put("sasl.oauthbearer.client.credentials.client.secret", "oauth-secret");
    props.put("sasl.oauthbearer.assertion.private.key.passphrase", "phrase-value");
    props.put("sasl.login.token", "token-value");
    props.put("security.protocol", "SASL_SSL");
    props.put("ssl.truststore.location", "/etc/ordo/truststore.p12");
    KafkaClientSettings kafka = new KafkaClientSettings("k:1", props);

    assertThat(kafka.redacted())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("ssl.truststore.location", "/etc/ordo/truststore.p12")
        .containsEntry("sasl.jaas.config", KafkaClientSettings.HIDDEN)
        .containsEntry("ssl.truststore.password", KafkaClientSettings.HIDDEN)
        .containsEntry("ssl.key.password", KafkaClientSettings.HIDDEN)
        .containsEntry("ssl.keystore.key", KafkaClientSettings.HIDDEN)
        .containsEntry("sasl.oauthbearer.client.credentials.client.secret", KafkaClientSettings.HIDDEN)
        .containsEntry("sasl.oauthbearer.assertion.private.key.passphrase", KafkaClientSettings.HIDDEN)
        .containsEntry("sasl.login.token", KafkaClientSettings.HIDDEN);
    String text = kafka.toString();
    assertThat(text).startsWith("k:1 {").contains("security.protocol=SASL_SSL");
    for (String secret : List.of("s3cr=t", "trust-pw", "key-pw", "PRIVATE KEY", "oauth-secret", "phrase-value", "token-value")) {
      assertThat(text).as(secret).doesNotContain(secret);
    }
    assertThat(KafkaClientSettings.isSecret("SASL.JAAS.CONFIG")).isTrue();
    assertThat(KafkaClientSettings.redact("security.protocol", "SSL")).isEqualTo("SSL");
    assertThat(KafkaClientSettings.of("k:1")).hasToString("k:1");
  }

  @Test
  void isAValueThatSurvivesSerialization() throws Exception {
    KafkaClientSettings kafka =
        new KafkaClientSettings("k:1", Map.of("security.protocol", "SSL", "sasl.jaas.config", JAAS));
    assertThat(kafka).isEqualTo(new KafkaClientSettings("k:1", new TreeMap<>(kafka.properties())));
    assertThat(kafka.hashCode())
        .isEqualTo(new KafkaClientSettings("k:1", new TreeMap<>(kafka.properties())).hashCode());
    assertThat(kafka).isNotEqualTo(kafka.withBootstrapServers("k:2"));
    assertThatThrownBy(() -> kafka.properties().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(kafka);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(kafka);
    }
  }
}
