package io.ordo.gateway;

import io.ordo.proto.AbortReason;
import io.ordo.proto.KeyRead;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sequencer.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A stand-in for the executor job in gateway tests: one thread reads the log topic and answers
 * every transaction on the results topic from a single-threaded in-memory model (get, put,
 * delete, assert; other operations abort with INVALID_TRANSACTION). It follows the executor's
 * output contract: results keyed by txn id, a second entry with a known id gets DUPLICATE, and —
 * like a recovered job replaying its log — it writes every result twice, byte for byte.
 *
 * <p>Transactions whose first key starts with {@link #IGNORED_KEY_PREFIX} get no result, to
 * exercise deadlines. Not an executor: no watermarks, arrival order rather than log order, which
 * is enough for tests that send one request at a time or touch distinct keys.
 */
final class ModelExecutor implements AutoCloseable {
  /** Transactions whose first key starts with this get no result. */
  static final String IGNORED_KEY_PREFIX = "blackhole";

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final String resultsTopic;
  private final Thread thread;
  private final Map<String, Value> store = new TreeMap<>();
  private final Set<String> seenIds = new HashSet<>();
  private volatile boolean closing;

  ModelExecutor(String bootstrapServers, TopicLayout layout) {
    this.resultsTopic = layout.resultsTopic();
    consumer =
        new KafkaConsumer<>(
            Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : consumer.partitionsFor(layout.logTopic(), Duration.ofSeconds(30))) {
      partitions.add(new TopicPartition(layout.logTopic(), info.partition()));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    producer =
        new KafkaProducer<>(
            Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.LINGER_MS_CONFIG, 0));
    thread = new Thread(this::run, "model-executor");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (!closing) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          LogEntry entry = LogEntry.parseFrom(record.value());
          if (!entry.hasTransaction()) {
            continue; // heartbeats
          }
          Transaction txn = entry.getTransaction();
          if (txn.getOps(0).getKey().startsWith(IGNORED_KEY_PREFIX)) {
            continue;
          }
          Position position =
              Position.newBuilder()
                  .setTs(record.timestamp())
                  .setPartition(record.partition())
                  .setOffset(record.offset())
                  .build();
          byte[] result = apply(txn, position).toByteArray();
          byte[] key = txn.getId().getBytes(StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(resultsTopic, key, result));
          producer.send(new ProducerRecord<>(resultsTopic, key, result));
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (Exception e) {
      throw new IllegalStateException("model executor failed", e);
    }
  }

  private TxnResult apply(Transaction txn, Position position) {
    TxnResult.Builder result =
        TxnResult.newBuilder()
            .setTxnId(txn.getId())
            .setPosition(position)
            .setKeyRanges(1)
            .setFailedOpIndex(-1);
    if (!seenIds.add(txn.getId())) {
      return result.setOutcome(Outcome.DUPLICATE).setDetail("id seen before").build();
    }
    Map<String, Value> working = new TreeMap<>(store);
    for (int i = 0; i < txn.getOpsCount(); i++) {
      Operation op = txn.getOps(i);
      Value current = working.get(op.getKey());
      switch (op.getOpCase()) {
        case GET -> {
          KeyRead.Builder read = KeyRead.newBuilder().setOpIndex(i).setKey(op.getKey());
          if (current != null) {
            read.setFound(true).setValue(current);
          }
          result.addReads(read);
        }
        case PUT -> working.put(op.getKey(), op.getPut().getValue());
        case DELETE -> working.remove(op.getKey());
        case ASSERT -> {
          boolean holds =
              op.getAssert().hasEquals()
                  ? op.getAssert().getEquals().equals(current)
                  : current == null;
          if (!holds) {
            return abort(result, AbortReason.ASSERT_FAILED, i, "op " + i + ": assert failed");
          }
        }
        default -> {
          return abort(result, AbortReason.INVALID_TRANSACTION, i, "op " + i + ": not modelled");
        }
      }
    }
    store.clear();
    store.putAll(working);
    return result.setOutcome(Outcome.COMMITTED).build();
  }

  private static TxnResult abort(TxnResult.Builder result, AbortReason reason, int op, String detail) {
    return result
        .clearReads()
        .setOutcome(Outcome.ABORTED)
        .setAbortReason(reason)
        .setFailedOpIndex(op)
        .setDetail(detail)
        .build();
  }

  @Override
  public void close() throws InterruptedException {
    closing = true;
    consumer.wakeup();
    thread.join(TimeUnit.SECONDS.toMillis(10));
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    producer.close(Duration.ofSeconds(5));
  }
}
