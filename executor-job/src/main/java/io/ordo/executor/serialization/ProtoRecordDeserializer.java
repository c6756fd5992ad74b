package io.ordo.executor.serialization;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads record values of a topic the job itself writes (the feedback topic) as protobuf messages.
 * A value that does not parse fails the job: only the job writes there, so it means corruption.
 */
public final class ProtoRecordDeserializer<T extends Message> implements KafkaRecordDeserializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final Class<T> messageClass;
  private transient Parser<T> parser;

  public ProtoRecordDeserializer(Class<T> messageClass) {
    this.messageClass = messageClass;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<T> out) throws IOException {
    if (parser == null) {
      try {
        parser = (Parser<T>) ((Message) messageClass.getMethod("getDefaultInstance").invoke(null)).getParserForType();
      } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
        throw new IOException("not a protobuf message class: " + messageClass, e);
      }
    }
    out.collect(parser.parseFrom(record.value()));
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return ProtoTypeInfo.forMessage(messageClass);
  }
}
