package io.ordo.storage.internal;

import io.ordo.proto.Position;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The RocksDB key of one version of one data key: {@code escape(utf8(key)) 0x00 0x01 ts partition
 * offset}.
 *
 * <p><b>Key part.</b> Every {@code 0x00} byte of the UTF-8 key is written as {@code 0x00 0xFF} and
 * the key ends with the terminator {@code 0x00 0x01}. The terminator cannot occur inside an
 * escaped key, so no encoded key is a prefix of another one: the versions of {@code "a"} and of
 * {@code "a\u0000"} or {@code "ab"} never share a prefix that a seek could confuse. The escaping
 * keeps the unsigned byte order of the raw keys ({@code 0x00 0x01} sorts before {@code 0x00 0xFF}
 * and before any non-zero byte), so encoded keys sort in UTF-8 byte order, which is Unicode code
 * point order. A raw key {@code k} starts with a raw prefix {@code p} exactly when {@code
 * escape(k)} starts with {@code escape(p)}, which is what prefix scans rely on.
 *
 * <p><b>Position part.</b> {@value #POSITION_BYTES} bytes: {@code ts} (8), {@code partition} (4),
 * {@code offset} (8), each big-endian with the sign bit flipped, so that the unsigned byte order
 * RocksDB uses equals the signed order of {@link Position} (ts, then partition, then offset).
 * Within one key the versions therefore sort by position, and a {@code seekForPrev} to {@code
 * (key, p)} lands on the newest version at or before {@code p}.
 */
public final class VersionKeys {
  /** Bytes of an encoded position: ts (8), partition (4), offset (8). */
  public static final int POSITION_BYTES = 20;

  /** The largest UTF-8 length of a data key, as in the proto ({@code Operation.key}). */
  public static final int KEY_BYTES_MAX = 1024;

  private static final byte ESCAPE = 0x00;
  private static final byte ESCAPED_ZERO = (byte) 0xFF;
  private static final byte TERMINATOR = 0x01;

  /** An encoded position greater than or equal to every position. */
  private static final byte[] POSITION_MAX = new byte[POSITION_BYTES];

  static {
    Arrays.fill(POSITION_MAX, (byte) 0xFF);
  }

  private VersionKeys() {}

  /**
   * Checks a data key and returns its UTF-8 bytes.
   *
   * @throws IllegalArgumentException if the key is null, empty or longer than {@value
   *     #KEY_BYTES_MAX} UTF-8 bytes
   */
  public static byte[] checkedUtf8(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("key must be a non-empty string");
    }
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > KEY_BYTES_MAX) {
      throw new IllegalArgumentException(
          "key must be at most " + KEY_BYTES_MAX + " UTF-8 bytes, got " + utf8.length);
    }
    return utf8;
  }

  /** The escaped bytes of {@code raw} without the terminator: the common prefix of a key scan. */
  public static byte[] escapedPrefix(byte[] raw) {
    int zeros = 0;
    for (byte b : raw) {
      if (b == ESCAPE) {
        zeros++;
      }
    }
    byte[] out = new byte[raw.length + zeros];
    int i = 0;
    for (byte b : raw) {
      out[i++] = b;
      if (b == ESCAPE) {
        out[i++] = ESCAPED_ZERO;
      }
    }
    return out;
  }

  /** The encoded key part of a version key: escaped bytes followed by the terminator. */
  public static byte[] encodedKey(byte[] raw) {
    byte[] escaped = escapedPrefix(raw);
    byte[] out = Arrays.copyOf(escaped, escaped.length + 2);
    out[escaped.length] = ESCAPE;
    out[escaped.length + 1] = TERMINATOR;
    return out;
  }

  /** The version key of {@code encodedKey} (from {@link #encodedKey}) at position {@code p}. */
  public static byte[] versionKey(byte[] encodedKey, Position p) {
    byte[] out = Arrays.copyOf(encodedKey, encodedKey.length + POSITION_BYTES);
    int i = encodedKey.length;
    i = putLong(out, i, p.getTs() ^ Long.MIN_VALUE);
    i = putInt(out, i, p.getPartition() ^ Integer.MIN_VALUE);
    putLong(out, i, p.getOffset() ^ Long.MIN_VALUE);
    return out;
  }

  /** A key at or after every version of {@code encodedKey}: the target to find its newest one. */
  public static byte[] versionKeyMax(byte[] encodedKey) {
    byte[] out = Arrays.copyOf(encodedKey, encodedKey.length + POSITION_BYTES);
    System.arraycopy(POSITION_MAX, 0, out, encodedKey.length, POSITION_BYTES);
    return out;
  }

  /**
   * The smallest byte string greater than every version key of {@code encodedKey}. Because an
   * encoded key ends with the terminator {@code 0x01}, raising that byte to {@code 0x02} gives a
   * string that sorts after all of the key's versions and at or before the next key.
   */
  public static byte[] afterAllVersions(byte[] encodedKey) {
    byte[] out = encodedKey.clone();
    out[out.length - 1] = (byte) (TERMINATOR + 1);
    return out;
  }

  /**
   * The length of the encoded key part (escaped bytes and terminator) at the start of a version
   * key.
   *
   * @throws IllegalStateException if the bytes are not a version key (store corruption)
   */
  public static int encodedKeyLength(byte[] versionKey) {
    for (int i = 0; i + 1 < versionKey.length; i++) {
      if (versionKey[i] == ESCAPE) {
        if (versionKey[i + 1] == TERMINATOR) {
          if (versionKey.length != i + 2 + POSITION_BYTES) {
            break;
          }
          return i + 2;
        }
        if (versionKey[i + 1] != ESCAPED_ZERO) {
          break;
        }
        i++; // Skip the escaped zero's second byte.
      }
    }
    throw new IllegalStateException("not a version key: " + Arrays.toString(versionKey));
  }

  /** The raw key of an encoded key part (escaped bytes and terminator). */
  public static String decodeKey(byte[] encodedKey, int length) {
    byte[] raw = new byte[length - 2];
    int n = 0;
    for (int i = 0; i < length - 2; i++) {
      raw[n++] = encodedKey[i];
      if (encodedKey[i] == ESCAPE) {
        i++; // The 0xFF that follows an escaped zero.
      }
    }
    return new String(raw, 0, n, StandardCharsets.UTF_8);
  }

  /** The position stored at the end of a version key. */
  public static Position decodePosition(byte[] versionKey) {
    int i = versionKey.length - POSITION_BYTES;
    long ts = getLong(versionKey, i) ^ Long.MIN_VALUE;
    int partition = getInt(versionKey, i + 8) ^ Integer.MIN_VALUE;
    long offset = getLong(versionKey, i + 12) ^ Long.MIN_VALUE;
    return Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset).build();
  }

  /** Whether {@code bytes} starts with {@code prefix}. */
  public static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  static int putLong(byte[] out, int at, long v) {
    for (int s = 56; s >= 0; s -= 8) {
      out[at++] = (byte) (v >>> s);
    }
    return at;
  }

  static int putInt(byte[] out, int at, int v) {
    for (int s = 24; s >= 0; s -= 8) {
      out[at++] = (byte) (v >>> s);
    }
    return at;
  }

  static long getLong(byte[] in, int at) {
    long v = 0;
    for (int k = 0; k < 8; k++) {
      v = (v << 8) | (in[at + k] & 0xFFL);
    }
    return v;
  }

  static int getInt(byte[] in, int at) {
    int v = 0;
    for (int k = 0; k < 4; k++) {
      v = (v << 8) | (in[at + k] & 0xFF);
    }
    return v;
  }
}
