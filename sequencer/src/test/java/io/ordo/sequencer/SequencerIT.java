package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Operation;
import io.ordo.proto.Put;
import io.ordo.proto.Transaction;
import io.ordo.proto.Value;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The sequencer, topic setup and heartbeats against a real embedded broker. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SequencerIT {
  private static final Duration ENSURE_TIMEOUT = Duration.ofSeconds(30);

  @TempDir static Path dataDir;
  static EmbeddedKafkaBroker broker;
  static Admin admin;

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedKafkaBroker.start(dataDir, 0);
    admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  @AfterAll
  static void stopBroker() {
    if (admin != null) {
      admin.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aSingleBrokersTopicIsNotReplicatedSoIdleConsumersKeepTheirLongFetchWait() {
    TopicLayout layout = TopicLayout.withPrefix("replication");
    LogTopics.ensure(broker.bootstrapServers(), layout, ENSURE_TIMEOUT);
    KafkaClientSettings kafka = KafkaClientSettings.of(broker.bootstrapServers());

    assertThat(KafkaClientTimeouts.replicatedOrUnknown(kafka, layout.resultsTopic(), Duration.ofSeconds(10))).isFalse();
    // A topic that does not exist: unknown, so the failover tuning.
    assertThat(KafkaClientTimeouts.replicatedOrUnknown(kafka, "replication-missing", Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void requireExistingNamesEveryMissingTopicAndPassesOnceTheyExist() {
    TopicLayout layout = TopicLayout.withPrefix("required").withLogPartitions(2);
    assertThatThrownBy(() -> LogTopics.requireExisting(broker.bootstrapServers(), layout, ENSURE_TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("[required-log, required-results, required-changelog, required-feedback]")
        .hasMessageContaining("--create-topics");

    LogTopics.ensure(broker.bootstrapServers(), layout, ENSURE_TIMEOUT);
    LogTopics.requireExisting(broker.bootstrapServers(), layout, ENSURE_TIMEOUT);
  }

  @Test
  void ensureCreatesTopicsIdempotentlyWithTheRightConfigs() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("ensure").withLogPartitions(3);
    LogTopics.ensure(broker.bootstrapServers(), layout, ENSURE_TIMEOUT);
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);

    Map<String, Integer> partitions = new TreeMap<>();
    admin
        .describeTopics(
            List.of(
                layout.logTopic(), layout.resultsTopic(), layout.changelogTopic(),
                layout.feedbackTopic()))
        .allTopicNames()
        .get(10, TimeUnit.SECONDS)
        .forEach((name, d) -> partitions.put(name, d.partitions().size()));
    assertThat(partitions)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("ensure-log", 3, "ensure-results", 4, "ensure-changelog", 4,
                "ensure-feedback", 4));

    Config log = topicConfig(layout.logTopic());
    assertThat(log.get("message.timestamp.type").value()).isEqualTo("LogAppendTime");
    assertThat(log.get("retention.ms").value()).isEqualTo("-1");
    // The changelog carries stream data that gateways materialize from the beginning.
    assertThat(topicConfig(layout.changelogTopic()).get("retention.ms").value()).isEqualTo("-1");
    assertThat(topicConfig(layout.resultsTopic()).get("retention.ms").value()).isNotEqualTo("-1");
    // A restored job needs every write result written after its checkpoint.
    Config feedback = topicConfig(layout.feedbackTopic());
    assertThat(feedback.get("retention.ms").value()).isEqualTo("-1");
    assertThat(feedback.get("retention.bytes").value()).isEqualTo("-1");
    assertThat(feedback.get("cleanup.policy").value()).isEqualTo("delete");
    for (String topic : partitions.keySet()) {
      assertThat(topicConfig(topic).get("max.message.bytes").value())
          .as(topic)
          .isEqualTo(Integer.toString(LogTopics.MESSAGE_BYTES_MAX));
    }
    assertThat(topicConfig(layout.resultsTopic()).get("message.timestamp.type").value())
        .isEqualTo("CreateTime");
  }

  @Test
  void concurrentEnsureCallsAllSucceed() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("race");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(
            pool.submit(() -> LogTopics.ensure(broker.bootstrapServers(), layout, ENSURE_TIMEOUT)));
      }
      for (Future<?> call : calls) {
        call.get(40, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
        .contains("race-log", "race-results", "race-changelog", "race-feedback");
  }

  @Test
  void appendedTransactionsComeBackKeyedByIdInTheirPartition() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("append");
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    Map<String, AppendAck> positionsByOffsetKey = new HashMap<>();
    List<Transaction> sent = new ArrayList<>();
    try (Sequencer sequencer = new Sequencer(broker.bootstrapServers(), layout)) {
      List<CompletableFuture<AppendAck>> futures = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        // Every id twice: the second copy must land in the same partition as the first.
        Transaction txn = transaction("txn-" + (i % 20), "k" + i, "v" + i);
        sent.add(txn);
        futures.add(sequencer.append(txn));
      }
      for (int i = 0; i < futures.size(); i++) {
        AppendAck position = futures.get(i).get(30, TimeUnit.SECONDS);
        assertThat(position.partition()).isEqualTo(sequencer.partitionFor(sent.get(i).getId()));
        assertThat(position.brokerTimestampMs()).isPositive();
        positionsByOffsetKey.put(position.partition() + "@" + position.offset(), position);
      }
      assertThat(positionsByOffsetKey).hasSize(40);

      List<ConsumerRecord<byte[], byte[]>> records =
          readUntil(layout, r -> true, 40, Duration.ofSeconds(30));
      assertThat(records).hasSize(40);
      Map<String, Integer> partitionOfId = new HashMap<>();
      List<Transaction> received = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> record : records) {
        String id = new String(record.key(), StandardCharsets.UTF_8);
        LogEntry entry = LogEntry.parseFrom(record.value());
        assertThat(entry.hasTransaction()).isTrue();
        assertThat(entry.getTransaction().getId()).isEqualTo(id);
        assertThat(record.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(record.partition()).isEqualTo(sequencer.partitionFor(id));
        Integer previous = partitionOfId.putIfAbsent(id, record.partition());
        assertThat(previous == null || previous == record.partition()).isTrue();
        AppendAck position = positionsByOffsetKey.get(record.partition() + "@" + record.offset());
        assertThat(position).isNotNull();
        assertThat(position.brokerTimestampMs()).isEqualTo(record.timestamp());
        received.add(entry.getTransaction());
      }
      assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
      // 20 ids over 4 partitions: more than one partition is used.
      assertThat(partitionOfId.values().stream().distinct().count()).isGreaterThan(1);
    }
  }

  @Test
  void largeTransactionsFitAndTooLargeOnesFailTheFuture() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("large");
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    try (Sequencer sequencer = new Sequencer(broker.bootstrapServers(), layout)) {
      // 4 MiB: above Kafka's 1 MiB defaults, below the 16 MiB limit.
      Transaction big = transaction("big", "blob", "x".repeat(4 * 1024 * 1024));
      AppendAck position = sequencer.append(big).get(30, TimeUnit.SECONDS);
      assertThat(position.partition()).isEqualTo(sequencer.partitionFor("big"));

      Transaction tooBig = transaction("too-big", "blob", "x".repeat(17 * 1024 * 1024));
      CompletableFuture<AppendAck> failed = sequencer.append(tooBig);
      assertThatThrownBy(() -> failed.get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
    }
  }

  @Test
  void appendRawWritesArbitraryBytesToTheGivenPartition() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("raw");
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    byte[] garbage = {(byte) 0xff, 0x00, 0x13, 0x37};
    try (Sequencer sequencer = new Sequencer(broker.bootstrapServers(), layout)) {
      AppendAck position =
          sequencer.appendRaw(2, "bad".getBytes(StandardCharsets.UTF_8), garbage)
              .get(30, TimeUnit.SECONDS);
      assertThat(position.partition()).isEqualTo(2);
    }
    List<ConsumerRecord<byte[], byte[]>> records =
        readUntil(layout, r -> true, 1, Duration.ofSeconds(30));
    assertThat(records).hasSize(1);
    assertThat(records.get(0).partition()).isEqualTo(2);
    assertThat(records.get(0).value()).isEqualTo(garbage);
  }

  @Test
  void heartbeatsReachEveryPartition() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("hb").withLogPartitions(5);
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    try (Sequencer sequencer = new Sequencer(broker.bootstrapServers(), layout);
        HeartbeatService heartbeats =
            new HeartbeatService(sequencer, HeartbeatService.DEFAULT_INTERVAL_MS, "test-node")) {
      heartbeats.start();
      assertThatThrownBy(heartbeats::start).isInstanceOf(IllegalStateException.class);
      // Read until each of the 5 partitions has shown a heartbeat from this origin.
      Map<Integer, Long> heartbeatsPerPartition = new TreeMap<>();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      try (KafkaConsumer<byte[], byte[]> consumer = consumer(layout)) {
        while (heartbeatsPerPartition.size() < 5 && System.nanoTime() - deadlineNs < 0) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
            LogEntry entry = LogEntry.parseFrom(record.value());
            assertThat(entry.hasHeartbeat()).isTrue();
            assertThat(record.key()).isNull();
            assertThat(entry.getHeartbeat().getOrigin()).isEqualTo("test-node");
            heartbeatsPerPartition.merge(record.partition(), 1L, Long::sum);
          }
        }
      }
      assertThat(heartbeatsPerPartition.keySet()).containsExactly(0, 1, 2, 3, 4);
      assertThat(heartbeats.sentCount()).isGreaterThanOrEqualTo(5);
      assertThat(heartbeats.failedCount()).isZero();
    }
  }

  @Test
  void quietHeartbeatsCloseEachTransactionsTimestampOnEveryPartitionAndThenStop() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("hbquiet").withLogPartitions(4);
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    try (Sequencer sequencer = new Sequencer(broker.bootstrapServers(), layout);
        HeartbeatService heartbeats = new HeartbeatService(sequencer, 2, "quiet-node", 1_000)) {
      heartbeats.start();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      // At the start: rounds until every partition acknowledged one heartbeat, then quiet.
      while (!heartbeats.isQuiet() && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(5);
      }
      assertThat(heartbeats.isQuiet()).isTrue();
      assertThat(sequencer.coverage().covered()).isTrue();
      // Heartbeats of the last rounds may still be acknowledged after the service went quiet.
      Thread.sleep(200);
      long sentAtStart = heartbeats.sentCount();
      assertThat(sentAtStart).isGreaterThanOrEqualTo(4);
      Thread.sleep(200);
      assertThat(heartbeats.sentCount()).as("nothing while idle").isEqualTo(sentAtStart);

      for (int i = 0; i < 3; i++) {
        // Read before the append: the service may go quiet again before get() returns.
        long quietBefore = heartbeats.quietPeriodCount();
        AppendAck txn =
            sequencer
                .append(Transaction.newBuilder().setId("quiet-" + i).build())
                .get(30, TimeUnit.SECONDS);
        while (heartbeats.quietPeriodCount() == quietBefore && System.nanoTime() - deadlineNs < 0) {
          Thread.sleep(2);
        }
        assertThat(sequencer.coverage().covered()).isTrue();
        // Every partition holds a heartbeat stamped after the transaction.
        List<ConsumerRecord<byte[], byte[]>> later =
            readUntil(
                layout,
                r -> r.key() == null && r.timestamp() > txn.brokerTimestampMs(),
                Integer.MAX_VALUE,
                Duration.ofSeconds(2));
        assertThat(later.stream().map(ConsumerRecord::partition).distinct().sorted().toList())
            .containsExactly(0, 1, 2, 3);
      }
      // A few rounds per transaction, not a second's worth (500 rounds x 4 partitions).
      Thread.sleep(200);
      long perTxn = (heartbeats.sentCount() - sentAtStart) / 3;
      assertThat(perTxn).isLessThan(100);
      long sentIdle = heartbeats.sentCount();
      Thread.sleep(300);
      assertThat(heartbeats.sentCount()).isEqualTo(sentIdle);
      assertThat(heartbeats.failedCount()).isZero();
    }
  }

  @Test
  void aLoneTransactionIsClosedByOneRoundOfOneHeartbeatPerPartitionAfterItsAcknowledgement() throws Exception {
    // A 50 ms interval: the round that closes the transaction is the one sent once its
    // acknowledgement is in and the clock passed its stamp, not a fixed-interval round before
    // that (stamped in the same millisecond, closing nothing) or after it.
    TopicLayout layout = TopicLayout.withPrefix("hbaligned").withLogPartitions(4);
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    try (Sequencer sequencer = new Sequencer(broker.bootstrapServers(), layout);
        HeartbeatService heartbeats = new HeartbeatService(sequencer, 50, "aligned-node", 1_000)) {
      heartbeats.start();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!heartbeats.isQuiet() && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(5);
      }
      assertThat(heartbeats.isQuiet()).isTrue();
      Thread.sleep(200);
      for (int i = 0; i < 3; i++) {
        long sentBefore = heartbeats.sentCount();
        long quietBefore = heartbeats.quietPeriodCount();
        AppendAck txn =
            sequencer
                .append(Transaction.newBuilder().setId("aligned-" + i).build())
                .get(30, TimeUnit.SECONDS);
        while (heartbeats.quietPeriodCount() == quietBefore && System.nanoTime() - deadlineNs < 0) {
          Thread.sleep(2);
        }
        assertThat(sequencer.coverage().covered()).isTrue();
        Thread.sleep(200); // the last acknowledgements
        // One heartbeat per partition, the transaction's own included, each stamped after it.
        assertThat(heartbeats.sentCount() - sentBefore).as("heartbeats for transaction %d", i).isEqualTo(4);
        List<ConsumerRecord<byte[], byte[]>> later =
            readUntil(
                layout,
                r -> r.key() == null && r.timestamp() > txn.brokerTimestampMs(),
                Integer.MAX_VALUE,
                Duration.ofSeconds(2));
        assertThat(later.stream().map(ConsumerRecord::partition).distinct().sorted().toList())
            .containsExactly(0, 1, 2, 3);
      }
      assertThat(heartbeats.failedCount()).isZero();
    }
  }

  @Test
  void heartbeatServiceSurvivesAClosedSequencer() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("hbclosed").withLogPartitions(2);
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    Sequencer sequencer = new Sequencer(broker.bootstrapServers(), layout);
    try (HeartbeatService heartbeats = new HeartbeatService(sequencer, 5, "closing")) {
      heartbeats.start();
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (heartbeats.sentCount() < 2 && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(10);
      }
      assertThat(heartbeats.sentCount()).isGreaterThanOrEqualTo(2);
      sequencer.close();
      while (heartbeats.failedCount() < 4 && System.nanoTime() - deadlineNs < 0) {
        Thread.sleep(10);
      }
      // Sends now fail, the thread keeps going (more failures keep arriving).
      assertThat(heartbeats.failedCount()).isGreaterThanOrEqualTo(4);
    }
  }

  @Test
  void aFeedbackTopicThatDeletesRecordsIsRefusedByTheJobsCheckAndFixedByEnsure() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("finitefb").withLogPartitions(2);
    // As created before the feedback topic kept its records: the broker's 7-day default retention.
    admin
        .createTopics(List.of(new NewTopic(layout.feedbackTopic(), layout.outputPartitions(), (short) 1)
            .configs(Map.of("retention.bytes", "1048576"))))
        .all()
        .get(10, TimeUnit.SECONDS);
    for (String topic : List.of(layout.logTopic(), layout.resultsTopic(), layout.changelogTopic())) {
      admin.createTopics(List.of(LogTopics.newTopics(layout).get(topic))).all().get(10, TimeUnit.SECONDS);
    }
    // Created is not yet listed by every client: wait until the check below sees all four.
    long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!admin.listTopics().names().get(10, TimeUnit.SECONDS).containsAll(LogTopics.newTopics(layout).keySet())
        && System.nanoTime() - deadlineNs < 0) {
      Thread.sleep(20);
    }
    assertThatThrownBy(() -> LogTopics.requireExisting(broker.bootstrapServers(), layout, ENSURE_TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Feedback topic finitefb-feedback")
        .hasMessageContaining("retention.ms=604800000")
        .hasMessageContaining("retention.bytes=1048576")
        .hasMessageContaining(
            "kafka-configs.sh --bootstrap-server " + broker.bootstrapServers()
                + " --alter --entity-type topics --entity-name finitefb-feedback"
                + " --add-config retention.ms=-1,retention.bytes=-1,cleanup.policy=delete");
    assertThatThrownBy(() -> LogTopics.requireFeedbackRetention(broker.bootstrapServers(), layout, ENSURE_TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("finitefb-feedback");

    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    Config feedback = topicConfig(layout.feedbackTopic());
    assertThat(feedback.get("retention.ms").value()).isEqualTo("-1");
    assertThat(feedback.get("retention.bytes").value()).isEqualTo("-1");
    LogTopics.requireExisting(broker.bootstrapServers(), layout, ENSURE_TIMEOUT);
    LogTopics.requireFeedbackRetention(broker.bootstrapServers(), layout, ENSURE_TIMEOUT);
  }

  @Test
  void aCompactedFeedbackTopicIsRefused() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("compactfb");
    LogTopics.ensure(admin, layout, ENSURE_TIMEOUT);
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, layout.feedbackTopic());
    admin
        .incrementalAlterConfigs(Map.of(resource, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
            new org.apache.kafka.clients.admin.ConfigEntry("cleanup.policy", "compact"),
            org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
        .all()
        .get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> LogTopics.requireFeedbackRetention(broker.bootstrapServers(), layout, ENSURE_TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cleanup.policy=compact");
  }

  @Test
  void ensureRejectsALogTopicWithCreateTime() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("createtime");
    admin
        .createTopics(
            List.of(
                new NewTopic(layout.logTopic(), layout.logPartitions(), (short) 1)
                    .configs(Map.of("message.timestamp.type", "CreateTime"))))
        .all()
        .get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> LogTopics.ensure(admin, layout, ENSURE_TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("createtime-log")
        .hasMessageContaining("message.timestamp.type=CreateTime")
        .hasMessageContaining("LogAppendTime");
  }

  @Test
  void ensureRejectsALogTopicWithTheWrongPartitionCount() throws Exception {
    TopicLayout layout = TopicLayout.withPrefix("wrongcount");
    admin
        .createTopics(
            List.of(
                new NewTopic(layout.logTopic(), 2, (short) 1)
                    .configs(Map.of("message.timestamp.type", "LogAppendTime"))))
        .all()
        .get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> LogTopics.ensure(admin, layout, ENSURE_TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("wrongcount-log")
        .hasMessageContaining("has 2 partitions")
        .hasMessageContaining("expects 4");
    // With the matching count it is accepted.
    LogTopics.ensure(admin, layout.withLogPartitions(2), ENSURE_TIMEOUT);
  }

  @Test
  void ensureRejectsAnImpossibleReplicationFactor() {
    TopicLayout layout = TopicLayout.withPrefix("rf3").withReplicationFactor((short) 3);
    assertThatThrownBy(() -> LogTopics.ensure(admin, layout, ENSURE_TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rf3-log");
  }

  private static Config topicConfig(String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
  }

  private static Transaction transaction(String id, String key, String value) {
    return Transaction.newBuilder()
        .setId(id)
        .addOps(
            Operation.newBuilder()
                .setKey(key)
                .setPut(
                    Put.newBuilder()
                        .setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8(value)))))
        .build();
  }

  private static KafkaConsumer<byte[], byte[]> consumer(TopicLayout layout) {
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, LogTopics.MESSAGE_BYTES_MAX));
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < layout.logPartitions(); p++) {
      partitions.add(new TopicPartition(layout.logTopic(), p));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  private static List<ConsumerRecord<byte[], byte[]>> readUntil(
      TopicLayout layout, Predicate<ConsumerRecord<byte[], byte[]>> filter, int count,
      Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(layout)) {
      while (records.size() < count && System.nanoTime() - deadlineNs < 0) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (filter.test(record)) {
            records.add(record);
          }
        }
      }
      // One more short poll: catches records beyond the expected count (which would be a bug).
      consumer.poll(Duration.ofMillis(200)).forEach(r -> {
        if (filter.test(r)) {
          records.add(r);
        }
      });
    }
    return records;
  }

  @Test
  void ensureSaysWhenTheClusterRefusesOrIgnoresTheClientsSecurity(@TempDir Path saslDir) {
    Map<String, String> users = Map.of("broker", "broker-pw", "ordo", "ordo-pw");
    try (EmbeddedKafkaBroker sasl =
        EmbeddedKafkaBroker.start(
            saslDir, 0, Map.of(), EmbeddedKafkaBroker.ClientSecurity.saslPlain(users, "broker"))) {
      TopicLayout layout = TopicLayout.withPrefix("secured");
      Duration shortTimeout = Duration.ofSeconds(3);
      KafkaClientSettings wrong =
          new KafkaClientSettings(
              sasl.bootstrapServers(),
              EmbeddedKafkaBroker.ClientSecurity.saslPlainClient("ordo", "wrong-pw"));
      assertThatThrownBy(() -> LogTopics.ensure(wrong, layout, shortTimeout))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("Kafka at " + sasl.bootstrapServers() + " refused the authentication")
          .hasMessageContaining("sasl.jaas.config=[hidden]")
          .hasMessageNotContaining("wrong-pw");
      assertThatThrownBy(
              () -> LogTopics.requireExisting(KafkaClientSettings.of(sasl.bootstrapServers()), layout, shortTimeout))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("did not answer within 3000 ms")
          .hasMessageContaining("no client properties (security.protocol=PLAINTEXT, no authentication)");

      KafkaClientSettings right =
          new KafkaClientSettings(
              sasl.bootstrapServers(),
              EmbeddedKafkaBroker.ClientSecurity.saslPlainClient("ordo", "ordo-pw"));
      LogTopics.ensure(right, layout, ENSURE_TIMEOUT);
      LogTopics.requireExisting(right, layout, ENSURE_TIMEOUT);
      try (Sequencer sequencer = new Sequencer(right, layout)) {
        assertThat(sequencer.append(transaction("secured-1", "k", "v")).join().offset()).isNotNegative();
      }
    }
  }
}
