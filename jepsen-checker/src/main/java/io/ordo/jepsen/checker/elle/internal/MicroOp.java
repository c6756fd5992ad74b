package io.ordo.jepsen.checker.elle.internal;

/**
 * One micro-operation of a transaction: {@code [:append k v]}, {@code [:r k v]} or {@code [:w k v]}.
 *
 * @param f "append", "r" or "w"
 * @param key the key
 * @param value for append/w the Long written; for r the observed value (a List of Longs for
 *     list-append, a Long for rw-register) or null (unknown, or the empty/initial state)
 * @param position the 0-based position of this micro-op within its transaction
 */
public record MicroOp(String f, long key, Object value, int position) {
  public boolean isRead() {
    return f.equals("r");
  }

  public boolean isWrite() {
    return !isRead();
  }
}
