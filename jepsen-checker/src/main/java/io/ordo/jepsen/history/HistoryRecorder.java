package io.ordo.jepsen.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Records a history as it happens, from many client threads at once.
 *
 * <p>Each recorded op gets its {@code index} and {@code time} in one critical section, so index
 * order is the true order in which the recorder saw the events and times never decrease along it.
 * {@code time} is nanoseconds since the recorder was created, read from the injected monotonic
 * clock ({@code System::nanoTime} in production, a fake in tests).
 *
 * <p>The recorder enforces Jepsen's process rules as the events arrive rather than at check time:
 * a process has at most one open invoke, and a process whose op completed with {@code info} never
 * invokes again (the worker must take a new process id). The nemesis ({@link Op#NEMESIS}) follows
 * the first rule only.
 *
 * <p>Memory: every op is kept until the recorder is dropped; the number of ops is bounded by
 * {@code opsMax}.
 */
public final class HistoryRecorder {
  /** The default bound on recorded ops (about 10 million ops needs a few GiB; tests use far fewer). */
  public static final int DEFAULT_OPS_MAX = 10_000_000;

  private final LongSupplier nanoClock;
  private final long startNanos;
  private final int opsMax;
  private final Object lock = new Object();
  private final List<Op> ops = new ArrayList<>();
  private final Map<Long, Op> openByProcess = new HashMap<>();
  private final Set<Long> crashedProcesses = new HashSet<>();
  private long lastTimeNanos;

  /**
   * @param nanoClock a monotonic nanosecond clock, e.g. {@code System::nanoTime}; read once now
   *     (the time origin) and once per recorded op, inside the recorder's lock
   * @param opsMax the most ops this recorder accepts, > 0
   */
  public HistoryRecorder(LongSupplier nanoClock, int opsMax) {
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    if (opsMax <= 0) {
      throw new IllegalArgumentException("opsMax must be > 0, got " + opsMax);
    }
    this.opsMax = opsMax;
    this.startNanos = nanoClock.getAsLong();
  }

  /** A recorder bounded by {@link #DEFAULT_OPS_MAX}. */
  public HistoryRecorder(LongSupplier nanoClock) {
    this(nanoClock, DEFAULT_OPS_MAX);
  }

  /**
   * Records that {@code process} invokes {@code f} with {@code value}.
   *
   * @param process a client process id >= 0, or {@link Op#NEMESIS}
   * @return the recorded invoke, to pass to {@link #complete}
   * @throws IllegalStateException if the process has an open invoke, completed an op with info
   *     (client processes only), or the recorder is full
   */
  public Op invoke(long process, String f, Object value) {
    Objects.requireNonNull(f, "f");
    synchronized (lock) {
      Op open = openByProcess.get(process);
      if (open != null) {
        throw new IllegalStateException("process " + process + " invokes while its op " + open.index() + " is open");
      }
      if (process != Op.NEMESIS && crashedProcesses.contains(process)) {
        throw new IllegalStateException("process " + process + " completed an op with info and must not invoke again; use a new process id");
      }
      Op op = append(process, OpType.INVOKE, f, value, null);
      openByProcess.put(process, op);
      return op;
    }
  }

  /**
   * Records the completion of {@code invoke}.
   *
   * @param type ok, fail or info
   * @param value the observed value (ok) or the invoke's value (fail/info, by Jepsen convention)
   * @param error why it failed or is indeterminate, or null
   * @return the recorded completion
   * @throws IllegalArgumentException if {@code type} is invoke
   * @throws IllegalStateException if {@code invoke} is not its process's open invoke in this
   *     recorder, or the recorder is full
   */
  public Op complete(Op invoke, OpType type, Object value, Object error) {
    Objects.requireNonNull(invoke, "invoke");
    Objects.requireNonNull(type, "type");
    if (!type.isCompletion()) {
      throw new IllegalArgumentException("a completion's type must be ok, fail or info, got invoke");
    }
    synchronized (lock) {
      Op open = openByProcess.get(invoke.process());
      if (open == null || open.index() != invoke.index()) {
        throw new IllegalStateException("op " + invoke.index() + " is not the open invoke of process " + invoke.process());
      }
      Op op = append(invoke.process(), type, invoke.f(), value, error);
      openByProcess.remove(invoke.process());
      if (type == OpType.INFO) {
        crashedProcesses.add(invoke.process());
      }
      return op;
    }
  }

  /** A snapshot of the ops recorded so far; invokes still open appear without completions. */
  public History history() {
    synchronized (lock) {
      return History.of(new ArrayList<>(ops));
    }
  }

  /** How many ops were recorded so far. */
  public int size() {
    synchronized (lock) {
      return ops.size();
    }
  }

  private Op append(long process, OpType type, String f, Object value, Object error) {
    if (ops.size() >= opsMax) {
      throw new IllegalStateException("history is full (" + opsMax + " ops)");
    }
    // Clamp so times never decrease along index order even if the clock source misbehaves.
    long time = Math.max(lastTimeNanos, nanoClock.getAsLong() - startNanos);
    lastTimeNanos = time;
    Op op = new Op(ops.size(), time, process, type, f, value, error);
    ops.add(op);
    return op;
  }
}
