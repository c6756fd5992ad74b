package io.ordo.sequencer;

import io.ordo.proto.Position;
import java.util.Comparator;
import java.util.Objects;

/**
 * A position in the global order (docs/design.md, "Sequence first"): compares by {@code ts}, then
 * {@code partition}, then {@code offset}. The one type for that tuple across modules; its wire form
 * is the protobuf {@link Position} ({@link #of}, {@link #toPosition}, {@link #WIRE_ORDER}).
 *
 * <p>{@code ts} is the broker's LogAppendTime of the record made monotonic per partition with
 * {@link #monotonicTs}; the executor keeps the previous value in checkpointed state so that a replay
 * computes the same order. Ties between partitions with equal {@code ts} are broken by partition,
 * and within one partition by offset, so the order is total and identical on every replica.
 *
 * @param ts monotonic log timestamp in milliseconds since the epoch
 * @param partition log topic partition
 * @param offset record offset within the partition
 */
public record LogPosition(long ts, int partition, long offset) implements Comparable<LogPosition> {
  /**
   * The same order on the wire form {@link Position} (ts, then partition, then offset), for code
   * that keeps positions as protobuf messages (results, changelog records, stream records).
   */
  public static final Comparator<Position> WIRE_ORDER =
      Comparator.comparingLong(Position::getTs)
          .thenComparingInt(Position::getPartition)
          .thenComparingLong(Position::getOffset);

  /**
   * The monotonic per-partition timestamp: {@code max(brokerTs, previousTs)}.
   *
   * <p>LogAppendTime can go backwards when the broker's clock is adjusted or leadership moves to a
   * broker with a slower clock; clamping to the previous value keeps each partition's timestamps
   * non-decreasing, which the per-partition watermarks require.
   *
   * @param previousTs the previous record's monotonic timestamp in this partition, or {@link
   *     Long#MIN_VALUE} for the first record
   * @param brokerTs this record's broker timestamp (ms)
   * @return the monotonic timestamp of this record (ms)
   */
  public static long monotonicTs(long previousTs, long brokerTs) {
    return Math.max(brokerTs, previousTs);
  }

  /**
   * Converts the wire form.
   *
   * @throws NullPointerException if {@code p} is null
   */
  public static LogPosition of(Position p) {
    Objects.requireNonNull(p, "position");
    return new LogPosition(p.getTs(), p.getPartition(), p.getOffset());
  }

  /** The wire form of this key. */
  public Position toPosition() {
    return Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset).build();
  }

  @Override
  public int compareTo(LogPosition other) {
    int c = Long.compare(ts, other.ts);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(partition, other.partition);
    if (c != 0) {
      return c;
    }
    return Long.compare(offset, other.offset);
  }
}
