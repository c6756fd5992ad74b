package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyRangesTest {

  @Test
  void everyKeyMapsIntoRange() {
    for (int n : new int[] {1, 2, 3, 7, 16, 1000, KeyRanges.KEY_RANGE_COUNT_MAX}) {
      for (int i = 0; i < 2000; i++) {
        int range = KeyRanges.rangeOf("key-" + i, n);
        assertThat(range).as("key-%d with %d ranges", i, n).isBetween(0, n - 1);
      }
    }
    assertThat(KeyRanges.rangeOf("", 5)).isBetween(0, 4);
    assertThat(KeyRanges.rangeOf("ключ-λ-🔑", 5)).isBetween(0, 4);
  }

  @Test
  void oneRangeHoldsEverything() {
    for (int i = 0; i < 100; i++) {
      assertThat(KeyRanges.rangeOf("k" + i, 1)).isZero();
    }
  }

  @Test
  void rangesAreContiguousInHashOrder() {
    // Sorting keys by unsigned hash must give non-decreasing ranges: a range is one contiguous
    // interval of the hash space, not a scattered set (which a modulo would give).
    int n = 7;
    long[][] hashAndRange = new long[5000][];
    for (int i = 0; i < hashAndRange.length; i++) {
      String key = "user/" + i;
      hashAndRange[i] =
          new long[] {KeyRanges.hash32(key) & 0xFFFF_FFFFL, KeyRanges.rangeOf(key, n)};
    }
    java.util.Arrays.sort(hashAndRange, (a, b) -> Long.compare(a[0], b[0]));
    for (int i = 1; i < hashAndRange.length; i++) {
      assertThat(hashAndRange[i][1]).isGreaterThanOrEqualTo(hashAndRange[i - 1][1]);
    }
    // Every range is used by some key (5000 keys over 7 ranges).
    assertThat(java.util.Arrays.stream(hashAndRange).mapToLong(r -> r[1]).distinct().count())
        .isEqualTo(n);
  }

  @Test
  void rangeIsFloorOfHashTimesCountOverTwoToThe32() {
    for (int i = 0; i < 1000; i++) {
      String key = "k" + i;
      long unsigned = KeyRanges.hash32(key) & 0xFFFF_FFFFL;
      long n = 13;
      long lowerBound = KeyRanges.rangeOf(key, 13) * (1L << 32) / n;
      long upperBound = (KeyRanges.rangeOf(key, 13) + 1) * (1L << 32) / n;
      assertThat(unsigned).isBetween(lowerBound, upperBound);
    }
  }

  @Test
  void hashIsKafkaMurmur2OfUtf8() {
    assertThat(KeyRanges.hash32("key"))
        .isEqualTo(
            org.apache.kafka.common.utils.Utils.murmur2(
                "key".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  void knownValuesAreStable() {
    // Pinned: the mapping decides where a key's state lives and must never change. The values
    // were computed with an independent implementation of murmur2 (seed 0x9747b28c).
    assertThat(KeyRanges.hash32("")).isEqualTo(275646681);
    assertThat(KeyRanges.hash32("a")).isEqualTo(-1563381124);
    assertThat(KeyRanges.rangeOf("a", 16)).isEqualTo(10);
    assertThat(KeyRanges.hash32("alice")).isEqualTo(1951417749);
    assertThat(KeyRanges.rangeOf("alice", 16)).isEqualTo(7);
    assertThat(KeyRanges.hash32("bob")).isEqualTo(-2048144690);
    assertThat(KeyRanges.rangeOf("bob", 16)).isEqualTo(8);
    assertThat(KeyRanges.hash32("account/42")).isEqualTo(843100884);
    assertThat(KeyRanges.rangeOf("account/42", 1000)).isEqualTo(196);
    assertThat(KeyRanges.rangeOf("", 1000)).isEqualTo(64);
  }

  @Test
  void badCountsAreRejected() {
    for (int bad : new int[] {0, -1, Integer.MIN_VALUE, KeyRanges.KEY_RANGE_COUNT_MAX + 1}) {
      assertThatThrownBy(() -> KeyRanges.rangeOf("k", bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("keyRangeCount")
          .hasMessageContaining(Integer.toString(bad));
    }
  }
}
