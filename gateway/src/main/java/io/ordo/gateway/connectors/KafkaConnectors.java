package io.ordo.gateway.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.ordo.proto.Value;
import io.ordo.sql.catalog.ConnectorDef;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What is specific to Kafka connectors besides their workers: the options, the checks at CREATE
 * (bounded by {@value #CHECK_TIMEOUT_MS} ms), a source's stored offsets and the topic's end
 * offsets (SHOW CONNECTORS' lag).
 *
 * <p>Source options: {@code topic}, {@code bootstrap} (required), {@code format} ({@code json}
 * default, or {@code bytes}), {@code key} (a top-level field of the JSON value whose value is the
 * stream record's partition key; default: the Kafka record's key as UTF-8), {@code
 * start_from} ({@code earliest} default, or {@code latest}: where a new connector starts; it is fixed at its first
 * start). Sink options: {@code topic}, {@code bootstrap} (required), {@code format} ({@code json}
 * default, or {@code debezium}), {@code partitions} (of the topic CREATE makes when it is
 * missing, default 1).
 *
 * <p>Stateless; thread-safe.
 */
final class KafkaConnectors {
  static final String KAFKA = ConnectorDef.KAFKA;
  static final Set<String> SOURCE_OPTIONS =
      Set.of("topic", "bootstrap", "format", "key", "start_from");
  static final Set<String> SINK_OPTIONS = Set.of("topic", "bootstrap", "format", "partitions");

  /** How long a check at CREATE or a SHOW CONNECTORS look-up waits for the brokers, in ms. */
  static final long CHECK_TIMEOUT_MS = 5_000;

  /** Most partitions of a topic CREATE makes. */
  static final int PARTITIONS_MAX = 1_024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private KafkaConnectors() {}

  static boolean isKafka(ConnectorDef def) {
    return KAFKA.equals(def.sourceKind());
  }

  static String topic(ConnectorDef def) {
    return def.option("topic", "");
  }

  static String bootstrap(ConnectorDef def) {
    return def.option("bootstrap", "");
  }

  /**
   * Checks a Kafka connector's options (without connecting).
   *
   * @throws IllegalArgumentException naming the bad option
   * @throws UnsupportedOperationException INTO TABLE (not built for Kafka sources)
   */
  static void checkOptions(ConnectorDef def) {
    Set<String> known = def.sink() ? SINK_OPTIONS : SOURCE_OPTIONS;
    String what = def.sink() ? "a kafka sink" : "a kafka source";
    for (String name : def.options().keySet()) {
      if (!known.contains(name)) {
        throw new IllegalArgumentException("unknown option \"" + name + "\" for " + what
            + "; known: " + new TreeSet<>(known));
      }
    }
    for (String required : List.of("topic", "bootstrap")) {
      if (def.option(required, "").isBlank()) {
        throw new IllegalArgumentException("option \"" + required + "\" is required for " + what);
      }
    }
    if (!topic(def).matches("[a-zA-Z0-9._-]{1,249}")) {
      throw new IllegalArgumentException("option \"topic\" must be a Kafka topic name (letters,"
          + " digits, '.', '_', '-'; at most 249), got '" + topic(def) + "'");
    }
    if (!bootstrap(def).matches("[^\\s,]+:\\d{1,5}(,[^\\s,]+:\\d{1,5})*")) {
      throw new IllegalArgumentException("option \"bootstrap\" must be host:port[,host:port...],"
          + " got '" + bootstrap(def) + "'");
    }
    Set<String> formats = def.sink() ? Set.of("json", "debezium") : Set.of("json", "bytes");
    if (!formats.contains(def.option("format", "json"))) {
      throw new IllegalArgumentException("option \"format\" must be one of "
          + new TreeSet<>(formats)
          + ", got '" + def.option("format", "") + "'");
    }
    if (!Set.of("earliest", "latest").contains(def.option("start_from", "earliest"))) {
      throw new IllegalArgumentException("option \"start_from\" must be 'earliest' or 'latest',"
          + " got '" + def.option("start_from", "") + "'");
    }
    if (def.options().containsKey("key") && !def.option("format", "json").equals("json")) {
      throw new IllegalArgumentException("option \"key\" names a field of JSON values: it needs"
          + " format 'json'");
    }
    if (def.options().containsKey("key") && def.option("key", "").isEmpty()) {
      throw new IllegalArgumentException("option \"key\" must name a field of the JSON value");
    }
    partitions(def);
    if (!def.sink() && def.targetKind() == ConnectorDef.TargetKind.TABLE) {
      throw new UnsupportedOperationException(
          "kafka sources INTO TABLE are not supported yet; use INTO STREAM");
    }
  }

  /** The {@code partitions} option (1 when absent). */
  static int partitions(ConnectorDef def) {
    String v = def.option("partitions", "1");
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= PARTITIONS_MAX) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        "option \"partitions\" must be an integer in 1.." + PARTITIONS_MAX + ", got '" + v + "'");
  }

  /** Admin, consumer and producer settings shared by every client of {@code def}. */
  static Properties clientProperties(ConnectorDef def, String clientId) {
    Properties p = new Properties();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap(def));
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    p.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, (int) CHECK_TIMEOUT_MS);
    p.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CHECK_TIMEOUT_MS * 2);
    // Fail fast on an unreachable address instead of retrying the resolution for minutes.
    p.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
    return p;
  }

  private static Admin admin(ConnectorDef def) {
    Properties p = clientProperties(def, "ordo-connector-check-" + def.name());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CHECK_TIMEOUT_MS);
    return Admin.create(p);
  }

  /**
   * Checks the brokers and the topic: a source's topic must exist; a sink's is created with
   * {@link #partitions} partitions (the brokers' default replication) when missing.
   *
   * @throws IllegalStateException the brokers cannot be reached in {@value #CHECK_TIMEOUT_MS} ms,
   *     a source's topic does not exist, or a sink's cannot be created
   */
  static void checkTopic(ConnectorDef def) {
    try (Admin admin = admin(def)) {
      try {
        describe(admin, def);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw unreachable(def, e.getCause());
        }
      }
      if (!def.sink()) {
        throw new IllegalStateException("topic \"" + topic(def) + "\" does not exist at "
            + bootstrap(def) + " (create it first)");
      }
      try {
        admin.createTopics(List.of(new NewTopic(topic(def), Optional.of(partitions(def)),
            Optional.empty()))).all().get(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("cannot create topic \"" + topic(def) + "\" at "
              + bootstrap(def) + ": " + e.getCause().getMessage(), e.getCause());
        }
      }
    } catch (TimeoutException e) {
      throw unreachable(def, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking Kafka at " + bootstrap(def));
    }
  }

  private static TopicDescription describe(Admin admin, ConnectorDef def)
      throws ExecutionException, InterruptedException, TimeoutException {
    return admin.describeTopics(List.of(topic(def))).allTopicNames()
        .get(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic(def));
  }

  private static IllegalStateException unreachable(ConnectorDef def, Throwable why) {
    return new IllegalStateException("cannot reach Kafka at " + bootstrap(def) + " within "
        + CHECK_TIMEOUT_MS + " ms: "
        + (why.getMessage() == null ? why.toString() : why.getMessage()),
        why);
  }

  /**
   * The topic's end offsets (read_committed: the last stable offset) by partition.
   *
   * @throws IllegalStateException the brokers did not answer within {@value #CHECK_TIMEOUT_MS} ms
   *     or the topic is gone
   */
  static SortedMap<Integer, Long> endOffsets(ConnectorDef def) {
    try (Admin admin = admin(def)) {
      TopicDescription d = describe(admin, def);
      Map<TopicPartition, OffsetSpec> specs = new java.util.HashMap<>();
      d.partitions().forEach(p -> specs.put(new TopicPartition(topic(def), p.partition()),
          OffsetSpec.latest()));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r = admin.listOffsets(specs,
          new org.apache.kafka.clients.admin.ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
          .all().get(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      SortedMap<Integer, Long> out = new TreeMap<>();
      r.forEach((tp, info) -> out.put(tp.partition(), info.offset()));
      return out;
    } catch (ExecutionException e) {
      throw unreachable(def, e.getCause());
    } catch (TimeoutException e) {
      throw unreachable(def, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  /**
   * A source's offset value: {@code {"topic": t, "next": {"<partition>": <offset of the next
   * record to append>, ...}}}.
   */
  static Value offsetValue(String topic, SortedMap<Integer, Long> next) {
    ObjectNode node = JSON.createObjectNode();
    node.put("topic", topic);
    ObjectNode offsets = node.putObject("next");
    next.forEach((p, o) -> offsets.put(Integer.toString(p), o));
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(node.toString())).build();
  }

  /**
   * The offsets of a value written by {@link #offsetValue} (empty for another connector's).
   */
  static SortedMap<Integer, Long> parseOffsets(Value value) {
    SortedMap<Integer, Long> out = new TreeMap<>();
    try {
      JsonNode next = JSON.readTree(value.getBytes().toStringUtf8()).get("next");
      if (next != null) {
        for (Iterator<Map.Entry<String, JsonNode>> it = next.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.put(Integer.parseInt(e.getKey()), e.getValue().asLong());
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a kafka connector offset: " + e.getMessage(), e);
    }
    return out;
  }

  /** {@code 0:12,1:40}: partition:offset pairs, for SHOW CONNECTORS. */
  static String offsetsText(SortedMap<Integer, Long> offsets) {
    StringBuilder b = new StringBuilder();
    offsets.forEach((p, o) -> b.append(b.length() == 0 ? "" : ",").append(p).append(':').append(o));
    return b.toString();
  }
}
