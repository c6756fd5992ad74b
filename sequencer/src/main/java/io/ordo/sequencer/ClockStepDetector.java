package io.ordo.sequencer;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices backward steps of the log's broker timestamps (LogAppendTime) per partition, where they
 * are observed: the gateway's append acknowledgements ({@link Sequencer#clockSteps}) and the
 * executor's log reader. Reports them; changes nothing.
 *
 * <p>Why it matters (ARCHITECTURE.md, "Clock steps"): the log order is {@code (ts, partition,
 * offset)} with {@code ts = max(brokerTs, previousTs)} per partition ({@link
 * LogPosition#monotonicTs}). When a partition leader's clock steps back by S ms (or leadership
 * moves to a broker whose clock is S ms behind), that partition's log time stays at its previous
 * maximum until the broker clock passes it again, about S ms of wall time; its watermark stays
 * there as well, and since the executor releases a timestamp only when every partition's watermark
 * has passed it, the whole log waits about S ms.
 *
 * <p>A step is the moment a partition's broker timestamp falls below the largest seen on it; it
 * lasts until a timestamp reaches that maximum again. A timestamp that falls further below during a
 * step (a second step back) counts as another step. Each step is logged as a warning naming the
 * partition, the step size and the expected stall; its end as an info line. {@link #steps()},
 * {@link #largestStepMs()} and {@link #heldRecords()} are for metrics.
 *
 * <p>No clock is read: the detector is a function of the timestamps it is given, in the order
 * given. State is per partition (one long and a flag; partitions are a topic's few), not
 * persisted: after a restart the first timestamp of a partition starts it afresh, so a step across
 * a restart is not seen. Thread-safe.
 */
public final class ClockStepDetector {
  private static final Logger LOG = LoggerFactory.getLogger(ClockStepDetector.class);

  private final String observer;
  private final Map<Integer, PartitionState> partitions = new HashMap<>();
  private long steps;
  private long largestStepMs;
  private long heldRecords;

  private static final class PartitionState {
    long maxTs;
    boolean inStep;
    long deepestMs; // largest deficit of the current step
    long held; // timestamps below the maximum during the current step
  }

  /**
   * @param observer who observes the timestamps, for the log lines (e.g. "gateway append
   *     acknowledgements of log topic 'ordo-log'")
   */
  public ClockStepDetector(String observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /**
   * Observes the broker timestamp of one record of {@code partition}, in the partition's order.
   *
   * @param partition the log partition
   * @param brokerTs the record's broker timestamp, in milliseconds since the epoch
   * @return how far (ms) the timestamp lies below the partition's maximum when a step begins or
   *     deepens here, else 0
   */
  public synchronized long observe(int partition, long brokerTs) {
    PartitionState p = partitions.get(partition);
    if (p == null) {
      p = new PartitionState();
      p.maxTs = brokerTs;
      partitions.put(partition, p);
      return 0;
    }
    if (brokerTs >= p.maxTs) {
      if (p.inStep) {
        LOG.info(
            "clock step over on log partition {} ({}): broker timestamps passed {} again; {}"
                + " records in between were ordered at that time (step {} ms)",
            partition,
            observer,
            p.maxTs,
            p.held,
            p.deepestMs);
        p.inStep = false;
      }
      p.maxTs = brokerTs;
      return 0;
    }
    long deficit = p.maxTs - brokerTs;
    heldRecords++;
    p.held++;
    if (p.inStep && deficit <= p.deepestMs) {
      return 0; // the broker clock is catching up within the step already reported
    }
    p.inStep = true;
    p.deepestMs = deficit;
    steps++;
    largestStepMs = Math.max(largestStepMs, deficit);
    LOG.warn(
        "log partition {} ({}): broker timestamp stepped back {} ms (from {} to {}); this"
            + " partition's log time stays at {} until its leader's clock passes it, so every"
            + " transaction in the log waits up to about {} ms; keep broker clocks slewed, not"
            + " stepped (NTP/chrony without makestep), and in step with each other",
        partition,
        observer,
        deficit,
        p.maxTs,
        brokerTs,
        p.maxTs,
        deficit);
    return deficit;
  }

  /** Backward steps seen since creation (a step that deepens counts again). */
  public synchronized long steps() {
    return steps;
  }

  /** The largest step seen since creation, in milliseconds (0 if none). */
  public synchronized long largestStepMs() {
    return largestStepMs;
  }

  /** Timestamps seen below their partition's maximum since creation (records held at it). */
  public synchronized long heldRecords() {
    return heldRecords;
  }

  /** Partitions in a step now. */
  public synchronized int partitionsInStep() {
    int n = 0;
    for (PartitionState p : partitions.values()) {
      if (p.inStep) {
        n++;
      }
    }
    return n;
  }
}
