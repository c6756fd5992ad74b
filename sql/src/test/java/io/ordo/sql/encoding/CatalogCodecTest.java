package io.ordo.sql.encoding;

import static io.ordo.sql.encoding.KeyCodecTest.assertState;
import static io.ordo.sql.encoding.SqlValuesForTests.TABLE_ID;
import static io.ordo.sql.encoding.SqlValuesForTests.column;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.Value;
import io.ordo.proto.state.SqlColumnDef;
import io.ordo.proto.state.SqlStreamDef;
import io.ordo.proto.state.SqlTableDef;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Catalog keys and entries: round trips, determinism, limits, validation. */
class CatalogCodecTest {
  private static final TableDef ORDERS = new TableDef(
      "orders",
      TABLE_ID,
      List.of(
          column("id", 1, SqlType.BIGINT, true),
          new ColumnDef("amount", 2, SqlType.DECIMAL, 12, 2, true, Optional.of("0")),
          new ColumnDef("note", 4, SqlType.VARCHAR, 80, -1, false, Optional.of("'n/a'")),
          column("région", 5, SqlType.TEXT, false),
          column("doc", 6, SqlType.JSONB, false),
          column("at", 7, SqlType.TIMESTAMPTZ, false)),
      List.of("id", "région"),
      3);

  private static final StreamDef CLICKS = new StreamDef(
      "clicks",
      List.of(column("user", 1, SqlType.TEXT, true), column("n", 2, SqlType.INTEGER, false)),
      Optional.of("user"));

  @Test
  void tablesRoundTripWithDeterministicBytes() throws SqlException {
    Value value = CatalogCodec.encodeTable(ORDERS);
    assertThat(CatalogCodec.decodeTable(value)).isEqualTo(ORDERS);
    assertThat(CatalogCodec.encodeTable(ORDERS).toByteArray()).isEqualTo(value.toByteArray());
    assertThat(CatalogCodec.encodeTable(CatalogCodec.decodeTable(value)).toByteArray())
        .isEqualTo(value.toByteArray());
  }

  @Test
  void streamsRoundTripWithDeterministicBytes() throws SqlException {
    Value value = CatalogCodec.encodeStream(CLICKS);
    assertThat(CatalogCodec.decodeStream(value)).isEqualTo(CLICKS);
    assertThat(CatalogCodec.encodeStream(CatalogCodec.decodeStream(value)).toByteArray())
        .isEqualTo(value.toByteArray());
    StreamDef unkeyed = new StreamDef("s", CLICKS.columns(), Optional.empty());
    assertThat(CatalogCodec.decodeStream(CatalogCodec.encodeStream(unkeyed))).isEqualTo(unkeyed);
  }

  @Test
  void typesAreStoredAsPostgresOids() throws Exception {
    SqlTableDef message = SqlTableDef.parseFrom(CatalogCodec.encodeTable(ORDERS).getBytes());
    assertThat(message.getColumnsList()).extracting(SqlColumnDef::getTypeOid)
        .containsExactly(20, 1700, 1043, 25, 3802, 1184);
  }

  @Test
  void keys() throws SqlException {
    assertThat(CatalogCodec.tableKey("orders")).isEqualTo("\u0000ordo/sql/catalog/table/orders");
    assertThat(CatalogCodec.streamKey("Clicks ✓")).isEqualTo("\u0000ordo/sql/catalog/stream/Clicks ✓");
    assertThat(CatalogCodec.rowsetKey(TABLE_ID)).isEqualTo("\u0000ordo/sql/rowset/" + TABLE_ID);
    assertThat(CatalogCodec.tableKey("t")).startsWith(CatalogCodec.TABLE_KEY_PREFIX);
    assertThatThrownBy(() -> CatalogCodec.rowsetKey("x")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void namesAreBoundedByTheKeyLimit() throws SqlException {
    int room = 1024 - CatalogCodec.TABLE_KEY_PREFIX.getBytes(StandardCharsets.UTF_8).length;
    assertThat(CatalogCodec.tableKey("a".repeat(room)).getBytes(StandardCharsets.UTF_8)).hasSize(1024);
    assertState(() -> CatalogCodec.tableKey("a".repeat(room + 1)), "42622");
    assertState(() -> CatalogCodec.streamKey("€".repeat(room / 3 + 1)), "42622");
    assertState(() -> CatalogCodec.tableKey(""), "42602");
    assertState(() -> CatalogCodec.tableKey("a\u0000"), "22021");
    assertState(() -> CatalogCodec.tableKey("a\udc00"), "22021");
  }

  @Test
  void invalidDefinitionsAreRefused() {
    TableDef badId = new TableDef("t", "XYZ", ORDERS.columns(), List.of("id"), 1);
    assertState(() -> CatalogCodec.encodeTable(badId), "42P16");
    TableDef missingKey = new TableDef("t", TABLE_ID, ORDERS.columns(), List.of("nope"), 1);
    assertState(() -> CatalogCodec.encodeTable(missingKey), "42P16");
    TableDef jsonKey = new TableDef("t", TABLE_ID, ORDERS.columns(), List.of("doc"), 1);
    assertState(() -> CatalogCodec.encodeTable(jsonKey), "0A000");
    TableDef twiceKey = new TableDef("t", TABLE_ID, ORDERS.columns(), List.of("id", "id"), 1);
    assertState(() -> CatalogCodec.encodeTable(twiceKey), "42P16");
    TableDef dupName = new TableDef("t", TABLE_ID,
        List.of(column("a", 1, SqlType.INTEGER, true), column("a", 2, SqlType.TEXT, false)),
        List.of("a"), 1);
    assertState(() -> CatalogCodec.encodeTable(dupName), "42701");
    TableDef dupId = new TableDef("t", TABLE_ID,
        List.of(column("a", 1, SqlType.INTEGER, true), column("b", 1, SqlType.TEXT, false)),
        List.of("a"), 1);
    assertState(() -> CatalogCodec.encodeTable(dupId), "42P16");
    TableDef wideDecimal = new TableDef("t", TABLE_ID,
        List.of(column("a", 1, SqlType.INTEGER, true),
            new ColumnDef("d", 2, SqlType.DECIMAL, 1001, 2, false, Optional.empty())),
        List.of("a"), 1);
    assertState(() -> CatalogCodec.encodeTable(wideDecimal), "42P16");
    TableDef nameType = new TableDef("t", TABLE_ID,
        List.of(column("a", 1, SqlType.INTEGER, true), column("n", 2, SqlType.NAME, false)),
        List.of("a"), 1);
    assertState(() -> CatalogCodec.encodeTable(nameType), "0A000");
    StreamDef badKey = new StreamDef("s", CLICKS.columns(), Optional.of("nope"));
    assertState(() -> CatalogCodec.encodeStream(badKey), "42P16");
  }

  @Test
  void entriesNoEncoderWroteAreRefusedWithXx001() throws Exception {
    SqlTableDef good = SqlTableDef.parseFrom(CatalogCodec.encodeTable(ORDERS).getBytes());
    List<SqlTableDef> bad = List.of(
        good.toBuilder().setFormatVersion(2).build(),
        good.toBuilder().setTableId("nothex").build(),
        good.toBuilder().clearPrimaryKey().build(),
        good.toBuilder().setColumns(0, good.getColumns(0).toBuilder().setTypeOid(705)).build(),
        good.toBuilder().setColumns(0, good.getColumns(0).toBuilder().setTypeOid(99999)).build(),
        good.toBuilder().setColumns(0, good.getColumns(0).toBuilder().setId(0)).build());
    for (SqlTableDef def : bad) {
      Value value = Value.newBuilder().setBytes(def.toByteString()).build();
      assertState(() -> CatalogCodec.decodeTable(value), "XX001");
    }
    assertState(() -> CatalogCodec.decodeTable(Value.newBuilder().setCounter(3).build()), "XX001");
    assertState(() -> CatalogCodec.decodeTable(
        Value.newBuilder().setBytes(ByteString.copyFromUtf8("\u00ff garbage")).build()), "XX001");
    SqlStreamDef stream = SqlStreamDef.parseFrom(CatalogCodec.encodeStream(CLICKS).getBytes());
    Value badStream = Value.newBuilder()
        .setBytes(stream.toBuilder().setKeyColumn("nope").build().toByteString()).build();
    assertState(() -> CatalogCodec.decodeStream(badStream), "XX001");
  }
}
