package io.ordo.executor;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Triggers the embedded job's checkpoints while the log moves and none while it stands still.
 *
 * <p>Why: a checkpoint only bounds how much of the log a restore replays (replay is recovery;
 * the sinks are at-least-once and nothing waits for a checkpoint to become visible), so a
 * checkpoint of a job that read nothing new since the last one buys nothing — yet Flink's
 * periodic checkpoints cost an idle embedded Ordo about 2.5 % of a core (a full heap snapshot,
 * metadata files, RPCs and a Kafka offset commit every interval). Flink has no idle-aware
 * trigger, so the embedded executor sets the periodic interval out of reach and calls this
 * pacer instead. A job submitted with {@code flink run} keeps Flink's periodic checkpoints.
 *
 * <p>Rule, evaluated once per interval ({@link #tick}): observe the log's end offsets (one entry
 * per partition, in partition order); trigger a checkpoint when they differ from the previous
 * observation, and trigger one more after they first stand still (by then the job has processed
 * what was appended, so the restore point covers it); otherwise trigger nothing. The first tick
 * always triggers (a restore point right after start). At most one triggered checkpoint is in
 * flight: a tick while the previous one runs does nothing but observe. A failed trigger (the
 * job restarting, a checkpoint declined) is retried at the next tick. The replayed part of the
 * log after a crash therefore stays within about one interval of appends, as with periodic
 * checkpoints.
 *
 * <p>Idle back-off: once settled, each observation that finds the log still doubles the number
 * of ticks until the next one, up to {@value #IDLE_STRIDE_MAX} (so a long-idle job reads the end
 * offsets every 8 intervals, not every one: each read is a ListOffsets request to the broker and
 * a wake-up of the admin client, ~0.002 core at 1 s). The price is that the first checkpoint of a
 * new burst of appends may start up to {@value #IDLE_STRIDE_MAX} intervals after it began, so a
 * crash in that window replays that much more log; any movement resets the stride to 1.
 */
final class CheckpointPacer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointPacer.class);

  /** Most ticks between two observations of a settled (idle) log. */
  static final int IDLE_STRIDE_MAX = 8;

  private final Supplier<List<Long>> logEnds;
  private final Supplier<CompletableFuture<Long>> trigger;
  private final ScheduledExecutorService timer;
  private final Runnable onClose;

  private List<Long> lastEnds;
  private boolean settled;
  /** Ticks between observations while settled: 1, 2, 4, ... up to IDLE_STRIDE_MAX. */
  private int idleStride = 1;
  /** Settled ticks still to pass without observing the log. */
  private int ticksUntilLook;
  private long observations;
  private CompletableFuture<Long> inFlight = CompletableFuture.completedFuture(null);
  private long triggered;
  private long skipped;

  /**
   * @param logEnds the log topic's end offsets, one per partition in partition order; may throw
   *     (the tick is then skipped and logged)
   * @param trigger starts one checkpoint and completes with its id (or exceptionally)
   * @param onClose releases what {@code logEnds} uses (runs once, in {@link #close})
   */
  CheckpointPacer(Supplier<List<Long>> logEnds, Supplier<CompletableFuture<Long>> trigger, Runnable onClose) {
    this.logEnds = Objects.requireNonNull(logEnds, "logEnds");
    this.trigger = Objects.requireNonNull(trigger, "trigger");
    this.onClose = Objects.requireNonNull(onClose, "onClose");
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ordo-checkpoint-pacer");
              t.setDaemon(true);
              return t;
            });
  }

  /** Runs {@link #tick} every {@code intervalMs} milliseconds (> 0) until {@link #close}. */
  CheckpointPacer start(long intervalMs) {
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("intervalMs must be > 0, got " + intervalMs);
    }
    timer.scheduleWithFixedDelay(this::tickQuietly, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    return this;
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException e) {
      LOG.warn("checkpoint pacer: could not read the log's end offsets; trying again next interval: {}", e.toString());
    }
  }

  /**
   * One decision: observes the log ends and triggers a checkpoint if the rule says so.
   *
   * @return whether a checkpoint was triggered
   */
  synchronized boolean tick() {
    if (settled && ticksUntilLook > 0) {
      ticksUntilLook--;
      skipped++;
      return false;
    }
    List<Long> ends = List.copyOf(logEnds.get());
    observations++;
    boolean moved = !ends.equals(lastEnds);
    boolean wasSettled = settled;
    lastEnds = ends;
    if (moved) {
      settled = false;
      idleStride = 1;
    } else if (wasSettled) {
      idleStride = Math.min(idleStride * 2, IDLE_STRIDE_MAX);
      ticksUntilLook = idleStride - 1;
    }
    if (settled || !inFlight.isDone()) {
      skipped++;
      return false;
    }
    boolean settling = !moved;
    CompletableFuture<Long> started;
    try {
      started = trigger.get();
    } catch (RuntimeException e) {
      LOG.debug("checkpoint pacer: trigger refused: {}", e.toString());
      return false;
    }
    triggered++;
    inFlight =
        started.whenComplete(
            (id, e) -> {
              if (e != null) {
                LOG.debug("checkpoint pacer: checkpoint failed, retried next interval: {}", e.toString());
              } else if (settling) {
                markSettled(ends);
              }
            });
    return true;
  }

  /** The log stood still at {@code ends} and a checkpoint covering it completed. */
  private synchronized void markSettled(List<Long> ends) {
    if (ends.equals(lastEnds)) {
      settled = true;
    }
  }

  /** Checkpoints triggered so far. */
  synchronized long triggered() {
    return triggered;
  }

  /** Ticks that read the log's end offsets (the others were skipped by the idle back-off). */
  synchronized long observations() {
    return observations;
  }

  /** Ticks that triggered nothing (log still, or a checkpoint still running). */
  synchronized long skipped() {
    return skipped;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    onClose.run();
  }
}
