/**
 * Availability under faults, measured from a Jepsen history's ok completions: per fault interval
 * (from the nemesis's {@code start-<name>} to the completion of its {@code stop-<name>}) the ok
 * rate, the longest stretch without an ok completion and the time from healing to the first ok;
 * per fault name a summary and whether Ordo's goal holds; and a baseline of the gaps outside
 * faults. Depends only on {@code io.ordo.jepsen.history}.
 */
package io.ordo.jepsen.availability;
