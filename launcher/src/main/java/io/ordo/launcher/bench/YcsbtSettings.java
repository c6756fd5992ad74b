package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Settings of {@code ordo bench ycsbt}.
 *
 * @param accounts number of accounts, in [2, {@value #ACCOUNTS_MAX}] (Ordo's final check reads
 *     every account in one transaction of at most that many operations)
 * @param initialBalance balance each account is loaded with, >= 0, with {@code accounts *
 *     initialBalance} fitting an int64
 * @param maxAmount transfer amounts are uniform in [1, maxAmount], >= 1
 * @param theta Zipfian skew of the creditor, in [0, 1)
 * @param crossRangePct share of cross-range transfers in percent [0, 100], or empty for the plain
 *     Zipfian creditor (see {@link TransferWorkload})
 * @param keyRanges key ranges of the executor the share refers to
 * @param clients concurrent clients (threads, connections), in [1, {@link
 *     LoadRunner#CLIENTS_MAX}]
 * @param warmup unmeasured time before each measured step, in [0, {@value #HOURS_MAX} h]
 * @param duration length of each measured step, in (0, {@value #HOURS_MAX} h]
 * @param rates offered loads in transfers/s, one step each, in the order given; {@code [0]} is one
 *     closed-loop step; 1..{@value #RATES_MAX} values, each 0 or positive and finite
 * @param seed seed of the clients' Randoms
 * @param rpcTimeout deadline of each Ordo transfer, positive
 * @param loadBatchSize accounts loaded per Ordo transaction, in [1, {@value #ACCOUNTS_MAX}]
 * @param inFlight transfers each client keeps outstanding on its connection, in [1, {@value
 *     PipelinedTransferClient#IN_FLIGHT_MAX}]; above 1 only for Ordo's transaction API (pipelined
 *     over one {@code TxnStream} per client)
 * @throws IllegalArgumentException (from the constructor) naming the first value out of range
 */
public record YcsbtSettings(
    int accounts,
    long initialBalance,
    long maxAmount,
    double theta,
    OptionalInt crossRangePct,
    int keyRanges,
    int clients,
    Duration warmup,
    Duration duration,
    List<Double> rates,
    long seed,
    Duration rpcTimeout,
    int loadBatchSize,
    int inFlight) {

  /** Upper bound on accounts (the gateway's operations per transaction). */
  public static final int ACCOUNTS_MAX = 10_000;

  /** Upper bound on a sweep's steps. */
  public static final int RATES_MAX = 100;

  /** Upper bound on warmup and duration, in hours. */
  public static final int HOURS_MAX = 24;

  /** Validates every field; see the class comment. */
  public YcsbtSettings {
    Objects.requireNonNull(crossRangePct, "crossRangePct");
    Objects.requireNonNull(warmup, "warmup");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(rpcTimeout, "rpcTimeout");
    rates = List.copyOf(rates);
    if (accounts < 2 || accounts > ACCOUNTS_MAX) {
      throw new IllegalArgumentException("--accounts must be in [2, " + ACCOUNTS_MAX
          + "] (the final check reads every account in one transaction), got " + accounts);
    }
    if (initialBalance < 0 || initialBalance > Long.MAX_VALUE / accounts) {
      throw new IllegalArgumentException("--initial-balance must be >= 0 and accounts * balance"
          + " must fit in an int64, got " + initialBalance);
    }
    if (maxAmount < 1) {
      throw new IllegalArgumentException("--max-amount must be >= 1, got " + maxAmount);
    }
    if (!(theta >= 0.0 && theta < 1.0)) {
      throw new IllegalArgumentException(
          "--theta must be in [0, 1) (0 = uniform), got " + theta);
    }
    if (crossRangePct.isPresent()
        && (crossRangePct.getAsInt() < 0 || crossRangePct.getAsInt() > 100)) {
      throw new IllegalArgumentException(
          "--cross-range-pct must be in [0, 100], got " + crossRangePct.getAsInt());
    }
    if (clients < 1 || clients > LoadRunner.CLIENTS_MAX) {
      throw new IllegalArgumentException(
          "--clients must be in [1, " + LoadRunner.CLIENTS_MAX + "], got " + clients);
    }
    if (warmup.isNegative() || warmup.compareTo(Duration.ofHours(HOURS_MAX)) > 0) {
      throw new IllegalArgumentException(
          "--warmup must be in [0, " + HOURS_MAX + "h], got " + warmup);
    }
    if (duration.isNegative() || duration.isZero()
        || duration.compareTo(Duration.ofHours(HOURS_MAX)) > 0) {
      throw new IllegalArgumentException(
          "--duration must be in (0, " + HOURS_MAX + "h], got " + duration);
    }
    if (rates.isEmpty() || rates.size() > RATES_MAX) {
      throw new IllegalArgumentException(
          "--rates must list 1.." + RATES_MAX + " rates, got " + rates.size());
    }
    for (double r : rates) {
      if (!(r >= 0) || Double.isInfinite(r)) {
        throw new IllegalArgumentException(
            "rates must be positive transfers/s (or absent for closed loop), got " + r);
      }
    }
    if (rpcTimeout.isNegative() || rpcTimeout.isZero()) {
      throw new IllegalArgumentException("--rpc-timeout must be positive, got " + rpcTimeout);
    }
    if (loadBatchSize < 1 || loadBatchSize > ACCOUNTS_MAX) {
      throw new IllegalArgumentException(
          "--load-batch-size must be in [1, " + ACCOUNTS_MAX + "], got " + loadBatchSize);
    }
    if (inFlight < 1 || inFlight > PipelinedTransferClient.IN_FLIGHT_MAX) {
      throw new IllegalArgumentException("--pipelined must be in [1, "
          + PipelinedTransferClient.IN_FLIGHT_MAX + "], got " + inFlight);
    }
    // Fails early, with the generator's reason, if the cross-range share cannot be met.
    new TransferWorkload(accounts, theta, maxAmount, keyRanges, crossRangePct);
  }

  /** The generator these settings describe. */
  public TransferWorkload workload() {
    return workload(crossRangePct);
  }

  /**
   * The generator these settings describe with another cross-range share.
   *
   * @throws IllegalArgumentException if the share cannot be met (see {@link TransferWorkload})
   */
  public TransferWorkload workload(OptionalInt crossRangePct) {
    return new TransferWorkload(accounts, theta, maxAmount, keyRanges, crossRangePct);
  }

  /** The total the balances must always add up to. */
  public long expectedTotal() {
    return accounts * initialBalance;
  }

  /** The settings as an ordered map, for the report. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("accounts", accounts);
    m.put("initialBalance", initialBalance);
    m.put("maxAmount", maxAmount);
    m.put("theta", theta);
    m.put("crossRangePct", crossRangePct.isPresent() ? crossRangePct.getAsInt() : "natural");
    m.put("keyRanges", keyRanges);
    m.put("clients", clients);
    m.put("inFlightPerClient", inFlight);
    m.put("warmupSeconds", warmup.toMillis() / 1000.0);
    m.put("durationSeconds", duration.toMillis() / 1000.0);
    m.put("rates", rates.size() == 1 && rates.get(0) == 0 ? "closed loop" : rates);
    m.put("seed", seed);
    return m;
  }
}
