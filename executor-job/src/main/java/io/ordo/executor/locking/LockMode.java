package io.ordo.executor.locking;

/**
 * The lock a transaction takes on one key (see {@link LockManager} for when each is granted and
 * {@code LockEntry} in executor.proto for how it is stored).
 */
public enum LockMode {
  /** Every operation of the transaction on the key only reads it (get, assert). */
  SHARED,
  /** Some operation of the transaction on the key writes it. */
  EXCLUSIVE,
  /**
   * The transaction's only operation on the key is an increment and it asks for no post-state:
   * it may run together with earlier increments that the escrow check admits it past.
   */
  INCREMENT
}
