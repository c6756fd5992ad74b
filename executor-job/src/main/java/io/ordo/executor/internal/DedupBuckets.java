package io.ordo.executor.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.ordo.proto.state.DedupBucket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Encoding of a {@link DedupBucket}: the transaction ids first seen in one bucket of log time, as
 * their {@link IdDigest}s, packed as {@code (varint ts - bucket start, fixed64 hi, fixed64 lo)}
 * entries (about 18 bytes per id) in the order they were added, in chunks of at most {@link
 * #CHUNK_BYTES}.
 *
 * <p>Buckets are immutable protobuf values, so Flink's heap state copies a bucket by reference
 * when a checkpoint is in flight. {@link #add} copies only the last chunk (at most {@link
 * #CHUNK_BYTES}) and shares the sealed ones. Why chunks and not one growing byte string:
 * protobuf's {@code concat} keeps a rope of small leaves, which cost ~88 bytes of heap per
 * 18-byte entry (a 10-minute run: 167 MB of rope nodes and leaves for 1.9 million ids); sealed
 * flat chunks cost the entry and a few bytes.
 *
 * <p>Buckets written by earlier builds hold the ids themselves ({@code entries}: varint ts,
 * varint length, UTF-8 id); {@link #forEach} still reads them, digesting each id, so a restore
 * from such a checkpoint keeps its window.
 */
public final class DedupBuckets {

  /** Receives one entry of a bucket. */
  @FunctionalInterface
  public interface EntryConsumer {
    /**
     * @param ts the log timestamp (ms) at which the id was first seen
     * @param digest the id's digest
     */
    void accept(long ts, IdDigest digest);
  }

  /** Largest chunk of packed entries: a sealed chunk is never copied again. */
  public static final int CHUNK_BYTES = 4096;

  private DedupBuckets() {}

  /**
   * Returns {@code bucket} with one more entry.
   *
   * @param bucketStart the bucket's start (ms of log time); the key it is stored under
   * @param ts log timestamp in milliseconds, {@code >= bucketStart}
   * @param digest the id's digest
   * @throws IllegalArgumentException if {@code ts < bucketStart}
   */
  public static DedupBucket add(DedupBucket bucket, long bucketStart, long ts, IdDigest digest) {
    if (ts < bucketStart) {
      throw new IllegalArgumentException("timestamp " + ts + " is before its bucket's start " + bucketStart);
    }
    long offset = ts - bucketStart;
    byte[] entry = new byte[CodedOutputStream.computeUInt64SizeNoTag(offset) + IdDigest.BYTES];
    CodedOutputStream out = CodedOutputStream.newInstance(entry);
    try {
      out.writeUInt64NoTag(offset);
      out.writeFixed64NoTag(digest.hi());
      out.writeFixed64NoTag(digest.lo());
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("encoding into an exactly sized array cannot fail", e);
    }
    int chunks = bucket.getDigestChunksCount();
    ByteString last = chunks == 0 ? ByteString.EMPTY : bucket.getDigestChunks(chunks - 1);
    DedupBucket.Builder next = bucket.toBuilder().setCount(bucket.getCount() + 1);
    if (chunks == 0 || last.size() + entry.length > CHUNK_BYTES) {
      return next.addDigestChunks(UnsafeByteOperations.unsafeWrap(entry)).build();
    }
    byte[] grown = new byte[last.size() + entry.length];
    last.copyTo(grown, 0);
    System.arraycopy(entry, 0, grown, last.size(), entry.length);
    // unsafeWrap: the array is never written again, so sharing it keeps the value immutable.
    return next.setDigestChunks(chunks - 1, UnsafeByteOperations.unsafeWrap(grown)).build();
  }

  /**
   * Calls {@code consumer} for every entry of {@code bucket}, in the order they were added.
   *
   * @param bucketStart the key the bucket is stored under
   * @throws IllegalStateException if the bucket's bytes are not a sequence of entries (a corrupt
   *     checkpoint)
   */
  public static void forEach(DedupBucket bucket, long bucketStart, EntryConsumer consumer) {
    int seen = 0;
    try {
      CodedInputStream legacy = bucket.getEntries().newCodedInput();
      while (!legacy.isAtEnd()) {
        long ts = legacy.readInt64();
        int length = legacy.readUInt32();
        String id = new String(legacy.readRawBytes(length), StandardCharsets.UTF_8);
        consumer.accept(ts, IdDigest.of(id));
        seen++;
      }
      for (ByteString chunk : bucket.getDigestChunksList()) {
        CodedInputStream in = chunk.newCodedInput();
        while (!in.isAtEnd()) {
          long ts = Math.addExact(bucketStart, in.readUInt64());
          long hi = in.readFixed64();
          long lo = in.readFixed64();
          consumer.accept(ts, new IdDigest(hi, lo));
          seen++;
        }
      }
    } catch (IOException | ArithmeticException e) {
      throw new IllegalStateException("corrupt dedup bucket after " + seen + " entries", e);
    }
    if (seen != bucket.getCount()) {
      throw new IllegalStateException("corrupt dedup bucket: " + seen + " entries, count says " + bucket.getCount());
    }
  }
}
