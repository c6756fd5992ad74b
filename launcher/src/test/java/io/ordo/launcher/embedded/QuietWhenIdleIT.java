package io.ordo.launcher.embedded;

import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlStatement;
import java.util.List;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.gateway.GatewayServer;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.proto.AckRequest;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.FetchRequest;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.SubscriptionsGrpc;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ARCHITECTURE.md's promise that an idle Ordo writes nothing to the log: an embedded Ordo with a
 * stream, a subscription (fetched and acked once, then without consumers), the stream's
 * ingest bridge (one record ingested) and a materialized view (its job running) is left alone for 30 s; after the first 5 s the log's end
 * offsets must not move and no heartbeat may be sent. A transaction afterwards still commits,
 * and the log goes quiet again after it.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class QuietWhenIdleIT {
  private static final long CALL_TIMEOUT_MS = 60_000;
  private static final long IDLE_MS = 30_000;
  private static final long SETTLE_MS = 5_000;
  private static final String STREAM = "idle-orders";
  private static final String SUBSCRIPTION = "idle-sub";

  @TempDir Path dir;

  @Test
  void anIdleOrdoAppendsNothingToTheLogAndStillRunsTheNextTransaction() throws Exception {
    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(EmbeddedOrdo.Options.defaults(dir).withFreePorts());
        Admin admin =
            Admin.create(
                Map.<String, Object>of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ordo.bootstrapServers()))) {
      ordo.awaitServing(Duration.ofSeconds(90));
      ManagedChannel channel =
          ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
      try {
        useEverything(ordo, admin, channel);

        // Idle: after SETTLE_MS nothing may reach the log, checked every second.
        Thread.sleep(SETTLE_MS);
        Map<Integer, Long> quiet = logEndOffsets(ordo, admin);
        double heartbeatsQuiet = heartbeatsSent(ordo);
        Optional<Path> checkpointQuiet = EmbeddedExecutor.latestCheckpoint(ordo.checkpointDir());
        assertThat(checkpointQuiet).as("a checkpoint covers what ran before the idle period").isPresent();
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_MS - SETTLE_MS);
        while (System.nanoTime() - deadlineNs < 0) {
          Thread.sleep(1_000);
          assertThat(logEndOffsets(ordo, admin)).as("log end offsets while idle").isEqualTo(quiet);
        }
        assertThat(heartbeatsSent(ordo)).as("heartbeats sent while idle").isEqualTo(heartbeatsQuiet);
        assertThat(EmbeddedExecutor.latestCheckpoint(ordo.checkpointDir()))
            .as("no checkpoint of an idle job")
            .isEqualTo(checkpointQuiet);
        assertThat(ordo.awaitServing(Duration.ofSeconds(10)).getDetail()).contains("now quiet");

        // The next transaction wakes the heartbeats and completes.
        TxnResponse response =
            OrdoGrpc.newBlockingStub(channel)
                .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .txn(
                    TxnRequest.newBuilder()
                        .addOps(
                            Operation.newBuilder()
                                .setKey("after-idle")
                                .setIncrement(Increment.newBuilder().setDelta(1)))
                        .build());
        assertThat(response.getResult().getOutcome()).isEqualTo(Outcome.COMMITTED);
        assertThat(heartbeatsSent(ordo)).isGreaterThan(heartbeatsQuiet);

        // ... and the log goes quiet again soon after it.
        Map<Integer, Long> before = logEndOffsets(ordo, admin);
        long againNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
          Thread.sleep(1_000);
          Map<Integer, Long> now = logEndOffsets(ordo, admin);
          if (now.equals(before)) {
            break;
          }
          assertThat(System.nanoTime() - againNs).as("the log goes quiet after a transaction").isNegative();
          before = now;
        }
        // ... and the job checkpoints what the transaction changed.
        long checkpointedNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (EmbeddedExecutor.latestCheckpoint(ordo.checkpointDir()).equals(checkpointQuiet)) {
          assertThat(System.nanoTime() - checkpointedNs).as("a checkpoint after the transaction").isNegative();
          Thread.sleep(200);
        }
      } finally {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * A stream, a record through its ingest bridge, a subscription fetched and acked, and a
   * materialized view whose job has written its row (and keeps running, and checkpointing, while
   * Ordo is idle).
   */
  private static void useEverything(EmbeddedOrdo ordo, Admin admin, ManagedChannel channel)
      throws Exception {
    try (SqlSession sql = ordo.sqlEngine().openSession("idle", "ordo")) {
      for (String statement : List.of(
          "CREATE TABLE idle_orders (id INT PRIMARY KEY, region TEXT)",
          "INSERT INTO idle_orders VALUES (1, 'eu')",
          "CREATE MATERIALIZED VIEW idle_counts AS SELECT region, count(*) AS n FROM idle_orders"
              + " GROUP BY region")) {
        for (SqlStatement st : sql.prepare(statement, List.of())) {
          st.execute(List.of());
        }
      }
      long viewNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (sql.prepare("SELECT * FROM idle_counts", List.of()).get(0).execute(List.of())
          .rows().isEmpty()) {
        assertThat(System.nanoTime() - viewNs).as("the view's first row").isNegative();
        Thread.sleep(200);
      }
    }
    StreamsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .createStream(CreateStreamRequest.newBuilder().setName(STREAM).setShardCount(2).build());
    SubscriptionsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .createSubscription(
            CreateSubscriptionRequest.newBuilder().setId(SUBSCRIPTION).setStream(STREAM).build());

    // The gateway's bridge creates the ingest topic; a stock producer writes one record to it.
    String topic = IngestTopics.topic(ordo.topics(), STREAM);
    long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
      assertThat(System.nanoTime() - deadlineNs).as("the bridge creates " + topic).isNegative();
      Thread.sleep(100);
    }
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ordo.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  "k".getBytes(StandardCharsets.UTF_8),
                  "ingested".getBytes(StandardCharsets.UTF_8)))
          .get(30, TimeUnit.SECONDS);
    }

    // The subscription delivers it (so the bridge appended it), then it is acked; the consumer
    // is gone afterwards.
    Iterator<StreamingFetchResponse> fetched =
        SubscriptionsGrpc.newBlockingStub(channel)
            .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .fetch(
                FetchRequest.newBuilder()
                    .setSubscriptionId(SUBSCRIPTION)
                    .setConsumerName("idle-it")
                    .setMaxRecords(1)
                    .build());
    List<ReceivedRecord> got = new ArrayList<>();
    fetched.forEachRemaining(r -> got.addAll(r.getRecordsList()));
    assertThat(got).hasSize(1);
    assertThat(got.get(0).getRecord().getRaw()).isEqualTo(ByteString.copyFromUtf8("ingested"));
    SubscriptionsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .ack(AckRequest.newBuilder().setSubscriptionId(SUBSCRIPTION).addAcks(got.get(0).getId()).build());
  }

  private static Map<Integer, Long> logEndOffsets(EmbeddedOrdo ordo, Admin admin) throws Exception {
    String log = ordo.topics().logTopic();
    Map<TopicPartition, OffsetSpec> request = new TreeMap<>((a, b) -> a.partition() - b.partition());
    for (int p = 0; p < ordo.topics().logPartitions(); p++) {
      request.put(new TopicPartition(log, p), OffsetSpec.latest());
    }
    Map<Integer, Long> ends = new TreeMap<>();
    admin
        .listOffsets(request)
        .all()
        .get(10, TimeUnit.SECONDS)
        .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
    return ends;
  }

  private static double heartbeatsSent(EmbeddedOrdo ordo) {
    return ordo.gatewayMeters()
        .get(GatewayServer.HEARTBEATS_SENT_METRIC)
        .functionCounter()
        .count();
  }
}
