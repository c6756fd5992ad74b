package io.ordo.jepsen.checker.elle.internal;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Collects the anomalies of one check and turns them into a {@link CheckResult}: anomalies of a
 * forbidden type go into the result (and make it invalid), the others are named in {@code extra}
 * ("allowed-anomaly-types"), and the consistency models are judged over all of them.
 */
public final class Reporter {
  /** Upper bound on anomalies kept per type; the count of all is in extra "anomaly-counts". */
  public static final int ANOMALIES_PER_TYPE_MAX = 32;

  private final Map<String, List<Anomaly>> byType = new TreeMap<>();
  private final Map<String, Long> counts = new TreeMap<>();

  /** Records one anomaly; {@code ops} are sorted into history order. */
  public void add(String type, String explanation, List<Op> ops) {
    counts.merge(type, 1L, Long::sum);
    List<Anomaly> list = byType.computeIfAbsent(type, k -> new ArrayList<>());
    if (list.size() < ANOMALIES_PER_TYPE_MAX) {
      List<Op> sorted = new ArrayList<>(ops);
      sorted.sort(Comparator.comparingLong(Op::index));
      list.add(new Anomaly(type, explanation, sorted));
    }
  }

  /** Says why one dependency edge exists (e.g. which key and versions), for explanations. */
  @FunctionalInterface
  public interface EdgeExplainer {
    /** @return a short reason, or null if none is known */
    String explain(Txn from, Txn to, int edgeType);
  }

  /**
   * Records the cycles of a search, explained as "G-single cycle: op 3 (process 0) -rw-> op 4
   * (process 1) -wr-> op 3 (process 0); where: ..." with one reason per edge.
   */
  public void addCycles(CycleSearch.Result result, List<Txn> txns, EdgeExplainer explainer) {
    for (CycleSearch.Cycle c : result.cycles()) {
      StringBuilder sb = new StringBuilder();
      StringBuilder why = new StringBuilder();
      List<Op> ops = new ArrayList<>();
      int n = c.nodes().length;
      for (int i = 0; i < n; i++) {
        Txn from = txns.get(c.nodes()[i]);
        Txn to = txns.get(c.nodes()[(i + 1) % n]);
        ops.add(from.reportOp());
        String type = DepGraph.typeName(c.edgeTypes()[i]);
        sb.append(describe(from.reportOp())).append(" -").append(type).append("-> ");
        String reason = edgeReason(from, to, c.edgeTypes()[i], explainer);
        why.append(i == 0 ? "" : "; ").append(type).append(" op ").append(from.reportOp().index()).append(" -> op ")
            .append(to.reportOp().index()).append(": ").append(reason);
      }
      sb.append(describe(txns.get(c.nodes()[0]).reportOp()));
      add(c.type(), c.type() + " cycle: " + sb + "; where: " + why, ops);
    }
    // Count every component that showed a cycle type, not only the reported ones.
    counts.putAll(result.countsByType());
  }

  private static String edgeReason(Txn from, Txn to, int type, EdgeExplainer explainer) {
    if (type == DepGraph.REALTIME) {
      return "op " + from.reportOp().index() + " completed before op " + to.invoke().index() + " was invoked";
    }
    if (type == DepGraph.PROCESS) {
      return "consecutive transactions of process " + from.process();
    }
    String r = explainer.explain(from, to, type);
    return r == null ? "(no key found)" : r;
  }

  /** "op 12 (process 3)". */
  public static String describe(Op op) {
    return "op " + op.index() + " (process " + op.process() + ")";
  }

  /** The result, given the forbidden types and the cycle search's outcome. */
  public CheckResult result(ElleOptions options, CycleSearch.Result search, Map<String, Object> facts) {
    List<Anomaly> forbidden = new ArrayList<>();
    SortedSet<String> forbiddenTypes = new TreeSet<>();
    SortedSet<String> allowedTypes = new TreeSet<>();
    for (Map.Entry<String, List<Anomaly>> e : byType.entrySet()) {
      if (options.forbidden().contains(e.getKey())) {
        forbidden.addAll(e.getValue());
        forbiddenTypes.add(e.getKey());
      } else {
        allowedTypes.add(e.getKey());
      }
    }
    Map<String, Object> extra = new LinkedHashMap<>(facts);
    extra.put("consistency-models", options.models());
    extra.putAll(ConsistencyModels.judge(counts.keySet()));
    extra.put("anomaly-counts", new TreeMap<>(counts));
    extra.put("allowed-anomaly-types", List.copyOf(allowedTypes));
    extra.put("cycle-search-components", search.nontrivialComponents());
    extra.put("cycle-search-largest-component", search.largestComponentSize());
    extra.put("cycle-search-timed-out", search.timedOut());
    Validity v;
    if (!forbiddenTypes.isEmpty()) {
      v = Validity.FALSE;
    } else if (search.timedOut()) {
      v = Validity.UNKNOWN;
      extra.put("unknown-reason", "cycle search exceeded time-limit-ms " + options.timeLimitMs());
    } else {
      v = Validity.TRUE;
    }
    return new CheckResult(v, forbiddenTypes, forbidden, extra);
  }
}
