package io.ordo.jepsen.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.workload.BankWorkload;
import io.ordo.jepsen.workload.KvWorkload;
import io.ordo.jepsen.workload.ListAppendWorkload;
import io.ordo.jepsen.workload.SerialTxnStore;
import io.ordo.jepsen.workload.TxnClient;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The runner's schedule, rate limiting and process rules, against the in-memory reference store. */
class JepsenRunnerTest {
  @Test
  void nemesisStartsAndStopsInTurnAndIsHealedAtTheEnd() throws Exception {
    CountingNemesis nemesis = new CountingNemesis();
    RunConfig config = RunConfig.closedLoop(2, 1_000, 7).withRate(200).withNemeses(List.of(nemesis), 150).withRecoveryWaitMs(0);
    RunResult r = new JepsenRunner().run(new ListAppendWorkload("p/", 3, 8), new SerialTxnStore(0), config, "n");
    List<String> fs = r.history().ops().stream().filter(op -> op.isNemesis() && op.isInvoke()).map(Op::f).toList();
    assertThat(fs.size()).isGreaterThanOrEqualTo(4);
    for (int i = 0; i < fs.size(); i++) {
      assertThat(fs.get(i)).isEqualTo(i % 2 == 0 ? "start-count" : "stop-count");
    }
    // Healed: the last transition is a stop, whether the schedule or the final heal made it.
    assertThat(fs.get(fs.size() - 1)).isEqualTo("stop-count");
    assertThat(nemesis.transitions).hasSize(fs.size());
    // What a transition returns is the value of its info completion: the first start returns 1.
    Op firstStartDone = r.history().ops().stream().filter(op -> op.isNemesis() && !op.isInvoke()).findFirst().orElseThrow();
    assertThat(firstStartDone.f()).isEqualTo("start-count");
    assertThat(firstStartDone.value()).isEqualTo(1L);
    assertThat(r.valid()).isTrue();
  }

  @Test
  void openLoopSkipsOpsWhenTheWorkersCannotKeepUp() throws Exception {
    TxnClient slow = new TxnClient() {
      final SerialTxnStore store = new SerialTxnStore(0);

      @Override
      public TxnResult txn(TxnRequest request, long deadlineMs) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return store.txn(request, deadlineMs);
      }
    };
    RunConfig config = new RunConfig(1, 200, 1_000, 3, 1_000, List.of(), 10_000, 0, 3, 2);
    RunResult r = new JepsenRunner().run(new BankWorkload("p/", 3, 10, 2), slow, config, "s");
    // 200 ops/s offered, at most ~20 ops/s served: most ops are skipped, none is invoked late.
    assertThat(r.skippedOps()).isGreaterThan(100);
    assertThat(r.okCount() + r.failCount()).isBetween(5L, 30L);
    assertThat(r.valid()).isTrue();
  }

  @Test
  void aWorkerTakesANewProcessAfterAnIndeterminateOp() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    SerialTxnStore store = new SerialTxnStore(0);
    TxnClient flaky = (request, deadlineMs) -> {
      if (calls.incrementAndGet() % 5 == 0) {
        // Applied but unanswered: the worst case an indeterminate op must cover.
        store.txn(request, deadlineMs);
        throw Status.DEADLINE_EXCEEDED.asRuntimeException();
      }
      return store.txn(request, deadlineMs);
    };
    RunConfig config = RunConfig.closedLoop(3, 500, 9).withRate(300).withRecoveryWaitMs(0);
    RunResult r = new JepsenRunner().run(new KvWorkload("p/", 3), flaky, config, "f");
    History h = r.history();
    assertThat(r.infoCount()).isPositive();
    long maxProcess = h.clientOps().stream().mapToLong(Op::process).max().orElseThrow();
    assertThat(maxProcess).isGreaterThanOrEqualTo(3 + r.infoCount() - 1);
    assertThat(h.clientOps().stream().filter(Op::isInfo).map(Op::error).distinct().toList()).containsExactly("DEADLINE_EXCEEDED");
    assertThat(r.valid()).as("%s", r.checks().results()).isTrue();
  }
}
