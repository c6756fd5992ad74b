package io.ordo.gateway.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.gateway.ingest.IngestBatches;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.ConnectorDef;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one Kafka source connector on this gateway: the records of a topic appended to an Ordo
 * stream, exactly once, in each partition's order.
 *
 * <p><b>Exactly once into Ordo.</b> A plain {@link KafkaConsumer} (no consumer group, nothing
 * committed to Kafka; {@code read_committed}, so records of aborted producer transactions never
 * come) is assigned every partition of the topic. The connector's offset key holds, per
 * partition, the offset of the next record to append ({@link KafkaConnectors#offsetValue}). At
 * start the worker reads it through the log and seeks there; a partition it lacks (the first
 * start, or a partition added later) starts at the earliest record, or with {@code
 * start_from='latest'} at the end for the first start, and that start is committed at once so a
 * restart does not move it. The records of each poll (at most {@value #POLL_RECORDS_MAX}, cut
 * further to fit a transaction) become ONE transaction through {@link SourceCommits}: it appends
 * them AND moves the offsets from the value the worker last read or wrote (asserted) to the
 * offsets after them. Records and offsets commit together or not at all; a second worker (a lease
 * taken over early) fails on the assert instead of appending twice.
 *
 * <p><b>Records.</b> Partition key: the Kafka key as UTF-8 (none: empty), or with {@code key} the
 * named field of the JSON value (a string as is, anything else as JSON text); headers are kept.
 * Payload: {@code format='json'}: the value as a JSON document (every value must be JSON; a
 * tombstone is {@code null}); {@code format='bytes'}: the value's bytes ({@code raw}).
 *
 * <p><b>Bad input never passes silently.</b> A value that is not JSON, a {@code key} field that
 * is missing, a record too large for a transaction, or records lost to the topic's retention
 * (the stored offset is out of range) stop the worker in state {@code failed} with the partition
 * and offset in its error; everything before that record is appended, nothing after it.
 *
 * <p>Thread-safe getters; one worker thread owns the consumer.
 */
final class KafkaSourceWorker implements ConnectorManager.Worker {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaSourceWorker.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Most records one poll returns. */
  static final int POLL_RECORDS_MAX = 500;

  /** How long one poll waits for records, in ms (close wakes it at once). */
  static final long POLL_MS = 1_000;

  /** How often the worker looks for partitions added to the topic, in ms. */
  static final long PARTITIONS_EVERY_MS = 10_000;

  /** How long {@link #close} waits for the thread, in ms. */
  static final long CLOSE_TIMEOUT_MS = 15_000;

  private final ConnectorDef def;
  private final Value defValue;
  private final SourceCommits commits;
  private final String topic;
  private final Thread thread;
  private final boolean json;
  private final Optional<String> keyField;

  private volatile ConnectorWorker.State state = ConnectorWorker.State.STARTING;
  private volatile String lastError;
  private volatile Optional<Value> offset = Optional.empty(); // as last read or written
  private volatile boolean closing;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile long recordsAppended;

  KafkaSourceWorker(ConnectorDef def, Value defValue, ConnectorWorker.Log log, long txnBytesMax,
      String previousError) throws SqlException {
    this.def = Objects.requireNonNull(def, "def");
    this.defValue = Objects.requireNonNull(defValue, "defValue");
    this.commits = new SourceCommits(def, defValue, log, txnBytesMax);
    this.topic = KafkaConnectors.topic(def);
    this.json = def.option("format", "json").equals("json");
    this.keyField = Optional.ofNullable(def.options().get("key"));
    this.lastError = Objects.requireNonNull(previousError, "previousError");
    this.thread = new Thread(this::run, "ordo-connector-" + def.name());
    this.thread.setDaemon(true);
  }

  @Override
  public ConnectorDef def() {
    return def;
  }

  @Override
  public Value defValue() {
    return defValue;
  }

  @Override
  public String stateLabel() {
    return state.label();
  }

  @Override
  public String lastError() {
    return lastError;
  }

  @Override
  public boolean isRunning() {
    return thread.isAlive() && state != ConnectorWorker.State.FAILED
        && state != ConnectorWorker.State.STOPPED;
  }

  @Override
  public void start() {
    thread.start();
  }

  /** The stored offset as this worker last read or wrote it. */
  Optional<Value> offset() {
    return offset;
  }

  /** Records this worker appended (committed transactions). */
  long recordsAppended() {
    return recordsAppended;
  }

  private Properties consumerProperties() {
    Properties p = KafkaConnectors.clientProperties(def, "ordo-connector-" + def.name());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    // No group: the offsets live in Ordo, moved by the transactions that append the records.
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // Records of aborted producer transactions must not become stream records.
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // A stored offset out of range means records were deleted before they were appended: stop.
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, POLL_RECORDS_MAX);
    return p;
  }

  private void run() {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProperties())) {
      consumer = c;
      if (closing) {
        return;
      }
      offset = commits.readOffset();
      SortedMap<Integer, Long> next =
          offset.map(KafkaConnectors::parseOffsets).orElse(new TreeMap<>());
      assign(c, next, offset.isEmpty() && def.option("start_from", "earliest").equals("latest"));
      state = ConnectorWorker.State.STREAMING;
      LOG.info("Connector '{}' reads topic {} at {} from offsets {}", def.name(), topic,
          KafkaConnectors.bootstrap(def), KafkaConnectors.offsetsText(next));
      long partitionsCheckedNanos = System.nanoTime();
      while (!closing) {
        if (System.nanoTime() - partitionsCheckedNanos
            > TimeUnit.MILLISECONDS.toNanos(PARTITIONS_EVERY_MS)) {
          assign(c, KafkaConnectors.parseOffsets(offset.orElseThrow()), false);
          partitionsCheckedNanos = System.nanoTime();
        }
        ConsumerRecords<byte[], byte[]> polled = c.poll(Duration.ofMillis(POLL_MS));
        append(c, polled);
      }
    } catch (WakeupException e) {
      // closing
    } catch (OffsetOutOfRangeException e) {
      fail("records of topic " + topic + " were deleted (retention) before the connector appended"
          + " them: the stored offsets " + e.offsetOutOfRangePartitions() + " are out of range;"
          + " drop and create the connector to start again");
    } catch (ConnectorWorker.Stopped e) {
      fail(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      fail("reading topic " + topic + " at " + KafkaConnectors.bootstrap(def) + ": " + e);
    } finally {
      consumer = null;
      if (state != ConnectorWorker.State.FAILED) {
        state = ConnectorWorker.State.STOPPED;
      }
    }
  }

  /**
   * Assigns every partition of the topic and seeks each to its offset in {@code next}; partitions
   * {@code next} lacks start at the beginning (or the end when {@code atEnd}) and that start is
   * committed before any record of them.
   */
  private void assign(KafkaConsumer<byte[], byte[]> c, SortedMap<Integer, Long> next,
      boolean atEnd) throws InterruptedException {
    List<PartitionInfo> infos = c.partitionsFor(topic);
    if (infos == null || infos.isEmpty()) {
      throw new ConnectorWorker.Stopped("topic " + topic + " does not exist at "
          + KafkaConnectors.bootstrap(def));
    }
    if (infos.size() == c.assignment().size()) {
      return;
    }
    List<TopicPartition> all = infos.stream()
        .map(i -> new TopicPartition(topic, i.partition())).sorted(
            java.util.Comparator.comparingInt(TopicPartition::partition)).toList();
    c.assign(all);
    List<TopicPartition> fresh = new ArrayList<>();
    for (TopicPartition tp : all) {
      Long at = next.get(tp.partition());
      if (at != null) {
        c.seek(tp, at);
      } else {
        fresh.add(tp);
      }
    }
    // (An empty list would seek every assigned partition.)
    if (!fresh.isEmpty() && atEnd) {
      c.seekToEnd(fresh);
    } else if (!fresh.isEmpty()) {
      c.seekToBeginning(fresh);
    }
    SortedMap<Integer, Long> moved = new TreeMap<>(next);
    for (TopicPartition tp : fresh) {
      moved.put(tp.partition(), c.position(tp));
    }
    if (!moved.equals(next) || offset.isEmpty()) {
      commit(moved, List.of());
    }
  }

  /** Appends the records of one poll, in transactions of at most the budget's bytes. */
  private void append(KafkaConsumer<byte[], byte[]> c, ConsumerRecords<byte[], byte[]> polled)
      throws InterruptedException {
    SortedMap<Integer, Long> next = KafkaConnectors.parseOffsets(offset.orElseThrow());
    List<StreamRecord> chunk = new ArrayList<>();
    long bytes = 0;
    long budget = commits.budget();
    for (TopicPartition tp : polled.partitions().stream()
        .sorted(java.util.Comparator.comparingInt(TopicPartition::partition)).toList()) {
      for (ConsumerRecord<byte[], byte[]> r : polled.records(tp)) {
        StreamRecord rec;
        try {
          rec = convert(r);
        } catch (IllegalArgumentException e) {
          if (!chunk.isEmpty()) {
            commit(next, chunk); // what came before the bad record is appended
          }
          throw new ConnectorWorker.Stopped("the record at partition " + r.partition()
              + " offset " + r.offset() + " of topic " + topic + " " + e.getMessage()
              + "; the connector stopped before it (nothing after it is appended)");
        }
        long size = rec.getSerializedSize() + 8L;
        if (size > budget) {
          if (!chunk.isEmpty()) {
            commit(next, chunk);
          }
          throw new ConnectorWorker.Stopped("the record at partition " + r.partition()
              + " offset " + r.offset() + " of topic " + topic + " has " + size + " bytes, more"
              + " than a transaction holds (" + budget + "); the connector stopped before it");
        }
        if (!chunk.isEmpty() && bytes + size > budget) {
          commit(next, chunk);
          next = new TreeMap<>(next);
          chunk = new ArrayList<>();
          bytes = 0;
        }
        chunk.add(rec);
        bytes += size;
        next.put(r.partition(), r.offset() + 1);
      }
    }
    // Past the records, the consumer may stand after transaction markers: store that too, so the
    // lag reaches 0 once everything is appended.
    SortedMap<Integer, Long> end = new TreeMap<>(next);
    for (TopicPartition tp : c.assignment()) {
      end.merge(tp.partition(), c.position(tp), Math::max);
    }
    if (!chunk.isEmpty() || !end.equals(KafkaConnectors.parseOffsets(offset.orElseThrow()))) {
      commit(end, chunk);
    }
  }

  /**
   * The stream record of a Kafka record.
   *
   * @throws IllegalArgumentException saying why it cannot be appended ("is not valid JSON: ...")
   */
  private StreamRecord convert(ConsumerRecord<byte[], byte[]> r) {
    StreamRecord rec = IngestBatches.toStreamRecord(r);
    if (!json) {
      return rec;
    }
    JsonNode value;
    try {
      value = r.value() == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance()
          : JSON.readTree(r.value());
      if (value == null || value.isMissingNode()) {
        throw new IOException("empty value");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("is not valid JSON (format 'json'): "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    StreamRecord.Builder b = rec.toBuilder().setJson(value.toString());
    if (keyField.isPresent()) {
      JsonNode k = value.get(keyField.get());
      if (k == null || k.isNull()) {
        throw new IllegalArgumentException("has no field \"" + keyField.get() + "\" (option key)");
      }
      b.setPartitionKey(k.isTextual() ? k.asText() : k.toString());
    }
    return b.build();
  }

  private void commit(SortedMap<Integer, Long> next, List<StreamRecord> records)
      throws InterruptedException {
    Value v = KafkaConnectors.offsetValue(topic, next);
    commits.commit(offset, v, SourceCommits.streamAppend(def.target(), records), () -> closing,
        e -> lastError = e, "");
    offset = Optional.of(v);
    recordsAppended += records.size();
    lastError = "";
  }

  private void fail(String why) {
    if (closing) {
      return;
    }
    lastError = why;
    state = ConnectorWorker.State.FAILED;
    LOG.warn("Connector '{}' failed: {}", def.name(), why);
  }

  /**
   * Stops the consumer and waits for the thread (at most {@value #CLOSE_TIMEOUT_MS} ms).
   * Idempotent.
   */
  @Override
  public void close() {
    closing = true;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(CLOSE_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.error("Connector '{}' did not stop within {} ms", def.name(), CLOSE_TIMEOUT_MS);
      thread.interrupt();
    }
    if (state != ConnectorWorker.State.FAILED) {
      state = ConnectorWorker.State.STOPPED;
    }
  }
}
