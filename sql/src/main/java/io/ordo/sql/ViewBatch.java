package io.ordo.sql;

import java.util.List;
import java.util.Objects;

/**
 * One batch of a materialized view's maintenance job ({@link SqlSession#applyView}): the latest
 * image of every view row that changed since the previous batch, and the source position the
 * view reaches with it.
 *
 * @param view the view's name
 * @param viewId the id of the view the job maintains (a re-created view has another)
 * @param position the source position reached, {@code <ts>:<partition>:<offset>} (every change
 *     at it) or {@code <ts>:<partition>:<offset>:<n>} (its first n rows)
 * @param replace the job started without state: the batch holds the whole view and every stored
 *     row not in {@code upserts} is deleted
 * @param upserts whole rows, values in the view's column order (Java shapes of SqlType or text)
 * @param deletes whole rows (as {@code upserts}) to delete; only their key columns matter
 */
public record ViewBatch(
    String view, String viewId, String position, boolean replace, List<List<Object>> upserts,
    List<List<Object>> deletes) {
  public ViewBatch {
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(viewId, "viewId");
    Objects.requireNonNull(position, "position");
    upserts = List.copyOf(upserts);
    deletes = List.copyOf(deletes);
  }

  /**
   * What {@link SqlSession#applyView} did.
   *
   * @param applied false when the stored progress was already at or past the batch's position
   * @param position the view's progress after the call
   */
  public record Result(boolean applied, String position) {}
}
