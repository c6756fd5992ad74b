package io.ordo.jepsen.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable, well-formed history: operations in index order where every process alternates
 * invoke → completion, a completion follows its invoke, and a process whose operation completed
 * with {@code info} never invokes again (Jepsen's rule: its worker takes a new process id).
 * Nemesis operations are exempt from pairing rules beyond invoke → completion.
 *
 * <p>An invoke may lack a completion at the end of a history (the test stopped): checkers treat
 * it like {@code info}.
 */
public final class History {
  private final List<Op> ops;
  private final Map<Long, Op> completionByInvokeIndex;
  private final Map<Long, Op> invokeByCompletionIndex;

  private History(List<Op> ops, Map<Long, Op> completionByInvokeIndex, Map<Long, Op> invokeByCompletionIndex) {
    this.ops = ops;
    this.completionByInvokeIndex = completionByInvokeIndex;
    this.invokeByCompletionIndex = invokeByCompletionIndex;
  }

  /**
   * Checks and indexes {@code ops}.
   *
   * @throws IllegalArgumentException naming the first op that breaks well-formedness: indexes not
   *     strictly increasing, a completion without an open invoke of its process, an invoke while the
   *     process has one open, an invoke by a process that already completed with info, or a
   *     completion whose f differs from its invoke's
   */
  public static History of(List<Op> ops) {
    List<Op> copy = List.copyOf(ops);
    Map<Long, Op> open = new HashMap<>();
    Map<Long, Op> crashed = new HashMap<>();
    Map<Long, Op> completionByInvoke = new HashMap<>();
    Map<Long, Op> invokeByCompletion = new HashMap<>();
    long lastIndex = -1;
    for (Op op : copy) {
      if (op.index() <= lastIndex) {
        throw new IllegalArgumentException("op " + op.index() + ": index not after " + lastIndex);
      }
      lastIndex = op.index();
      if (op.isInvoke()) {
        if (open.containsKey(op.process())) {
          throw new IllegalArgumentException(
              "op " + op.index() + ": process " + op.process() + " invokes while op " + open.get(op.process()).index() + " is open");
        }
        if (!op.isNemesis() && crashed.containsKey(op.process())) {
          throw new IllegalArgumentException(
              "op " + op.index() + ": process " + op.process() + " invokes after its op "
                  + crashed.get(op.process()).index() + " completed with info");
        }
        open.put(op.process(), op);
      } else {
        Op invoke = open.remove(op.process());
        if (invoke == null) {
          throw new IllegalArgumentException("op " + op.index() + ": completion without an open invoke of process " + op.process());
        }
        if (!invoke.f().equals(op.f())) {
          throw new IllegalArgumentException(
              "op " + op.index() + ": completion f '" + op.f() + "' differs from invoke " + invoke.index() + " f '" + invoke.f() + "'");
        }
        completionByInvoke.put(invoke.index(), op);
        invokeByCompletion.put(op.index(), invoke);
        if (op.isInfo()) {
          crashed.put(op.process(), op);
        }
      }
    }
    return new History(copy, completionByInvoke, invokeByCompletion);
  }

  /** All operations, in index order. */
  public List<Op> ops() {
    return ops;
  }

  public int size() {
    return ops.size();
  }

  /** The completion of an invoke, if the history has one. */
  public Optional<Op> completion(Op invoke) {
    return Optional.ofNullable(completionByInvokeIndex.get(invoke.index()));
  }

  /** The invoke of a completion. @throws IllegalArgumentException if {@code completion} is not one of this history's completions */
  public Op invocation(Op completion) {
    Op invoke = invokeByCompletionIndex.get(completion.index());
    if (invoke == null) {
      throw new IllegalArgumentException("op " + completion.index() + " is not a completion of this history");
    }
    return invoke;
  }

  /** Client (non-nemesis) operations only. */
  public List<Op> clientOps() {
    List<Op> out = new ArrayList<>();
    for (Op op : ops) {
      if (!op.isNemesis()) {
        out.add(op);
      }
    }
    return Collections.unmodifiableList(out);
  }
}
