package io.ordo.jepsen.runner;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.workload.WorkloadChecks;

/**
 * What a run produced.
 *
 * @param workload the workload's name
 * @param config how it ran
 * @param history the full history (client ops, final reads, nemesis ops)
 * @param checks the checkers' verdicts
 * @param okCount ok completions, failCount fail, infoCount info (client ops, final reads included)
 * @param skippedOps open-loop ops never invoked: dropped because the queue was full, or still queued
 *     when the time limit ended
 */
public record RunResult(
    String workload, RunConfig config, History history, WorkloadChecks checks, long okCount, long failCount, long infoCount,
    long skippedOps) {
  /** True iff every checker's verdict is valid. */
  public boolean valid() {
    return checks.allValid();
  }
}
