package io.ordo.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {
  private static final String TOPIC = "survivor";

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void recordSurvivesRestartOnTheSameDirectory(@TempDir Path dataDir) throws Exception {
    RecordMetadata written;
    String firstBootstrap;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
      firstBootstrap = broker.bootstrapServers();
      assertThat(firstBootstrap).startsWith("127.0.0.1:");
      assertThat(broker.port()).isPositive();
      assertThat(broker.dataDir()).isEqualTo(dataDir.toAbsolutePath());
      try (Admin admin = admin(broker)) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all()
            .get(30, TimeUnit.SECONDS);
        assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
      }
      try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
        written =
            producer
                .send(new ProducerRecord<>(TOPIC, bytes("k"), bytes("still here")))
                .get(30, TimeUnit.SECONDS);
      }
    }
    assertThat(dataDir.resolve("kafka").resolve("meta.properties")).exists();

    // Port 0 again: the broker picks new ports (client and controller) and must still open the
    // formatted directory.
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
      assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
      List<ConsumerRecord<byte[], byte[]>> records = readAll(broker, 1);
      assertThat(records).hasSize(1);
      assertThat(records.get(0).offset()).isEqualTo(written.offset());
      assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("k");
      assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8))
          .isEqualTo("still here");
      // New writes continue after the old ones.
      try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
        RecordMetadata second =
            producer
                .send(new ProducerRecord<>(TOPIC, bytes("k2"), bytes("after restart")))
                .get(30, TimeUnit.SECONDS);
        assertThat(second.offset()).isEqualTo(written.offset() + 1);
      }
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void restartOnAnotherExplicitPortKeepsTopics(@TempDir Path dataDir) throws Exception {
    int firstPort;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
      firstPort = broker.port();
      try (Admin admin = admin(broker)) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all()
            .get(30, TimeUnit.SECONDS);
      }
    }
    int secondPort = freePortOtherThan(firstPort);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, secondPort)) {
      assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + secondPort);
      try (Admin admin = admin(broker)) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(TOPIC);
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void secondBrokerOnALockedDirectoryFailsClearly(@TempDir Path dataDir) {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
      assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dataDir, 0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("in use by another embedded broker");
      // The first broker is unharmed.
      try (Admin admin = admin(broker)) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all()
            .get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    // Released on close: the directory can be opened again.
    try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(dataDir, 0)) {
      assertThat(again.port()).isPositive();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void startsOnARequestedPortAndRejectsBadPorts(@TempDir Path dataDir) throws Exception {
    int port = freePortOtherThan(-1);
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(dataDir, port, Map.of("log.retention.hours", "5"))) {
      assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
      try (Admin admin = admin(broker)) {
        assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
        ConfigResource node =
            new ConfigResource(
                ConfigResource.Type.BROKER, Integer.toString(EmbeddedKafkaBroker.NODE_ID));
        Config config =
            admin.describeConfigs(List.of(node)).all().get(30, TimeUnit.SECONDS).get(node);
        assertThat(config.get("log.retention.hours").value()).isEqualTo("5");
        assertThat(config.get("auto.create.topics.enable").value()).isEqualTo("false");
        assertThat(config.get("offsets.topic.replication.factor").value()).isEqualTo("1");
        assertThat(config.get("transaction.max.timeout.ms").value()).isEqualTo("3600000");
      }
    }
    try (java.net.ServerSocket busy =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dataDir, busy.getLocalPort()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("port 127.0.0.1:" + busy.getLocalPort() + " is in use");
    }
    assertThatThrownBy(
            () -> EmbeddedKafkaBroker.start(dataDir, 70_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void saslPlainListenerAdmitsOnlyItsUsers(@TempDir Path dataDir) throws Exception {
    EmbeddedKafkaBroker.ClientSecurity security =
        EmbeddedKafkaBroker.ClientSecurity.saslPlain(
            Map.of("broker", "broker-secret", "alice", "alice-secret"), "broker");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0, Map.of(), security)) {
      assertThat(broker.securityProtocol()).isEqualTo("SASL_PLAINTEXT");
      assertThat(broker.clientProperties())
          .containsEntry("security.protocol", "SASL_PLAINTEXT")
          .containsEntry("sasl.mechanism", "PLAIN");
      // A user of the listener: writes and reads.
      Map<String, Object> alice = new java.util.HashMap<>(
          EmbeddedKafkaBroker.ClientSecurity.saslPlainClient("alice", "alice-secret"));
      alice.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
      try (Admin admin = Admin.create(alice)) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all()
            .get(30, TimeUnit.SECONDS);
      }
      Map<String, Object> producerConfig = new java.util.HashMap<>(alice);
      producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
      producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
        assertThat(
                producer.send(new ProducerRecord<>(TOPIC, bytes("k"), bytes("v")))
                    .get(30, TimeUnit.SECONDS)
                    .offset())
            .isZero();
      }
      // A wrong password is refused at once, naming authentication.
      Map<String, Object> wrong = new java.util.HashMap<>(
          EmbeddedKafkaBroker.ClientSecurity.saslPlainClient("alice", "not-her-secret"));
      wrong.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
      try (Admin admin = Admin.create(wrong)) {
        assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
            .hasCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
      }
      // A plain-text client gets no answer: the listener closes its connections.
      try (Admin admin = admin(broker)) {
        assertThatThrownBy(
                () ->
                    admin.describeCluster(
                            new org.apache.kafka.clients.admin.DescribeClusterOptions()
                                .timeoutMs(2_000))
                        .clusterId()
                        .get(30, TimeUnit.SECONDS))
            .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
      }
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void saslScramListenerAdmitsTheUsersFormattedIntoTheMetadata(@TempDir Path dataDir) throws Exception {
    EmbeddedKafkaBroker.ClientSecurity security =
        EmbeddedKafkaBroker.ClientSecurity.saslScramSha256(
            Map.of("broker", "broker-secret", "alice", "alice-secret"), "broker");
    assertThat(security.toString()).doesNotContain("secret");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0, Map.of(), security)) {
      assertThat(broker.clientProperties()).containsEntry("sasl.mechanism", "SCRAM-SHA-256");
      Map<String, Object> alice = new java.util.HashMap<>(
          EmbeddedKafkaBroker.ClientSecurity.saslScramSha256Client("alice", "alice-secret"));
      alice.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
      try (Admin admin = Admin.create(alice)) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all()
            .get(30, TimeUnit.SECONDS);
      }
      Map<String, Object> wrong = new java.util.HashMap<>(
          EmbeddedKafkaBroker.ClientSecurity.saslScramSha256Client("alice", "not-her-secret"));
      wrong.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
      try (Admin admin = Admin.create(wrong)) {
        assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
            .hasCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
      }
    }
  }

  @Test
  void clientSecurityRejectsBadValues() {
    assertThatThrownBy(
            () -> new EmbeddedKafkaBroker.ClientSecurity("TLS", Map.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("protocol must be one of");
    assertThatThrownBy(
            () ->
                EmbeddedKafkaBroker.ClientSecurity.saslPlain(Map.of("alice", "a"), "broker"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("brokerUser broker must be one of the users [alice]");
    assertThatThrownBy(
            () -> EmbeddedKafkaBroker.ClientSecurity.saslPlainClient("alice", "quo\"te"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("password of alice must not hold quotes");
    assertThatThrownBy(
            () ->
                EmbeddedKafkaBroker.ClientSecurity.saslScramSha256(
                    Map.of("broker", "a,b"), "broker"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not hold ','");
    assertThatThrownBy(
            () ->
                new EmbeddedKafkaBroker.ClientSecurity(
                    "SSL", Map.of(), Map.of("bootstrap.servers", "x:1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bootstrap.servers");
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(
      EmbeddedKafkaBroker broker, int expected) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      TopicPartition tp = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (records.size() < expected && System.nanoTime() - deadlineNs < 0) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  private static int freePortOtherThan(int port) throws java.io.IOException {
    while (true) {
      try (java.net.ServerSocket probe =
          new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
        if (probe.getLocalPort() != port) {
          return probe.getLocalPort();
        }
      }
    }
  }

  private static Admin admin(EmbeddedKafkaBroker broker) {
    return Admin.create(
        Map.<String, Object>of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker broker) {
    return new KafkaProducer<>(
        Map.<String, Object>of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
