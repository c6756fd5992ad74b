package io.ordo.jepsen.workload;

import java.util.Objects;

/**
 * An operation a workload wants to invoke: the history's {@code :f} and invoke {@code :value}
 * (plain history data, see {@link io.ordo.jepsen.history.Op}).
 */
public record Invocation(String f, Object value) {
  public Invocation {
    Objects.requireNonNull(f, "f");
  }
}
