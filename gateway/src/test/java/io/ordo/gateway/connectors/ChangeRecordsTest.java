package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class ChangeRecordsTest {
  private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
  private static final Schema ROW = SchemaBuilder.struct().optional()
      .field("id", Schema.INT32_SCHEMA).field("item", Schema.STRING_SCHEMA).build();
  private static final Schema SOURCE = SchemaBuilder.struct()
      .field("lsn", Schema.INT64_SCHEMA).field("table", Schema.STRING_SCHEMA).build();
  private static final Schema ENVELOPE = SchemaBuilder.struct()
      .field("before", ROW).field("after", ROW).field("source", SOURCE)
      .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA)
      .field("transaction", SchemaBuilder.struct().optional()
          .field("id", Schema.STRING_SCHEMA).build())
      .build();

  private static SourceRecord update(long lsn) {
    Map<String, Object> offset = new HashMap<>();
    offset.put("lsn", lsn);
    offset.put("lsn_proc", lsn);
    offset.put("txId", 77L);
    Struct value = new Struct(ENVELOPE)
        .put("before", new Struct(ROW).put("id", 7).put("item", "old"))
        .put("after", new Struct(ROW).put("id", 7).put("item", "new"))
        .put("source", new Struct(SOURCE).put("lsn", lsn).put("table", "orders"))
        .put("op", "u")
        .put("ts_ms", 1L);
    return new SourceRecord(Map.of("server", "ordo_x"), offset, "ordo_x.public.orders", null,
        KEY, new Struct(KEY).put("id", 7), ENVELOPE, value);
  }

  @Test
  void aChangeBecomesARecordKeyedByItsPrimaryKeyWithTheEnvelopeWithoutSchema() throws Exception {
    StreamRecord r = new ChangeRecords("ordo-e").toStreamRecord(update(0x1_0000_00ABL)).orElseThrow();
    assertThat(r.getPartitionKey()).isEqualTo("{\"id\":7}");
    assertThat(r.getJson()).isEqualTo(
        "{\"before\":{\"id\":7,\"item\":\"old\"},\"after\":{\"id\":7,\"item\":\"new\"},"
            + "\"source\":{\"lsn\":4294967467,\"table\":\"orders\"},\"op\":\"u\",\"ts_ms\":1}");
  }

  @Test
  void recordsWithoutAValueOrWithoutAnOpAreNotChanges() {
    ChangeRecords changes = new ChangeRecords("ordo-e");
    SourceRecord tombstone = new SourceRecord(Map.of(), Map.of(), "t", null, KEY,
        new Struct(KEY).put("id", 1), null, null);
    assertThat(changes.toStreamRecord(tombstone)).isEmpty();
    Schema other = SchemaBuilder.struct().field("ddl", Schema.STRING_SCHEMA).build();
    SourceRecord schemaChange = new SourceRecord(Map.of(), Map.of(), "t", other,
        new Struct(other).put("ddl", "x"));
    assertThat(changes.toStreamRecord(schemaChange)).isEmpty();
  }

  @Test
  void theOffsetValueHoldsWhatConnectsOffsetStorageWritesAndItsLsn() {
    SourceRecord rec = update(0x1_0000_00ABL);
    Value v = new ChangeRecords("ordo-e").offsetValue(rec);
    Map.Entry<byte[], byte[]> kv = ChangeRecords.parseOffset(v);
    // The key as Connect's OffsetStorageWriter serializes it: [namespace, partition].
    assertThat(new String(kv.getKey(), StandardCharsets.UTF_8))
        .isEqualTo("[\"ordo-e\",{\"server\":\"ordo_x\"}]");
    JsonConverter plain = new JsonConverter();
    plain.configure(Map.of("schemas.enable", "false"), false);
    assertThat(plain.toConnectData("ordo-e", kv.getValue()).value())
        .isEqualTo(Map.of("lsn", 0x1_0000_00ABL, "lsn_proc", 0x1_0000_00ABL, "txId", 77L));
    assertThat(ChangeRecords.lsnOf(v)).contains(0x1_0000_00ABL);
    assertThat(ChangeRecords.lsnText(0x1_0000_00ABL)).isEqualTo("1/AB");
    assertThat(ChangeRecords.parseLsn("1/AB")).isEqualTo(0x1_0000_00ABL);
    assertThat(ChangeRecords.parseLsn(ChangeRecords.lsnText(0x16B3748L))).isEqualTo(0x16B3748L);
    assertThatThrownBy(() -> ChangeRecords.parseLsn("16B3748"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ChangeRecords.lsnOf(Value.newBuilder().setCounter(1).build()))
        .isEqualTo(Optional.empty());
  }
}
