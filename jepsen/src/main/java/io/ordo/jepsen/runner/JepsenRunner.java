package io.ordo.jepsen.runner;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import io.ordo.jepsen.workload.Completion;
import io.ordo.jepsen.workload.Invocation;
import io.ordo.jepsen.workload.TxnClient;
import io.ordo.jepsen.workload.Workload;
import io.ordo.jepsen.report.WorkloadChecks;
import io.ordo.proto.Position;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one workload against Ordo and checks the history (Jepsen's test lifecycle, in one JVM).
 *
 * <p>Phases: {@link Workload#setup}; then for {@code timeLimitMs} the workers invoke operations
 * (closed loop, or taken from a bounded queue that a generator fills at the open-loop rate; an op
 * that finds the queue full is skipped and counted) while the nemesis thread starts and stops the
 * faults in turn every {@code nemesisIntervalMs}; then the nemesis heals, the runner waits {@code
 * recoveryWaitMs}, runs the final reads (each retried until ok, at most {@code
 * finalReadAttemptsMax} times) and runs the workload's checkers.
 *
 * <p>Process ids: worker i starts as process i; a worker whose op completes with info takes the
 * next unused id (Jepsen's rule: a crashed process never invokes again). Final reads use fresh ids.
 *
 * <p>The order of generated operations depends only on the seed (the generator runs under one
 * lock); which worker runs which operation, and so the history, depends on timing, as in Jepsen.
 */
public final class JepsenRunner {
  private static final Logger LOG = LoggerFactory.getLogger(JepsenRunner.class);
  /** How often idle workers look at the clock, in milliseconds. */
  static final long POLL_MS = 20;
  /** Extra time allowed for threads to end beyond the time limit and an op deadline, in ms. */
  static final long JOIN_MARGIN_MS = 10_000;
  /**
   * Extra time the nemesis thread may take beyond the workers' deadline, in ms: a transition that
   * began before the end (e.g. restarting every broker, the executor and the gateway) runs to its
   * end, bounded by the nemesis's own timeouts, and the run cannot heal before it has.
   */
  static final long NEMESIS_TRANSITION_MS_MAX = 300_000;

  private final LongSupplier nanoClock;

  /** A runner timed by {@link System#nanoTime}. */
  public JepsenRunner() {
    this(System::nanoTime);
  }

  /** A runner timed by {@code nanoClock} (monotonic nanoseconds). */
  public JepsenRunner(LongSupplier nanoClock) {
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Runs {@code workload}.
   *
   * @param runId prefix of every transaction id, unique per run against one cluster
   * @throws IllegalStateException if setup fails or the threads do not end in time
   * @throws InterruptedException if the calling thread is interrupted
   */
  public RunResult run(Workload workload, TxnClient client, RunConfig config, String runId) throws InterruptedException {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(config, "config");
    workload.setup(client, config.opDeadlineMs());
    HistoryRecorder recorder = new HistoryRecorder(nanoClock);
    Map<Long, Position> positions = new ConcurrentHashMap<>();
    AtomicLong nextProcess = new AtomicLong(config.concurrency());
    AtomicLong nextTxn = new AtomicLong();
    AtomicLong skipped = new AtomicLong();
    Random random = new Random(config.seed());
    Object generatorLock = new Object();
    long startNanos = nanoClock.getAsLong();
    long endNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(config.timeLimitMs());
    boolean openLoop = config.rateOpsPerSec() > 0;
    BlockingQueue<Invocation> queue = new ArrayBlockingQueue<>(config.queueCapacity());

    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int w = 0; w < config.concurrency(); w++) {
      long firstProcess = w;
      threads.add(thread("jepsen-worker-" + w, failures, () -> {
        long process = firstProcess;
        while (nanoClock.getAsLong() < endNanos) {
          Invocation inv;
          if (openLoop) {
            inv = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
            if (inv == null) {
              continue;
            }
          } else {
            synchronized (generatorLock) {
              inv = workload.next(random);
            }
          }
          Completion c = invokeOnce(workload, client, recorder, positions, process, runId + "-" + nextTxn.getAndIncrement(), inv,
              config.opDeadlineMs());
          if (c.crashesProcess()) {
            process = nextProcess.getAndIncrement();
          }
        }
      }));
    }
    if (openLoop) {
      long intervalNanos = Math.max(1, (long) (1e9 / config.rateOpsPerSec()));
      threads.add(thread("jepsen-generator", failures, () -> {
        long due = startNanos;
        while (true) {
          long now = nanoClock.getAsLong();
          if (now >= endNanos) {
            break;
          }
          if (now < due) {
            LockSupport.parkNanos(Math.min(due - now, endNanos - now));
            continue;
          }
          Invocation inv;
          synchronized (generatorLock) {
            inv = workload.next(random);
          }
          if (!queue.offer(inv)) {
            skipped.incrementAndGet();
          }
          due += intervalNanos;
        }
      }));
    }
    NemesisSchedule schedule = new NemesisSchedule(config.nemeses(), recorder, nanoClock, config.nemesisIntervalMs(), endNanos);
    Thread nemesisThread = null;
    if (!config.nemeses().isEmpty()) {
      nemesisThread = thread("jepsen-nemesis", failures, schedule::run);
      threads.add(nemesisThread);
    }
    for (Thread t : threads) {
      t.start();
    }
    long joinDeadlineNanos = endNanos + TimeUnit.MILLISECONDS.toNanos(config.opDeadlineMs() + config.nemesisIntervalMs() + JOIN_MARGIN_MS);
    for (Thread t : threads) {
      long deadline = t == nemesisThread ? joinDeadlineNanos + TimeUnit.MILLISECONDS.toNanos(NEMESIS_TRANSITION_MS_MAX) : joinDeadlineNanos;
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - nanoClock.getAsLong());
      t.join(Math.max(1, leftMs));
      if (t.isAlive()) {
        for (Thread other : threads) {
          other.interrupt();
        }
        throw new IllegalStateException("thread " + t.getName() + " did not end within the time limit plus margins");
      }
    }
    skipped.addAndGet(queue.size());
    queue.clear();
    // Heal whatever is still broken (the schedule may have ended mid-fault), then let it recover.
    schedule.healAll();
    if (!failures.isEmpty()) {
      IllegalStateException e = new IllegalStateException("a worker or the nemesis failed: " + failures.get(0));
      failures.forEach(e::addSuppressed);
      throw e;
    }
    Thread.sleep(config.recoveryWaitMs());
    for (Invocation read : workload.finalReads()) {
      for (int attempt = 0; attempt < config.finalReadAttemptsMax(); attempt++) {
        Completion c = invokeOnce(workload, client, recorder, positions, nextProcess.getAndIncrement(),
            runId + "-final-" + nextTxn.getAndIncrement(), read, config.opDeadlineMs());
        if (c.type() == OpType.OK) {
          break;
        }
      }
    }
    History history = recorder.history();
    long ok = 0;
    long fail = 0;
    long info = 0;
    for (Op op : history.clientOps()) {
      switch (op.type()) {
        case OK -> ok++;
        case FAIL -> fail++;
        case INFO -> info++;
        default -> { }
      }
    }
    LOG.info("{}: {} ok, {} fail, {} info, {} skipped; checking", workload.name(), ok, fail, info, skipped.get());
    WorkloadChecks checks = workload.check(history, positions);
    return new RunResult(workload.name(), config, history, checks, ok, fail, info, skipped.get());
  }

  private static Completion invokeOnce(
      Workload workload, TxnClient client, HistoryRecorder recorder, Map<Long, Position> positions, long process, String txnId,
      Invocation inv, long deadlineMs) {
    Op invoke = recorder.invoke(process, inv.f(), inv.value());
    Completion c;
    try {
      c = workload.execute(client, txnId, inv, deadlineMs);
    } catch (RuntimeException e) {
      // A client-side surprise (e.g. an answer of an unexpected shape): the op may have happened.
      c = new Completion(OpType.INFO, inv.value(), "client error: " + e, null);
    }
    Op done = recorder.complete(invoke, c.type(), c.value(), c.error());
    if (c.type() == OpType.OK && c.position() != null) {
      positions.put(done.index(), c.position());
    }
    return c;
  }

  private interface Body {
    void run() throws Exception;
  }

  private static Thread thread(String name, List<Throwable> failures, Body body) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception | Error e) {
        LOG.error("{} failed", name, e);
        failures.add(e);
      }
    }, name);
    t.setDaemon(true);
    return t;
  }
}
