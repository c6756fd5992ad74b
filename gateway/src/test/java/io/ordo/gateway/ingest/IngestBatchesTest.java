package io.ordo.gateway.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.streams.HashRanges;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.Operation;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.sequencer.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class IngestBatchesTest {
  private static final Limits LIMITS = Limits.defaults();

  static ConsumerRecord<byte[], byte[]> kafka(long offset, String key, String value, String... headers) {
    RecordHeaders h = new RecordHeaders();
    for (int i = 0; i + 1 < headers.length; i += 2) {
      h.add(new RecordHeader(headers[i], headers[i + 1] == null ? null : headers[i + 1].getBytes(StandardCharsets.UTF_8)));
    }
    return new ConsumerRecord<>(
        "t", 0, offset, 0L, TimestampType.CREATE_TIME, -1, -1,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8),
        h, Optional.empty());
  }

  @Test
  void kafkaRecordsBecomeStreamRecordsWithKeyHeadersAndRawValue() {
    StreamRecord r = IngestBatches.toStreamRecord(kafka(3, "user-1", "payload", "a", "1", "a", "2", "n", null));
    assertThat(r.getPartitionKey()).isEqualTo("user-1");
    assertThat(r.getRaw().toStringUtf8()).isEqualTo("payload");
    assertThat(r.getHeadersList()).extracting(h -> h.getKey() + "=" + h.getValue().toStringUtf8())
        .containsExactly("a=1", "a=2", "n=");
    StreamRecord empty = IngestBatches.toStreamRecord(kafka(4, null, null));
    assertThat(empty.getPartitionKey()).isEmpty();
    assertThat(empty.getPayloadCase()).isEqualTo(StreamRecord.PayloadCase.RAW);
    assertThat(empty.getRaw()).isEqualTo(ByteString.EMPTY);
    assertThat(IngestBatches.invalidReason(empty, LIMITS)).isNull();
  }

  @Test
  void recordsAnAppendWouldRefuseAreRefusedWithTheReason() {
    assertThat(IngestBatches.invalidReason(IngestBatches.toStreamRecord(kafka(0, "k", "v", "", "x")), LIMITS))
        .contains("headers[0].key");
    assertThat(IngestBatches.invalidReason(
            IngestBatches.toStreamRecord(kafka(0, "k".repeat(LIMITS.keyBytesMax() + 1), "v")), LIMITS))
        .contains("partition_key");
    assertThat(IngestBatches.invalidReason(
            IngestBatches.toStreamRecord(kafka(0, "k", "v".repeat(LIMITS.valueBytesMax()))), LIMITS))
        .contains("valueBytesMax");
  }

  @Test
  void recordsRouteToTheOpenShardHoldingTheirHashInKafkaOrder() {
    List<ByteString[]> halves = HashRanges.evenSplit(2);
    List<ByteString[]> quarters = HashRanges.evenSplit(4);
    // Shard 0 (first half) was split into 2 and 3; shard 1 holds the second half.
    StreamMetadata metadata = StreamMetadata.newBuilder()
        .setName("s")
        .addShards(shard(0, halves.get(0), true))
        .addShards(shard(1, halves.get(1), false))
        .addShards(shard(3, quarters.get(1), false))
        .addShards(shard(2, quarters.get(0), false))
        .build();
    List<ShardInfo> open = StreamMetadataReader.openShards(metadata);
    assertThat(open).extracting(ShardInfo::getId).containsExactly(1L, 2L, 3L);

    List<StreamRecord> records = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      records.add(StreamRecord.newBuilder().setPartitionKey("k" + (i % 37)).setRaw(ByteString.copyFromUtf8("" + i)).build());
    }
    SortedMap<Long, List<StreamRecord>> routed = IngestBatches.route(open, records).orElseThrow();
    assertThat(routed.keySet()).containsExactly(1L, 2L, 3L);
    int total = 0;
    for (Map.Entry<Long, List<StreamRecord>> e : routed.entrySet()) {
      long previous = -1;
      for (StreamRecord r : e.getValue()) {
        byte[] hash = HashRanges.hash(r.getPartitionKey());
        ShardInfo target = open.stream().filter(s -> s.getId() == e.getKey()).findFirst().orElseThrow();
        assertThat(HashRanges.contains(target, hash)).isTrue();
        long index = Long.parseLong(r.getRaw().toStringUtf8());
        assertThat(index).isGreaterThan(previous); // Kafka order kept within the shard
        previous = index;
        total++;
      }
    }
    assertThat(total).isEqualTo(200);
    // A key whose hash no open shard holds (stale metadata): no routing at all.
    List<ShardInfo> onlySecondHalf = List.of(shard(1, halves.get(1), false));
    List<StreamRecord> mixed = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      mixed.add(StreamRecord.newBuilder().setPartitionKey("x" + i).build());
    }
    assertThat(IngestBatches.route(onlySecondHalf, mixed)).isEmpty();
  }

  @Test
  void chunksAreBoundedByRecordsAndBytesAndKeepOrder() {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      records.add(kafka(100 + i, "k", "v".repeat(100)));
    }
    List<List<ConsumerRecord<byte[], byte[]>>> byCount = IngestBatches.chunks(records, 10, Long.MAX_VALUE);
    assertThat(byCount).extracting(List::size).containsExactly(10, 10, 5);
    long perRecord = IngestBatches.approximateBytes(records.get(0));
    List<List<ConsumerRecord<byte[], byte[]>>> byBytes = IngestBatches.chunks(records, 100, 3 * perRecord);
    assertThat(byBytes).extracting(List::size).containsExactly(3, 3, 3, 3, 3, 3, 3, 3, 1);
    List<Long> offsets = new ArrayList<>();
    byBytes.forEach(c -> c.forEach(r -> offsets.add(r.offset())));
    assertThat(offsets).isEqualTo(records.stream().map(ConsumerRecord::offset).toList());
    // A record above the byte bound is a chunk of its own.
    assertThat(IngestBatches.chunks(records.subList(0, 3), 100, 1)).extracting(List::size).containsExactly(1, 1, 1);
    assertThatThrownBy(() -> IngestBatches.chunks(records, 0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theTransactionAssertsAndAdvancesTheCounterThenAppendsPerShard() {
    TreeMap<Long, List<StreamRecord>> byShard = new TreeMap<>();
    StreamRecord a = StreamRecord.newBuilder().setPartitionKey("a").build();
    StreamRecord b = StreamRecord.newBuilder().setPartitionKey("b").build();
    byShard.put(7L, List.of(a, b));
    byShard.put(2L, List.of(b));
    Transaction first = IngestBatches.transaction("id-1", "orders", 3, OptionalLong.empty(), 12, byShard);
    String counter = StreamKeys.ingest("orders", 3);
    assertThat(first.getId()).isEqualTo("id-1");
    assertThat(first.getOpsList()).extracting(Operation::getKey)
        .containsExactly(counter, counter, StreamKeys.shard("orders", 2), StreamKeys.shard("orders", 7));
    assertThat(first.getOps(0).getAssert().getAbsent()).isTrue();
    assertThat(first.getOps(1).getPut().getValue()).isEqualTo(Value.newBuilder().setCounter(12).build());
    assertThat(first.getOps(2).getStreamAppend().getShardId()).isEqualTo(2);
    assertThat(first.getOps(3).getStreamAppend().getRecordsList()).containsExactly(a, b);
    assertThat(first.getOps(3).getStreamAppend().getStream()).isEqualTo("orders");
    assertThat(first.getOps(3).getStreamAppend().hasExpectedOffset()).isFalse();

    Transaction later = IngestBatches.transaction("id-2", "orders", 3, OptionalLong.of(12), 20, new TreeMap<>());
    assertThat(later.getOps(0).getAssert().getEquals()).isEqualTo(Value.newBuilder().setCounter(12).build());
    assertThat(later.getOpsCount()).isEqualTo(2); // Only refused records: the counter still moves.
  }

  @Test
  void topicAndGroupNamesFollowTheLayoutPrefix() {
    TopicLayout layout = TopicLayout.withPrefix("ordo");
    assertThat(IngestTopics.topic(layout, "clicks")).isEqualTo("ordo-ingest-clicks");
    assertThat(IngestBridge.groupId(layout)).isEqualTo("ordo-ingest");
    assertThat(IngestTopics.topic(TopicLayout.withPrefix("t.1"), "s")).isEqualTo("t.1-ingest-s");
    // A layout not made by withPrefix: the log topic's whole name is the prefix.
    assertThat(IngestTopics.topic(new TopicLayout("events", 4, "res", "chg", "fb", 4, (short) 1), "s"))
        .isEqualTo("events-ingest-s");
  }

  private static ShardInfo shard(long id, ByteString[] range, boolean closed) {
    return ShardInfo.newBuilder().setId(id).setStartHash(range[0]).setEndHash(range[1]).setClosed(closed).build();
  }
}
