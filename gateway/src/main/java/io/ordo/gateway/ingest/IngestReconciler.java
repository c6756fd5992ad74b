package io.ordo.gateway.ingest;

import io.ordo.gateway.core.BackgroundThreads;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this gateway's Kafka ingest bridges ({@link IngestManager}) in line with the stream
 * catalog: every {@code intervalMs}, and soon after this gateway creates or deletes a stream
 * ({@link #catalogChanged}), it reads the catalog (from the local store, see {@link
 * StreamCatalogSource}), ensures a bridge for every stream and removes the bridges of streams
 * that are gone. Streams created through other gateways are picked up by the periodic round. The
 * store may not have materialized a change yet when {@link #catalogChanged} runs, so until the
 * catalog read differs from the one before, the round is repeated every {@value
 * #CATCH_UP_STEP_MS} ms, at most {@value #CATCH_UP_ROUNDS_MAX} times.
 *
 * <p>One thread; a wake-up while a round is pending is coalesced with it. Failures (the log
 * unavailable, {@link IngestManager#BRIDGES_MAX} reached) are logged and retried next round.
 */
public final class IngestReconciler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IngestReconciler.class);

  /** Default time between rounds, in ms. */
  public static final long DEFAULT_INTERVAL_MS = 5_000;

  /** Pause between the rounds that follow {@link #catalogChanged}, in ms. */
  static final long CATCH_UP_STEP_MS = 100;

  /** Most rounds one {@link #catalogChanged} runs. */
  static final int CATCH_UP_ROUNDS_MAX = 30;

  private final Supplier<List<String>> catalog;
  private final IngestManager manager;
  private final long intervalMs;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private volatile List<String> lastNames = List.of(); // written by the timer thread

  /**
   * @param catalog reads the stream names (e.g. a {@link StreamCatalogSource})
   * @param manager the bridges (closed by its owner after this)
   * @param intervalMs time between rounds, &gt; 0
   */
  public IngestReconciler(Supplier<List<String>> catalog, IngestManager manager, long intervalMs) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.manager = Objects.requireNonNull(manager, "manager");
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("intervalMs must be > 0, got " + intervalMs);
    }
    this.intervalMs = intervalMs;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            BackgroundThreads.named("ordo-stream-ingest-reconciler"));
  }

  /** Schedules the rounds, the first at once. */
  public void start() {
    timer.scheduleWithFixedDelay(this::roundQuietly, 0, intervalMs, TimeUnit.MILLISECONDS);
  }

  /** Runs a round soon (a stream was created or deleted through this gateway). */
  public void catalogChanged() {
    if (wakeupPending.compareAndSet(false, true)) {
      List<String> before = lastNames;
      try {
        timer.execute(
            () -> {
              wakeupPending.set(false);
              catchUp(before, CATCH_UP_ROUNDS_MAX);
            });
      } catch (RejectedExecutionException e) {
        // Closing.
      }
    }
  }

  private void catchUp(List<String> before, int roundsLeft) {
    roundQuietly();
    if (roundsLeft > 1 && lastNames.equals(before)) {
      try {
        timer.schedule(
            () -> catchUp(before, roundsLeft - 1), CATCH_UP_STEP_MS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // Closing.
      }
    }
  }

  private void roundQuietly() {
    try {
      round();
    } catch (RuntimeException e) {
      LOG.warn("ingest reconciliation failed; the next round retries: {}", e.toString());
    }
  }

  private void round() {
    List<String> names = catalog.get();
    lastNames = names;
    Set<String> wanted = new TreeSet<>(names);
    for (String stream : manager.streams()) {
      if (!wanted.contains(stream)) {
        manager.remove(stream);
      }
    }
    int refused = 0;
    String reason = null;
    for (String stream : wanted) {
      try {
        manager.ensure(stream);
      } catch (IllegalStateException | IllegalArgumentException e) {
        refused++;
        reason = e.getMessage();
      }
    }
    if (refused > 0) {
      // One line per round, not one per stream: there may be thousands.
      LOG.warn("{} streams have no ingest bridge on this gateway; the last reason: {}", refused, reason);
    }
  }

  /** Stops the rounds (a round in progress is interrupted). */
  @Override
  public void close() {
    BackgroundThreads.stopNow(timer, 2_000);
  }
}
