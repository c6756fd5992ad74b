package io.ordo.jepsen.bench;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.elle.ListAppendChecker;
import io.ordo.jepsen.checker.elle.SimulatedDb;
import io.ordo.jepsen.history.History;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Map;

/**
 * The list-append checker's scale figure (a benchmark, not a test): generates a valid list-append
 * history of N transactions (default 100,000) from the seeded simulated serializable store (10
 * processes, 10 active keys, up to 4 micro-ops per transaction, keys retired after 32 appends, 1%
 * indeterminate commits), checks it under strict serializability, and prints the check's wall time
 * and the peak heap used during the check (sum of the heap pools' peak usage, reset after a GC just
 * before the check, so it includes the history itself).
 *
 * <p>Usage: {@code java -cp <test classpath> io.ordo.jepsen.bench.ListAppendScaleBenchmark [txns]
 * [seed]}. Exit code 1 if the verdict is not valid (the store is serializable, so that would be a
 * checker bug).
 */
public final class ListAppendScaleBenchmark {
  private ListAppendScaleBenchmark() {}

  public static void main(String[] args) {
    int txns = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
    if (txns < 1) {
      throw new IllegalArgumentException("txns must be >= 1, got " + txns);
    }
    long genStart = System.nanoTime();
    History history = SimulatedDb.run(SimulatedDb.Isolation.SERIALIZABLE, SimulatedDb.Workload.LIST_APPEND,
        new SimulatedDb.Params(txns, 10, 10, 4, 32, 1, false), seed);
    long genMs = (System.nanoTime() - genStart) / 1_000_000;

    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    long baseHeap = heapUsed();
    long start = System.nanoTime();
    CheckResult result = new ListAppendChecker().check(Map.of("consistency-models", java.util.List.of("strict-serializable")), history);
    long checkMs = (System.nanoTime() - start) / 1_000_000;
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf("list-append scale: txns=%d ops=%d seed=%d generate-ms=%d check-ms=%d verdict=%s%n",
        txns, history.size(), seed, genMs, checkMs, result.valid());
    System.out.printf("heap: before-check-mib=%.1f peak-during-check-mib=%.1f max-heap-mib=%.1f%n",
        baseHeap / 1048576.0, peak / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0);
    System.out.println("extra: " + result.extra());
    if (result.valid() != io.ordo.jepsen.checker.Validity.TRUE) {
      System.exit(1);
    }
  }

  private static long heapUsed() {
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        used += pool.getUsage().getUsed();
      }
    }
    return used;
  }
}
