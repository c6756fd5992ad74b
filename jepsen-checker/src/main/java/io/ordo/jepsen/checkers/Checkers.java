package io.ordo.jepsen.checkers;

import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.checker.bank.BankChecker;
import io.ordo.jepsen.checker.elle.ListAppendChecker;
import io.ordo.jepsen.checker.elle.RwRegisterChecker;
import io.ordo.jepsen.checker.linearizable.LinearizabilityChecker;
import io.ordo.jepsen.checker.stream.StreamChecker;
import java.util.List;
import java.util.function.Supplier;

/** The checkers by name, for command lines and test runners. */
public final class Checkers {
  private Checkers() {}

  private static final List<Supplier<Checker>> ALL =
      List.of(ListAppendChecker::new, RwRegisterChecker::new, LinearizabilityChecker::new, BankChecker::new, StreamChecker::new);

  /** Names of every checker, in a fixed order: list-append, rw-register, linearizable-kv, bank, stream. */
  public static List<String> names() {
    return ALL.stream().map(s -> s.get().name()).toList();
  }

  /** A new checker of that name. @throws IllegalArgumentException listing the known names */
  public static Checker byName(String name) {
    for (Supplier<Checker> s : ALL) {
      Checker c = s.get();
      if (c.name().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown checker '" + name + "'; known: " + String.join(", ", names()));
  }
}
