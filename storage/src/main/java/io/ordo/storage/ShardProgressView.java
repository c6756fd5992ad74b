package io.ordo.storage;

/**
 * What {@link MultiVersionStore} has materialized of one shard.
 *
 * <p>The store holds exactly the records with offsets in {@code [startOffset, end)}: records below
 * {@code startOffset} were trimmed, and {@code end} is the shard's {@code next_offset} in the
 * newest version materialized (one past the highest offset materialized).
 *
 * @param startOffset the first offset still held (records below it are trimmed), &gt;= 0
 * @param end one past the highest offset materialized, &gt;= startOffset
 * @param closed whether the shard is sealed: then {@code end} is final, no records follow it
 */
public record ShardProgressView(long startOffset, long end, boolean closed) {
  /** Checks {@code 0 <= startOffset <= end}. */
  public ShardProgressView {
    if (startOffset < 0 || startOffset > end) {
      throw new IllegalArgumentException(
          "need 0 <= startOffset <= end, got startOffset " + startOffset + ", end " + end);
    }
  }
}
