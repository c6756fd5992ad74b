package io.ordo.jepsen.workload;

import io.ordo.jepsen.history.OpType;
import io.ordo.proto.Position;
import java.util.Objects;

/**
 * How an invoked operation ended, as the history records it.
 *
 * @param type ok, fail or info
 * @param value the observed value (ok) or the invoke's value (fail, info)
 * @param error why it failed or is indeterminate (a string), or null
 * @param position the commit position of a committed transaction, or null
 */
public record Completion(OpType type, Object value, Object error, Position position) {
  public Completion {
    Objects.requireNonNull(type, "type");
    if (!type.isCompletion()) {
      throw new IllegalArgumentException("a completion's type must be ok, fail or info");
    }
  }

  /** Whether the worker that saw this must take a new process id (Jepsen's rule for info). */
  public boolean crashesProcess() {
    return type == OpType.INFO;
  }
}
