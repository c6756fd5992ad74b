package io.ordo.jepsen.runner;

import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Jepsen's staggered fault schedule: wait an interval, start nemesis 1, wait, stop it, wait, start
 * nemesis 2, ... round-robin until the end of the run. Each wait counts from the end of the
 * previous transition (as Jepsen's {@code gen/sleep} does), so a transition that takes long, such as
 * restarting a broker, does not shorten the next fault or the quiet time after it. Each transition is recorded as a nemesis
 * invoke and an info completion ({@code :start-<name>} / {@code :stop-<name>}), whose value is what
 * the nemesis returned (e.g. which node it hit) and whose error says why a transition failed.
 */
final class NemesisSchedule {
  private final List<Nemesis> nemeses;
  private final HistoryRecorder recorder;
  private final LongSupplier nanoClock;
  private final long intervalNanos;
  private final long endNanos;
  private Nemesis active;

  NemesisSchedule(List<Nemesis> nemeses, HistoryRecorder recorder, LongSupplier nanoClock, long intervalMs, long endNanos) {
    this.nemeses = nemeses;
    this.recorder = recorder;
    this.nanoClock = nanoClock;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    this.endNanos = endNanos;
  }

  void run() throws InterruptedException {
    int next = 0;
    long due = nanoClock.getAsLong() + intervalNanos;
    while (true) {
      long now = nanoClock.getAsLong();
      if (due >= endNanos) {
        // The next transition would fall after the run: stay as we are; healAll stops it.
        long left = endNanos - now;
        if (left > 0) {
          TimeUnit.NANOSECONDS.sleep(left);
        }
        return;
      }
      if (now < due) {
        TimeUnit.NANOSECONDS.sleep(due - now);
        continue;
      }
      synchronized (this) {
        if (active == null) {
          Nemesis n = nemeses.get(next);
          next = (next + 1) % nemeses.size();
          transition(n, true);
          active = n;
        } else {
          transition(active, false);
          active = null;
        }
      }
      due = nanoClock.getAsLong() + intervalNanos;
    }
  }

  /** Stops the active fault, if any. */
  synchronized void healAll() {
    if (active != null) {
      transition(active, false);
      active = null;
    }
  }

  private void transition(Nemesis n, boolean start) {
    Op invoke = recorder.invoke(Op.NEMESIS, (start ? "start-" : "stop-") + n.name(), null);
    String error = null;
    Object value = null;
    try {
      value = start ? n.start() : n.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted";
    } catch (Exception e) {
      error = e.toString();
    }
    recorder.complete(invoke, OpType.INFO, value, error);
  }
}
