package io.ordo.executor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.internal.DedupBucket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DedupBucketsTest {

  private static List<String> entries(DedupBucket bucket) {
    List<String> out = new ArrayList<>();
    DedupBuckets.forEach(bucket, (ts, id) -> out.add(ts + ":" + id));
    return out;
  }

  @Test
  void entriesComeBackInOrderAfterASerializationRoundTrip() throws Exception {
    DedupBucket bucket = DedupBucket.getDefaultInstance();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      long ts = 1_700_000_000_000L + i / 7;
      String id = i % 3 == 0 ? "ü-" + i : "txn-" + "x".repeat(i % 200) + i; // multi-byte and long ids
      bucket = DedupBuckets.add(bucket, ts, id);
      expected.add(ts + ":" + id);
    }
    assertThat(bucket.getCount()).isEqualTo(1_000);
    assertThat(entries(bucket)).containsExactlyElementsOf(expected);
    assertThat(entries(DedupBucket.parseFrom(bucket.toByteArray()))).containsExactlyElementsOf(expected);
  }

  @Test
  void aBucketIsImmutable() {
    DedupBucket one = DedupBuckets.add(DedupBucket.getDefaultInstance(), 5, "a");
    DedupBucket two = DedupBuckets.add(one, 6, "b");
    assertThat(entries(one)).containsExactly("5:a");
    assertThat(entries(two)).containsExactly("5:a", "6:b");
  }

  @Test
  void corruptBytesAreReportedNotMisread() {
    DedupBucket good = DedupBuckets.add(DedupBucket.getDefaultInstance(), 5, "abc");
    DedupBucket truncated = good.toBuilder().setEntries(good.getEntries().substring(0, good.getEntries().size() - 1)).build();
    assertThatThrownBy(() -> entries(truncated)).isInstanceOf(IllegalStateException.class).hasMessageContaining("corrupt dedup bucket");
    DedupBucket wrongCount = good.toBuilder().setCount(2).build();
    assertThatThrownBy(() -> entries(wrongCount)).isInstanceOf(IllegalStateException.class).hasMessageContaining("count says 2");
    DedupBucket garbage = good.toBuilder().setEntries(ByteString.copyFrom(new byte[] {(byte) 0xff})).build();
    assertThatThrownBy(() -> entries(garbage)).isInstanceOf(IllegalStateException.class);
  }
}
