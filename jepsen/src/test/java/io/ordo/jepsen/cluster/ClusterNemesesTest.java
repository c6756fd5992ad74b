package io.ordo.jepsen.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.jepsen.cluster.ClusterNemeses.Pick;
import io.ordo.jepsen.cluster.ClusterNemeses.Target;
import io.ordo.jepsen.history.Keyword;
import io.ordo.sequencer.KafkaClientTimeouts;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How the broker faults choose their target: from the seed, then the cluster's state. */
class ClusterNemesesTest {
  private static final List<Integer> IDS = List.of(1, 2, 3);

  private static List<Pick> picks(long seed, int n, OptionalInt controller, OptionalInt leader) {
    Random random = new Random(seed);
    List<Pick> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(ClusterNemeses.pickBroker(random, IDS, 4, () -> controller, p -> leader));
    }
    return out;
  }

  @Test
  void theSameSeedPicksTheSameTargetsAndTheKindsDoNotDependOnTheCluster() {
    List<Pick> a = picks(42, 30, OptionalInt.of(2), OptionalInt.of(3));
    assertThat(picks(42, 30, OptionalInt.of(2), OptionalInt.of(3))).isEqualTo(a);
    // Another cluster state changes the nodes of controller/leader picks, never the kinds or partitions.
    List<Pick> b = picks(42, 30, OptionalInt.of(1), OptionalInt.empty());
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i).target()).isEqualTo(a.get(i).target());
      assertThat(b.get(i).partition()).isEqualTo(a.get(i).partition());
    }
    Set<Target> kinds = EnumSet.noneOf(Target.class);
    a.forEach(p -> kinds.add(p.target()));
    assertThat(kinds).containsExactlyInAnyOrder(Target.values());
  }

  @Test
  void controllerAndLeaderPicksHitThatNode() {
    for (Pick p : picks(7, 40, OptionalInt.of(2), OptionalInt.of(3))) {
      switch (p.target()) {
        case CONTROLLER -> assertThat(p.node()).isEqualTo(2);
        case LEADER -> {
          assertThat(p.node()).isEqualTo(3);
          assertThat(p.partition()).isBetween(0, 3);
        }
        case ANY -> assertThat(p.node()).isIn(IDS);
      }
      assertThat(p.fallback()).isFalse();
    }
  }

  @Test
  void anUnknownControllerOrLeaderFallsBackToARandomNodeAndSaysSo() {
    for (Pick p : picks(9, 40, OptionalInt.empty(), OptionalInt.of(99))) {
      assertThat(p.node()).isIn(IDS);
      assertThat(p.fallback()).isEqualTo(p.target() != Target.ANY);
    }
  }

  @Test
  void thePickIsRecordedAsAnEdnFriendlyMap() {
    Map<Keyword, Object> v = new Pick(Target.LEADER, 2, 3, false).toValue();
    assertThat(v).containsEntry(Keyword.of("target"), Keyword.of("leader"))
        .containsEntry(Keyword.of("partition"), 2L)
        .containsEntry(Keyword.of("node"), 3L)
        .doesNotContainKey(Keyword.of("fallback"));
    assertThat(new Pick(Target.CONTROLLER, -1, 1, true).toValue())
        .containsEntry(Keyword.of("fallback"), Boolean.TRUE)
        .doesNotContainKey(Keyword.of("partition"));
  }

  @Test
  void badInputIsRefused() {
    assertThatThrownBy(() -> ClusterNemeses.pickBroker(new Random(1), List.of(), 4, OptionalInt::empty, p -> OptionalInt.empty()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theBrokerConfigReplicatesInternalTopicsThreeTimesWithMinIsrTwo() {
    assertThat(LocalCluster.brokerConfig())
        .containsEntry("offsets.topic.replication.factor", "3")
        .containsEntry("transaction.state.log.replication.factor", "3")
        .containsEntry("transaction.state.log.min.isr", "2")
        .containsEntry("min.insync.replicas", "2");
  }

  @Test
  void theControllerFencesASilentBrokerBeforeOrdosClientsGiveUpOnIt() {
    Map<String, String> c = LocalCluster.brokerConfig();
    int sessionMs = Integer.parseInt(c.get("broker.session.timeout.ms"));
    int heartbeatMs = Integer.parseInt(c.get("broker.heartbeat.interval.ms"));
    // A client that times out on the silent broker must find its partitions led elsewhere, and a
    // healthy broker must be able to miss a few heartbeats (CPU load) without being fenced.
    assertThat(sessionMs).isLessThan(KafkaClientTimeouts.PRODUCER_REQUEST_TIMEOUT_MS)
        .isLessThan(KafkaClientTimeouts.consumerRequestTimeoutMs(KafkaClientTimeouts.REPLICATED_FETCH_WAIT_MS));
    assertThat(heartbeatMs * 3).isLessThanOrEqualTo(sessionMs);
  }
}
