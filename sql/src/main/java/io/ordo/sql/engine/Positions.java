package io.ordo.sql.engine;

import io.ordo.proto.Position;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import java.util.Comparator;

/** Log positions in SQL: their order and their text form {@code <ts>:<partition>:<offset>}. */
public final class Positions {
  private Positions() {}

  /** Position order: ts, partition, offset (the log's global order). */
  public static final Comparator<Position> ORDER =
      Comparator.comparingLong(Position::getTs)
          .thenComparingInt(Position::getPartition)
          .thenComparingLong(Position::getOffset);

  /** The last position at log time {@code tsMs}: every entry stamped at or before it. */
  public static Position endOf(long tsMs) {
    return Position.newBuilder()
        .setTs(tsMs)
        .setPartition(Integer.MAX_VALUE)
        .setOffset(Long.MAX_VALUE)
        .build();
  }

  /** {@code <ts>:<partition>:<offset>}, e.g. {@code 1765000000000:2:1234}. */
  public static String format(Position p) {
    return p.getTs() + ":" + p.getPartition() + ":" + p.getOffset();
  }

  /**
   * Parses {@link #format}'s form.
   *
   * @throws SqlException 22P02 when it is not three non-negative integers separated by colons
   */
  public static Position parse(String text) throws SqlException {
    String[] parts = text.trim().split(":", -1);
    try {
      if (parts.length == 3) {
        long ts = Long.parseLong(parts[0]);
        int partition = Integer.parseInt(parts[1]);
        long offset = Long.parseLong(parts[2]);
        if (ts >= 0 && partition >= 0 && offset >= 0) {
          return Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset).build();
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new SqlException(
        SqlState.INVALID_TEXT_REPRESENTATION,
        "invalid log position \"" + text + "\": expected <ts>:<partition>:<offset>");
  }
}
