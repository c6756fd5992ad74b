package io.ordo.jepsen.history.internal;

import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.Map;

/**
 * Builds an {@link Op} from a decoded op map whose keys are keyword names ("index", "time",
 * "process", "type", "f", "value", "error") and whose values are already converted to history
 * values. Shared by the EDN and JSON readers so both apply the same rules: unknown keys are
 * ignored, a missing index is assigned sequentially, a missing time is 0.
 */
public final class OpMaps {
  private OpMaps() {}

  /**
   * @param fields the op map, keyed by field name without the colon
   * @param defaultIndex the index to use when the map has none (the op's position in the file)
   * @param where where the op is, for error messages (e.g. "line 7")
   * @throws IllegalArgumentException naming {@code where} and the field, for a missing or
   *     ill-typed field
   */
  public static Op toOp(Map<String, Object> fields, long defaultIndex, String where) {
    try {
      long index = fields.containsKey("index") ? asLong(fields.get("index"), "index") : defaultIndex;
      long time = fields.containsKey("time") && fields.get("time") != null ? asLong(fields.get("time"), "time") : 0L;
      long process = asProcess(fields.get("process"));
      OpType type = OpType.fromKeywordName(asName(required(fields, "type"), "type"));
      String f = asName(required(fields, "f"), "f");
      return new Op(index, time, process, type, f, fields.get("value"), fields.get("error"));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static Object required(Map<String, Object> fields, String name) {
    Object v = fields.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing :" + name);
    }
    return v;
  }

  private static long asLong(Object v, String field) {
    if (v instanceof Long l) {
      return l;
    }
    if (v instanceof Integer i) {
      return i;
    }
    throw new IllegalArgumentException(":" + field + " must be an integer, got " + describe(v));
  }

  private static long asProcess(Object v) {
    if (v == null) {
      throw new IllegalArgumentException("missing :process");
    }
    if ((v instanceof Keyword k && k.name().equals("nemesis")) || "nemesis".equals(v)) {
      return Op.NEMESIS;
    }
    long p = asLong(v, "process");
    if (p < 0) {
      throw new IllegalArgumentException(":process must be >= 0 or :nemesis, got " + p);
    }
    return p;
  }

  private static String asName(Object v, String field) {
    if (v instanceof Keyword k) {
      return k.name();
    }
    if (v instanceof String s && !s.isEmpty()) {
      return s;
    }
    throw new IllegalArgumentException(":" + field + " must be a keyword, got " + describe(v));
  }

  private static String describe(Object v) {
    return v == null ? "nil" : v + " (" + v.getClass().getSimpleName() + ")";
  }
}
