package io.ordo.executor.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Short descriptions of the differences between two sorted maps, for failure messages that stay
 * readable when thousands of entries are compared.
 */
public final class Diffs {
  private Diffs() {}

  /**
   * The keys whose values differ (or that only one side has), in key order.
   */
  public static <K extends Comparable<K>, V> List<K> differingKeys(SortedMap<K, V> left, SortedMap<K, V> right) {
    TreeSet<K> all = new TreeSet<>(left.keySet());
    all.addAll(right.keySet());
    List<K> differing = new ArrayList<>();
    for (K k : all) {
      V l = left.get(k);
      V r = right.get(k);
      if (l == null || !l.equals(r)) {
        differing.add(k);
      }
    }
    return differing;
  }

  /**
   * A message naming how many keys differ and showing the first {@code limit} of them, each value
   * rendered with {@code show}; empty string when the maps are equal.
   */
  public static <K extends Comparable<K>, V> String describe(
      String leftName, SortedMap<K, V> left, String rightName, SortedMap<K, V> right, Function<V, String> show, int limit) {
    List<K> differing = differingKeys(left, right);
    if (differing.isEmpty()) {
      return "";
    }
    StringBuilder sb =
        new StringBuilder()
            .append(differing.size())
            .append(" of ")
            .append(Math.max(left.size(), right.size()))
            .append(" entries differ between ")
            .append(leftName)
            .append(" (")
            .append(left.size())
            .append(") and ")
            .append(rightName)
            .append(" (")
            .append(right.size())
            .append("):");
    for (K k : differing.subList(0, Math.min(limit, differing.size()))) {
      sb.append("\n  ").append(k).append(":\n    ").append(leftName).append(" = ").append(render(left, k, show));
      sb.append("\n    ").append(rightName).append(" = ").append(render(right, k, show));
    }
    return sb.toString();
  }

  private static <K, V> String render(Map<K, V> map, K k, Function<V, String> show) {
    V v = map.get(k);
    return v == null ? "(none)" : show.apply(v);
  }
}
