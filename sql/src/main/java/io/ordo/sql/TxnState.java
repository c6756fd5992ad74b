package io.ordo.sql;

/**
 * A session's transaction state, as PostgreSQL's ReadyForQuery reports it: idle (autocommit),
 * inside a {@code BEGIN} block, or inside a failed block that only {@code ROLLBACK} (or {@code
 * COMMIT}, which then rolls back) ends.
 */
public enum TxnState {
  IDLE('I'),
  IN_TRANSACTION('T'),
  FAILED('E');

  private final char indicator;

  TxnState(char indicator) {
    this.indicator = indicator;
  }

  /** The ReadyForQuery status byte: 'I', 'T' or 'E'. */
  public char indicator() {
    return indicator;
  }
}
