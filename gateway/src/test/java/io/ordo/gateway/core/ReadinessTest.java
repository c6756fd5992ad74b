package io.ordo.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The executor part of readiness, on a fake clock and a fake probe runner. */
class ReadinessTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(), nanos::get);
  private final List<Transaction> probes = new ArrayList<>();
  private final List<CompletableFuture<TxnResult>> pending = new ArrayList<>();
  private final Readiness readiness =
      new Readiness(
          metrics,
          txn -> {
            probes.add(txn);
            CompletableFuture<TxnResult> f = new CompletableFuture<>();
            pending.add(f);
            return f;
          });

  private void advanceMs(long ms) {
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  private void resultArrives() {
    metrics.result(
        GatewayMetrics.INTERNAL,
        TxnResult.newBuilder().setTxnId("t").setOutcome(Outcome.COMMITTED).build(),
        0);
  }

  @Test
  void withoutEvidenceItIsNotReadyAndSendsNoProbeUnlessAsked() {
    Readiness.Part part = readiness.executor(false);
    assertThat(part.ready()).isFalse();
    assertThat(part.detail()).contains("has arrived yet").contains("probe=true");
    assertThat(probes).isEmpty();
  }

  @Test
  void aProbeIsARead_onlyGetOfTheProbeKey_andOneRunsAtATime() {
    assertThat(readiness.executor(true).detail()).contains("probe transaction sent");
    assertThat(readiness.executor(true).detail()).contains("under way");
    assertThat(probes).hasSize(1);
    Transaction probe = probes.get(0);
    assertThat(probe.getOpsCount()).isEqualTo(1);
    assertThat(probe.getOps(0).getKey()).isEqualTo(Readiness.PROBE_KEY);
    assertThat(probe.getOps(0).hasGet()).isTrue();

    // Its result is evidence: ready; and the next ask sends nothing while the evidence is fresh.
    resultArrives();
    pending.get(0).complete(TxnResult.getDefaultInstance());
    assertThat(readiness.executor(true).ready()).isTrue();
    assertThat(probes).hasSize(1);
  }

  @Test
  void evidenceAgesOut_andIsRenewedBeforeItExpires() {
    resultArrives();
    assertThat(readiness.executor(false).ready()).isTrue();

    // Past half the TTL an ask with probe sends one, while still ready (no flapping).
    advanceMs(Readiness.EVIDENCE_TTL_MS / 2 + 1);
    Readiness.Part renewing = readiness.executor(true);
    assertThat(renewing.ready()).isTrue();
    assertThat(probes).hasSize(1);

    // Past the TTL without a result: not ready, and the failed probe is reported.
    advanceMs(Readiness.EVIDENCE_TTL_MS);
    pending.get(0).completeExceptionally(new IllegalStateException("no result within 10000 ms"));
    Readiness.Part stale = readiness.executor(false);
    assertThat(stale.ready()).isFalse();
    assertThat(stale.detail())
        .contains("in the last " + Readiness.EVIDENCE_TTL_MS + " ms")
        .contains("the last probe failed: no result within 10000 ms");
  }
}
