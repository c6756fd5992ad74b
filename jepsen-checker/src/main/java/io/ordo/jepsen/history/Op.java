package io.ordo.jepsen.history;

import java.util.Objects;

/**
 * One operation of a history, in Jepsen's format (jepsen.history): {@code {:index, :time, :process,
 * :type, :f, :value, :error}}.
 *
 * <p>Values are plain data: {@link Long}, {@link String}, {@link Boolean}, {@link Keyword}, {@code
 * null}, {@link java.util.List} and {@link java.util.Map} of those. For transactional workloads
 * (Elle list-append, rw-register) {@code f} is {@code txn} and the value is a list of micro-ops
 * {@code [f key value]}, e.g. {@code [[:append 3 7] [:r 3 [1 7]]]}, keys and values longs.
 *
 * @param index position in the history, 0-based, strictly increasing in true event order
 * @param timeNanos nanoseconds since the test started (monotonic clock)
 * @param process the client process; {@link #NEMESIS} for the fault injector
 * @param type invoke, ok, fail or info
 * @param f the function, e.g. "txn", "read", "write", "transfer", "start-partition"
 * @param value the argument (invoke) or the observed result (ok), may be null
 * @param error why it failed or is indeterminate, may be null
 */
public record Op(long index, long timeNanos, long process, OpType type, String f, Object value, Object error) {
  /** The process of nemesis operations (written as {@code :nemesis}). */
  public static final long NEMESIS = -1;

  public Op {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(f, "f");
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
    if (process < NEMESIS) {
      throw new IllegalArgumentException("process must be >= 0 or NEMESIS, got " + process);
    }
  }

  public boolean isNemesis() {
    return process == NEMESIS;
  }

  public boolean isInvoke() {
    return type == OpType.INVOKE;
  }

  public boolean isOk() {
    return type == OpType.OK;
  }

  public boolean isFail() {
    return type == OpType.FAIL;
  }

  public boolean isInfo() {
    return type == OpType.INFO;
  }

  /** This op with another index (used when a history is re-indexed). */
  public Op withIndex(long newIndex) {
    return new Op(newIndex, timeNanos, process, type, f, value, error);
  }
}
