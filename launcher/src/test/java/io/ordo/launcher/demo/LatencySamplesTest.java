package io.ordo.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class LatencySamplesTest {
  private static final long MS = 1_000_000L;

  @Test
  void nearestRankPercentilesOverMergedClients() {
    LatencySamples a = new LatencySamples(1_000, 1);
    LatencySamples b = new LatencySamples(1_000, 2);
    // 1..100 ms, split over two clients.
    for (int ms = 1; ms <= 100; ms++) {
      (ms % 2 == 0 ? a : b).record(ms * MS);
    }
    LatencySamples.Percentiles p = LatencySamples.percentilesOf(List.of(a, b));
    assertThat(p.count()).isEqualTo(100);
    assertThat(p.p50Ms()).isEqualTo(50.0);
    assertThat(p.p99Ms()).isEqualTo(99.0);
    assertThat(p.maxMs()).isEqualTo(100.0);
  }

  @Test
  void emptySamplesGiveZeros() {
    LatencySamples.Percentiles p =
        LatencySamples.percentilesOf(List.of(new LatencySamples(10, 1)));
    assertThat(p).isEqualTo(new LatencySamples.Percentiles(0, 0.0, 0.0, 0.0));
  }

  @Test
  void reservoirStaysBoundedAndRepresentative() {
    LatencySamples samples = new LatencySamples(1_000, 42);
    // 100,000 values uniform over 0..99 ms, in a rising order that a "keep the first N" sample
    // would get badly wrong.
    for (int i = 0; i < 100_000; i++) {
      samples.record((i / 1_000) * MS);
    }
    LatencySamples.Percentiles p = LatencySamples.percentilesOf(List.of(samples));
    assertThat(samples.count()).isEqualTo(100_000);
    assertThat(p.count()).isEqualTo(100_000);
    assertThat(p.maxMs()).isEqualTo(99.0);
    assertThat(p.p50Ms()).isCloseTo(50.0, within(6.0));
    assertThat(p.p99Ms()).isCloseTo(98.0, within(2.0));
  }

  @Test
  void nearestRankOfSmallArrays() {
    assertThat(LatencySamples.nearestRank(new long[] {7}, 50)).isEqualTo(7);
    assertThat(LatencySamples.nearestRank(new long[] {1, 2}, 50)).isEqualTo(1);
    assertThat(LatencySamples.nearestRank(new long[] {1, 2}, 99)).isEqualTo(2);
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> new LatencySamples(0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LatencySamples(10, 1).record(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
