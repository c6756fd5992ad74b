package io.ordo.jepsen.checker.stream;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.stream.MicroOps.MicroOp;
import io.ordo.jepsen.checker.stream.MicroOps.Poll;
import io.ordo.jepsen.checker.stream.MicroOps.Rec;
import io.ordo.jepsen.checker.stream.MicroOps.Send;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One run of the stream analysis over a history (see {@link StreamChecker} for the definitions).
 * Single use, not thread-safe. Every map that is iterated to produce output is a {@link TreeMap},
 * so the result does not depend on hashing; hash maps serve lookups only.
 */
final class StreamAnalysis {
  /** How many ops one anomaly lists at most (e.g. the observers of a contested offset). */
  static final int OPS_PER_ANOMALY_MAX = 16;
  /** How many values an explanation names at most. */
  static final int VALUES_PER_EXPLANATION_MAX = 16;

  /**
   * What an operation did, as one unit: its invoke, its completion (null if none), its micro-ops,
   * and, computed once, the records it read and the sends it made per key.
   *
   * @param reads records read per key, concatenated over the op's polls in order, keys ascending,
   *     keys with no records left out
   * @param sends sends per key in op order, keys ascending
   */
  private record Entry(Op invoke, Op completion, OpType type, String f, List<MicroOp> mops, List<Long> assignedKeys,
      SortedMap<Long, List<Rec>> reads, SortedMap<Long, List<Send>> sends) {
    static Entry of(Op invoke, Op completion, OpType type, String f, List<MicroOp> mops, List<Long> assignedKeys) {
      SortedMap<Long, List<Rec>> reads = new TreeMap<>();
      SortedMap<Long, List<Send>> sends = new TreeMap<>();
      for (MicroOp m : mops) {
        if (m instanceof Poll p) {
          for (Map.Entry<Long, List<Rec>> e : p.records().entrySet()) {
            if (!e.getValue().isEmpty()) {
              reads.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
            }
          }
        } else if (m instanceof Send snd) {
          sends.computeIfAbsent(snd.key(), k -> new ArrayList<>()).add(snd);
        }
      }
      return new Entry(invoke, completion, type, f, mops, assignedKeys, reads, sends);
    }

    /** The op to show in reports: the completion if there is one. */
    Op shown() {
      return completion != null ? completion : invoke;
    }

    boolean isOk() {
      return type == OpType.OK;
    }
  }

  private record KeyValue(long key, long value) {}

  private record KeyOffset(long key, long offset) {}

  private record Position(Entry entry, int index, long offset, long value) {}

  private final History history;
  private final int perTypeMax;

  private final List<Entry> entries = new ArrayList<>();
  /** Every send of (key, value), in history order. */
  private final Map<KeyValue, List<Entry>> writers = new HashMap<>();
  /** Values read by ok ops, per key. */
  private final SortedMap<Long, Set<Long>> okReads = new TreeMap<>();
  /** The first ok op that read (key, value). */
  private final Map<KeyValue, Entry> firstReader = new HashMap<>();
  /** The observed logs: key → offset → values. */
  private final SortedMap<Long, TreeMap<Long, TreeSet<Long>>> logs = new TreeMap<>();
  /**
   * Ops that observed something at a contested (key, offset), one holding several values or a
   * duplicated value, at most {@link #OPS_PER_ANOMALY_MAX} each. Collected only for contested
   * offsets, in a second pass, so that clean histories pay nothing for it.
   */
  private final Map<KeyOffset, List<Entry>> observers = new HashMap<>();
  /** Key → offset → dense index. */
  private final Map<Long, Map<Long, Integer>> indexOf = new HashMap<>();

  private final SortedMap<String, Long> counts = new TreeMap<>();
  private final SortedMap<String, List<Anomaly>> anomaliesByType = new TreeMap<>();
  private final SortedMap<Long, Long> unseenByKey = new TreeMap<>();
  private long unseenCount;

  StreamAnalysis(History history, int perTypeMax) {
    this.history = history;
    this.perTypeMax = perTypeMax;
  }

  void run() {
    collectEntries();
    indexWritesAndReads();
    buildLogs();
    inconsistentOffsetsAndDuplicates();
    lostWrites();
    unseen();
    abortedReads();
    internalPolls();
    pollSkipsAndNonmonotonic();
    sends();
  }

  SortedMap<String, Long> counts() {
    return counts;
  }

  /** Anomalies listed, grouped by type (ascending), each group in discovery order. */
  List<Anomaly> anomalies() {
    List<Anomaly> out = new ArrayList<>();
    for (List<Anomaly> l : anomaliesByType.values()) {
      out.addAll(l);
    }
    return out;
  }

  long unseenCount() {
    return unseenCount;
  }

  SortedMap<Long, Long> unseenByKey() {
    return unseenByKey;
  }

  int keyCount() {
    return logs.size();
  }

  // ---------------------------------------------------------------- reading the history

  private void collectEntries() {
    List<Op> pending = new ArrayList<>();
    for (Op op : history.ops()) {
      if (op.isNemesis()) {
        continue;
      }
      if (op.isInvoke()) {
        if (history.completion(op).isEmpty()) {
          pending.add(op);
        }
        continue;
      }
      addEntry(history.invocation(op), op);
    }
    // An invoke that never completed is indeterminate, like info; it is placed after all
    // completions because it may have taken effect at any later time.
    for (Op invoke : pending) {
      addEntry(invoke, null);
    }
  }

  private void addEntry(Op invoke, Op completion) {
    String f = invoke.f();
    OpType type = completion == null ? OpType.INFO : completion.type();
    switch (f) {
      case "send", "poll", "txn" -> {
        Object value = completion != null && completion.value() != null ? completion.value() : invoke.value();
        Op named = completion != null ? completion : invoke;
        entries.add(Entry.of(invoke, completion, type, f, MicroOps.parse(f, value, named), List.of()));
      }
      case "assign", "subscribe" -> {
        Object value = completion != null && completion.value() != null ? completion.value() : invoke.value();
        entries.add(Entry.of(invoke, completion, type, f, List.of(), parseKeys(value, completion != null ? completion : invoke)));
      }
      case "crash", "debug-topic-partitions" -> {
        // Jepsen's bookkeeping ops carry no sends or polls.
      }
      default -> throw new IllegalArgumentException(
          "op " + invoke.index() + ": f '" + f + "' is not a stream op (send, poll, txn, assign, subscribe, crash)");
    }
  }

  private static List<Long> parseKeys(Object value, Op op) {
    if (!(value instanceof List<?> l)) {
      throw new IllegalArgumentException("op " + op.index() + ": " + op.f() + " value must be a list of keys, got " + value);
    }
    List<Long> keys = new ArrayList<>();
    for (Object o : l) {
      if (o instanceof Long k) {
        keys.add(k);
      } else if (o instanceof Integer k) {
        keys.add((long) k);
      } else {
        throw new IllegalArgumentException("op " + op.index() + ": " + op.f() + " key must be an integer, got " + o);
      }
    }
    return keys;
  }

  private void indexWritesAndReads() {
    for (Entry e : entries) {
      for (MicroOp m : e.mops()) {
        if (m instanceof Send s) {
          writers.computeIfAbsent(new KeyValue(s.key(), s.value()), kv -> new ArrayList<>()).add(e);
        }
      }
      if (e.isOk()) {
        for (Map.Entry<Long, List<Rec>> r : e.reads().entrySet()) {
          Set<Long> vs = okReads.computeIfAbsent(r.getKey(), k -> new HashSet<>());
          for (Rec rec : r.getValue()) {
            vs.add(rec.value());
            firstReader.putIfAbsent(new KeyValue(r.getKey(), rec.value()), e);
          }
        }
      }
    }
  }

  private boolean wasRead(long key, long value) {
    Set<Long> vs = okReads.get(key);
    return vs != null && vs.contains(value);
  }

  private void buildLogs() {
    for (Entry e : entries) {
      for (MicroOp m : e.mops()) {
        if (m instanceof Send s && s.offset() != null) {
          if (isEvidence(e, s)) {
            observe(s.key(), s.offset(), s.value());
          }
        } else if (m instanceof Poll p) {
          // Polls are evidence whatever their op's outcome: a consumer only ever reads committed
          // records, as in Jepsen's analysis.
          for (Map.Entry<Long, List<Rec>> r : p.records().entrySet()) {
            for (Rec rec : r.getValue()) {
              observe(r.getKey(), rec.offset(), rec.value());
            }
          }
        }
      }
    }
    for (Map.Entry<Long, TreeMap<Long, TreeSet<Long>>> log : logs.entrySet()) {
      Map<Long, Integer> idx = new HashMap<>();
      int i = 0;
      for (Long offset : log.getValue().keySet()) {
        idx.put(offset, i++);
      }
      indexOf.put(log.getKey(), idx);
    }
  }

  private void observe(long key, long offset, long value) {
    logs.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(offset, o -> new TreeSet<>()).add(value);
  }

  /** Fills {@link #observers} for {@code contested}: the same evidence as the log, op by op. */
  private void collectObservers(Set<KeyOffset> contested) {
    if (contested.isEmpty()) {
      return;
    }
    for (Entry e : entries) {
      for (MicroOp m : e.mops()) {
        if (m instanceof Send s && s.offset() != null) {
          if (isEvidence(e, s)) {
            addObserver(contested, e, s.key(), s.offset());
          }
        } else if (m instanceof Poll p) {
          for (Map.Entry<Long, List<Rec>> r : p.records().entrySet()) {
            for (Rec rec : r.getValue()) {
              addObserver(contested, e, r.getKey(), rec.offset());
            }
          }
        }
      }
    }
  }

  private void addObserver(Set<KeyOffset> contested, Entry e, long key, long offset) {
    KeyOffset ko = new KeyOffset(key, offset);
    if (contested.contains(ko)) {
      List<Entry> obs = observers.computeIfAbsent(ko, x -> new ArrayList<>());
      if (obs.size() < OPS_PER_ANOMALY_MAX && (obs.isEmpty() || obs.get(obs.size() - 1) != e)) {
        obs.add(e);
      }
    }
  }

  /**
   * Whether a send's offset is evidence of the log: only if the send took effect, that is, it was
   * acknowledged, or it was indeterminate and someone read its value.
   */
  private boolean isEvidence(Entry e, Send s) {
    return e.isOk() || (e.type() == OpType.INFO && wasRead(s.key(), s.value()));
  }

  /** The dense index of {@code offset} of {@code key}, or -1 if that offset was never observed. */
  private int index(long key, Long offset) {
    if (offset == null) {
      return -1;
    }
    Map<Long, Integer> idx = indexOf.get(key);
    Integer i = idx == null ? null : idx.get(offset);
    return i == null ? -1 : i;
  }

  // ---------------------------------------------------------------- the checks

  private void inconsistentOffsetsAndDuplicates() {
    // First find what is contested, then who observed it, then report in key order.
    SortedMap<Long, SortedMap<Long, TreeSet<Long>>> duplicated = new TreeMap<>();
    Set<KeyOffset> contested = new HashSet<>();
    for (Map.Entry<Long, TreeMap<Long, TreeSet<Long>>> log : logs.entrySet()) {
      long key = log.getKey();
      SortedMap<Long, TreeSet<Long>> offsetsOfValue = new TreeMap<>();
      for (Map.Entry<Long, TreeSet<Long>> at : log.getValue().entrySet()) {
        if (at.getValue().size() > 1) {
          contested.add(new KeyOffset(key, at.getKey()));
        }
        for (Long v : at.getValue()) {
          offsetsOfValue.computeIfAbsent(v, x -> new TreeSet<>()).add(at.getKey());
        }
      }
      for (Map.Entry<Long, TreeSet<Long>> d : offsetsOfValue.entrySet()) {
        if (d.getValue().size() > 1) {
          duplicated.computeIfAbsent(key, k -> new TreeMap<>()).put(d.getKey(), d.getValue());
          for (Long offset : d.getValue()) {
            contested.add(new KeyOffset(key, offset));
          }
        }
      }
    }
    collectObservers(contested);
    for (Map.Entry<Long, TreeMap<Long, TreeSet<Long>>> log : logs.entrySet()) {
      for (Map.Entry<Long, TreeSet<Long>> at : log.getValue().entrySet()) {
        if (at.getValue().size() > 1) {
          long key = log.getKey();
          report(StreamChecker.INCONSISTENT_OFFSETS,
              "key " + key + " offset " + at.getKey() + " holds different values " + at.getValue(),
              shown(observers.get(new KeyOffset(key, at.getKey()))));
        }
      }
    }
    for (Map.Entry<Long, SortedMap<Long, TreeSet<Long>>> byKey : duplicated.entrySet()) {
      long key = byKey.getKey();
      for (Map.Entry<Long, TreeSet<Long>> d : byKey.getValue().entrySet()) {
        List<Entry> ops = new ArrayList<>();
        for (Long offset : d.getValue()) {
          ops.addAll(observers.get(new KeyOffset(key, offset)));
        }
        report(StreamChecker.DUPLICATE,
            "key " + key + " value " + d.getKey() + " appears at " + d.getValue().size() + " offsets " + d.getValue(), shown(ops));
      }
    }
  }

  private void lostWrites() {
    for (Map.Entry<Long, Set<Long>> read : okReads.entrySet()) {
      long key = read.getKey();
      TreeMap<Long, TreeSet<Long>> log = logs.get(key);
      if (log == null) {
        continue;
      }
      Map<Long, Integer> firstIndex = new HashMap<>();
      Map<Long, Integer> lastIndex = new HashMap<>();
      List<TreeSet<Long>> byIndex = new ArrayList<>(log.values());
      for (int i = 0; i < byIndex.size(); i++) {
        for (Long v : byIndex.get(i)) {
          firstIndex.putIfAbsent(v, i);
          lastIndex.put(v, i);
        }
      }
      // The bound is how far the furthest reader provably got: the highest of the earliest indexes
      // of the values read. Every value whose last appearance is at or before it should have been
      // read by someone.
      int bound = -1;
      for (Long v : read.getValue()) {
        Integer i = firstIndex.get(v);
        if (i != null && i > bound) {
          bound = i;
        }
      }
      if (bound < 0) {
        continue;
      }
      long boundValue = byIndex.get(bound).first();
      Entry maxReader = firstReader.get(new KeyValue(key, boundValue));
      for (int i = 0; i <= bound; i++) {
        for (Long v : byIndex.get(i)) {
          if (lastIndex.get(v) != i || read.getValue().contains(v)) {
            continue;
          }
          Entry okWriter = okWriter(key, v);
          if (okWriter == null) {
            continue;
          }
          List<Entry> ops = new ArrayList<>(List.of(okWriter));
          if (maxReader != null) {
            ops.add(maxReader);
          }
          report(StreamChecker.LOST_WRITE,
              "key " + key + " value " + v + " (index " + i + ") was acknowledged by op " + okWriter.shown().index()
                  + " but never read, although value " + boundValue + " at index " + bound + " was read"
                  + (maxReader != null ? " by op " + maxReader.shown().index() : ""),
              shown(ops));
        }
      }
    }
  }

  private Entry okWriter(long key, long value) {
    List<Entry> ws = writers.get(new KeyValue(key, value));
    if (ws != null) {
      for (Entry w : ws) {
        if (w.isOk()) {
          return w;
        }
      }
    }
    return null;
  }

  private void unseen() {
    SortedMap<Long, TreeMap<Long, Entry>> unseen = new TreeMap<>();
    for (Entry e : entries) {
      if (!e.isOk()) {
        continue;
      }
      for (MicroOp m : e.mops()) {
        if (m instanceof Send s && !wasRead(s.key(), s.value())) {
          unseen.computeIfAbsent(s.key(), k -> new TreeMap<>()).putIfAbsent(s.value(), e);
        }
      }
    }
    for (Map.Entry<Long, TreeMap<Long, Entry>> u : unseen.entrySet()) {
      long n = u.getValue().size();
      unseenByKey.put(u.getKey(), n);
      unseenCount += n;
      List<Long> values = new ArrayList<>(u.getValue().keySet());
      report(StreamChecker.UNSEEN,
          "key " + u.getKey() + ": " + n + " acknowledged sends never polled, values " + firstFew(values),
          shown(new ArrayList<>(u.getValue().values())));
    }
  }

  private void abortedReads() {
    for (Entry e : entries) {
      if (!e.isOk()) {
        continue;
      }
      for (Map.Entry<Long, List<Rec>> r : e.reads().entrySet()) {
        for (Rec rec : r.getValue()) {
          List<Entry> ws = writers.get(new KeyValue(r.getKey(), rec.value()));
          if (ws == null || ws.isEmpty()) {
            continue;
          }
          boolean allFailed = true;
          for (Entry w : ws) {
            allFailed &= w.type() == OpType.FAIL;
          }
          if (allFailed) {
            List<Entry> ops = new ArrayList<>(ws);
            ops.add(e);
            report(StreamChecker.G1A,
                "op " + e.shown().index() + " read key " + r.getKey() + " value " + rec.value() + " at offset " + rec.offset()
                    + ", whose send (op " + ws.get(0).shown().index() + ") failed",
                shown(ops));
          }
        }
      }
    }
  }

  private void internalPolls() {
    for (Entry e : entries) {
      if (!e.isOk()) {
        continue;
      }
      for (Map.Entry<Long, List<Rec>> r : e.reads().entrySet()) {
        long key = r.getKey();
        List<Rec> recs = r.getValue();
        for (int j = 1; j < recs.size(); j++) {
          Rec a = recs.get(j - 1);
          Rec b = recs.get(j);
          int delta = index(key, b.offset()) - index(key, a.offset());
          if (delta > 1) {
            report(StreamChecker.INT_POLL_SKIP,
                "op " + e.shown().index() + " read key " + key + " offset " + a.offset() + " then " + b.offset() + ", skipping "
                    + (delta - 1) + " observed records " + skipped(key, a.offset(), b.offset()),
                shown(List.of(e)));
          } else if (delta < 1) {
            report(StreamChecker.INT_NONMONOTONIC_POLL,
                "op " + e.shown().index() + " read key " + key + " offset " + a.offset() + " (value " + a.value() + ") then offset "
                    + b.offset() + " (value " + b.value() + "), going backwards",
                shown(List.of(e)));
          }
        }
      }
    }
  }

  private void pollSkipsAndNonmonotonic() {
    SortedMap<Long, Map<Long, Position>> lastReadByProcess = new TreeMap<>();
    for (Entry e : entries) {
      long process = e.invoke().process();
      Map<Long, Position> last = lastReadByProcess.computeIfAbsent(process, p -> new HashMap<>());
      if (e.f().equals("assign") || e.f().equals("subscribe")) {
        if (e.type() == OpType.OK || e.type() == OpType.INFO) {
          last.keySet().retainAll(new HashSet<>(e.assignedKeys()));
        }
        continue;
      }
      if (!e.isOk()) {
        // A failed or indeterminate poll tells us nothing about where the consumer now is.
        continue;
      }
      for (Map.Entry<Long, List<Rec>> r : e.reads().entrySet()) {
        long key = r.getKey();
        List<Rec> recs = r.getValue();
        Rec first = recs.get(0);
        Rec lastRec = recs.get(recs.size() - 1);
        Position prev = last.get(key);
        if (prev != null) {
          int delta = index(key, first.offset()) - prev.index();
          if (delta > 1) {
            report(StreamChecker.POLL_SKIP,
                "process " + process + " polled key " + key + " up to value " + prev.value() + " (op " + prev.entry().shown().index()
                    + "), then from value " + first.value() + " at offset " + first.offset() + " (op " + e.shown().index()
                    + "), skipping " + (delta - 1) + " records " + skipped(key, prev.offset(), first.offset()),
                shown(List.of(prev.entry(), e)));
          } else if (delta < 1) {
            report(StreamChecker.NONMONOTONIC_POLL,
                "process " + process + " polled key " + key + " up to value " + prev.value() + " (op " + prev.entry().shown().index()
                    + "), then from value " + first.value() + " at offset " + first.offset() + " (op " + e.shown().index()
                    + "), going back " + (1 - delta) + " records",
                shown(List.of(prev.entry(), e)));
          }
        }
        last.put(key, new Position(e, index(key, lastRec.offset()), lastRec.offset(), lastRec.value()));
      }
    }
  }

  private void sends() {
    SortedMap<Long, Map<Long, Position>> lastSendByProcess = new TreeMap<>();
    for (Entry e : entries) {
      long process = e.invoke().process();
      Map<Long, Position> last = lastSendByProcess.computeIfAbsent(process, p -> new HashMap<>());
      if (e.f().equals("assign") || e.f().equals("subscribe") || !(e.isOk() || e.type() == OpType.INFO)) {
        continue;
      }
      for (Map.Entry<Long, List<Send>> s : e.sends().entrySet()) {
        long key = s.getKey();
        Position within = null;
        for (Send send : s.getValue()) {
          int i = index(key, send.offset());
          if (i < 0) {
            continue;
          }
          Position prev = within != null ? within : last.get(key);
          if (prev != null && i - prev.index() < 1) {
            boolean internal = within != null;
            report(internal ? StreamChecker.INT_NONMONOTONIC_SEND : StreamChecker.NONMONOTONIC_SEND,
                "process " + process + " sent value " + prev.value() + " to key " + key + " at index " + prev.index()
                    + (internal ? "" : " (op " + prev.entry().shown().index() + ")") + ", then value " + send.value()
                    + " at offset " + send.offset() + " (index " + i + ", op " + e.shown().index() + ")",
                shown(internal ? List.of(e) : List.of(prev.entry(), e)));
          }
          within = new Position(e, i, send.offset(), send.value());
        }
        if (within != null) {
          last.put(key, within);
        }
      }
    }
  }

  // ---------------------------------------------------------------- reporting

  private void report(String type, String explanation, List<Op> ops) {
    long n = counts.merge(type, 1L, Long::sum);
    if (n <= perTypeMax) {
      anomaliesByType.computeIfAbsent(type, t -> new ArrayList<>()).add(new Anomaly(type, explanation, ops));
    }
  }

  /** The ops to show for {@code es}: distinct, in history order, at most {@link #OPS_PER_ANOMALY_MAX}. */
  private static List<Op> shown(List<Entry> es) {
    TreeMap<Long, Op> byIndex = new TreeMap<>();
    for (Entry e : es) {
      byIndex.putIfAbsent(e.shown().index(), e.shown());
    }
    List<Op> out = new ArrayList<>(byIndex.values());
    return out.size() <= OPS_PER_ANOMALY_MAX ? out : out.subList(0, OPS_PER_ANOMALY_MAX);
  }

  private List<Long> skipped(long key, long fromOffset, long toOffset) {
    List<Long> out = new ArrayList<>();
    for (TreeSet<Long> vs : logs.get(key).subMap(fromOffset, false, toOffset, false).values()) {
      out.addAll(vs);
    }
    return firstFew(out);
  }

  private static List<Long> firstFew(List<Long> values) {
    return values.size() <= VALUES_PER_EXPLANATION_MAX ? values : values.subList(0, VALUES_PER_EXPLANATION_MAX);
  }

}
