package io.ordo.launcher.demo;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Settings of the bank demo (YCSB-T transfers, see {@link BankDemo}).
 *
 * @param accounts number of accounts {@code acct-00000..}, in [2, {@value #TXN_OPS_MAX}]: the final
 *     check reads every account in one transaction, which holds at most {@value #TXN_OPS_MAX} ops
 * @param initialBalance balance each account is loaded with, >= 0; {@code accounts *
 *     initialBalance} must fit in an int64
 * @param clients concurrent closed-loop clients, in [1, {@value #CLIENTS_MAX}]
 * @param duration how long the clients run, in (0, {@value #DURATION_HOURS_MAX} h]
 * @param theta Zipfian skew of the creditor, in [0, 1)
 * @param maxAmount transfer amounts are uniform in [1, maxAmount], maxAmount >= 1
 * @param seed seed of the per-client Randoms (client i uses a seed derived from seed and i)
 * @param loadBatchSize puts per loading transaction, in [1, {@value #TXN_OPS_MAX}]
 * @param rpcTimeout deadline of each transfer RPC, positive
 * @param readyTimeout how long to wait for the gateway to report SERVING, positive
 * @param progress whether to draw a progress bar on stderr during the run
 * @throws IllegalArgumentException (from the constructor) naming the first field out of range
 */
public record BankDemoConfig(
    int accounts,
    long initialBalance,
    int clients,
    Duration duration,
    double theta,
    long maxAmount,
    long seed,
    int loadBatchSize,
    Duration rpcTimeout,
    Duration readyTimeout,
    boolean progress) {

  /** The most operations the gateway accepts in one transaction. */
  public static final int TXN_OPS_MAX = 10_000;

  /** Upper bound on {@code clients} (each is a thread). */
  public static final int CLIENTS_MAX = 1024;

  /** Upper bound on {@code duration}, in hours. */
  public static final int DURATION_HOURS_MAX = 24;

  /** Validates every field; see the class comment. */
  public BankDemoConfig {
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(rpcTimeout, "rpcTimeout");
    Objects.requireNonNull(readyTimeout, "readyTimeout");
    if (accounts < 2 || accounts > TXN_OPS_MAX) {
      throw new IllegalArgumentException(
          "accounts must be in [2, " + TXN_OPS_MAX + "] (the final check reads every account in"
              + " one transaction of at most " + TXN_OPS_MAX + " operations), got " + accounts);
    }
    if (initialBalance < 0) {
      throw new IllegalArgumentException("initial balance must be >= 0, got " + initialBalance);
    }
    if (initialBalance > Long.MAX_VALUE / accounts) {
      throw new IllegalArgumentException(
          "accounts * initial balance must fit in an int64, got " + accounts + " * "
              + initialBalance);
    }
    if (clients < 1 || clients > CLIENTS_MAX) {
      throw new IllegalArgumentException(
          "clients must be in [1, " + CLIENTS_MAX + "], got " + clients);
    }
    if (duration.isNegative()
        || duration.isZero()
        || duration.compareTo(Duration.ofHours(DURATION_HOURS_MAX)) > 0) {
      throw new IllegalArgumentException(
          "duration must be in (0, " + DURATION_HOURS_MAX + "h], got " + duration);
    }
    if (!(theta >= 0.0 && theta < 1.0)) {
      throw new IllegalArgumentException("theta must be in [0, 1), got " + theta);
    }
    if (maxAmount < 1) {
      throw new IllegalArgumentException("max amount must be >= 1, got " + maxAmount);
    }
    if (loadBatchSize < 1 || loadBatchSize > TXN_OPS_MAX) {
      throw new IllegalArgumentException(
          "load batch size must be in [1, " + TXN_OPS_MAX + "], got " + loadBatchSize);
    }
    if (rpcTimeout.isNegative() || rpcTimeout.isZero()) {
      throw new IllegalArgumentException("rpc timeout must be positive, got " + rpcTimeout);
    }
    if (readyTimeout.isNegative() || readyTimeout.isZero()) {
      throw new IllegalArgumentException("ready timeout must be positive, got " + readyTimeout);
    }
  }

  /**
   * The defaults: 10,000 accounts of 1,000, 16 clients for 30 s, theta 0.99, amounts 1..100, seed
   * 42, loading 1,000 accounts per transaction, 30 s RPC deadline, 120 s to get ready, progress bar
   * on.
   */
  public static BankDemoConfig defaults() {
    return new BankDemoConfig(
        10_000,
        1_000,
        16,
        Duration.ofSeconds(30),
        0.99,
        100,
        42,
        1_000,
        Duration.ofSeconds(30),
        Duration.ofSeconds(120),
        true);
  }

  /** The key of account {@code index}: {@code acct-%05d}. */
  public static String accountKey(int index) {
    return String.format(Locale.ROOT, "acct-%05d", index);
  }

  /** The total balance the bank must always hold: {@code accounts * initialBalance}. */
  public long expectedTotal() {
    return accounts * initialBalance;
  }
}
