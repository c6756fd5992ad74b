package io.ordo.jepsen.cluster;

import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.runner.Nemesis;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Random;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jepsen nemeses of the {@link LocalCluster}, by the names of {@code ordo jepsen --nemesis}:
 *
 * <ul>
 *   <li>{@code kill-broker}: SIGKILL one broker; on stop start it again on the same data and ports.
 *   <li>{@code pause}: SIGSTOP one broker; on stop SIGCONT it.
 *   <li>{@code partition}: cut one broker off from the other two (blackhole routes between network
 *       namespaces; clients still reach it); on stop remove every partition. Needs the cluster
 *       started with network namespaces.
 *   <li>{@code restart-all}: SIGKILL every JVM (brokers, executor, gateway); on stop start them all
 *       again on the same data and ports.
 *   <li>{@code kill-job}: SIGKILL the executor's JVM; on stop start it again, restoring its newest
 *       retained checkpoint.
 * </ul>
 *
 * <p>Which broker a fault hits is chosen per start by {@link #pickBroker}: the kind of target
 * (any broker, the active controller, the leader of a log-topic partition) and the partition come
 * from a Random seeded by the run's seed and the nemesis name; the node then follows from the
 * cluster's state at that moment. The completion of each transition records what was done as its
 * value, e.g. {@code {:target :leader, :partition 2, :node 3, :pid 4711}} for a start and {@code
 * {:node 3, :pid 4802}} (the new JVM) for the stop of {@code kill-broker}.
 */
public final class ClusterNemeses {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterNemeses.class);
  /** The nemesis names this class makes. */
  public static final List<String> NAMES = List.of("kill-broker", "pause", "partition", "restart-all", "kill-job");

  private ClusterNemeses() {}

  /**
   * The nemesis called {@code name} on {@code cluster}.
   *
   * @param seed the run's seed; with the name it seeds the choice of targets
   * @throws IllegalArgumentException for a name not in {@link #NAMES}, or {@code partition} on a
   *     cluster without network namespaces
   */
  public static Nemesis create(String name, LocalCluster cluster, long seed) {
    Objects.requireNonNull(cluster, "cluster");
    Random random = new Random(seed * 1_000_003L + name.hashCode());
    return switch (name) {
      case "kill-broker" -> new BrokerFault(name, cluster, random) {
        @Override
        void inject(int node) throws Exception {
          cluster.killBroker(node);
        }

        @Override
        void heal(int node) throws Exception {
          cluster.startBroker(node);
        }
      };
      case "pause" -> new BrokerFault(name, cluster, random) {
        @Override
        void inject(int node) throws Exception {
          cluster.pauseBroker(node);
        }

        @Override
        void heal(int node) throws Exception {
          cluster.resumeBroker(node);
        }
      };
      case "partition" -> {
        if (!cluster.hasNetworkNamespaces()) {
          throw new IllegalArgumentException("the partition nemesis needs the cluster's brokers in network namespaces");
        }
        yield new BrokerFault(name, cluster, random) {
          @Override
          void inject(int node) throws Exception {
            cluster.isolate(node);
          }

          @Override
          void heal(int node) throws Exception {
            cluster.healPartitions();
          }
        };
      }
      case "restart-all" -> new Nemesis() {
        @Override
        public String name() {
          return name;
        }

        @Override
        public Object start() throws Exception {
          Map<Keyword, Object> v = pids(cluster);
          cluster.killAll();
          return v;
        }

        @Override
        public Object stop() throws Exception {
          cluster.startAll();
          return pids(cluster);
        }
      };
      case "kill-job" -> new Nemesis() {
        @Override
        public String name() {
          return name;
        }

        @Override
        public Object start() throws Exception {
          long pid = cluster.executorPid();
          cluster.killExecutor();
          return Map.of(Keyword.of("pid"), pid);
        }

        @Override
        public Object stop() throws Exception {
          cluster.startExecutor();
          return Map.of(Keyword.of("pid"), cluster.executorPid());
        }
      };
      default -> throw new IllegalArgumentException("unknown cluster nemesis '" + name + "'; known: " + String.join(", ", NAMES));
    };
  }

  private static Map<Keyword, Object> pids(LocalCluster cluster) {
    Map<Keyword, Object> v = new LinkedHashMap<>();
    v.put(Keyword.of("broker-pids"), new ArrayList<>(cluster.brokerPids()));
    v.put(Keyword.of("executor-pid"), cluster.executorPid());
    v.put(Keyword.of("gateway-pid"), cluster.gatewayPid());
    return v;
  }

  /** What {@link #pickBroker} chose. @param partition the log partition for LEADER, else -1 */
  public record Pick(Target target, int partition, int node, boolean fallback) {
    /** The history value: {@code {:target :leader, :partition 2, :node 3}} (+ {@code :fallback true}). */
    Map<Keyword, Object> toValue() {
      Map<Keyword, Object> v = new LinkedHashMap<>();
      v.put(Keyword.of("target"), Keyword.of(target.label));
      if (target == Target.LEADER) {
        v.put(Keyword.of("partition"), (long) partition);
      }
      v.put(Keyword.of("node"), (long) node);
      if (fallback) {
        // The controller or leader was unknown (e.g. no quorum answered in time): a random node.
        v.put(Keyword.of("fallback"), Boolean.TRUE);
      }
      return v;
    }
  }

  /** The kinds of broker a fault can target. */
  public enum Target {
    ANY("any"), CONTROLLER("controller"), LEADER("leader");

    final String label;

    Target(String label) {
      this.label = label;
    }
  }

  /**
   * Chooses a broker. Always draws three numbers from {@code random} (kind, partition, node index),
   * so the sequence of kinds and partitions depends only on the seed; the node is the active
   * controller for CONTROLLER, the partition's leader for LEADER, and {@code ids[index]} for ANY or
   * when the controller/leader is unknown (then {@code fallback} is true).
   *
   * @param ids the broker ids, non-empty
   * @param partitions the log topic's partition count, > 0
   * @param controller asked only for CONTROLLER
   * @param leaderOf asked only for LEADER, with the drawn partition
   */
  public static Pick pickBroker(Random random, List<Integer> ids, int partitions,
      java.util.function.Supplier<OptionalInt> controller, IntFunction<OptionalInt> leaderOf) {
    if (ids.isEmpty() || partitions <= 0) {
      throw new IllegalArgumentException("need brokers and partitions, got " + ids + " and " + partitions);
    }
    Target target = Target.values()[random.nextInt(Target.values().length)];
    int partition = random.nextInt(partitions);
    int any = ids.get(random.nextInt(ids.size()));
    OptionalInt node = switch (target) {
      case ANY -> OptionalInt.of(any);
      case CONTROLLER -> controller.get();
      case LEADER -> leaderOf.apply(partition);
    };
    boolean known = node.isPresent() && ids.contains(node.getAsInt());
    return new Pick(target, target == Target.LEADER ? partition : -1, known ? node.getAsInt() : any, !known);
  }

  /** A fault on one broker at a time, chosen by {@link #pickBroker} at each start. */
  private abstract static class BrokerFault implements Nemesis {
    private final String name;
    private final LocalCluster cluster;
    private final Random random;
    private int node = -1; // the broker hit by the active fault, or -1

    BrokerFault(String name, LocalCluster cluster, Random random) {
      this.name = name;
      this.cluster = cluster;
      this.random = random;
    }

    abstract void inject(int node) throws Exception;

    abstract void heal(int node) throws Exception;

    @Override
    public String name() {
      return name;
    }

    @Override
    public Object start() throws Exception {
      Pick pick = pickBroker(random, cluster.brokerIds(), cluster.logPartitions(), cluster::activeController,
          cluster::logPartitionLeader);
      Map<Keyword, Object> v = pick.toValue();
      v.put(Keyword.of("pid"), cluster.brokerPid(pick.node()));
      LOG.info("{}: start on broker {} ({})", name, pick.node(), v);
      node = pick.node();
      inject(node);
      return v;
    }

    @Override
    public Object stop() throws Exception {
      if (node < 0) {
        return null;
      }
      int n = node;
      heal(n);
      node = -1;
      Map<Keyword, Object> v = new LinkedHashMap<>();
      v.put(Keyword.of("node"), (long) n);
      v.put(Keyword.of("pid"), cluster.brokerPid(n));
      LOG.info("{}: stopped on broker {} ({})", name, n, v);
      return v;
    }
  }
}
