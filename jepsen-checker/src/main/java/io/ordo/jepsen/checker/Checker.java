package io.ordo.jepsen.checker;

import io.ordo.jepsen.history.History;
import java.util.Map;

/**
 * A checker of histories. Implementations document their options (names as in Elle/Jepsen, e.g.
 * "consistency-models", "time-limit-ms") and are deterministic: the same history and options give
 * the same result, whatever the machine (no hash-order dependence in what is reported).
 */
public interface Checker {
  /** Short name used on the command line, e.g. "list-append", "bank", "linearizable-kv". */
  String name();

  /**
   * Checks {@code history}.
   *
   * @param options checker options (documented per checker); unknown options are rejected
   * @throws IllegalArgumentException for bad options or a history the checker cannot read (e.g.
   *     values of the wrong shape), naming the op
   */
  CheckResult check(Map<String, Object> options, History history);
}
