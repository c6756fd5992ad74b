package io.ordo.gateway.core;

import io.grpc.Context;
import io.ordo.proto.Get;
import io.ordo.proto.Operation;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Whether the executor answers this gateway: the executor part of readiness. The evidence is the
 * latest result of one of this gateway's own transactions ({@link
 * GatewayMetrics#nanosSinceLastResult()}): ready while it is at most {@value #EVIDENCE_TTL_MS} ms
 * old.
 *
 * <p>When asked with {@code probe} and the evidence is older than half that (or there is none),
 * a probe transaction is sent: a read-only Get of the internal key {@link #PROBE_KEY}, waiting
 * at most {@value #PROBE_WAIT_MS} ms; its result is evidence like any other. Probing early (at
 * half the age) keeps a gateway that is asked regularly from flapping to not ready while a probe
 * is under way. At most one probe runs at a time, and probes are only sent when someone asks
 * (a readiness check), never on a timer: an idle gateway nobody asks appends nothing to the log,
 * and one asked every few seconds appends one Get about every {@value #EVIDENCE_TTL_MS} / 2 ms.
 * Thread-safe.
 */
public final class Readiness {
  /** The key probe transactions read (internal: clients cannot touch keys starting with U+0000). */
  public static final String PROBE_KEY = "\u0000ordo/health/probe";

  /** How long a result counts as evidence that the executor answers, in milliseconds. */
  public static final long EVIDENCE_TTL_MS = 30_000;

  /** How long a probe waits for its result, in milliseconds. */
  public static final long PROBE_WAIT_MS = 10_000;

  /** The name of the executor part. */
  public static final String EXECUTOR = "executor";

  private final GatewayMetrics metrics;
  private final Function<Transaction, CompletableFuture<TxnResult>> runProbe;
  private final AtomicBoolean probing = new AtomicBoolean();
  private volatile String lastProbeError = "";
  private volatile long probesSent;

  /**
   * @param metrics where the evidence (the latest result) is kept
   * @param runProbe runs a probe transaction (normally {@code txn -> runner.execute(txn,
   *     PROBE_WAIT_MS)})
   */
  public Readiness(
      GatewayMetrics metrics, Function<Transaction, CompletableFuture<TxnResult>> runProbe) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.runProbe = Objects.requireNonNull(runProbe, "runProbe");
  }

  /** A readiness that probes through {@code runner}. */
  public static Readiness through(GatewayMetrics metrics, TxnRunner runner) {
    return new Readiness(metrics, txn -> runner.execute(txn, PROBE_WAIT_MS));
  }

  /** One part of the gateway and whether it is ready. */
  public record Part(String name, boolean ready, String detail) {
    public Part {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * The executor part now; with {@code probe}, first sends a probe transaction if the evidence is
   * older than half of {@value #EVIDENCE_TTL_MS} ms and none is under way.
   */
  public Part executor(boolean probe) {
    long sinceNanos = metrics.nanosSinceLastResult();
    long ttlNanos = TimeUnit.MILLISECONDS.toNanos(EVIDENCE_TTL_MS);
    String probeNote = "";
    if (probe && (sinceNanos < 0 || sinceNanos > ttlNanos / 2)) {
      probeNote = startProbe() ? "; probe transaction sent" : "; a probe transaction is under way";
    }
    String error = lastProbeError;
    String errorNote = error.isEmpty() ? "" : "; the last probe failed: " + error;
    if (sinceNanos >= 0 && sinceNanos <= ttlNanos) {
      return new Part(
          EXECUTOR,
          true,
          "results are arriving: the latest result of this gateway's transactions arrived "
              + TimeUnit.NANOSECONDS.toMillis(sinceNanos)
              + " ms ago"
              + probeNote);
    }
    String why =
        sinceNanos < 0
            ? "no result of this gateway's transactions has arrived yet"
            : "no result of this gateway's transactions arrived in the last "
                + EVIDENCE_TTL_MS
                + " ms";
    String ask = probe ? probeNote : "; ask with probe=true to send a probe transaction";
    return new Part(EXECUTOR, false, why + ask + errorNote);
  }

  /** Probe transactions sent so far. */
  public long probesSent() {
    return probesSent;
  }

  /** Sends a probe unless one is under way; returns whether it sent one. */
  private boolean startProbe() {
    if (!probing.compareAndSet(false, true)) {
      return false;
    }
    probesSent++;
    Transaction txn =
        Transaction.newBuilder()
            .setId("ordo-health-probe-" + UUID.randomUUID())
            .addOps(Operation.newBuilder().setKey(PROBE_KEY).setGet(Get.getDefaultInstance()))
            .build();
    CompletableFuture<TxnResult> result;
    try {
      // Outside the asking call's Context: that call ends (and its Context is cancelled) long
      // before the probe's result arrives, which must not cancel the probe.
      result = Context.ROOT.wrap(() -> runProbe.apply(txn)).call();
    } catch (Exception e) {
      result = CompletableFuture.failedFuture(e);
    }
    result.whenComplete(
        (r, error) -> {
          lastProbeError = error == null ? "" : String.valueOf(TxnRunner.unwrap(error).getMessage());
          probing.set(false);
        });
    return true;
  }
}
