package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Drives {@code clients} threads (named {@code ordo-bench-client-<i>}, each with its own {@link
 * TransferClient} and its own {@link Random} seeded from the seed and its index) through a warmup
 * and a measured window, and collects one {@link StepResult}.
 *
 * <p><b>Closed loop</b> ({@code rate} 0): each client sends a transfer, waits for its outcome and
 * sends the next; latency is measured from the send.
 *
 * <p><b>Open loop</b> ({@code rate} R > 0 transfers/s over all clients): client {@code i} has a
 * schedule of intended start times {@code t0 + (i + k * clients) / R} (k = 0, 1, ...), so the
 * clients together offer R/s evenly spaced. A client sleeps until its next intended start, or
 * sends at once when it is behind; latency is measured <em>from the intended start</em>, so time a
 * request spent waiting for a busy client counts (no coordinated omission, as in wrk2). The
 * clients bound the concurrency: when the store cannot keep up with R, latencies grow and {@code
 * notIssued} counts the intended starts of the window that were never sent before it ended.
 *
 * <p>The measured window opens when the warmup has passed <em>and</em> every client has had the
 * outcome of its first transfer (waiting at most {@link #FIRST_OUTCOME_WAIT} for them), so a
 * window never measures the first round of a cold start: with many clients on a slow machine the
 * first outcomes can take longer than a short warmup, and a window measured before them would
 * show nothing committed. A client whose first transfer is still out after that wait is counted
 * from when its outcomes arrive.
 *
 * <p>A transfer belongs to the measured window when it <em>completes</em> in it; the throughput
 * is the window's committed transfers divided by the window's length, so an overloaded store
 * still shows what it achieved (counting by intended start instead would show nothing once the
 * backlog of the warmup outlasts the window). Latencies are of the window's committed transfers,
 * each from its (intended) start, so in overload they include the wait behind the backlog; they
 * are kept in an HdrHistogram with 3 significant digits up to one hour.
 *
 * <p><b>Pipelined</b> ({@code inFlight} N > 1, clients that are {@link PipelinedTransferClient}s):
 * each client keeps up to N transfers outstanding on its one connection instead of one. Closed
 * loop: a client submits the next transfer as soon as its window has room, so N x clients
 * transfers are always in flight (the store's peak, not a user's experience). Open loop: a client
 * submits on its schedule as above, and is late only when all N of its transfers are still out;
 * latency is still measured from the intended start. Outcomes are counted as they complete; when
 * the window ends the client's connection is closed, and transfers still out count nowhere.
 */
public final class LoadRunner {
  /** Highest latency the histograms track, in ns (1 h). */
  static final long LATENCY_NANOS_MAX = TimeUnit.HOURS.toNanos(1);

  /** Longest wait, after the warmup, for every client's first outcome before the window opens. */
  public static final Duration FIRST_OUTCOME_WAIT = Duration.ofSeconds(60);

  /** Upper bound on clients (each is a thread and a connection). */
  public static final int CLIENTS_MAX = 1024;

  /** Opens one client connection; called once per load-generator thread. */
  @FunctionalInterface
  public interface ClientFactory {
    /**
     * @throws Exception if the connection cannot be opened (the step fails)
     */
    TransferClient open() throws Exception;
  }

  /**
   * One step's settings.
   *
   * @param clients concurrent clients, in [1, {@value #CLIENTS_MAX}]
   * @param warmup least unmeasured time before the window, >= 0 (the window also waits for every
   *     client's first outcome)
   * @param duration the measured window, positive
   * @param rate offered transfers/s over all clients, or 0 for closed loop
   * @param seed seed of the clients' Randoms
   * @param inFlight transfers each client keeps outstanding, in [1, {@value
   *     PipelinedTransferClient#IN_FLIGHT_MAX}]; above 1 the clients must be {@link
   *     PipelinedTransferClient}s
   */
  public record Step(
      int clients, Duration warmup, Duration duration, double rate, long seed, int inFlight) {
    /** One transfer at a time per client. */
    public Step(int clients, Duration warmup, Duration duration, double rate, long seed) {
      this(clients, warmup, duration, rate, seed, 1);
    }

    /** Validates the fields. */
    public Step {
      if (inFlight < 1 || inFlight > PipelinedTransferClient.IN_FLIGHT_MAX) {
        throw new IllegalArgumentException("transfers in flight per client must be in [1, "
            + PipelinedTransferClient.IN_FLIGHT_MAX + "], got " + inFlight);
      }
      if (clients < 1 || clients > CLIENTS_MAX) {
        throw new IllegalArgumentException(
            "clients must be in [1, " + CLIENTS_MAX + "], got " + clients);
      }
      if (warmup.isNegative()) {
        throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
      }
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("duration must be positive, got " + duration);
      }
      if (!(rate >= 0) || Double.isInfinite(rate)) {
        throw new IllegalArgumentException("rate must be >= 0 (0 = closed loop), got " + rate);
      }
    }
  }

  /**
   * What one step measured.
   *
   * @param target the store ({@link YcsbtBench#ORDO}, {@link YcsbtBench#ORDO_SQL} or {@link
   *     YcsbtBench#POSTGRES})
   * @param offeredRate the open-loop rate in transfers/s, or 0 for closed loop
   * @param clients concurrent clients
   * @param inFlight transfers each client kept outstanding (1 unless pipelined)
   * @param windowSeconds length of the measured window
   * @param attempted transfers that completed in the window (any outcome)
   * @param committed transfers that committed in the window
   * @param aborts aborted transfers of the window by reason
   * @param errors transfers of the window whose outcome is unknown (RPC/SQL errors), by kind
   * @param retries internal retries of the window's transfers by reason (PostgreSQL SQLSTATE)
   * @param notIssued open loop: intended starts of the window never sent (clients too slow)
   * @param latency latencies of committed transfers of the window (ns)
   * @param cpu CPU use during the window
   * @param toLogMillis Ordo: per committed transfer, ms from its (intended) start to the
   *     LogAppendTime of its log record (gateway, sequencer, broker append); empty otherwise
   * @param afterLogMillis Ordo: ms from that LogAppendTime to the response (executor, results
   *     topic, gateway); empty otherwise
   */
  public record StepResult(
      String target,
      double offeredRate,
      int clients,
      int inFlight,
      double windowSeconds,
      long attempted,
      long committed,
      SortedMap<String, Long> aborts,
      SortedMap<String, Long> errors,
      SortedMap<String, Long> retries,
      long notIssued,
      Histogram latency,
      CpuMeter.Usage cpu,
      Histogram toLogMillis,
      Histogram afterLogMillis) {

    /** Committed transfers per second of the window. */
    public double committedPerSecond() {
      return committed / windowSeconds;
    }
  }

  private LoadRunner() {}

  /**
   * Runs one step.
   *
   * @param target name of the store, for the result
   * @param factory opens the clients' connections
   * @param workload the transfer generator
   * @param step the settings
   * @param cpu the CPU meter read at the window's start and end
   * @return the step's measurements
   * @throws Exception if a connection cannot be opened or a client thread fails unexpectedly
   */
  public static StepResult run(String target, ClientFactory factory, TransferWorkload workload,
      Step step, CpuMeter cpu) throws Exception {
    List<TransferClient> connections = new ArrayList<>();
    try {
      for (int i = 0; i < step.clients(); i++) {
        TransferClient c = factory.open();
        connections.add(c);
        if (step.inFlight() > 1 && !(c instanceof PipelinedTransferClient)) {
          throw new IllegalArgumentException(
              target + " has no pipelined client: it runs one transfer per client at a time");
        }
      }
      long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
      Window window = new Window(step.clients());
      List<Worker> workers = new ArrayList<>();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      for (int i = 0; i < step.clients(); i++) {
        Worker w = new Worker(i, connections.get(i), workload, step, t0, window);
        workers.add(w);
        w.thread.setUncaughtExceptionHandler((t, e) -> failure.compareAndSet(null, e));
      }
      workers.forEach(w -> w.thread.start());
      sleepUntil(t0 + step.warmup().toNanos());
      window.firstOutcomes.await(FIRST_OUTCOME_WAIT.toNanos(), TimeUnit.NANOSECONDS);
      CpuMeter.Snapshot before = cpu.snapshot();
      long windowEnd = window.open(step.duration());
      sleepUntil(windowEnd);
      CpuMeter.Snapshot after = cpu.snapshot();
      for (Worker w : workers) {
        w.thread.join();
      }
      if (failure.get() != null) {
        throw new IllegalStateException("a load-generator client failed", failure.get());
      }
      return merge(target, step, workers, cpu.between(before, after));
    } finally {
      for (TransferClient c : connections) {
        c.close();
      }
    }
  }

  private static StepResult merge(
      String target, Step step, List<Worker> workers, CpuMeter.Usage usage) {
    Histogram latency = newHistogram();
    Histogram toLog = newSplitHistogram();
    Histogram afterLog = newSplitHistogram();
    long attempted = 0;
    long committed = 0;
    long notIssued = 0;
    SortedMap<String, Long> aborts = new TreeMap<>();
    SortedMap<String, Long> errors = new TreeMap<>();
    SortedMap<String, Long> retries = new TreeMap<>();
    for (Worker w : workers) {
      // Pipelined outcomes are recorded on the clients' threads, under the worker's lock.
      synchronized (w) {
      latency.add(w.latency);
      toLog.add(w.toLog);
      afterLog.add(w.afterLog);
      attempted += w.attempted;
      committed += w.committed;
      notIssued += w.notIssued;
      w.aborts.forEach((k, v) -> aborts.merge(k, v, Long::sum));
      w.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
      w.retries.forEach((k, v) -> retries.merge(k, v, Long::sum));
      }
    }
    return new StepResult(target, step.rate(), step.clients(), step.inFlight(),
        step.duration().toNanos() / 1e9, attempted, committed, aborts, errors, retries,
        notIssued, latency, usage, toLog, afterLog);
  }

  static Histogram newHistogram() {
    return new Histogram(LATENCY_NANOS_MAX, 3);
  }

  /** A histogram of latency parts in ms (0 .. {@link #LATENCY_NANOS_MAX} in ms). */
  static Histogram newSplitHistogram() {
    return new Histogram(TimeUnit.NANOSECONDS.toMillis(LATENCY_NANOS_MAX), 2);
  }

  private static long clampSplit(long millis) {
    return Math.min(Math.max(0, millis), TimeUnit.NANOSECONDS.toMillis(LATENCY_NANOS_MAX));
  }

  private static void sleepUntil(long deadlineNanos) throws InterruptedException {
    for (long left = deadlineNanos - System.nanoTime(); left > 0;
        left = deadlineNanos - System.nanoTime()) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /**
   * The measured window, opened once by the step's thread after the warmup and the clients' first
   * outcomes; until then it contains no instant and has not ended.
   */
  private static final class Window {
    /** Counted down once per client at its first outcome. */
    final CountDownLatch firstOutcomes;
    private volatile boolean opened;
    private volatile long start;
    private volatile long end;

    Window(int clients) {
      this.firstOutcomes = new CountDownLatch(clients);
    }

    /** Opens the window now for {@code duration}; returns its end (System.nanoTime). */
    long open(Duration duration) {
      long now = System.nanoTime();
      start = now;
      end = now + duration.toNanos();
      opened = true;
      return end;
    }

    /** True iff the window is open and {@code t} (nanoTime) lies in [start, end). */
    boolean contains(long t) {
      return opened && t - start >= 0 && t - end < 0;
    }

    /** True iff the window was opened and {@code t} (nanoTime) is at or past its end. */
    boolean endedBy(long t) {
      return opened && t - end >= 0;
    }

    /** True iff the window was opened and {@code t} (nanoTime) is before its start. */
    boolean isBefore(long t) {
      return !opened || t - start < 0;
    }

    /** Waits until the window has been opened and has ended. */
    void awaitEnd() throws InterruptedException {
      while (!opened) {
        TimeUnit.MILLISECONDS.sleep(1);
      }
      sleepUntil(end);
    }
  }

  /** One client thread and what it counted. */
  private static final class Worker implements Runnable {
    final Thread thread;
    final Histogram latency = newHistogram();
    final Histogram toLog = newSplitHistogram();
    final Histogram afterLog = newSplitHistogram();
    final SortedMap<String, Long> aborts = new TreeMap<>();
    final SortedMap<String, Long> errors = new TreeMap<>();
    final SortedMap<String, Long> retries = new TreeMap<>();
    long attempted;
    long committed;
    long notIssued;
    private final int index;
    private final TransferClient client;
    private final TransferWorkload workload;
    private final Step step;
    private final long t0;
    private final Window window;
    private boolean hadOutcome;

    Worker(int index, TransferClient client, TransferWorkload workload, Step step, long t0,
        Window window) {
      this.index = index;
      this.client = client;
      this.workload = workload;
      this.step = step;
      this.t0 = t0;
      this.window = window;
      this.thread = new Thread(this, "ordo-bench-client-" + index);
      this.thread.setDaemon(true);
    }

    @Override
    public void run() {
      Random random = new Random(step.seed() * 1_000_003L + index);
      try {
        if (step.inFlight() > 1) {
          pipelined(random, (PipelinedTransferClient) client);
        } else if (step.rate() == 0) {
          closedLoop(random);
        } else {
          openLoop(random);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        // A client that ended (or failed) without an outcome must not hold the window shut.
        synchronized (this) {
          firstOutcome();
        }
      }
    }

    /** Counts this client's first outcome once (under the worker's lock). */
    private void firstOutcome() {
      if (!hadOutcome) {
        hadOutcome = true;
        window.firstOutcomes.countDown();
      }
    }

    private void closedLoop(Random random) throws InterruptedException {
      while (true) {
        long start = System.nanoTime();
        if (window.endedBy(start)) {
          return;
        }
        one(random, start);
      }
    }

    private void openLoop(Random random) throws InterruptedException {
      OpenSchedule schedule = new OpenSchedule();
      for (long intended = schedule.next(); intended != NO_MORE; intended = schedule.next()) {
        one(random, intended);
      }
    }

    /**
     * Submits transfers through {@code pipe}, closed loop (as fast as its window allows) or on
     * the open-loop schedule, recording each as it completes; at the window's end closes the
     * client, so transfers still out complete (as failures) after the window, uncounted.
     */
    private void pipelined(Random random, PipelinedTransferClient pipe)
        throws InterruptedException {
      OpenSchedule schedule = step.rate() == 0 ? null : new OpenSchedule();
      try {
        while (true) {
          long start;
          if (schedule == null) {
            start = System.nanoTime();
            if (window.endedBy(start)) {
              return;
            }
          } else {
            start = schedule.next();
            if (start == NO_MORE) {
              return;
            }
          }
          long s = start;
          pipe.submit(workload.next(random)).whenComplete((a, e) -> {
            synchronized (this) {
              record(s, e == null ? a
                  : TransferClient.Attempt.failed("CLIENT_" + e.getClass().getSimpleName()));
            }
          });
        }
        // (An open-loop schedule ends with its last start, before the window does.)
      } finally {
        try {
          // Transfers still out may complete in the window: wait for its end before closing.
          window.awaitEnd();
        } finally {
          pipe.close();
        }
      }
    }

    /** Marks the end of an open-loop schedule. */
    private static final long NO_MORE = Long.MIN_VALUE;

    /** This client's open-loop schedule: intended starts, waiting for each; counts not sent. */
    private final class OpenSchedule {
      private final double intervalNanos = step.clients() * 1e9 / step.rate();
      private long k;

      /** Waits until the next intended start and returns it; {@link #NO_MORE} past the window. */
      long next() {
        while (true) {
          long intended = t0 + (long) ((index / (double) step.clients() + k) * intervalNanos);
          k++;
          if (window.endedBy(intended)) {
            return NO_MORE;
          }
          long now = System.nanoTime();
          if (window.endedBy(now)) {
            // Out of time while behind: the rest of the schedule was never sent.
            if (!window.isBefore(intended)) {
              synchronized (Worker.this) {
                notIssued++;
              }
            }
            continue;
          }
          if (intended - now > 0) {
            LockSupport.parkNanos(intended - now);
            // parkNanos may return early; wait out the remainder.
            while (intended - System.nanoTime() > 0) {
              LockSupport.parkNanos(intended - System.nanoTime());
            }
          }
          return intended;
        }
      }
    }

    /**
     * Runs one transfer whose (intended) start is {@code start}; counts it if it completes in the
     * window.
     */
    private void one(Random random, long start) throws InterruptedException {
      TransferClient.Attempt a = client.execute(workload.next(random));
      synchronized (this) {
        record(start, a);
      }
    }

    /** Counts {@code a}, started (or intended to start) at {@code start}, if it ends now in the window. */
    private void record(long start, TransferClient.Attempt a) {
      long end = System.nanoTime();
      long endWallMillis = System.currentTimeMillis();
      firstOutcome();
      if (!window.contains(end)) {
        return;
      }
      attempted++;
      if (a.committed()) {
        committed++;
        latency.recordValue(Math.min(Math.max(0, end - start), LATENCY_NANOS_MAX));
        if (a.logAppendMillis() >= 0) {
          // Wall clocks of one machine (the broker stamps LogAppendTime), at ms resolution.
          long startWallMillis = endWallMillis - TimeUnit.NANOSECONDS.toMillis(end - start);
          toLog.recordValue(clampSplit(a.logAppendMillis() - startWallMillis));
          afterLog.recordValue(clampSplit(endWallMillis - a.logAppendMillis()));
        }
      } else if (a.abortReason() != null) {
        aborts.merge(a.abortReason(), 1L, Long::sum);
      } else {
        errors.merge(a.error() == null ? "UNKNOWN" : a.error(), 1L, Long::sum);
      }
      for (Map.Entry<String, Integer> e : a.retries().entrySet()) {
        retries.merge(e.getKey(), (long) e.getValue(), Long::sum);
      }
    }
  }
}
