package io.ordo.jepsen.workload;

import io.ordo.jepsen.report.WorkloadChecks;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checkers.Checkers;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Jepsen's bank workload (name {@code "bank"}).
 *
 * <p>Accounts 0..{@code accounts-1} start with {@code initialBalance} each (loaded by {@link
 * #setup} in one transaction). Operations: {@code :transfer {:from a :to b :amount n}} (n in 1..
 * {@code amountMax}) = Ordo {@code [increment(a, -n, min 0), increment(b, +n)]}, which aborts
 * (→ fail) when a lacks funds; {@code :read nil} = one transaction getting every account, ok
 * value {@code {account balance}}. Checked with the bank checker (total conserved, no negative
 * balance in any read).
 */
public final class BankWorkload implements Workload {
  /** How many times {@link #setup} tries to load the balances before giving up. */
  public static final int SETUP_ATTEMPTS_MAX = 10;

  static final Keyword FROM = Keyword.of("from");
  static final Keyword TO = Keyword.of("to");
  static final Keyword AMOUNT = Keyword.of("amount");

  private final String keyPrefix;
  private final int accounts;
  private final long initialBalance;
  private final long amountMax;
  private final String setupIdPrefix;

  /**
   * @param keyPrefix prefix of every Ordo key (also, with characters ids do not allow mapped to
   *     '-', of the setup transaction's ids)
   * @param accounts number of accounts, >= 2
   * @param initialBalance each account's starting balance, >= 0
   * @param amountMax the largest transfer, > 0
   */
  public BankWorkload(String keyPrefix, int accounts, long initialBalance, long amountMax) {
    if (accounts < 2 || initialBalance < 0 || amountMax <= 0) {
      throw new IllegalArgumentException(
          "need accounts >= 2, initialBalance >= 0, amountMax > 0; got " + accounts + ", " + initialBalance + ", " + amountMax);
    }
    this.keyPrefix = keyPrefix;
    this.accounts = accounts;
    this.initialBalance = initialBalance;
    this.amountMax = amountMax;
    // Transaction ids allow fewer characters than keys ([A-Za-z0-9._:-]); map the rest to '-'.
    this.setupIdPrefix = keyPrefix.replaceAll("[^A-Za-z0-9._:-]", "-") + "bank-setup-";
  }

  @Override
  public String name() {
    return "bank";
  }

  String ordoKey(long account) {
    return keyPrefix + "bank/" + account;
  }

  /** The sum of all balances, which transfers conserve. */
  public long total() {
    return accounts * initialBalance;
  }

  @Override
  public void setup(TxnClient client, long deadlineMs) {
    TxnRequest.Builder request = TxnRequest.newBuilder();
    for (long a = 0; a < accounts; a++) {
      request.addOps(TxnCalls.putCounter(ordoKey(a), initialBalance));
    }
    RuntimeException last = null;
    // Each attempt uses its own id: a timed-out attempt may still commit, which is harmless
    // because every attempt writes the same balances and no transfer has run yet.
    for (int attempt = 0; attempt < SETUP_ATTEMPTS_MAX; attempt++) {
      try {
        TxnResult r = client.txn(request.setId(setupIdPrefix + attempt).build(), deadlineMs);
        if (r.getOutcome() == Outcome.COMMITTED) {
          return;
        }
        last = new IllegalStateException("loading balances: " + r.getOutcome() + " " + r.getDetail());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
          // Rejected deterministically: retrying cannot help.
          throw new IllegalStateException("loading the bank's balances was rejected: " + e.getStatus(), e);
        }
        last = e;
      }
    }
    throw new IllegalStateException("could not load the bank's balances in " + SETUP_ATTEMPTS_MAX + " attempts", last);
  }

  @Override
  public Invocation next(Random random) {
    if (random.nextInt(2) == 0) {
      return new Invocation("read", null);
    }
    long from = random.nextInt(accounts);
    long to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
    Map<Object, Object> v = new LinkedHashMap<>();
    v.put(FROM, from);
    v.put(TO, to);
    v.put(AMOUNT, 1 + (long) random.nextInt((int) Math.min(Integer.MAX_VALUE - 1, amountMax)));
    return new Invocation("transfer", v);
  }

  @Override
  public Completion execute(TxnClient client, String txnId, Invocation op, long deadlineMs) {
    TxnRequest.Builder request = TxnRequest.newBuilder().setId(txnId);
    if (op.f().equals("transfer")) {
      Map<?, ?> v = (Map<?, ?>) op.value();
      long amount = (Long) v.get(AMOUNT);
      request.addOps(TxnCalls.increment(ordoKey((Long) v.get(FROM)), -amount, 0L));
      request.addOps(TxnCalls.increment(ordoKey((Long) v.get(TO)), amount, null));
      return TxnCalls.call(client, request.build(), deadlineMs, v, r -> v);
    }
    for (long a = 0; a < accounts; a++) {
      request.addOps(TxnCalls.get(ordoKey(a)));
    }
    return TxnCalls.call(client, request.build(), deadlineMs, null, r -> {
      Map<Long, Object> balances = new TreeMap<>();
      for (int a = 0; a < accounts; a++) {
        balances.put((long) a, TxnCalls.readValue(r, a));
      }
      return balances;
    });
  }

  @Override
  public List<Invocation> finalReads() {
    return List.of(new Invocation("read", null));
  }

  @Override
  public WorkloadChecks check(History history, Map<Long, Position> positionsByCompletion) {
    List<Long> accountList = new ArrayList<>();
    for (long a = 0; a < accounts; a++) {
      accountList.add(a);
    }
    Map<String, CheckResult> results = new LinkedHashMap<>();
    results.put("bank", Checkers.byName("bank").check(Map.of("total", total(), "accounts", accountList), history));
    return new WorkloadChecks(results, Map.of(), List.of());
  }
}
