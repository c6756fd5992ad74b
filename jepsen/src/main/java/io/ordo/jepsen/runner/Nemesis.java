package io.ordo.jepsen.runner;

/**
 * A fault injector. The runner calls {@link #start} and {@link #stop} alternately from one thread,
 * records each as a nemesis operation ({@code :start-<name>} / {@code :stop-<name>}), and calls
 * {@link #stop} once more to heal if the run ends while the fault is active.
 *
 * <p>What a transition returns becomes the {@code :value} of its {@code :info} completion in the
 * history, so a reader can see which node was hit (e.g. {@code {:node 2, :target :controller, :pid
 * 4711}}). It must be a value the history formats can write: null, Long, String, {@link
 * io.ordo.jepsen.history.Keyword}, or lists and maps of these.
 */
public interface Nemesis {
  /** Short name, e.g. "kill-job"; used in the history's {@code :f}. */
  String name();

  /**
   * Injects the fault; returns once it is in effect.
   *
   * @return what was done, for the history (null for nothing to say)
   * @throws Exception if it could not
   */
  Object start() throws Exception;

  /**
   * Heals the fault; returns once the system is back (it may still be recovering).
   *
   * @return what was done, for the history (null for nothing to say)
   * @throws Exception if it could not
   */
  Object stop() throws Exception;
}
