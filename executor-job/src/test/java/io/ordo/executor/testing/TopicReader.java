package io.ordo.executor.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic from its beginning into a list, without a consumer group (partitions are
 * assigned, offsets never committed).
 *
 * <p>Order: records of one partition appear in offset order; partitions interleave as the
 * consumer fetched them. Because every output topic is keyed (results by txn id, changelog by
 * data key), the records of one key are in topic order in the list.
 */
public final class TopicReader {
  /** Upper bound on the records one read collects; a runaway job fails the test instead of the JVM. */
  public static final int RECORDS_MAX = 2_000_000;

  private static final Duration POLL_TIMEOUT = Duration.ofMillis(50);

  private TopicReader() {}

  /**
   * Reads {@code topic} from the beginning until {@code done} holds for everything read so far
   * (tested after each poll that returned records, and once at the start), then returns what was
   * read.
   *
   * @throws AssertionError if {@code done} does not hold within {@code timeout}; the message names
   *     the topic and the number of records read
   * @throws IllegalStateException if more than {@value #RECORDS_MAX} records are read
   */
  public static List<ConsumerRecord<byte[], byte[]>> readUntil(
      String bootstrapServers, String topic, Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = open(bootstrapServers, topic, timeout)) {
      boolean changed = true;
      while (true) {
        if (changed && done.test(Collections.unmodifiableList(records))) {
          return records;
        }
        if (System.nanoTime() - deadlineNs >= 0) {
          throw new AssertionError(
              "condition on topic " + topic + " did not hold within " + timeout.toMillis() + " ms; "
                  + records.size() + " records read");
        }
        changed = pollInto(consumer, records, topic) > 0;
      }
    }
  }

  /**
   * Reads {@code topic} from the beginning up to the end offsets it has when this call starts.
   *
   * @throws AssertionError if the end is not reached within {@code timeout}
   */
  public static List<ConsumerRecord<byte[], byte[]>> readToEnd(String bootstrapServers, String topic, Duration timeout) {
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = open(bootstrapServers, topic, timeout)) {
      Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), timeout);
      while (!reached(consumer, end)) {
        if (System.nanoTime() - deadlineNs >= 0) {
          throw new AssertionError(
              "end of topic " + topic + " " + end + " not reached within " + timeout.toMillis() + " ms; "
                  + records.size() + " records read");
        }
        pollInto(consumer, records, topic);
      }
      return records;
    }
  }

  private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static int pollInto(KafkaConsumer<byte[], byte[]> consumer, List<ConsumerRecord<byte[], byte[]>> into, String topic) {
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL_TIMEOUT)) {
      into.add(r);
      n++;
    }
    if (into.size() > RECORDS_MAX) {
      throw new IllegalStateException("more than " + RECORDS_MAX + " records in topic " + topic);
    }
    return n;
  }

  /**
   * A consumer without a group, assigned every partition of {@code topic} at its beginning.
   *
   * @throws AssertionError if the topic has no partitions (does not exist) within {@code timeout}
   */
  static KafkaConsumer<byte[], byte[]> open(String bootstrapServers, String topic, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
    try {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new AssertionError("topic " + topic + " has no partitions");
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      return consumer;
    } catch (RuntimeException | AssertionError e) {
      consumer.close();
      throw e;
    }
  }

  /** Milliseconds left until {@code deadlineNs} (System.nanoTime based), at least 0. */
  static long remainingMs(long deadlineNs) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()));
  }
}
