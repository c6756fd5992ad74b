package io.ordo.gateway.ingest;

import com.google.protobuf.ByteString;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.Validation;
import io.ordo.gateway.streams.HashRanges;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.proto.Assert;
import io.ordo.proto.Header;
import io.ordo.proto.Operation;
import io.ordo.proto.Put;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The pure parts of ingest: Kafka records to stream records, routing to open shards, bounding a
 * batch, and the transaction that appends it exactly once. Stateless and thread-safe.
 */
public final class IngestBatches {
  /**
   * Bytes of a transaction left for everything but the records' own bytes: the counter ops, the
   * StreamAppend framing per shard and the per-record framing (a few bytes each).
   */
  static final int TXN_OVERHEAD_BYTES = 64 << 10;

  /** Framing bytes counted per record on top of its encoded size (tag and length). */
  static final int RECORD_FRAMING_BYTES = 8;

  private IngestBatches() {}

  /**
   * The stream record of a Kafka record: partition key = the record key decoded as UTF-8
   * (malformed bytes become U+FFFD; a null key is the empty partition key), headers in order
   * (a null header value is empty), payload = {@code raw} value bytes (a null value is empty).
   */
  public static StreamRecord toStreamRecord(ConsumerRecord<byte[], byte[]> record) {
    StreamRecord.Builder out = StreamRecord.newBuilder();
    if (record.key() != null) {
      out.setPartitionKey(new String(record.key(), StandardCharsets.UTF_8));
    }
    for (org.apache.kafka.common.header.Header h : record.headers()) {
      out.addHeaders(
          Header.newBuilder()
              .setKey(h.key())
              .setValue(h.value() == null ? ByteString.EMPTY : ByteString.copyFrom(h.value())));
    }
    out.setRaw(record.value() == null ? ByteString.EMPTY : ByteString.copyFrom(record.value()));
    return out.build();
  }

  /**
   * Why {@code record} cannot be appended, or null if it can: the checks of an Append request
   * ({@link Validation#checkStreamRecord}: partition key and header keys at most keyBytesMax UTF-8
   * bytes, header keys non-empty, the encoded record at most valueBytesMax bytes).
   */
  public static String invalidReason(StreamRecord record, Limits limits) {
    try {
      Validation.checkStreamRecord(record, "record", limits);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * The open shard whose hash range holds MD5(partition key), or empty when none does (the
   * metadata is stale or inconsistent; re-read it).
   */
  public static OptionalLong shardFor(List<ShardInfo> openShards, String partitionKey) {
    byte[] hash = HashRanges.hash(partitionKey);
    for (ShardInfo shard : openShards) {
      if (HashRanges.contains(shard, hash)) {
        return OptionalLong.of(shard.getId());
      }
    }
    return OptionalLong.empty();
  }

  /**
   * Groups records by target shard, each shard's records in the given (Kafka) order.
   *
   * @return shard id → records, in shard id order; empty when some record has no open shard
   */
  public static Optional<SortedMap<Long, List<StreamRecord>>> route(
      List<ShardInfo> openShards, List<StreamRecord> records) {
    TreeMap<Long, List<StreamRecord>> byShard = new TreeMap<>();
    for (StreamRecord r : records) {
      OptionalLong shard = shardFor(openShards, r.getPartitionKey());
      if (shard.isEmpty()) {
        return Optional.empty();
      }
      byShard.computeIfAbsent(shard.getAsLong(), k -> new ArrayList<>()).add(r);
    }
    return Optional.of(byShard);
  }

  /**
   * Splits one partition's polled records (in offset order) into consecutive chunks, each small
   * enough for one transaction: at most {@code recordsMax} records and {@code bytesMax} bytes of
   * values, keys and headers. A record alone above {@code bytesMax} is a chunk of its own (its
   * conversion is refused later by {@link #invalidReason}, so it never reaches the log).
   */
  public static List<List<ConsumerRecord<byte[], byte[]>>> chunks(
      List<ConsumerRecord<byte[], byte[]>> records, int recordsMax, long bytesMax) {
    if (recordsMax < 1 || bytesMax < 1) {
      throw new IllegalArgumentException(
          "recordsMax and bytesMax must be >= 1, got " + recordsMax + ", " + bytesMax);
    }
    List<List<ConsumerRecord<byte[], byte[]>>> out = new ArrayList<>();
    List<ConsumerRecord<byte[], byte[]>> current = new ArrayList<>();
    long bytes = 0;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      long size = approximateBytes(r);
      if (!current.isEmpty() && (current.size() >= recordsMax || bytes + size > bytesMax)) {
        out.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(r);
      bytes += size;
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  /** An upper bound of the bytes the record adds to a transaction. */
  static long approximateBytes(ConsumerRecord<byte[], byte[]> r) {
    long size = RECORD_FRAMING_BYTES;
    size += r.key() == null ? 0 : 3L * r.key().length; // U+FFFD replacements may triple bytes
    size += r.value() == null ? 0 : r.value().length;
    for (org.apache.kafka.common.header.Header h : r.headers()) {
      size += RECORD_FRAMING_BYTES + 3L * h.key().length() + (h.value() == null ? 0 : h.value().length);
    }
    return size;
  }

  /**
   * The transaction that appends one chunk exactly once: {@code Assert(counter == expected)} (or
   * {@code Assert(absent)} when no counter exists yet), {@code Put(counter = nextCounter)}, then
   * one {@code StreamAppend} per shard in shard id order with that shard's records in order. An
   * empty {@code byShard} (every record of the chunk was refused) still advances the counter.
   *
   * @param id the transaction id
   * @param stream the stream name
   * @param partition the ingest topic partition
   * @param expected the counter value this chunk starts from, or empty when the counter is absent
   * @param nextCounter the offset after the chunk's last record
   * @param byShard records by target shard (see {@link #route})
   */
  public static Transaction transaction(
      String id,
      String stream,
      int partition,
      OptionalLong expected,
      long nextCounter,
      SortedMap<Long, List<StreamRecord>> byShard) {
    String counterKey = StreamKeys.ingest(stream, partition);
    Transaction.Builder txn = Transaction.newBuilder().setId(id);
    Assert.Builder check = Assert.newBuilder();
    if (expected.isPresent()) {
      check.setEquals(counter(expected.getAsLong()));
    } else {
      check.setAbsent(true);
    }
    txn.addOps(Operation.newBuilder().setKey(counterKey).setAssert(check));
    txn.addOps(
        Operation.newBuilder()
            .setKey(counterKey)
            .setPut(Put.newBuilder().setValue(counter(nextCounter))));
    for (Map.Entry<Long, List<StreamRecord>> e : byShard.entrySet()) {
      txn.addOps(
          Operation.newBuilder()
              .setKey(StreamKeys.shard(stream, e.getKey()))
              .setStreamAppend(
                  StreamAppend.newBuilder()
                      .setStream(stream)
                      .setShardId(e.getKey())
                      .addAllRecords(e.getValue())));
    }
    return txn.build();
  }

  /** A counter value. */
  static Value counter(long v) {
    return Value.newBuilder().setCounter(v).build();
  }
}
