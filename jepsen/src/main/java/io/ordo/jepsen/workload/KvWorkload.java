package io.ordo.jepsen.workload;

import io.ordo.jepsen.report.WorkloadChecks;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.linearizable.LinearizabilityChecker;
import io.ordo.jepsen.history.History;
import io.ordo.proto.Position;
import io.ordo.proto.TxnRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The 6.824 key-value battery (name {@code "kv"}): single-key Get, Put and Append.
 *
 * <p>Operations, in the linearizable-kv checker's format (keys and values longs): {@code :read [k
 * nil]} → ok {@code [k observed]} (nil or a list of longs); {@code :write [k [v]]} (the key becomes
 * the one-element list [v], so later appends stay legal in the model); {@code :append [k v]}. Every
 * v is unique in the run (1, 2, 3, ... in generation order), so each element names its append.
 * Mix: {@value #READ_PERCENT}% reads, {@value #WRITE_PERCENT}% writes, the rest appends, over
 * {@code keyCount} keys. Ordo mapping: key k is {@code <keyPrefix>kv/<k>}; read = get, write = put
 * of a list, append = append of the decimal bytes.
 *
 * <p>Checked with {@code "linearizable-kv"} (per key) and {@code "kv-appends"} ({@link
 * KvAppendsChecker}: each client's appends appear exactly once and in order).
 */
public final class KvWorkload implements Workload {
  /** Share of reads, in percent. */
  public static final int READ_PERCENT = 40;
  /** Share of writes (puts), in percent. */
  public static final int WRITE_PERCENT = 10;

  private final String keyPrefix;
  private final int keyCount;
  private long lastValue;

  /**
   * @param keyPrefix prefix of every Ordo key
   * @param keyCount number of keys, > 0
   */
  public KvWorkload(String keyPrefix, int keyCount) {
    if (keyCount <= 0) {
      throw new IllegalArgumentException("keyCount must be > 0, got " + keyCount);
    }
    this.keyPrefix = keyPrefix;
    this.keyCount = keyCount;
  }

  @Override
  public String name() {
    return "kv";
  }

  String ordoKey(long k) {
    return keyPrefix + "kv/" + k;
  }

  @Override
  public Invocation next(Random random) {
    long k = random.nextInt(keyCount);
    int dice = random.nextInt(100);
    if (dice < READ_PERCENT) {
      return new Invocation("read", Arrays.asList(k, null));
    }
    long v = ++lastValue;
    if (dice < READ_PERCENT + WRITE_PERCENT) {
      return new Invocation("write", Arrays.asList(k, List.of(v)));
    }
    return new Invocation("append", Arrays.asList(k, v));
  }

  @Override
  public Completion execute(TxnClient client, String txnId, Invocation op, long deadlineMs) {
    List<?> kv = (List<?>) op.value();
    long k = (Long) kv.get(0);
    TxnRequest.Builder request = TxnRequest.newBuilder().setId(txnId);
    switch (op.f()) {
      case "read":
        request.addOps(TxnCalls.get(ordoKey(k)));
        return TxnCalls.call(client, request.build(), deadlineMs, kv, r -> Arrays.asList(k, TxnCalls.readValue(r, 0)));
      case "write":
        @SuppressWarnings("unchecked")
        List<Long> list = (List<Long>) kv.get(1);
        request.addOps(TxnCalls.putList(ordoKey(k), list));
        return TxnCalls.call(client, request.build(), deadlineMs, kv, r -> kv);
      case "append":
        request.addOps(TxnCalls.append(ordoKey(k), (Long) kv.get(1)));
        return TxnCalls.call(client, request.build(), deadlineMs, kv, r -> kv);
      default:
        throw new IllegalArgumentException("kv: unknown f '" + op.f() + "' (read, write, append)");
    }
  }

  @Override
  public List<Invocation> finalReads() {
    List<Invocation> out = new ArrayList<>();
    for (long k = 0; k < keyCount; k++) {
      out.add(new Invocation("read", Arrays.asList(k, null)));
    }
    return out;
  }

  @Override
  public WorkloadChecks check(History history, Map<Long, Position> positionsByCompletion) {
    LinearizabilityChecker.Analysis lin = new LinearizabilityChecker().analyze(Map.of(), history);
    Map<String, CheckResult> results = new LinkedHashMap<>();
    results.put("linearizable-kv", lin.result());
    results.put("kv-appends", new KvAppendsChecker().check(Map.of(), history));
    return new WorkloadChecks(results, Map.of(), lin.failures());
  }
}
