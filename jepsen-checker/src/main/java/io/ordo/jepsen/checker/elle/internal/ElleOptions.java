package io.ordo.jepsen.checker.elle.internal;

import io.ordo.jepsen.history.Keyword;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Parsed options shared by the Elle checkers.
 *
 * @param models consistency model names
 * @param forbidden the anomaly types that make the history invalid: the models' plus "anomalies"
 * @param timeLimitMs the cycle search's budget in milliseconds
 * @param externalOrder rw-register only: use {@code :position} as version order evidence
 */
public record ElleOptions(List<String> models, SortedSet<String> forbidden, long timeLimitMs, boolean externalOrder) {
  /** Default cycle-search budget (Elle's default is also tens of seconds). */
  public static final long DEFAULT_TIME_LIMIT_MS = 30_000;

  /**
   * @param allowedNames the option names the checker accepts
   * @throws IllegalArgumentException for an unknown option, an unknown model, or a value of the
   *     wrong type
   */
  public static ElleOptions parse(Map<String, Object> options, Set<String> allowedNames) {
    for (String k : new TreeSet<>(options.keySet())) {
      if (!allowedNames.contains(k)) {
        throw new IllegalArgumentException("unknown option '" + k + "'; known: " + new TreeSet<>(allowedNames));
      }
    }
    List<String> models = names(options.getOrDefault("consistency-models", List.of("strict-serializable")), "consistency-models");
    SortedSet<String> forbidden = new TreeSet<>();
    for (String m : models) {
      forbidden.addAll(ConsistencyModels.forbidden(m));
    }
    for (String a : names(options.getOrDefault("anomalies", List.of()), "anomalies")) {
      forbidden.addAll(ConsistencyModels.expandAnomaly(a));
    }
    Object limit = options.getOrDefault("time-limit-ms", DEFAULT_TIME_LIMIT_MS);
    if (!(limit instanceof Number n) || n.longValue() < 0) {
      throw new IllegalArgumentException("time-limit-ms must be a number >= 0, got " + limit);
    }
    Object ext = options.getOrDefault("external-order", Boolean.FALSE);
    if (!(ext instanceof Boolean b)) {
      throw new IllegalArgumentException("external-order must be a boolean, got " + ext);
    }
    return new ElleOptions(models, forbidden, n.longValue(), b);
  }

  private static List<String> names(Object value, String option) {
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException(option + " must be a list of names, got " + value);
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (o instanceof Keyword k) {
        out.add(k.name());
      } else if (o instanceof String s) {
        out.add(s);
      } else {
        throw new IllegalArgumentException(option + " must hold names (strings or keywords), got " + o);
      }
    }
    return out;
  }
}
