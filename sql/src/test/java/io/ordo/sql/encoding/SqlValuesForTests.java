package io.ordo.sql.encoding;

import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Test support: value generators per SQL type (edge values weighted in), SQL's order and equality
 * of values written independently of the codecs, and table definitions.
 */
final class SqlValuesForTests {
  private SqlValuesForTests() {}

  static final List<SqlType> KEY_TYPES =
      List.of(
          SqlType.BOOLEAN,
          SqlType.SMALLINT,
          SqlType.INTEGER,
          SqlType.BIGINT,
          SqlType.DOUBLE,
          SqlType.DECIMAL,
          SqlType.VARCHAR,
          SqlType.TEXT,
          SqlType.BYTEA,
          SqlType.DATE,
          SqlType.TIMESTAMP,
          SqlType.TIMESTAMPTZ);

  static final String TABLE_ID = "0123456789abcdef";

  static ColumnDef column(String name, int id, SqlType type, boolean notNull) {
    return new ColumnDef(name, id, type, -1, -1, notNull, Optional.empty());
  }

  /** A table whose primary key is one column per type, named k1..kn, plus a nullable TEXT v. */
  static TableDef keyTable(List<SqlType> keyTypes) {
    List<ColumnDef> columns = new ArrayList<>();
    List<String> pk = new ArrayList<>();
    for (int i = 0; i < keyTypes.size(); i++) {
      columns.add(column("k" + (i + 1), i + 1, keyTypes.get(i), true));
      pk.add("k" + (i + 1));
    }
    columns.add(column("v", keyTypes.size() + 1, SqlType.TEXT, false));
    return new TableDef("t", TABLE_ID, columns, pk, 1);
  }

  static Arbitrary<Object> values(SqlType type) {
    return switch (type) {
      case BOOLEAN -> Arbitraries.of(true, false).map(b -> b);
      case SMALLINT -> Arbitraries.shorts().map(s -> s);
      case INTEGER -> Arbitraries.integers().map(i -> i);
      case BIGINT -> longs().map(l -> l);
      case DOUBLE -> doubles().map(d -> d);
      case DECIMAL -> decimals().map(d -> d);
      case VARCHAR, TEXT -> texts().map(s -> s);
      case BYTEA -> byteas().map(b -> b);
      case DATE -> Arbitraries.longs()
          .between(LocalDate.MIN.toEpochDay(), LocalDate.MAX.toEpochDay())
          .map(d -> (Object) LocalDate.ofEpochDay(d));
      case TIMESTAMP -> micros().map(m -> (Object) localDateTime(m));
      case TIMESTAMPTZ -> Arbitraries.integers()
          .between(-18 * 3600, 18 * 3600)
          .flatMap(offset -> micros()
              .filter(m -> m > Long.MIN_VALUE / 2 && m < Long.MAX_VALUE / 2)
              .map(m -> (Object) localDateTime(m).atOffset(ZoneOffset.UTC)
                  .withOffsetSameInstant(ZoneOffset.ofTotalSeconds(offset))));
      case JSONB -> Arbitraries.of("{}", "[1,2]", "{\"a\":null}", "\"x\"", "1.50").map(s -> s);
      default -> throw new IllegalArgumentException(type.toString());
    };
  }

  /**
   * Values next to {@code a} in SQL order, where encodings are most likely to go wrong: neighbours
   * (±1, nextUp), negations, and for variable-length types the prefixes and extensions of {@code
   * a} (0.12 against 0.123, "ab" against "abc").
   */
  static Arbitrary<Object> related(SqlType type, Object a) {
    return switch (type) {
      case SMALLINT -> Arbitraries.of(-1, 1, 0).map(d -> {
        int v = (Short) a + d;
        return (Object) (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, v));
      });
      case INTEGER -> Arbitraries.of(-1L, 1L, 0L).map(d -> {
        long v = (Integer) a + d;
        return (Object) (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
      });
      case BIGINT -> Arbitraries.of(-1L, 1L).map(d -> {
        long v = (Long) a;
        return (Object) (d > 0 ? (v == Long.MAX_VALUE ? v : v + 1) : (v == Long.MIN_VALUE ? v : v - 1));
      });
      case DOUBLE -> Arbitraries.of(0, 1, 2).map(k -> {
        double v = (Double) a;
        return (Object) (k == 0 ? Math.nextUp(v) : k == 1 ? Math.nextDown(v) : -v);
      });
      case DECIMAL -> Arbitraries.integers().between(0, 5).map(k -> {
        BigDecimal v = (BigDecimal) a;
        return (Object) switch (k) {
          case 0, 1 -> v.setScale(Math.max(v.scale() - 1 - k, 0), java.math.RoundingMode.DOWN);
          case 2 -> v.add(BigDecimal.ONE.movePointLeft(v.scale() + 1));
          case 3 -> v.subtract(BigDecimal.ONE.movePointLeft(v.scale() + 1));
          case 4 -> v.movePointLeft(1);
          default -> v.negate();
        };
      });
      case VARCHAR, TEXT -> Combinators.combine(
              Arbitraries.integers().between(0, 8), texts())
          .as((cut, extra) -> {
            String v = (String) a;
            int[] cps = v.codePoints().toArray();
            int n = Math.min(cut, cps.length);
            return (Object) (cut % 2 == 0
                ? new String(cps, 0, n) : v + extra);
          });
      case BYTEA -> Combinators.combine(Arbitraries.integers().between(0, 8), byteas())
          .as((cut, extra) -> {
            byte[] v = (byte[]) a;
            if (cut % 2 == 0) {
              return (Object) Arrays.copyOf(v, Math.min(cut, v.length));
            }
            byte[] longer = Arrays.copyOf(v, v.length + extra.length);
            System.arraycopy(extra, 0, longer, v.length, extra.length);
            return (Object) longer;
          });
      default -> values(type);
    };
  }

  static Arbitrary<Long> longs() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.of(Long.MIN_VALUE, Long.MIN_VALUE + 1, -1L, 0L, 1L,
            Long.MAX_VALUE - 1, Long.MAX_VALUE)),
        Tuple.of(3, Arbitraries.longs()),
        Tuple.of(2, Arbitraries.longs().between(-1000, 1000)));
  }

  static Arbitrary<Long> micros() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.of(Long.MIN_VALUE, -1L, 0L, 1L, Long.MAX_VALUE)),
        Tuple.of(3, Arbitraries.longs()),
        Tuple.of(2, Arbitraries.longs().between(-2_000_000_000_000_000L, 4_000_000_000_000_000L)));
  }

  static LocalDateTime localDateTime(long micros) {
    return LocalDateTime.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), (int) Math.floorMod(micros, 1_000_000L) * 1000,
        ZoneOffset.UTC);
  }

  /** Specials, arbitrary bit patterns (every NaN payload, subnormals), ordinary values. */
  static Arbitrary<Double> doubles() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.of(Double.NaN, Double.longBitsToDouble(0xfff8000000000001L),
            Double.longBitsToDouble(0x7ff0000000000001L), -0.0, 0.0, Double.MIN_VALUE,
            -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 1.0, -1.0)),
        Tuple.of(3, Arbitraries.longs().map(Double::longBitsToDouble)),
        Tuple.of(2, Arbitraries.doubles().between(-1000, 1000)));
  }

  /**
   * Decimals of all signs and magnitudes, with equal values at several scales (1.0 vs 1.00) and
   * long digit strings.
   */
  static Arbitrary<BigDecimal> decimals() {
    Arbitrary<BigInteger> unscaled = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.longs().between(-1000, 1000).map(BigInteger::valueOf)),
        Tuple.of(2, Arbitraries.longs().map(BigInteger::valueOf)),
        Tuple.of(1, Arbitraries.bigIntegers()
            .between(BigInteger.TEN.pow(60).negate(), BigInteger.TEN.pow(60))));
    return Combinators.combine(
            unscaled, Arbitraries.integers().between(-30, 40), Arbitraries.integers().between(0, 3))
        .as((u, scale, extraZeros) ->
            new BigDecimal(u, scale).setScale(Math.max(scale, 0) + extraZeros));
  }

  /** Code points from a small alphabet of edge characters (collisions, escapes) or anywhere. */
  static Arbitrary<String> texts() {
    Arbitrary<Integer> edge = Arbitraries.of(0x01, 0x02, 0x03, (int) 'a', (int) 'b', 0x7f, 0x80, 0xff, 0x100,
        0x7ff, 0x800, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x10ffff);
    Arbitrary<Integer> any = Arbitraries.integers().between(1, 0x10ffff)
        .filter(cp -> cp < 0xd800 || cp > 0xdfff);
    return Arbitraries.frequencyOf(Tuple.of(3, edge), Tuple.of(1, any))
        .list().ofMaxSize(8)
        .map(cps -> {
          StringBuilder sb = new StringBuilder();
          cps.forEach(sb::appendCodePoint);
          return sb.toString();
        });
  }

  static Arbitrary<byte[]> byteas() {
    Arbitrary<Byte> edge = Arbitraries.of((byte) 0, (byte) 1, (byte) 2, (byte) 3, (byte) 0x7f,
        (byte) 0x80, (byte) 0xff);
    return Arbitraries.frequencyOf(Tuple.of(3, edge), Tuple.of(1, Arbitraries.bytes()))
        .list().ofMaxSize(8)
        .map(list -> {
          byte[] b = new byte[list.size()];
          for (int i = 0; i < b.length; i++) {
            b[i] = list.get(i);
          }
          return b;
        });
  }

  /** SQL's order of two non-NULL values of {@code type}, independent of the codecs. */
  static int compare(SqlType type, Object a, Object b) {
    return switch (type) {
      case BOOLEAN -> Boolean.compare((Boolean) a, (Boolean) b);
      case SMALLINT, INTEGER, BIGINT -> Long.compare(((Number) a).longValue(), ((Number) b).longValue());
      case DOUBLE -> compareDoubles((Double) a, (Double) b);
      case DECIMAL -> ((BigDecimal) a).compareTo((BigDecimal) b);
      case VARCHAR, TEXT -> Arrays.compare(((String) a).codePoints().toArray(),
          ((String) b).codePoints().toArray());
      case BYTEA -> Arrays.compareUnsigned((byte[]) a, (byte[]) b);
      case DATE -> ((LocalDate) a).compareTo((LocalDate) b);
      case TIMESTAMP -> ((LocalDateTime) a).compareTo((LocalDateTime) b);
      case TIMESTAMPTZ -> ((OffsetDateTime) a).toInstant().compareTo(((OffsetDateTime) b).toInstant());
      default -> throw new IllegalArgumentException(type.toString());
    };
  }

  /** PostgreSQL float8 order: NaN equals NaN and is above everything; -0 equals 0. */
  private static int compareDoubles(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Boolean.compare(Double.isNaN(a), Double.isNaN(b));
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Lexicographic order of tuples by {@link #compare}. */
  static int compareTuples(List<SqlType> types, List<Object> a, List<Object> b) {
    for (int i = 0; i < types.size(); i++) {
      int c = compare(types.get(i), a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** UTF-8 byte order, the store's key order. */
  static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
