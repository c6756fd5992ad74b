package io.ordo.jepsen.checker.elle.internal;

import static io.ordo.jepsen.checker.elle.internal.DepGraph.PROCESS;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.REALTIME;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.RW;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.WR;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.WW;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle classification and search on hand-built dependency graphs. */
class CycleSearchTest {
  @Test
  void classifiesByTheEdgesTheCycleUses() {
    assertThat(CycleSearch.classify(new int[] {WW, WW})).isEqualTo("G0");
    assertThat(CycleSearch.classify(new int[] {WW, WR})).isEqualTo("G1c");
    assertThat(CycleSearch.classify(new int[] {RW, WR, WW})).isEqualTo("G-single");
    assertThat(CycleSearch.classify(new int[] {RW, WR, RW, WR})).isEqualTo("G-nonadjacent");
    // The last and the first edge are adjacent too.
    assertThat(CycleSearch.classify(new int[] {RW, WW, RW})).isEqualTo("G2-item");
    assertThat(CycleSearch.classify(new int[] {RW, RW})).isEqualTo("G2-item");
    assertThat(CycleSearch.classify(new int[] {WW, PROCESS})).isEqualTo("G0-process");
    assertThat(CycleSearch.classify(new int[] {WR, PROCESS, REALTIME})).isEqualTo("G1c-realtime");
    assertThat(CycleSearch.classify(new int[] {RW, REALTIME})).isEqualTo("G-single-realtime");
  }

  private static DepGraph graph(int n, int[][] edges) {
    DepGraph g = new DepGraph(n);
    for (int[] e : edges) {
      g.add(e[0], e[1], e[2]);
    }
    g.freeze();
    return g;
  }

  @Test
  void findsOneCycleOfEachShapeInAComponent() {
    // 0 -ww-> 1 -ww-> 0 (G0); 1 -wr-> 2 -wr-> 1 (G1c); 2 -rw-> 3 -wr-> 2 (G-single).
    DepGraph g = graph(4, new int[][] {{0, 1, WW}, {1, 0, WW}, {1, 2, WR}, {2, 1, WR}, {2, 3, RW}, {3, 2, WR}});
    CycleSearch.Result r = new CycleSearch(g, System::nanoTime, 10_000).run();
    assertThat(r.timedOut()).isFalse();
    assertThat(r.nontrivialComponents()).isEqualTo(1);
    assertThat(r.largestComponentSize()).isEqualTo(4);
    assertThat(r.cycles()).extracting(CycleSearch.Cycle::type).containsExactlyInAnyOrder("G0", "G1c", "G-single");
    CycleSearch.Cycle single = r.cycles().stream().filter(c -> c.type().equals("G-single")).findFirst().orElseThrow();
    assertThat(single.nodes()).containsExactly(2, 3);
    assertThat(single.edgeTypes()).containsExactly(RW, WR);
  }

  @Test
  void findsBothNonadjacentAndAdjacentAntiDependencyCyclesInOneComponent() {
    // 0 -rw-> 1 -wr-> 2 -rw-> 3 -wr-> 0 (G-nonadjacent) and 0 -rw-> 1 -rw-> 0 (G2-item).
    DepGraph g = graph(4, new int[][] {{0, 1, RW}, {1, 2, WR}, {2, 3, RW}, {3, 0, WR}, {1, 0, RW}});
    CycleSearch.Result r = new CycleSearch(g, System::nanoTime, 10_000).run();
    assertThat(r.cycles()).extracting(CycleSearch.Cycle::type).containsExactlyInAnyOrder("G-nonadjacent", "G2-item");
    CycleSearch.Cycle skew = r.cycles().stream().filter(c -> c.type().equals("G2-item")).findFirst().orElseThrow();
    assertThat(skew.edgeTypes()).containsExactly(RW, RW);
  }

  @Test
  void anAcyclicGraphHasNoComponentsAndNoCycles() {
    DepGraph g = graph(3, new int[][] {{0, 1, WW}, {1, 2, RW}, {0, 2, REALTIME}});
    CycleSearch.Result r = new CycleSearch(g, System::nanoTime, 0).run();
    assertThat(r.cycles()).isEmpty();
    assertThat(r.timedOut()).isFalse();
    assertThat(r.countsByType()).isEmpty();
  }

  @Test
  void parallelEdgesOfDifferentTypesMergeIntoOneMask() {
    DepGraph g = graph(2, new int[][] {{0, 1, WW}, {0, 1, REALTIME}, {1, 0, RW}, {1, 1, WW}});
    assertThat(g.edgeCount()).isEqualTo(2);
    assertThat(g.maskBetween(0, 1)).isEqualTo(WW | REALTIME);
    assertThat(g.maskBetween(1, 0)).isEqualTo(RW);
    assertThat(g.maskBetween(1, 1)).isZero();
    CycleSearch.Result r = new CycleSearch(g, System::nanoTime, 10_000).run();
    assertThat(r.cycles()).extracting(CycleSearch.Cycle::type).isEqualTo(List.of("G-single"));
  }
}
