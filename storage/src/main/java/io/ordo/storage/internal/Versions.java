package io.ordo.storage.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.Value;
import java.util.Optional;

/**
 * The RocksDB value of one version: one tag byte, then for a live version the serialized {@link
 * Value}. A deletion is kept as a tombstone version (the tag alone) rather than removed, so that
 * reads AS OF a position before the deletion still see the older value and reads after it see
 * nothing.
 */
public final class Versions {
  private static final byte TOMBSTONE = 0;
  private static final byte LIVE = 1;
  private static final byte[] TOMBSTONE_BYTES = {TOMBSTONE};

  private Versions() {}

  /** Encodes a version: the value, or a tombstone when {@code after} is empty. */
  public static byte[] encode(Optional<Value> after) {
    if (after.isEmpty()) {
      return TOMBSTONE_BYTES.clone();
    }
    byte[] body = after.get().toByteArray();
    byte[] out = new byte[body.length + 1];
    out[0] = LIVE;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  /**
   * Decodes a version: the value, or empty for a tombstone.
   *
   * @throws IllegalStateException if the bytes are not a version (store corruption)
   */
  public static Optional<Value> decode(byte[] bytes) {
    if (bytes.length == 1 && bytes[0] == TOMBSTONE) {
      return Optional.empty();
    }
    if (bytes.length >= 1 && bytes[0] == LIVE) {
      try {
        return Optional.of(Value.parser().parseFrom(bytes, 1, bytes.length - 1));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("corrupt version value: " + e.getMessage(), e);
      }
    }
    throw new IllegalStateException("corrupt version value: unknown tag in " + bytes.length + " bytes");
  }
}
