package io.ordo.sequencer;

import io.ordo.proto.Heartbeat;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a {@link Heartbeat} entry to every partition of the log topic every {@code intervalMs} so
 * that idle partitions' watermarks move (docs/design.md, "Heartbeats"); the interval is the latency
 * floor of the executor.
 *
 * <p>One daemon thread named {@code ordo-heartbeat-<origin>}. Each round appends one heartbeat
 * per partition (partition 0 first) with a per-service sequence number. Bounded: a round is
 * skipped while more than {@code 2 * logPartitions} heartbeats are unacknowledged, so at most
 * {@code 3 * logPartitions} are ever pending. Send errors (broker down, producer closed) are
 * counted and logged at most once per {@value #ERROR_LOG_INTERVAL_MS} ms; the thread never dies of
 * them.
 *
 * <p>Suppression: a partition to which the same {@link Sequencer} appended a transaction since the
 * previous round gets no heartbeat in this round — that transaction's broker timestamp moves the
 * partition's watermark just as well. Under load the heartbeats thus mostly vanish from the log
 * (fewer records for the broker and the executor to carry); an idle partition still gets one per
 * interval, and a partition whose appends stop gets one at most one round later.
 *
 * <p>Quiet mode ({@code quietAfterMs > 0}): rounds run only until this sequencer's transactions
 * are covered ({@link AppendCoverage}): no transaction append is unanswered and every partition
 * has acknowledged an entry stamped after the newest transaction. That closes the log timestamps
 * of everything this gateway appended, which is all heartbeats are for; a lone transaction thus
 * costs a few rounds (about 15 heartbeats with 4 partitions), and an idle gateway writes nothing
 * to the log, which is kept forever (at a 2 ms interval always-on heartbeats would add 2,000
 * records/s to it per gateway). Rounds never stop while a transaction's timestamp is open — the
 * executor would wait for it until the next append — so a slow broker or a partition leader whose
 * clock is behind keeps them going; while the broker acknowledges nothing at all for {@code
 * quietAfterMs} (down, paused) they slow to one probe round per {@code quietAfterMs}, and run at
 * the interval again at the first look after an answer. After a failed append, whose timestamp is
 * unknown, rounds go on for {@code quietAfterMs}. A new service sends rounds until every partition acknowledged one entry (closing what a previous
 * process left open). While quiet the thread sleeps until the sequencer's next transaction event
 * wakes it (at most {@value #QUIET_RECHECK_MS} ms), so an idle gateway also spends no CPU here.
 * Entries appended to the log by other writers than a sequencer with a heartbeat service need an
 * always-on service ({@code quietAfterMs = 0}).
 *
 * <p>The schedule uses the monotonic clock ({@link System#nanoTime()}); heartbeats carry no time,
 * the broker stamps them, so nothing the executor decides depends on this clock.
 */
public final class HeartbeatService implements AutoCloseable {
  /**
   * The default interval between rounds, in ms. Calvin's epochs are 10 ms; 2 ms bounds the wait
   * for a quiet partition's watermark by 2 ms, and a busy partition costs nothing (its round is
   * skipped).
   */
  public static final long DEFAULT_INTERVAL_MS = 2;

  /**
   * A gateway's quiet period, in ms (at least 10 intervals): rounds go on this long after a failed
   * append, and slow to one probe per period once the broker acknowledged nothing for this long.
   */
  public static final long DEFAULT_QUIET_AFTER_MS = 1_000;

  /** The longest interval accepted (one minute): longer ones would stall the executor. */
  public static final long INTERVAL_MS_MAX = 60_000;

  /** Send errors are logged at most this often. */
  public static final long ERROR_LOG_INTERVAL_MS = 10_000;

  /** While quiet, the thread re-checks at least this often, in ms (it is woken by appends). */
  public static final long QUIET_RECHECK_MS = 10_000;

  /** How far past a millisecond boundary an aligned round is sent (see alignedRoundNs), in ns. */
  static final long ALIGN_MARGIN_NS = 50_000;

  /** How long {@link #close()} waits for the thread to stop. */
  public static final long CLOSE_TIMEOUT_MS = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatService.class);

  private final Sequencer sequencer;
  private final long intervalMs;
  private final String origin;
  private final int partitions;
  private final int unackedMax;
  private final Thread thread;
  private final Object lock = new Object();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong unacked = new AtomicLong();
  private final AtomicLong skippedRounds = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();
  private final AtomicLong quietPeriods = new AtomicLong();
  private final AtomicLong probeRounds = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final long quietAfterNs;
  private volatile boolean parked; // looking whether to park, or parked (listener handshake)
  private volatile boolean quiet; // parked because nothing needs rounds
  private volatile boolean awaitingRound; // waiting for the next round (an event may bring it forward)

  private boolean started; // guarded by lock
  private boolean stopping; // guarded by lock
  private long sequence; // only touched by the heartbeat thread
  private final long[] appendsSeen; // only touched by the heartbeat thread
  private long lastHanded = -1; // only touched by the heartbeat thread
  private long lastCompleted = -1; // only touched by the heartbeat thread
  private long lastFailed; // only touched by the heartbeat thread
  private long lastAcked = -1; // only touched by the heartbeat thread
  private long alignedFor = Long.MIN_VALUE; // only touched by the heartbeat thread
  private long lastProgressNs; // only touched by the heartbeat thread
  private long lastProbeNs; // only touched by the heartbeat thread
  private boolean stallWarned; // only touched by the heartbeat thread
  private long lastFailureNs; // only touched by the heartbeat thread
  private boolean failureSeen; // only touched by the heartbeat thread
  private long lastErrorLogNs; // guarded by synchronized logError
  private boolean errorLogged; // guarded by synchronized logError
  private long errorsSinceLog; // guarded by synchronized logError

  /**
   * Creates a stopped service; call {@link #start()}.
   *
   * @param sequencer appends the heartbeats; not closed by this service
   * @param intervalMs pause between rounds in milliseconds, in [1, {@value #INTERVAL_MS_MAX}]
   * @param origin identifies this process in the heartbeats (diagnostics only), not null
   * @throws IllegalArgumentException if intervalMs is out of range
   */
  public HeartbeatService(Sequencer sequencer, long intervalMs, String origin) {
    this(sequencer, intervalMs, origin, 0);
  }

  /**
   * Creates a stopped service that goes quiet when its sequencer is idle; call {@link #start()}.
   *
   * @param sequencer appends the heartbeats; not closed by this service
   * @param intervalMs pause between rounds in milliseconds, in [1, {@value #INTERVAL_MS_MAX}]
   * @param origin identifies this process in the heartbeats (diagnostics only), not null
   * @param quietAfterMs the quiet period (see the class comment): 0 (always on) or in [10 *
   *     intervalMs, 10 * {@value #INTERVAL_MS_MAX}]
   * @throws IllegalArgumentException if a value is out of range
   */
  public HeartbeatService(Sequencer sequencer, long intervalMs, String origin, long quietAfterMs) {
    this.sequencer = Objects.requireNonNull(sequencer, "sequencer");
    if (quietAfterMs != 0 && (quietAfterMs < 10 * intervalMs || quietAfterMs > 10 * INTERVAL_MS_MAX)) {
      throw new IllegalArgumentException(
          "quietAfterMs must be 0 or in [10 * intervalMs, " + 10 * INTERVAL_MS_MAX + "], got " + quietAfterMs
              + " with intervalMs " + intervalMs);
    }
    this.quietAfterNs = TimeUnit.MILLISECONDS.toNanos(quietAfterMs);
    this.origin = Objects.requireNonNull(origin, "origin");
    if (intervalMs < 1 || intervalMs > INTERVAL_MS_MAX) {
      throw new IllegalArgumentException(
          "intervalMs must be in [1, " + INTERVAL_MS_MAX + "], got " + intervalMs);
    }
    this.intervalMs = intervalMs;
    this.partitions = sequencer.layout().logPartitions();
    this.unackedMax = 2 * partitions;
    this.appendsSeen = new long[partitions];
    this.thread = new Thread(this::run, "ordo-heartbeat-" + origin);
    this.thread.setDaemon(true);
  }

  /**
   * Starts the thread.
   *
   * @throws IllegalStateException if already started or closed
   */
  public void start() {
    synchronized (lock) {
      if (started || stopping) {
        throw new IllegalStateException("HeartbeatService can be started only once");
      }
      started = true;
    }
    if (quietAfterNs > 0) {
      sequencer.coverage().onTransactionEvent(this::transactionEvent);
    }
    thread.start();
  }

  /** Heartbeats the broker has acknowledged so far. */
  public long sentCount() {
    return sent.get();
  }

  /** Heartbeats that failed (send error or broker error) so far. */
  public long failedCount() {
    return failed.get();
  }

  /** Rounds skipped because too many heartbeats were unacknowledged. */
  public long skippedRoundCount() {
    return skippedRounds.get();
  }

  /** Heartbeats not sent because a transaction had been appended to their partition meanwhile. */
  public long suppressedCount() {
    return suppressed.get();
  }

  /** Times the rounds stopped because every transaction was covered or long past (quiet mode). */
  public long quietPeriodCount() {
    return quietPeriods.get();
  }

  /**
   * Probe rounds sent so far (quiet mode): rounds while transactions' timestamps were open but the
   * broker had acknowledged nothing for the quiet period, one per period.
   */
  public long probeRoundCount() {
    return probeRounds.get();
  }

  /** Whether the rounds are stopped now (quiet mode, nothing to cover). */
  public boolean isQuiet() {
    return quiet;
  }

  /** The interval between rounds, in milliseconds. */
  public long intervalMs() {
    return intervalMs;
  }

  /**
   * Stops the thread and waits up to {@value #CLOSE_TIMEOUT_MS} ms for it to end. Heartbeats
   * already handed to the sequencer may still complete afterwards. Idempotent.
   */
  @Override
  public void close() {
    boolean wasStarted;
    synchronized (lock) {
      stopping = true;
      wasStarted = started;
      lock.notifyAll();
    }
    if (!wasStarted) {
      return;
    }
    try {
      thread.join(CLOSE_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn("Heartbeat thread {} did not stop within {} ms", thread.getName(), CLOSE_TIMEOUT_MS);
    }
  }

  private void run() {
    long intervalNs = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    long nextRoundNs = System.nanoTime();
    lastProgressNs = nextRoundNs;
    lastProbeNs = nextRoundNs - quietAfterNs;
    while (true) {
      synchronized (lock) {
        // Wait for the next round; a wait on the lock (not sleep/interrupt) lets close() wake
        // the thread without interrupting a producer call, which Kafka would turn into an error.
        long waitNs;
        awaitingRound = true;
        while (!stopping && (waitNs = Math.min(nextRoundNs, alignedRoundNs()) - System.nanoTime()) > 0) {
          try {
            TimeUnit.NANOSECONDS.timedWait(lock, waitNs);
          } catch (InterruptedException e) {
            return;
          }
        }
        awaitingRound = false;
        if (stopping) {
          return;
        }
        if (quietAfterNs > 0) {
          // Announce the park before looking: an event after this either shows in the counters
          // read by need() or in `events`, or its listener sees `parked` and notifies.
          parked = true;
          long seen = events.get();
          long nowNs = System.nanoTime();
          Need need = need(nowNs);
          long untilNs = 0;
          if (need == Need.NONE) {
            if (!quiet) {
              quiet = true;
              quietPeriods.incrementAndGet();
            }
            untilNs = nowNs + TimeUnit.MILLISECONDS.toNanos(QUIET_RECHECK_MS);
          } else if (need == Need.PROBE && nowNs - lastProbeNs < quietAfterNs) {
            untilNs = lastProbeNs + quietAfterNs;
          }
          if (untilNs != 0) {
            while (!stopping && events.get() == seen && (waitNs = untilNs - System.nanoTime()) > 0) {
              try {
                TimeUnit.NANOSECONDS.timedWait(lock, waitNs);
              } catch (InterruptedException e) {
                return;
              }
            }
            parked = false;
            // Woken by an event, the re-check or the next probe: look again before sending. A
            // transaction just handed is stamped now or later, so a round now would mostly be
            // stamped in the same millisecond and close nothing: the first round comes when its
            // acknowledgement is in and the broker's clock has passed its timestamp
            // (alignedRoundNs), or one interval from now, whichever is first.
            nextRoundNs = System.nanoTime() + (events.get() != seen ? intervalNs : 0);
            continue;
          }
          if (need == Need.PROBE) {
            lastProbeNs = nowNs;
            probeRounds.incrementAndGet();
          }
          quiet = false;
          parked = false;
        }
      }
      AppendCoverage coverage = sequencer.coverage();
      long newest = coverage.newestTransactionTs();
      // Every transaction answered and the wall clock past the newest one's stamp: this round
      // closes it, so it goes exactly to the partitions that have not closed it yet (the
      // suppression below assumes a recent append there will, which an answered one did not).
      boolean closing = coverage.allAnswered() && newest != Long.MIN_VALUE && System.currentTimeMillis() > newest;
      if (closing) {
        alignedFor = Math.max(alignedFor, newest);
      }
      if (unacked.get() > unackedMax) {
        skippedRounds.incrementAndGet();
      } else {
        sendRound(closing ? newest : Long.MIN_VALUE);
      }
      // Fixed rate without catch-up bursts: after a stall, the next round is one interval later.
      nextRoundNs = Math.max(nextRoundNs + intervalNs, System.nanoTime());
    }
  }

  /**
   * When the next round is due because a transaction's timestamp can now be closed, on the
   * {@link System#nanoTime()} scale; {@link Long#MAX_VALUE} if none is. The executor runs a
   * transaction stamped {@code T} once every partition holds an entry stamped after {@code T}
   * (AppendCoverage), so the round that closes it is the first one the broker stamps {@code T + 1}
   * or later: the one sent once the transaction is acknowledged (its stamp known) and the wall
   * clock has passed {@code T}. Only while no transaction is in flight (light load: the next
   * append's acknowledgement would start another one); under load the rounds keep their interval
   * and mostly vanish by suppression. The wall clock only times a round (the broker stamps the
   * heartbeats), and a broker clock ahead of this one delays it at most until the next interval.
   */
  private long alignedRoundNs() {
    AppendCoverage coverage = sequencer.coverage();
    if (!coverage.allAnswered()) {
      return Long.MAX_VALUE;
    }
    long newest = coverage.newestTransactionTs();
    if (newest == Long.MIN_VALUE || newest <= alignedFor) {
      return Long.MAX_VALUE;
    }
    java.time.Instant now = java.time.Instant.now();
    long wallNs = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    // A little past the millisecond boundary, so that a broker clock a few microseconds behind
    // this one still stamps the next millisecond.
    long untilBoundaryNs = (newest + 1) * 1_000_000L + ALIGN_MARGIN_NS - wallNs;
    return System.nanoTime() + Math.max(0, untilBoundaryNs);
  }

  /** Called on every transaction event of the sequencer (any thread; must not block long). */
  private void transactionEvent() {
    events.incrementAndGet();
    if (parked || awaitingRound) {
      synchronized (lock) {
        lock.notifyAll();
      }
    }
  }

  /** What quiet mode needs from the next round (see {@link #need}). */
  private enum Need {
    /** Covered and no recent failure: park until the next transaction event. */
    NONE,
    /** Rounds at the interval. */
    ROUNDS,
    /** Not covered, but the broker acknowledged nothing for the quiet period: one round per period. */
    PROBE
  }

  /**
   * Quiet mode: what is needed now (see the class comment). Rounds run while the transactions are
   * not covered or within {@code quietAfterMs} of a failed append; they slow to one probe round
   * per quiet period while nothing (no transaction event, no acknowledgement of any entry) has
   * happened for {@code quietAfterMs}, and never stop while a transaction's timestamp is open:
   * the executor would wait for it until the next append.
   */
  private Need need(long nowNs) {
    AppendCoverage coverage = sequencer.coverage();
    long completed = coverage.completed();
    long handed = coverage.handed();
    long acked = coverage.acked();
    long failed = coverage.failed();
    if (handed != lastHanded || completed != lastCompleted || acked != lastAcked) {
      lastHanded = handed;
      lastCompleted = completed;
      lastAcked = acked;
      lastProgressNs = nowNs;
    }
    if (failed != lastFailed) {
      lastFailed = failed;
      lastFailureNs = nowNs;
      failureSeen = true;
    }
    if (failureSeen && nowNs - lastFailureNs < quietAfterNs) {
      return Need.ROUNDS;
    }
    if (coverage.covered()) {
      stallWarned = false;
      return Need.NONE;
    }
    if (nowNs - lastProgressNs < quietAfterNs) {
      return Need.ROUNDS;
    }
    if (!stallWarned) {
      stallWarned = true;
      LOG.warn(
          "Heartbeats from {}: transactions' timestamps are open and the broker acknowledged nothing"
              + " for {} ms; one probe round per {} ms until it answers",
          origin, TimeUnit.NANOSECONDS.toMillis(nowNs - lastProgressNs),
          TimeUnit.NANOSECONDS.toMillis(quietAfterNs));
    }
    return Need.PROBE;
  }

  /**
   * One heartbeat per partition, except: with {@code closingTs} set (not {@link Long#MIN_VALUE}),
   * only to partitions whose newest acknowledged entry is not later than it; otherwise not to
   * partitions with a transaction appended since the previous round.
   */
  private void sendRound(long closingTs) {
    AppendCoverage coverage = sequencer.coverage();
    for (int partition = 0; partition < partitions; partition++) {
      long appends = sequencer.transactionAppends(partition);
      boolean appended = appends != appendsSeen[partition];
      appendsSeen[partition] = appends;
      if (closingTs != Long.MIN_VALUE ? coverage.ackedTs(partition) > closingTs : appended) {
        suppressed.incrementAndGet();
        continue;
      }
      Heartbeat heartbeat = Heartbeat.newBuilder().setOrigin(origin).setSequence(sequence++).build();
      unacked.incrementAndGet();
      try {
        sequencer
            .appendHeartbeat(partition, heartbeat)
            .whenComplete(
                (position, error) -> {
                  unacked.decrementAndGet();
                  if (error == null) {
                    sent.incrementAndGet();
                  } else {
                    failed.incrementAndGet();
                    logError(error);
                  }
                });
      } catch (RuntimeException e) {
        unacked.decrementAndGet();
        failed.incrementAndGet();
        logError(e);
      }
    }
  }

  private synchronized void logError(Throwable error) {
    long nowNs = System.nanoTime();
    errorsSinceLog++;
    if (!errorLogged
        || nowNs - lastErrorLogNs >= TimeUnit.MILLISECONDS.toNanos(ERROR_LOG_INTERVAL_MS)) {
      LOG.warn(
          "Heartbeat from {} failed ({} failures since the last report): {}",
          origin, errorsSinceLog, error.toString());
      errorLogged = true;
      lastErrorLogNs = nowNs;
      errorsSinceLog = 0;
    }
  }
}
