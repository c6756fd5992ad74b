package io.ordo.jepsen.workload;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.proto.Position;
import io.ordo.sequencer.LogPosition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns Ordo commit positions into the external total order the rw-register checker takes: the
 * rank of each position in {@code (ts, partition, offset)} order.
 */
public final class PositionRanks {
  /** Orders positions as Ordo's global order does: ts, then partition, then offset. */
  public static final Comparator<Position> ORDER = LogPosition.WIRE_ORDER;

  private PositionRanks() {}

  /**
   * Ranks the positions: the smallest gets 0.
   *
   * @param positionsByCompletion position per ok completion index
   * @return rank per completion index
   * @throws IllegalArgumentException if two completions share a position (each committed
   *     transaction has its own log record, so this means the results are confused)
   */
  public static Map<Long, Long> rank(Map<Long, Position> positionsByCompletion) {
    List<Map.Entry<Long, Position>> entries = new ArrayList<>(positionsByCompletion.entrySet());
    // Ties cannot happen (checked below); the index makes the sort total anyway.
    entries.sort(Map.Entry.<Long, Position>comparingByValue(ORDER).thenComparing(Map.Entry.comparingByKey()));
    Map<Long, Long> out = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      if (i > 0 && ORDER.compare(entries.get(i - 1).getValue(), entries.get(i).getValue()) == 0) {
        throw new IllegalArgumentException("completions " + entries.get(i - 1).getKey() + " and " + entries.get(i).getKey()
            + " report the same commit position " + entries.get(i).getValue().toString().replace('\n', ' '));
      }
      out.put(entries.get(i).getKey(), (long) i);
    }
    return out;
  }

  /**
   * The history with each ranked ok completion's value replaced by {@code {:txn value, :position
   * rank}} (RwRegisterChecker's shape for external-order=true); other ops are unchanged.
   */
  public static History withPositions(History history, Map<Long, Long> rankByCompletion) {
    List<Op> out = new ArrayList<>(history.size());
    for (Op op : history.ops()) {
      Long rank = rankByCompletion.get(op.index());
      if (rank != null && op.isOk()) {
        Map<Object, Object> v = new LinkedHashMap<>();
        v.put(Keyword.of("txn"), op.value());
        v.put(Keyword.of("position"), rank);
        out.add(new Op(op.index(), op.timeNanos(), op.process(), op.type(), op.f(), v, op.error()));
      } else {
        out.add(op);
      }
    }
    return History.of(out);
  }
}
