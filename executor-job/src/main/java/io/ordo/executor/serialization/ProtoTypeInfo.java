package io.ordo.executor.serialization;

import com.google.protobuf.Message;
import io.ordo.executor.internal.ProtoSerializer;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information for a protobuf message class, serialized by {@link ProtoSerializer} (a
 * length, then the message's wire bytes). Every record and state value of the executor job is a
 * protobuf message, so no Kryo is involved; anything that drives the job's operators or reads its
 * streams outside the job (operator test harnesses, benchmarks) types Ordo's records with this.
 */
public final class ProtoTypeInfo<T extends Message> extends TypeInformation<T> {
  private static final long serialVersionUID = 1L;

  private final Class<T> messageClass;

  private ProtoTypeInfo(Class<T> messageClass) {
    this.messageClass = Objects.requireNonNull(messageClass, "messageClass");
  }

  public static <T extends Message> ProtoTypeInfo<T> forMessage(Class<T> messageClass) {
    return new ProtoTypeInfo<>(messageClass);
  }

  @Override
  public boolean isBasicType() {
    return false;
  }

  @Override
  public boolean isTupleType() {
    return false;
  }

  @Override
  public int getArity() {
    return 1;
  }

  @Override
  public int getTotalFields() {
    return 1;
  }

  @Override
  public Class<T> getTypeClass() {
    return messageClass;
  }

  @Override
  public boolean isKeyType() {
    return false;
  }

  @Override
  public TypeSerializer<T> createSerializer(SerializerConfig config) {
    return createSerializer();
  }

  /** The serializer of this type; it takes no configuration (protobuf's wire format is fixed). */
  public TypeSerializer<T> createSerializer() {
    return new ProtoSerializer<>(messageClass);
  }

  @Override
  public String toString() {
    return "Proto<" + messageClass.getSimpleName() + ">";
  }

  @Override
  public boolean equals(Object obj) {
    return obj instanceof ProtoTypeInfo<?> other && other.messageClass.equals(messageClass);
  }

  @Override
  public int hashCode() {
    return messageClass.hashCode();
  }

  @Override
  public boolean canEqual(Object obj) {
    return obj instanceof ProtoTypeInfo;
  }
}
