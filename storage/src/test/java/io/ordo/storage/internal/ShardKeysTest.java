package io.ordo.storage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardKeysTest {
  @Test
  void recordKeysSortByStreamThenShardThenOffsetAndStayInsideTheirShardsRange() {
    List<byte[]> inOrder = new ArrayList<>();
    String[] streams = {"a", "a.b", "ab", "b"};
    long[] ids = {0, 1, 255, 256, Long.MAX_VALUE};
    long[] offsets = {0, 1, 255, 256, 1L << 40, Long.MAX_VALUE};
    for (String s : streams) {
      for (long id : ids) {
        byte[] prefix = ShardKeys.shardPrefix(s, id);
        for (long o : offsets) {
          byte[] key = ShardKeys.recordKey(prefix, o);
          assertThat(ShardKeys.offset(prefix, key)).isEqualTo(o);
          assertThat(Arrays.compareUnsigned(key, ShardKeys.afterAllRecords(prefix))).isNegative();
          inOrder.add(key);
        }
        // The end of this shard's range is below every key of the next shard.
        inOrder.add(ShardKeys.afterAllRecords(prefix));
      }
    }
    for (int i = 1; i < inOrder.size(); i++) {
      assertThat(Arrays.compareUnsigned(inOrder.get(i - 1), inOrder.get(i))).as("key %d", i).isNegative();
    }
  }

  @Test
  void invalidShardsAreRefusedWithTheReason() {
    assertThat(ShardKeys.invalidShardReason("s", 0)).isNull();
    assertThat(ShardKeys.invalidShardReason("", 0)).contains("non-empty");
    assertThat(ShardKeys.invalidShardReason(null, 0)).contains("non-empty");
    assertThat(ShardKeys.invalidShardReason("a\u0000", 0)).contains("U+0000");
    assertThat(ShardKeys.invalidShardReason("é".repeat(513), 0)).contains("1024");
    assertThat(ShardKeys.invalidShardReason("s", -1)).contains("shard id");
    assertThatThrownBy(() -> ShardKeys.shardPrefix("s", -1))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] prefix = ShardKeys.shardPrefix("s", 1);
    assertThatThrownBy(() -> ShardKeys.offset(prefix, ShardKeys.shardPrefix("s", 1)))
        .isInstanceOf(IllegalStateException.class);
  }
}
