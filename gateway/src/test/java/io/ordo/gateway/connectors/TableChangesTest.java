package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Operation;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.encoding.CatalogCodec;
import io.ordo.sql.encoding.KeyCodec;
import io.ordo.sql.encoding.RowCodec;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class TableChangesTest {
  private static final TableDef TABLE = new TableDef("t", "00000000000000ab", List.of(
      new ColumnDef("id", 1, SqlType.INTEGER, -1, -1, true, Optional.empty()),
      new ColumnDef("price", 2, SqlType.DECIMAL, 10, 2, false, Optional.empty()),
      new ColumnDef("at", 3, SqlType.TIMESTAMP, -1, -1, false, Optional.empty())),
      List.of("id"), 1);

  private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();

  private static Schema rowSchema(String... extra) {
    SchemaBuilder b = SchemaBuilder.struct().optional()
        .field("id", Schema.INT32_SCHEMA)
        .field("price", Schema.OPTIONAL_STRING_SCHEMA)
        .field("at", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").optional().build());
    for (String e : extra) {
      b.field(e, Schema.OPTIONAL_INT32_SCHEMA);
    }
    return b.build();
  }

  private static SourceRecord change(String op, Schema rowSchema, Struct before, Struct after, int id) {
    Schema envelope = SchemaBuilder.struct()
        .field("before", rowSchema).field("after", rowSchema).field("op", Schema.STRING_SCHEMA)
        .build();
    Struct v = new Struct(envelope).put("before", before).put("after", after).put("op", op);
    return new SourceRecord(Map.of(), Map.of("lsn", 42L), "topic", null, KEY,
        new Struct(KEY).put("id", id), envelope, v);
  }

  private static Struct row(Schema s, int id, String price, Long atMicros) {
    return new Struct(s).put("id", id).put("price", price).put("at", atMicros);
  }

  private static TableChanges changes() throws Exception {
    return new TableChanges(CatalogCodec.encodeTable(TABLE), "public.t");
  }

  @Test
  void insertsAndUpdatesPutTheRowAndDeletesRemoveTheKey() throws Exception {
    Schema s = rowSchema();
    TableChanges.RowWrite put = changes()
        .toRowWrite(change("u", s, null, row(s, 7, "1.50", 1_001_999L), 7)).orElseThrow();
    assertThat(put.key()).isEqualTo(KeyCodec.encode(TABLE, List.of(7)));
    assertThat(put.value()).contains(RowCodec.encode(TABLE, Arrays.asList(
        7, new BigDecimal("1.50"), LocalDateTime.of(1970, 1, 1, 0, 0, 1, 1_000_000)))); // milliseconds, as SQL keeps
    TableChanges.RowWrite delete = changes()
        .toRowWrite(change("d", s, row(s, 7, null, null), null, 7)).orElseThrow();
    assertThat(delete.key()).isEqualTo(put.key());
    assertThat(delete.value()).isEmpty();
  }

  @Test
  void aBatchWritesEachKeysLastChangeOnceAndBumpsTheRowSet() throws Exception {
    TableChanges c = changes();
    Schema s = rowSchema();
    TableChanges.RowWrite a1 = c.toRowWrite(change("c", s, null, row(s, 1, "1", null), 1)).orElseThrow();
    TableChanges.RowWrite b = c.toRowWrite(change("c", s, null, row(s, 2, "2", null), 2)).orElseThrow();
    TableChanges.RowWrite a2 = c.toRowWrite(change("d", s, null, null, 1)).orElseThrow();
    List<Operation> ops = c.operations(List.of(a1, b, a2));
    assertThat(ops).hasSize(4);
    assertThat(ops.get(0).getKey()).isEqualTo(CatalogCodec.tableKey("t"));
    assertThat(ops.get(0).getAssert().getEquals()).isEqualTo(CatalogCodec.encodeTable(TABLE));
    assertThat(ops.get(1).getKey()).isEqualTo(a1.key());
    assertThat(ops.get(1).hasDelete()).isTrue();
    assertThat(ops.get(2).getPut().getValue()).isEqualTo(b.value().orElseThrow());
    assertThat(ops.get(3).getKey()).isEqualTo(CatalogCodec.rowsetKey("00000000000000ab"));
    assertThat(ops.get(3).getIncrement().getDelta()).isEqualTo(1);
    assertThat(c.operations(List.of())).hasSize(1); // only the assert: an offset-only batch
  }

  @Test
  void changesThatDoNotFitTheTableAreRefusedWithTheReason() throws Exception {
    Schema wider = rowSchema("extra");
    assertThatThrownBy(() -> changes().toRowWrite(
            change("c", wider, null, row(wider, 1, "1", null).put("extra", 3), 1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has columns [extra] that table \"t\" lacks");
    Schema s = rowSchema();
    assertThatThrownBy(() -> changes().toRowWrite(
            change("c", s, null, row(s, 1, "not a number", null), 1)))
        .hasMessageContaining("column \"price\": the source sent 'not a number'");
    assertThatThrownBy(() -> changes().toRowWrite(
            change("u", s, null, row(s, 1, TableChanges.UNAVAILABLE, null), 1)))
        .hasMessageContaining("REPLICA IDENTITY FULL");
    assertThatThrownBy(() -> changes().toRowWrite(
            change("c", s, null, row(s, 1, "123456789.123", null), 1)))
        .hasMessageContaining("22003");
  }
}
