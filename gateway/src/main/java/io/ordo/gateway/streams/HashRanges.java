package io.ordo.gateway.streams;

import com.google.protobuf.ByteString;
import io.ordo.proto.state.ShardInfo;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The 128-bit hash space that shards divide: a record's hash is the MD5 of its partition key's
 * UTF-8 bytes, read as an unsigned big-endian integer in [0, 2^128 - 1]. Shard bounds are
 * inclusive and stored as 16 bytes ({@code ShardInfo.start_hash/end_hash}); the API shows them as
 * 32 lower-case hex digits.
 *
 * <p>Stateless and thread-safe.
 */
public final class HashRanges {
  /** Bytes of a hash. */
  public static final int HASH_BYTES = 16;

  /** Hex digits of a hash. */
  public static final int HASH_HEX_DIGITS = 2 * HASH_BYTES;

  /** The largest hash, 2^128 - 1. */
  public static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

  private HashRanges() {}

  /** The MD5 of {@code partitionKey}'s UTF-8 bytes: 16 bytes, unsigned big-endian. */
  public static byte[] hash(String partitionKey) {
    try {
      return MessageDigest.getInstance("MD5").digest(partitionKey.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide MD5 (MessageDigest's class comment).
      throw new IllegalStateException("MD5 is not available", e);
    }
  }

  /**
   * Bounds of {@code n} shards that split the hash space evenly: shard {@code i} gets {@code
   * [i * step, (i + 1) * step - 1]} with {@code step = 2^128 / n}; the last shard takes the rest,
   * up to 2^128 - 1.
   *
   * @param n 1..1024
   * @return n pairs {start, end}, 16 bytes each
   */
  public static List<ByteString[]> evenSplit(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    BigInteger step = BigInteger.ONE.shiftLeft(128).divide(BigInteger.valueOf(n));
    List<ByteString[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      BigInteger start = step.multiply(BigInteger.valueOf(i));
      BigInteger end = i == n - 1 ? MAX : start.add(step).subtract(BigInteger.ONE);
      out.add(new ByteString[] {toBytes(start), toBytes(end)});
    }
    return out;
  }

  /** Whether {@code hash} (16 bytes) lies in the shard's inclusive range. */
  public static boolean contains(ShardInfo shard, byte[] hash) {
    return Arrays.compareUnsigned(shard.getStartHash().toByteArray(), hash) <= 0
        && Arrays.compareUnsigned(hash, shard.getEndHash().toByteArray()) <= 0;
  }

  /** {@code value} (in [0, 2^128 - 1]) as 16 bytes, unsigned big-endian. */
  public static ByteString toBytes(BigInteger value) {
    if (value.signum() < 0 || value.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("not a 128-bit hash: " + value);
    }
    byte[] raw = value.toByteArray(); // minimal two's complement, maybe with a leading 0 byte
    byte[] out = new byte[HASH_BYTES];
    int copy = Math.min(raw.length, HASH_BYTES);
    System.arraycopy(raw, raw.length - copy, out, HASH_BYTES - copy, copy);
    return ByteString.copyFrom(out);
  }

  /** 16 bytes as an unsigned integer. */
  public static BigInteger toBigInteger(ByteString hash) {
    return new BigInteger(1, hash.toByteArray());
  }

  /** 16 bytes as 32 lower-case hex digits. */
  public static String hex(ByteString hash) {
    StringBuilder out = new StringBuilder(HASH_HEX_DIGITS);
    for (int i = 0; i < hash.size(); i++) {
      out.append(String.format(Locale.ROOT, "%02x", hash.byteAt(i) & 0xff));
    }
    return out.toString();
  }

  /**
   * Parses exactly 32 hex digits (either case) into 16 bytes.
   *
   * @param field names the value in the reason
   * @throws IllegalArgumentException with the reason
   */
  public static ByteString parseHex(String text, String field) {
    if (text.length() != HASH_HEX_DIGITS) {
      throw new IllegalArgumentException(
          field + " must be " + HASH_HEX_DIGITS + " hex digits, got " + text.length()
              + " characters");
    }
    byte[] out = new byte[HASH_BYTES];
    for (int i = 0; i < HASH_HEX_DIGITS; i++) {
      int digit = Character.digit(text.charAt(i), 16);
      if (digit < 0) {
        throw new IllegalArgumentException(
            field + " has a non-hex character at index " + i + " (expected 0-9, a-f)");
      }
      out[i / 2] = (byte) (out[i / 2] | (i % 2 == 0 ? digit << 4 : digit));
    }
    return ByteString.copyFrom(out);
  }

  /** The midpoint used when a split names no hash: {@code start + (end - start + 1) / 2}. */
  public static ByteString middle(ByteString start, ByteString end) {
    BigInteger s = toBigInteger(start);
    BigInteger e = toBigInteger(end);
    return toBytes(s.add(e.subtract(s).add(BigInteger.ONE).shiftRight(1)));
  }
}
