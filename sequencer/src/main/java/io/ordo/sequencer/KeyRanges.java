package io.ordo.sequencer;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Maps keys to key ranges: the 32-bit hash space of a key is split into {@code keyRangeCount}
 * contiguous ranges of equal width, and a key belongs to the range its hash falls in.
 *
 * <p>The hash is Kafka's murmur2 of the key's UTF-8 bytes ({@link Utils#murmur2}), which is
 * specified and stable across JVMs and versions: the mapping decides where a key's state lives,
 * so it must never change for an existing deployment.
 */
public final class KeyRanges {
  /** Upper bound on the number of key ranges (each is a Flink key with its own state). */
  public static final int KEY_RANGE_COUNT_MAX = 1 << 16;

  /**
   * The number of key ranges a deployment has unless configured otherwise: the executor job's
   * default, here so that the gateway (which must agree with the executor, e.g. to plan SQL
   * statements per range) can refer to it without depending on the executor job.
   */
  public static final int DEFAULT_KEY_RANGE_COUNT = 16;

  private KeyRanges() {}

  /**
   * Returns the key range of {@code key}, in {@code [0, keyRangeCount)}.
   *
   * @throws IllegalArgumentException if keyRangeCount is not in [1, {@link #KEY_RANGE_COUNT_MAX}]
   */
  public static int rangeOf(String key, int keyRangeCount) {
    checkCount(keyRangeCount);
    long unsignedHash = hash32(key) & 0xFFFF_FFFFL;
    // Contiguous ranges of the hash space: floor(hash * n / 2^32).
    return (int) ((unsignedHash * keyRangeCount) >>> 32);
  }

  /** The 32-bit murmur2 hash of the key's UTF-8 bytes. */
  public static int hash32(String key) {
    return Utils.murmur2(key.getBytes(StandardCharsets.UTF_8));
  }

  private static void checkCount(int keyRangeCount) {
    if (keyRangeCount < 1 || keyRangeCount > KEY_RANGE_COUNT_MAX) {
      throw new IllegalArgumentException(
          "keyRangeCount must be in [1, " + KEY_RANGE_COUNT_MAX + "], got " + keyRangeCount);
    }
  }
}
