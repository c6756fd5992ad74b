package io.ordo.jepsen.checker.bank;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Jepsen's bank checker (name {@code "bank"}).
 *
 * <p>History: client ops are {@code :transfer} with value {@code {:from a, :to b, :amount n}}
 * (accounts and amount longs, {@code a != b}, {@code n > 0}) and {@code :read} whose ok value is a
 * map account → balance (a long, or nil when the account was unreadable). The workload reads all
 * accounts in one transaction, so each ok read is a snapshot: it must sum to the total and show no
 * negative balance. Transfers are only checked for shape; their effects show in the reads.
 *
 * <p>Options:
 *
 * <ul>
 *   <li>{@code "total"} (long, required): the sum of all balances, conserved by transfers.
 *   <li>{@code "negative-balances-allowed"} (boolean, default false): if true, negative balances
 *       are not anomalies.
 *   <li>{@code "accounts"} (list of longs, optional): the accounts; a read showing another account
 *       is an {@code unexpected-key} anomaly.
 * </ul>
 *
 * <p>Anomaly types, one anomaly per bad read: {@code wrong-total}, {@code negative-balance}, {@code
 * unexpected-key}, {@code nil-balance}. Each anomaly carries the read's invoke and completion. At
 * most {@link #ANOMALIES_PER_TYPE_MAX} anomalies of each type are listed (the first, in history
 * order), so a long broken run gives a bounded result; all are counted. {@code extra}: {@code
 * "read-count"} (ok reads checked), {@code "bad-read-count"}, {@code "transfer-count"} (invoked
 * transfers), {@code "anomaly-counts"} (type → number of bad reads showing it, sorted by type).
 */
public final class BankChecker implements Checker {
  /** The most anomalies listed per type; the rest are only counted. */
  public static final int ANOMALIES_PER_TYPE_MAX = 100;

  private static final Set<String> OPTIONS = Set.of("total", "negative-balances-allowed", "accounts");
  private static final Keyword FROM = Keyword.of("from");
  private static final Keyword TO = Keyword.of("to");
  private static final Keyword AMOUNT = Keyword.of("amount");

  @Override
  public String name() {
    return "bank";
  }

  @Override
  public CheckResult check(Map<String, Object> options, History history) {
    for (String key : new java.util.TreeSet<>(options.keySet())) {
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException("bank: unknown option '" + key + "' (known: accounts, negative-balances-allowed, total)");
      }
    }
    Object totalOpt = options.get("total");
    if (!(totalOpt instanceof Long || totalOpt instanceof Integer)) {
      throw new IllegalArgumentException("bank: option 'total' (a long) is required, got " + totalOpt);
    }
    long total = ((Number) totalOpt).longValue();
    Object negOpt = options.getOrDefault("negative-balances-allowed", Boolean.FALSE);
    if (!(negOpt instanceof Boolean)) {
      throw new IllegalArgumentException("bank: option 'negative-balances-allowed' must be a boolean, got " + negOpt);
    }
    boolean negativeAllowed = (Boolean) negOpt;
    Set<Object> accounts = null;
    if (options.get("accounts") != null) {
      if (!(options.get("accounts") instanceof List<?> list)) {
        throw new IllegalArgumentException("bank: option 'accounts' must be a list of longs, got " + options.get("accounts"));
      }
      accounts = new LinkedHashSet<>();
      for (Object a : list) {
        accounts.add(asLong(a, "bank: option 'accounts' element"));
      }
    }

    List<Anomaly> anomalies = new ArrayList<>();
    Map<String, Long> counts = new TreeMap<>();
    List<Anomaly> found = new ArrayList<>();
    long reads = 0;
    long badReads = 0;
    long transfers = 0;
    for (Op op : history.clientOps()) {
      switch (op.f()) {
        case "transfer" -> {
          if (op.isInvoke()) {
            checkTransferShape(op);
            transfers++;
          }
        }
        case "read" -> {
          if (op.isOk()) {
            reads++;
            found.clear();
            checkRead(history, op, total, negativeAllowed, accounts, found);
            if (!found.isEmpty()) {
              badReads++;
            }
            for (Anomaly a : found) {
              long n = counts.merge(a.type(), 1L, Long::sum);
              if (n <= ANOMALIES_PER_TYPE_MAX) {
                anomalies.add(a);
              }
            }
          }
        }
        default -> throw new IllegalArgumentException("bank: op " + op.index() + ": unexpected f '" + op.f() + "' (transfer, read)");
      }
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("read-count", reads);
    extra.put("bad-read-count", badReads);
    extra.put("transfer-count", transfers);
    extra.put("anomaly-counts", counts);
    return CheckResult.of(anomalies, extra);
  }

  private static void checkRead(History history, Op read, long total, boolean negativeAllowed, Set<Object> accounts,
      List<Anomaly> anomalies) {
    if (!(read.value() instanceof Map<?, ?> balances)) {
      throw new IllegalArgumentException("bank: op " + read.index() + ": an ok read's value must be a map account -> balance, got " + read.value());
    }
    List<Op> ops = List.of(history.invocation(read), read);
    // Sorted so that the explanations do not depend on the map's iteration order.
    Map<Long, Object> sorted = new TreeMap<>(Comparator.naturalOrder());
    for (Map.Entry<?, ?> e : balances.entrySet()) {
      sorted.put(asLong(e.getKey(), "bank: op " + read.index() + ": account"), e.getValue());
    }
    List<Long> unexpected = new ArrayList<>();
    List<Long> nils = new ArrayList<>();
    Map<Long, Long> negatives = new TreeMap<>();
    long sum = 0;
    boolean overflow = false;
    for (Map.Entry<Long, Object> e : sorted.entrySet()) {
      if (accounts != null && !accounts.contains(e.getKey())) {
        unexpected.add(e.getKey());
      }
      if (e.getValue() == null) {
        nils.add(e.getKey());
        continue;
      }
      long balance = asLong(e.getValue(), "bank: op " + read.index() + ": balance of account " + e.getKey());
      if (balance < 0) {
        negatives.put(e.getKey(), balance);
      }
      try {
        sum = Math.addExact(sum, balance);
      } catch (ArithmeticException tooLarge) {
        overflow = true;
      }
    }
    String at = "read op " + read.index() + " (process " + read.process() + ")";
    if (!unexpected.isEmpty()) {
      anomalies.add(new Anomaly("unexpected-key", at + " shows accounts " + unexpected + " not in " + accounts, ops));
    }
    if (!nils.isEmpty()) {
      anomalies.add(new Anomaly("nil-balance", at + " shows nil balances for accounts " + nils, ops));
    }
    if (overflow || sum != total) {
      anomalies.add(new Anomaly("wrong-total",
          at + " sums to " + (overflow ? "more than a long holds" : Long.toString(sum)) + ", expected " + total + ": " + sorted, ops));
    }
    if (!negativeAllowed && !negatives.isEmpty()) {
      anomalies.add(new Anomaly("negative-balance", at + " shows negative balances " + negatives, ops));
    }
  }

  private static void checkTransferShape(Op op) {
    if (!(op.value() instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException("bank: op " + op.index() + ": a transfer's value must be {:from a, :to b, :amount n}, got " + op.value());
    }
    String where = "bank: op " + op.index() + ": transfer";
    long from = asLong(field(m, FROM), where + " :from");
    long to = asLong(field(m, TO), where + " :to");
    long amount = asLong(field(m, AMOUNT), where + " :amount");
    if (from == to || amount <= 0) {
      throw new IllegalArgumentException(where + " needs :from != :to and :amount > 0, got " + op.value());
    }
  }

  /** A field by keyword, or by its name as a string (histories converted from other JSON tools). */
  private static Object field(Map<?, ?> m, Keyword k) {
    return m.containsKey(k) ? m.get(k) : m.get(k.name());
  }

  private static long asLong(Object v, String what) {
    if (v instanceof Long l) {
      return l;
    }
    if (v instanceof Integer i) {
      return i;
    }
    throw new IllegalArgumentException(what + " must be a long, got " + v);
  }
}
