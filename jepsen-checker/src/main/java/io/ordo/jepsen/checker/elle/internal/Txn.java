package io.ordo.jepsen.checker.elle.internal;

import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.List;

/**
 * A transaction of a history: its invoke, its completion (null if the history ended first) and its
 * micro-ops. For an ok transaction the micro-ops are the completion's (reads carry observed
 * values); for fail and info ones they are the invoke's (reads unknown).
 *
 * @param id the node number in the dependency graph: 0-based, in invoke order
 * @param invoke the invoke op
 * @param completion the completion op, or null
 * @param outcome OK, FAIL or INFO (INFO also when the completion is missing)
 * @param ops the micro-ops, in transaction order
 * @param position the external commit position (rw-register's "external-order"), or null
 */
public record Txn(int id, Op invoke, Op completion, OpType outcome, List<MicroOp> ops, Long position) {
  public boolean isOk() {
    return outcome == OpType.OK;
  }

  public boolean isFail() {
    return outcome == OpType.FAIL;
  }

  public boolean isInfo() {
    return outcome == OpType.INFO;
  }

  /** The op that stands for this transaction in reports: its completion, else its invoke. */
  public Op reportOp() {
    return completion != null ? completion : invoke;
  }

  /** The process of the transaction. */
  public long process() {
    return invoke.process();
  }
}
