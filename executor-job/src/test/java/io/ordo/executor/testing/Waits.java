package io.ordo.executor.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded polling for conditions that have no notification (files on disk, counters). */
public final class Waits {
  /** Pause between two evaluations of the condition. */
  public static final long POLL_INTERVAL_MS = 20;

  private Waits() {}

  /**
   * Returns once {@code condition} holds, evaluating it every {@value #POLL_INTERVAL_MS} ms.
   *
   * @param what describes the condition for the failure message
   * @param state describes the current state for the failure message (evaluated on timeout only)
   * @throws AssertionError if it does not hold within {@code timeout}
   */
  public static void until(String what, BooleanSupplier condition, Duration timeout, Supplier<String> state)
      throws InterruptedException {
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadlineNs >= 0) {
        throw new AssertionError("not true within " + timeout.toMillis() + " ms: " + what + " (" + state.get() + ")");
      }
      Thread.sleep(POLL_INTERVAL_MS);
    }
  }
}
