package io.ordo.launcher.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker.ClientSecurity;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.PutRequest;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.Value;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An embedded Ordo against a secured Kafka: an embedded broker whose client listener takes
 * SASL/PLAIN or SASL/SCRAM-SHA-256 over plain text, or TLS, on 127.0.0.1. With the right client settings a transaction
 * goes through every part (the gateway's producer and consumers, the executor job's Flink sources
 * and sinks, which got the settings through the job graph, and the admin clients), and so does a
 * record a user writes to a stream's ingest topic, read by the gateway's ingest bridge; with a wrong
 * password, or none, Ordo fails at start with a message about authentication, within its topics
 * timeout.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class KafkaSecurityIT {
  private static final String ORDO_PASSWORD = "ordo-secret=with-equals";

  @TempDir Path dir;

  private static ClientSecurity saslPlain() {
    return ClientSecurity.saslPlain(
        Map.of("broker", "broker-secret", "ordo", ORDO_PASSWORD), "broker");
  }

  @Test
  void aTransactionRunsThroughASaslPlainBroker() throws Exception {
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of(), saslPlain())) {
      // Ordo gets its own user's settings through a Kafka client properties file, as the
      // --kafka-config option reads it.
      Path clientFile = dir.resolve("client.properties");
      StringBuilder file = new StringBuilder("# Ordo's user\n");
      ClientSecurity.saslPlainClient("ordo", ORDO_PASSWORD)
          .forEach((k, v) -> file.append(k).append('=').append(v).append('\n'));
      Files.writeString(clientFile, file);
      KafkaClientSettings kafka = KafkaClientSettings.fromFile(broker.bootstrapServers(), clientFile);
      assertThat(kafka.toString()).contains("sasl.jaas.config=[hidden]").doesNotContain(ORDO_PASSWORD);

      try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options(dir.resolve("ordo")).withKafka(kafka))) {
        assertThat(ordo.embeddedKafka()).isFalse();
        assertThat(ordo.kafka()).isEqualTo(kafka);
        ordo.awaitServing(Duration.ofSeconds(120));
        putAndGet(ordo, "sasl-key", "through SASL/PLAIN");
        ingestThroughTheSecuredCluster(ordo, kafka);
        lagGaugesReadTheSecuredCluster(ordo);
      }
    }
  }

  @Test
  void aTransactionRunsThroughASaslScramBroker() throws Exception {
    ClientSecurity scram =
        ClientSecurity.saslScramSha256(Map.of("broker", "broker-secret", "ordo", "ordo-scram-secret"), "broker");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of(), scram)) {
      KafkaClientSettings kafka =
          new KafkaClientSettings(
              broker.bootstrapServers(), ClientSecurity.saslScramSha256Client("ordo", "ordo-scram-secret"));
      try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options(dir.resolve("ordo")).withKafka(kafka))) {
        ordo.awaitServing(Duration.ofSeconds(120));
        putAndGet(ordo, "scram-key", "through SASL/SCRAM-SHA-256");
      }
    }
  }

  @Test
  void aWrongPasswordFailsTheStartNamingAuthentication() throws Exception {
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of(), saslPlain())) {
      KafkaClientSettings wrong =
          new KafkaClientSettings(
              broker.bootstrapServers(), ClientSecurity.saslPlainClient("ordo", "not-the-password"));
      long startNs = System.nanoTime();
      assertThatThrownBy(() -> EmbeddedOrdo.start(options(dir.resolve("ordo")).withKafka(wrong)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("refused the authentication of Ordo's client")
          .hasMessageContaining("Authentication failed")
          .hasMessageContaining("sasl.jaas.config=[hidden]")
          .hasMessageNotContaining("not-the-password");
      // Refused at the first contact, not after a timeout.
      assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(30));
    }
  }

  @Test
  void noCredentialsFailTheFirstContactWithinItsTimeoutNamingAuthentication() throws Exception {
    // EmbeddedOrdo.start makes this same first contact (LogTopics.ensure) with a 60 s timeout; a
    // 5 s one keeps the test short and exercises the same path and message.
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of(), saslPlain())) {
      long startNs = System.nanoTime();
      // A plain-text client: the broker closes its connections, so it never gets an answer.
      assertThatThrownBy(
              () ->
                  LogTopics.ensure(
                      KafkaClientSettings.of(broker.bootstrapServers()),
                      TopicLayout.withPrefix("ordo"),
                      Duration.ofSeconds(5)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("did not answer within 5000 ms")
          .hasMessageContaining("requires authentication or TLS")
          .hasMessageContaining("security.protocol=PLAINTEXT")
          .hasMessageContaining("--kafka-config");
      assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(30));
    }
  }

  @Test
  void aTransactionRunsThroughATlsBroker() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create(dir);
    String password = "store-password";
    Path keyStore = dir.resolve("broker.p12");
    Path trustStore = dir.resolve("trust.p12");
    cert.writeKeyStore(keyStore, password);
    cert.writeTrustStore(trustStore, password);
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(
            dir.resolve("kafka"), 0, Map.of(), ClientSecurity.ssl(keyStore, password, trustStore, password))) {
      assertThat(broker.securityProtocol()).isEqualTo("SSL");
      Map<String, String> client = new TreeMap<>();
      client.put("security.protocol", "SSL");
      client.put("ssl.truststore.type", "PKCS12");
      client.put("ssl.truststore.location", trustStore.toString());
      client.put("ssl.truststore.password", password);
      KafkaClientSettings kafka = new KafkaClientSettings(broker.bootstrapServers(), client);
      try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options(dir.resolve("ordo")).withKafka(kafka))) {
        ordo.awaitServing(Duration.ofSeconds(120));
        putAndGet(ordo, "tls-key", "through TLS");
      }
    }
  }

  /**
   * A record written to a stream's ingest topic by a user of the secured cluster reaches the
   * stream: the gateway's ingest bridge (consumer and admin client) and its store's materializer
   * use the same client settings.
   */
  private static void ingestThroughTheSecuredCluster(EmbeddedOrdo ordo, KafkaClientSettings kafka)
      throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
    try {
      StreamsGrpc.StreamsBlockingStub streams =
          StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
      streams.createStream(CreateStreamRequest.newBuilder().setName("orders").setShardCount(1).build());
      Map<String, Object> producerConfig = kafka.apply(new HashMap<>());
      // The bridge creates the topic; the producer waits for it.
      producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
        producer
            .send(new ProducerRecord<>(IngestTopics.topic(ordo.topics(), "orders"),
                "customer-7".getBytes(StandardCharsets.UTF_8),
                "ingested over SASL".getBytes(StandardCharsets.UTF_8)))
            .get(60, TimeUnit.SECONDS);
      }
      long shard =
          streams.listShards(ListShardsRequest.newBuilder().setStream("orders").build())
              .getShards(0)
              .getId();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      List<String> read = new ArrayList<>();
      while (read.isEmpty() && System.nanoTime() - deadlineNs < 0) {
        StreamsGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .readShard(ReadShardRequest.newBuilder().setStream("orders").setShardId(shard).build())
            .forEachRemaining(
                (ReadResponse r) ->
                    r.getRecordsList().forEach(x -> read.add(x.getRecord().getRaw().toStringUtf8())));
        if (read.isEmpty()) {
          Thread.sleep(200);
        }
      }
      assertThat(read).containsExactly("ingested over SASL");
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * The lag gauges come from the gateway's own admin client (KafkaOffsets): a number, not NaN
   * (what a failed read of the offsets gives).
   */
  private static void lagGaugesReadTheSecuredCluster(EmbeddedOrdo ordo) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ordo.httpPort() + "/metrics"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    List<String> lags =
        metrics.body().lines()
            .filter(l -> l.startsWith("ordo_store_lag_records") || l.startsWith("ordo_ingest_lag_records{"))
            .toList();
    assertThat(lags).as("lag gauges").hasSize(2).noneMatch(l -> l.endsWith("NaN"));
  }

  /** Free ports, parallelism 1, short checkpoints: a small Ordo for one machine's tests. */
  private static EmbeddedOrdo.Options options(Path dataDir) {
    return EmbeddedOrdo.Options.defaults(dataDir)
        .withFreePorts()
        .withExecutor(OptionalInt.empty(), OptionalInt.of(1), OptionalLong.of(500));
  }

  private static void putAndGet(EmbeddedOrdo ordo, String key, String text) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
    try {
      var kv = OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
      Value value = Value.newBuilder().setBytes(ByteString.copyFromUtf8(text)).build();
      kv.put(PutRequest.newBuilder().setKey(key).setValue(value).build());
      GetResponse got = kv.get(GetRequest.newBuilder().setKey(key).build());
      assertThat(got.getFound()).isTrue();
      assertThat(got.getValue().getBytes().toStringUtf8()).isEqualTo(text);
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
