package io.ordo.executor.operators;

import io.ordo.sequencer.ClockStepDetector;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's operator metrics (docs/metrics.md), in the group {@value #GROUP} of each
 * operator's Flink metric group; a reporter (Prometheus in a cluster, or in embedded mode when
 * asked) exports them.
 *
 * <p><b>Determinism.</b> Metrics are outputs to the side: the functions write them and never read
 * them, and nothing here reads a clock (ages are in log time). They are plain fields of the task,
 * not state: they start from zero when a task (re)starts, and what a restored checkpoint holds
 * (buffered requests, pending or held transactions of the previous run) is counted only as far as
 * the new run sees it arrive or leave; gauges that could go wrong that way count only what this
 * run added (see each class). Gauges are written on the task thread and read by the reporter's,
 * through volatile fields.
 */
final class OperatorMetrics {
  /** The name of the group every Ordo metric is in. */
  static final String GROUP = "ordo";

  /** Samples kept by a histogram (Flink's DescriptiveStatisticsHistogram window). */
  static final int HISTOGRAM_WINDOW = 1_024;

  /** Seconds over which a transactions/s meter averages. */
  static final int RATE_SECONDS = 60;

  private OperatorMetrics() {}

  /**
   * The KeyTransactionProcessor's metrics: per key range, and the lock queues of the subtask; and
   * the stall warning.
   *
   * <p><b>Stalls.</b> A key range whose oldest unfinished transaction is more than {@code
   * stallWarningMs} of log time older than the newest request of the subtask is <em>stalled</em>
   * (typically a multi-range transaction whose write result has not come back over the feedback
   * edge, and everything queued or held behind it). Entering that state logs a warning (key range,
   * age, the transaction's log time, unfinished transactions, held changelog records), repeated
   * while it lasts at most once per {@code stallWarningMs} of log time, and leaving it an info
   * line; the {@code stalled} gauge is 1 meanwhile. Checked for every range of the subtask
   * whenever a request arrives or a range emits, so a stalled range is noticed as soon as log time
   * moves on elsewhere. Log time only moves with requests: an idle log raises no warning.
   */
  static final class KeyProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(KeyProcessor.class);

    private final MetricGroup group;
    private final Histogram lockQueueLength;
    private final long stallWarningMs;
    private final Counter stallWarnings;
    // TreeMap: the stall check visits ranges in order, so its log lines come in a stable order.
    private final Map<Integer, Range> ranges = new TreeMap<>();
    // The newest log time among the requests this subtask received.
    private volatile long newestTs = Long.MIN_VALUE;
    // newestTs at the last check of every range.
    private long lastFullCheckTs = Long.MIN_VALUE;

    /**
     * @param stallWarningMs log time (ms, >= 1) past which an unfinished transaction's range is
     *     reported as stalled
     */
    KeyProcessor(MetricGroup operatorGroup, long stallWarningMs) {
      if (stallWarningMs < 1) {
        throw new IllegalArgumentException("stallWarningMs must be >= 1, got " + stallWarningMs);
      }
      this.group = operatorGroup.addGroup(GROUP);
      this.stallWarningMs = stallWarningMs;
      this.lockQueueLength =
          group.histogram("lockQueueLength", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
      this.stallWarnings = group.counter("stallWarnings");
    }

    /** Whether {@code range} is stalled now (see the class comment). */
    boolean stalled(int range) {
      Range r = ranges.get(range);
      return r != null && r.stalled;
    }

    /** Stall warnings logged since the task started (repeats included). */
    long stallWarnings() {
      return stallWarnings.getCount();
    }

    /** {@code range}'s oldest unfinished transaction's age in log time, ms (0 if none). */
    long oldestPendingAgeMs(int range) {
      Range r = ranges.get(range);
      return r == null ? 0 : r.ageMs();
    }

    /**
     * Checks the range just touched, and every range of the subtask once log time has moved on by
     * a tenth of the threshold since the last full check (so a request costs no scan of all
     * ranges, yet a range that stalls while others run is reported within 1.1 thresholds).
     */
    private void checkStalls(int touched, Range touchedRange) {
      long step = Math.max(1, stallWarningMs / 10);
      if (lastFullCheckTs == Long.MIN_VALUE || newestTs - lastFullCheckTs >= step) {
        lastFullCheckTs = newestTs;
        for (Map.Entry<Integer, Range> e : ranges.entrySet()) {
          checkStall(e.getKey(), e.getValue());
        }
      } else {
        checkStall(touched, touchedRange);
      }
    }

    private void checkStall(int range, Range r) {
      long age = r.ageMs();
      if (age > stallWarningMs) {
        if (!r.stalled || newestTs - r.warnedAtTs >= stallWarningMs) {
          LOG.warn(
              "key range {} {}: its oldest unfinished transaction (log time {}) is {} ms of log"
                  + " time old (warning at {} ms); {} transactions unfinished, {} changelog records"
                  + " held behind it. A multi-range transaction whose write result has not come"
                  + " back over the feedback edge holds its locks until it does.",
              range,
              r.stalled ? "is still stalled" : "stalls",
              r.oldestTs,
              age,
              stallWarningMs,
              r.unfinished,
              r.heldRecords);
          stallWarnings.inc();
          r.warnedAtTs = newestTs;
        }
        r.stalled = true;
      } else if (r.stalled) {
        r.stalled = false;
        LOG.info(
            "key range {} recovered: its oldest unfinished transaction is {} ms of log time old"
                + " ({} unfinished, {} changelog records held)",
            range,
            age,
            r.unfinished,
            r.heldRecords);
      }
    }

    /** A request of {@code range} at log time {@code ts} arrived as the range's {@code seq}-th. */
    void requestArrived(int range, long seq, long ts) {
      Range r = range(range);
      r.transactions.inc();
      r.inFlight.addLast(new long[] {seq, ts});
      r.next = Math.max(r.next, seq + 1);
      r.unfinished = r.next - r.emitted;
      if (ts > newestTs) {
        newestTs = ts;
      }
      r.updateOldest();
      checkStalls(range, r);
    }

    /** A lock request joined a queue that is now {@code length} long (itself included). */
    void lockQueued(int length) {
      lockQueueLength.update(length);
    }

    /** The transaction {@code seq} of {@code range} finished while earlier ones run: held. */
    void held(int range, long seq, int records) {
      Range r = range(range);
      r.heldBySeq.put(seq, records);
      r.heldRecords += records;
    }

    /**
     * {@code range}'s changelog has been emitted up to (excluding) its transaction {@code
     * emitted}.
     */
    void emittedUpTo(int range, long emitted) {
      Range r = range(range);
      r.emitted = emitted;
      while (!r.heldBySeq.isEmpty() && r.heldBySeq.firstKey() < emitted) {
        r.heldRecords -= r.heldBySeq.pollFirstEntry().getValue();
      }
      while (!r.inFlight.isEmpty() && r.inFlight.peekFirst()[0] < emitted) {
        r.inFlight.pollFirst();
      }
      // Before this run's first request, restored ones are not known: count none.
      r.unfinished = Math.max(0, r.next - emitted);
      r.updateOldest();
      checkStalls(range, r);
    }

    private Range range(int range) {
      Range r = ranges.get(range);
      if (r == null) {
        r = new Range(group.addGroup("key_range", Integer.toString(range)));
        ranges.put(range, r);
      }
      return r;
    }

    /** One key range's meters. */
    private final class Range {
      final Counter transactions;
      // Of this run: (seq, ts) of requests received and not yet emitted, in arrival order.
      final ArrayDeque<long[]> inFlight = new ArrayDeque<>();
      // Of this run: seq -> changelog records held.
      final TreeMap<Long, Integer> heldBySeq = new TreeMap<>();
      // Of this run: one past the newest seq received, and the seq emitted up to.
      long next;
      long emitted;
      volatile long heldRecords;
      volatile long unfinished;
      volatile long oldestTs = Long.MIN_VALUE;
      volatile boolean stalled;
      // The subtask's newest log time when the last stall warning was logged.
      long warnedAtTs = Long.MIN_VALUE;

      Range(MetricGroup rangeGroup) {
        transactions = rangeGroup.counter("transactions");
        rangeGroup.meter("transactionsPerSecond", new MeterView(transactions, RATE_SECONDS));
        rangeGroup.gauge("unfinishedTransactions", (Gauge<Long>) () -> unfinished);
        rangeGroup.gauge("heldChangelogRecords", (Gauge<Long>) () -> heldRecords);
        rangeGroup.gauge("oldestPendingAgeMs", (Gauge<Long>) this::ageMs);
        rangeGroup.gauge("stalled", (Gauge<Integer>) () -> stalled ? 1 : 0);
      }

      long ageMs() {
        long oldest = oldestTs;
        long newest = newestTs;
        return oldest == Long.MIN_VALUE || newest < oldest ? 0L : newest - oldest;
      }

      void updateOldest() {
        long[] first = inFlight.peekFirst();
        oldestTs = first == null ? Long.MIN_VALUE : first[1];
      }
    }
  }

  /** The KeyedEventTimeSorter's metrics: requests buffered, and how far the watermark trails. */
  static final class Sorter {
    private final Counter released;
    // Of this run: range -> timestamps buffered (restored buffers are not counted).
    private final Map<Integer, Map<Long, Integer>> counted = new HashMap<>();
    private volatile long buffered;
    private volatile long watermarkLagMs;
    private long newestTs = Long.MIN_VALUE;

    Sorter(MetricGroup operatorGroup) {
      MetricGroup group = operatorGroup.addGroup(GROUP);
      released = group.counter("requestsReleased");
      group.gauge("bufferedRequests", (Gauge<Long>) () -> buffered);
      group.gauge("watermarkLagMs", (Gauge<Long>) () -> watermarkLagMs);
    }

    /** A request of {@code range} at log time {@code ts} was buffered; the watermark is {@code watermark}. */
    void buffered(int range, long ts, long watermark) {
      counted.computeIfAbsent(range, r -> new HashMap<>()).merge(ts, 1, Integer::sum);
      buffered++;
      if (ts > newestTs) {
        newestTs = ts;
      }
      lag(watermark);
    }

    /** {@code range}'s requests at {@code ts} were released; the watermark is {@code watermark}. */
    void released(int range, long ts, int count, long watermark) {
      released.inc(count);
      Map<Long, Integer> byTs = counted.get(range);
      Integer mine = byTs == null ? null : byTs.remove(ts);
      if (mine != null) {
        buffered -= mine;
      }
      lag(watermark);
    }

    private void lag(long watermark) {
      watermarkLagMs =
          watermark == Long.MIN_VALUE || newestTs == Long.MIN_VALUE
              ? 0
              : Math.max(0, newestTs - watermark);
    }
  }

  /**
   * The SequenceFanOut's metrics: records, transactions, duplicates, invalid, dedup window, and
   * backward steps of broker timestamps (from the function's {@link ClockStepDetector}, read by
   * the reporter's thread; the detector is thread-safe).
   */
  static final class FanOut {
    final Counter logRecords;
    final Counter heartbeats;
    final Counter transactions;
    final Counter duplicates;
    final Counter invalid;
    private volatile long dedupWindowIds;

    FanOut(MetricGroup operatorGroup, ClockStepDetector clockSteps) {
      MetricGroup group = operatorGroup.addGroup(GROUP);
      group.gauge("clockStepsBack", (Gauge<Long>) clockSteps::steps);
      group.gauge("clockStepBackLargestMs", (Gauge<Long>) clockSteps::largestStepMs);
      group.gauge("clockStepPartitions", (Gauge<Integer>) clockSteps::partitionsInStep);
      logRecords = group.counter("logRecords");
      heartbeats = group.counter("heartbeats");
      transactions = group.counter("transactions");
      group.meter("transactionsPerSecond", new MeterView(transactions, RATE_SECONDS));
      duplicates = group.counter("duplicates");
      invalid = group.counter("invalid");
      group.gauge("dedupWindowIds", (Gauge<Long>) () -> dedupWindowIds);
    }

    /** The ids the subtask's dedup indexes hold now. */
    void dedupWindowIds(long ids) {
      dedupWindowIds = ids;
    }
  }

  /** The TransactionProcessor's metrics: multi-range transactions decided. */
  static final class TxnProcessor {
    final Counter decided;
    final Counter aborted;
    final Counter feedbackShortcuts;

    TxnProcessor(MetricGroup operatorGroup) {
      MetricGroup group = operatorGroup.addGroup(GROUP);
      decided = group.counter("multiRangeTransactions");
      group.meter("multiRangeTransactionsPerSecond", new MeterView(decided, RATE_SECONDS));
      aborted = group.counter("multiRangeAborts");
      feedbackShortcuts = group.counter("feedbackShortcuts");
    }
  }
}
