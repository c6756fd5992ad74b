package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The load generator against an in-memory bank with a fixed service time: counts, the open-loop
 * schedule, and latency measured from the intended start when the store falls behind.
 */
class LoadRunnerTest {
  private static final TransferWorkload WORKLOAD =
      new TransferWorkload(100, 0.99, 10, 4, OptionalInt.empty());

  /** A bank in memory (shared by the clients), taking {@code serviceMs} per transfer. */
  private static final class MemoryBank {
    private final long[] balances = new long[100];
    private final long serviceMs;

    MemoryBank(long balance, long serviceMs) {
      java.util.Arrays.fill(balances, balance);
      this.serviceMs = serviceMs;
    }

    synchronized TransferClient.Attempt apply(TransferWorkload.Transfer t) {
      if (balances[t.debtor()] < t.amount()) {
        return TransferClient.Attempt.aborted(TransferClient.INSUFFICIENT_FUNDS);
      }
      balances[t.debtor()] -= t.amount();
      balances[t.creditor()] += t.amount();
      return TransferClient.Attempt.COMMITTED;
    }

    synchronized long total() {
      return java.util.Arrays.stream(balances).sum();
    }

    TransferClient client() {
      return new TransferClient() {
        @Override
        public Attempt execute(TransferWorkload.Transfer t) throws InterruptedException {
          if (serviceMs > 0) {
            TimeUnit.MILLISECONDS.sleep(serviceMs);
          }
          return apply(t);
        }

        @Override
        public void close() {}
      };
    }
  }

  private static CpuMeter cpu() {
    return new CpuMeter(OptionalInt.empty());
  }

  @Test
  void openLoopOffersTheRateAndCountsOutcomesOfTheWindowOnly() throws Exception {
    MemoryBank bank = new MemoryBank(5, 0);
    LoadRunner.Step step =
        new LoadRunner.Step(4, Duration.ofMillis(300), Duration.ofSeconds(1), 400, 1);
    LoadRunner.StepResult r = LoadRunner.run("memory", bank::client, WORKLOAD, step, cpu());
    // 400/s for 1 s: the schedule has 400 starts in the window; transfers count when they
    // complete in it, so those at the edges, or a backlog of the warmup caught up in the window
    // (a scheduler hiccup on a busy machine), shift the count a little.
    assertThat(r.attempted()).isBetween(350L, 450L);
    assertThat(r.notIssued()).isZero();
    long aborted = r.aborts().getOrDefault(TransferClient.INSUFFICIENT_FUNDS, 0L);
    assertThat(aborted).isPositive(); // balances of 5 and amounts up to 10
    assertThat(r.committed() + aborted).isEqualTo(r.attempted());
    assertThat(r.latency().getTotalCount()).isEqualTo(r.committed());
    assertThat(r.committedPerSecond()).isEqualTo(r.committed() / 1.0);
    assertThat(bank.total()).isEqualTo(500);
    assertThat(r.cpu().groupCores()).containsKey("load generator");
    assertThat(r.cpu().processCores()).isPositive();
  }

  @Test
  void openLoopBehindScheduleMeasuresFromTheIntendedStart() throws Exception {
    // One client, 20 ms per transfer, offered 100/s: it can do only 50/s, so the backlog (and the
    // latency measured from the intended start) grows through the window.
    MemoryBank bank = new MemoryBank(1_000, 20);
    LoadRunner.Step step =
        new LoadRunner.Step(1, Duration.ZERO, Duration.ofSeconds(1), 100, 1);
    LoadRunner.StepResult r = LoadRunner.run("memory", bank::client, WORKLOAD, step, cpu());
    // At most 1 s / 20 ms transfers complete; every other start of the window was never sent
    // (but the one in flight when the window ends, which is neither). The window opens at the
    // first outcome, ~20 ms into the schedule, so one transfer intended just before it may also
    // complete in it.
    assertThat(r.attempted()).isBetween(5L, 52L);
    assertThat(r.attempted() + r.notIssued()).isBetween(99L, 101L);
    // The last transfers waited ~0.5 s for the client; a service time alone would be 20 ms.
    assertThat(r.latency().getMaxValue()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(300));
    assertThat(r.latency().getValueAtPercentile(50))
        .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(100));
  }

  @Test
  void closedLoopLatencyIsTheServiceTime() throws Exception {
    MemoryBank bank = new MemoryBank(1_000, 10);
    LoadRunner.Step step =
        new LoadRunner.Step(2, Duration.ofMillis(100), Duration.ofMillis(600), 0, 1);
    LoadRunner.StepResult r = LoadRunner.run("memory", bank::client, WORKLOAD, step, cpu());
    // Two clients at ~10 ms each: ~200/s; the sleep may overshoot, so allow a wide band.
    assertThat(r.committedPerSecond()).isBetween(80.0, 205.0);
    assertThat(r.latency().getValueAtPercentile(50))
        .isBetween(TimeUnit.MILLISECONDS.toNanos(9), TimeUnit.MILLISECONDS.toNanos(40));
    assertThat(r.notIssued()).isZero();
  }

  @Test
  void theWindowOpensOnlyAfterEveryClientsFirstOutcome() throws Exception {
    MemoryBank bank = new MemoryBank(1_000, 0);
    java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
    // Each client's first transfer takes 400 ms (a cold start), the rest 5 ms; no warmup and a
    // 200 ms window: a window opened at once would end before any outcome and count nothing.
    LoadRunner.ClientFactory cold = () -> {
      opened.incrementAndGet();
      return new TransferClient() {
        private boolean first = true;

        @Override
        public Attempt execute(TransferWorkload.Transfer t) throws InterruptedException {
          TimeUnit.MILLISECONDS.sleep(first ? 400 : 5);
          first = false;
          return bank.apply(t);
        }

        @Override
        public void close() {}
      };
    };
    LoadRunner.Step step = new LoadRunner.Step(8, Duration.ZERO, Duration.ofMillis(200), 0, 1);
    LoadRunner.StepResult r = LoadRunner.run("memory", cold, WORKLOAD, step, cpu());
    assertThat(opened.get()).isEqualTo(8);
    assertThat(r.committed()).isPositive();
    // Only steady-state transfers (5 ms, well under the 400 ms first ones) are in the window.
    assertThat(r.latency().getMaxValue()).isLessThan(TimeUnit.MILLISECONDS.toNanos(400));
    assertThat(bank.total()).isEqualTo(100 * 1_000L);
  }

  @Test
  void aLogAppendTimeSplitsTheLatencyOfCommittedTransfers() throws Exception {
    // A store that "appends to its log" 5 ms into each transfer and answers 10 ms after that.
    LoadRunner.Step step = new LoadRunner.Step(2, Duration.ofMillis(50), Duration.ofMillis(500), 0, 1);
    LoadRunner.StepResult r = LoadRunner.run("split", () -> new TransferClient() {
      @Override
      public Attempt execute(TransferWorkload.Transfer t) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(5);
        long appended = System.currentTimeMillis();
        TimeUnit.MILLISECONDS.sleep(10);
        return Attempt.committedAt(appended);
      }

      @Override
      public void close() {}
    }, WORKLOAD, step, cpu());
    assertThat(r.committed()).isPositive();
    assertThat(r.toLogMillis().getTotalCount()).isEqualTo(r.committed());
    assertThat(r.afterLogMillis().getTotalCount()).isEqualTo(r.committed());
    // Sleeps overshoot and the wall clock has ms resolution: wide bands, but in order.
    assertThat(r.toLogMillis().getValueAtPercentile(50)).isBetween(3L, 30L);
    assertThat(r.afterLogMillis().getValueAtPercentile(50)).isBetween(9L, 40L);
    assertThat(r.afterLogMillis().getValueAtPercentile(50)).isGreaterThan(r.toLogMillis().getValueAtPercentile(50));

    MemoryBank bank = new MemoryBank(1_000, 0);
    LoadRunner.StepResult none = LoadRunner.run("memory", bank::client, WORKLOAD, step, cpu());
    assertThat(none.toLogMillis().getTotalCount()).as("no log, no split").isZero();
  }

  @Test
  void clientFailureFailsTheStepAndClosesTheConnections() {
    int[] closed = {0};
    LoadRunner.Step step = new LoadRunner.Step(2, Duration.ZERO, Duration.ofMillis(200), 0, 1);
    assertThatThrownBy(() -> LoadRunner.run("broken", () -> new TransferClient() {
      @Override
      public Attempt execute(TransferWorkload.Transfer t) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void close() {
        closed[0]++;
      }
    }, WORKLOAD, step, cpu())).hasMessageContaining("client failed").hasRootCauseMessage("boom");
    assertThat(closed[0]).isEqualTo(2);
  }

  /**
   * A pipelined client of {@code bank}: each transfer completes {@code serviceMs} after its
   * submit on a timer thread; records the most transfers it had outstanding at once.
   */
  private static final class PipelinedMemoryClient implements PipelinedTransferClient {
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    private final java.util.concurrent.Semaphore window;
    private final java.util.concurrent.atomic.AtomicInteger out =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger mostOut;
    private final MemoryBank bank;
    private final long serviceMs;

    PipelinedMemoryClient(MemoryBank bank, long serviceMs, int window,
        java.util.concurrent.atomic.AtomicInteger mostOut) {
      this.bank = bank;
      this.serviceMs = serviceMs;
      this.window = new java.util.concurrent.Semaphore(window);
      this.mostOut = mostOut;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Attempt> submit(TransferWorkload.Transfer t)
        throws InterruptedException {
      window.acquire();
      mostOut.accumulateAndGet(out.incrementAndGet(), Math::max);
      java.util.concurrent.CompletableFuture<Attempt> f =
          new java.util.concurrent.CompletableFuture<>();
      timer.schedule(() -> {
        out.decrementAndGet();
        window.release();
        f.complete(bank.apply(t));
      }, serviceMs, TimeUnit.MILLISECONDS);
      return f;
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }

  @Test
  void pipelinedClientsKeepTheirWindowFullAndCountEveryOutcome() throws Exception {
    MemoryBank bank = new MemoryBank(1_000, 0);
    java.util.concurrent.atomic.AtomicInteger mostOut = new java.util.concurrent.atomic.AtomicInteger();
    LoadRunner.Step step =
        new LoadRunner.Step(2, Duration.ofMillis(100), Duration.ofMillis(500), 0, 1, 8);
    LoadRunner.StepResult r = LoadRunner.run("pipelined",
        () -> new PipelinedMemoryClient(bank, 10, 8, mostOut), WORKLOAD, step, cpu());
    assertThat(r.inFlight()).isEqualTo(8);
    assertThat(mostOut.get()).as("most outstanding at once on one client").isEqualTo(8);
    assertThat(r.committed()).isPositive();
    assertThat(r.committed() + r.aborts().values().stream().mapToLong(Long::longValue).sum()
        + r.errors().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(r.attempted());
    assertThat(r.latency().getTotalCount()).isEqualTo(r.committed());
    assertThat(bank.total()).isEqualTo(100_000);
  }

  @Test
  void pipelinedOpenLoopSendsOnScheduleWhileTransfersAreOutstanding() throws Exception {
    // One client, 30 ms per transfer, offered 100/s: one at a time it could send a third of the
    // schedule; four outstanding keep up with all of it.
    MemoryBank bank = new MemoryBank(1_000, 0);
    java.util.concurrent.atomic.AtomicInteger mostOut = new java.util.concurrent.atomic.AtomicInteger();
    LoadRunner.Step step =
        new LoadRunner.Step(1, Duration.ofMillis(100), Duration.ofSeconds(1), 100, 1, 4);
    LoadRunner.StepResult r = LoadRunner.run("pipelined",
        () -> new PipelinedMemoryClient(bank, 30, 4, mostOut), WORKLOAD, step, cpu());
    assertThat(r.notIssued()).isZero();
    // 100 starts in the window; those of the warmup's end that complete in it count too, and a
    // busy machine's scheduler shifts a few across the edges.
    assertThat(r.attempted()).isBetween(85L, 115L);
    assertThat(mostOut.get()).isBetween(2, 4);
  }

  @Test
  void aStoreWithoutPipelinedClientsRefusesAPipelinedStep() {
    MemoryBank bank = new MemoryBank(1_000, 0);
    LoadRunner.Step step = new LoadRunner.Step(1, Duration.ZERO, Duration.ofMillis(100), 0, 1, 4);
    assertThatThrownBy(() -> LoadRunner.run("memory", bank::client, WORKLOAD, step, cpu()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("memory has no pipelined client");
    assertThatThrownBy(() -> new LoadRunner.Step(1, Duration.ZERO, Duration.ofSeconds(1), 0, 1, 0))
        .hasMessageContaining("in flight per client must be in [1, 1024]");
  }

  @Test
  void badStepsAreRejected() {
    assertThatThrownBy(() -> new LoadRunner.Step(0, Duration.ZERO, Duration.ofSeconds(1), 0, 1))
        .hasMessageContaining("clients");
    assertThatThrownBy(() -> new LoadRunner.Step(1, Duration.ZERO, Duration.ZERO, 0, 1))
        .hasMessageContaining("duration");
    assertThatThrownBy(
        () -> new LoadRunner.Step(1, Duration.ZERO, Duration.ofSeconds(1), Double.NaN, 1))
        .hasMessageContaining("rate");
  }
}
