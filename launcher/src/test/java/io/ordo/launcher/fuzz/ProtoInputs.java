package io.ordo.launcher.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Request messages for any protobuf type, from its descriptor: well-formed messages whose fields
 * take extreme values (huge and negative numbers, empty and overlong strings and keys, unknown
 * enum numbers, big repeated fields, deep nesting), and the encoding of such a message with
 * invalid UTF-8 in a string field. Names are drawn from a fixed vocabulary of fuzz-owned names
 * or are invalid, so no generated message names what a test checksums.
 */
final class ProtoInputs {
  /** Names that exist (or may be created) in the fuzz namespace; none starts with "chk". */
  static final List<String> NAMES = List.of("fzs", "fzsub", "fzt", "fz-key", "fz/a", "fz-2");

  private static final Arbitrary<Long> LONGS =
      Arbitraries.oneOf(
          Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, -1L, 0L, 1L, (long) Integer.MAX_VALUE + 1,
              (long) Integer.MIN_VALUE - 1, 1L << 62, -(1L << 62)),
          Arbitraries.longs().between(-1_000, 1_000),
          Arbitraries.longs());
  private static final Arbitrary<Integer> INTS =
      Arbitraries.oneOf(
          Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0, 1, 2, 1 << 16, 1 << 30),
          Arbitraries.integers().between(-100, 100),
          Arbitraries.integers());
  private static final Arbitrary<Double> DOUBLES =
      Arbitraries.oneOf(
          Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0,
              Double.MAX_VALUE, Double.MIN_VALUE),
          Arbitraries.doubles());
  private static final Arbitrary<String> ODD_STRINGS =
      Arbitraries.strings().all().ofMaxLength(40);
  private static final Arbitrary<String> FUZZ_NAMES =
      Arbitraries.strings().withChars("abcxyz019-_./").ofMinLength(0).ofMaxLength(12).map(s -> "fz" + s);

  private final Mutations m;
  /** Inside a big repeated field: no huge values (bounds a message to a few MB). */
  private boolean bounded;

  ProtoInputs(Mutations m) {
    this.m = m;
  }

  /** A well-formed message of {@code type} with extreme field values, nested up to 4 levels. */
  DynamicMessage wellFormed(Descriptor type) {
    return message(type, 0, 4);
  }

  /** A small well-formed message of {@code type}: the seed of byte-level mutations. */
  DynamicMessage small(Descriptor type) {
    return message(type, 0, 2);
  }

  private DynamicMessage message(Descriptor type, int depth, int maxDepth) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (FieldDescriptor f : type.getFields()) {
      if (!m.chance(depth == 0 ? 0.7 : 0.5)) {
        continue;
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth >= maxDepth) {
        continue;
      }
      if (f.isRepeated()) {
        int n = !bounded && m.chance(0.05) ? 100 + m.below(5_000) : m.below(4);
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && n > 50) {
          n = 50 + m.below(300);
        }
        boolean outer = bounded;
        bounded = bounded || n > 3;
        for (int i = 0; i < n; i++) {
          b.addRepeatedField(f, value(f, depth, maxDepth));
        }
        bounded = outer;
      } else {
        b.setField(f, value(f, depth, maxDepth));
      }
    }
    return b.build();
  }

  private Object value(FieldDescriptor f, int depth, int maxDepth) {
    switch (f.getJavaType()) {
      case INT:
        return m.draw(INTS);
      case LONG:
        return m.draw(LONGS);
      case FLOAT:
        return m.draw(DOUBLES).floatValue();
      case DOUBLE:
        return m.draw(DOUBLES);
      case BOOLEAN:
        return m.chance(0.5);
      case STRING:
        return string();
      case BYTE_STRING:
        return ByteString.copyFrom(!bounded && m.chance(0.03) ? new byte[(1 << 20) + m.below(2 << 20)] : m.bytes(64));
      case ENUM: {
        EnumDescriptor e = f.getEnumType();
        if (m.chance(0.2)) {
          return e.findValueByNumberCreatingIfUnknown(m.chance(0.5) ? -1 - m.below(5) : 50 + m.below(1000));
        }
        return m.pick(e.getValues());
      }
      case MESSAGE:
        return message(f.getMessageType(), depth + 1, maxDepth);
      default:
        throw new IllegalStateException("unknown field type " + f);
    }
  }

  private String string() {
    switch (m.below(8)) {
      case 0:
        return "";
      case 1:
        return "fz" + "x".repeat(bounded ? m.below(100) : 1_000 + m.below(200_000));
      case 2:
        return avoidChecksummed(m.draw(ODD_STRINGS));
      case 3:
        return "fz\u0000\uFFFF\uD83D\uDE00 /..%2F?#";
      case 4:
        return m.draw(FUZZ_NAMES);
      default:
        return m.pick(NAMES);
    }
  }

  private static String avoidChecksummed(String s) {
    return s.toLowerCase(java.util.Locale.ROOT).contains("chk") ? "fz" + s.length() : s;
  }

  /**
   * The encoding of {@code message} with one more occurrence of a string field holding invalid
   * UTF-8 (or, if the type has no string field, of an unknown length-delimited field).
   */
  byte[] withInvalidUtf8(DynamicMessage message) {
    int field = 1_000 + m.below(1_000);
    for (FieldDescriptor f : message.getDescriptorForType().getFields()) {
      if (f.getType() == FieldDescriptor.Type.STRING && m.chance(0.7)) {
        field = f.getNumber();
        break;
      }
    }
    byte[] invalid = m.pick(List.of(
        new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF, (byte) 0xFE},
        new byte[] {'f', 'z', (byte) 0xED, (byte) 0xA0, (byte) 0x80},
        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        "fz".getBytes(StandardCharsets.UTF_8)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      message.writeTo(out);
      CodedOutputStream c = CodedOutputStream.newInstance(out);
      c.writeByteArray(field, invalid);
      c.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * {@code inner} wrapped {@code depth} times as length-delimited field {@code field}: nesting
   * deeper than any parser's recursion limit when the field is message-typed.
   */
  static byte[] nested(byte[] inner, int field, int depth) {
    byte[] cur = inner;
    for (int i = 0; i < depth; i++) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(cur.length + 8);
      try {
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeByteArray(field, cur);
        c.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      cur = out.toByteArray();
    }
    return cur;
  }

  /** The number of the first message-typed field of {@code type}, else 1. */
  static int firstMessageField(Descriptor type) {
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        return f.getNumber();
      }
    }
    return 1;
  }
}
