package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import java.util.Map;

/**
 * Executes transfers against one store over one connection; each load-generator client owns one
 * and calls it from its own thread only.
 */
public interface TransferClient extends AutoCloseable {
  /** The abort reason of a transfer whose debtor holds less than the amount. */
  String INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS";

  /**
   * How one transfer ended.
   *
   * @param committed true iff the transfer committed
   * @param abortReason why the store refused it ({@link #INSUFFICIENT_FUNDS} or another reason),
   *     or null when it committed or failed
   * @param error why the call failed with an unknown outcome (e.g. {@code RPC_UNAVAILABLE},
   *     {@code SQL_08006}), or null
   * @param retries internal retries before this outcome, by reason (e.g. PostgreSQL serialization
   *     failures {@code 40001}); empty when none
   * @param logAppendMillis Ordo: the broker's LogAppendTime of the log record that sequenced the
   *     transfer (ms since the epoch), which splits its latency into "to the log" and "after the
   *     log"; -1 when unknown (PostgreSQL, failures)
   */
  record Attempt(
      boolean committed, String abortReason, String error, Map<String, Integer> retries, long logAppendMillis) {

    /** An attempt without a log append time. */
    public Attempt(boolean committed, String abortReason, String error, Map<String, Integer> retries) {
      this(committed, abortReason, error, retries, -1);
    }

    /** A committed transfer without retries, sequenced at {@code logAppendMillis}. */
    public static Attempt committedAt(long logAppendMillis) {
      return new Attempt(true, null, null, Map.of(), logAppendMillis);
    }

    /** A committed transfer without retries. */
    public static final Attempt COMMITTED = new Attempt(true, null, null, Map.of());

    /** A transfer aborted for {@code reason}, without retries. */
    public static Attempt aborted(String reason) {
      return new Attempt(false, reason, null, Map.of());
    }

    /** A transfer whose call failed with {@code error}, without retries. */
    public static Attempt failed(String error) {
      return new Attempt(false, null, error, Map.of());
    }
  }

  /**
   * Runs one transfer and waits for its outcome.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  Attempt execute(TransferWorkload.Transfer transfer) throws InterruptedException;

  /** Releases the connection; never throws. */
  @Override
  void close();
}
