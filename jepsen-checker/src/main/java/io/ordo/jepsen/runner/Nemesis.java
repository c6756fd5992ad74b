package io.ordo.jepsen.runner;

/**
 * A fault injector. The runner calls {@link #start} and {@link #stop} alternately from one thread,
 * records each as a nemesis operation ({@code :start-<name>} / {@code :stop-<name>}), and calls
 * {@link #stop} once more to heal if the run ends while the fault is active.
 */
public interface Nemesis {
  /** Short name, e.g. "kill-job"; used in the history's {@code :f}. */
  String name();

  /** Injects the fault; returns once it is in effect. @throws Exception if it could not */
  void start() throws Exception;

  /** Heals the fault; returns once the system is back (it may still be recovering). */
  void stop() throws Exception;
}
