package io.ordo.launcher.demo;

import java.util.Random;

/**
 * Draws ranks from a Zipfian distribution over {@code [0, itemCount)}: rank {@code r} has
 * probability {@code 1 / ((r + 1)^theta * zeta(itemCount, theta))}, so rank 0 is the most popular.
 *
 * <p>The algorithm is the one of Gray et al., "Quickly generating billion-record synthetic
 * databases" (SIGMOD 1994), as used by YCSB's {@code ZipfianGenerator}: it precomputes {@code
 * zeta(n, theta)} once (O(n)) and then draws each rank in O(1) from one uniform double. Ranks 0 and
 * 1 get their exact probabilities; higher ranks follow a continuous approximation that keeps the
 * frequencies decreasing and the power-law slope {@code -theta}.
 *
 * <p>The generator is immutable and thread-safe; the randomness comes from the {@link Random}
 * passed to {@link #next}, so a seeded Random gives a reproducible sequence of ranks.
 */
public final class ZipfianGenerator {
  /**
   * Upper bound on {@code itemCount}: the constructor sums {@code itemCount} terms, which takes
   * about a second at this size.
   */
  public static final long ITEM_COUNT_MAX = 100_000_000L;

  private final long itemCount;
  private final double theta;
  private final double zetaN;
  private final double alpha;
  private final double eta;
  private final double rankOneBound;

  /**
   * Creates a generator over {@code itemCount} ranks with skew {@code theta}.
   *
   * @param itemCount number of ranks, in [1, {@value #ITEM_COUNT_MAX}]
   * @param theta skew in [0, 1): 0 is uniform, YCSB's default is 0.99 (the algorithm divides by
   *     {@code 1 - theta}, so 1 itself is excluded)
   * @throws IllegalArgumentException if an argument is out of range
   */
  public ZipfianGenerator(long itemCount, double theta) {
    if (itemCount < 1 || itemCount > ITEM_COUNT_MAX) {
      throw new IllegalArgumentException(
          "itemCount must be in [1, " + ITEM_COUNT_MAX + "], got " + itemCount);
    }
    if (!(theta >= 0.0 && theta < 1.0)) {
      throw new IllegalArgumentException("theta must be in [0, 1), got " + theta);
    }
    this.itemCount = itemCount;
    this.theta = theta;
    this.zetaN = zeta(itemCount, theta);
    double zeta2 = zeta(Math.min(2, itemCount), theta);
    this.alpha = 1.0 / (1.0 - theta);
    // For itemCount <= 2 the first two branches of next() cover every draw and eta is unused.
    this.eta =
        itemCount <= 2
            ? 0.0
            : (1.0 - Math.pow(2.0 / itemCount, 1.0 - theta)) / (1.0 - zeta2 / zetaN);
    this.rankOneBound = 1.0 + Math.pow(0.5, theta);
  }

  /** The number of ranks. */
  public long itemCount() {
    return itemCount;
  }

  /** The skew parameter. */
  public double theta() {
    return theta;
  }

  /**
   * The exact Zipf probability of {@code rank} (0-based), {@code 1 / ((rank + 1)^theta * zetaN)}.
   *
   * @throws IllegalArgumentException if rank is not in [0, itemCount)
   */
  public double probabilityOf(long rank) {
    if (rank < 0 || rank >= itemCount) {
      throw new IllegalArgumentException(
          "rank must be in [0, " + itemCount + "), got " + rank);
    }
    return 1.0 / (Math.pow(rank + 1.0, theta) * zetaN);
  }

  /** Draws the next rank in {@code [0, itemCount)}, consuming one double of {@code random}. */
  public long next(Random random) {
    double u = random.nextDouble();
    double uz = u * zetaN;
    if (uz < 1.0 || itemCount == 1) {
      return 0;
    }
    if (uz < rankOneBound) {
      return 1;
    }
    long rank = (long) (itemCount * Math.pow(eta * u - eta + 1.0, alpha));
    // The approximation can reach itemCount at u close to 1; clamp into range.
    return Math.min(Math.max(rank, 0), itemCount - 1);
  }

  private static double zeta(long n, double theta) {
    double sum = 0.0;
    for (long i = 1; i <= n; i++) {
      sum += 1.0 / Math.pow(i, theta);
    }
    return sum;
  }
}
