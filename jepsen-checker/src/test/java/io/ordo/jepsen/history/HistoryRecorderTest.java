package io.ordo.jepsen.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {
  @Test
  void assignsIndexesInOrderAndTimesFromTheInjectedClock() {
    AtomicLong clock = new AtomicLong(1_000);
    HistoryRecorder r = new HistoryRecorder(clock::get);
    clock.set(1_250);
    Op inv = r.invoke(3, "read", null);
    clock.set(1_900);
    Op ok = r.complete(inv, OpType.OK, 42L, null);
    clock.set(2_000);
    Op nem = r.invoke(Op.NEMESIS, "kill", "n1");
    assertThat(inv).isEqualTo(new Op(0, 250, 3, OpType.INVOKE, "read", null, null));
    assertThat(ok).isEqualTo(new Op(1, 900, 3, OpType.OK, "read", 42L, null));
    assertThat(nem).isEqualTo(new Op(2, 1_000, Op.NEMESIS, OpType.INVOKE, "kill", "n1", null));
    History h = r.history();
    assertThat(h.ops()).containsExactly(inv, ok, nem);
    assertThat(h.completion(inv)).contains(ok);
    assertThat(h.completion(nem)).isEmpty();
  }

  @Test
  void rejectsASecondInvokeOnAnOpenProcessAndAnyInvokeAfterInfo() {
    HistoryRecorder r = new HistoryRecorder(new AtomicLong()::get);
    Op a = r.invoke(0, "write", 1L);
    assertThatThrownBy(() -> r.invoke(0, "write", 2L)).isInstanceOf(IllegalStateException.class).hasMessageContaining("open");
    r.complete(a, OpType.INFO, 1L, "timeout");
    assertThatThrownBy(() -> r.invoke(0, "read", null)).isInstanceOf(IllegalStateException.class).hasMessageContaining("info");
    assertThatThrownBy(() -> r.complete(a, OpType.OK, 1L, null)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> r.complete(r.invoke(1, "read", null), OpType.INVOKE, null, null))
        .isInstanceOf(IllegalArgumentException.class);
    // A failed op does not retire the process; the nemesis may always invoke again.
    Op b = r.invoke(2, "write", 3L);
    r.complete(b, OpType.FAIL, 3L, "aborted");
    r.invoke(2, "write", 4L);
    r.complete(r.invoke(Op.NEMESIS, "kill", null), OpType.INFO, null, null);
    r.invoke(Op.NEMESIS, "restart", null);
    assertThat(r.size()).isEqualTo(9);
  }

  @Test
  void boundsTheNumberOfOps() {
    HistoryRecorder r = new HistoryRecorder(new AtomicLong()::get, 2);
    Op a = r.invoke(0, "read", null);
    r.complete(a, OpType.OK, 1L, null);
    assertThatThrownBy(() -> r.invoke(0, "read", null)).isInstanceOf(IllegalStateException.class).hasMessageContaining("full");
    assertThatThrownBy(() -> new HistoryRecorder(System::nanoTime, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void manyThreadsGiveAWellFormedHistoryInClockOrder() throws Exception {
    int threads = 8;
    int opsPerThread = 2_000;
    // A shared ticking clock: if index and time were not taken in one critical section, some op
    // would get a time lower than an op before it.
    AtomicLong ticks = new AtomicLong();
    HistoryRecorder r = new HistoryRecorder(ticks::incrementAndGet);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<Op>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long process = t;
      futures.add(pool.submit(() -> {
        start.await();
        List<Op> mine = new ArrayList<>();
        for (int i = 0; i < opsPerThread; i++) {
          Op inv = r.invoke(process, "write", (long) i);
          mine.add(inv);
          mine.add(r.complete(inv, OpType.OK, (long) i, null));
        }
        return mine;
      }));
    }
    start.countDown();
    Map<Long, List<Op>> byProcess = new HashMap<>();
    for (int t = 0; t < threads; t++) {
      byProcess.put((long) t, futures.get(t).get(30, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    History h = r.history(); // History.of re-checks well-formedness
    assertThat(h.size()).isEqualTo(threads * opsPerThread * 2);
    long lastTime = -1;
    for (int i = 0; i < h.size(); i++) {
      Op op = h.ops().get(i);
      assertThat(op.index()).isEqualTo(i);
      assertThat(op.timeNanos()).isGreaterThan(lastTime);
      lastTime = op.timeNanos();
    }
    for (Map.Entry<Long, List<Op>> e : byProcess.entrySet()) {
      List<Op> recorded = h.ops().stream().filter(op -> op.process() == e.getKey()).toList();
      assertThat(recorded).isEqualTo(e.getValue());
    }
  }
}
