package io.ordo.sql.encoding;

import static io.ordo.sql.encoding.KeyCodecTest.assertState;
import static io.ordo.sql.encoding.SqlValuesForTests.TABLE_ID;
import static io.ordo.sql.encoding.SqlValuesForTests.column;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ordo.proto.Value;
import io.ordo.proto.state.SqlCell;
import io.ordo.proto.state.SqlRow;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Row values: round trips, byte-exact determinism, schema evolution, normalization, errors. */
class RowCodecTest {
  /** Every storable type, shuffled ids so declaration order is not id order. */
  private static final List<SqlType> TYPES = List.of(
      SqlType.BOOLEAN, SqlType.SMALLINT, SqlType.INTEGER, SqlType.BIGINT, SqlType.DOUBLE,
      SqlType.DECIMAL, SqlType.VARCHAR, SqlType.TEXT, SqlType.BYTEA, SqlType.DATE,
      SqlType.TIMESTAMP, SqlType.TIMESTAMPTZ, SqlType.JSONB);

  private static final TableDef ALL = allTypes();

  private static TableDef allTypes() {
    List<ColumnDef> columns = new ArrayList<>();
    columns.add(column("id", 20, SqlType.BIGINT, true));
    for (int i = 0; i < TYPES.size(); i++) {
      // Ids descending against declaration order: cells must still come out in id order.
      columns.add(column("c" + i, 19 - i, TYPES.get(i), false));
    }
    return new TableDef("all_types", TABLE_ID, columns, List.of("id"), 1);
  }

  @Provide
  Arbitrary<List<Object>> rows() {
    List<Arbitrary<Object>> values = new ArrayList<>();
    values.add(SqlValuesForTests.values(SqlType.BIGINT));
    for (SqlType type : TYPES) {
      values.add(SqlValuesForTests.values(type).injectNull(0.2));
    }
    return Combinators.combine(values).as(ArrayList::new);
  }

  @Property(tries = 2000)
  void decodeGivesBackTheRowAndReencodingGivesTheSameBytes(@ForAll("rows") List<Object> row)
      throws Exception {
    Value encoded = RowCodec.encode(ALL, row);
    assertThat(RowCodec.encode(ALL, row).toByteArray()).isEqualTo(encoded.toByteArray());
    List<Object> decoded = RowCodec.decode(ALL, encoded);
    assertThat(decoded).hasSize(row.size());
    for (int i = 0; i < row.size(); i++) {
      Object original = row.get(i);
      Object back = decoded.get(i);
      if (original == null) {
        assertThat(back).isNull();
        continue;
      }
      SqlType type = ALL.columns().get(i).type();
      assertThat(back.getClass()).isEqualTo(original.getClass());
      switch (type) {
        case JSONB -> assertThat(back).isEqualTo(original);
        case DOUBLE -> {
          // Bit-exact except that every NaN is the canonical one (-0.0 stays -0.0).
          double d = (Double) original;
          assertThat(Double.doubleToRawLongBits((Double) back))
              .isEqualTo(Double.isNaN(d) ? Double.doubleToRawLongBits(Double.NaN)
                  : Double.doubleToRawLongBits(d));
        }
        case DECIMAL -> assertThat(back).isEqualTo(original); // same scale: unconstrained column
        case TIMESTAMPTZ -> assertThat(back)
            .isEqualTo(((OffsetDateTime) original).withOffsetSameInstant(ZoneOffset.UTC));
        default -> assertThat(SqlValuesForTests.compare(type, original, back)).isZero();
      }
    }
    assertThat(RowCodec.encode(ALL, decoded).toByteArray()).isEqualTo(encoded.toByteArray());
    // The serialized message parses to an equal message and serializes identically.
    SqlRow message = SqlRow.parseFrom(encoded.getBytes());
    assertThat(message.toByteString()).isEqualTo(encoded.getBytes());
    List<Integer> ids = message.getCellsList().stream().map(SqlCell::getColumnId).toList();
    assertThat(ids).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void theSameLogicalRowEncodesToTheSameBytes() throws SqlException {
    ColumnDef money = new ColumnDef("m", 2, SqlType.DECIMAL, 10, 2, false, Optional.empty());
    ColumnDef at = column("at", 3, SqlType.TIMESTAMPTZ, false);
    ColumnDef n = column("n", 4, SqlType.BIGINT, false);
    ColumnDef f = column("f", 5, SqlType.DOUBLE, false);
    TableDef table = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.INTEGER, true), money, at, n, f), List.of("id"), 1);
    OffsetDateTime noon = OffsetDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneOffset.UTC);
    Value a = RowCodec.encode(table, List.of(1, new BigDecimal("1.5"), noon, 7L, Double.NaN));
    Value b = RowCodec.encode(table, List.of((short) 1, new BigDecimal("1.500"),
        noon.withOffsetSameInstant(ZoneOffset.ofHours(9)).plusNanos(400), 7,
        Double.longBitsToDouble(0x7ff8dead0000beefL)));
    assertThat(b.toByteArray()).isEqualTo(a.toByteArray());
    assertThat(RowCodec.decode(table, a).get(1)).isEqualTo(new BigDecimal("1.50"));
  }

  @Test
  void aColumnAddedLaterReadsItsAddedDefaultAndADroppedColumnIsIgnored() throws SqlException {
    TableDef v1 = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.INTEGER, true), column("a", 2, SqlType.TEXT, false),
            column("b", 3, SqlType.TEXT, false)),
        List.of("id"), 1);
    Value old = RowCodec.encode(v1, Arrays.asList(1, "x", null));
    // ALTER TABLE t DROP COLUMN b, ADD COLUMN c INTEGER DEFAULT 42 (ids are never reused).
    TableDef v2 = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.INTEGER, true), column("a", 2, SqlType.TEXT, false),
            column("c", 4, SqlType.INTEGER, false)),
        List.of("id"), 2);
    assertThat(RowCodec.decode(v2, old, Arrays.asList(null, null, 42))).containsExactly(1, "x", 42);
    assertThat(RowCodec.decode(v2, old)).containsExactly(1, "x", null);
    // A row written after the ADD COLUMN with c NULL stays NULL: the default is not applied.
    Value fresh = RowCodec.encode(v2, Arrays.asList(2, "y", null));
    assertThat(RowCodec.decode(v2, fresh, Arrays.asList(null, null, 42)))
        .containsExactly(2, "y", null);
    // A column that existed (b) and was NULL reads NULL, not the default, under v1.
    assertThat(RowCodec.decode(v1, old, Arrays.asList(null, null, "d")))
        .containsExactly(1, "x", null);
    // Widening SMALLINT to BIGINT reads old rows unchanged.
    TableDef narrow = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.INTEGER, true), column("s", 2, SqlType.SMALLINT, false)),
        List.of("id"), 1);
    TableDef wide = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.INTEGER, true), column("s", 2, SqlType.BIGINT, false)),
        List.of("id"), 2);
    assertThat(RowCodec.decode(wide, RowCodec.encode(narrow, List.of(1, (short) -3))))
        .containsExactly(1, -3L);
  }

  @Test
  void badRowsGetSqlStates() {
    TableDef table = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.INTEGER, true), column("s", 2, SqlType.SMALLINT, false),
            column("j", 3, SqlType.JSONB, false)),
        List.of("id"), 1);
    assertState(() -> RowCodec.encode(table, Arrays.asList(null, null, null)), "23502");
    assertState(() -> RowCodec.encode(table, Arrays.asList(1, 70_000, null)), "22003");
    assertState(() -> RowCodec.encode(table, Arrays.asList(1, "1", null)), "42804");
    assertState(() -> RowCodec.encode(table, Arrays.asList(1, null, "\"\ud800\"")), "22021");
    TableDef ts = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.TIMESTAMP, true)), List.of("id"), 1);
    assertState(() -> RowCodec.encode(ts, List.of(LocalDateTime.MAX)), "22008");
  }

  @Test
  void valuesNoEncoderWroteAreRefusedWithXx001() {
    TableDef table = new TableDef("t", TABLE_ID,
        List.of(column("id", 1, SqlType.INTEGER, true), column("s", 2, SqlType.SMALLINT, false)),
        List.of("id"), 1);
    SqlCell id = SqlCell.newBuilder().setColumnId(1).setIntValue(1).build();
    List<Value> bad = List.of(
        Value.newBuilder().setCounter(1).build(),
        Value.newBuilder().setBytes(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01})).build(),
        bytes(SqlRow.newBuilder().setFormatVersion(2).setMaxColumnId(2).addCells(id)),
        bytes(SqlRow.newBuilder().setFormatVersion(1).setMaxColumnId(2)
            .addCells(SqlCell.newBuilder().setColumnId(2).setIntValue(1)).addCells(id)),
        bytes(SqlRow.newBuilder().setFormatVersion(1).setMaxColumnId(2).addCells(id)
            .addCells(SqlCell.newBuilder().setColumnId(2).setIntValue(40_000))),
        bytes(SqlRow.newBuilder().setFormatVersion(1).setMaxColumnId(2).addCells(id)
            .addCells(SqlCell.newBuilder().setColumnId(2).setStringValue("1"))),
        bytes(SqlRow.newBuilder().setFormatVersion(1).setMaxColumnId(1).addCells(id)
            .addCells(SqlCell.newBuilder().setColumnId(2).setIntValue(1))));
    for (Value value : bad) {
      assertState(() -> RowCodec.decode(table, value), "XX001");
    }
  }

  private static Value bytes(SqlRow.Builder row) {
    return Value.newBuilder().setBytes(row.build().toByteString()).build();
  }

  @Test
  void randomBytesNeverCrashTheDecoder() {
    // Arbitrary stored bytes give a row or XX001, never another exception.
    java.util.Random random = new java.util.Random(7);
    TableDef table = ALL;
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[random.nextInt(40)];
      random.nextBytes(b);
      Value value = Value.newBuilder().setBytes(ByteString.copyFrom(b)).build();
      try {
        assertThat(RowCodec.decode(table, value)).hasSize(table.columns().size());
      } catch (SqlException e) {
        assertThat(e.sqlState()).isEqualTo("XX001");
      }
    }
  }
}
