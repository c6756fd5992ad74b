package io.ordo.jepsen.checker;

import io.ordo.jepsen.history.Op;
import java.util.List;
import java.util.Objects;

/**
 * One anomaly a checker found.
 *
 * @param type the anomaly's name as Elle/Jepsen spell it, e.g. "G1c", "G-single-realtime",
 *     "lost-update", "incompatible-order", "nonlinearizable", "negative-balance"
 * @param explanation a human-readable account (e.g. the cycle with its edges)
 * @param ops the operations that show it, in history order
 */
public record Anomaly(String type, String explanation, List<Op> ops) {
  public Anomaly {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(explanation, "explanation");
    ops = List.copyOf(ops);
  }
}
