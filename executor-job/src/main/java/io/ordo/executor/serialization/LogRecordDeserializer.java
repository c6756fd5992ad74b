package io.ordo.executor.serialization;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.LogEntry;
import io.ordo.proto.state.LogRecord;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;

/**
 * Reads a log topic record into a {@link LogRecord}: partition, offset, the broker's
 * LogAppendTime and the parsed entry. An unparsable value does not fail the job (any producer can
 * write to the topic); it becomes a record with {@code parse_error} set, which the fan-out turns
 * into an INVALID_TRANSACTION result when the record has a key.
 *
 * @throws java.io.IOException if the record's timestamp is not LogAppendTime: ordering by producer
 *     clocks would not be a global order, so the job refuses to run on such a topic
 */
public final class LogRecordDeserializer implements KafkaRecordDeserializationSchema<LogRecord> {
  private static final long serialVersionUID = 1L;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<LogRecord> out) throws java.io.IOException {
    if (record.timestampType() != TimestampType.LOG_APPEND_TIME) {
      throw new java.io.IOException(
          "log topic " + record.topic() + " record at partition " + record.partition() + " offset " + record.offset()
              + " has timestamp type " + record.timestampType() + "; the log topic must use message.timestamp.type=LogAppendTime");
    }
    LogRecord.Builder out1 =
        LogRecord.newBuilder().setPartition(record.partition()).setOffset(record.offset()).setBrokerTs(record.timestamp());
    if (record.key() != null) {
      out1.setRecordKey(new String(record.key(), StandardCharsets.UTF_8));
    }
    if (record.value() == null) {
      out1.setParseError("null value");
    } else {
      try {
        out1.setEntry(LogEntry.parseFrom(record.value()));
      } catch (InvalidProtocolBufferException e) {
        out1.setParseError(e.getMessage() == null ? "invalid protobuf" : e.getMessage());
      }
    }
    out.collect(out1.build());
  }

  @Override
  public TypeInformation<LogRecord> getProducedType() {
    return ProtoTypeInfo.forMessage(LogRecord.class);
  }
}
