package io.ordo.gateway.core;

import io.grpc.Context;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The gateway's own meters, recorded where the work happens (the gRPC interceptor, {@link
 * TxnRunner}); the gauges over other parts' state (waiters, store lag, ingest lag, subscriptions,
 * JVM) are registered by the wiring. Every name here is documented in docs/metrics.md; the
 * Prometheus names add the unit and {@code _total} ({@code ordo.txn.results} is {@code
 * ordo_txn_results_total}).
 *
 * <p>Tag cardinality is bounded: {@code method} is a gRPC method the server registered (or
 * {@value #INTERNAL} for the gateway's own background transactions), {@code code} a gRPC status
 * code, {@code outcome} and {@code reason} values of the proto enums, {@code transport} grpc or
 * rest. Thread-safe.
 *
 * <p>Also remembers when the latest result of one of this gateway's appends arrived: the
 * evidence {@link Readiness} uses for the executor part.
 */
public final class GatewayMetrics {
  /** Timer, tags method, code, transport: every gRPC call (REST calls are transport=rest). */
  public static final String GRPC_REQUESTS = "ordo.grpc.server.requests";

  /** Counter, tags method, outcome, reason: results of this gateway's own transactions. */
  public static final String TXN_RESULTS = "ordo.txn.results";

  /** Counter, tags method, code: transactions of this gateway that ended without a result. */
  public static final String TXN_FAILURES = "ordo.txn.failures";

  /** Timer: from handing a transaction to the sequencer to its result arriving. */
  public static final String TXN_APPEND_TO_RESULT = "ordo.txn.append.to.result";

  /** Gauge: requests waiting for their result now. */
  public static final String TXN_WAITERS = "ordo.txn.waiters";

  /** Gauge: the bound on waiters (inFlightTxnMax). */
  public static final String TXN_WAITERS_LIMIT = "ordo.txn.waiters.limit";

  /** Timer: transaction appends the broker acknowledged (send to acknowledgement). */
  public static final String SEQUENCER_APPEND = "ordo.sequencer.append";

  /** Counter: transaction appends that failed. */
  public static final String SEQUENCER_APPEND_ERRORS = "ordo.sequencer.append.errors";

  /** The method tag of transactions the gateway runs on its own (ingest, leases, probes...). */
  public static final String INTERNAL = "internal";

  /** The reason tag of results that are not aborts. */
  public static final String NO_REASON = "none";

  /** The gRPC method a transaction is run for, set by the interceptor on the call's Context. */
  static final Context.Key<String> CALLER = Context.key("ordo-caller-method");

  /**
   * Bucket bounds of every latency histogram (Prometheus {@code le}, plus +Inf): 1 ms to 60 s in
   * 1-2-5 steps. Fixed and few, so a scrape stays small: 16 buckets per method and status code.
   */
  static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
    Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50),
    Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500),
    Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)
  };

  private final MeterRegistry registry;
  private final LongSupplier nanoClock;
  private final Timer appendToResult;
  private final Timer appendLatency;
  private final Counter appendErrors;
  private volatile long lastResultNanos;
  private volatile boolean anyResult;

  /**
   * @param registry where the meters go (the gateway's registry)
   * @param nanoClock a monotonic clock in nanoseconds (System::nanoTime)
   */
  public GatewayMetrics(MeterRegistry registry, LongSupplier nanoClock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.appendToResult =
        latencyTimer(TXN_APPEND_TO_RESULT)
            .description("time from handing a transaction to the sequencer to its result arriving")
            .register(registry);
    this.appendLatency =
        latencyTimer(SEQUENCER_APPEND)
            .description("transaction appends to the log, from send to the broker's acknowledgement")
            .register(registry);
    this.appendErrors =
        Counter.builder(SEQUENCER_APPEND_ERRORS)
            .description("transaction appends to the log that failed")
            .register(registry);
  }

  /** Meters that go nowhere anyone reads (for parts used without a gateway, e.g. in tests). */
  public static GatewayMetrics unregistered() {
    return new GatewayMetrics(new SimpleMeterRegistry(), System::nanoTime);
  }

  /** The registry the meters are in. */
  public MeterRegistry registry() {
    return registry;
  }

  /** A monotonic clock reading, in nanoseconds. */
  long now() {
    return nanoClock.getAsLong();
  }

  /** A timer builder with the gateway's histogram buckets ({@link #LATENCY_BUCKETS}). */
  static Timer.Builder latencyTimer(String name) {
    return Timer.builder(name).serviceLevelObjectives(LATENCY_BUCKETS);
  }

  /** The gRPC method the current call serves, or {@value #INTERNAL} outside a call. */
  static String caller() {
    String method = CALLER.get();
    return method == null ? INTERNAL : method;
  }

  /** Records one finished gRPC call. */
  void grpcCall(String method, Status.Code code, String transport, long nanos) {
    latencyTimer(GRPC_REQUESTS)
        .description("gRPC calls served, by method, status code and transport (grpc or rest)")
        .tags("method", method, "code", code.name(), "transport", transport)
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Records an acknowledged append that took {@code nanos}. */
  void appendSucceeded(long nanos) {
    appendLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Records a failed append. */
  void appendFailed() {
    appendErrors.increment();
  }

  /** Records the result of one of this gateway's transactions, {@code nanos} after its append began. */
  void result(String method, TxnResult result, long nanos) {
    lastResultNanos = nanoClock.getAsLong();
    anyResult = true;
    appendToResult.record(nanos, TimeUnit.NANOSECONDS);
    Outcome outcome = result.getOutcome();
    String reason =
        outcome == Outcome.ABORTED ? reasonName(result.getAbortReason()) : NO_REASON;
    Counter.builder(TXN_RESULTS)
        .description("results of this gateway's transactions, by calling method, outcome and abort reason")
        .tags("method", method, "outcome", outcomeName(outcome), "reason", reason)
        .register(registry)
        .increment();
  }

  /** Records a transaction of this gateway that ended without a result, with the status it got. */
  void failure(String method, Status.Code code) {
    Counter.builder(TXN_FAILURES)
        .description("transactions of this gateway that ended without a result, by calling method and status code")
        .tags("method", method, "code", code.name())
        .register(registry)
        .increment();
  }

  /**
   * How long ago, in nanoseconds, the latest result of one of this gateway's transactions
   * arrived; -1 if none has.
   */
  public long nanosSinceLastResult() {
    if (!anyResult) {
      return -1;
    }
    return Math.max(0, nanoClock.getAsLong() - lastResultNanos);
  }

  private static String outcomeName(Outcome outcome) {
    return outcome == Outcome.UNRECOGNIZED ? "UNKNOWN" : outcome.name();
  }

  private static String reasonName(AbortReason reason) {
    return reason == AbortReason.UNRECOGNIZED ? "UNKNOWN" : reason.name();
  }
}
