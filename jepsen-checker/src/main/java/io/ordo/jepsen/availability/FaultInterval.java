package io.ordo.jepsen.availability;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One fault of a history and how available the system stayed during it; the definitions are in
 * {@link Availability}. Times are nanoseconds since the history's earliest op.
 *
 * @param name the nemesis's name, e.g. {@code kill-broker}
 * @param startNanos the {@code start-<name>} invoke
 * @param startedNanos the {@code start-<name>} completion (the fault is in effect), or null if it never completed
 * @param healStartNanos the {@code stop-<name>} invoke, or null if the fault was never stopped
 * @param healEndNanos the {@code stop-<name>} completion, or null if unhealed
 * @param endNanos where the interval ends: the heal end, or the history's latest op if unhealed
 * @param okDuring ok completions of client ops in [start, end]
 * @param longestGapNanos the longest waiting time (some client op in flight) without an ok
 *     completion overlapping the interval
 * @param longestGapFromNanos where that gap starts (an ok completion, or 0); the span from it to
 *     {@code longestGapToNanos} is longer than the gap by the time no client op was in flight
 * @param longestGapToNanos where it ends (an ok completion, or the history's latest op if {@code gapOpen})
 * @param gapOpen true if no ok completion followed the interval: the gap ran to the history's end
 *     and is only a lower bound
 * @param firstOkAfterHealNanos waiting time from the heal end to the next ok completion, or null if
 *     unhealed or no ok op followed
 * @param withoutOkSinceHealNanos if healed and no ok op followed: the waiting time from the heal end
 *     to the history's end (a lower bound of the first ok after healing); else null
 * @param overlaps names of other faults whose intervals overlap this one, sorted (the figures are
 *     then not this fault's alone)
 * @param error the error of a failed transition (start or stop), or null
 */
public record FaultInterval(String name, long startNanos, Long startedNanos, Long healStartNanos, Long healEndNanos, long endNanos,
    long okDuring, long longestGapNanos, long longestGapFromNanos, long longestGapToNanos, boolean gapOpen, Long firstOkAfterHealNanos,
    Long withoutOkSinceHealNanos, List<String> overlaps, String error) {
  /** By start, then name, then end: the order of {@link Availability#intervals()}. */
  static final Comparator<FaultInterval> ORDER = Comparator.comparingLong(FaultInterval::startNanos)
      .thenComparing(FaultInterval::name).thenComparingLong(FaultInterval::endNanos);

  public FaultInterval {
    Objects.requireNonNull(name, "name");
    if (endNanos < startNanos) {
      throw new IllegalArgumentException("interval of " + name + " ends (" + endNanos + ") before it starts (" + startNanos + ")");
    }
    overlaps = List.copyOf(overlaps);
  }

  /** True if the fault's stop completed. */
  public boolean healed() {
    return healEndNanos != null;
  }

  /** {@code endNanos - startNanos}. */
  public long lengthNanos() {
    return endNanos - startNanos;
  }

  /** Ok completions per second during the interval; 0 for an interval of length 0. */
  public double okPerSecond() {
    return lengthNanos() == 0 ? 0 : okDuring * 1e9 / lengthNanos();
  }
}
