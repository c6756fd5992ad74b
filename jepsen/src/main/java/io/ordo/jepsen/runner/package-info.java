/**
 * Runs a workload against Ordo the way Jepsen does: N concurrent workers (process ids), an
 * open-loop rate or closed loop, a time limit, a seeded generator, a nemesis schedule (faults start
 * and stop at staggered intervals, then heal), a recovery wait, final reads of every key, and then
 * the workload's checkers.
 */
package io.ordo.jepsen.runner;
