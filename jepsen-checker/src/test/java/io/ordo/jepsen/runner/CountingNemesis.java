package io.ordo.jepsen.runner;

import java.util.ArrayList;
import java.util.List;

/** A nemesis for tests: counts its transitions and does nothing to the system. */
public final class CountingNemesis implements Nemesis {
  /** "start" and "stop", in the order they were called. */
  public final List<String> transitions = new ArrayList<>();

  @Override
  public String name() {
    return "count";
  }

  @Override
  public synchronized void start() {
    transitions.add("start");
  }

  @Override
  public synchronized void stop() {
    transitions.add("stop");
  }
}
