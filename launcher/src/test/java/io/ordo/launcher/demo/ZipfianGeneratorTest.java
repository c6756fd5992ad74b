package io.ordo.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ZipfianGeneratorTest {
  private static final int ITEMS = 1_000;
  private static final int SAMPLES = 1_000_000;
  private static final long SEED = 42;

  private static long[] histogram(double theta, long seed) {
    ZipfianGenerator zipf = new ZipfianGenerator(ITEMS, theta);
    Random random = new Random(seed);
    long[] counts = new long[ITEMS];
    for (int i = 0; i < SAMPLES; i++) {
      long rank = zipf.next(random);
      if (rank < 0 || rank >= ITEMS) {
        throw new AssertionError("rank " + rank + " is outside [0, " + ITEMS + ")");
      }
      counts[(int) rank]++;
    }
    return counts;
  }

  /** Least-squares slope of log(frequency) over log(rank + 1) for ranks [0, ranks). */
  private static double logLogSlope(long[] counts, int ranks) {
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < ranks; i++) {
      double x = Math.log(i + 1);
      double y = Math.log(counts[i]);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    return (ranks * sxy - sx * sy) / (ranks * sxx - sx * sx);
  }

  @Test
  void rankZeroIsMostFrequentAndFrequenciesDecrease() {
    long[] counts = histogram(0.99, SEED);
    for (int rank = 1; rank < 12; rank++) {
      assertThat(counts[rank]).as("count of rank %d", rank).isLessThan(counts[rank - 1]);
    }
    long[] deciles = new long[10];
    for (int rank = 0; rank < ITEMS; rank++) {
      deciles[rank * 10 / ITEMS] += counts[rank];
    }
    for (int d = 1; d < 10; d++) {
      assertThat(deciles[d]).as("decile %d", d).isLessThan(deciles[d - 1]);
    }
  }

  @Test
  void firstTwoRanksGetTheirExactZipfProbabilities() {
    ZipfianGenerator zipf = new ZipfianGenerator(ITEMS, 0.99);
    long[] counts = histogram(0.99, SEED);
    assertThat(counts[0] / (double) SAMPLES).isCloseTo(zipf.probabilityOf(0), within(0.003));
    assertThat(counts[1] / (double) SAMPLES).isCloseTo(zipf.probabilityOf(1), within(0.003));
    // Zipf's law: rank 1 is 2^theta times as likely as rank 2.
    assertThat(counts[0] / (double) counts[1]).isCloseTo(Math.pow(2, 0.99), within(0.05));
  }

  @Test
  void thetaSetsThePowerLawSlope() {
    assertThat(logLogSlope(histogram(0.99, SEED), 100)).isCloseTo(-0.99, within(0.1));
    assertThat(logLogSlope(histogram(0.5, SEED), 100)).isCloseTo(-0.5, within(0.1));
  }

  @Test
  void higherThetaConcentratesMoreOnTheHead() {
    long[] skewed = histogram(0.99, SEED);
    long[] mild = histogram(0.5, SEED);
    long skewedTop10 = 0;
    long mildTop10 = 0;
    for (int rank = 0; rank < 10; rank++) {
      skewedTop10 += skewed[rank];
      mildTop10 += mild[rank];
    }
    assertThat(skewedTop10).isGreaterThan(2 * mildTop10);
  }

  @Test
  void thetaZeroIsUniform() {
    long[] counts = histogram(0.0, SEED);
    long[] deciles = new long[10];
    for (int rank = 0; rank < ITEMS; rank++) {
      deciles[rank * 10 / ITEMS] += counts[rank];
    }
    for (long decile : deciles) {
      assertThat(decile / (double) SAMPLES).isCloseTo(0.1, within(0.005));
    }
  }

  @Test
  void sameSeedGivesSameRanksAndOtherSeedsDiffer() {
    ZipfianGenerator zipf = new ZipfianGenerator(ITEMS, 0.99);
    Random a = new Random(7);
    Random b = new Random(7);
    Random c = new Random(8);
    int differences = 0;
    for (int i = 0; i < 1_000; i++) {
      long ra = zipf.next(a);
      assertThat(zipf.next(b)).isEqualTo(ra);
      if (zipf.next(c) != ra) {
        differences++;
      }
    }
    assertThat(differences).isGreaterThan(100);
  }

  @Test
  void tinyItemCountsStayInRange() {
    Random random = new Random(SEED);
    ZipfianGenerator one = new ZipfianGenerator(1, 0.99);
    ZipfianGenerator two = new ZipfianGenerator(2, 0.99);
    long ones = 0;
    for (int i = 0; i < 10_000; i++) {
      assertThat(one.next(random)).isZero();
      long rank = two.next(random);
      assertThat(rank).isBetween(0L, 1L);
      ones += rank;
    }
    // P(rank 1) = 2^-0.99 / (1 + 2^-0.99), about 0.335.
    assertThat(ones / 10_000.0).isCloseTo(0.335, within(0.02));
  }

  @Test
  void rejectsOutOfRangeArguments() {
    assertThatThrownBy(() -> new ZipfianGenerator(0, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("itemCount");
    assertThatThrownBy(() -> new ZipfianGenerator(ZipfianGenerator.ITEM_COUNT_MAX + 1, 0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ZipfianGenerator(10, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("theta");
    assertThatThrownBy(() -> new ZipfianGenerator(10, -0.1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ZipfianGenerator(10, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ZipfianGenerator(10, 0.5).probabilityOf(10))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
