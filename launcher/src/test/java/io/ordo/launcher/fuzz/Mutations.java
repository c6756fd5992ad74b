package io.ordo.launcher.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.engine.SourceOfRandomness;

/**
 * Seeded draws from jqwik arbitraries, and the mutations the fuzz tests apply to valid inputs
 * (bytes of protobuf messages, PostgreSQL messages and Kafka records; text of SQL, JSON, paths).
 *
 * <p>Values come from jqwik arbitraries (with their edge cases: 0, -1, MIN/MAX, empty) drawn
 * from the generating thread's jqwik source of randomness, seeded here, and positions and choices
 * from a {@link Random} of the same seed, so a run is repeatable from its seed. Not thread-safe:
 * one instance per generating thread, used on that thread.
 */
final class Mutations {
  private static final Arbitrary<Integer> INTERESTING_INTS =
      Arbitraries.of(0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, Integer.MAX_VALUE,
          Integer.MIN_VALUE, 64 << 20, (64 << 20) + 1, 10_000, 10_001, 4, 3, 8);
  private static final Arbitrary<Byte> INTERESTING_BYTES =
      Arbitraries.of((byte) 0, (byte) 0xFF, (byte) 0x7F, (byte) 0x80, (byte) 0xC0, (byte) 0xC3,
          (byte) 0x0A, (byte) '\'', (byte) '"', (byte) '\\', (byte) '{', (byte) '[');
  private static final Arbitrary<byte[]> SMALL_BYTES =
      Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(16);
  private static final Arbitrary<String> HUGE_NUMBERS =
      Arbitraries.of("9223372036854775808", "-9223372036854775809", "1e309", "-1e309",
          "99999999999999999999999999999999999999999999999999", "NaN", "Infinity", "-0",
          "0x7fffffffffffffff", "1.7976931348623157E309", "4294967296", "-2147483649",
          "0.00000000000000000000000000000000000000000000000001");

  private final Random random;
  private final Map<Arbitrary<?>, Iterator<?>> samples = new IdentityHashMap<>();

  /**
   * Seeds this thread's jqwik source of randomness (which {@link Arbitrary#sampleStream} draws
   * from) and this instance's own random source with {@code seed}.
   */
  Mutations(long seed) {
    // jqwik's generators need a jqwik context; outside a property, sampleStream provides one and
    // draws from the thread's SourceOfRandomness, which this seeds.
    SourceOfRandomness.create(Long.toString(seed));
    this.random = new Random(seed);
  }

  /** The next value of {@code arbitrary}; on the thread that created this instance only. */
  @SuppressWarnings("unchecked")
  <T> T draw(Arbitrary<T> arbitrary) {
    return (T) samples.computeIfAbsent(arbitrary, a -> a.sampleStream().iterator()).next();
  }

  /** An int in [0, bound). */
  int below(int bound) {
    return random.nextInt(bound);
  }

  boolean chance(double p) {
    return random.nextDouble() < p;
  }

  <T> T pick(List<T> items) {
    return items.get(random.nextInt(items.size()));
  }

  /** Random bytes, 0..max of them. */
  byte[] bytes(int max) {
    byte[] out = new byte[below(max + 1)];
    random.nextBytes(out);
    return out;
  }

  /** {@code input} with 1..4 byte-level mutations (never the same array). */
  byte[] mutate(byte[] input) {
    byte[] out = input.clone();
    int n = 1 + below(4);
    for (int i = 0; i < n; i++) {
      out = mutateOnce(out);
    }
    return out;
  }

  private byte[] mutateOnce(byte[] in) {
    int pos = in.length == 0 ? 0 : below(in.length);
    switch (below(9)) {
      case 0: { // flip one bit
        if (in.length == 0) {
          return draw(SMALL_BYTES);
        }
        byte[] out = in.clone();
        out[pos] ^= (byte) (1 << below(8));
        return out;
      }
      case 1: { // an interesting byte
        if (in.length == 0) {
          return new byte[] {draw(INTERESTING_BYTES)};
        }
        byte[] out = in.clone();
        out[pos] = draw(INTERESTING_BYTES);
        return out;
      }
      case 2: // insert random bytes
        return splice(in, pos, 0, draw(SMALL_BYTES));
      case 3: // delete a range
        return splice(in, pos, Math.min(in.length - pos, 1 + below(16)), new byte[0]);
      case 4: // truncate
        return java.util.Arrays.copyOf(in, pos);
      case 5: { // duplicate a range
        int len = Math.min(in.length - pos, 1 + below(32));
        return splice(in, pos, 0, java.util.Arrays.copyOfRange(in, pos, pos + len));
      }
      case 6: { // an interesting big-endian int32 (lengths that lie)
        int v = draw(INTERESTING_INTS);
        byte[] word = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        return splice(in, pos, Math.min(4, in.length - pos), word);
      }
      case 7: { // an overlong varint (protobuf lengths and tags that lie)
        byte[] varint = new byte[1 + below(11)];
        java.util.Arrays.fill(varint, (byte) 0xFF);
        if (chance(0.5)) {
          varint[varint.length - 1] = 0x7F;
        }
        return splice(in, pos, chance(0.5) ? 0 : Math.min(1, in.length - pos), varint);
      }
      default: { // a random byte
        if (in.length == 0) {
          return draw(SMALL_BYTES);
        }
        byte[] out = in.clone();
        out[pos] = (byte) random.nextInt(256);
        return out;
      }
    }
  }

  private static byte[] splice(byte[] in, int pos, int remove, byte[] insert) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + insert.length);
    out.write(in, 0, pos);
    out.write(insert, 0, insert.length);
    out.write(in, pos + remove, in.length - pos - remove);
    return out.toByteArray();
  }

  /**
   * {@code text} with 1..3 mutations: byte-level ones on its UTF-8 (which may leave invalid
   * sequences, decoded as U+FFFD), a token of {@code vocabulary} inserted or one of its tokens
   * deleted or doubled, a huge number, or the text nested {@code depth} levels deep in {@code
   * open}/{@code close}.
   */
  String mutateText(String text, List<String> vocabulary, String open, String close) {
    String out = text;
    int n = 1 + below(3);
    for (int i = 0; i < n; i++) {
      int pos = out.isEmpty() ? 0 : below(out.length() + 1);
      switch (below(7)) {
        case 0:
        case 1:
          out = new String(mutate(out.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
          break;
        case 2:
          out = out.substring(0, pos) + " " + pick(vocabulary) + " " + out.substring(pos);
          break;
        case 3: { // delete or double a whitespace-separated token
          String[] tokens = out.split(" ", -1);
          int t = below(tokens.length);
          StringBuilder b = new StringBuilder();
          boolean dup = chance(0.5);
          for (int k = 0; k < tokens.length; k++) {
            if (k == t && !dup) {
              continue;
            }
            b.append(tokens[k]).append(' ');
            if (k == t) {
              b.append(tokens[k]).append(' ');
            }
          }
          out = b.toString().trim();
          break;
        }
        case 4:
          out = out.substring(0, pos) + draw(HUGE_NUMBERS) + out.substring(pos);
          break;
        case 5: {
          int depth = chance(0.5) ? 1 + below(50) : 1_000 + below(20_000);
          out = open.repeat(depth) + out + close.repeat(chance(0.8) ? depth : below(depth + 1));
          break;
        }
        default:
          out = out.substring(0, pos) + "'" + "x".repeat(below(2) == 0 ? 10 : 100_000 + below(100_000))
              + (chance(0.8) ? "'" : "") + out.substring(pos);
          break;
      }
    }
    return out;
  }

  /** A fixed-seed child for another thread: same run, same values, independent of timing. */
  long nextSeed() {
    return random.nextLong();
  }
}
