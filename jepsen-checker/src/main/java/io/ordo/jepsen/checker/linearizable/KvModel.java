package io.ordo.jepsen.checker.linearizable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The sequential specification of one key of the key-value store.
 *
 * <p>The state of a key is {@code null} (never written), a {@link Long} (set by {@code :write}) or
 * a {@code List<Long>} (built by {@code :append}, which adds one long at the end, as Jepsen's
 * list-append and the 6.824 KV battery's Append with values kept as a list instead of a
 * concatenated string, so each append stays visible as its own element). Operations:
 *
 * <ul>
 *   <li>{@code :write v}: the state becomes {@code v} (a long or a list of longs).
 *   <li>{@code :append v}: the state, nil or a list, gets {@code v} at its end; appending to a long
 *       is not a legal step.
 *   <li>{@code :read} observing {@code v}: legal iff {@code v} equals the state; an observed empty
 *       list also matches the nil state.
 *   <li>{@code :cas [old new]}: legal iff the state equals {@code old}; the state becomes {@code
 *       new} (Knossos's cas-register). A cas that found another value completes with fail and so
 *       never reaches the model.
 * </ul>
 *
 * States are immutable values compared with {@link Object#equals}, so they can be cached.
 */
final class KvModel {
  /** Returned by {@link #step} when the operation cannot take effect in the given state. */
  static final Object ILLEGAL = new Object() {
    @Override
    public String toString() {
      return "ILLEGAL";
    }
  };

  enum Kind {
    READ,
    WRITE,
    APPEND,
    CAS
  }

  private KvModel() {}

  /**
   * Applies one operation.
   *
   * @param argument the written or appended value, or [old new] for cas (ignored for reads)
   * @param observed what a read returned (ignored for writes and appends)
   * @return the next state, or {@link #ILLEGAL}
   */
  static Object step(Object state, Kind kind, Object argument, Object observed) {
    switch (kind) {
      case READ:
        if (Objects.equals(state, observed)) {
          return state;
        }
        if (state == null && observed instanceof List<?> l && l.isEmpty()) {
          return state;
        }
        return ILLEGAL;
      case WRITE:
        return argument;
      case CAS:
        List<?> oldNew = (List<?>) argument;
        return Objects.equals(state, oldNew.get(0)) ? oldNew.get(1) : ILLEGAL;
      case APPEND:
        if (state != null && !(state instanceof List)) {
          return ILLEGAL;
        }
        @SuppressWarnings("unchecked")
        List<Object> old = state == null ? List.of() : (List<Object>) state;
        List<Object> next = new ArrayList<>(old.size() + 1);
        next.addAll(old);
        next.add(argument);
        return Collections.unmodifiableList(next);
      default:
        throw new AssertionError(kind);
    }
  }
}
