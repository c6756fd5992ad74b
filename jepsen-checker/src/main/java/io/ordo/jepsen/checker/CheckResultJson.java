package io.ordo.jepsen.checker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders a {@link CheckResult} as JSON (Elle's result shape): {@code {"valid": true|false|"unknown",
 * "anomaly-types": [...], "anomalies": [{"type", "explanation", "ops": [<op as EDN text>]}], ...extra}}.
 * Ops are given as their EDN text so they read exactly as in the history file.
 */
public final class CheckResultJson {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CheckResultJson() {}

  public static String toJson(CheckResult result) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("valid", result.valid().toJsonValue());
    out.put("anomaly-types", new ArrayList<>(result.anomalyTypes()));
    List<Map<String, Object>> anomalies = new ArrayList<>();
    for (Anomaly a : result.anomalies()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("type", a.type());
      m.put("explanation", a.explanation());
      List<String> ops = new ArrayList<>();
      for (Op op : a.ops()) {
        ops.add(EdnHistory.opToString(op));
      }
      m.put("ops", ops);
      anomalies.add(m);
    }
    out.put("anomalies", anomalies);
    for (Map.Entry<String, Object> e : result.extra().entrySet()) {
      out.putIfAbsent(e.getKey(), plain(e.getValue()));
    }
    try {
      return MAPPER.writeValueAsString(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("result is not JSON-serializable: " + e.getMessage(), e);
    }
  }

  /** Converts history values (keywords, ops, nested collections) into JSON-friendly data. */
  private static Object plain(Object v) {
    if (v instanceof Keyword k) {
      return k.name();
    }
    if (v instanceof Op op) {
      return EdnHistory.opToString(op);
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new TreeMap<>();
      m.forEach((k, x) -> out.put(k instanceof Keyword kw ? kw.name() : String.valueOf(k), plain(x)));
      return out;
    }
    if (v instanceof Iterable<?> it) {
      List<Object> out = new ArrayList<>();
      it.forEach(x -> out.add(plain(x)));
      return out;
    }
    if (v instanceof Enum<?> e) {
      return e.name();
    }
    return v;
  }
}
