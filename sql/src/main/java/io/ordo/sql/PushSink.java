package io.ordo.sql;

import java.util.List;

/**
 * Where a push query ({@code SELECT ... EMIT CHANGES}, {@link SqlStatement#push}) delivers its
 * output, in this order: {@link #start} once, then rows and progress marks as the changes come.
 * Calls come from the thread running the query; a call that blocks holds the query there (that
 * is the backpressure: a slow client stops the reading, nothing piles up in between).
 */
public interface PushSink {
  /**
   * The result columns, before any row: {@code _position} (TEXT), {@code _op} (TEXT), then the
   * query's select list.
   */
  void start(List<Column> columns) throws InterruptedException;

  /** One row, values in column order with the Java shapes of {@link SqlType}. May block. */
  void row(List<Object> row) throws InterruptedException;

  /**
   * The query has read every change up to {@code position} ({@code <ts>:<partition>:<offset>})
   * and delivered those that matched: a client that resumes {@code AT POSITION} it misses nothing
   * and reads nothing again. Sent when the query has caught up and waits for new changes (only
   * when it moved since the last row or mark). May block.
   */
  void progress(String position) throws InterruptedException;
}
