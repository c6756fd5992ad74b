package io.ordo.jepsen.availability;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How available the system stayed under each fault of a history, measured from the ok completions
 * of its client operations.
 *
 * <p><b>Fault intervals.</b> The nemesis records each transition as an invoke and an info completion
 * with {@code :f :start-<name>} or {@code :stop-<name>}. An interval of fault {@code <name>} runs from
 * the invoke of its {@code start-<name>} ("start") to the completion of the next {@code stop-<name>}
 * ("heal end"); the {@code stop-<name>} invoke is the "heal start". Starts and stops of one name pair
 * first-in first-out, so a name started twice before a stop gives two intervals, the older healed
 * first; faults of different names may overlap (each interval lists the others it overlaps). A fault
 * never stopped, or whose stop never completed, is unhealed: its interval ends at the history's last
 * op. A {@code stop-<name>} without an open {@code start-<name>} and nemesis ops of other shapes
 * (e.g. Jepsen's bare {@code :pause}/{@code :resume} infos) are ignored; a history without nemesis
 * ops has no intervals, only a baseline.
 *
 * <p><b>What counts.</b> Only {@code ok} completions of client operations (never the nemesis's ops,
 * never {@code fail} or {@code info}). All times are nanoseconds since the history's earliest op
 * (its first, when the clock is monotonic).
 *
 * <p><b>Waiting time.</b> A stretch without an ok completion is unavailability only while someone
 * waits: every length below counts only the time during which at least one client op was in flight
 * (invoked and not yet completed; an op never completed is in flight to the history's end). Time
 * when no client op was in flight — an open-loop workload between ops, the end of a run between its
 * time limit and its final reads — does not count, so a fault healed after the clients stopped is
 * not charged for their absence.
 *
 * <p><b>Longest gap</b> (the "time without committed transactions"): take {@code a}, the last ok
 * completion at or before the interval's start (or the history's earliest op if there is none), and
 * {@code b}, the first ok completion after the interval's end (or the history's latest op if there is
 * none; the gap is then "open", a lower bound). The longest gap is the largest waiting time between
 * consecutive points of {@code a}, the ok completions strictly between {@code a} and {@code b},
 * and {@code b}: the gap that contains the fault's start, every gap inside the interval, and the gap
 * up to the first ok after healing.
 *
 * <p><b>First ok after healing</b>: the waiting time from the heal end (the {@code stop-<name>}
 * completion) to the first ok completion after it; absent if the fault is unhealed or no ok op
 * followed (then, if healed, the waiting time to the history's end is a lower bound). The nemeses of
 * Ordo's harness return from {@code stop} only once the processes are back: for {@code kill-job} the
 * executor has started and restored its checkpoint (the child JVM printed its ready line, or the
 * Flink job runs all its tasks again, or the embedded job was started again), for {@code restart-all}
 * every broker is ready, the executor (or the resubmitted Flink job) runs and the gateways were
 * started. So for executor faults the heal end is "the executor's process is back".
 *
 * <p><b>Baseline</b>: the waiting time between consecutive ok completions that overlap no fault
 * interval (neither end inside one, none spanning one), so a reader can see what a normal gap is at
 * this load.
 *
 * <p>Everything is derived from the history alone, in index and time order; lists are sorted (by
 * start, then name), maps by name, so the same history always gives the same output.
 */
public final class Availability {
  private static final String START = "start-";
  private static final String STOP = "stop-";

  private final long durationNanos;
  private final long okCount;
  private final List<FaultInterval> intervals;
  private final List<Long> baselineGapsNanos;
  private final Baseline baseline;

  private Availability(long durationNanos, long okCount, List<FaultInterval> intervals, List<Long> baselineGapsNanos, Baseline baseline) {
    this.durationNanos = durationNanos;
    this.okCount = okCount;
    this.intervals = intervals;
    this.baselineGapsNanos = baselineGapsNanos;
    this.baseline = baseline;
  }

  /**
   * Analyses {@code h}.
   *
   * @throws NullPointerException if {@code h} is null
   */
  public static Availability of(History h) {
    Objects.requireNonNull(h, "history");
    List<Op> ops = h.ops();
    if (ops.isEmpty()) {
      return new Availability(0, 0, List.of(), List.of(), Baseline.of(List.of(), 0, 0));
    }
    // The earliest time, not the first op's: a history's clock is not checked to be monotonic,
    // and every relative time must be >= 0 for the intervals to be well formed.
    long origin = Long.MAX_VALUE;
    for (Op op : ops) {
      origin = Math.min(origin, op.timeNanos());
    }
    long end = 0;
    List<Long> oks = new ArrayList<>();
    for (Op op : ops) {
      end = Math.max(end, op.timeNanos() - origin);
      if (!op.isNemesis() && op.isOk()) {
        oks.add(op.timeNanos() - origin);
      }
    }
    // Index order is true event order, but a recorder's clock reads may interleave; sorting makes
    // "consecutive" mean consecutive in time.
    Collections.sort(oks);
    Busy busy = Busy.of(h, origin, end);
    List<Raw> raws = pairTransitions(h, origin);
    List<FaultInterval> intervals = new ArrayList<>();
    for (Raw r : raws) {
      long intervalEnd = r.healEnd != null ? Math.max(r.start, r.healEnd) : end;
      intervals.add(measure(r, intervalEnd, end, oks, raws, busy));
    }
    intervals.sort(FaultInterval.ORDER);
    List<Long> baselineGaps = new ArrayList<>();
    long okOutside = 0;
    for (long t : oks) {
      if (!insideAny(t, t, intervals)) {
        okOutside++;
      }
    }
    for (int i = 1; i < oks.size(); i++) {
      if (!insideAny(oks.get(i - 1), oks.get(i), intervals)) {
        baselineGaps.add(busy.between(oks.get(i - 1), oks.get(i)));
      }
    }
    long faultyNanos = unionLength(intervals);
    Collections.sort(baselineGaps);
    return new Availability(end, oks.size(), List.copyOf(intervals), List.copyOf(baselineGaps),
        Baseline.of(baselineGaps, okOutside, end - faultyNanos));
  }

  /** Nanoseconds from the earliest op to the latest. */
  public long durationNanos() {
    return durationNanos;
  }

  /** Ok completions of client ops in the history. */
  public long okCount() {
    return okCount;
  }

  /** Every fault interval, sorted by start, then name. */
  public List<FaultInterval> intervals() {
    return intervals;
  }

  /** The waiting times (ns) between consecutive ok completions outside every fault interval, ascending. */
  public List<Long> baselineGapsNanos() {
    return baselineGapsNanos;
  }

  /** Statistics of {@link #baselineGapsNanos()}. */
  public Baseline baseline() {
    return baseline;
  }

  /** Per fault name, the summary of its intervals, sorted by name. */
  public Map<String, FaultSummary> summaries() {
    return summarize(intervals);
  }

  /**
   * Per fault name, the summary of {@code intervals} (of one history or pooled over many), sorted
   * by name.
   */
  public static Map<String, FaultSummary> summarize(List<FaultInterval> intervals) {
    Map<String, List<FaultInterval>> byName = new TreeMap<>();
    for (FaultInterval i : intervals) {
      byName.computeIfAbsent(i.name(), k -> new ArrayList<>()).add(i);
    }
    Map<String, FaultSummary> out = new TreeMap<>();
    byName.forEach((name, list) -> out.put(name, FaultSummary.of(name, list)));
    return out;
  }

  /** A fault interval before measuring; times relative to the history's earliest op. */
  private static final class Raw {
    final String name;
    final long start;
    Long startDone;
    Long healStart;
    Long healEnd;
    String error;

    Raw(String name, long start) {
      this.name = name;
      this.start = start;
    }
  }

  private static List<Raw> pairTransitions(History h, long origin) {
    List<Raw> out = new ArrayList<>();
    Map<String, Deque<Raw>> open = new TreeMap<>();
    for (Op op : h.ops()) {
      if (!op.isNemesis() || !op.isInvoke()) {
        continue;
      }
      Op done = h.completion(op).orElse(null);
      if (op.f().startsWith(START) && op.f().length() > START.length()) {
        Raw r = new Raw(op.f().substring(START.length()), op.timeNanos() - origin);
        if (done != null) {
          r.startDone = done.timeNanos() - origin;
          r.error = errorText(done);
        }
        open.computeIfAbsent(r.name, k -> new ArrayDeque<>()).addLast(r);
        out.add(r);
      } else if (op.f().startsWith(STOP) && op.f().length() > STOP.length()) {
        Deque<Raw> q = open.get(op.f().substring(STOP.length()));
        if (q == null || q.isEmpty()) {
          continue;
        }
        Raw r = q.removeFirst();
        r.healStart = op.timeNanos() - origin;
        if (done != null) {
          r.healEnd = done.timeNanos() - origin;
          if (r.error == null) {
            r.error = errorText(done);
          }
        }
      }
    }
    return out;
  }

  private static String errorText(Op completion) {
    return completion.error() == null ? null : String.valueOf(completion.error());
  }

  private static FaultInterval measure(Raw r, long intervalEnd, long historyEnd, List<Long> oks, List<Raw> all, Busy busy) {
    // Oks in [start, end]: from the first at or after the start to the last at or before the end.
    int okDuring = upperBound(oks, intervalEnd) - upperBound(oks, r.start - 1);
    // a: the last ok at or before the start (else the history's earliest op, t = 0).
    int firstAfterStart = upperBound(oks, r.start);
    long a = firstAfterStart > 0 ? oks.get(firstAfterStart - 1) : 0;
    // b: the first ok after the interval's end (else the history's latest op; the gap is open).
    int firstAfterEnd = upperBound(oks, intervalEnd);
    boolean open = firstAfterEnd >= oks.size();
    long b = open ? historyEnd : oks.get(firstAfterEnd);
    long gap = -1;
    long gapFrom = a;
    long gapTo = a;
    long prev = a;
    for (int i = firstAfterStart; i <= firstAfterEnd; i++) {
      long t = i < firstAfterEnd ? oks.get(i) : b;
      long waited = busy.between(prev, t);
      if (waited > gap) {
        gap = waited;
        gapFrom = prev;
        gapTo = t;
      }
      prev = t;
    }
    Long firstOk = null;
    Long withoutOk = null;
    if (r.healEnd != null) {
      long waited = busy.between(r.healEnd, b);
      if (open) {
        withoutOk = waited;
      } else {
        firstOk = waited;
      }
    }
    TreeSet<String> overlaps = new TreeSet<>();
    for (Raw o : all) {
      if (o == r) {
        continue;
      }
      long oEnd = o.healEnd != null ? o.healEnd : historyEnd;
      if (o.start <= intervalEnd && r.start <= oEnd) {
        overlaps.add(o.name);
      }
    }
    return new FaultInterval(r.name, r.start, r.startDone, r.healStart, r.healEnd, intervalEnd, okDuring, gap, gapFrom,
        gapTo, open, firstOk, withoutOk, List.copyOf(overlaps), r.error);
  }

  /**
   * When at least one client op was in flight: the union of every client op's [invoke, completion]
   * (an op without a completion runs to the history's end), as sorted disjoint spans with prefix
   * sums, so the waiting time between two instants is two binary searches.
   */
  private static final class Busy {
    private final long[] from;
    private final long[] to;
    /** before[i]: busy time in the spans before span i. */
    private final long[] before;

    private Busy(long[] from, long[] to, long[] before) {
      this.from = from;
      this.to = to;
      this.before = before;
    }

    static Busy of(History h, long origin, long historyEnd) {
      List<long[]> spans = new ArrayList<>();
      for (Op op : h.ops()) {
        if (op.isNemesis() || !op.isInvoke()) {
          continue;
        }
        long s = op.timeNanos() - origin;
        long e = h.completion(op).map(c -> c.timeNanos() - origin).orElse(historyEnd);
        spans.add(new long[] {s, Math.max(s, e)});
      }
      spans.sort(Comparator.<long[]>comparingLong(x -> x[0]).thenComparingLong(x -> x[1]));
      List<long[]> merged = new ArrayList<>();
      for (long[] x : spans) {
        long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
        if (last != null && x[0] <= last[1]) {
          last[1] = Math.max(last[1], x[1]);
        } else {
          merged.add(new long[] {x[0], x[1]});
        }
      }
      long[] from = new long[merged.size()];
      long[] to = new long[merged.size()];
      long[] before = new long[merged.size()];
      long sum = 0;
      for (int i = 0; i < merged.size(); i++) {
        from[i] = merged.get(i)[0];
        to[i] = merged.get(i)[1];
        before[i] = sum;
        sum += to[i] - from[i];
      }
      return new Busy(from, to, before);
    }

    /** Busy time in [0, t]. */
    private long upTo(long t) {
      // The last span starting at or before t.
      int lo = 0;
      int hi = from.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (from[mid] <= t) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      if (lo == 0) {
        return 0;
      }
      int i = lo - 1;
      return before[i] + Math.min(t, to[i]) - from[i];
    }

    /** Busy time in [x, y]; 0 if {@code y <= x}. */
    long between(long x, long y) {
      return y <= x ? 0 : upTo(y) - upTo(x);
    }
  }

  /** Index of the first element of sorted {@code xs} greater than {@code v} ({@code xs.size()} if none). */
  private static int upperBound(List<Long> xs, long v) {
    int lo = 0;
    int hi = xs.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (xs.get(mid) <= v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** True if [from, to] meets some interval's [start, end]. */
  private static boolean insideAny(long from, long to, List<FaultInterval> intervals) {
    for (FaultInterval i : intervals) {
      if (from <= i.endNanos() && i.startNanos() <= to) {
        return true;
      }
    }
    return false;
  }

  /** Nanoseconds covered by at least one interval (intervals sorted by start). */
  private static long unionLength(List<FaultInterval> intervals) {
    List<FaultInterval> byStart = new ArrayList<>(intervals);
    byStart.sort(Comparator.comparingLong(FaultInterval::startNanos));
    long total = 0;
    long curFrom = -1;
    long curTo = -1;
    for (FaultInterval i : byStart) {
      if (curTo < 0 || i.startNanos() > curTo) {
        total += curTo - curFrom;
        curFrom = i.startNanos();
        curTo = i.endNanos();
      } else {
        curTo = Math.max(curTo, i.endNanos());
      }
    }
    total += curTo - curFrom;
    return total;
  }

  /**
   * Nearest-rank percentile of ascending {@code sorted}: the element at rank {@code ceil(p * n)}
   * (1-based), so the median of an even count is the lower middle. 0 for an empty list.
   *
   * @param p in (0, 1]
   * @throws IllegalArgumentException if {@code p} is outside (0, 1]
   */
  public static long percentile(List<Long> sorted, double p) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("percentile must be in (0, 1], got " + p);
    }
    if (sorted.isEmpty()) {
      return 0;
    }
    int rank = (int) Math.ceil(p * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }
}
