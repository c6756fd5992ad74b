package io.ordo.jepsen.checker.elle;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.checker.elle.SimulatedDb.Isolation;
import io.ordo.jepsen.checker.elle.SimulatedDb.Params;
import io.ordo.jepsen.checker.elle.SimulatedDb.Workload;
import io.ordo.jepsen.history.History;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checkers against simulated databases of known isolation, on seeded random workloads (a
 * failing seed replays as this test with that seed): a serializable store must check valid under
 * strict serializability; a snapshot-isolation store must show write skew (G2-item) under
 * serializability yet be valid under snapshot isolation; a read-committed store must show
 * G-single or G2-item yet be valid under read committed.
 */
class SimulatedDbCheckTest {
  private static final Params CONTENDED = new Params(1500, 6, 3, 4, 16, 2, false);

  private static CheckResult check(Workload w, History h, String model) {
    Map<String, Object> options = Map.of("consistency-models", List.of(model));
    return w == Workload.LIST_APPEND ? new ListAppendChecker().check(options, h) : new RwRegisterChecker().check(options, h);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42})
  void serializableStoreIsValidUnderStrictSerializability(long seed) {
    for (Workload w : Workload.values()) {
      History h = SimulatedDb.run(Isolation.SERIALIZABLE, w, CONTENDED, seed);
      CheckResult r = check(w, h, "strict-serializable");
      assertThat(r.valid()).as("%s %s", w, r.extra()).isEqualTo(Validity.TRUE);
      assertThat(r.extra().get("anomaly-counts")).as("%s", w).isEqualTo(Map.of());
    }
  }

  /**
   * No false positives across many small seeded runs with varied shapes: each store is valid under
   * the strongest model its isolation promises (serializable stores: strict serializability;
   * snapshot-isolation stores: snapshot isolation; read-committed stores: read committed).
   */
  @org.junit.jupiter.api.Test
  void manySeedsNoFalsePositives() {
    java.util.Random shapes = new java.util.Random(2026);
    for (int run = 0; run < 40; run++) {
      long seed = shapes.nextLong();
      Params p = new Params(150 + shapes.nextInt(150), 2 + shapes.nextInt(7), 1 + shapes.nextInt(5), 1 + shapes.nextInt(5),
          4 + shapes.nextInt(12), shapes.nextInt(5), false);
      for (Workload w : Workload.values()) {
        for (Isolation iso : Isolation.values()) {
          String model = switch (iso) {
            case SERIALIZABLE -> "strict-serializable";
            case SERIALIZABLE_STALE_READS -> "serializable";
            case SNAPSHOT_ISOLATION -> "snapshot-isolation";
            case READ_COMMITTED -> "read-committed";
          };
          CheckResult r = check(w, SimulatedDb.run(iso, w, p, seed), model);
          assertThat(r.valid()).as("seed %d %s %s %s: %s", seed, p, w, iso, r.anomalies()).isEqualTo(Validity.TRUE);
        }
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42})
  void commitPositionsAsVersionOrderKeepEachStoreJudgedByItsIsolation(long seed) {
    Params withPositions = new Params(1500, 6, 3, 4, 16, 2, true);
    Map<String, Object> strict = Map.of("external-order", true);
    RwRegisterChecker checker = new RwRegisterChecker();
    History ser = SimulatedDb.run(Isolation.SERIALIZABLE, Workload.RW_REGISTER, withPositions, seed);
    assertThat(checker.check(strict, ser).valid()).isEqualTo(Validity.TRUE);
    History si = SimulatedDb.run(Isolation.SNAPSHOT_ISOLATION, Workload.RW_REGISTER, withPositions, seed);
    CheckResult siSer = checker.check(Map.of("external-order", true, "consistency-models", List.of("serializable")), si);
    assertThat(siSer.valid()).isEqualTo(Validity.FALSE);
    assertThat(siSer.anomalyTypes()).contains("G2-item");
    assertThat(checker.check(Map.of("external-order", true, "consistency-models", List.of("snapshot-isolation")), si).valid())
        .isEqualTo(Validity.TRUE);
    History rc = SimulatedDb.run(Isolation.READ_COMMITTED, Workload.RW_REGISTER, withPositions, seed);
    assertThat(checker.check(Map.of("external-order", true, "consistency-models", List.of("read-committed")), rc).valid())
        .isEqualTo(Validity.TRUE);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42})
  void staleReadsAreSerializableButNotStrictlySo(long seed) {
    for (Workload w : Workload.values()) {
      History h = SimulatedDb.run(Isolation.SERIALIZABLE_STALE_READS, w, CONTENDED, seed);
      assertThat(check(w, h, "serializable").valid()).as("%s", w).isEqualTo(Validity.TRUE);
      CheckResult strict = check(w, h, "strict-serializable");
      assertThat(strict.valid()).as("%s", w).isEqualTo(Validity.FALSE);
      assertThat(strict.anomalyTypes()).as("%s", w).allMatch(t -> t.endsWith("-realtime") || t.endsWith("-process"));
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42})
  void snapshotIsolationStoreShowsWriteSkewButNothingSnapshotIsolationForbids(long seed) {
    for (Workload w : Workload.values()) {
      History h = SimulatedDb.run(Isolation.SNAPSHOT_ISOLATION, w, CONTENDED, seed);
      CheckResult ser = check(w, h, "serializable");
      assertThat(ser.valid()).as("%s", w).isEqualTo(Validity.FALSE);
      assertThat(ser.anomalyTypes()).as("%s %s", w, ser.anomalyTypes()).containsAnyOf("G2-item", "G-single");
      CheckResult si = check(w, h, "snapshot-isolation");
      assertThat(si.valid()).as("%s %s", w, si.extra()).isEqualTo(Validity.TRUE);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42})
  void readCommittedStoreShowsAntiDependencyCyclesButNothingReadCommittedForbids(long seed) {
    for (Workload w : Workload.values()) {
      History h = SimulatedDb.run(Isolation.READ_COMMITTED, w, CONTENDED, seed);
      CheckResult ser = check(w, h, "serializable");
      assertThat(ser.valid()).as("%s", w).isEqualTo(Validity.FALSE);
      assertThat(ser.anomalyTypes()).as("%s %s", w, ser.anomalyTypes()).containsAnyOf("G-single", "G2-item");
      CheckResult rc = check(w, h, "read-committed");
      assertThat(rc.valid()).as("%s %s", w, rc.extra()).isEqualTo(Validity.TRUE);
    }
  }
}
