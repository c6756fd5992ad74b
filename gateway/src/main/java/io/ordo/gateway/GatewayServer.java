package io.ordo.gateway;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.ordo.gateway.auth.AuthInterceptor;
import io.ordo.gateway.auth.BearerAuth;
import io.ordo.gateway.auth.Credentials;
import io.ordo.gateway.auth.GatewaySecurity;
import io.ordo.gateway.auth.PrincipalSqlEngine;
import io.ordo.gateway.auth.TlsMaterial;
import io.ordo.sql.pgwire.PgSecurity;
import javax.net.ssl.SSLContext;
import io.ordo.gateway.core.GatewayHealth;
import io.ordo.gateway.core.GatewayMetrics;
import io.ordo.gateway.core.GrpcMetricsInterceptor;
import io.ordo.gateway.core.Readiness;
import io.ordo.gateway.core.MalformedRequestGuard;
import io.ordo.gateway.core.StatusDescriptionLimit;
import io.ordo.gateway.core.OrdoService;
import io.ordo.gateway.core.ResultListener;
import io.ordo.gateway.core.SequencerHealth;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.connectors.ConnectorManager;
import io.ordo.gateway.ingest.IngestBridge;
import io.ordo.gateway.ingest.IngestManager;
import io.ordo.gateway.ingest.IngestReconciler;
import io.ordo.gateway.rest.HttpRuleTranscoder;
import io.ordo.gateway.rest.MetricsEndpoint;
import io.ordo.gateway.rest.RestServer;
import io.ordo.gateway.sql.GatewaySqlBackend;
import io.ordo.gateway.sql.PushQueries;
import io.ordo.gateway.sql.SqlFrontEnds;
import io.ordo.gateway.sql.SqlService;
import io.ordo.gateway.streams.RetentionTrimmer;
import io.ordo.gateway.streams.ShardReads;
import io.ordo.gateway.streams.StreamCatalogSource;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.gateway.streams.StreamsService;
import io.ordo.gateway.streams.TxnStreamOps;
import io.ordo.gateway.subscriptions.SubscriptionsService;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.SubscriptionsGrpc;
import io.ordo.sequencer.ClockStepDetector;
import io.ordo.sequencer.HeartbeatService;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.Sequencer;
import io.ordo.storage.ChangelogMaterializer;
import io.ordo.sql.engine.OrdoSqlEngine;
import io.ordo.storage.MultiVersionStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: a gRPC server (services {@code ordo.v1.Ordo}, {@code ordo.v1.Streams}, {@code
 * ordo.v1.Subscriptions} and {@code ordo.v1.Sql}, plus server reflection) and a REST/JSON server
 * derived from the same proto, in front of the sequencer and the results topic, and a PostgreSQL
 * wire protocol listener ({@link GatewayConfig#pgPort()}) over the same SQL engine as the Sql
 * service ({@link SqlFrontEnds}). With a data directory ({@link GatewayConfig#dataDir()}) it
 * also keeps a local store: a {@link MultiVersionStore} that a {@link ChangelogMaterializer} fills
 * from the changelog topic, which serves stream reads and retention. For every stream it runs a
 * Kafka ingest bridge ({@link IngestManager}, kept in line with the catalog by an {@link
 * IngestReconciler}) that appends the records of the stream's ingest topic. With a local store
 * it also runs the SQL catalog's connectors whose lease it holds ({@link
 * io.ordo.gateway.connectors.ConnectorManager}: one thread, and per running connector one
 * worker thread, plus Debezium's engine threads for a source; a sink reads through a push query
 * of its own session).
 *
 * <p>{@link #start} brings the parts up in dependency order and {@link #close} takes them down in
 * reverse; if a part fails to start, the ones already started are closed and the error is
 * rethrown. The gateway is stateless: any number may run against the same topics, and it works
 * unchanged whether the executor job runs embedded or on a cluster.
 *
 * <p>Threads: a worker pool of {@link #workerThreads()} threads runs gRPC handlers and delivers
 * results; the REST server has its own pool of the same size (plus, for server-streaming calls,
 * up to {@code RestServer.StreamLimits.DEFAULT} stream threads, started on demand); the results
 * listener, the result timer and the heartbeats have one thread each. The Streams service runs
 * unary calls on {@value io.ordo.gateway.streams.StreamsService#UNARY_THREADS} threads and reads on
 * at most {@value io.ordo.gateway.streams.ShardReads#READ_CALLS_MAX}; the changelog materializer,
 * retention and the ingest reconciler have one thread each, every ingest bridge one. SQL
 * statements run on at most {@link GatewayConfig#sqlSessionsMax()} threads (one per open session,
 * started on demand) plus one deadline timer. Queues: the worker queue holds at most {@code 4 *
 * inFlightTxnMax} (at least {@value #QUEUE_MIN}) tasks and the REST queue {@value
 * #HTTP_QUEUE_MAX} exchanges.
 */
public final class GatewayServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

  /** Bound on creating/checking the topics and positioning the results listener. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  /** How long close() waits for gRPC calls in progress, in milliseconds. */
  public static final long GRPC_SHUTDOWN_TIMEOUT_MS = 2_000;

  /** Smallest worker queue. */
  static final int QUEUE_MIN = 1_024;

  /** Exchanges the REST server queues for a handler thread. */
  static final int HTTP_QUEUE_MAX = 1_024;

  /**
   * Slack above txnBytesMax for gRPC's inbound message bound: a TxnRequest encodes like the
   * Transaction built from it (same field numbers), plus at most a generated id.
   */
  static final int GRPC_MESSAGE_SLACK_BYTES = 4_096;

  /** Counter: heartbeats this gateway appended and the broker acknowledged. */
  public static final String HEARTBEATS_SENT_METRIC = "ordo.sequencer.heartbeats.sent";

  /** Gauge: SQL sessions open through the Sql service (Execute requests and Session calls). */
  public static final String SQL_SESSIONS_METRIC = "ordo.sql.sessions";

  /** Gauge: push queries (EMIT CHANGES) running through the Sql gRPC/REST service. */
  public static final String SQL_PUSH_QUERIES_METRIC = "ordo.sql.push.queries";

  /** Counter: heartbeats this gateway failed to append. */
  public static final String HEARTBEATS_FAILED_METRIC = "ordo.sequencer.heartbeats.failed";

  /**
   * Counter: backward steps of the broker timestamps in this gateway's append acknowledgements
   * (ARCHITECTURE.md, "Clock steps").
   */
  public static final String CLOCK_STEPS_METRIC = "ordo.log.clock.steps.back";

  /** Time gauge: the largest of those steps since the gateway started. */
  public static final String CLOCK_STEP_LARGEST_METRIC = "ordo.log.clock.step.back.largest";

  /** Gauge: log partitions whose acknowledged broker timestamps are in a backward step now. */
  public static final String CLOCK_STEP_PARTITIONS_METRIC = "ordo.log.clock.step.partitions";

  private final GatewayConfig config;
  private final Deque<AutoCloseable> started;
  private final Server grpcServer;
  private final Server inProcessServer;
  private final ResultListener results;
  private final RestServer restServer;
  private final MeterRegistry meters;
  private final GatewayMeters gauges;
  private final Runnable enterTerminalHealth;
  private final MetricsEndpoint metricsEndpoint; // null without a metrics port
  private final SqlFrontEnds sql;
  private final GatewaySqlBackend sqlBackend;
  private final String inProcessName;
  private boolean closed; // guarded by this

  private GatewayServer(
      GatewayConfig config,
      Deque<AutoCloseable> started,
      Server grpcServer,
      Server inProcessServer,
      ResultListener results,
      RestServer restServer,
      MeterRegistry meters,
      GatewayMeters gauges,
      Runnable enterTerminalHealth,
      MetricsEndpoint metricsEndpoint,
      SqlFrontEnds sql,
      GatewaySqlBackend sqlBackend,
      String inProcessName) {
    this.config = config;
    this.inProcessName = inProcessName;
    this.started = started;
    this.grpcServer = grpcServer;
    this.inProcessServer = inProcessServer;
    this.results = results;
    this.restServer = restServer;
    this.meters = meters;
    this.gauges = gauges;
    this.enterTerminalHealth = enterTerminalHealth;
    this.metricsEndpoint = metricsEndpoint;
    this.sql = sql;
    this.sqlBackend = sqlBackend;
  }

  /**
   * Ensures the topics exist, starts the sequencer client, the heartbeats (unless {@code
   * heartbeatIntervalMs} is 0), the results listener (positioned at the end of every results
   * partition before the servers accept requests, so no result of a request they serve is
   * missed), the gRPC server and the HTTP server.
   *
   * @throws IOException if a port cannot be bound, or Kafka cannot be reached or the topics
   *     cannot be created within {@link #START_TIMEOUT} (the cause says which)
   */
  public static GatewayServer start(GatewayConfig config) throws IOException {
    Deque<AutoCloseable> started = new ArrayDeque<>();
    try {
      return startParts(config, started);
    } catch (IOException | RuntimeException e) {
      closeAll(started);
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException("the gateway failed to start: " + e.getMessage(), e);
    }
  }

  private static GatewayServer startParts(GatewayConfig config, Deque<AutoCloseable> started)
      throws IOException {
    LogTopics.ensure(config.kafka(), config.topics(), START_TIMEOUT);

    // Metrics live in a Prometheus registry this gateway owns: meterRegistry(), GET /metrics.
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    started.push(meters::close);
    GatewayMetrics metrics = new GatewayMetrics(meters, System::nanoTime);

    Sequencer sequencer = new Sequencer(config.kafka(), config.topics());
    started.push(sequencer);

    HeartbeatService heartbeats = null;
    if (config.heartbeatIntervalMs() > 0) {
      // The origin is diagnostics only; a random suffix tells gateways on one host apart.
      String origin = "gateway-" + UUID.randomUUID().toString().substring(0, 8);
      // Quiet mode: rounds only until the timestamps of this gateway's transactions are closed
      // on every partition (at most quietAfterMs after its last one), so an idle gateway adds
      // nothing to the log, which is kept forever.
      long quietAfterMs =
          Math.max(HeartbeatService.DEFAULT_QUIET_AFTER_MS, 10 * config.heartbeatIntervalMs());
      heartbeats = new HeartbeatService(sequencer, config.heartbeatIntervalMs(), origin, quietAfterMs);
      heartbeats.start();
      started.push(heartbeats);
    }
    // The heartbeat counts are also in the Health detail.
    if (heartbeats != null) {
      FunctionCounter.builder(HEARTBEATS_SENT_METRIC, heartbeats, h -> h.sentCount())
          .description("heartbeats appended to the log and acknowledged by the broker")
          .register(meters);
      FunctionCounter.builder(HEARTBEATS_FAILED_METRIC, heartbeats, h -> h.failedCount())
          .description("heartbeats that failed to append")
          .register(meters);
    }
    // Clock steps as the broker stamps this gateway's appends (the executor has its own view).
    ClockStepDetector clockSteps = sequencer.clockSteps();
    FunctionCounter.builder(CLOCK_STEPS_METRIC, clockSteps, ClockStepDetector::steps)
        .description(
            "backward steps of the log's broker timestamps (LogAppendTime) seen in this gateway's"
                + " append acknowledgements; each stalls the log for about its size")
        .register(meters);
    TimeGauge.builder(
            CLOCK_STEP_LARGEST_METRIC,
            clockSteps,
            TimeUnit.MILLISECONDS,
            ClockStepDetector::largestStepMs)
        .description("the largest of those steps since the gateway started")
        .register(meters);
    Gauge.builder(CLOCK_STEP_PARTITIONS_METRIC, clockSteps, ClockStepDetector::partitionsInStep)
        .description(
            "log partitions whose acknowledged broker timestamps are below their maximum now")
        .register(meters);
    SequencerHealth sequencerHealth = new SequencerHealth(heartbeats);
    started.push(sequencerHealth::markClosed);

    ResultListener results =
        ResultListener.start(
            config.kafka(),
            config.topics().resultsTopic(),
            config.limits().inFlightTxnMax(),
            START_TIMEOUT);
    started.push(results);

    int threads = workerThreads();
    ThreadPoolExecutor workers =
        boundedPool(
            "ordo-gateway-worker-",
            threads,
            Math.max(QUEUE_MIN, 4 * config.limits().inFlightTxnMax()));
    started.push(() -> shutdown(workers));

    TxnRunner runner =
        new TxnRunner(
            sequencer, results, sequencerHealth, config.defaultDeadlineMs(), workers, metrics);
    StreamMetadataReader streamMetadata = new StreamMetadataReader(runner);

    // The local store: opened, then filled from the changelog (resuming from its stored
    // offsets); closed in reverse, after the services that read it.
    MultiVersionStore store = null;
    ShardReads shardReads = null;
    ChangelogMaterializer materializer = null;
    if (config.dataDir().isPresent()) {
      MultiVersionStore opened = MultiVersionStore.open(config.dataDir().get());
      store = opened;
      started.push(opened);
      ChangelogMaterializer running =
          new ChangelogMaterializer(
              config.kafka(), config.topics().changelogTopic(), opened);
      started.push(running);
      running.start();
      materializer = running;
      shardReads = new ShardReads(opened, running);
      started.push(shardReads);
      RetentionTrimmer retention =
          new RetentionTrimmer(runner, opened, config.retentionIntervalMs(), System::currentTimeMillis);
      started.push(retention);
      retention.start();
    }
    // Health: liveness (producer, results listener) and readiness (every part, the executor
    // included: results arrive for this gateway's transactions, or a probe's when asked).
    Optional<Supplier<Readiness.Part>> storePart = Optional.empty();
    if (materializer != null) {
      ChangelogMaterializer m = materializer;
      storePart = Optional.of(() -> storePart(m));
    }
    GatewayHealth health =
        new GatewayHealth(
            sequencerHealth, results, storePart, Optional.of(Readiness.through(metrics, runner)));
    TxnStreamOps streamOps = new TxnStreamOps(runner, streamMetadata, config.limits());
    OrdoService service =
        new OrdoService(runner, results, sequencerHealth, config.limits(), streamOps, health);

    // Kafka ingest: a bridge per stream (ingest topic -> appends), kept in line with the catalog.
    Runnable catalogChanged = () -> {};
    IngestManager ingestManager = null;
    if (config.ingest()) {
      IngestManager ingest =
          new IngestManager(
              IngestBridge.Settings.of(config.kafka(), config.topics(), config.limits()),
              runner);
      started.push(ingest);
      ingestManager = ingest;
      // Reads the catalog from the local store (no transaction, so an idle gateway stays quiet).
      StreamCatalogSource catalog =
          store != null ? StreamCatalogSource.local(store) : StreamCatalogSource.throughLog(streamMetadata);
      IngestReconciler ingestReconciler =
          new IngestReconciler(catalog, ingest, IngestReconciler.DEFAULT_INTERVAL_MS);
      started.push(ingestReconciler);
      ingestReconciler.start();
      catalogChanged = ingestReconciler::catalogChanged;
    }

    StreamsService streams =
        new StreamsService(
            runner,
            streamMetadata,
            config.limits(),
            config.topics(),
            shardReads,
            catalogChanged);
    started.push(streams);

    // Subscriptions (consumer groups over streams): delivery reads the local store when there is one.
    SubscriptionsService subscriptions = new SubscriptionsService(runner, streamMetadata, store);
    started.push(subscriptions);
    ServerServiceDefinition guardedSubscriptions =
        MalformedRequestGuard.guard(subscriptions.bindService());

    // SQL: the engine reaches the log, the store and the streams through this gateway's parts.
    GatewaySqlBackend sqlBackend =
        new GatewaySqlBackend(
            runner,
            streamOps,
            streams,
            store,
            materializer,
            config.keyRangeCount(),
            config.limits(),
            config.sql().rowsMax() + 1L);
    started.push(sqlBackend);
    // Connectors (CREATE SOURCE / SINK CONNECTOR): run in the gateway holding each one's lease;
    // they read the catalog from the local store, so only a gateway with one runs them.
    ConnectorManager connectors = null;
    if (store != null) {
      connectors =
          new ConnectorManager(
              store,
              sqlBackend::execute,
              config.limits().txnBytesMax(),
              ConnectorManager.DEFAULT_INTERVAL_MS,
              System::currentTimeMillis);
      started.push(connectors);
      connectors.start();
      sqlBackend.attachConnectors(connectors);
    }
    // Authentication and TLS (GatewaySecurity): one bearer-token check for gRPC and REST (REST
    // passes its Authorization header to the in-process call), SCRAM users for PostgreSQL.
    GatewaySecurity security = config.security();
    Optional<BearerAuth> bearer = security.credentials().map(BearerAuth::new);
    Optional<SSLContext> tlsContext = security.tls().map(TlsMaterial::sslContext);
    OrdoSqlEngine sqlEngine = new OrdoSqlEngine(sqlBackend, config.sql());
    if (connectors != null) {
      connectors.attachSql(sqlEngine); // sinks read their tables' changes through push queries
    }
    SqlFrontEnds sql =
        new SqlFrontEnds(
            sqlEngine,
            security.authOn() ? new PrincipalSqlEngine(sqlEngine) : sqlEngine,
            config.sqlSessionsMax(),
            config.sql().pushQueriesMax());
    started.push(sql);
    ServerServiceDefinition guardedSql = MalformedRequestGuard.guard(sql.service().bindService());
    Gauge.builder(SQL_PUSH_QUERIES_METRIC, sql.service(), SqlService::runningPushQueries)
        .description("push queries (EMIT CHANGES) running through the Sql gRPC/REST service")
        .register(meters);
    Gauge.builder(SQL_SESSIONS_METRIC, sql.service(), SqlService::openSessions)
        .description("SQL sessions open through the Sql gRPC/REST service")
        .register(meters);

    // The gauges over the parts' state, refreshed when scraped.
    GatewayMeters gauges =
        new GatewayMeters(
            meters, config, results, store, ingestManager, subscriptions, materializer);
    started.push(gauges);

    // The standard grpc.health.v1.Health service, fed by the same verdicts; a readiness Check
    // may send a probe transaction (Readiness: rate-limited, never on a timer).
    HealthStatusManager healthStatuses = new HealthStatusManager();
    health.publishTo(healthStatuses);
    // Once only: close() enters it first (to stop taking requests), then again in reverse start
    // order, and gRPC logs a second call as a warning with a stack trace.
    AtomicBoolean healthTerminal = new AtomicBoolean();
    Runnable enterTerminalHealth =
        () -> {
          if (healthTerminal.compareAndSet(false, true)) {
            healthStatuses.enterTerminalState();
          }
        };
    started.push(enterTerminalHealth::run);
    // Guarded like Ordo's own services: malformed request bytes are INVALID_ARGUMENT, not UNKNOWN.
    ServerServiceDefinition standardHealth =
        MalformedRequestGuard.guard(
            ServerInterceptors.intercept(healthStatuses.getHealthService(), refreshHealth(health)));

    // Malformed request bytes become INVALID_ARGUMENT with the parser's reason, not UNKNOWN.
    ServerServiceDefinition guarded = MalformedRequestGuard.guard(service.bindService());
    ServerServiceDefinition guardedStreams = MalformedRequestGuard.guard(streams.bindService());
    int inboundBytesMax = config.limits().txnBytesMax() + GRPC_MESSAGE_SLACK_BYTES;
    NettyServerBuilder grpcBuilder =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.grpcPort()));
    if (security.tls().isPresent()) {
      grpcBuilder.sslContext(
          GrpcSslContexts.configure(SslContextBuilder.forServer(security.tls().get().keyManagers()))
              .protocols(TlsMaterial.PROTOCOLS)
              .build());
    }
    // Interceptors run in reverse order of adding: the metrics interceptor sees refused calls.
    bearer.ifPresent(b -> grpcBuilder.intercept(new AuthInterceptor(b)));
    Server grpcServer =
        grpcBuilder
            .addService(guarded)
            .addService(guardedStreams)
            .addService(guardedSubscriptions)
            .addService(guardedSql)
            .addService(ProtoReflectionServiceV1.newInstance())
            .addService(standardHealth)
            .intercept(new GrpcMetricsInterceptor(metrics, GrpcMetricsInterceptor.GRPC))
            // Last added runs first: every status leaves with a bounded description.
            .intercept(new StatusDescriptionLimit())
            .executor(workers)
            .maxInboundMessageSize(inboundBytesMax)
            .build()
            .start();
    started.push(() -> shutdown(grpcServer));
    // Delivery and connector leases name this address: refused consumers are sent here, and
    // other gateways probe it to take over at once when this process is gone.
    String advertised = advertisedAddress(config.bindAddress(), grpcServer.getPort());
    subscriptions.advertise(advertised);
    if (connectors != null) {
      connectors.advertise(advertised);
    }

    // REST calls the same service through an in-process server: one implementation, one set of
    // checks and statuses for both protocols.
    String inProcessName = "ordo-gateway-" + UUID.randomUUID();
    InProcessServerBuilder inProcessBuilder = InProcessServerBuilder.forName(inProcessName);
    bearer.ifPresent(b -> inProcessBuilder.intercept(new AuthInterceptor(b)));
    Server inProcessServer =
        inProcessBuilder
            .addService(guarded)
            .addService(guardedStreams)
            .addService(guardedSubscriptions)
            .addService(guardedSql)
            .intercept(new GrpcMetricsInterceptor(metrics, GrpcMetricsInterceptor.REST))
            .executor(workers)
            .maxInboundMessageSize(inboundBytesMax)
            .build()
            .start();
    started.push(() -> shutdown(inProcessServer));
    ManagedChannel channel =
        InProcessChannelBuilder.forName(inProcessName)
            .executor(workers)
            .maxInboundMessageSize(inboundBytesMax)
            .build();
    started.push(() -> shutdown(channel));

    // The generated descriptors of the services bound above (the guarded ones lack the
    // protobuf marshallers REST takes request prototypes from); one entry per service.
    HttpRuleTranscoder transcoder =
        HttpRuleTranscoder.forServices(
            List.of(
                OrdoGrpc.getServiceDescriptor(),
                StreamsGrpc.getServiceDescriptor(),
                SubscriptionsGrpc.getServiceDescriptor(),
                SqlGrpc.getServiceDescriptor()));
    RestServer restServer =
        RestServer.start(
            new InetSocketAddress(config.bindAddress(), config.httpPort()),
            transcoder,
            channel,
            config.limits().httpBodyBytesMax(),
            threads,
            HTTP_QUEUE_MAX,
            RestServer.StreamLimits.DEFAULT,
            tlsContext);
    started.push(restServer);
    // POST /v1/sql with a push query (EMIT CHANGES) is answered by Sql/Push as a stream.
    HttpRuleTranscoder.Route pushRoute =
        transcoder.routeOf(SqlGrpc.getPushMethod().getFullMethodName()).orElseThrow();
    restServer.streamInstead(
        (route, request) ->
            route.method().getFullMethodName().equals(SqlGrpc.getExecuteMethod().getFullMethodName())
                    && request instanceof SqlRequest sqlRequest
                    && PushQueries.isPushQuery(sqlRequest.getSql())
                ? Optional.of(pushRoute)
                : Optional.empty());
    bearer.ifPresent(restServer::requireForMetrics);
    restServer.serveMetrics(gauges::scrape);
    MetricsEndpoint metricsEndpoint = null;
    if (config.metricsPort() != GatewayConfig.NO_METRICS_PORT) {
      metricsEndpoint =
          MetricsEndpoint.start(
              new InetSocketAddress(config.bindAddress(), config.metricsPort()),
              gauges::scrape,
              tlsContext,
              bearer);
      started.push(metricsEndpoint);
    }
    if (config.pgPort() != GatewayConfig.NO_PG_PORT) {
      // Last: PostgreSQL clients connect once everything their statements need is up.
      sql.listenPostgres(
          new InetSocketAddress(
              config.bindAddress(),
              config.pgPort() == GatewayConfig.ANY_FREE_PG_PORT ? 0 : config.pgPort()),
          (engine, bind, max) ->
              SqlFrontEnds.startPostgres(
                  engine,
                  bind,
                  max,
                  new PgSecurity(security.credentials().map(Credentials::pgUsers), tlsContext)));
    }

    LOG.info(
        "gateway security: authentication {}, TLS {}",
        security.credentials().map(c -> "on (" + c.tokenCount() + " tokens, " + c.userCount()
            + " users from " + c.source() + ")").orElse("off"),
        security.tls().map(t -> "on (" + t + ")").orElse("off"));
    LOG.info(
        "gateway serving gRPC on {}:{}, REST on {}:{} and PostgreSQL on {} (log '{}', results '{}')",
        config.bindAddress(),
        grpcServer.getPort(),
        config.bindAddress(),
        restServer.port(),
        sql.pgPort().isPresent() ? config.bindAddress() + ":" + sql.pgPort().getAsInt() : "no port",
        config.topics().logTopic(),
        config.topics().resultsTopic());
    return new GatewayServer(
        config,
        started,
        grpcServer,
        inProcessServer,
        results,
        restServer,
        meters,
        gauges,
        enterTerminalHealth,
        metricsEndpoint,
        sql,
        sqlBackend,
        inProcessName);
  }

  private static Readiness.Part storePart(ChangelogMaterializer materializer) {
    Optional<Throwable> failure = materializer.failure();
    if (failure.isPresent()) {
      return new Readiness.Part(
          "store", false, "materializing the changelog failed: " + failure.get());
    }
    return new Readiness.Part(
        "store", true, "materializing the changelog (" + materializer.recordsApplied() + " records applied)");
  }

  /**
   * Brings the grpc.health.v1 statuses up to date before each Check or Watch; a request for a
   * readiness service may send a probe transaction ({@link Readiness}).
   */
  private static ServerInterceptor refreshHealth(GatewayHealth health) {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
            next.startCall(call, headers)) {
          @Override
          public void onMessage(ReqT message) {
            boolean readiness =
                message instanceof HealthCheckRequest request
                    && GatewayHealth.READINESS_SERVICES.contains(request.getService());
            health.report(readiness);
            super.onMessage(message);
          }
        };
      }
    };
  }

  /**
   * A new in-process channel to this gateway's services (the ones REST calls; the same checks,
   * authentication included, without the network or TLS). The caller shuts it down.
   */
  public ManagedChannel newInProcessChannel() {
    return InProcessChannelBuilder.forName(inProcessName).build();
  }

  /**
   * The gRPC address other gateways and clients reach this one at: {@code bind:port}, or for a
   * wildcard bind ({@code 0.0.0.0}, {@code ::}) this host's name (its address when the name does
   * not resolve), with IPv6 literals in brackets.
   */
  static String advertisedAddress(String bindAddress, int port) {
    String host = bindAddress;
    try {
      if (InetAddress.getByName(bindAddress).isAnyLocalAddress()) {
        InetAddress local = InetAddress.getLocalHost();
        host = local.getHostName();
      }
    } catch (UnknownHostException e) {
      host = bindAddress;
    }
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return host + ":" + port;
  }

  /** The gRPC port (the bound one when the config asked for 0). */
  public int grpcPort() {
    return grpcServer.getPort();
  }

  /** The HTTP port (the bound one when the config asked for 0). */
  public int httpPort() {
    return restServer.port();
  }

  /**
   * This gateway's metrics (docs/metrics.md), among them {@value #HEARTBEATS_SENT_METRIC} and
   * {@value #HEARTBEATS_FAILED_METRIC} (when it sends heartbeats). A Prometheus registry.
   */
  public MeterRegistry meterRegistry() {
    return meters;
  }

  /** The metrics as Prometheus text, as {@code GET /metrics} serves them. */
  public String scrapeMetrics() {
    return gauges.scrape();
  }

  /**
   * The PostgreSQL wire protocol port (the bound one when the config asked for 0), when a
   * listener runs: empty when the config has {@link GatewayConfig#NO_PG_PORT} or this build has
   * no listener.
   */
  public OptionalInt pgPort() {
    return sql.pgPort();
  }

  /** The SQL engine behind the Sql service and the PostgreSQL listener (sessions in-process). */
  public io.ordo.sql.SqlEngine sqlEngine() {
    return sql.engine();
  }

  /** The backend this gateway gives its SQL engine (for the gateway's own tests). */
  public GatewaySqlBackend sqlBackend() {
    return sqlBackend;
  }

  /** The port of {@code GET /metrics} of its own, when the config asked for one. */
  public OptionalInt metricsPort() {
    return metricsEndpoint == null ? OptionalInt.empty() : OptionalInt.of(metricsEndpoint.port());
  }

  /** The config this gateway was started with. */
  public GatewayConfig config() {
    return config;
  }

  /**
   * Threads of the worker pool and of the REST pool: {@code max(4, 2 * available processors)}.
   */
  public static int workerThreads() {
    return Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
  }

  /**
   * Stops the HTTP server, the gRPC servers (graceful, at most {@value #GRPC_SHUTDOWN_TIMEOUT_MS}
   * ms, then forced), the results listener (remaining waiters get UNAVAILABLE), the heartbeats
   * and the sequencer. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    // Stop taking requests first, then fail the waiting ones (UNAVAILABLE, "outcome unknown")
    // so the graceful gRPC shutdown below need not wait for their deadlines; then the rest in
    // reverse start order (closing a part twice is harmless).
    enterTerminalHealth.run();
    restServer.close();
    grpcServer.shutdown();
    inProcessServer.shutdown();
    // Connectors stop while the log still answers, so their leases are released and another
    // gateway takes them over at once (not after the lease expires).
    sqlBackend.closeConnectors();
    results.close();
    closeAll(started);
    LOG.info("gateway stopped");
  }

  private static void closeAll(Deque<AutoCloseable> started) {
    while (!started.isEmpty()) {
      AutoCloseable part = started.pop();
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", part, e);
      }
    }
  }

  private static void shutdown(Server server) throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(GRPC_SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      server.shutdownNow();
      server.awaitTermination(GRPC_SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
  }

  private static void shutdown(ManagedChannel channel) throws InterruptedException {
    channel.shutdown();
    if (!channel.awaitTermination(GRPC_SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      channel.shutdownNow();
    }
  }

  private static void shutdown(ThreadPoolExecutor pool) throws InterruptedException {
    pool.shutdown();
    if (!pool.awaitTermination(GRPC_SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      pool.shutdownNow();
    }
  }

  private static ThreadPoolExecutor boundedPool(String namePrefix, int threads, int queueMax) {
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(
        threads,
        threads,
        60,
        TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queueMax),
        runnable -> {
          Thread thread = new Thread(runnable, namePrefix + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }
}
