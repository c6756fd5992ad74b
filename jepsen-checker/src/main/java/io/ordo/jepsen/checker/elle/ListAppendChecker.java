package io.ordo.jepsen.checker.elle;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.checker.elle.internal.CycleSearch;
import io.ordo.jepsen.checker.elle.internal.DepGraph;
import io.ordo.jepsen.checker.elle.internal.ElleOptions;
import io.ordo.jepsen.checker.elle.internal.MicroOp;
import io.ordo.jepsen.checker.elle.internal.Reporter;
import io.ordo.jepsen.checker.elle.internal.Txn;
import io.ordo.jepsen.checker.elle.internal.Txns;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Elle's list-append checker. Transactions are {@code :f :txn} ops whose value is a list of
 * micro-ops {@code [:append k v]} (v a Long, unique per key across the whole history, as Elle
 * assumes) and {@code [:r k vs]} (vs the List of Longs read, null for the empty list; meaningful in
 * ok completions only).
 *
 * <p>Options (all optional; unknown ones are rejected):
 *
 * <ul>
 *   <li>"consistency-models": list of model names (see {@link io.ordo.jepsen.checker.elle.internal.ConsistencyModels}), default
 *       ["strict-serializable"]; the history is valid iff it shows no anomaly they forbid;
 *   <li>"anomalies": list of further anomaly types to treat as forbidden;
 *   <li>"time-limit-ms": budget of the cycle search, default 30000; when it runs out and no
 *       forbidden anomaly was found yet, the verdict is unknown, never valid.
 * </ul>
 *
 * <p>Inference: each key's version order is its longest ok read; every other ok read of the key
 * must be a prefix of it ("incompatible-order" otherwise, and the key then contributes no edges)
 * and may not hold an element twice ("duplicate-elements"). Edges over ok transactions, and info
 * transactions for their appends: ww between the writers of consecutive versions, wr from the
 * writer of the last version a read saw to the reader, rw from the reader to the writer of the next
 * version, realtime (transitive reduction, see {@link DepGraph#addRealtimeAndProcessEdges}) and
 * process order. Cycles are classified by {@link CycleSearch}.
 *
 * <p>Non-cycle anomalies: G1a (an ok read sees an element appended by a failed transaction), G1b
 * (the last element of a read is another transaction's non-final append to that key), internal (a
 * read disagrees with the transaction's own earlier reads and appends of that key), future-read (a
 * read sees the transaction's own later append), dirty-update (in a key's version order a failed
 * transaction's element is followed by a non-failed one's), lost-update (two ok transactions read
 * the same version of a key and both appended to it after reading).
 *
 * <p>Result extra: "not" / "also-not" / "possible" consistency models, "anomaly-counts" (all
 * anomalies found, forbidden or not), "allowed-anomaly-types", cycle search facts.
 */
public final class ListAppendChecker implements Checker {
  private static final Set<String> OPTIONS = Set.of("consistency-models", "anomalies", "time-limit-ms");

  private final LongSupplier nanoClock;

  /** A checker timing its cycle search with {@link System#nanoTime()}. */
  public ListAppendChecker() {
    this(System::nanoTime);
  }

  /** A checker timing its cycle search with {@code nanoClock} (monotonic nanoseconds). */
  public ListAppendChecker(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  @Override
  public String name() {
    return "list-append";
  }

  /** Where an element was appended: by which transaction, at which micro-op position. */
  private record Append(Txn txn, int position) {}

  /** An ok read of a key: the reader, the micro-op and the list it saw. */
  private record Read(Txn txn, MicroOp op, List<Long> values) {}

  @Override
  public CheckResult check(Map<String, Object> options, History history) {
    ElleOptions opts = ElleOptions.parse(options, OPTIONS);
    List<Txn> txns = Txns.parse(history, List.of("append", "r"), false);
    Reporter reporter = new Reporter();

    // Who appended each element, and each transaction's final append per key.
    Map<Long, Map<Long, Append>> writers = new HashMap<>();
    for (Txn t : txns) {
      for (MicroOp m : t.ops()) {
        if (m.isWrite()) {
          Append prev = writers.computeIfAbsent(m.key(), k -> new HashMap<>()).putIfAbsent((Long) m.value(), new Append(t, m.position()));
          if (prev != null) {
            throw new IllegalArgumentException("op " + t.reportOp().index() + ": value " + m.value() + " appended to key " + m.key()
                + " again (first by op " + prev.txn().reportOp().index() + "); list-append needs unique values per key");
          }
        }
      }
    }

    TreeMap<Long, List<Read>> readsByKey = new TreeMap<>();
    for (Txn t : txns) {
      if (!t.isOk()) {
        continue;
      }
      checkInternal(t, writers, reporter);
      for (MicroOp m : t.ops()) {
        if (m.isRead()) {
          readsByKey.computeIfAbsent(m.key(), k -> new ArrayList<>()).add(new Read(t, m, readList(t, m)));
        }
      }
    }

    // Version orders.
    Map<Long, List<Long>> versionOrder = new TreeMap<>();
    for (Map.Entry<Long, List<Read>> e : readsByKey.entrySet()) {
      long key = e.getKey();
      Read longest = null;
      boolean good = true;
      for (Read r : e.getValue()) {
        Set<Long> seen = new HashSet<>();
        for (Long v : r.values()) {
          if (!seen.add(v)) {
            reporter.add("duplicate-elements", Reporter.describe(r.txn().reportOp()) + " read key " + key + " = " + r.values()
                + " holding " + v + " more than once", List.of(r.txn().reportOp()));
            good = false;
            break;
          }
        }
        if (longest == null || r.values().size() > longest.values().size()) {
          longest = r;
        }
      }
      for (Read r : e.getValue()) {
        if (!isPrefix(r.values(), longest.values())) {
          reporter.add("incompatible-order", "key " + key + ": " + Reporter.describe(r.txn().reportOp()) + " read " + r.values()
              + ", not a prefix of " + Reporter.describe(longest.txn().reportOp()) + "'s " + longest.values(),
              List.of(r.txn().reportOp(), longest.txn().reportOp()));
          good = false;
          break;
        }
      }
      if (good) {
        versionOrder.put(key, longest.values());
      }
    }

    // G1a, G1b over every ok read; dirty-update over version orders; lost-update over read-then-append.
    for (Map.Entry<Long, List<Read>> e : readsByKey.entrySet()) {
      long key = e.getKey();
      Map<Long, Append> keyWriters = writers.getOrDefault(key, Map.of());
      for (Read r : e.getValue()) {
        for (Long v : r.values()) {
          Append a = keyWriters.get(v);
          if (a != null && a.txn().isFail()) {
            reporter.add("G1a", Reporter.describe(r.txn().reportOp()) + " read key " + key + " = " + r.values() + " including " + v
                + ", appended by failed " + Reporter.describe(a.txn().reportOp()), List.of(r.txn().reportOp(), a.txn().reportOp()));
          }
        }
        if (!r.values().isEmpty()) {
          Long last = r.values().get(r.values().size() - 1);
          Append a = keyWriters.get(last);
          if (a != null && a.txn() != r.txn() && !a.txn().isFail() && !isFinalAppend(a, key)) {
            reporter.add("G1b", Reporter.describe(r.txn().reportOp()) + " read key " + key + " = " + r.values() + " ending in " + last
                + ", an intermediate append of " + Reporter.describe(a.txn().reportOp()), List.of(r.txn().reportOp(), a.txn().reportOp()));
          }
        }
      }
    }
    for (Map.Entry<Long, List<Long>> e : versionOrder.entrySet()) {
      Map<Long, Append> keyWriters = writers.getOrDefault(e.getKey(), Map.of());
      Append failed = null;
      for (Long v : e.getValue()) {
        Append a = keyWriters.get(v);
        if (a == null) {
          continue;
        }
        if (a.txn().isFail() && failed == null) {
          failed = a;
        } else if (!a.txn().isFail() && failed != null) {
          reporter.add("dirty-update", "key " + e.getKey() + ": " + Reporter.describe(a.txn().reportOp()) + " appended " + v
              + " after the element of failed " + Reporter.describe(failed.txn().reportOp()) + " in " + e.getValue(),
              List.of(failed.txn().reportOp(), a.txn().reportOp()));
          break;
        }
      }
    }
    lostUpdates(txns, reporter);

    // Dependency graph.
    DepGraph graph = new DepGraph(txns.size());
    boolean[] inGraph = new boolean[txns.size()];
    for (Txn t : txns) {
      inGraph[t.id()] = !t.isFail();
    }
    for (Map.Entry<Long, List<Long>> e : versionOrder.entrySet()) {
      Map<Long, Append> keyWriters = writers.getOrDefault(e.getKey(), Map.of());
      Txn prev = null;
      for (Long v : e.getValue()) {
        Append a = keyWriters.get(v);
        Txn w = a == null || a.txn().isFail() ? null : a.txn();
        if (prev != null && w != null) {
          graph.add(prev.id(), w.id(), DepGraph.WW);
        }
        if (w != null) {
          prev = w;
        }
      }
    }
    for (Map.Entry<Long, List<Read>> e : readsByKey.entrySet()) {
      List<Long> order = versionOrder.get(e.getKey());
      if (order == null) {
        continue;
      }
      Map<Long, Append> keyWriters = writers.getOrDefault(e.getKey(), Map.of());
      for (Read r : e.getValue()) {
        Txn t = r.txn();
        // The state the transaction saw from others: the elements before its own first append.
        int p = 0;
        while (p < r.values().size()) {
          Append a = keyWriters.get(r.values().get(p));
          if (a != null && a.txn() == t) {
            break;
          }
          p++;
        }
        if (p > 0) {
          Append a = keyWriters.get(r.values().get(p - 1));
          if (a != null && inGraph[a.txn().id()]) {
            graph.add(a.txn().id(), t.id(), DepGraph.WR);
          }
        }
        if (p < order.size()) {
          Append next = keyWriters.get(order.get(p));
          if (next != null && inGraph[next.txn().id()]) {
            graph.add(t.id(), next.txn().id(), DepGraph.RW);
          }
        }
      }
    }
    graph.addRealtimeAndProcessEdges(history, txns, inGraph);
    graph.freeze();
    CycleSearch.Result search = new CycleSearch(graph, nanoClock, opts.timeLimitMs()).run();
    reporter.addCycles(search, txns, (from, to, type) -> explainEdge(from, to, type, versionOrder, writers));
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("txn-count", (long) txns.size());
    facts.put("key-count", (long) versionOrder.size());
    facts.put("edge-count", (long) graph.edgeCount());
    return reporter.result(opts, search, facts);
  }

  /** Which key (and elements) make the edge from → to, by the same rules that built it. */
  private static String explainEdge(Txn from, Txn to, int type, Map<Long, List<Long>> versionOrder, Map<Long, Map<Long, Append>> writers) {
    Txn reader = type == DepGraph.WR ? to : from;
    for (MicroOp m : type == DepGraph.WW ? to.ops() : reader.ops()) {
      List<Long> order = versionOrder.get(m.key());
      if (order == null) {
        continue;
      }
      Map<Long, Append> keyWriters = writers.getOrDefault(m.key(), Map.of());
      if (type == DepGraph.WW && m.isWrite()) {
        int i = order.indexOf((Long) m.value());
        for (int j = i - 1; j >= 0; j--) {
          Append a = keyWriters.get(order.get(j));
          if (a != null && !a.txn().isFail()) {
            if (a.txn() == from) {
              return "key " + m.key() + ": appended " + order.get(j) + ", then " + m.value();
            }
            break;
          }
        }
      } else if (type != DepGraph.WW && m.isRead()) {
        List<Long> read = readList(reader, m);
        int p = 0;
        while (p < read.size() && (keyWriters.get(read.get(p)) == null || keyWriters.get(read.get(p)).txn() != reader)) {
          p++;
        }
        if (type == DepGraph.WR && p > 0 && keyWriters.get(read.get(p - 1)) != null && keyWriters.get(read.get(p - 1)).txn() == from) {
          return "key " + m.key() + ": read " + read + ", whose last element " + read.get(p - 1) + " it appended";
        }
        if (type == DepGraph.RW && p < order.size() && keyWriters.get(order.get(p)) != null && keyWriters.get(order.get(p)).txn() == to) {
          return "key " + m.key() + ": read " + read + ", then it appended the next element " + order.get(p);
        }
      }
    }
    return null;
  }

  private static boolean isFinalAppend(Append a, long key) {
    for (MicroOp m : a.txn().ops()) {
      if (m.isWrite() && m.key() == key && m.position() > a.position()) {
        return false;
      }
    }
    return true;
  }

  private static boolean isPrefix(List<Long> prefix, List<Long> whole) {
    if (prefix.size() > whole.size()) {
      return false;
    }
    for (int i = 0; i < prefix.size(); i++) {
      if (!prefix.get(i).equals(whole.get(i))) {
        return false;
      }
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private static List<Long> readList(Txn t, MicroOp m) {
    if (m.value() == null) {
      return List.of();
    }
    if (m.value() instanceof List<?> l && l.stream().allMatch(x -> x instanceof Long)) {
      return (List<Long>) l;
    }
    throw new IllegalArgumentException("op " + t.reportOp().index() + ": a list-append read must be a list of longs or nil, got " + m.value());
  }

  /**
   * Internal consistency and future reads of one ok transaction: per key, what the transaction
   * knows (the last list it read, plus its own appends since) must match each later read; before
   * any read, a read must end with the transaction's own appends so far.
   */
  private static void checkInternal(Txn t, Map<Long, Map<Long, Append>> writers, Reporter reporter) {
    Map<Long, List<Long>> known = new HashMap<>();
    Map<Long, List<Long>> appendedSince = new HashMap<>();
    for (MicroOp m : t.ops()) {
      if (m.isWrite()) {
        appendedSince.computeIfAbsent(m.key(), k -> new ArrayList<>()).add((Long) m.value());
        continue;
      }
      List<Long> read = readList(t, m);
      Map<Long, Append> keyWriters = writers.getOrDefault(m.key(), Map.of());
      for (Long v : read) {
        Append a = keyWriters.get(v);
        if (a != null && a.txn() == t && a.position() > m.position()) {
          reporter.add("future-read", Reporter.describe(t.reportOp()) + " read key " + m.key() + " = " + read + " including " + v
              + ", which it appends only later (micro-op " + a.position() + ")", List.of(t.reportOp()));
        }
      }
      List<Long> since = appendedSince.getOrDefault(m.key(), List.of());
      List<Long> before = known.get(m.key());
      boolean ok;
      String expected;
      if (before != null) {
        List<Long> exp = new ArrayList<>(before);
        exp.addAll(since);
        ok = exp.equals(read);
        expected = exp.toString();
      } else {
        ok = read.size() >= since.size() && read.subList(read.size() - since.size(), read.size()).equals(since);
        expected = "a list ending in " + since;
      }
      if (!ok) {
        reporter.add("internal", Reporter.describe(t.reportOp()) + " read key " + m.key() + " = " + read + " but expected " + expected
            + " from its own earlier reads and appends", List.of(t.reportOp()));
      }
      known.put(m.key(), read);
      appendedSince.remove(m.key());
    }
  }

  /** Two or more ok transactions that read the same version of a key and then appended to it. */
  private static void lostUpdates(List<Txn> txns, Reporter reporter) {
    // key -> version read (last element, or null for empty) -> transactions, in id order.
    TreeMap<Long, Map<Long, List<Txn>>> groups = new TreeMap<>();
    for (Txn t : txns) {
      if (!t.isOk()) {
        continue;
      }
      Map<Long, Boolean> readFirst = new HashMap<>();
      Map<Long, Long> versionRead = new HashMap<>();
      Set<Long> counted = new HashSet<>();
      for (MicroOp m : t.ops()) {
        if (m.isRead()) {
          if (!readFirst.containsKey(m.key())) {
            readFirst.put(m.key(), Boolean.TRUE);
            List<Long> r = readList(t, m);
            versionRead.put(m.key(), r.isEmpty() ? null : r.get(r.size() - 1));
          }
        } else {
          readFirst.putIfAbsent(m.key(), Boolean.FALSE);
          if (readFirst.get(m.key()) && counted.add(m.key())) {
            groups.computeIfAbsent(m.key(), k -> new LinkedHashMap<>()).computeIfAbsent(versionRead.get(m.key()), k -> new ArrayList<>()).add(t);
          }
        }
      }
    }
    for (Map.Entry<Long, Map<Long, List<Txn>>> e : groups.entrySet()) {
      for (Map.Entry<Long, List<Txn>> g : e.getValue().entrySet()) {
        if (g.getValue().size() > 1) {
          List<Op> ops = g.getValue().stream().map(Txn::reportOp).toList();
          reporter.add("lost-update", "key " + e.getKey() + ": " + ops.size() + " transactions read the version ending in " + g.getKey()
              + " and each appended to it: " + ops.stream().map(Reporter::describe).toList(), ops);
        }
      }
    }
  }
}
