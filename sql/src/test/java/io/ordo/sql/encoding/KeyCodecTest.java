package io.ordo.sql.encoding;

import static io.ordo.sql.encoding.SqlValuesForTests.TABLE_ID;
import static io.ordo.sql.encoding.SqlValuesForTests.column;
import static io.ordo.sql.encoding.SqlValuesForTests.keyTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The r1 key format byte for byte, its normalizations, limits and errors. */
class KeyCodecTest {
  private static final String PREFIX = "\u0000ordo/sql/r1/" + TABLE_ID + "/";

  private static String key(SqlType type, Object value) throws SqlException {
    return KeyCodec.encode(keyTable(List.of(type)), List.of(value));
  }

  private static String body(SqlType type, Object value) throws SqlException {
    String key = key(type, value);
    assertThat(key).startsWith(PREFIX);
    return key.substring(PREFIX.length());
  }

  @Test
  void theFormatIsPinned() throws SqlException {
    // A change here changes where existing rows are: it needs a new format version (r2).
    assertThat(KeyCodec.tablePrefix(TABLE_ID)).isEqualTo(PREFIX);
    assertThat(body(SqlType.INTEGER, 5)).isEqualTo("8000000000000005");
    assertThat(body(SqlType.BIGINT, -1L)).isEqualTo("7fffffffffffffff");
    assertThat(body(SqlType.SMALLINT, (short) 0)).isEqualTo("8000000000000000");
    assertThat(body(SqlType.BOOLEAN, true)).isEqualTo("1");
    assertThat(body(SqlType.DOUBLE, 1.0)).isEqualTo("bff0000000000000");
    assertThat(body(SqlType.DOUBLE, -1.0)).isEqualTo("400fffffffffffff");
    assertThat(body(SqlType.TEXT, "ab")).isEqualTo("ab\u0001\u0001");
    assertThat(body(SqlType.TEXT, "a\u0001é")).isEqualTo("a\u0001\u0003\u00c3\u00a9\u0001\u0001");
    assertThat(body(SqlType.BYTEA, new byte[] {0, 1, 2})).isEqualTo("\u0001\u0002\u0001\u0003\u0002\u0001\u0001");
    assertThat(body(SqlType.DECIMAL, new BigDecimal("12.5"))).isEqualTo("280000002125!");
    assertThat(body(SqlType.DECIMAL, new BigDecimal("-12.5"))).isEqualTo("07ffffffd874~");
    assertThat(body(SqlType.DECIMAL, new BigDecimal("0.00"))).isEqualTo("1");
    assertThat(body(SqlType.DECIMAL, new BigDecimal("0.05"))).isEqualTo("27fffffff5!");
    assertThat(body(SqlType.DATE, LocalDate.of(1970, 1, 2))).isEqualTo("8000000000000001");
    assertThat(body(SqlType.TIMESTAMP, LocalDateTime.of(1970, 1, 1, 0, 0, 1)))
        .isEqualTo("80000000000f4240");
    TableDef two = keyTable(List.of(SqlType.INTEGER, SqlType.TEXT));
    assertThat(KeyCodec.encode(two, List.of(7, "x")))
        .isEqualTo(PREFIX + "8000000000000007x\u0001\u0001");
  }

  @Test
  void equalSqlValuesShareAKey() throws SqlException {
    assertThat(key(SqlType.DECIMAL, new BigDecimal("1.0")))
        .isEqualTo(key(SqlType.DECIMAL, new BigDecimal("1.00")))
        .isEqualTo(key(SqlType.DECIMAL, new BigDecimal("1")))
        .isEqualTo(key(SqlType.DECIMAL, 1L));
    assertThat(key(SqlType.DECIMAL, new BigDecimal("1E+2")))
        .isEqualTo(key(SqlType.DECIMAL, new BigDecimal("100.000")));
    assertThat(key(SqlType.DOUBLE, -0.0)).isEqualTo(key(SqlType.DOUBLE, 0.0));
    assertThat(key(SqlType.DOUBLE, Double.longBitsToDouble(0xfff8000000000123L)))
        .isEqualTo(key(SqlType.DOUBLE, Double.NaN));
    OffsetDateTime utc = OffsetDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneOffset.UTC);
    assertThat(key(SqlType.TIMESTAMPTZ, utc))
        .isEqualTo(key(SqlType.TIMESTAMPTZ, utc.withOffsetSameInstant(ZoneOffset.ofHours(-7))));
    // A widened integer column keeps its keys: one encoding for all three widths.
    assertThat(key(SqlType.SMALLINT, (short) 42)).isEqualTo(key(SqlType.BIGINT, 42L));
  }

  @Test
  void timestampsAreRoundedToMicrosecondsHalfToEven() throws SqlException {
    LocalDateTime base = LocalDateTime.of(2024, 1, 1, 0, 0);
    assertThat(key(SqlType.TIMESTAMP, base.plusNanos(1_499)))
        .isEqualTo(key(SqlType.TIMESTAMP, base.plusNanos(1_000)));
    assertThat(key(SqlType.TIMESTAMP, base.plusNanos(1_500)))
        .isEqualTo(key(SqlType.TIMESTAMP, base.plusNanos(2_000)));
    assertThat(key(SqlType.TIMESTAMP, base.plusNanos(2_500)))
        .isEqualTo(key(SqlType.TIMESTAMP, base.plusNanos(2_000)));
    assertThat(KeyCodec.decode(keyTable(List.of(SqlType.TIMESTAMP)),
        key(SqlType.TIMESTAMP, base.plusNanos(999_999_999))))
        .containsExactly(base.plusSeconds(1));
  }

  @Test
  void decimalsDecodeAtTheColumnsScale() throws SqlException {
    ColumnDef money = new ColumnDef("k", 1, SqlType.DECIMAL, 10, 2, true, Optional.empty());
    TableDef table = new TableDef("t", TABLE_ID, List.of(money), List.of("k"), 1);
    String key = KeyCodec.encode(table, List.of(new BigDecimal("3.1")));
    assertThat(KeyCodec.decode(table, key)).containsExactly(new BigDecimal("3.10"));
    // Rounded half away from zero to the column's scale, as on assignment in PostgreSQL.
    assertThat(KeyCodec.encode(table, List.of(new BigDecimal("3.105")))).isEqualTo(
        KeyCodec.encode(table, List.of(new BigDecimal("3.11"))));
    assertThatThrownBy(() -> KeyCodec.encode(table, List.of(new BigDecimal("123456789.0"))))
        .isInstanceOfSatisfying(SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("22003"));
    TableDef unconstrained = keyTable(List.of(SqlType.DECIMAL));
    assertThat(KeyCodec.decode(unconstrained, key(SqlType.DECIMAL, new BigDecimal("1E+3"))))
        .containsExactly(new BigDecimal("1000"));
  }

  @Test
  void aKeyOverTheLimitIsRefusedWith54000() throws SqlException {
    TableDef table = keyTable(List.of(SqlType.TEXT));
    int overhead = PREFIX.length() + 2;
    String fits = "x".repeat(KeyCodec.KEY_BYTES_MAX - overhead);
    assertThat(KeyCodec.encode(table, List.of(fits)).getBytes(StandardCharsets.UTF_8))
        .hasSize(KeyCodec.KEY_BYTES_MAX);
    assertThatThrownBy(() -> KeyCodec.encode(table, List.of(fits + "x")))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo("54000");
          assertThat(e.getMessage())
              .isEqualTo("primary key of table t is 1025 bytes encoded, over the limit of 1024");
        });
    // Characters U+0080..U+00FF of the key take two UTF-8 bytes: é (2 bytes of UTF-8) takes 4.
    String wide = "é".repeat((KeyCodec.KEY_BYTES_MAX - overhead) / 4 + 1);
    assertThatThrownBy(() -> KeyCodec.encode(table, List.of(wide)))
        .isInstanceOfSatisfying(SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("54000"));
  }

  @Test
  void badValuesGetSqlStates() {
    TableDef text = keyTable(List.of(SqlType.TEXT));
    assertState(() -> KeyCodec.encode(text, Arrays.asList((Object) null)), "23502");
    assertState(() -> KeyCodec.encode(text, List.of("a\u0000b")), "22021");
    assertState(() -> KeyCodec.encode(text, List.of("a\ud800b")), "22021");
    assertState(() -> KeyCodec.encode(text, List.of(5)), "42804");
    assertState(() -> KeyCodec.encode(keyTable(List.of(SqlType.SMALLINT)), List.of(40_000)), "22003");
    assertState(() -> KeyCodec.encode(keyTable(List.of(SqlType.INTEGER)), List.of(1L << 40)), "22003");
    assertState(() -> KeyCodec.encode(keyTable(List.of(SqlType.TIMESTAMP)),
        List.of(LocalDateTime.of(300_000, 1, 1, 0, 0))), "22008");
    assertState(() -> KeyCodec.encode(keyTable(List.of(SqlType.JSONB)), List.of("{}")), "0A000");
    assertState(() -> KeyCodec.encode(keyTable(List.of(SqlType.DECIMAL)),
        List.of(new BigDecimal("1E+200000"))), "22003");
    ColumnDef varchar = new ColumnDef("k", 1, SqlType.VARCHAR, 3, -1, true, Optional.empty());
    TableDef short3 = new TableDef("t", TABLE_ID, List.of(varchar), List.of("k"), 1);
    assertState(() -> KeyCodec.encode(short3, List.of("abcd")), "22001");
  }

  @Test
  void encodeRowPicksTheKeyColumnsInKeyOrder() throws SqlException {
    List<ColumnDef> columns = List.of(
        column("a", 1, SqlType.TEXT, false),
        column("b", 2, SqlType.INTEGER, true),
        column("c", 3, SqlType.BOOLEAN, true));
    TableDef table = new TableDef("t", TABLE_ID, columns, List.of("c", "b"), 1);
    assertThat(KeyCodec.encodeRow(table, Arrays.asList(null, 9, true)))
        .isEqualTo(KeyCodec.encode(table, List.of(true, 9)));
  }

  @Test
  void malformedKeysAreRefusedWithXx001() throws SqlException {
    TableDef table = keyTable(List.of(SqlType.INTEGER, SqlType.TEXT));
    String good = KeyCodec.encode(table, List.of(1, "x"));
    List<String> bad = new ArrayList<>(List.of(
        "\u0000ordo/sql/r1/fedcba9876543210/8000000000000001x\u0001\u0001",
        good + "z",
        good.substring(0, good.length() - 1),
        PREFIX + "800000000000000Gx\u0001\u0001",
        PREFIX + "8000000000000001x\u0001\u0009",
        PREFIX + "8000000000000001\u0100\u0001\u0001",
        PREFIX + "8000000000000001\u00ff\u0001\u0001",
        PREFIX + "8000000100000000x\u0001\u0001"));
    for (String key : bad) {
      assertState(() -> KeyCodec.decode(table, key), "XX001");
    }
    TableDef decimal = keyTable(List.of(SqlType.DECIMAL));
    for (String body : List.of("3", "280000002120!", "280000002", "2800000020125!",
        "2ffffffff1!", "28000000212x!")) {
      assertState(() -> KeyCodec.decode(decimal, PREFIX + body), "XX001");
    }
  }

  @Test
  void jsonbCannotBeAKeyColumn() {
    assertState(() -> KeyCodec.checkKeyColumn(column("j", 1, SqlType.JSONB, true), "t"), "0A000");
    assertState(() -> KeyCodec.checkKeyColumn(column("n", 1, SqlType.NAME, true), "t"), "0A000");
  }

  @Test
  void tableIdsMustBeSixteenLowerCaseHexDigits() {
    assertThatThrownBy(() -> KeyCodec.tablePrefix("0123456789ABCDEF"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyCodec.tablePrefix("abc")).isInstanceOf(IllegalArgumentException.class);
  }

  interface Call {
    void run() throws Exception;
  }

  static void assertState(Call call, String state) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(SqlException.class, e -> assertThat(e.sqlState())
            .as(e.getMessage()).isEqualTo(state));
  }
}
