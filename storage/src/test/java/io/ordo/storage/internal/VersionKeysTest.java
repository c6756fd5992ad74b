package io.ordo.storage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Position;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VersionKeysTest {
  private static final Comparator<Position> POSITION_ORDER =
      Comparator.comparingLong(Position::getTs)
          .thenComparingInt(Position::getPartition)
          .thenComparingLong(Position::getOffset);

  /** Characters that stress the escaping: zero, the terminator byte, multi-byte and surrogates. */
  private static final String ALPHABET = "\u0000\u0001\u0002a\u007F\u00E9\uFFFF\uD83D\uDE00";

  @Test
  void versionKeysSortByUtf8KeyThenPositionAndRoundTrip() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      String k1 = randomKey(random);
      String k2 = random.nextInt(4) == 0 ? k1 : randomKey(random);
      Position p1 = randomPosition(random);
      Position p2 = randomPosition(random);
      byte[] v1 = VersionKeys.versionKey(VersionKeys.encodedKey(utf8(k1)), p1);
      byte[] v2 = VersionKeys.versionKey(VersionKeys.encodedKey(utf8(k2)), p2);

      int keyOrder = Arrays.compareUnsigned(utf8(k1), utf8(k2));
      int expected = keyOrder != 0 ? keyOrder : POSITION_ORDER.compare(p1, p2);
      assertThat(Integer.signum(Arrays.compareUnsigned(v1, v2)))
          .as("%s@%s vs %s@%s", k1, p1, k2, p2)
          .isEqualTo(Integer.signum(expected));

      int length = VersionKeys.encodedKeyLength(v1);
      assertThat(VersionKeys.decodeKey(v1, length)).isEqualTo(k1);
      assertThat(VersionKeys.decodePosition(v1)).isEqualTo(p1);
      // Prefix relation on raw keys is exactly prefix relation on escaped bytes.
      assertThat(VersionKeys.startsWith(v2, VersionKeys.escapedPrefix(utf8(k1))))
          .isEqualTo(startsWith(utf8(k2), utf8(k1)));
      // Versions of distinct keys never share the encoded key part.
      assertThat(VersionKeys.startsWith(v2, VersionKeys.encodedKey(utf8(k1))))
          .isEqualTo(k1.equals(k2));
      // Every version of k1 sorts before the bound that skips them.
      assertThat(Arrays.compareUnsigned(v1, VersionKeys.afterAllVersions(VersionKeys.encodedKey(utf8(k1)))))
          .isNegative();
      assertThat(Arrays.compareUnsigned(v1, VersionKeys.versionKeyMax(VersionKeys.encodedKey(utf8(k1)))))
          .isNotPositive();
    }
  }

  @Test
  void keysAreCheckedForLength() {
    assertThat(VersionKeys.checkedUtf8("x".repeat(1024))).hasSize(1024);
    // 342 three-byte characters are 1026 bytes although the string has 342 chars.
    assertThatThrownBy(() -> VersionKeys.checkedUtf8("日".repeat(342)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1026");
    assertThatThrownBy(() -> VersionKeys.checkedUtf8(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void corruptVersionKeysAreReported() {
    assertThatThrownBy(() -> VersionKeys.encodedKeyLength(new byte[] {'a', 0, 1}))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> VersionKeys.encodedKeyLength(new byte[] {'a', 0, 5, 0, 1}))
        .isInstanceOf(IllegalStateException.class);
  }

  private static String randomKey(Random random) {
    int length = 1 + random.nextInt(4);
    StringBuilder sb = new StringBuilder();
    while (sb.length() < length) {
      int i = random.nextInt(ALPHABET.length());
      char c = ALPHABET.charAt(i);
      if (Character.isHighSurrogate(c)) {
        sb.append(c).append(ALPHABET.charAt(i + 1));
      } else if (!Character.isLowSurrogate(c)) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static Position randomPosition(Random random) {
    long[] longs = {Long.MIN_VALUE, -1, 0, 1, 255, 256, Long.MAX_VALUE};
    int[] ints = {Integer.MIN_VALUE, -1, 0, 1, 255, 256, Integer.MAX_VALUE};
    return Position.newBuilder()
        .setTs(longs[random.nextInt(longs.length)])
        .setPartition(ints[random.nextInt(ints.length)])
        .setOffset(longs[random.nextInt(longs.length)])
        .build();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static boolean startsWith(byte[] a, byte[] prefix) {
    return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
  }
}
