package io.ordo.jepsen.report;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.checker.linearizable.LinearizabilityChecker.KeyFailure;
import io.ordo.jepsen.history.History;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checkers' verdicts on one run.
 *
 * @param results checker name → result, in the order the checkers ran
 * @param extraHistories other renderings of the history worth writing next to it, by file stem
 *     (e.g. rw-register's history with {@code :position}s, {@code "history-external-order"})
 * @param linearizabilityFailures the failing keys of a linearizable-kv check (empty if none ran
 *     or none failed), for the HTML timeline
 */
public record WorkloadChecks(
    Map<String, CheckResult> results, Map<String, History> extraHistories, List<KeyFailure> linearizabilityFailures) {
  public WorkloadChecks {
    results = Collections.unmodifiableMap(new LinkedHashMap<>(results));
    extraHistories = Collections.unmodifiableMap(new LinkedHashMap<>(extraHistories));
    linearizabilityFailures = List.copyOf(linearizabilityFailures);
  }

  /** True iff every checker's verdict is valid (unknown counts as not valid). */
  public boolean allValid() {
    return !results.isEmpty() && results.values().stream().allMatch(r -> r.valid() == Validity.TRUE);
  }
}
