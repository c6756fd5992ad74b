package io.ordo.gateway.subscriptions;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which consumer of a subscription (on one gateway) gets which shard: the consumer names sorted,
 * the shard ids sorted, shard i goes to consumer i mod n. A pure function of the two sets, so
 * every rebalance (a consumer joins or leaves, a split adds shards) gives the same answer for the
 * same membership, and shards move only as far as the membership change requires for this rule.
 */
final class ShardAssignment {
  private ShardAssignment() {}

  /**
   * @param consumers consumer names (any order, no duplicates)
   * @param shardIds shard ids to hand out (any order, no duplicates)
   * @return consumer name → its shard ids ascending; every consumer has an entry (possibly empty),
   *     in name order; empty when there are no consumers
   */
  static Map<String, List<Long>> assign(Collection<String> consumers, Collection<Long> shardIds) {
    SortedSet<String> names = new TreeSet<>(consumers);
    SortedSet<Long> shards = new TreeSet<>(shardIds);
    Map<String, List<Long>> out = new TreeMap<>();
    if (names.isEmpty()) {
      return out;
    }
    List<String> ordered = new ArrayList<>(names);
    for (String name : ordered) {
      out.put(name, new ArrayList<>());
    }
    int i = 0;
    for (long shard : shards) {
      out.get(ordered.get(i % ordered.size())).add(shard);
      i++;
    }
    return out;
  }
}
