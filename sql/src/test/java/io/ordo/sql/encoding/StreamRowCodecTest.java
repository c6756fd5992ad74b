package io.ordo.sql.encoding;

import static io.ordo.sql.encoding.KeyCodecTest.assertState;
import static io.ordo.sql.encoding.SqlValuesForTests.column;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.ordo.proto.StreamRecord;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Stream rows as JSON records: format, round trips, partition keys, records SQL did not write. */
class StreamRowCodecTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final List<ColumnDef> COLUMNS = List.of(
      column("b", 1, SqlType.BOOLEAN, false),
      column("s", 2, SqlType.SMALLINT, false),
      column("i", 3, SqlType.INTEGER, false),
      column("big", 4, SqlType.BIGINT, false),
      column("d", 5, SqlType.DOUBLE, false),
      new ColumnDef("dec", 6, SqlType.DECIMAL, 20, 2, false, Optional.empty()),
      column("v", 7, SqlType.VARCHAR, false),
      column("t", 8, SqlType.TEXT, false),
      column("raw", 9, SqlType.BYTEA, false),
      column("day", 10, SqlType.DATE, false),
      column("ts", 11, SqlType.TIMESTAMP, false),
      column("tz", 12, SqlType.TIMESTAMPTZ, false),
      column("doc", 13, SqlType.JSONB, false));

  private static final StreamDef ALL = new StreamDef("events", COLUMNS, Optional.of("t"));

  @Test
  void theJsonFormatIsPinned() throws SqlException {
    List<Object> row = List.of(true, (short) -2, 5, 9007199254740993L, 1.5, new BigDecimal("3.1"),
        "v", "bob", new byte[] {1, 2, (byte) 0xff}, LocalDate.of(2024, 5, 1),
        LocalDateTime.of(2024, 5, 1, 12, 30, 0, 500_000_000),
        OffsetDateTime.of(2024, 5, 1, 14, 0, 0, 0, ZoneOffset.ofHours(2)),
        "{\"k\": [1, 2.50, null]}");
    StreamRecord record = StreamRowCodec.encode(ALL, row);
    assertThat(record.getJson()).isEqualTo(
        "{\"b\":true,\"s\":-2,\"i\":5,\"big\":\"9007199254740993\",\"d\":1.5,\"dec\":\"3.10\","
            + "\"v\":\"v\",\"t\":\"bob\",\"raw\":\"AQL/\",\"day\":\"2024-05-01\","
            + "\"ts\":\"2024-05-01T12:30:00.5\",\"tz\":\"2024-05-01T12:00:00Z\","
            + "\"doc\":{\"k\":[1,2.50,null]}}");
    assertThat(record.getPartitionKey()).isEqualTo("bob");
    assertThat(StreamRowCodec.toJson(ALL, row)).isEqualTo(record.getJson());
    assertThat(StreamRowCodec.decode(ALL, record, 0, 0).get(12)).isEqualTo("{\"k\":[1,2.50,null]}");
  }

  @Test
  void specialDoublesAreStrings() throws Exception {
    StreamDef s = new StreamDef("s", List.of(column("d", 1, SqlType.DOUBLE, false)), Optional.empty());
    for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      String json = StreamRowCodec.toJson(s, List.of(d));
      assertThat(JSON.readTree(json).get("d").isTextual()).isTrue();
      assertThat(StreamRowCodec.decodeJson(s, json, 0, 0)).containsExactly(d);
    }
    assertThat(StreamRowCodec.toJson(s, List.of(1e300))).isEqualTo("{\"d\":1.0E300}");
  }

  @Provide
  Arbitrary<List<Object>> rows() {
    List<Arbitrary<Object>> values = new ArrayList<>();
    for (ColumnDef c : COLUMNS) {
      Arbitrary<Object> v = c.type() == SqlType.DECIMAL
          ? SqlValuesForTests.decimals()
              .filter(d -> d.precision() - d.scale() <= 18)
              .map(d -> (Object) d.setScale(2, java.math.RoundingMode.HALF_UP))
          : SqlValuesForTests.values(c.type());
      values.add(v.injectNull(0.2));
    }
    return Combinators.combine(values).as(ArrayList::new);
  }

  @Property(tries = 1500)
  void rowsRoundTripThroughJsonInColumnOrder(@ForAll("rows") List<Object> row) throws Exception {
    StreamRecord record = StreamRowCodec.encode(ALL, row);
    assertThat(StreamRowCodec.encode(ALL, row)).isEqualTo(record);
    JsonNode tree = JSON.readTree(record.getJson());
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    assertThat(names).containsExactlyElementsOf(COLUMNS.stream().map(ColumnDef::name).toList());
    List<Object> back = StreamRowCodec.decode(ALL, record, 3, 17);
    for (int i = 0; i < row.size(); i++) {
      Object original = row.get(i);
      SqlType type = COLUMNS.get(i).type();
      if (original == null) {
        assertThat(back.get(i)).isNull();
        assertThat(tree.get(COLUMNS.get(i).name()).isNull()).isTrue();
      } else if (type == SqlType.JSONB) {
        assertThat(JSON.readTree((String) back.get(i))).isEqualTo(JSON.readTree((String) original));
      } else {
        assertThat(back.get(i).getClass()).isEqualTo(original.getClass());
        assertThat(SqlValuesForTests.compare(type, original, back.get(i)))
            .as("%s %s -> %s", type, original, back.get(i)).isZero();
      }
    }
    String expectedKey = row.get(7) == null ? "" : (String) row.get(7);
    assertThat(record.getPartitionKey()).isEqualTo(expectedKey);
    // Decoded values encode to the same record: the JSON form is a function of the values.
    assertThat(StreamRowCodec.encode(ALL, back)).isEqualTo(record);
  }

  @Test
  void partitionKeysAreTheKeyMembersText() throws SqlException {
    List<ColumnDef> cols = List.of(column("id", 1, SqlType.BIGINT, false),
        column("n", 2, SqlType.INTEGER, false), column("flag", 3, SqlType.BOOLEAN, false));
    assertThat(StreamRowCodec.partitionKey(new StreamDef("s", cols, Optional.of("id")),
        List.of(12L, 3, true))).isEqualTo("12");
    assertThat(StreamRowCodec.partitionKey(new StreamDef("s", cols, Optional.of("n")),
        List.of(12L, 3, true))).isEqualTo("3");
    assertThat(StreamRowCodec.partitionKey(new StreamDef("s", cols, Optional.of("flag")),
        List.of(12L, 3, false))).isEqualTo("false");
    assertThat(StreamRowCodec.partitionKey(new StreamDef("s", cols, Optional.of("id")),
        Arrays.asList(null, 3, true))).isEmpty();
    assertThat(StreamRowCodec.partitionKey(new StreamDef("s", cols, Optional.empty()),
        List.of(12L, 3, true))).isEmpty();
    StreamDef text = new StreamDef("s", List.of(column("k", 1, SqlType.TEXT, false)), Optional.of("k"));
    assertThat(StreamRowCodec.partitionKey(text, List.of("x".repeat(1024)))).hasSize(1024);
    assertState(() -> StreamRowCodec.partitionKey(text, List.of("é".repeat(513))), "54000");
  }

  @Test
  void writeErrorsGetSqlStates() {
    StreamDef s = new StreamDef("s", List.of(column("k", 1, SqlType.TEXT, true),
        column("j", 2, SqlType.JSONB, false)), Optional.empty());
    assertState(() -> StreamRowCodec.toJson(s, Arrays.asList(null, null)), "23502");
    assertState(() -> StreamRowCodec.toJson(s, List.of("a", "{oops")), "22P02");
    assertState(() -> StreamRowCodec.toJson(s, List.of("a", "1 2")), "22P02");
    assertState(() -> StreamRowCodec.toJson(s, List.of(1, "1")), "42804");
    assertState(() -> StreamRowCodec.toJson(s, List.of("a\u0000", "1")), "22021");
    assertThatThrownBy(() -> StreamRowCodec.toJson(s, List.of("a")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void foreignRecordsReadWhatTheyCanAndNullForTheRest() throws SqlException {
    String json = "{\"extra\":[1],\"b\":\"true\",\"s\":\"12\",\"i\":7.0,\"big\":123,"
        + "\"d\":\"2.5\",\"dec\":1.005,\"v\":12.50,\"t\":{\"a\":1},\"raw\":\"not base64!\","
        + "\"day\":\"2024-13-01\",\"ts\":\"2024-05-01T00:00:00.0000015\","
        + "\"tz\":\"2024-05-01T02:00:00+02:00\",\"doc\":[true]}";
    List<Object> row = StreamRowCodec.decodeJson(ALL, json, 1, 2);
    assertThat(row).containsExactly(
        null,                                   // "true" is a string, not a boolean
        (short) 12,                             // numeric string
        7,                                      // integral number written with a fraction
        123L,                                   // BIGINT from a number
        2.5,                                    // numeric string
        new BigDecimal("1.01"),                 // exact, rounded half up to scale 2
        "12.50",                                // TEXT of a number: its JSON text
        "{\"a\":1}",                            // TEXT of an object: its JSON text
        null,                                   // invalid base64
        null,                                   // month 13
        LocalDateTime.of(2024, 5, 1, 0, 0, 0, 2_000), // rounded half to even to microseconds
        OffsetDateTime.of(2024, 5, 1, 0, 0, 0, 0, ZoneOffset.UTC),
        "[true]");
    String wrong = "{\"b\":1,\"s\":70000,\"i\":1.5,\"big\":\"99999999999999999999\",\"d\":1e999,"
        + "\"dec\":\"1e40\",\"v\":null,\"t\":\"a\\u0000b\",\"raw\":5,\"day\":20240501,"
        + "\"ts\":\"2024-05-01\",\"tz\":\"2024-05-01T00:00:00\"}";
    assertThat(StreamRowCodec.decodeJson(ALL, wrong, 1, 2)).containsOnlyNulls().hasSize(13);
  }

  @Test
  void recordsThatAreNotJsonObjectsReadAsNulls() throws SqlException {
    for (String json : List.of("[1,2]", "\"x\"", "42", "null", "")) {
      assertThat(StreamRowCodec.decodeJson(ALL, json, 0, 0)).hasSize(13).containsOnlyNulls();
    }
    StreamRecord raw = StreamRecord.newBuilder().setRaw(ByteString.copyFromUtf8("{\"t\":\"x\"}")).build();
    assertThat(StreamRowCodec.decode(ALL, raw, 0, 0)).hasSize(13).containsOnlyNulls();
    assertThat(StreamRowCodec.decode(ALL, StreamRecord.getDefaultInstance(), 0, 0))
        .isEqualTo(Collections.nCopies(13, null));
  }

  @Test
  void aPayloadThatDoesNotParseIsAnErrorNamingStreamShardAndOffset() {
    assertThatThrownBy(() -> StreamRowCodec.decodeJson(ALL, "{\"t\":", 4, 99))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo("22P02");
          assertThat(e.getMessage()).startsWith("stream events, shard 4, offset 99: ");
        });
  }
}
