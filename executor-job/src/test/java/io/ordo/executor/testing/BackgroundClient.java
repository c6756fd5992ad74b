package io.ordo.executor.testing;

import io.ordo.proto.Transaction;
import io.ordo.sequencer.Sequencer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client on its own thread that appends the transactions of a {@link Workloads.ClientStream}
 * one at a time, each acknowledged by the broker before the next, with a pause in between. It
 * does not wait for results: it models clients that keep submitting while the job is down.
 *
 * <p>Bounded: it stops by itself after {@code txnsMax} transactions. Thread-safe.
 */
public final class BackgroundClient implements AutoCloseable {
  private static final long APPEND_TIMEOUT_MS = 30_000;
  private static final long STOP_TIMEOUT_MS = 60_000;

  private final Sequencer sequencer;
  private final Workloads.ClientStream stream;
  private final long pauseMs;
  private final int txnsMax;
  private final Thread thread;
  private final Object lock = new Object();
  // Guarded by lock.
  private final List<Transaction> appended = new ArrayList<>();
  private Throwable failure;
  private volatile boolean stopping;

  /**
   * Starts appending.
   *
   * @param pauseMs pause after each acknowledged append, milliseconds (>= 0)
   * @param txnsMax the most transactions appended (>= 1)
   */
  public static BackgroundClient start(Sequencer sequencer, Workloads.ClientStream stream, long pauseMs, int txnsMax) {
    if (pauseMs < 0 || txnsMax < 1) {
      throw new IllegalArgumentException("pauseMs must be >= 0 and txnsMax >= 1, got " + pauseMs + ", " + txnsMax);
    }
    BackgroundClient client = new BackgroundClient(sequencer, stream, pauseMs, txnsMax);
    client.thread.start();
    return client;
  }

  private BackgroundClient(Sequencer sequencer, Workloads.ClientStream stream, long pauseMs, int txnsMax) {
    this.sequencer = sequencer;
    this.stream = stream;
    this.pauseMs = pauseMs;
    this.txnsMax = txnsMax;
    this.thread = new Thread(this::run, "background-client");
    this.thread.setDaemon(true);
  }

  private void run() {
    try {
      for (int i = 0; i < txnsMax && !stopping; i++) {
        Transaction txn = stream.next();
        sequencer.append(txn).get(APPEND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        synchronized (lock) {
          appended.add(txn);
        }
        if (pauseMs > 0) {
          Thread.sleep(pauseMs);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      synchronized (lock) {
        failure = t;
      }
    }
  }

  /** Transactions acknowledged so far. */
  public int appendedCount() {
    synchronized (lock) {
      return appended.size();
    }
  }

  /**
   * Stops appending and returns every acknowledged transaction in append order.
   *
   * @throws AssertionError if an append failed or the thread does not stop in time
   */
  public List<Transaction> stop() throws InterruptedException {
    stopping = true;
    thread.join(STOP_TIMEOUT_MS);
    if (thread.isAlive()) {
      throw new AssertionError("background client did not stop within " + STOP_TIMEOUT_MS + " ms");
    }
    synchronized (lock) {
      if (failure != null) {
        throw new AssertionError("background client failed to append", failure);
      }
      return List.copyOf(appended);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    thread.join(STOP_TIMEOUT_MS);
  }
}
