package io.ordo.jepsen.runner;

import io.ordo.jepsen.workload.StreamWorkload;
import java.util.Objects;
import java.util.Random;

/**
 * The {@code reshard} nemesis of the stream workload: start splits an open shard of the
 * workload's stream, stop merges two adjacent open shards (see {@link
 * StreamWorkload#splitShard} and {@link StreamWorkload#mergeShards}). Shards are chosen by a
 * Random seeded from the run's seed, so a run's choices follow from its seed and the shard
 * layout it finds. Works on any Ordo (embedded or the 3-broker cluster); the faults of the
 * cluster nemeses may run beside it in the same schedule.
 */
public final class ReshardNemesis implements Nemesis {
  /** The nemesis name, as {@code ordo jepsen --nemesis reshard}. */
  public static final String NAME = "reshard";

  private final StreamWorkload workload;
  private final Random random;

  /** @param seed the run's seed */
  public ReshardNemesis(StreamWorkload workload, long seed) {
    this.workload = Objects.requireNonNull(workload, "workload");
    this.random = new Random(seed ^ NAME.hashCode());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Object start() {
    return workload.splitShard(random);
  }

  @Override
  public Object stop() {
    return workload.mergeShards(random);
  }
}
