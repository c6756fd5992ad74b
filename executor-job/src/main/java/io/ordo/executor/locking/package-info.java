/**
 * Deterministic locking of a key range: {@link io.ordo.executor.locking.LockManager} decides, from
 * a key's lock queue (in log order) and its value, which transactions hold which locks, including
 * increment locks admitted by the escrow check. No Flink types: the operator that owns the state
 * calls it.
 */
package io.ordo.executor.locking;
