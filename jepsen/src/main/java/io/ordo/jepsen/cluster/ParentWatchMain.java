package io.ordo.jepsen.cluster;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Runs another main class and halts the JVM as soon as the process that started it is gone. Every
 * child JVM of the {@link LocalCluster} starts through it, so a test cluster cannot outlive a
 * {@code ordo jepsen} or test JVM that was killed with SIGKILL (which runs no shutdown hook).
 *
 * <p>Arguments: {@code MAIN_CLASS [ARGS...]}. The parent is polled every {@value #POLL_MS} ms;
 * when it has ended the JVM halts with exit code {@value #ORPHAN_EXIT_CODE} (no shutdown hooks, as
 * if killed).
 */
public final class ParentWatchMain {
  /** How often the parent is checked, in ms. */
  static final long POLL_MS = 500;
  /** Exit code of a child whose parent ended. */
  static final int ORPHAN_EXIT_CODE = 3;

  private ParentWatchMain() {}

  /** Entry point; see the class comment. */
  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("ParentWatchMain: need MAIN_CLASS [ARGS...]");
      System.exit(2);
    }
    Optional<ProcessHandle> parent = ProcessHandle.current().parent();
    if (parent.isPresent()) {
      ProcessHandle p = parent.get();
      Thread watchdog = new Thread(() -> {
        while (p.isAlive()) {
          try {
            Thread.sleep(POLL_MS);
          } catch (InterruptedException e) {
            return;
          }
        }
        Runtime.getRuntime().halt(ORPHAN_EXIT_CODE);
      }, "parent-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
    }
    try {
      Class.forName(args[0]).getMethod("main", String[].class).invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
