package io.ordo.jepsen.runner;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.report.ReportedRun;
import java.util.List;
import io.ordo.jepsen.report.WorkloadChecks;

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
    long skippedOps) implements ReportedRun {
  @Override
  public int concurrency() {
    return config.concurrency();
  }

  @Override
  public double rateOpsPerSec() {
    return config.rateOpsPerSec();
  }

  @Override
  public long timeLimitMs() {
    return config.timeLimitMs();
  }

  @Override
  public long seed() {
    return config.seed();
  }

  @Override
  public List<String> nemesisNames() {
    return config.nemeses().stream().map(Nemesis::name).toList();
  }
}
