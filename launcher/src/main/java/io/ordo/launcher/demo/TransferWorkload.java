package io.ordo.launcher.demo;

import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.TxnRequest;
import io.ordo.sequencer.KeyRanges;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Random;

/**
 * The YCSB-T transfer generator (the Styx paper's variant): a transfer moves an amount uniform in
 * {@code [1, maxAmount]} from a debtor drawn uniformly over the accounts to a different creditor
 * drawn from a Zipfian(theta) distribution over the accounts (account {@code i} has Zipf rank
 * {@code i}, so {@code acct-00000} is the hottest creditor).
 *
 * <p><b>Cross-range share.</b> With {@code crossRangePct} set, each transfer first decides with
 * probability {@code crossRangePct / 100} (one Bernoulli draw) whether its creditor lies in a key
 * range other than the debtor's ({@link KeyRanges#rangeOf} with {@code keyRangeCount} ranges); so
 * the share of cross-range transfers is exactly {@code crossRangePct}% in expectation. The creditor
 * is then drawn from the Zipfian distribution <em>conditioned</em> on that class: among the
 * accounts of the debtor's range other than the debtor (same-range transfer), or among the
 * accounts of every other range (cross-range transfer), account {@code i} is chosen with
 * probability proportional to its Zipf weight {@code 1/(i+1)^theta}. Within a class the creditor
 * therefore stays Zipfian (hot accounts stay hot); the sampling is exact (inverse CDF over
 * prefix sums of the weights, binary search), not rejection, so every draw costs O(log accounts).
 *
 * <p>Without {@code crossRangePct} (the demo's workload) the creditor is drawn from the plain
 * Zipfian over all accounts other than the debtor, which makes about {@code (keyRangeCount - 1) /
 * keyRangeCount} of the transfers cross-range.
 *
 * <p>A transfer is one Ordo transaction {@code [increment(debtor, -amount, min 0),
 * increment(creditor, +amount)]}: each increment reads its key and writes it back (2 reads + 2
 * writes), and the {@code min 0} bound is the sufficient-funds check (the transaction aborts with
 * BOUND_VIOLATED when the debtor holds less than the amount).
 *
 * <p>The generator is immutable and thread-safe; all randomness comes from the {@link Random}
 * passed to {@link #next}, so a seeded Random gives a reproducible sequence of transfers.
 */
public final class TransferWorkload {
  /** Upper bound on {@code accounts}: the prefix sums hold one double per account. */
  public static final int ACCOUNTS_MAX = 10_000_000;

  /** One transfer: indexes of the accounts, the amount moved, and whether it spans two ranges. */
  public record Transfer(int debtor, int creditor, long amount, boolean crossRange) {}

  private final int accounts;
  private final double theta;
  private final long maxAmount;
  private final int keyRangeCount;
  private final OptionalInt crossRangePct;
  private final ZipfianGenerator zipf;
  /** The range of each account. */
  private final int[] rangeOfAccount;
  /** Accounts ordered by (range, index). */
  private final int[] order;
  /** Position of each account in {@link #order}. */
  private final int[] positionOf;
  /** prefix[k] = Zipf weight of order[0..k), so prefix[order.length] = 1 (up to rounding). */
  private final double[] prefix;
  /** Range r occupies order[rangeStart[r] .. rangeStart[r + 1]). */
  private final int[] rangeStart;

  /**
   * Creates a generator.
   *
   * @param accounts number of accounts, in [2, {@value #ACCOUNTS_MAX}]
   * @param theta Zipfian skew of the creditor, in [0, 1) (0 = uniform)
   * @param maxAmount amounts are uniform in [1, maxAmount], maxAmount >= 1
   * @param keyRangeCount key ranges of the executor, in [1, {@link KeyRanges#KEY_RANGE_COUNT_MAX}]
   * @param crossRangePct share of cross-range transfers in percent, in [0, 100], or empty for the
   *     plain Zipfian creditor
   * @throws IllegalArgumentException if a value is out of range, or if the share cannot be met:
   *     a share above 0 needs accounts in at least two ranges, a share below 100 needs every range
   *     that holds an account to hold at least two
   */
  public TransferWorkload(
      int accounts, double theta, long maxAmount, int keyRangeCount, OptionalInt crossRangePct) {
    if (accounts < 2 || accounts > ACCOUNTS_MAX) {
      throw new IllegalArgumentException(
          "accounts must be in [2, " + ACCOUNTS_MAX + "], got " + accounts);
    }
    if (maxAmount < 1) {
      throw new IllegalArgumentException("max amount must be >= 1, got " + maxAmount);
    }
    if (keyRangeCount < 1 || keyRangeCount > KeyRanges.KEY_RANGE_COUNT_MAX) {
      throw new IllegalArgumentException("key ranges must be in [1, "
          + KeyRanges.KEY_RANGE_COUNT_MAX + "], got " + keyRangeCount);
    }
    if (crossRangePct.isPresent()
        && (crossRangePct.getAsInt() < 0 || crossRangePct.getAsInt() > 100)) {
      throw new IllegalArgumentException(
          "cross-range percentage must be in [0, 100], got " + crossRangePct.getAsInt());
    }
    this.accounts = accounts;
    this.theta = theta;
    this.maxAmount = maxAmount;
    this.keyRangeCount = keyRangeCount;
    this.crossRangePct = crossRangePct;
    this.zipf = new ZipfianGenerator(accounts, theta); // validates theta

    rangeOfAccount = new int[accounts];
    int[] sizes = new int[keyRangeCount];
    for (int i = 0; i < accounts; i++) {
      rangeOfAccount[i] = KeyRanges.rangeOf(accountKey(i), keyRangeCount);
      sizes[rangeOfAccount[i]]++;
    }
    rangeStart = new int[keyRangeCount + 1];
    for (int r = 0; r < keyRangeCount; r++) {
      rangeStart[r + 1] = rangeStart[r] + sizes[r];
    }
    order = new int[accounts];
    positionOf = new int[accounts];
    int[] next = Arrays.copyOf(rangeStart, keyRangeCount);
    for (int i = 0; i < accounts; i++) {
      int pos = next[rangeOfAccount[i]]++;
      order[pos] = i;
      positionOf[i] = pos;
    }
    prefix = new double[accounts + 1];
    for (int k = 0; k < accounts; k++) {
      prefix[k + 1] = prefix[k] + zipf.probabilityOf(order[k]);
    }
    if (crossRangePct.isPresent()) {
      int pct = crossRangePct.getAsInt();
      int nonEmpty = 0;
      for (int r = 0; r < keyRangeCount; r++) {
        if (sizes[r] > 0) {
          nonEmpty++;
        }
        if (pct < 100 && sizes[r] == 1) {
          throw new IllegalArgumentException("key range " + r + " holds only one account ("
              + accountKey(order[rangeStart[r]]) + "), so a transfer from it cannot stay in its"
              + " range; use more accounts, fewer key ranges or --cross-range-pct 100");
        }
      }
      if (pct > 0 && nonEmpty < 2) {
        throw new IllegalArgumentException("all " + accounts + " accounts lie in one key range,"
            + " so no transfer can span two ranges; use more accounts or key ranges, or"
            + " --cross-range-pct 0");
      }
    }
  }

  /** The key of account {@code index}: {@code acct-%05d} (the bank demo's keys). */
  public static String accountKey(int index) {
    return String.format(Locale.ROOT, "acct-%05d", index);
  }

  /** Number of accounts. */
  public int accounts() {
    return accounts;
  }

  /** Zipfian skew of the creditor. */
  public double theta() {
    return theta;
  }

  /** Number of key ranges the cross-range share refers to. */
  public int keyRangeCount() {
    return keyRangeCount;
  }

  /** The cross-range share in percent, or empty for the plain Zipfian creditor. */
  public OptionalInt crossRangePct() {
    return crossRangePct;
  }

  /** The key range of account {@code index}. */
  public int rangeOf(int index) {
    return rangeOfAccount[index];
  }

  /**
   * Draws the next transfer. Consumes a fixed number of values from {@code random} per call (two
   * ints/longs and one or two doubles), so a seeded Random replays the same transfers.
   */
  public Transfer next(Random random) {
    int debtor = random.nextInt(accounts);
    int creditor;
    if (crossRangePct.isEmpty()) {
      creditor = drawExcluding(random.nextDouble(), 0, accounts, debtor);
    } else {
      // Bernoulli(pct/100): nextInt(100) < pct is exact for integer percentages.
      boolean cross = random.nextInt(100) < crossRangePct.getAsInt();
      int r = rangeOfAccount[debtor];
      double u = random.nextDouble();
      creditor = cross
          ? drawOutside(u, rangeStart[r], rangeStart[r + 1])
          : drawExcluding(u, rangeStart[r], rangeStart[r + 1], debtor);
    }
    long amount = random.nextLong(1, maxAmount + 1);
    return new Transfer(debtor, creditor, amount,
        rangeOfAccount[debtor] != rangeOfAccount[creditor]);
  }

  /** The transfer as an Ordo transaction request (no id: the gateway assigns one). */
  public static TxnRequest toRequest(Transfer t) {
    return TxnRequest.newBuilder()
        .addOps(Operation.newBuilder()
            .setKey(accountKey(t.debtor()))
            .setIncrement(Increment.newBuilder().setDelta(-t.amount()).setMin(0)))
        .addOps(Operation.newBuilder()
            .setKey(accountKey(t.creditor()))
            .setIncrement(Increment.newBuilder().setDelta(t.amount())))
        .build();
  }

  /**
   * An account from order[lo..hi) other than {@code excluded} (which lies in that slice), with
   * probability proportional to its Zipf weight: u scales to the slice's mass minus the excluded
   * account's weight, and values at or past the excluded account's slot skip over it.
   */
  private int drawExcluding(double u, int lo, int hi, int excluded) {
    int ex = positionOf[excluded];
    double exWeight = prefix[ex + 1] - prefix[ex];
    double target = prefix[lo] + u * (prefix[hi] - prefix[lo] - exWeight);
    if (target >= prefix[ex]) {
      target += exWeight;
    }
    int pos = positionAt(target, lo, hi);
    if (pos == ex) {
      // Only reachable through rounding at the slot's edge: take a neighbour in the slice.
      pos = ex + 1 < hi ? ex + 1 : ex - 1;
    }
    return order[pos];
  }

  /** An account outside order[lo..hi), with probability proportional to its Zipf weight. */
  private int drawOutside(double u, int lo, int hi) {
    double gap = prefix[hi] - prefix[lo];
    double target = u * (prefix[accounts] - gap);
    // The constructor made sure some account lies outside; rounding may point at an empty side.
    boolean upper = hi < accounts && (target >= prefix[lo] || lo == 0);
    int pos = upper ? positionAt(target + gap, hi, accounts) : positionAt(target, 0, lo);
    return order[pos];
  }

  /** The position k in [lo, hi) with prefix[k] <= target < prefix[k + 1], clamped into range. */
  private int positionAt(double target, int lo, int hi) {
    // Largest k in [lo, hi) with prefix[k] <= target.
    int a = lo;
    int b = hi - 1;
    while (a < b) {
      int mid = (a + b + 1) >>> 1;
      if (prefix[mid] <= target) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    return a;
  }
}
