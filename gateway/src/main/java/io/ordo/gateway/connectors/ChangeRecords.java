package io.ordo.gateway.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * The pure parts of a connector: a Debezium change (a Kafka Connect {@link SourceRecord}) as an
 * Ordo stream record, and the source offset as the value of the connector's offset key.
 *
 * <p><b>Stream record.</b> Partition key: the change's key as compact JSON (the source table's
 * primary key columns, e.g. {@code {"id":7}}), so all changes of one row go to one shard, in
 * order. Payload ({@code StreamRecord.json}): Debezium's envelope without its schema, {@code
 * {"before":{...}|null,"after":{...}|null,"source":{...},"op":"r|c|u|d","ts_ms":...}}: {@code op}
 * is r (snapshot read), c (insert), u (update), d (delete); {@code source} carries the position
 * ({@code lsn}, {@code txId}, {@code snapshot}, schema and table). A stream with the SQL schema
 * {@code (op TEXT, before JSONB, after JSONB, source JSONB, ts_ms BIGINT)} reads it as columns.
 *
 * <p><b>Offset value.</b> {@code Value{bytes}} of the UTF-8 JSON {@code
 * {"partition":"<key>","offset":"<value>"}}: the two strings are exactly the bytes Kafka Connect's
 * offset storage writes (JsonConverter without schemas; the key is {@code [engine name,
 * source partition]}), so {@link OrdoOffsetStore} hands them to the engine unchanged.
 *
 * <p>Not thread-safe (one per worker): the converters keep caches.
 */
final class ChangeRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String engineName;
  private final JsonConverter values = converter(false);
  private final JsonConverter keys = converter(true);
  private final JsonConverter offsets = converter(false);
  private final JsonConverter offsetKeys = converter(true);

  /** @param engineName the Debezium engine's {@code name} (the offsets' namespace) */
  ChangeRecords(String engineName) {
    this.engineName = Objects.requireNonNull(engineName, "engineName");
  }

  private static JsonConverter converter(boolean isKey) {
    JsonConverter c = new JsonConverter();
    c.configure(Map.of(JsonConverterConfig.SCHEMAS_ENABLE_CONFIG, "false"), isKey);
    return c;
  }

  /**
   * The stream record of a change, or empty for a record without a value (a tombstone or a
   * message Debezium sends for its own purposes).
   */
  Optional<StreamRecord> toStreamRecord(SourceRecord record) {
    if (record.value() == null) {
      return Optional.empty();
    }
    byte[] value = values.fromConnectData(record.topic(), record.valueSchema(), record.value());
    JsonNode envelope;
    try {
      envelope = JSON.readTree(value);
    } catch (IOException e) {
      throw new IllegalStateException("Debezium wrote a change that is not JSON: " + e, e);
    }
    if (!(envelope instanceof ObjectNode obj) || !obj.has("op")) {
      return Optional.empty(); // not a row change (e.g. a schema change or a heartbeat)
    }
    obj.remove("transaction");
    String key = "";
    if (record.key() != null) {
      key = new String(
          keys.fromConnectData(record.topic(), record.keySchema(), record.key()),
          StandardCharsets.UTF_8);
    }
    return Optional.of(
        StreamRecord.newBuilder().setPartitionKey(key).setJson(obj.toString()).build());
  }

  /** The offset key's value after {@code record}: its source partition and offset. */
  Value offsetValue(SourceRecord record) {
    byte[] k = offsetKeys.fromConnectData(
        engineName, null, Arrays.asList(engineName, record.sourcePartition()));
    byte[] v = offsets.fromConnectData(engineName, null, record.sourceOffset());
    return offsetValue(k, v);
  }

  /** The offset key's value of a serialized (key, value) pair of Connect's offset storage. */
  static Value offsetValue(byte[] key, byte[] value) {
    ObjectNode node = JSON.createObjectNode();
    node.put("partition", new String(key, StandardCharsets.UTF_8));
    node.put("offset", new String(value, StandardCharsets.UTF_8));
    return Value.newBuilder()
        .setBytes(ByteString.copyFromUtf8(node.toString()))
        .build();
  }

  /**
   * The serialized (key, value) of an offset value written by {@link #offsetValue}.
   *
   * @throws IllegalArgumentException when the value is not one
   */
  static Map.Entry<byte[], byte[]> parseOffset(Value value) {
    try {
      JsonNode node = JSON.readTree(value.getBytes().toStringUtf8());
      return Map.entry(
          node.get("partition").asText().getBytes(StandardCharsets.UTF_8),
          node.get("offset").asText().getBytes(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a connector offset: " + e.getMessage(), e);
    }
  }

  /**
   * The PostgreSQL position an offset value stands for (Debezium's {@code lsn_proc}, else {@code
   * lsn}), as a number, or empty.
   */
  static Optional<Long> lsnOf(Value offsetValue) {
    try {
      JsonNode offset = JSON.readTree(parseOffset(offsetValue).getValue());
      JsonNode lsn = offset.has("lsn_proc") ? offset.get("lsn_proc") : offset.get("lsn");
      return lsn == null || !lsn.canConvertToLong() ? Optional.empty() : Optional.of(lsn.asLong());
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** An LSN in PostgreSQL's text form {@code X/Y} (hex of the upper and lower 32 bits). */
  static String lsnText(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
  }

  /**
   * Parses PostgreSQL's text form of an LSN.
   *
   * @throws IllegalArgumentException when {@code text} is not {@code X/Y} in hex
   */
  static long parseLsn(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not an LSN: " + text);
    }
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }
}
