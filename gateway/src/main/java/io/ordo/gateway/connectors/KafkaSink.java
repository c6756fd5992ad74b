package io.ordo.gateway.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A Kafka topic as a sink's target: each batch of an Ordo table's changes is ONE Kafka
 * transaction of a transactional producer whose {@code transactional.id} is {@link
 * #transactionalId} (the connector's name and id).
 *
 * <p><b>Records.</b> Key: the row's primary key as a JSON object ({@code {"id":7}}). Value, with
 * {@code format='json'}: the row as a JSON object (inserts and updates), a tombstone (null) for a
 * delete; with {@code format='debezium'}: {@code {"before": row|null, "after": row|null, "op":
 * "r|c|u|d", "source": {"position": p, "table": t, "connector": name}}} ({@code r}: a row of the
 * first start's copy). Headers: {@value #POSITION_HEADER} (the change's Ordo position: a push
 * query's {@code _position}, or the copy's log position) and {@value #SINK_HEADER} ({@code
 * <connector>/<connector id>}). Columns: numbers as JSON numbers, bytea as base64, timestamps and
 * dates in ISO-8601, jsonb as JSON. The producer's default partitioner hashes the key, so all
 * changes of one row go to one partition, in commit order.
 *
 * <p><b>Exactly once for read_committed consumers.</b> The progress is the topic itself: on every
 * start the writer first calls {@code initTransactions} (which aborts a transaction a previous
 * incarnation left open and fences it, so it can commit nothing any more), then reads the
 * committed tail of every partition ({@code read_committed}) and takes the largest {@value
 * #POSITION_HEADER} of this sink's records: the position of the last change of the last
 * committed transaction. The worker resumes the push query right after it. A batch is thus in the
 * topic with all its records or not at all, and never twice. Consumers that read uncommitted
 * records may see an aborted batch's records and then the same changes again.
 */
final class KafkaSink {
  static final String POSITION_HEADER = "ordo.position";
  static final String SINK_HEADER = "ordo.sink";

  /** How long a commit, the producer's start or one tail read may take, in ms. */
  static final long KAFKA_WAIT_MS = 30_000;

  /** Records read back from each partition's end first when looking for the last position. */
  static final int TAIL_RECORDS_FIRST = 64;

  private static final ObjectMapper JSON = new ObjectMapper();

  private KafkaSink() {}

  /** The producer's {@code transactional.id} of {@code def}. */
  static String transactionalId(ConnectorDef def) {
    return "ordo-sink-" + def.name() + "-" + def.connectorId();
  }

  static String sinkId(ConnectorDef def) {
    return def.name() + "/" + def.connectorId();
  }

  /**
   * Compares two positions ({@code ts:partition:offset[:n]}; without {@code n} the position
   * stands after every row at that log position).
   */
  static int comparePositions(String a, String b) {
    long[] x = parse(a);
    long[] y = parse(b);
    for (int i = 0; i < 4; i++) {
      int c = Long.compare(x[i], y[i]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  private static long[] parse(String p) {
    String[] parts = p.split(":");
    long[] out = {0, 0, 0, Long.MAX_VALUE};
    for (int i = 0; i < Math.min(4, parts.length); i++) {
      out[i] = Long.parseLong(parts[i]);
    }
    return out;
  }

  /**
   * The largest position of {@code def}'s records in the committed tail of each partition of
   * its topic, if any: reads the last {@value #TAIL_RECORDS_FIRST} records of each partition,
   * then 16 times more, and so on, until one of the sink's records is found or the partition's
   * start is reached.
   */
  static Optional<String> lastPosition(ConnectorDef def) {
    Properties p = KafkaConnectors.clientProperties(def, "ordo-sink-tail-" + def.name());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    String topic = KafkaConnectors.topic(def);
    String me = sinkId(def);
    Optional<String> best = Optional.empty();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<PartitionInfo> infos = c.partitionsFor(topic);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist at "
            + KafkaConnectors.bootstrap(def));
      }
      List<TopicPartition> tps = infos.stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      Map<TopicPartition, Long> ends = c.endOffsets(tps);
      Map<TopicPartition, Long> begins = c.beginningOffsets(tps);
      for (TopicPartition tp : tps) {
        long end = ends.get(tp);
        long begin = begins.get(tp);
        long window = TAIL_RECORDS_FIRST;
        long to = end;
        Optional<String> found = Optional.empty();
        while (found.isEmpty() && to > begin) {
          long from = Math.max(begin, to - window);
          found = lastIn(c, tp, from, to, me);
          to = from;
          window *= 16;
        }
        if (found.isPresent()
            && (best.isEmpty() || comparePositions(found.get(), best.get()) > 0)) {
          best = found;
        }
      }
    }
    return best;
  }

  /** The last position of the sink's records in [from, to) of {@code tp}. */
  private static Optional<String> lastIn(KafkaConsumer<byte[], byte[]> c, TopicPartition tp,
      long from, long to, String me) {
    c.assign(List.of(tp));
    c.seek(tp, from);
    Optional<String> last = Optional.empty();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KAFKA_WAIT_MS);
    while (c.position(tp) < to) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("reading the tail of " + tp + " took more than "
            + KAFKA_WAIT_MS + " ms");
      }
      for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500)).records(tp)) {
        if (r.offset() >= to) {
          break;
        }
        Header sink = r.headers().lastHeader(SINK_HEADER);
        Header pos = r.headers().lastHeader(POSITION_HEADER);
        if (sink != null && pos != null
            && me.equals(new String(sink.value(), StandardCharsets.UTF_8))) {
          last = Optional.of(new String(pos.value(), StandardCharsets.UTF_8));
        }
      }
    }
    return last;
  }

  /** The JSON of one column value (see the class comment). */
  static JsonNode json(ColumnDef column, Object v) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (v == null) {
      return f.nullNode();
    }
    if (v instanceof Boolean b) {
      return f.booleanNode(b);
    } else if (v instanceof Integer i) {
      return f.numberNode(i);
    } else if (v instanceof Long l) {
      return f.numberNode(l);
    } else if (v instanceof Short sh) {
      return f.numberNode(sh);
    } else if (v instanceof Double d) {
      return f.numberNode(d);
    } else if (v instanceof BigDecimal d) {
      return f.numberNode(d);
    } else if (v instanceof byte[] bytes) {
      return f.textNode(Base64.getEncoder().encodeToString(bytes));
    } else if (column.type() == io.ordo.sql.SqlType.JSONB) {
      return parseOrText(v.toString());
    }
    return f.textNode(v.toString());
  }

  private static JsonNode parseOrText(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      return JsonNodeFactory.instance.textNode(s);
    }
  }

  /**
   * Writes to the topic through one transactional producer; see the class comment. Not
   * thread-safe.
   */
  static final class Writer implements SinkWriter {
    private final ConnectorDef def;
    private final TableDef table;
    private final String topic;
    private final boolean debezium;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ArrayDeque<String> rowPositions = new ArrayDeque<>();
    private boolean copying;
    private boolean inTransaction;
    private ObjectNode before; // debezium: the update_before image waiting for its update_after

    /** Starts the producer (fencing an earlier one of the sink). */
    Writer(ConnectorDef def, TableDef table) {
      this.def = def;
      this.table = table;
      this.topic = KafkaConnectors.topic(def);
      this.debezium = def.option("format", "json").equals("debezium");
      Properties p = KafkaConnectors.clientProperties(def, "ordo-sink-" + def.name());
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(def));
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) KAFKA_WAIT_MS);
      p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) KAFKA_WAIT_MS);
      p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
      producer = new KafkaProducer<>(p);
      try {
        producer.initTransactions();
      } catch (RuntimeException e) {
        producer.close(Duration.ZERO);
        throw e;
      }
    }

    @Override
    public Optional<String> storedPosition() {
      Optional<String> p = lastPosition(def);
      copying = p.isEmpty();
      return p;
    }

    @Override
    public void rowPosition(String position) {
      rowPositions.add(position);
    }

    @Override
    public void write(List<List<Object>> changes) {
      if (changes.isEmpty()) {
        return; // no records, no transaction (the topic's tail keeps the position)
      }
      if (!inTransaction) {
        producer.beginTransaction();
        inTransaction = true;
      }
      try {
        for (List<Object> ch : changes) {
          String position = rowPositions.poll();
          if (position == null) {
            // Without it the restart could not find this record: write nothing instead.
            throw new IllegalStateException("a change without its position");
          }
          send((String) ch.get(0), ch.subList(1, ch.size()), position);
        }
      } catch (RuntimeException e) {
        abortQuietly();
        throw e;
      }
    }

    private void send(String op, List<Object> row, String position) {
      ObjectNode image = JsonNodeFactory.instance.objectNode();
      ObjectNode key = JsonNodeFactory.instance.objectNode();
      for (int i = 0; i < table.columns().size(); i++) {
        ColumnDef col = table.columns().get(i);
        JsonNode v = json(col, row.get(i));
        image.set(col.name(), v);
        if (table.primaryKey().contains(col.name())) {
          key.set(col.name(), v);
        }
      }
      if (op.equals("update_before")) {
        before = image;
        return;
      }
      byte[] value;
      if (debezium) {
        ObjectNode env = JsonNodeFactory.instance.objectNode();
        boolean delete = op.equals("delete");
        env.set("before", delete ? image : op.equals("update_after") && before != null
            ? before : JsonNodeFactory.instance.nullNode());
        env.set("after", delete ? JsonNodeFactory.instance.nullNode() : image);
        env.put("op", switch (op) {
          case "insert" -> copying ? "r" : "c";
          case "update_after" -> "u";
          default -> "d";
        });
        ObjectNode source = env.putObject("source");
        source.put("position", position);
        source.put("table", table.name());
        source.put("connector", def.name());
        value = env.toString().getBytes(StandardCharsets.UTF_8);
      } else {
        value = op.equals("delete") ? null : image.toString().getBytes(StandardCharsets.UTF_8);
      }
      before = null;
      ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(
          topic, key.toString().getBytes(StandardCharsets.UTF_8), value);
      r.headers().add(SINK_HEADER, sinkId(def).getBytes(StandardCharsets.UTF_8));
      r.headers().add(POSITION_HEADER, position.getBytes(StandardCharsets.UTF_8));
      producer.send(r);
    }

    @Override
    public void commit(String position) {
      if (!inTransaction) {
        copying = false;
        return; // nothing written: no transaction (the topic's tail keeps the position)
      }
      try {
        producer.commitTransaction();
        inTransaction = false;
        copying = false;
      } catch (RuntimeException e) {
        abortQuietly();
        throw e;
      }
    }

    private void abortQuietly() {
      rowPositions.clear();
      if (inTransaction) {
        inTransaction = false;
        try {
          producer.abortTransaction();
        } catch (KafkaException e) {
          // Fenced or broken: the transaction aborts with the producer (the next start's
          // initTransactions aborts it at the latest).
        }
      }
    }

    @Override
    public void close() {
      abortQuietly();
      producer.close(Duration.ofSeconds(5));
    }
  }
}
