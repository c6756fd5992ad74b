package io.ordo.storage;

import io.ordo.proto.Position;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A page of {@link MultiVersionStore#changesAfter}: the matching changes in commit order, and
 * where the scan stopped.
 *
 * @param entries the changes whose key starts with the prefix, in (position, key) order
 * @param lastPosition position of the last index entry scanned (matching or not); empty when
 *     none was scanned
 * @param lastKey key of that entry (empty string when none)
 * @param complete true when the scan reached {@code upTo} or the end of the index: nothing more
 *     up to {@code upTo} remains; false when it stopped at the limit (continue after {@code
 *     (lastPosition, lastKey)})
 */
public record ChangePage(
    List<ChangeEntry> entries, Optional<Position> lastPosition, String lastKey, boolean complete) {
  public ChangePage {
    entries = List.copyOf(entries);
    Objects.requireNonNull(lastPosition, "lastPosition");
    Objects.requireNonNull(lastKey, "lastKey");
  }
}
