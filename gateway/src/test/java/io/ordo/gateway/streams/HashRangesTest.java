package io.ordo.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.state.ShardInfo;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hash space: even splits cover it without gaps, routing, hex round trips, midpoints. */
class HashRangesTest {
  @Test
  void evenSplitsCoverTheWholeSpaceContiguously() {
    for (int n : new int[] {1, 2, 3, 7, 1024}) {
      List<ByteString[]> ranges = HashRanges.evenSplit(n);
      assertThat(ranges).hasSize(n);
      assertThat(HashRanges.toBigInteger(ranges.get(0)[0])).isEqualTo(BigInteger.ZERO);
      assertThat(HashRanges.toBigInteger(ranges.get(n - 1)[1])).isEqualTo(HashRanges.MAX);
      for (int i = 1; i < n; i++) {
        assertThat(HashRanges.toBigInteger(ranges.get(i)[0]))
            .isEqualTo(HashRanges.toBigInteger(ranges.get(i - 1)[1]).add(BigInteger.ONE));
      }
    }
    assertThat(HashRanges.hex(HashRanges.evenSplit(2).get(1)[0]))
        .isEqualTo("80000000000000000000000000000000");
  }

  @Test
  void aPartitionKeyHashesToItsMd5AndLandsInExactlyOneShard() {
    // MD5("") = d41d8cd98f00b204e9800998ecf8427e
    assertThat(HashRanges.hex(ByteString.copyFrom(HashRanges.hash(""))))
        .isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
    List<ByteString[]> ranges = HashRanges.evenSplit(4);
    for (String key : List.of("", "a", "user-7", "ünïcødé")) {
      int hits = 0;
      for (ByteString[] range : ranges) {
        ShardInfo shard = ShardInfo.newBuilder().setStartHash(range[0]).setEndHash(range[1]).build();
        hits += HashRanges.contains(shard, HashRanges.hash(key)) ? 1 : 0;
      }
      assertThat(hits).as(key).isEqualTo(1);
    }
  }

  @Test
  void hexRoundTripsAndRejectsBadInput() {
    ByteString max = HashRanges.toBytes(HashRanges.MAX);
    assertThat(HashRanges.hex(max)).isEqualTo("f".repeat(32));
    assertThat(HashRanges.parseHex("F".repeat(32), "h")).isEqualTo(max);
    assertThat(HashRanges.parseHex("0123456789abcdef0123456789ABCDEF", "h").size()).isEqualTo(16);
    assertThatThrownBy(() -> HashRanges.parseHex("abc", "at_hash"))
        .hasMessage("at_hash must be 32 hex digits, got 3 characters");
    assertThatThrownBy(() -> HashRanges.parseHex("g" + "0".repeat(31), "at_hash"))
        .hasMessage("at_hash has a non-hex character at index 0 (expected 0-9, a-f)");
    assertThatThrownBy(() -> HashRanges.toBytes(HashRanges.MAX.add(BigInteger.ONE)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theMiddleSplitsARangeIntoTwoNonEmptyHalves() {
    ByteString zero = HashRanges.toBytes(BigInteger.ZERO);
    ByteString one = HashRanges.toBytes(BigInteger.ONE);
    assertThat(HashRanges.middle(zero, one)).isEqualTo(one);
    assertThat(HashRanges.hex(HashRanges.middle(zero, HashRanges.toBytes(HashRanges.MAX))))
        .isEqualTo("80000000000000000000000000000000");
  }
}
