package io.ordo.jepsen.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Op;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The staggered schedule counts each wait from the end of the previous transition. */
class NemesisScheduleTest {
  /** A fault whose start and stop take {@code takesMs}, like a broker restart. */
  private static final class SlowNemesis implements Nemesis {
    private final long takesMs;

    SlowNemesis(long takesMs) {
      this.takesMs = takesMs;
    }

    @Override
    public String name() {
      return "slow";
    }

    @Override
    public Object start() throws InterruptedException {
      Thread.sleep(takesMs);
      return "started";
    }

    @Override
    public Object stop() throws InterruptedException {
      Thread.sleep(takesMs);
      return null;
    }
  }

  @Test
  void aSlowTransitionDoesNotShortenTheNextInterval() throws Exception {
    long intervalMs = 100;
    HistoryRecorder recorder = new HistoryRecorder(System::nanoTime);
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_200);
    NemesisSchedule schedule = new NemesisSchedule(List.of(new SlowNemesis(250)), recorder, System::nanoTime, intervalMs, end);
    schedule.run();
    schedule.healAll();
    List<Op> ops = recorder.history().ops();
    assertThat(ops.size()).isGreaterThanOrEqualTo(4);
    // Invoke, completion, invoke, completion ...: every invoke after the first comes at least an
    // interval after the completion before it (a schedule that counts from the previous due time
    // would fire right after a 250 ms transition). The last pair may be the final heal, which comes
    // at the end of the run, not after an interval.
    for (int i = 2; i < ops.size() - 2; i += 2) {
      long gapMs = TimeUnit.NANOSECONDS.toMillis(ops.get(i).timeNanos() - ops.get(i - 1).timeNanos());
      assertThat(gapMs).as("gap before op %d", i).isGreaterThanOrEqualTo(intervalMs - 5);
    }
    assertThat(ops.get(1).value()).isEqualTo("started");
    assertThat(ops.get(ops.size() - 1).f()).isEqualTo("stop-slow");
  }
}
