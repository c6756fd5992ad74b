package io.ordo.gateway.core;

import io.ordo.sequencer.HeartbeatService;

/**
 * Tracks whether the sequencer's producer reaches the log, from what this gateway sees: the
 * outcome of its own appends and, when it sends heartbeats, whether heartbeats are acknowledged.
 *
 * <p>The producer is "up" while it is open, the latest transaction append did not fail, and —
 * with heartbeats — heartbeats were acknowledged since the previous check or none failed. The
 * Kafka producer exposes no connectivity probe, and its failures surface only when a send times
 * out, so this is a trailing signal; an idle gateway sends no heartbeats (quiet mode), so while
 * idle only the last append's outcome counts. {@link #describe} also reports the heartbeat counts
 * (the gateway's metrics {@code ordo.sequencer.heartbeats.sent} and {@code .failed}) and whether
 * the heartbeats are quiet. Thread-safe.
 */
public final class SequencerHealth {
  private final HeartbeatService heartbeats; // null when this gateway sends none
  private boolean closed; // guarded by this
  private String lastAppendError = ""; // guarded by this; empty after a success
  private long lastHeartbeatsSent; // guarded by this
  private long lastHeartbeatsFailed; // guarded by this
  private boolean heartbeatsOk = true; // guarded by this

  /**
   * @param heartbeats the heartbeat service of this gateway, or null if it sends none
   */
  public SequencerHealth(HeartbeatService heartbeats) {
    this.heartbeats = heartbeats;
  }

  /** Records a transaction append the broker acknowledged. */
  public synchronized void appendSucceeded() {
    lastAppendError = "";
  }

  /** Records a failed transaction append. */
  public synchronized void appendFailed(Throwable error) {
    lastAppendError = String.valueOf(error);
  }

  /** Records that the sequencer was closed. */
  public synchronized void markClosed() {
    closed = true;
  }

  /** Whether the producer looks up now (see the class comment). */
  public synchronized boolean isUp() {
    refreshHeartbeats();
    return !closed && lastAppendError.isEmpty() && heartbeatsOk;
  }

  /** A one-line description for health reports. */
  public synchronized String describe() {
    refreshHeartbeats();
    StringBuilder sb = new StringBuilder("sequencer ");
    if (closed) {
      sb.append("closed");
    } else if (!lastAppendError.isEmpty()) {
      sb.append("down: last append failed: ").append(lastAppendError);
    } else if (!heartbeatsOk) {
      sb.append("down: heartbeats are failing");
    } else {
      sb.append("up");
    }
    if (heartbeats != null) {
      sb.append(" (heartbeats every ")
          .append(heartbeats.intervalMs())
          .append(" ms while transactions need them, now ")
          .append(heartbeats.isQuiet() ? "quiet" : "sending")
          .append(": ")
          .append(lastHeartbeatsSent)
          .append(" sent, ")
          .append(lastHeartbeatsFailed)
          .append(" failed)");
    } else {
      sb.append(" (this gateway sends no heartbeats)");
    }
    return sb.toString();
  }

  private void refreshHeartbeats() {
    if (heartbeats == null) {
      return;
    }
    long sent = heartbeats.sentCount();
    long failed = heartbeats.failedCount();
    if (sent > lastHeartbeatsSent) {
      heartbeatsOk = true;
    } else if (failed > lastHeartbeatsFailed) {
      heartbeatsOk = false;
    }
    // Neither moved: keep the previous verdict (checks may come faster than heartbeat acks).
    lastHeartbeatsSent = sent;
    lastHeartbeatsFailed = failed;
  }
}
