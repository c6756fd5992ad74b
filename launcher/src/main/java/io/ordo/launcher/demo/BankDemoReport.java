package io.ordo.launcher.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a bank demo run did and whether the bank's invariant held.
 *
 * @param accounts number of accounts
 * @param initialBalance balance each account was loaded with
 * @param clients number of concurrent clients
 * @param elapsedMs wall time of the transfer phase, in milliseconds (>= 1)
 * @param attempted transfers sent (committed + aborted + other outcomes + RPC errors)
 * @param committed transfers that committed
 * @param abortsByReason aborted transfers per {@code AbortReason} name, sorted by name; only
 *     BOUND_VIOLATED (insufficient funds) is expected
 * @param otherOutcomes transfers with an outcome other than COMMITTED or ABORTED (e.g. DUPLICATE),
 *     per outcome name; none are expected
 * @param rpcErrorsByCode transfers whose RPC failed, per gRPC status code name; their outcome is
 *     unknown, so they are reported but do not fail the run
 * @param latency percentiles of committed transfers, in milliseconds
 * @param verification the final consistent read of all accounts
 */
public record BankDemoReport(
    int accounts,
    long initialBalance,
    int clients,
    long elapsedMs,
    long attempted,
    long committed,
    SortedMap<String, Long> abortsByReason,
    SortedMap<String, Long> otherOutcomes,
    SortedMap<String, Long> rpcErrorsByCode,
    LatencySamples.Percentiles latency,
    Verification verification) {

  /** The abort reason a transfer may legitimately get: the debtor has too little money. */
  public static final String EXPECTED_ABORT_REASON = "BOUND_VIOLATED";

  /** Copies the maps into unmodifiable sorted maps and checks the fields. */
  public BankDemoReport {
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(verification, "verification");
    if (elapsedMs < 1) {
      throw new IllegalArgumentException("elapsedMs must be >= 1, got " + elapsedMs);
    }
    abortsByReason = Collections.unmodifiableSortedMap(new TreeMap<>(abortsByReason));
    otherOutcomes = Collections.unmodifiableSortedMap(new TreeMap<>(otherOutcomes));
    rpcErrorsByCode = Collections.unmodifiableSortedMap(new TreeMap<>(rpcErrorsByCode));
  }

  /**
   * The result of reading every account in one transaction.
   *
   * @param readError why the read failed (RPC error or an outcome other than COMMITTED), or null
   *     when it committed; the other fields are then meaningful
   * @param accountsFound accounts that exist
   * @param missingAccounts accounts that do not exist
   * @param nonCounterValues accounts whose value is not an int64 counter
   * @param negativeBalances accounts with a balance below 0
   * @param totalBalance sum of all balances
   * @param expectedTotal {@code accounts * initialBalance}
   */
  public record Verification(
      String readError,
      int accountsFound,
      int missingAccounts,
      int nonCounterValues,
      int negativeBalances,
      long totalBalance,
      long expectedTotal) {

    /** A verification whose read failed. */
    public static Verification failed(String readError, long expectedTotal) {
      return new Verification(Objects.requireNonNull(readError), 0, 0, 0, 0, 0, expectedTotal);
    }

    /**
     * True iff the read committed, every account exists and holds a counter, none is negative and
     * the balances add up to the expected total.
     */
    public boolean invariantHolds() {
      return readError == null
          && missingAccounts == 0
          && nonCounterValues == 0
          && negativeBalances == 0
          && totalBalance == expectedTotal;
    }
  }

  /** Committed transfers per second of the transfer phase. */
  public double committedPerSecond() {
    return committed * 1000.0 / elapsedMs;
  }

  /** Transfers that ended in anything but COMMITTED or an expected abort (RPC errors excluded). */
  public long unexpectedOutcomes() {
    long n = 0;
    for (Map.Entry<String, Long> e : abortsByReason.entrySet()) {
      if (!e.getKey().equals(EXPECTED_ABORT_REASON)) {
        n += e.getValue();
      }
    }
    for (long v : otherOutcomes.values()) {
      n += v;
    }
    return n;
  }

  /** Transfers whose RPC failed. */
  public long rpcErrors() {
    long n = 0;
    for (long v : rpcErrorsByCode.values()) {
      n += v;
    }
    return n;
  }

  /**
   * Why the run failed, one sentence each; empty when it passed. A run fails when the invariant
   * does not hold, when no transfer committed, or when a transfer got an unexpected outcome.
   */
  public List<String> failures() {
    List<String> failures = new ArrayList<>();
    Verification v = verification;
    if (v.readError() != null) {
      failures.add("the verification read failed: " + v.readError());
    } else {
      if (v.missingAccounts() > 0) {
        failures.add(v.missingAccounts() + " accounts are missing");
      }
      if (v.nonCounterValues() > 0) {
        failures.add(v.nonCounterValues() + " accounts do not hold a counter");
      }
      if (v.negativeBalances() > 0) {
        failures.add(v.negativeBalances() + " accounts have a negative balance");
      }
      if (v.totalBalance() != v.expectedTotal()) {
        failures.add(
            "the total balance is " + v.totalBalance() + " but must be " + v.expectedTotal());
      }
    }
    if (committed == 0) {
      failures.add("no transfer committed");
    }
    if (unexpectedOutcomes() > 0) {
      failures.add(unexpectedOutcomes() + " transfers had an unexpected outcome");
    }
    return failures;
  }

  /** True iff {@link #failures()} is empty. */
  public boolean passed() {
    return failures().isEmpty();
  }

  /** A human-readable report, several lines, ending with a newline. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-22s %d in %.1f s (%.1f/s)%n", "committed", committed,
        elapsedMs / 1000.0, committedPerSecond()));
    sb.append(String.format(Locale.ROOT, "%-22s %d%n", "attempted", attempted));
    sb.append(String.format(Locale.ROOT, "%-22s %s%n", "aborted", countsText(abortsByReason)));
    if (!otherOutcomes.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "%-22s %s (unexpected)%n", "other outcomes",
          countsText(otherOutcomes)));
    }
    sb.append(String.format(Locale.ROOT, "%-22s %s%n", "rpc errors", countsText(rpcErrorsByCode)));
    sb.append(String.format(Locale.ROOT, "%-22s p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        "latency (committed)", latency.p50Ms(), latency.p99Ms(), latency.maxMs()));
    Verification v = verification;
    if (v.readError() == null) {
      sb.append(String.format(Locale.ROOT,
          "%-22s total %d (expected %d), %d accounts read, %d missing, %d negative%n",
          "verification", v.totalBalance(), v.expectedTotal(), v.accountsFound(),
          v.missingAccounts(), v.negativeBalances()));
    } else {
      sb.append(String.format(Locale.ROOT, "%-22s read failed: %s%n", "verification",
          v.readError()));
    }
    List<String> failures = failures();
    if (failures.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "%-22s %s%n", "result",
          "PASSED (money is conserved, no balance is negative)"));
    } else {
      sb.append(String.format(Locale.ROOT, "%-22s FAILED: %s%n", "result",
          String.join("; ", failures)));
    }
    return sb.toString();
  }

  /** The report as one line of JSON (no trailing newline), for scripts. */
  public String toJson() {
    Verification v = verification;
    return "{"
        + field("passed", passed()) + ","
        + field("invariantHolds", v.invariantHolds()) + ","
        + field("accounts", accounts) + ","
        + field("initialBalance", initialBalance) + ","
        + field("clients", clients) + ","
        + field("elapsedMs", elapsedMs) + ","
        + field("attempted", attempted) + ","
        + field("committed", committed) + ","
        + quote("committedPerSecond") + ":" + number(committedPerSecond()) + ","
        + quote("aborts") + ":" + countsJson(abortsByReason) + ","
        + quote("otherOutcomes") + ":" + countsJson(otherOutcomes) + ","
        + quote("rpcErrors") + ":" + countsJson(rpcErrorsByCode) + ","
        + quote("latencyMs") + ":{"
        + quote("p50") + ":" + number(latency.p50Ms()) + ","
        + quote("p99") + ":" + number(latency.p99Ms()) + ","
        + quote("max") + ":" + number(latency.maxMs()) + "},"
        + quote("verification") + ":{"
        + quote("readError") + ":" + (v.readError() == null ? "null" : quote(v.readError())) + ","
        + field("accountsFound", v.accountsFound()) + ","
        + field("missingAccounts", v.missingAccounts()) + ","
        + field("nonCounterValues", v.nonCounterValues()) + ","
        + field("negativeBalances", v.negativeBalances()) + ","
        + field("totalBalance", v.totalBalance()) + ","
        + field("expectedTotal", v.expectedTotal()) + "}"
        + "}";
  }

  private static String countsText(SortedMap<String, Long> counts) {
    if (counts.isEmpty()) {
      return "none";
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }

  private static String countsJson(SortedMap<String, Long> counts) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append(quote(e.getKey())).append(':').append(e.getValue());
    }
    return sb.append('}').toString();
  }

  private static String field(String name, long value) {
    return quote(name) + ":" + value;
  }

  private static String field(String name, boolean value) {
    return quote(name) + ":" + value;
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, "%.3f", value);
  }

  /** A JSON string literal, escaping quotes, backslashes and control characters. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
