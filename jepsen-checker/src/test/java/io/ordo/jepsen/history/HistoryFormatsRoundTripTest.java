package io.ordo.jepsen.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random histories over the whole value domain (awkward strings and longs, nested lists and
 * maps, nils, nemesis ops, errors) survive EDN → History → EDN exactly, and histories whose values
 * JSON can represent (transactions, number-keyed maps) survive EDN → JSON → EDN.
 */
class HistoryFormatsRoundTripTest {
  private static final String[] STRINGS = {"", "plain", "with \"quotes\"", "back\\slash", "new\nline\ttab", "ünïcødé ✓ 😀", "nil", ":kw", "#{}", "1"};
  private static final long[] LONGS = {0, 1, -1, 42, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 53, -(1L << 40)};

  static Object value(Random r, int depth) {
    int choice = r.nextInt(depth > 2 ? 5 : 8);
    return switch (choice) {
      case 0 -> null;
      case 1 -> LONGS[r.nextInt(LONGS.length)];
      case 2 -> STRINGS[r.nextInt(STRINGS.length)];
      case 3 -> Keyword.of(new String[] {"ok", "timeout", "a-b", "ns/name", "x?"}[r.nextInt(5)]);
      case 4 -> r.nextBoolean();
      case 5, 6 -> {
        List<Object> l = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
          l.add(value(r, depth + 1));
        }
        yield l;
      }
      default -> {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = r.nextInt(4); i > 0; i--) {
          Object k = r.nextBoolean() ? (Object) Keyword.of("k" + r.nextInt(5)) : (Object) (long) r.nextInt(5);
          m.put(k, value(r, depth + 1));
        }
        yield m;
      }
    };
  }

  static List<Object> txn(Random r) {
    List<Object> mops = new ArrayList<>();
    for (int i = 1 + r.nextInt(4); i > 0; i--) {
      long k = r.nextInt(5);
      if (r.nextBoolean()) {
        mops.add(List.of(Keyword.of("append"), k, (long) r.nextInt(100)));
      } else if (r.nextBoolean()) {
        mops.add(Arrays.asList(Keyword.of("r"), k, null));
      } else {
        mops.add(List.of(Keyword.of("r"), k, List.of(1L, 2L, (long) r.nextInt(100))));
      }
    }
    return mops;
  }

  /** A well-formed random history: processes alternate invoke/completion; info retires a process. */
  static History history(long seed, boolean jsonFriendly) {
    Random r = new Random(seed);
    List<Op> ops = new ArrayList<>();
    Map<Long, Op> open = new LinkedHashMap<>();
    long nextProcess = 0;
    List<Long> live = new ArrayList<>(List.of(Op.NEMESIS));
    for (int i = 0; i < 4; i++) {
      live.add(nextProcess++);
    }
    long time = 0;
    for (int n = 0; n < 200; n++) {
      long p = live.get(r.nextInt(live.size()));
      time += r.nextInt(1000);
      Op inv = open.remove(p);
      if (inv == null) {
        String f = p == Op.NEMESIS ? "start-partition" : jsonFriendly ? "txn" : new String[] {"txn", "read", "write", "cas"}[r.nextInt(4)];
        Object v = f.equals("txn") ? txn(r) : jsonFriendly ? List.of("n1", (long) r.nextInt(3)) : value(r, 0);
        Op op = new Op(ops.size(), time, p, OpType.INVOKE, f, v, null);
        ops.add(op);
        open.put(p, op);
      } else {
        OpType type = OpType.values()[1 + r.nextInt(3)];
        Object v = inv.f().equals("txn") ? txn(r) : jsonFriendly ? null : value(r, 0);
        Object error = type == OpType.OK ? null : jsonFriendly ? "boom" : value(r, 0);
        ops.add(new Op(ops.size(), time, p, type, inv.f(), v, error));
        if (type == OpType.INFO && p != Op.NEMESIS) {
          live.remove(p);
          live.add(nextProcess++);
        }
      }
    }
    return History.of(ops);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void ednRoundTripsAnyValue(long seed) throws IOException {
    History h = history(seed, false);
    StringWriter w = new StringWriter();
    EdnHistory.write(h, w);
    History back = EdnHistory.read(new StringReader(w.toString()));
    assertThat(back.ops()).isEqualTo(h.ops());
    StringWriter again = new StringWriter();
    EdnHistory.write(back, again);
    assertThat(again.toString()).isEqualTo(w.toString());
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void transactionalHistoriesRoundTripThroughJson(long seed) throws IOException {
    History h = history(seed, true);
    StringWriter j = new StringWriter();
    JsonHistory.write(h, j);
    History fromJson = JsonHistory.read(new StringReader(j.toString()));
    assertThat(fromJson.ops()).isEqualTo(h.ops());
    StringWriter e = new StringWriter();
    EdnHistory.write(fromJson, e);
    assertThat(EdnHistory.read(new StringReader(e.toString())).ops()).isEqualTo(h.ops());
  }
}
