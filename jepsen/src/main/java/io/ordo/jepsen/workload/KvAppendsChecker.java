package io.ordo.jepsen.workload;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The 6.824 battery's append check (name {@code "kv-appends"}): in every ok read, each client's
 * appends appear exactly once and in order. A client is a process (its ops are sequential).
 *
 * <p>History: {@link KvWorkload}'s ({@code :append [k v]}, {@code :write [k [v]]}, {@code :read [k
 * list]}), every v unique in the run. For each ok read of key k, anomalies (one per read and type):
 *
 * <ul>
 *   <li>{@code duplicate-append}: an element appears twice;
 *   <li>{@code unknown-element}: an element no append or write of k invoked (or a write's value
 *       not at the front, where a put leaves it);
 *   <li>{@code append-order}: two appends of one process appear in another order than it invoked
 *       them;
 *   <li>{@code lost-append}: an append of a process that completed ok is missing although an
 *       earlier and a later append of that process to k are present (a put cannot explain the
 *       gap: the earlier element shows the list was not reset after it).
 * </ul>
 *
 * Failed appends are never invoked on the database's state and must not appear: they count as
 * {@code unknown-element}. Takes no options.
 */
public final class KvAppendsChecker implements Checker {
  /** The most anomalies listed; the rest are counted in {@code extra} "anomaly-count". */
  public static final int ANOMALIES_MAX = 100;

  private record Write(Op invoke, Op completion, boolean append, int seqInProcess) {}

  @Override
  public String name() {
    return "kv-appends";
  }

  @Override
  public CheckResult check(Map<String, Object> options, History history) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException("kv-appends takes no options, got " + new TreeMap<>(options).keySet());
    }
    // value -> the write or append that invoked it (fail ones excluded); per key and process, the
    // appends in invocation order.
    Map<Long, Write> byValue = new HashMap<>();
    Map<Long, Long> keyOfValue = new HashMap<>();
    Map<List<Long>, List<Write>> appendsByKeyProcess = new HashMap<>();
    Map<Long, Integer> seqByProcess = new HashMap<>();
    for (Op op : history.clientOps()) {
      if (!op.isInvoke() || !(op.f().equals("append") || op.f().equals("write"))) {
        continue;
      }
      Optional<Op> done = history.completion(op);
      if (done.isPresent() && done.get().isFail()) {
        continue;
      }
      List<?> kv = (List<?>) op.value();
      long k = (Long) kv.get(0);
      boolean append = op.f().equals("append");
      long v = append ? (Long) kv.get(1) : (Long) ((List<?>) kv.get(1)).get(0);
      int seq = seqByProcess.merge(op.process(), 1, Integer::sum);
      Write w = new Write(op, done.orElse(null), append, seq);
      byValue.put(v, w);
      keyOfValue.put(v, k);
      if (append) {
        appendsByKeyProcess.computeIfAbsent(List.of(k, op.process()), x -> new ArrayList<>()).add(w);
      }
    }
    List<Anomaly> anomalies = new ArrayList<>();
    int count = 0;
    int reads = 0;
    for (Op op : history.clientOps()) {
      if (!op.isOk() || !op.f().equals("read")) {
        continue;
      }
      List<?> kv = (List<?>) op.value();
      if (!(kv.get(1) instanceof List<?> list)) {
        continue;
      }
      reads++;
      long k = (Long) kv.get(0);
      Op invoke = history.invocation(op);
      Map<String, String> found = new LinkedHashMap<>();
      Set<Long> seen = new HashSet<>();
      // process -> (seq of last element seen, index of first/last seen append in its list)
      Map<Long, int[]> lastSeqByProcess = new TreeMap<>();
      for (int i = 0; i < list.size(); i++) {
        long v = (Long) list.get(i);
        if (!seen.add(v)) {
          found.putIfAbsent("duplicate-append", "element " + v + " appears twice in " + list);
          continue;
        }
        Write w = byValue.get(v);
        if (w == null || keyOfValue.get(v) != k || (!w.append() && i != 0)) {
          found.putIfAbsent("unknown-element", "element " + v + " at " + i + " of " + list + " was not appended to key " + k);
          continue;
        }
        if (!w.append()) {
          continue;
        }
        int[] last = lastSeqByProcess.get(w.invoke().process());
        if (last != null && last[0] >= w.seqInProcess()) {
          found.putIfAbsent("append-order", "process " + w.invoke().process() + "'s appends appear out of order in " + list);
        }
        if (last == null) {
          lastSeqByProcess.put(w.invoke().process(), new int[] {w.seqInProcess(), w.seqInProcess()});
        } else {
          last[0] = Math.max(last[0], w.seqInProcess());
          last[1] = Math.min(last[1], w.seqInProcess());
        }
      }
      for (Map.Entry<Long, int[]> e : lastSeqByProcess.entrySet()) {
        int lo = e.getValue()[1];
        int hi = e.getValue()[0];
        for (Write w : appendsByKeyProcess.getOrDefault(List.of(k, e.getKey()), List.of())) {
          long v = (Long) ((List<?>) w.invoke().value()).get(1);
          if (w.seqInProcess() > lo && w.seqInProcess() < hi && w.completion() != null && w.completion().isOk()
              && !seen.contains(v)) {
            found.putIfAbsent("lost-append", "ok append of " + v + " by process " + e.getKey() + " is missing from " + list);
          }
        }
      }
      for (Map.Entry<String, String> f : found.entrySet()) {
        count++;
        if (anomalies.size() < ANOMALIES_MAX) {
          anomalies.add(new Anomaly(f.getKey(), "read of key " + k + ": " + f.getValue(), List.of(invoke, op)));
        }
      }
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("read-count", (long) reads);
    extra.put("anomaly-count", (long) count);
    return CheckResult.of(anomalies, extra);
  }
}
