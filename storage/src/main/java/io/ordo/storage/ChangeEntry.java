package io.ordo.storage;

import io.ordo.proto.Position;
import io.ordo.proto.Value;
import java.util.Objects;
import java.util.Optional;

/**
 * One applied change of a key, as {@link MultiVersionStore#changesAfter} returns it: the log
 * position of the transaction that made it, the key, and the key's value before and after it
 * (empty: the key did not exist, or the change deleted it).
 */
public record ChangeEntry(Position position, String key, Optional<Value> before, Optional<Value> after) {
  public ChangeEntry {
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
  }
}
