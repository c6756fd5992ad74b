package io.ordo.executor.serialization;

import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes protobuf messages to a topic with a UTF-8 record key taken from the message, so Kafka's
 * default partitioner (murmur2 of the key) places every record of one key in one partition, in
 * the order the job emits them. No record timestamp is set by the job: outputs must not depend on
 * the wall clock, and the positions inside the records carry the log order.
 */
public final class KeyedProtoSerializer<T extends Message> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final SerializableFunction<T, String> keyOf;

  public KeyedProtoSerializer(String topic, SerializableFunction<T, String> keyOf) {
    this.topic = topic;
    this.keyOf = keyOf;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(topic, keyOf.apply(element).getBytes(StandardCharsets.UTF_8), element.toByteArray());
  }
}
