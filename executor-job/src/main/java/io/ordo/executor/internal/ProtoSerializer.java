package io.ordo.executor.internal;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.Objects;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializer for a protobuf message class: a 4-byte length, then the message's wire bytes.
 *
 * <p>Why not Kryo: Kryo would serialize protobuf's internal fields (caches, unknown-field sets),
 * which is large, slow and not stable across protobuf versions. The wire format is compact and is
 * what protobuf promises to keep compatible, so state written by one version restores in the next
 * as long as the .proto evolves compatibly (fields added, never renumbered).
 *
 * <p>Messages are immutable, so copies return the same instance.
 *
 * <p>Why it stays in {@code internal} while {@link io.ordo.executor.serialization.ProtoTypeInfo}
 * is the public way to get it: Flink writes the class name of a serializer's snapshot ({@link
 * Snapshot}) into every checkpoint and restores it by that name, so moving or renaming this class
 * would make the checkpoints of earlier builds unrestorable.
 */
public final class ProtoSerializer<T extends Message> extends TypeSerializer<T> {
  private static final long serialVersionUID = 1L;

  private final Class<T> messageClass;
  private transient Parser<T> parser;
  private transient T defaultInstance;

  public ProtoSerializer(Class<T> messageClass) {
    this.messageClass = Objects.requireNonNull(messageClass, "messageClass");
  }

  public Class<T> messageClass() {
    return messageClass;
  }

  @SuppressWarnings("unchecked")
  private void init() {
    if (parser == null) {
      try {
        defaultInstance = (T) messageClass.getMethod("getDefaultInstance").invoke(null);
      } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("not a generated protobuf message: " + messageClass, e);
      }
      parser = (Parser<T>) defaultInstance.getParserForType();
    }
  }

  @Override
  public boolean isImmutableType() {
    return true;
  }

  @Override
  public TypeSerializer<T> duplicate() {
    // Stateless apart from lazily created, thread-safe parser: sharing is safe.
    return this;
  }

  @Override
  public T createInstance() {
    init();
    return defaultInstance;
  }

  @Override
  public T copy(T from) {
    return from;
  }

  @Override
  public T copy(T from, T reuse) {
    return from;
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(T record, DataOutputView target) throws IOException {
    byte[] bytes = record.toByteArray();
    target.writeInt(bytes.length);
    target.write(bytes);
  }

  @Override
  public T deserialize(DataInputView source) throws IOException {
    init();
    int length = source.readInt();
    byte[] bytes = new byte[length];
    source.readFully(bytes);
    return parser.parseFrom(bytes);
  }

  @Override
  public T deserialize(T reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    int length = source.readInt();
    target.writeInt(length);
    target.write(source, length);
  }

  @Override
  public boolean equals(Object obj) {
    return obj instanceof ProtoSerializer<?> other && other.messageClass.equals(messageClass);
  }

  @Override
  public int hashCode() {
    return messageClass.hashCode();
  }

  @Override
  public TypeSerializerSnapshot<T> snapshotConfiguration() {
    return new Snapshot<>(messageClass);
  }

  /** Snapshot: the message class name. Compatible as-is with the same class. */
  public static final class Snapshot<T extends Message> implements TypeSerializerSnapshot<T> {
    private Class<T> messageClass;

    /** For Flink's reflective instantiation on restore. */
    public Snapshot() {}

    Snapshot(Class<T> messageClass) {
      this.messageClass = messageClass;
    }

    @Override
    public int getCurrentVersion() {
      return 1;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
      out.writeUTF(messageClass.getName());
    }

    @Override
    @SuppressWarnings("unchecked")
    public void readSnapshot(int readVersion, DataInputView in, ClassLoader userCodeClassLoader)
        throws IOException {
      String name = renamed(in.readUTF());
      try {
        messageClass = (Class<T>) Class.forName(name, false, userCodeClassLoader);
      } catch (ClassNotFoundException e) {
        throw new IOException("protobuf message class of restored state not found: " + name, e);
      }
    }

    /**
     * The current name of a message class that a checkpoint recorded. The executor's stored
     * messages ({@code ordo/internal/*.proto}) were generated into {@code io.ordo.proto.internal}
     * before they moved to {@code io.ordo.proto.state}; only the Java package changed, not the
     * wire format, so checkpoints of earlier builds restore into the new classes.
     */
    static String renamed(String recordedName) {
      return recordedName.startsWith(PRE_STATE_PACKAGE)
          ? STATE_PACKAGE + recordedName.substring(PRE_STATE_PACKAGE.length())
          : recordedName;
    }

    private static final String PRE_STATE_PACKAGE = "io.ordo.proto.internal.";
    private static final String STATE_PACKAGE = "io.ordo.proto.state.";

    @Override
    public TypeSerializer<T> restoreSerializer() {
      return new ProtoSerializer<>(messageClass);
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
        TypeSerializerSnapshot<T> oldSerializerSnapshot) {
      if (oldSerializerSnapshot instanceof Snapshot<?> old
          && old.messageClass.getName().equals(messageClass.getName())) {
        return TypeSerializerSchemaCompatibility.compatibleAsIs();
      }
      return TypeSerializerSchemaCompatibility.incompatible();
    }
  }
}
