/**
 * The checkers by name ({@link io.ordo.jepsen.checkers.Checkers}), for command lines and
 * runners. A package of its own so that {@code io.ordo.jepsen.checker} (the checker contract,
 * results and verdicts) does not depend on the checkers that implement it.
 */
package io.ordo.jepsen.checkers;
