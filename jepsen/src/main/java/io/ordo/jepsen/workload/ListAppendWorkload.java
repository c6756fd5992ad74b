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
import java.util.TreeSet;

/**
 * Elle's list-append workload (name {@code "list-append"}).
 *
 * <p>Each operation is a transaction ({@code :f :txn}) of 1 to {@value #MICRO_OPS_MAX} micro-ops,
 * {@code [:append k v]} or {@code [:r k nil]}, over {@code activeKeys} keys at a time; a key is
 * retired after {@code appendsPerKeyMax} appends and replaced by a fresh one (Elle's generator
 * shape, which keeps lists short). Values are unique per key: 1, 2, 3, ... in generation order.
 *
 * <p>Ordo mapping: key k is {@code <keyPrefix>la/<k>}; an append stores the decimal bytes of v; a
 * read is a get whose list elements are parsed back to longs (an absent key reads as nil). Checked
 * with the list-append checker (strict-serializable).
 */
public final class ListAppendWorkload implements Workload {
  /** The most micro-ops per transaction. */
  public static final int MICRO_OPS_MAX = 4;
  /** Keys read by one final-read transaction at most. */
  public static final int FINAL_READ_KEYS_PER_TXN = 8;

  static final Keyword APPEND = Keyword.of("append");
  static final Keyword READ = Keyword.of("r");

  private final String keyPrefix;
  private final long[] active;
  private final long[] appendsSoFar;
  private final int appendsPerKeyMax;
  private final TreeSet<Long> usedKeys = new TreeSet<>();
  private long nextKey;

  /**
   * @param keyPrefix prefix of every Ordo key (makes runs against one cluster independent)
   * @param activeKeys keys in use at a time, > 0
   * @param appendsPerKeyMax appends after which a key is retired, > 0
   */
  public ListAppendWorkload(String keyPrefix, int activeKeys, int appendsPerKeyMax) {
    if (activeKeys <= 0 || appendsPerKeyMax <= 0) {
      throw new IllegalArgumentException("activeKeys and appendsPerKeyMax must be > 0, got " + activeKeys + ", " + appendsPerKeyMax);
    }
    this.keyPrefix = keyPrefix;
    this.active = new long[activeKeys];
    this.appendsSoFar = new long[activeKeys];
    this.appendsPerKeyMax = appendsPerKeyMax;
    for (int i = 0; i < activeKeys; i++) {
      active[i] = nextKey++;
    }
  }

  @Override
  public String name() {
    return "list-append";
  }

  String ordoKey(long k) {
    return keyPrefix + "la/" + k;
  }

  @Override
  public Invocation next(Random random) {
    int n = 1 + random.nextInt(MICRO_OPS_MAX);
    List<Object> txn = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int slot = random.nextInt(active.length);
      long k = active[slot];
      synchronized (usedKeys) {
        usedKeys.add(k);
      }
      if (random.nextBoolean()) {
        long v = ++appendsSoFar[slot];
        txn.add(Arrays.asList(APPEND, k, v));
        if (appendsSoFar[slot] >= appendsPerKeyMax) {
          active[slot] = nextKey++;
          appendsSoFar[slot] = 0;
        }
      } else {
        txn.add(Arrays.asList(READ, k, null));
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
          return APPEND.equals(micro.get(0)) ? TxnCalls.append(ordoKey(k), (Long) micro.get(2)) : TxnCalls.get(ordoKey(k));
        });
  }

  @Override
  public List<Invocation> finalReads() {
    List<Long> keys;
    synchronized (usedKeys) {
      keys = new ArrayList<>(usedKeys);
    }
    List<Invocation> out = new ArrayList<>();
    for (int from = 0; from < keys.size(); from += FINAL_READ_KEYS_PER_TXN) {
      List<Object> txn = new ArrayList<>();
      for (Long k : keys.subList(from, Math.min(keys.size(), from + FINAL_READ_KEYS_PER_TXN))) {
        txn.add(Arrays.asList(READ, k, null));
      }
      out.add(new Invocation("txn", txn));
    }
    return out;
  }

  @Override
  public WorkloadChecks check(History history, Map<Long, Position> positionsByCompletion) {
    Map<String, CheckResult> results = new LinkedHashMap<>();
    results.put("list-append", Checkers.byName("list-append").check(Map.of(), history));
    return new WorkloadChecks(results, Map.of(), List.of());
  }
}
