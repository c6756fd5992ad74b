package io.ordo.sql.encoding;

import static io.ordo.sql.encoding.SqlValuesForTests.KEY_TYPES;
import static io.ordo.sql.encoding.SqlValuesForTests.compare;
import static io.ordo.sql.encoding.SqlValuesForTests.compareTuples;
import static io.ordo.sql.encoding.SqlValuesForTests.compareUtf8;
import static io.ordo.sql.encoding.SqlValuesForTests.keyTable;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.TableDef;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * KeyCodec against SQL's order and equality, computed independently of the codec: keys compare
 * (UTF-8 bytes, the store's order, and String.compareTo) as the values and tuples compare; a
 * prefix of leading values is a prefix of exactly the keys with those values; decode inverts
 * encode.
 *
 * <p>The generators weigh edge values in themselves and derive the second value of a pair from
 * the first (neighbours, prefixes, extensions), so jqwik's edge-case mixing is off: combining the
 * edge cases of flat-mapped tuples grows exponentially.
 */
class KeyCodecPropertiesTest {
  /** Two values of one type (the second often equal to the first). */
  record Pair(SqlType type, Object a, Object b) {}

  /** Two tuples over the same key types, sharing leading components often. */
  record Tuples(List<SqlType> types, List<Object> a, List<Object> b) {}

  @Provide
  Arbitrary<Pair> pairs() {
    return Arbitraries.of(KEY_TYPES).flatMap(type ->
        SqlValuesForTests.values(type).flatMap(a ->
            Arbitraries.frequencyOf(
                    Tuple.of(1, Arbitraries.just(a)),
                    Tuple.of(3, SqlValuesForTests.related(type, a)),
                    Tuple.of(2, SqlValuesForTests.values(type)))
                .map(b -> new Pair(type, a, b))));
  }

  @Provide
  Arbitrary<Tuples> tuples() {
    return Arbitraries.of(KEY_TYPES).list().ofMinSize(1).ofMaxSize(4).flatMap(types -> {
      List<Arbitrary<Object>> components = new ArrayList<>();
      for (SqlType type : types) {
        components.add(SqlValuesForTests.values(type));
      }
      Arbitrary<List<Object>> tuple = Combinators.combine(components).as(ArrayList::new);
      return tuple.flatMap(a -> {
        // b shares a's first `shared` components, then has one related to a's, then any: so
        // prefixes collide and the first difference is often a small one.
        List<Arbitrary<Object>> others = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
          others.add(SqlValuesForTests.related(types.get(i), a.get(i)));
        }
        Arbitrary<List<Object>> near = Combinators.combine(others).as(ArrayList::new);
        return Combinators.combine(tuple, near, Arbitraries.integers().between(0, types.size()))
            .as((random, related, shared) -> {
              List<Object> b = new ArrayList<>(random);
              for (int i = 0; i < shared; i++) {
                b.set(i, a.get(i));
              }
              if (shared < types.size()) {
                b.set(shared, related.get(shared));
              }
              return new Tuples(types, a, b);
            });
      });
    });
  }

  @Property(tries = 3000, edgeCases = EdgeCasesMode.NONE)
  void singleValueKeysCompareAsTheValues(@ForAll("pairs") Pair pair) throws SqlException {
    TableDef table = keyTable(List.of(pair.type()));
    String ka = KeyCodec.encode(table, List.of(pair.a()));
    String kb = KeyCodec.encode(table, List.of(pair.b()));
    int expected = Integer.signum(compare(pair.type(), pair.a(), pair.b()));
    assertThat(Integer.signum(compareUtf8(ka, kb))).isEqualTo(expected);
    assertThat(Integer.signum(ka.compareTo(kb))).isEqualTo(expected);
    assertThat(ka.equals(kb)).isEqualTo(expected == 0);
  }

  @Property(tries = 3000, edgeCases = EdgeCasesMode.NONE)
  void tupleKeysCompareLexicographically(@ForAll("tuples") Tuples t) throws SqlException {
    TableDef table = keyTable(t.types());
    String ka = KeyCodec.encode(table, t.a());
    String kb = KeyCodec.encode(table, t.b());
    int expected = Integer.signum(compareTuples(t.types(), t.a(), t.b()));
    assertThat(Integer.signum(compareUtf8(ka, kb))).isEqualTo(expected);
    assertThat(Integer.signum(ka.compareTo(kb))).isEqualTo(expected);
  }

  @Property(tries = 3000, edgeCases = EdgeCasesMode.NONE)
  void aPrefixOfLeadingValuesPrefixesExactlyTheKeysWithThoseValues(@ForAll("tuples") Tuples t)
      throws SqlException {
    TableDef table = keyTable(t.types());
    String keyA = KeyCodec.encode(table, t.a());
    String keyB = KeyCodec.encode(table, t.b());
    assertThat(keyA).startsWith(KeyCodec.tablePrefix(table.tableId()));
    assertThat(KeyCodec.prefix(table, List.of())).isEqualTo(KeyCodec.tablePrefix(table.tableId()));
    for (int k = 0; k <= t.types().size(); k++) {
      String prefix = KeyCodec.prefix(table, t.a().subList(0, k));
      assertThat(keyA).startsWith(prefix);
      boolean sameLeading =
          compareTuples(t.types().subList(0, k), t.a().subList(0, k), t.b().subList(0, k)) == 0;
      assertThat(keyB.startsWith(prefix)).as("k=%d", k).isEqualTo(sameLeading);
    }
    assertThat(KeyCodec.prefix(table, t.a())).isEqualTo(keyA);
  }

  @Property(tries = 3000, edgeCases = EdgeCasesMode.NONE)
  void decodeGivesBackEqualValuesInTheColumnsJavaShapes(@ForAll("tuples") Tuples t)
      throws SqlException {
    TableDef table = keyTable(t.types());
    String key = KeyCodec.encode(table, t.a());
    List<Object> decoded = KeyCodec.decode(table, key);
    assertThat(decoded).hasSize(t.types().size());
    for (int i = 0; i < t.types().size(); i++) {
      SqlType type = t.types().get(i);
      Object original = t.a().get(i);
      Object back = decoded.get(i);
      assertThat(back.getClass()).isEqualTo(original.getClass());
      assertThat(compare(type, original, back)).as("%s %s -> %s", type, original, back).isZero();
      if (type == SqlType.TIMESTAMPTZ) {
        assertThat(((OffsetDateTime) back).getOffset()).isEqualTo(ZoneOffset.UTC);
      }
      if (type == SqlType.DECIMAL) {
        assertThat(((BigDecimal) back).scale()).isGreaterThanOrEqualTo(0);
      }
    }
    // Encoding the decoded values gives the same key: the key is a function of SQL equality.
    assertThat(KeyCodec.encode(table, decoded)).isEqualTo(key);
  }

  @Property(tries = 2000, edgeCases = EdgeCasesMode.NONE)
  void everyCharacterAfterTheTablePrefixIsInU0001ToU00ff(@ForAll("tuples") Tuples t)
      throws SqlException {
    TableDef table = keyTable(t.types());
    String key = KeyCodec.encode(table, t.a());
    String body = key.substring(KeyCodec.tablePrefix(table.tableId()).length());
    assertThat(body.chars()).allMatch(c -> c >= 0x01 && c <= 0xff);
  }
}
