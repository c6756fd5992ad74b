package io.ordo.gateway.core;

import io.ordo.sequencer.KafkaClientSettings;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Reads offsets from Kafka for the lag gauges: the end offsets of a topic's partitions and a
 * consumer group's committed offsets. One admin client, created on first use (a gateway nobody
 * scrapes opens none) and closed with the gateway; every call waits at most {@value #CALL_TIMEOUT_MS}
 * ms. Reads only: nothing is written to Kafka. Thread-safe.
 */
public final class KafkaOffsets implements AutoCloseable {
  /** Longest wait for one admin call, in milliseconds. */
  public static final long CALL_TIMEOUT_MS = 5_000;

  private final KafkaClientSettings kafka;
  private Admin admin; // guarded by this
  private boolean closed; // guarded by this

  /** Offsets of the plain-text cluster at {@code bootstrapServers}. */
  public KafkaOffsets(String bootstrapServers) {
    this(KafkaClientSettings.of(Objects.requireNonNull(bootstrapServers, "bootstrapServers")));
  }

  /** Offsets of the cluster {@code kafka} describes (servers and client properties). */
  public KafkaOffsets(KafkaClientSettings kafka) {
    this.kafka = Objects.requireNonNull(kafka, "kafka");
  }

  /**
   * The end offset (the offset the next record will get) of every partition of {@code topics};
   * a topic that does not exist has none.
   *
   * @throws KafkaOffsetsException if Kafka does not answer within the timeout or fails
   */
  public Map<TopicPartition, Long> endOffsets(Collection<String> topics) {
    return offsets(topics, OffsetSpec.latest());
  }

  /** The earliest offset held of every partition of {@code topics} (see {@link #endOffsets}). */
  public Map<TopicPartition, Long> earliestOffsets(Collection<String> topics) {
    return offsets(topics, OffsetSpec.earliest());
  }

  /** The offsets {@code group} committed, by partition (partitions without one are missing). */
  public Map<TopicPartition, Long> committedOffsets(String group) {
    Map<TopicPartition, OffsetAndMetadata> all =
        await(admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
    Map<TopicPartition, Long> out = new HashMap<>();
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : all.entrySet()) {
      if (e.getValue() != null) {
        out.put(e.getKey(), e.getValue().offset());
      }
    }
    return out;
  }

  /**
   * Records behind over the partitions of {@code ends} that belong to {@code topic}: per
   * partition, the end minus the position ({@code positions}, or {@code starts} where a partition
   * has none, or 0), never below 0; summed.
   */
  public static long lag(
      String topic,
      Map<TopicPartition, Long> ends,
      Map<TopicPartition, Long> positions,
      Map<TopicPartition, Long> starts) {
    long total = 0;
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (!end.getKey().topic().equals(topic)) {
        continue;
      }
      Long position = positions.get(end.getKey());
      if (position == null) {
        position = starts.getOrDefault(end.getKey(), 0L);
      }
      total += Math.max(0, end.getValue() - position);
    }
    return total;
  }

  private Map<TopicPartition, Long> offsets(Collection<String> topics, OffsetSpec spec) {
    if (topics.isEmpty()) {
      return Map.of();
    }
    Admin a = admin();
    Map<String, KafkaFuture<TopicDescription>> described =
        a.describeTopics(List.copyOf(topics)).topicNameValues();
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (Map.Entry<String, KafkaFuture<TopicDescription>> e : described.entrySet()) {
      TopicDescription description;
      try {
        description = await(e.getValue());
      } catch (KafkaOffsetsException missing) {
        if (missing.getCause() instanceof UnknownTopicOrPartitionException) {
          continue;
        }
        throw missing;
      }
      description
          .partitions()
          .forEach(p -> request.put(new TopicPartition(e.getKey(), p.partition()), spec));
    }
    if (request.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> infos =
        await(a.listOffsets(request).all());
    Map<TopicPartition, Long> out = new HashMap<>();
    for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : infos.entrySet()) {
      out.put(e.getKey(), e.getValue().offset());
    }
    return out;
  }

  private synchronized Admin admin() {
    if (closed) {
      throw new KafkaOffsetsException("closed", null);
    }
    if (admin == null) {
      Map<String, Object> config = new java.util.HashMap<>();
      config.put(AdminClientConfig.CLIENT_ID_CONFIG, "ordo-gateway-metrics");
      config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT_MS);
      config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT_MS);
      admin = Admin.create(kafka.apply(config));
    }
    return admin;
  }

  private static <T> T await(KafkaFuture<T> future) {
    try {
      return future.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaOffsetsException("interrupted", e);
    } catch (ExecutionException e) {
      throw new KafkaOffsetsException(String.valueOf(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaOffsetsException("no answer within " + CALL_TIMEOUT_MS + " ms", e);
    }
  }

  @Override
  public void close() {
    Admin a;
    synchronized (this) {
      closed = true;
      a = admin;
      admin = null;
    }
    if (a != null) {
      a.close(Duration.ofMillis(CALL_TIMEOUT_MS));
    }
  }

  /** Kafka did not answer in time, or failed. */
  public static final class KafkaOffsetsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaOffsetsException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
