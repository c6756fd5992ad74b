package io.ordo.launcher.demo;

import java.util.Arrays;
import java.util.Collection;
import java.util.Random;

/**
 * A bounded sample of latencies in nanoseconds, for percentiles, plus the exact count and maximum.
 *
 * <p>Up to {@code capacity} values are kept exactly; beyond that the sample is a uniform reservoir
 * (Vitter's algorithm R) driven by its own seeded {@link Random}, so memory stays bounded however
 * long a run lasts. Not thread-safe: each client owns one, and {@link #percentilesOf} merges them
 * after the clients have stopped.
 */
public final class LatencySamples {
  /** Upper bound on {@code capacity} (8 bytes each). */
  public static final int CAPACITY_MAX = 10_000_000;

  private final long[] samples;
  private final Random reservoirRandom;
  private long count;
  private long maxNanos;

  /**
   * Creates an empty sample.
   *
   * @param capacity values kept, in [1, {@value #CAPACITY_MAX}]
   * @param reservoirSeed seed of the reservoir's replacement choices
   * @throws IllegalArgumentException if capacity is out of range
   */
  public LatencySamples(int capacity, long reservoirSeed) {
    if (capacity < 1 || capacity > CAPACITY_MAX) {
      throw new IllegalArgumentException(
          "capacity must be in [1, " + CAPACITY_MAX + "], got " + capacity);
    }
    this.samples = new long[capacity];
    this.reservoirRandom = new Random(reservoirSeed);
  }

  /**
   * Records one latency.
   *
   * @throws IllegalArgumentException if {@code nanos} is negative
   */
  public void record(long nanos) {
    if (nanos < 0) {
      throw new IllegalArgumentException("latency must be >= 0 ns, got " + nanos);
    }
    if (count < samples.length) {
      samples[(int) count] = nanos;
    } else {
      // Algorithm R: value number count+1 replaces a kept one with probability
      // capacity / (count + 1).
      long slot = (long) (reservoirRandom.nextDouble() * (count + 1));
      if (slot < samples.length) {
        samples[(int) slot] = nanos;
      }
    }
    count++;
    maxNanos = Math.max(maxNanos, nanos);
  }

  /** The number of latencies recorded (not only kept). */
  public long count() {
    return count;
  }

  /** The largest latency recorded, in nanoseconds, or 0 when none. */
  public long maxNanos() {
    return maxNanos;
  }

  /** Percentiles of a set of latencies, in milliseconds. */
  public record Percentiles(long count, double p50Ms, double p99Ms, double maxMs) {}

  /**
   * Merges samples and computes nearest-rank percentiles (p50, p99) and the exact maximum, in
   * milliseconds; all zero when nothing was recorded.
   *
   * <p>When a reservoir has dropped values, merged percentiles weigh each client's kept values
   * equally, which is close enough for clients that ran at similar rates.
   */
  public static Percentiles percentilesOf(Collection<LatencySamples> parts) {
    long count = 0;
    long max = 0;
    int kept = 0;
    for (LatencySamples part : parts) {
      count += part.count;
      max = Math.max(max, part.maxNanos);
      kept += (int) Math.min(part.count, part.samples.length);
    }
    if (kept == 0) {
      return new Percentiles(0, 0.0, 0.0, 0.0);
    }
    long[] all = new long[kept];
    int at = 0;
    for (LatencySamples part : parts) {
      int n = (int) Math.min(part.count, part.samples.length);
      System.arraycopy(part.samples, 0, all, at, n);
      at += n;
    }
    Arrays.sort(all);
    return new Percentiles(
        count, toMs(nearestRank(all, 50.0)), toMs(nearestRank(all, 99.0)), toMs(max));
  }

  /** The nearest-rank percentile of sorted values: the smallest value with p% at or below it. */
  static long nearestRank(long[] sorted, double percentile) {
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
  }

  private static double toMs(long nanos) {
    return nanos / 1_000_000.0;
  }
}
