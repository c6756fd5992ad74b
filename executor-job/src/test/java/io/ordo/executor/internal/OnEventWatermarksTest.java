package io.ordo.executor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class OnEventWatermarksTest {
  /** Records what a generator emits. */
  private static final class Recorder implements WatermarkOutput {
    final List<Long> watermarks = new ArrayList<>();

    @Override
    public void emitWatermark(Watermark watermark) {
      watermarks.add(watermark.getTimestamp());
    }

    @Override
    public void markIdle() {
      watermarks.add(Long.MIN_VALUE);
    }

    @Override
    public void markActive() {}
  }

  @Test
  void emitsTheLargestTimestampMinusOneWithTheRecordThatRaisesIt() {
    OnEventWatermarks<String> generator = new OnEventWatermarks<>();
    Recorder out = new Recorder();
    generator.onEvent("a", 10, out);
    generator.onEvent("b", 10, out);
    generator.onEvent("c", 12, out);
    generator.onEvent("d", 11, out);
    generator.onEvent("e", 13, out);
    assertThat(out.watermarks).containsExactly(9L, 11L, 12L);
  }

  @Test
  void emitsNothingPeriodically() {
    OnEventWatermarks<String> generator = new OnEventWatermarks<>();
    Recorder out = new Recorder();
    generator.onPeriodicEmit(out);
    generator.onEvent("a", 5, out);
    generator.onPeriodicEmit(out);
    assertThat(out.watermarks).containsExactly(4L);
  }
}
