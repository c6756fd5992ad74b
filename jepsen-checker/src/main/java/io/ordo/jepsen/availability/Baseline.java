package io.ordo.jepsen.availability;

import java.util.List;

/**
 * What "normal" is outside faults: statistics of the gaps between consecutive ok completions that
 * overlap no fault interval, each the waiting time between them (time with a client op in flight;
 * see {@link Availability}), and the ok rate outside every interval.
 *
 * @param gaps how many such gaps
 * @param medianGapNanos their nearest-rank median, 0 if none
 * @param p99GapNanos their nearest-rank 99th percentile, 0 if none
 * @param maxGapNanos the longest, 0 if none
 * @param okOutside ok completions outside every fault interval
 * @param outsideNanos time outside every fault interval, from the earliest op to the latest
 */
public record Baseline(long gaps, long medianGapNanos, long p99GapNanos, long maxGapNanos, long okOutside, long outsideNanos) {
  /**
   * The baseline of ascending {@code sortedGapsNanos}.
   *
   * @throws IllegalArgumentException if a count or time is negative
   */
  public static Baseline of(List<Long> sortedGapsNanos, long okOutside, long outsideNanos) {
    if (okOutside < 0 || outsideNanos < 0) {
      throw new IllegalArgumentException("negative ok count or time outside faults: " + okOutside + ", " + outsideNanos);
    }
    return new Baseline(sortedGapsNanos.size(), Availability.percentile(sortedGapsNanos, 0.5), Availability.percentile(sortedGapsNanos, 0.99),
        sortedGapsNanos.isEmpty() ? 0 : sortedGapsNanos.get(sortedGapsNanos.size() - 1), okOutside, outsideNanos);
  }

  /** Ok completions per second outside faults; 0 if no time was outside. */
  public double okPerSecond() {
    return outsideNanos == 0 ? 0 : okOutside * 1e9 / outsideNanos;
  }
}
