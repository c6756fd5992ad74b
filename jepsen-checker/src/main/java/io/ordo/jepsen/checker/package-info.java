/**
 * Checkers of histories: the common result types and one package per family of checks (Elle-style
 * transactional checkers, linearizability, bank, stream/queue).
 */
package io.ordo.jepsen.checker;
