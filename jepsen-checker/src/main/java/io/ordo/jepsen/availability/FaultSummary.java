package io.ordo.jepsen.availability;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The intervals of one fault name (of one history, or pooled over a battery's histories). Medians
 * are nearest-rank ({@link Availability#percentile}); a statistic over no values is null.
 *
 * @param name the fault's name
 * @param intervals how many intervals
 * @param unhealed how many were never healed (the history ended during the fault)
 * @param medianLengthNanos median of {@link FaultInterval#lengthNanos()}
 * @param medianOkPerSecond median of {@link FaultInterval#okPerSecond()}
 * @param maxOkPerSecond the largest
 * @param medianLongestGapNanos median of {@link FaultInterval#longestGapNanos()} (open gaps count at their lower bound)
 * @param maxLongestGapNanos the largest
 * @param firstOkMeasured how many intervals have a {@link FaultInterval#firstOkAfterHealNanos()}
 * @param medianFirstOkAfterHealNanos median over those, or null if none
 * @param maxFirstOkAfterHealNanos the largest, or null if none
 * @param goal the fault's goal, or null if it has none
 * @param goalStatus {@link Goal.Status#NOT_MET} if some interval misses the goal, else {@link
 *     Goal.Status#MET} if at least one interval meets it, else {@link Goal.Status#NO_DATA}; {@link
 *     Goal.Status#NONE} without a goal
 * @param goalUndetermined intervals the goal could not judge (see {@link Goal#judge})
 */
public record FaultSummary(String name, int intervals, int unhealed, Long medianLengthNanos, Double medianOkPerSecond,
    Double maxOkPerSecond, Long medianLongestGapNanos, Long maxLongestGapNanos, int firstOkMeasured, Long medianFirstOkAfterHealNanos,
    Long maxFirstOkAfterHealNanos, Goal goal, Goal.Status goalStatus, int goalUndetermined) {
  public FaultSummary {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(goalStatus, "goalStatus");
  }

  /**
   * Summarizes {@code list}, all of fault {@code name}.
   *
   * @throws IllegalArgumentException if an interval has another name
   */
  public static FaultSummary of(String name, List<FaultInterval> list) {
    List<Long> lengths = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    List<Long> gaps = new ArrayList<>();
    List<Long> firstOks = new ArrayList<>();
    int unhealed = 0;
    for (FaultInterval i : list) {
      if (!i.name().equals(name)) {
        throw new IllegalArgumentException("interval of " + i.name() + " in the summary of " + name);
      }
      lengths.add(i.lengthNanos());
      rates.add(i.okPerSecond());
      gaps.add(i.longestGapNanos());
      if (i.firstOkAfterHealNanos() != null) {
        firstOks.add(i.firstOkAfterHealNanos());
      }
      if (!i.healed()) {
        unhealed++;
      }
    }
    lengths.sort(null);
    rates.sort(null);
    gaps.sort(null);
    firstOks.sort(null);
    Optional<Goal> goal = Goal.forFault(name);
    Goal.Status status = Goal.Status.NONE;
    int undetermined = 0;
    if (goal.isPresent()) {
      boolean met = false;
      boolean missed = false;
      for (FaultInterval i : list) {
        switch (goal.get().judge(i)) {
          case MET -> met = true;
          case NOT_MET -> missed = true;
          default -> undetermined++;
        }
      }
      status = missed ? Goal.Status.NOT_MET : met ? Goal.Status.MET : Goal.Status.NO_DATA;
    }
    return new FaultSummary(name, list.size(), unhealed, median(lengths), medianDouble(rates), last(rates), median(gaps), last(gaps),
        firstOks.size(), median(firstOks), last(firstOks), goal.orElse(null), status, undetermined);
  }

  private static Long median(List<Long> sorted) {
    return sorted.isEmpty() ? null : Availability.percentile(sorted, 0.5);
  }

  private static Double medianDouble(List<Double> sorted) {
    return sorted.isEmpty() ? null : sorted.get((sorted.size() + 1) / 2 - 1);
  }

  private static <T> T last(List<T> sorted) {
    return sorted.isEmpty() ? null : sorted.get(sorted.size() - 1);
  }
}
