package io.ordo.jepsen.availability;

import java.util.Optional;

/**
 * Ordo's availability goal for a fault: at most 3 s without an ok completion for a single-broker
 * fault ({@code kill-broker}, {@code pause}, {@code partition}: measured as the interval's longest
 * gap), at most 5 s from the executor's process being back to the first ok completion for the
 * executor faults ({@code kill-job}, {@code restart-all}: measured as the first ok after healing,
 * since their nemeses' stop completes once the processes run again). Other faults have none.
 *
 * @param metric what is bounded
 * @param limitNanos the bound, inclusive
 */
public record Goal(Metric metric, long limitNanos) {
  /** The measured quantity a goal bounds. */
  public enum Metric {
    /** {@link FaultInterval#longestGapNanos()}. */
    LONGEST_GAP("longest gap"),
    /** {@link FaultInterval#firstOkAfterHealNanos()}. */
    FIRST_OK_AFTER_HEAL("first ok after healing");

    private final String label;

    Metric(String label) {
      this.label = label;
    }

    /** Human-readable name, e.g. "longest gap". */
    public String label() {
      return label;
    }
  }

  /** Whether the intervals of a fault meet its goal. */
  public enum Status {
    /** Every measured interval is within the bound (at least one was measured). */
    MET,
    /** Some interval exceeds the bound (or provably will: an open gap already longer). */
    NOT_MET,
    /** No interval could be measured (e.g. all unhealed at the history's end). */
    NO_DATA,
    /** The fault has no goal. */
    NONE;

    /** "met", "not met", "no data", "none". */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
  }

  /** Single-broker faults: at most this long without an ok completion. */
  public static final long SINGLE_BROKER_GAP_NANOS = 3_000_000_000L;
  /** Executor faults: at most this long from the process being back to the first ok. */
  public static final long EXECUTOR_FIRST_OK_NANOS = 5_000_000_000L;

  /** The goal of fault {@code name}, if it has one. */
  public static Optional<Goal> forFault(String name) {
    return switch (name) {
      case "kill-broker", "pause", "partition" -> Optional.of(new Goal(Metric.LONGEST_GAP, SINGLE_BROKER_GAP_NANOS));
      case "kill-job", "restart-all" -> Optional.of(new Goal(Metric.FIRST_OK_AFTER_HEAL, EXECUTOR_FIRST_OK_NANOS));
      default -> Optional.empty();
    };
  }

  /** E.g. "longest gap <= 3.0 s". */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "%s <= %.1f s", metric.label(), limitNanos / 1e9);
  }

  /**
   * How {@code i} fares against this goal: {@link Status#MET} or {@link Status#NOT_MET} when it
   * can be told, {@link Status#NO_DATA} when the history ended before it could (an open gap still
   * within the bound, an unhealed fault, no ok op after healing yet within the bound).
   */
  public Status judge(FaultInterval i) {
    switch (metric) {
      case LONGEST_GAP -> {
        if (i.longestGapNanos() > limitNanos) {
          return Status.NOT_MET;
        }
        return i.gapOpen() ? Status.NO_DATA : Status.MET;
      }
      case FIRST_OK_AFTER_HEAL -> {
        if (i.firstOkAfterHealNanos() != null) {
          return i.firstOkAfterHealNanos() <= limitNanos ? Status.MET : Status.NOT_MET;
        }
        // Healed but no ok op until the history's end: at least that long.
        if (i.withoutOkSinceHealNanos() != null && i.withoutOkSinceHealNanos() > limitNanos) {
          return Status.NOT_MET;
        }
        return Status.NO_DATA;
      }
      default -> throw new IllegalStateException("unknown metric " + metric);
    }
  }
}
