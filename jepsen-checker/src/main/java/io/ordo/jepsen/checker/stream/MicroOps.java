package io.ordo.jepsen.checker.stream;

import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads the values of stream operations into micro-operations. Two spellings are accepted so that
 * both Ordo's compact histories and Jepsen's own Kafka histories can be checked:
 *
 * <ul>
 *   <li>compact: {@code :send} with value {@code [k v]} (invoke) or {@code [k [offset v]]} (ok),
 *       {@code :poll} with value {@code {k [[offset v] ...]}} (ok) or {@code nil} (invoke);
 *   <li>micro-op lists (Jepsen's form, and always for {@code :txn}): {@code [[:send k v] [:poll]]}
 *       invoked, {@code [[:send k [offset v]] [:poll {k [[offset v] ...]}]]} completed. A send's
 *       offset may be {@code nil} when it is unknown.
 * </ul>
 */
final class MicroOps {
  private MicroOps() {}

  /** A micro-operation. */
  sealed interface MicroOp permits Send, Poll {}

  /**
   * A send of {@code value} to {@code key}.
   *
   * @param offset the offset the log assigned, or null when unknown (invoke, failed, timed out)
   */
  record Send(long key, long value, Long offset) implements MicroOp {}

  /**
   * One poll's records per key, keys ascending, each key's records in the order the poll returned
   * them. A poll without results (an invoke, or a failed poll) has no keys.
   */
  record Poll(SortedMap<Long, List<Rec>> records) implements MicroOp {}

  /** A record read at {@code offset} of some key with message {@code value}. */
  record Rec(long offset, long value) {}

  /**
   * The micro-ops of an op value.
   *
   * @param f the op's function: "send", "poll" or "txn"
   * @param value the op's value (invoke's or completion's), may be null
   * @param op the op, only to name it in errors
   * @throws IllegalArgumentException if the value has another shape
   */
  static List<MicroOp> parse(String f, Object value, Op op) {
    if (value == null) {
      return List.of();
    }
    switch (f) {
      case "send":
        if (value instanceof List<?> l && !l.isEmpty() && !(l.get(0) instanceof List<?>)) {
          return List.of(parseSend(l, 0, op));
        }
        return parseList(value, op);
      case "poll":
        if (value instanceof Map<?, ?> m) {
          return List.of(parsePollMap(m, op));
        }
        return parseList(value, op);
      case "txn":
        return parseList(value, op);
      default:
        throw new IllegalArgumentException("op " + op.index() + ": f '" + f + "' is not a stream op (send, poll, txn)");
    }
  }

  private static List<MicroOp> parseList(Object value, Op op) {
    if (!(value instanceof List<?> l)) {
      throw bad(op, "value must be a list of micro-ops [[:send k v] [:poll ...]], got " + value);
    }
    List<MicroOp> out = new ArrayList<>(l.size());
    for (Object m : l) {
      if (!(m instanceof List<?> mop) || mop.isEmpty()) {
        throw bad(op, "micro-op must be [:send k v] or [:poll] / [:poll {k [[offset v] ...]}], got " + m);
      }
      String mf = name(mop.get(0));
      if ("send".equals(mf)) {
        if (mop.size() != 3) {
          throw bad(op, "micro-op must be [:send k v] or [:send k [offset v]], got " + m);
        }
        out.add(parseSend(mop, 1, op));
      } else if ("poll".equals(mf)) {
        if (mop.size() == 1 || (mop.size() == 2 && mop.get(1) == null)) {
          out.add(new Poll(Collections.emptySortedMap()));
        } else if (mop.size() == 2 && mop.get(1) instanceof Map<?, ?> pm) {
          out.add(parsePollMap(pm, op));
        } else {
          throw bad(op, "micro-op must be [:poll] or [:poll {k [[offset v] ...]}], got " + m);
        }
      } else {
        throw bad(op, "micro-op function must be :send or :poll, got " + m);
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** Parses {@code [k v]} / {@code [k [offset v]]} starting at {@code from} of {@code l}. */
  private static Send parseSend(List<?> l, int from, Op op) {
    if (l.size() != from + 2) {
      throw bad(op, "send must be [k v] or [k [offset v]], got " + l);
    }
    long key = asLong(l.get(from), op, "send key");
    Object v = l.get(from + 1);
    if (v instanceof List<?> ov) {
      if (ov.size() != 2) {
        throw bad(op, "send result must be [offset value], got " + v);
      }
      Long offset = ov.get(0) == null ? null : asLong(ov.get(0), op, "send offset");
      return new Send(key, asLong(ov.get(1), op, "send value"), offset);
    }
    return new Send(key, asLong(v, op, "send value"), null);
  }

  private static Poll parsePollMap(Map<?, ?> m, Op op) {
    SortedMap<Long, List<Rec>> records = new TreeMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      long key = asLong(e.getKey(), op, "poll key");
      if (!(e.getValue() instanceof List<?> pairs)) {
        throw bad(op, "poll of key " + key + " must be a list of [offset value], got " + e.getValue());
      }
      List<Rec> recs = new ArrayList<>(pairs.size());
      for (Object p : pairs) {
        if (!(p instanceof List<?> pair) || pair.size() != 2) {
          throw bad(op, "poll record of key " + key + " must be [offset value], got " + p);
        }
        recs.add(new Rec(asLong(pair.get(0), op, "poll offset"), asLong(pair.get(1), op, "poll value")));
      }
      if (records.put(key, Collections.unmodifiableList(recs)) != null) {
        throw bad(op, "poll names key " + key + " twice");
      }
    }
    return new Poll(Collections.unmodifiableSortedMap(records));
  }

  private static String name(Object o) {
    if (o instanceof Keyword k) {
      return k.name();
    }
    if (o instanceof String s) {
      return s;
    }
    return null;
  }

  private static long asLong(Object o, Op op, String what) {
    if (o instanceof Long l) {
      return l;
    }
    if (o instanceof Integer i) {
      return i;
    }
    throw bad(op, what + " must be an integer, got " + o);
  }

  private static IllegalArgumentException bad(Op op, String why) {
    return new IllegalArgumentException("op " + op.index() + ": " + why);
  }
}
