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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Elle's rw-register checker. Transactions are {@code :f :txn} ops whose value is a list of
 * micro-ops {@code [:w k v]} (v a Long, unique per key across the history) and {@code [:r k v]} (v
 * the Long read, or null for the initial, never-written state; meaningful in ok completions only).
 *
 * <p>With the option "external-order" = true, an ok completion's value may instead be the map
 * {@code {:txn [micro-ops], :position n}} where n (a Long) is the transaction's place in a total
 * order of committed transactions (Ordo's commit position; distinct per transaction). Example:
 * {@code {:index 5, :type :ok, :f :txn, :value {:txn [[:w 1 3] [:r 2 7]], :position 42}}}.
 *
 * <p>Options: as {@link ListAppendChecker} ("consistency-models", "anomalies", "time-limit-ms")
 * plus the booleans (default false) "external-order" (above), "linearizable-keys" (assume each key
 * is linearizable: realtime order of transactions on a key is version order evidence) and
 * "sequential-keys" (assume each key is sequentially consistent: process order is evidence).
 *
 * <p>Version order evidence per key (a graph over versions, nil being the initial one): nil comes
 * before every version that has no other known predecessor; within a transaction, the version it
 * read from others comes before the version it wrote, and its successive writes of a key are in
 * order; with "external-order", the versions written by ok transactions come in the order of their
 * positions; with "linearizable-keys" / "sequential-keys", realtime / process order of the
 * transactions touching a key (see {@code orderEvidence}). Each version edge v1
 * → v2 gives ww writer(v1) → writer(v2) and rw reader(v1) → writer(v2); a read of v gives wr
 * writer(v) → reader. Only a transaction's first read of a key before it writes the key is an
 * external read; later reads are checked against the transaction's own state ("internal").
 *
 * <p>Non-cycle anomalies: G1a (reads a failed transaction's write), G1b (reads another
 * transaction's non-final write of the key), internal, future-read (reads its own later write),
 * lost-update (two ok transactions read the same version of a key and both wrote it). Cycles: as
 * {@link ListAppendChecker}.
 */
public final class RwRegisterChecker implements Checker {
  private static final Set<String> OPTIONS =
      Set.of("consistency-models", "anomalies", "time-limit-ms", "external-order", "linearizable-keys", "sequential-keys");

  private final LongSupplier nanoClock;

  /** A checker timing its cycle search with {@link System#nanoTime()}. */
  public RwRegisterChecker() {
    this(System::nanoTime);
  }

  /** A checker timing its cycle search with {@code nanoClock} (monotonic nanoseconds). */
  public RwRegisterChecker(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  @Override
  public String name() {
    return "rw-register";
  }

  private record Write(Txn txn, int position) {}

  /** A version edge of one key; null stands for the initial state. */
  private record VersionEdge(Long from, Long to) {}

  @Override
  public CheckResult check(Map<String, Object> options, History history) {
    ElleOptions opts = ElleOptions.parse(options, OPTIONS);
    List<Txn> txns = Txns.parse(history, List.of("w", "r"), opts.externalOrder());
    Reporter reporter = new Reporter();

    Map<Long, Map<Long, Write>> writers = new HashMap<>();
    for (Txn t : txns) {
      for (MicroOp m : t.ops()) {
        if (m.isWrite()) {
          Write prev = writers.computeIfAbsent(m.key(), k -> new HashMap<>()).putIfAbsent((Long) m.value(), new Write(t, m.position()));
          if (prev != null) {
            throw new IllegalArgumentException("op " + t.reportOp().index() + ": value " + m.value() + " written to key " + m.key()
                + " again (first by op " + prev.txn().reportOp().index() + "); rw-register needs unique values per key");
          }
        }
      }
    }

    // key -> version edges (insertion-ordered), key -> version -> external readers.
    TreeMap<Long, Set<VersionEdge>> versions = new TreeMap<>();
    TreeMap<Long, Map<Long, List<Txn>>> readers = new TreeMap<>();
    TreeMap<Long, Map<Long, List<Txn>>> readThenWrote = new TreeMap<>();
    for (Txn t : txns) {
      Map<Long, Long> state = new HashMap<>();
      Set<Long> touched = new java.util.HashSet<>();
      Map<Long, Long> externalRead = new HashMap<>();
      Set<Long> readExternally = new java.util.HashSet<>();
      for (MicroOp m : t.ops()) {
        Long v = m.value() == null ? null : asLong(t, m);
        if (m.isWrite()) {
          if (touched.contains(m.key()) && (state.get(m.key()) != null || readExternally.contains(m.key()))) {
            // Writes follow reads, and successive writes are in order.
            versions.computeIfAbsent(m.key(), k -> new LinkedHashSet<>()).add(new VersionEdge(state.get(m.key()), v));
          }
          if (t.isOk() && readExternally.contains(m.key()) && !writtenBefore(t, m)) {
            readThenWrote.computeIfAbsent(m.key(), k -> new LinkedHashMap<>()).computeIfAbsent(externalRead.get(m.key()), k -> new ArrayList<>()).add(t);
          }
          touched.add(m.key());
          state.put(m.key(), v);
          continue;
        }
        if (!t.isOk()) {
          continue;
        }
        Write w = v == null ? null : writers.getOrDefault(m.key(), Map.of()).get(v);
        if (w != null && w.txn() == t && w.position() > m.position()) {
          reporter.add("future-read", Reporter.describe(t.reportOp()) + " read key " + m.key() + " = " + v
              + ", which it writes only later (micro-op " + w.position() + ")", List.of(t.reportOp()));
        }
        if (touched.contains(m.key())) {
          if (!Objects.equals(state.get(m.key()), v)) {
            reporter.add("internal", Reporter.describe(t.reportOp()) + " read key " + m.key() + " = " + v + " but its own earlier reads and writes give "
                + state.get(m.key()), List.of(t.reportOp()));
          }
          continue;
        }
        touched.add(m.key());
        readExternally.add(m.key());
        externalRead.put(m.key(), v);
        state.put(m.key(), v);
        readers.computeIfAbsent(m.key(), k -> new HashMap<>()).computeIfAbsent(v, k -> new ArrayList<>()).add(t);
        if (w != null && w.txn() != t) {
          if (w.txn().isFail()) {
            reporter.add("G1a", Reporter.describe(t.reportOp()) + " read key " + m.key() + " = " + v + ", written by failed "
                + Reporter.describe(w.txn().reportOp()), List.of(t.reportOp(), w.txn().reportOp()));
          } else if (!isFinalWrite(w, m.key())) {
            reporter.add("G1b", Reporter.describe(t.reportOp()) + " read key " + m.key() + " = " + v + ", an intermediate write of "
                + Reporter.describe(w.txn().reportOp()), List.of(t.reportOp(), w.txn().reportOp()));
          }
        }
      }
    }
    for (Map.Entry<Long, Map<Long, List<Txn>>> e : readThenWrote.entrySet()) {
      for (Map.Entry<Long, List<Txn>> g : e.getValue().entrySet()) {
        if (g.getValue().size() > 1) {
          List<Op> ops = g.getValue().stream().map(Txn::reportOp).toList();
          reporter.add("lost-update", "key " + e.getKey() + ": " + ops.size() + " transactions read version " + g.getKey()
              + " and each wrote the key: " + ops.stream().map(Reporter::describe).toList(), ops);
        }
      }
    }

    if (opts.externalOrder()) {
      TreeMap<Long, Txn> byPosition = new TreeMap<>();
      for (Txn t : txns) {
        if (t.isOk() && t.position() != null) {
          Txn prev = byPosition.put(t.position(), t);
          if (prev != null) {
            throw new IllegalArgumentException("op " + t.reportOp().index() + ": position " + t.position() + " also used by op "
                + prev.reportOp().index() + "; positions must be distinct");
          }
        }
      }
      Map<Long, Long> lastVersion = new HashMap<>();
      for (Txn t : byPosition.values()) {
        Map<Long, Long> finalWrites = new LinkedHashMap<>();
        for (MicroOp m : t.ops()) {
          if (m.isWrite()) {
            finalWrites.put(m.key(), (Long) m.value());
          }
        }
        for (Map.Entry<Long, Long> fw : finalWrites.entrySet()) {
          // The first committed version follows the initial state, each next one its predecessor.
          versions.computeIfAbsent(fw.getKey(), k -> new LinkedHashSet<>()).add(new VersionEdge(lastVersion.get(fw.getKey()), fw.getValue()));
          lastVersion.put(fw.getKey(), fw.getValue());
        }
      }
    }
    boolean linearizableKeys = flag(options, "linearizable-keys");
    boolean sequentialKeys = flag(options, "sequential-keys");
    if (linearizableKeys || sequentialKeys) {
      orderEvidence(history, txns, versions, linearizableKeys);
    }
    // Initial state: nil precedes every written version with no other known predecessor.
    for (Map.Entry<Long, Map<Long, Write>> e : new TreeMap<>(writers).entrySet()) {
      Set<VersionEdge> edges = versions.computeIfAbsent(e.getKey(), k -> new LinkedHashSet<>());
      Set<Long> hasPredecessor = new java.util.HashSet<>();
      for (VersionEdge ve : edges) {
        hasPredecessor.add(ve.to());
      }
      for (Long v : new java.util.TreeSet<>(e.getValue().keySet())) {
        Write w = e.getValue().get(v);
        if (!w.txn().isFail() && !hasPredecessor.contains(v)) {
          edges.add(new VersionEdge(null, v));
        }
      }
    }

    DepGraph graph = new DepGraph(txns.size());
    boolean[] inGraph = new boolean[txns.size()];
    for (Txn t : txns) {
      inGraph[t.id()] = !t.isFail();
    }
    for (Map.Entry<Long, Set<VersionEdge>> e : versions.entrySet()) {
      Map<Long, Write> keyWriters = writers.getOrDefault(e.getKey(), Map.of());
      Map<Long, List<Txn>> keyReaders = readers.getOrDefault(e.getKey(), java.util.Collections.emptyMap());
      for (VersionEdge ve : e.getValue()) {
        Write from = ve.from() == null ? null : keyWriters.get(ve.from());
        Write to = keyWriters.get(ve.to());
        if (to == null || !inGraph[to.txn().id()]) {
          continue;
        }
        if (from != null && inGraph[from.txn().id()]) {
          graph.add(from.txn().id(), to.txn().id(), DepGraph.WW);
        }
        for (Txn r : keyReaders.getOrDefault(ve.from(), List.of())) {
          graph.add(r.id(), to.txn().id(), DepGraph.RW);
        }
      }
      for (Map.Entry<Long, List<Txn>> rv : keyReaders.entrySet()) {
        Write w = rv.getKey() == null ? null : keyWriters.get(rv.getKey());
        if (w != null && inGraph[w.txn().id()]) {
          for (Txn r : rv.getValue()) {
            graph.add(w.txn().id(), r.id(), DepGraph.WR);
          }
        }
      }
    }
    graph.addRealtimeAndProcessEdges(history, txns, inGraph);
    graph.freeze();
    CycleSearch.Result search = new CycleSearch(graph, nanoClock, opts.timeLimitMs()).run();
    reporter.addCycles(search, txns, RwRegisterChecker::explainEdge);
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("txn-count", (long) txns.size());
    facts.put("key-count", (long) writers.size());
    facts.put("edge-count", (long) graph.edgeCount());
    facts.put("external-order", opts.externalOrder());
    return reporter.result(opts, search, facts);
  }

  private static boolean flag(Map<String, Object> options, String name) {
    Object v = options.getOrDefault(name, Boolean.FALSE);
    if (!(v instanceof Boolean b)) {
      throw new IllegalArgumentException(name + " must be a boolean, got " + v);
    }
    return b;
  }

  /**
   * Version order evidence from the order of transactions on each key (Elle's linearizable-keys /
   * sequential-keys assumptions): if A precedes B (realtime: A completed ok before B was invoked,
   * as a per-key transitive reduction like {@link DepGraph#addRealtimeAndProcessEdges}; process:
   * A is B's process's previous transaction touching the key), the version A left on the key (its
   * final write, else what it read) comes before the first version B saw or wrote there, unless
   * they are the same version or B first saw the initial state (that stale read shows up as an rw
   * edge against realtime/process order instead).
   */
  private static void orderEvidence(History history, List<Txn> txns, Map<Long, Set<VersionEdge>> versions, boolean realtime) {
    Map<Long, Txn> byInvoke = new HashMap<>();
    Map<Long, Txn> byCompletion = new HashMap<>();
    for (Txn t : txns) {
      if (!t.isFail()) {
        byInvoke.put(t.invoke().index(), t);
        if (t.isOk()) {
          byCompletion.put(t.completion().index(), t);
        }
      }
    }
    // key -> transactions ordered before the next one to touch the key (bounded by concurrency).
    Map<Long, java.util.TreeMap<Integer, Txn>> frontier = new HashMap<>();
    Map<Integer, Map<Long, List<Txn>>> predecessors = new HashMap<>();
    Map<Long, Map<Long, Txn>> lastOfProcess = new HashMap<>();
    for (Op op : history.ops()) {
      Txn t = op.isInvoke() ? byInvoke.get(op.index()) : byCompletion.get(op.index());
      if (t == null) {
        continue;
      }
      Map<Long, Long[]> firstLast = firstAndLastVersions(t);
      if (op.isInvoke()) {
        Map<Long, List<Txn>> preds = new HashMap<>();
        for (Map.Entry<Long, Long[]> e : firstLast.entrySet()) {
          List<Txn> before = new ArrayList<>();
          if (realtime) {
            before.addAll(frontier.getOrDefault(e.getKey(), new java.util.TreeMap<>()).values());
          } else {
            Txn last = lastOfProcess.computeIfAbsent(t.process(), k -> new HashMap<>()).put(e.getKey(), t);
            if (last != null && last.isOk()) {
              before.add(last);
            }
          }
          preds.put(e.getKey(), before);
          Long first = e.getValue()[0];
          for (Txn p : before) {
            Long last = firstAndLastVersions(p).get(e.getKey())[1];
            if (first != null && !Objects.equals(last, first)) {
              versions.computeIfAbsent(e.getKey(), k -> new LinkedHashSet<>()).add(new VersionEdge(last, first));
            }
          }
        }
        predecessors.put(t.id(), preds);
      } else {
        for (Map.Entry<Long, List<Txn>> e : predecessors.remove(t.id()).entrySet()) {
          java.util.TreeMap<Integer, Txn> f = frontier.computeIfAbsent(e.getKey(), k -> new java.util.TreeMap<>());
          for (Txn p : e.getValue()) {
            f.remove(p.id());
          }
          f.put(t.id(), t);
        }
      }
    }
  }

  /** Per key the transaction touches: {first version it saw or wrote, last version it left}. */
  private static Map<Long, Long[]> firstAndLastVersions(Txn t) {
    Map<Long, Long[]> out = new LinkedHashMap<>();
    for (MicroOp m : t.ops()) {
      if (m.isRead() && !t.isOk()) {
        continue;
      }
      Long v = (Long) m.value();
      Long[] fl = out.get(m.key());
      if (fl == null) {
        out.put(m.key(), new Long[] {v, v});
      } else if (m.isWrite()) {
        fl[1] = v;
      }
    }
    return out;
  }

  /** A key that can make the edge from → to (both wrote it, or one read what the other wrote). */
  private static String explainEdge(Txn from, Txn to, int type) {
    for (MicroOp a : from.ops()) {
      for (MicroOp b : to.ops()) {
        if (a.key() != b.key()) {
          continue;
        }
        if (type == DepGraph.WW && a.isWrite() && b.isWrite()) {
          return "key " + a.key() + ": version " + a.value() + " precedes " + b.value();
        }
        if (type == DepGraph.WR && a.isWrite() && b.isRead() && Objects.equals(a.value(), b.value())) {
          return "key " + a.key() + ": read " + b.value() + ", which it wrote";
        }
        if (type == DepGraph.RW && a.isRead() && b.isWrite()) {
          return "key " + a.key() + ": read " + a.value() + ", overwritten by " + b.value();
        }
      }
    }
    return null;
  }

  private static Long asLong(Txn t, MicroOp m) {
    if (m.value() instanceof Long l) {
      return l;
    }
    throw new IllegalArgumentException("op " + t.reportOp().index() + ": an rw-register value must be a long or nil, got " + m.value());
  }

  private static boolean writtenBefore(Txn t, MicroOp m) {
    for (MicroOp o : t.ops()) {
      if (o.position() < m.position() && o.isWrite() && o.key() == m.key()) {
        return true;
      }
    }
    return false;
  }

  private static boolean isFinalWrite(Write w, long key) {
    for (MicroOp m : w.txn().ops()) {
      if (m.isWrite() && m.key() == key && m.position() > w.position()) {
        return false;
      }
    }
    return true;
  }
}
