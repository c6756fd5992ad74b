package io.ordo.jepsen.report;

import io.ordo.jepsen.history.History;
import java.util.List;

/**
 * What a report needs of one run: its history, the checkers' verdicts, operation counts and the
 * settings it ran with. The reports depend on this view rather than on a runner, so the checker
 * module can be used with any runner that records histories.
 */
public interface ReportedRun {
  /** The workload's name, e.g. {@code "list-append"}. */
  String workload();

  /** The full history: client ops, final reads, nemesis ops. */
  History history();

  /** The checkers' verdicts, in the order they ran. */
  WorkloadChecks checks();

  /** Ok completions (final reads included). */
  long okCount();

  /** Fail completions. */
  long failCount();

  /** Info completions (outcome unknown). */
  long infoCount();

  /** Open-loop operations never invoked (queue full, or still queued at the time limit). */
  long skippedOps();

  /** Client threads. */
  int concurrency();

  /** Offered load in operations per second; 0 for a closed loop. */
  double rateOpsPerSec();

  /** The run's time limit in milliseconds. */
  long timeLimitMs();

  /** The seed of the run's generators. */
  long seed();

  /** The nemeses' names, in the order given (empty: no faults). */
  List<String> nemesisNames();

  /** True iff every checker's verdict is valid. */
  default boolean valid() {
    return checks().allValid();
  }
}
