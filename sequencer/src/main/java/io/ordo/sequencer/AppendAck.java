package io.ordo.sequencer;

/**
 * Where the broker put an appended entry.
 *
 * @param partition the log topic partition, in {@code [0, logPartitions)}
 * @param offset the record's offset in that partition (>= 0)
 * @param brokerTimestampMs the broker's LogAppendTime of the record, in milliseconds since the
 *     epoch; this is the raw broker time, not yet made monotonic (see {@link LogPosition#monotonicTs})
 */
public record AppendAck(int partition, long offset, long brokerTimestampMs) {}
