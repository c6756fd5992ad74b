package io.ordo.gateway.core;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Threads of the gateway's background work (retention, ingest reconciliation, reads): daemons, so
 * a gateway that was not closed never keeps its JVM alive, and named, so a thread dump says whose
 * they are.
 */
public final class BackgroundThreads {
  private BackgroundThreads() {}

  /** A factory of daemon threads that are all called {@code name} (for one-thread executors). */
  public static ThreadFactory named(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Interrupts {@code executor}'s tasks and waits up to {@code waitMs} milliseconds for them to
   * end; an interrupt of the caller ends the wait early (and is kept).
   */
  public static void stopNow(ExecutorService executor, long waitMs) {
    executor.shutdownNow();
    try {
      executor.awaitTermination(waitMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
