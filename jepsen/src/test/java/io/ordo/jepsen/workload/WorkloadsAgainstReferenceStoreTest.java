package io.ordo.jepsen.workload;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.runner.JepsenRunner;
import io.ordo.jepsen.runner.RunConfig;
import io.ordo.jepsen.runner.RunResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each workload, driven by the real runner against a strictly serializable in-memory store, must
 * be judged valid by every checker; against a store that loses writes, the checkers must object.
 */
class WorkloadsAgainstReferenceStoreTest {
  private static final long RUN_MS = 700;
  /** Open loop, so the histories stay a few hundred ops long and the checks fast. */
  private static final double RATE_OPS_PER_SEC = 500;

  private static RunResult run(Workload w, SerialTxnStore store, long seed) throws InterruptedException {
    return new JepsenRunner().run(w, store, RunConfig.closedLoop(4, RUN_MS, seed).withRate(RATE_OPS_PER_SEC).withRecoveryWaitMs(0), "t" + seed);
  }

  @Test
  void listAppendOnASerialStoreIsValid() throws Exception {
    ListAppendWorkload w = new ListAppendWorkload("p/", 4, 16);
    RunResult r = run(w, new SerialTxnStore(0), 1);
    assertAllValid(r, "list-append");
    // Keys retire after 16 appends, so a run of hundreds of txns touches more than the 4 initial keys.
    long keysRead = w.finalReads().stream().mapToLong(inv -> ((List<?>) inv.value()).size()).sum();
    assertThat(keysRead).isGreaterThan(4);
  }

  @Test
  void rwRegisterOnASerialStoreIsValidWithAndWithoutExternalOrder() throws Exception {
    RunResult r = run(new RwRegisterWorkload("p/", 5), new SerialTxnStore(0), 2);
    assertAllValid(r, "rw-register", "rw-register-external-order");
    assertThat(r.checks().extraHistories()).containsKey("history-external-order");
  }

  @Test
  void bankOnASerialStoreIsValid() throws Exception {
    RunResult r = run(new BankWorkload("p/", 5, 10, 5), new SerialTxnStore(0), 3);
    assertAllValid(r, "bank");
    // Balances of 10 and transfers up to 5 make some transfers overdraw, which must fail.
    assertThat(r.failCount()).isPositive();
  }

  @Test
  void kvOnASerialStoreIsValid() throws Exception {
    RunResult r = run(new KvWorkload("p/", 3), new SerialTxnStore(0), 4);
    assertAllValid(r, "linearizable-kv", "kv-appends");
  }

  @Test
  void bankOnAStoreThatLosesCreditsIsInvalid() throws Exception {
    RunResult r = run(new BankWorkload("p/", 5, 100, 5), new SerialTxnStore(7), 5);
    assertThat(r.valid()).isFalse();
    assertThat(r.checks().results().get("bank").anomalyTypes()).contains("wrong-total");
  }

  @Test
  void kvOnAStoreThatLosesAppendsIsInvalid() throws Exception {
    RunResult r = run(new KvWorkload("p/", 3), new SerialTxnStore(5), 6);
    assertThat(r.valid()).isFalse();
    assertThat(r.checks().results().get("linearizable-kv").valid()).isEqualTo(Validity.FALSE);
    assertThat(r.checks().linearizabilityFailures()).isNotEmpty();
  }

  private static void assertAllValid(RunResult r, String... checkers) {
    assertThat(r.checks().results().keySet()).containsExactly(checkers);
    for (Map.Entry<String, CheckResult> e : r.checks().results().entrySet()) {
      assertThat(e.getValue().valid()).as(e.getKey() + ": " + e.getValue().anomalies()).isEqualTo(Validity.TRUE);
    }
    assertThat(r.valid()).isTrue();
    assertThat(r.okCount()).as("ok ops").isGreaterThan(50);
    assertThat(r.infoCount()).isZero();
  }
}
