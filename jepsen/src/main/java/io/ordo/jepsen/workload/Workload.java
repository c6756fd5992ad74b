package io.ordo.jepsen.workload;

import io.ordo.jepsen.report.WorkloadChecks;
import io.ordo.jepsen.history.History;
import io.ordo.proto.Position;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A Jepsen workload against Ordo: a generator of operations, their translation into Ordo
 * transactions, the final reads and the checkers that judge the resulting history.
 *
 * <p>Threading: {@link #next} is called by one thread at a time (the runner serializes it, so a
 * seeded {@link Random} gives the same sequence of operations on every run); {@link #execute} is
 * called concurrently by the workers.
 */
public interface Workload {
  /** The workload's name: list-append, rw-register, bank or kv. */
  String name();

  /**
   * Prepares the database before the run (e.g. the bank's initial balances). Not recorded in the
   * history. The default does nothing.
   *
   * @param deadlineMs per-transaction deadline, in milliseconds
   * @throws IllegalStateException if the setup could not be applied
   */
  default void setup(TxnClient client, long deadlineMs) {}

  /** The next operation to invoke, drawn from {@code random}. */
  Invocation next(Random random);

  /**
   * Runs {@code op} as one Ordo transaction with id {@code txnId} and says how it ended; never
   * throws for database errors (they become fail or info completions).
   *
   * @param txnId unique for the whole run (and across runs against the same cluster)
   * @param deadlineMs the per-operation deadline, in milliseconds
   */
  Completion execute(TxnClient client, String txnId, Invocation op, long deadlineMs);

  /** The reads to run after the run and the recovery wait: every key the run touched. */
  List<Invocation> finalReads();

  /**
   * Checks the history with every checker this workload needs.
   *
   * @param positionsByCompletion the commit position of each ok completion, by its history index
   */
  WorkloadChecks check(History history, Map<Long, Position> positionsByCompletion);
}
