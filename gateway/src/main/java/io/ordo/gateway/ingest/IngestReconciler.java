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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this gateway's Kafka ingest bridges ({@link IngestManager}) in line with the stream
 * catalog: every {@code intervalMs}, and soon after this gateway creates or deletes a stream
 * ({@link #catalogChanged}), it reads the catalog through the log, ensures a bridge for every
 * stream and removes the bridges of streams that are gone. Streams created through other
 * gateways are picked up by the periodic round.
 *
 * <p>One thread; a wake-up while a round is pending is coalesced with it. Failures (the log
 * unavailable, {@link IngestManager#BRIDGES_MAX} reached) are logged and retried next round.
 */
public final class IngestReconciler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IngestReconciler.class);

  /** Default time between rounds, in ms. */
  public static final long DEFAULT_INTERVAL_MS = 5_000;

  private final StreamMetadataReader reader;
  private final IngestManager manager;
  private final long intervalMs;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean wakeupPending = new AtomicBoolean();

  /**
   * @param reader reads the catalog
   * @param manager the bridges (closed by its owner after this)
   * @param intervalMs time between rounds, &gt; 0
   */
  public IngestReconciler(StreamMetadataReader reader, IngestManager manager, long intervalMs) {
    this.reader = Objects.requireNonNull(reader, "reader");
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
      try {
        timer.execute(
            () -> {
              wakeupPending.set(false);
              roundQuietly();
            });
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
    String catalogKey = StreamKeys.streamCatalog();
    List<String> names = StreamMetadataReader.names(reader.get(List.of(catalogKey)).join().get(catalogKey));
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
