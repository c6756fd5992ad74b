package io.ordo.storage;

import io.ordo.proto.ChangelogRecord;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * An embedded Kafka broker with an admin client and a producer, for the materializer ITs: creates
 * changelog topics of {@code partitions} partitions that are ready to take writes, and sends
 * changelog records keyed by their data key, as the executor does. Every wait is bounded by
 * {@code waitMs}.
 */
final class ChangelogTestBed implements AutoCloseable {
  final EmbeddedKafkaBroker broker;
  final Admin admin;
  final KafkaProducer<byte[], byte[]> producer;
  private final int partitions;
  private final long waitMs;

  ChangelogTestBed(Path brokerDir, int partitions, long waitMs) {
    this.partitions = partitions;
    this.waitMs = waitMs;
    broker = EmbeddedKafkaBroker.start(brokerDir, 0);
    admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    producer =
        new KafkaProducer<>(
            Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  /** Creates {@code topic} and waits until every partition has a leader that serves it. */
  void createTopic(String topic) throws Exception {
    admin
        .createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
        .all()
        .get(waitMs, TimeUnit.MILLISECONDS);
    // A new topic's partitions get their leaders a moment after CreateTopics returns; sending
    // before that once left the producer waiting for metadata for the whole test timeout.
    await(() -> {
      try {
        return admin.describeTopics(List.of(topic)).allTopicNames()
            .get(waitMs, TimeUnit.MILLISECONDS).get(topic).partitions().stream()
            .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
      } catch (Exception e) {
        return false;
      }
    }, "leaders of " + topic);
    // The metadata names a leader a moment before it serves the partition; an idempotent
    // producer whose first batch fails there while a later one succeeds is then refused with
    // OUT_OF_ORDER_SEQUENCE_NUMBER until its delivery timeout (seen on a loaded machine). Every
    // leader answering a ListOffsets request closes that window, as LogTopics.ensure does.
    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    await(() -> {
      try {
        admin.listOffsets(ends).all().get(waitMs, TimeUnit.MILLISECONDS);
        return true;
      } catch (Exception e) {
        return false;
      }
    }, "every partition of " + topic + " to serve offsets");
  }

  /**
   * Sends {@code records} keyed by their data key (so each key's versions stay in order) and waits
   * for every acknowledgement: a send that cannot complete fails the test with its cause instead
   * of hanging.
   */
  void send(String topic, List<ChangelogRecord> records) throws Exception {
    List<Future<?>> acks = new ArrayList<>();
    for (ChangelogRecord r : records) {
      acks.add(producer.send(
          new ProducerRecord<>(topic, r.getKey().getBytes(StandardCharsets.UTF_8), r.toByteArray())));
    }
    for (Future<?> ack : acks) {
      ack.get(waitMs, TimeUnit.MILLISECONDS);
    }
  }

  /** Polls {@code condition} every 20 ms; fails naming {@code what} after {@code waitMs}. */
  void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadlineNs > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    producer.close();
    admin.close();
    broker.close();
  }
}
