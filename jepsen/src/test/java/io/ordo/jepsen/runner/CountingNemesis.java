package io.ordo.jepsen.runner;

import java.util.ArrayList;
import java.util.List;

/**
 * A nemesis for tests: counts its transitions and does nothing to the system; a start returns the
 * number of transitions so far, which the history records as the op's value.
 */
public final class CountingNemesis implements Nemesis {
  /** "start" and "stop", in the order they were called. */
  public final List<String> transitions = new ArrayList<>();

  @Override
  public String name() {
    return "count";
  }

  @Override
  public synchronized Object start() {
    transitions.add("start");
    return (long) transitions.size();
  }

  @Override
  public synchronized Object stop() {
    transitions.add("stop");
    return null;
  }
}
