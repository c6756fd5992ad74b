package io.ordo.sql.pgwire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzing of the frontend message decoder: random bytes and valid messages with a byte changed,
 * inserted or cut, or a lying length. Reading a connection's bytes (the startup packet, then
 * messages to the end) either yields messages or stops with a {@link PgProtocolException} or an
 * {@link EOFException}; nothing else escapes. Seeded, {@value #TRIES} inputs per property.
 */
class FrontendReaderFuzzTest {
  static final int TRIES = 10_000;

  private static byte[] msg(char type, String hexBody) {
    byte[] body = java.util.HexFormat.of().parseHex(hexBody);
    return ByteBuffer.allocate(5 + body.length).put((byte) type).putInt(4 + body.length).put(body).array();
  }

  private static final byte[] STARTUP = java.util.HexFormat.of().parseHex(
      "00000022000300007573657200616c696365006461746162617365007368" + "6f700000");
  private static final List<byte[]> MESSAGES = List.of(
      msg('Q', "53454c454354203100"), // SELECT 1
      msg('P', "73310053454c4543542024310000010000001400"),
      msg('B', "70310073310000010000000100000001310000010000"),
      msg('D', "537331 00".replace(" ", "")), msg('E', "70310000000000"), msg('S', ""), msg('H', ""),
      msg('C', "50703100"), msg('d', "010203"), msg('c', ""), msg('f', "6f6f707300"),
      msg('F', "00000001000000000000"), msg('p', "736563726574 00".replace(" ", "")), msg('X', ""));

  @Provide
  Arbitrary<byte[]> connections() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    Arbitrary<byte[]> valid = Arbitraries.of(MESSAGES).list().ofMinSize(1).ofMaxSize(5).map(l -> {
      ByteBuffer b = ByteBuffer.allocate(STARTUP.length + l.stream().mapToInt(m -> m.length).sum());
      b.put(STARTUP);
      l.forEach(b::put);
      return b.array();
    });
    Arbitrary<byte[]> mutated = Combinators.combine(valid, Arbitraries.integers().between(0, 400),
            Arbitraries.integers().between(0, 4), Arbitraries.bytes(),
            Arbitraries.of(0, 3, 4, 5, -1, Integer.MAX_VALUE, FrontendReader.MAX_MESSAGE_LENGTH, 10_001))
        .as((bytes, at, op, value, length) -> {
          int p = Math.min(at, bytes.length - 1);
          byte[] out = bytes.clone();
          switch (op) {
            case 0 -> out[p] = value;
            case 1 -> out = java.util.Arrays.copyOf(out, p);
            case 2 -> {
              if (p + 4 <= out.length) {
                ByteBuffer.wrap(out).putInt(p, length);
              }
            }
            case 3 -> {
              out = java.util.Arrays.copyOf(out, out.length + 1);
              System.arraycopy(bytes, p, out, p + 1, bytes.length - p);
              out[p] = value;
            }
            default -> out = java.util.Arrays.copyOfRange(out, 0, Math.max(0, out.length - 1 - p % 7));
          }
          return out;
        });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(1, random), net.jqwik.api.Tuple.of(4, mutated));
  }

  @Property(tries = TRIES, seed = "20261207", shrinking = net.jqwik.api.ShrinkingMode.OFF)
  void aConnectionsBytesGiveMessagesOrAProtocolError(@ForAll("connections") byte[] bytes) throws Exception {
    FrontendReader reader = new FrontendReader(new ByteArrayInputStream(bytes));
    int messages = 0;
    try {
      if (reader.readStartup() == null) {
        return;
      }
      while (reader.readMessage() != null) {
        messages++;
      }
    } catch (PgProtocolException e) {
      assertThat(e.getMessage()).isNotBlank();
    } catch (EOFException e) {
      // a message cut short by the end of the connection
    }
    assertThat(messages).isLessThanOrEqualTo(bytes.length / 5);
  }
}
