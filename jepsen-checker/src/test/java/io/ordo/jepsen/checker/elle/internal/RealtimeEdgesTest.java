package io.ordo.jepsen.checker.elle.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The realtime edges are Elle's transitive reduction of realtime order; process edges link neighbours. */
class RealtimeEdgesTest {
  private static String op(int index, int process, String type) {
    return "{:index " + index + ", :time " + index + ", :process " + process + ", :type :" + type + ", :f :txn, :value [[:r 1 nil]]}";
  }

  /** Edges as "a->b:type" strings over transaction ids (ids are in invoke order). */
  private static List<String> edges(List<String> ops) throws IOException {
    History h = EdnHistory.read(new StringReader(String.join("\n", ops)));
    List<Txn> txns = Txns.parse(h, List.of("append", "r"), false);
    boolean[] in = new boolean[txns.size()];
    for (Txn t : txns) {
      in[t.id()] = !t.isFail();
    }
    DepGraph g = new DepGraph(txns.size());
    g.addRealtimeAndProcessEdges(h, txns, in);
    g.freeze();
    List<String> out = new ArrayList<>();
    for (int a = 0; a < g.nodeCount(); a++) {
      for (int e = g.edgesStart(a); e < g.edgesEnd(a); e++) {
        for (int t = 1; t <= DepGraph.REALTIME; t <<= 1) {
          if ((g.mask(e) & t) != 0) {
            out.add(a + "->" + g.target(e) + ":" + DepGraph.typeName(t));
          }
        }
      }
    }
    return out;
  }

  @Test
  void aChainLinksOnlyNeighbours() throws IOException {
    // T0, then T1, then T2, each by its own process: no edge T0 -> T2.
    assertThat(edges(List.of(op(0, 0, "invoke"), op(1, 0, "ok"), op(2, 1, "invoke"), op(3, 1, "ok"), op(4, 2, "invoke"), op(5, 2, "ok"))))
        .containsExactly("0->1:realtime", "1->2:realtime");
  }

  @Test
  void concurrentTransactionsAreUnorderedAndLaterOnesFollowTheFrontier() throws IOException {
    // T0 completes; T1 and T2 start; T1 completes; T3 starts (linked to T1 only: T0 is reached
    // through T1); T2 completes; T4 starts while T3 is still open, so it follows T1 and T2.
    List<String> ops = List.of(op(0, 0, "invoke"), op(1, 0, "ok"), op(2, 1, "invoke"), op(3, 2, "invoke"), op(4, 1, "ok"),
        op(5, 3, "invoke"), op(6, 2, "ok"), op(7, 4, "invoke"), op(8, 3, "ok"), op(9, 4, "ok"));
    assertThat(edges(ops)).containsExactly("0->1:realtime", "0->2:realtime", "1->3:realtime", "1->4:realtime", "2->4:realtime");
  }

  @Test
  void processEdgesSkipFailedTransactionsAndInfoOnesOnlyReceiveEdges() throws IOException {
    // Process 0: T0 ok, T1 fail, T2 info. Process 1: T3 after T2's invoke.
    List<String> ops = List.of(op(0, 0, "invoke"), op(1, 0, "ok"), op(2, 0, "invoke"), op(3, 0, "fail"), op(4, 0, "invoke"),
        op(5, 0, "info"), op(6, 1, "invoke"), op(7, 1, "ok"));
    assertThat(edges(ops)).containsExactly("0->2:process", "0->2:realtime", "0->3:realtime");
  }
}
