package io.ordo.jepsen.checker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a checker returns: the verdict, the sorted set of anomaly types found, the anomalies with
 * their operations, and checker-specific facts ({@code extra}, e.g. "cycle-search-timeout-ms",
 * "also-not" consistency models).
 */
public record CheckResult(Validity valid, SortedSet<String> anomalyTypes, List<Anomaly> anomalies, Map<String, Object> extra) {
  public CheckResult {
    anomalyTypes = Collections.unmodifiableSortedSet(new TreeSet<>(anomalyTypes));
    anomalies = List.copyOf(anomalies);
    extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
  }

  public static CheckResult valid(Map<String, Object> extra) {
    return new CheckResult(Validity.TRUE, new TreeSet<>(), List.of(), extra);
  }

  /** A result whose verdict is false iff {@code anomalies} is non-empty. */
  public static CheckResult of(List<Anomaly> anomalies, Map<String, Object> extra) {
    SortedSet<String> types = new TreeSet<>();
    for (Anomaly a : anomalies) {
      types.add(a.type());
    }
    return new CheckResult(anomalies.isEmpty() ? Validity.TRUE : Validity.FALSE, types, new ArrayList<>(anomalies), extra);
  }

  public static CheckResult unknown(String why, Map<String, Object> extra) {
    Map<String, Object> e = new LinkedHashMap<>(extra);
    e.put("unknown-reason", why);
    return new CheckResult(Validity.UNKNOWN, new TreeSet<>(), List.of(), e);
  }
}
