package io.ordo.jepsen.runner;

import java.util.List;

/**
 * How to run a workload.
 *
 * @param concurrency number of workers, > 0; worker i starts as process i
 * @param rateOpsPerSec open-loop rate of invocations per second over all workers, or 0 for
 *     closed loop (each worker invokes its next op as soon as the last completes)
 * @param timeLimitMs how long operations are generated, in milliseconds, > 0
 * @param seed seed of the generator's Random
 * @param opDeadlineMs per-operation deadline, in milliseconds, > 0
 * @param nemeses the faults, started and stopped in turn; empty for none
 * @param nemesisIntervalMs time between nemesis transitions, in milliseconds, > 0
 * @param recoveryWaitMs wait after healing before the final reads, in milliseconds, >= 0
 * @param finalReadAttemptsMax attempts per final read until it is ok, > 0
 * @param queueCapacity bound of the open-loop queue; an op that finds it full is skipped, > 0
 */
public record RunConfig(
    int concurrency,
    double rateOpsPerSec,
    long timeLimitMs,
    long seed,
    long opDeadlineMs,
    List<Nemesis> nemeses,
    long nemesisIntervalMs,
    long recoveryWaitMs,
    int finalReadAttemptsMax,
    int queueCapacity) {
  /** Default per-operation deadline. */
  public static final long DEFAULT_OP_DEADLINE_MS = 5_000;
  /** Default time between nemesis transitions (Jepsen's 10 s). */
  public static final long DEFAULT_NEMESIS_INTERVAL_MS = 10_000;
  /** Default recovery wait. */
  public static final long DEFAULT_RECOVERY_WAIT_MS = 2_000;
  /** Default attempts per final read. */
  public static final int DEFAULT_FINAL_READ_ATTEMPTS_MAX = 10;

  public RunConfig {
    nemeses = List.copyOf(nemeses);
    if (concurrency <= 0 || timeLimitMs <= 0 || opDeadlineMs <= 0 || nemesisIntervalMs <= 0 || recoveryWaitMs < 0
        || finalReadAttemptsMax <= 0 || queueCapacity <= 0) {
      throw new IllegalArgumentException("need concurrency, timeLimitMs, opDeadlineMs, nemesisIntervalMs, finalReadAttemptsMax,"
          + " queueCapacity > 0 and recoveryWaitMs >= 0; got " + concurrency + ", " + timeLimitMs + ", " + opDeadlineMs + ", "
          + nemesisIntervalMs + ", " + finalReadAttemptsMax + ", " + queueCapacity + ", " + recoveryWaitMs);
    }
    if (!(rateOpsPerSec >= 0) || Double.isInfinite(rateOpsPerSec)) {
      throw new IllegalArgumentException("rateOpsPerSec must be >= 0 (0 = closed loop), got " + rateOpsPerSec);
    }
  }

  /** Closed loop, no nemesis, default deadlines and waits. */
  public static RunConfig closedLoop(int concurrency, long timeLimitMs, long seed) {
    return new RunConfig(concurrency, 0, timeLimitMs, seed, DEFAULT_OP_DEADLINE_MS, List.of(), DEFAULT_NEMESIS_INTERVAL_MS,
        DEFAULT_RECOVERY_WAIT_MS, DEFAULT_FINAL_READ_ATTEMPTS_MAX, 4 * concurrency);
  }

  public RunConfig withRate(double opsPerSec) {
    return new RunConfig(concurrency, opsPerSec, timeLimitMs, seed, opDeadlineMs, nemeses, nemesisIntervalMs, recoveryWaitMs,
        finalReadAttemptsMax, queueCapacity);
  }

  public RunConfig withNemeses(List<Nemesis> newNemeses, long intervalMs) {
    return new RunConfig(concurrency, rateOpsPerSec, timeLimitMs, seed, opDeadlineMs, newNemeses, intervalMs, recoveryWaitMs,
        finalReadAttemptsMax, queueCapacity);
  }

  public RunConfig withRecoveryWaitMs(long ms) {
    return new RunConfig(concurrency, rateOpsPerSec, timeLimitMs, seed, opDeadlineMs, nemeses, nemesisIntervalMs, ms,
        finalReadAttemptsMax, queueCapacity);
  }

  public RunConfig withOpDeadlineMs(long ms) {
    return new RunConfig(concurrency, rateOpsPerSec, timeLimitMs, seed, ms, nemeses, nemesisIntervalMs, recoveryWaitMs,
        finalReadAttemptsMax, queueCapacity);
  }
}
