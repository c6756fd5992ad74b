package io.ordo.jepsen.workload;

import io.ordo.jepsen.report.WorkloadChecks;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checkers.Checkers;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Elle's rw-register workload (name {@code "rw-register"}).
 *
 * <p>Each operation is a transaction of 1 to {@value #MICRO_OPS_MAX} micro-ops, {@code [:w k v]}
 * (v unique per key: 1, 2, 3, ...) or {@code [:r k nil]}, over {@code keyCount} keys. Ordo
 * mapping: key k is {@code <keyPrefix>rw/<k>}; a write puts the counter v, a read gets it (absent
 * reads as nil).
 *
 * <p>Checked twice with the rw-register checker: {@code "rw-register"} on the history as recorded,
 * and {@code "rw-register-external-order"} with option external-order=true on the history whose ok
 * completions carry {@code :position}, the rank of the transaction's commit position in {@code
 * (ts, partition, offset)} order (written as {@code history-external-order.edn}).
 */
public final class RwRegisterWorkload implements Workload {
  /** The most micro-ops per transaction. */
  public static final int MICRO_OPS_MAX = 4;

  static final Keyword WRITE = Keyword.of("w");
  static final Keyword READ = Keyword.of("r");

  private final String keyPrefix;
  private final long[] writesSoFar;

  /**
   * @param keyPrefix prefix of every Ordo key
   * @param keyCount number of keys, > 0
   */
  public RwRegisterWorkload(String keyPrefix, int keyCount) {
    if (keyCount <= 0) {
      throw new IllegalArgumentException("keyCount must be > 0, got " + keyCount);
    }
    this.keyPrefix = keyPrefix;
    this.writesSoFar = new long[keyCount];
  }

  @Override
  public String name() {
    return "rw-register";
  }

  String ordoKey(long k) {
    return keyPrefix + "rw/" + k;
  }

  @Override
  public Invocation next(Random random) {
    int n = 1 + random.nextInt(MICRO_OPS_MAX);
    List<Object> txn = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = random.nextInt(writesSoFar.length);
      if (random.nextBoolean()) {
        txn.add(Arrays.asList(WRITE, (long) k, ++writesSoFar[k]));
      } else {
        txn.add(Arrays.asList(READ, (long) k, null));
      }
    }
    return new Invocation("txn", txn);
  }

  @Override
  public Completion execute(TxnClient client, String txnId, Invocation op, long deadlineMs) {
    return TxnCalls.callMicroOps(
        client,
        txnId,
        (List<?>) op.value(),
        deadlineMs,
        micro -> {
          long k = (Long) micro.get(1);
          return WRITE.equals(micro.get(0)) ? TxnCalls.putCounter(ordoKey(k), (Long) micro.get(2)) : TxnCalls.get(ordoKey(k));
        });
  }

  @Override
  public List<Invocation> finalReads() {
    List<Object> txn = new ArrayList<>();
    for (long k = 0; k < writesSoFar.length; k++) {
      txn.add(Arrays.asList(READ, k, null));
    }
    return List.of(new Invocation("txn", txn));
  }

  @Override
  public WorkloadChecks check(History history, Map<Long, Position> positionsByCompletion) {
    Map<String, CheckResult> results = new LinkedHashMap<>();
    results.put("rw-register", Checkers.byName("rw-register").check(Map.of(), history));
    History positioned = PositionRanks.withPositions(history, PositionRanks.rank(positionsByCompletion));
    results.put("rw-register-external-order", Checkers.byName("rw-register").check(Map.of("external-order", true), positioned));
    return new WorkloadChecks(results, Map.of("history-external-order", positioned), List.of());
  }
}
