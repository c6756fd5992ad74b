package io.ordo.gateway.core;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.ordo.proto.HealthPart;
import io.ordo.proto.HealthResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A gateway's health, part by part: liveness (the log producer and the results listener are up:
 * the process can serve) and readiness (every part is ready, the executor included: results are
 * arriving for this gateway's transactions, see {@link Readiness}). The {@code ordo.v1.Ordo}
 * Health RPC and REST {@code GET /v1/health} report it ({@link #report}); the standard {@code
 * grpc.health.v1.Health} service gets the same verdicts through a {@link HealthStatusManager}:
 * service {@code ""} and {@value #LIVENESS} say liveness; {@value #READINESS} and the service
 * names in {@link #READINESS_SERVICES} say readiness. Thread-safe.
 */
public final class GatewayHealth {
  /** The grpc.health.v1 service name of liveness (the empty name says the same). */
  public static final String LIVENESS = "liveness";

  /** The grpc.health.v1 service name of readiness. */
  public static final String READINESS = "readiness";

  /** Service names whose grpc.health.v1 status is readiness. */
  public static final List<String> READINESS_SERVICES =
      List.of(READINESS, "ordo.v1.Ordo", "ordo.v1.Streams", "ordo.v1.Subscriptions");

  private final SequencerHealth sequencer;
  private final ResultListener results;
  private final Optional<Supplier<Readiness.Part>> store;
  private final Optional<Readiness> executor;
  private volatile HealthStatusManager statuses;

  /**
   * @param sequencer the log producer's health
   * @param results the results listener
   * @param store the local store's part, when the gateway has one
   * @param executor the executor part; empty: readiness is never known (reported not ready)
   */
  public GatewayHealth(
      SequencerHealth sequencer,
      ResultListener results,
      Optional<Supplier<Readiness.Part>> store,
      Optional<Readiness> executor) {
    this.sequencer = Objects.requireNonNull(sequencer, "sequencer");
    this.results = Objects.requireNonNull(results, "results");
    this.store = Objects.requireNonNull(store, "store");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /** Keeps {@code manager}'s statuses in line with every report from now on. */
  public void publishTo(HealthStatusManager manager) {
    this.statuses = Objects.requireNonNull(manager, "manager");
    report(false);
  }

  /**
   * The health now; with {@code probe}, a probe transaction is sent first if the executor's
   * readiness is not known from recent results ({@link Readiness#executor}).
   */
  public HealthResponse report(boolean probe) {
    List<Readiness.Part> parts = new ArrayList<>();
    boolean sequencerUp = sequencer.isUp();
    parts.add(new Readiness.Part("sequencer", sequencerUp, sequencer.describe()));
    boolean resultsUp = results.isRunning();
    parts.add(new Readiness.Part("results", resultsUp, results.describe()));
    store.ifPresent(s -> parts.add(s.get()));
    parts.add(
        executor
            .map(r -> r.executor(probe))
            .orElse(new Readiness.Part(Readiness.EXECUTOR, false, "not tracked by this gateway")));
    boolean live = sequencerUp && resultsUp;
    boolean ready = live && parts.stream().allMatch(Readiness.Part::ready);
    HealthResponse.Builder response =
        HealthResponse.newBuilder()
            .setStatus(live ? OrdoService.SERVING : OrdoService.NOT_SERVING)
            // As before: the producer's and the listener's descriptions.
            .setDetail(sequencer.describe() + "; " + results.describe())
            .setLive(live)
            .setReady(ready);
    for (Readiness.Part part : parts) {
      response.addParts(
          HealthPart.newBuilder()
              .setName(part.name())
              .setReady(part.ready())
              .setDetail(part.detail()));
    }
    HealthStatusManager manager = statuses;
    if (manager != null) {
      ServingStatus liveness = live ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      manager.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, liveness);
      manager.setStatus(LIVENESS, liveness);
      ServingStatus readiness = ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      for (String service : READINESS_SERVICES) {
        manager.setStatus(service, readiness);
      }
    }
    return response.build();
  }
}
