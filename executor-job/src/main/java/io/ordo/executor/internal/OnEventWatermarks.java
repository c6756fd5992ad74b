package io.ordo.executor.internal;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Monotonous-timestamp watermarks (largest timestamp seen − 1, as {@link
 * WatermarkStrategy#forMonotonousTimestamps()}) emitted with the record that raises them instead
 * of by a periodic timer: the watermark moves as soon as the record arrives (no wait for the next
 * timer), and a source that receives nothing does nothing, where a 1 ms timer fires a thousand
 * times a second on each source subtask for nothing (ARCHITECTURE.md, "Idle"). The Kafka source
 * keeps one generator per partition and emits the minimum over them, as with the periodic form.
 * Used with the pipeline's auto-watermark interval set to 0 (no periodic emission).
 *
 * @param <T> the record type
 */
public final class OnEventWatermarks<T> implements WatermarkGenerator<T> {
  private long maxTimestamp = Long.MIN_VALUE;

  /** The strategy: one generator per partition, timestamps from the Kafka records. */
  public static <T> WatermarkStrategy<T> strategy() {
    return WatermarkStrategy.forGenerator(context -> new OnEventWatermarks<T>());
  }

  @Override
  public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
    if (eventTimestamp > maxTimestamp) {
      maxTimestamp = eventTimestamp;
      output.emitWatermark(new Watermark(eventTimestamp - 1));
    }
  }

  @Override
  public void onPeriodicEmit(WatermarkOutput output) {
    // Nothing: every watermark was emitted with its record.
  }
}
