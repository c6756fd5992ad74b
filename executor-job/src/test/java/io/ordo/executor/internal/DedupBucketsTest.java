package io.ordo.executor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ordo.proto.state.DedupBucket;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DedupBucketsTest {
  private static final long START = 1_700_000_000_000L;

  private static List<String> entries(DedupBucket bucket) {
    List<String> out = new ArrayList<>();
    DedupBuckets.forEach(bucket, START, (ts, d) -> out.add(ts + ":" + d));
    return out;
  }

  @Test
  void entriesComeBackInOrderAfterASerializationRoundTrip() throws Exception {
    DedupBucket bucket = DedupBucket.getDefaultInstance();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      long ts = START + i / 7;
      String id = i % 3 == 0 ? "ü-" + i : "txn-" + "x".repeat(i % 200) + i; // multi-byte and long ids
      bucket = DedupBuckets.add(bucket, START, ts, IdDigest.of(id));
      expected.add(ts + ":" + IdDigest.of(id));
    }
    assertThat(bucket.getCount()).isEqualTo(1_000);
    assertThat(entries(bucket)).containsExactlyElementsOf(expected);
    assertThat(entries(DedupBucket.parseFrom(bucket.toByteArray()))).containsExactlyElementsOf(expected);
    // The point of the digest form: ~18 bytes per id whatever the id's length.
    assertThat(bucket.getSerializedSize()).isLessThan(1_000 * 20);
  }

  @Test
  void chunksSealAtTheirLimitAndAreSharedNotCopied() {
    DedupBucket bucket = DedupBucket.getDefaultInstance();
    for (int i = 0; i < 1_000; i++) {
      DedupBucket next = DedupBuckets.add(bucket, START, START + i, IdDigest.of("txn-" + i));
      // Every chunk but the last is the very same value in the new bucket.
      for (int c = 0; c < bucket.getDigestChunksCount() - 1; c++) {
        assertThat(next.getDigestChunks(c)).isSameAs(bucket.getDigestChunks(c));
      }
      bucket = next;
    }
    assertThat(bucket.getDigestChunksList()).allSatisfy(c -> assertThat(c.size()).isLessThanOrEqualTo(DedupBuckets.CHUNK_BYTES));
    // 1,000 entries of 18-19 bytes need at least five 4 KiB chunks; sealed ones are nearly full.
    assertThat(bucket.getDigestChunksCount()).isBetween(5, 6);
    for (int c = 0; c < bucket.getDigestChunksCount() - 1; c++) {
      assertThat(bucket.getDigestChunks(c).size()).isGreaterThan(DedupBuckets.CHUNK_BYTES - 20);
    }
    assertThat(entries(bucket)).hasSize(1_000);
  }

  @Test
  void aBucketIsImmutable() {
    DedupBucket one = DedupBuckets.add(DedupBucket.getDefaultInstance(), START, START + 5, IdDigest.of("a"));
    DedupBucket two = DedupBuckets.add(one, START, START + 6, IdDigest.of("b"));
    assertThat(entries(one)).containsExactly((START + 5) + ":" + IdDigest.of("a"));
    assertThat(entries(two)).containsExactly((START + 5) + ":" + IdDigest.of("a"), (START + 6) + ":" + IdDigest.of("b"));
  }

  @Test
  void aTimestampBeforeTheBucketIsRefused() {
    assertThatThrownBy(() -> DedupBuckets.add(DedupBucket.getDefaultInstance(), START, START - 1, IdDigest.of("a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("before its bucket's start");
  }

  @Test
  void bucketsOfEarlierBuildsAreReadAsDigestsAndGrowInTheNewForm() throws Exception {
    // An earlier build's bucket: (varint ts, varint length, UTF-8 id) per id, in field entries.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    for (String id : List.of("old-1", "ü-old-2")) {
      byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
      out.writeInt64NoTag(START + utf8.length);
      out.writeUInt32NoTag(utf8.length);
      out.writeRawBytes(utf8);
    }
    out.flush();
    DedupBucket legacy = DedupBucket.newBuilder().setEntries(ByteString.copyFrom(bytes.toByteArray())).setCount(2).build();
    DedupBucket grown = DedupBuckets.add(legacy, START, START + 9, IdDigest.of("new-3"));
    assertThat(entries(grown))
        .containsExactly(
            (START + 5) + ":" + IdDigest.of("old-1"),
            (START + 8) + ":" + IdDigest.of("ü-old-2"),
            (START + 9) + ":" + IdDigest.of("new-3"));
  }

  @Test
  void corruptBytesAreReportedNotMisread() {
    DedupBucket good = DedupBuckets.add(DedupBucket.getDefaultInstance(), START, START + 5, IdDigest.of("abc"));
    ByteString chunk = good.getDigestChunks(0);
    DedupBucket truncated = good.toBuilder().setDigestChunks(0, chunk.substring(0, chunk.size() - 1)).build();
    assertThatThrownBy(() -> entries(truncated)).isInstanceOf(IllegalStateException.class).hasMessageContaining("corrupt dedup bucket");
    DedupBucket wrongCount = good.toBuilder().setCount(2).build();
    assertThatThrownBy(() -> entries(wrongCount)).isInstanceOf(IllegalStateException.class).hasMessageContaining("count says 2");
    DedupBucket garbage = good.toBuilder().setEntries(ByteString.copyFrom(new byte[] {(byte) 0xff})).build();
    assertThatThrownBy(() -> entries(garbage)).isInstanceOf(IllegalStateException.class);
  }
}
