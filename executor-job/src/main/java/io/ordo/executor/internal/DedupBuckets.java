package io.ordo.executor.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import io.ordo.proto.internal.DedupBucket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Encoding of a {@link DedupBucket}: the transaction ids first seen in one bucket of log time,
 * packed as {@code (varint ts, varint length, UTF-8 id)} entries in the order they were added.
 *
 * <p>Buckets are immutable protobuf values. {@link #add} concatenates one encoded entry to the
 * bucket's byte string, which protobuf keeps as a balanced rope, so growing a bucket by one id
 * costs O(log n) and never copies the ids already in it; Flink's heap state then copies a bucket
 * by reference when a checkpoint is in flight.
 */
public final class DedupBuckets {

  /** Receives one entry of a bucket. */
  @FunctionalInterface
  public interface EntryConsumer {
    /**
     * @param ts the log timestamp (ms) at which the id was first seen
     * @param id the transaction id
     */
    void accept(long ts, String id);
  }

  private DedupBuckets() {}

  /**
   * Returns {@code bucket} with one more entry.
   *
   * @param ts log timestamp in milliseconds
   * @param id transaction id (non-empty)
   */
  public static DedupBucket add(DedupBucket bucket, long ts, String id) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    byte[] entry =
        new byte[CodedOutputStream.computeInt64SizeNoTag(ts) + CodedOutputStream.computeUInt32SizeNoTag(idBytes.length) + idBytes.length];
    CodedOutputStream out = CodedOutputStream.newInstance(entry);
    try {
      out.writeInt64NoTag(ts);
      out.writeUInt32NoTag(idBytes.length);
      out.writeRawBytes(idBytes);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("encoding into an exactly sized array cannot fail", e);
    }
    return bucket.toBuilder()
        .setEntries(bucket.getEntries().concat(ByteString.copyFrom(entry)))
        .setCount(bucket.getCount() + 1)
        .build();
  }

  /**
   * Calls {@code consumer} for every entry of {@code bucket}, in the order they were added.
   *
   * @throws IllegalStateException if the bucket's bytes are not a sequence of entries (a corrupt
   *     checkpoint)
   */
  public static void forEach(DedupBucket bucket, EntryConsumer consumer) {
    CodedInputStream in = bucket.getEntries().newCodedInput();
    int seen = 0;
    try {
      while (!in.isAtEnd()) {
        long ts = in.readInt64();
        int length = in.readUInt32();
        String id = new String(in.readRawBytes(length), StandardCharsets.UTF_8);
        consumer.accept(ts, id);
        seen++;
      }
    } catch (IOException e) {
      throw new IllegalStateException("corrupt dedup bucket after " + seen + " entries", e);
    }
    if (seen != bucket.getCount()) {
      throw new IllegalStateException("corrupt dedup bucket: " + seen + " entries, count says " + bucket.getCount());
    }
  }
}
