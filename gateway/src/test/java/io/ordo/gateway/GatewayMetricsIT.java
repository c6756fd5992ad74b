package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.executor.PrometheusText;
import io.ordo.gateway.core.GatewayHealth;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.proto.AbortReason;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.FetchRequest;
import io.ordo.proto.HealthPart;
import io.ordo.proto.HealthResponse;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.PutRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.SubscriptionsGrpc;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.sequencer.TopicLayout;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics test of the Deployment issue: a known workload through a gateway with a local store,
 * the executor job and an ingest bridge, then {@code GET /metrics} over HTTP, parsed as Prometheus
 * text; the counters must equal the workload's own counts. Also health: liveness and readiness
 * over the Ordo Health RPC, REST {@code /v1/health} and grpc.health.v1, with and without an
 * executor.
 *
 * <p>Gauges that follow asynchronous work (lags, backlog) are polled until they reach the value
 * the workload implies, within a bound; nothing is asserted about durations.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GatewayMetricsIT {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayMetricsIT.class);
  private static final TopicLayout TOPICS = TopicLayout.withPrefix("metrics");
  private static final TopicLayout EXECUTORLESS_TOPICS = TopicLayout.withPrefix("metrics-noexec");
  private static final long CALL_TIMEOUT_MS = 30_000;
  private static final long FIRST_ANSWER_TIMEOUT_MS = 90_000;
  private static final long POLL_BOUND_MS = 60_000;

  private static final String TXN = "ordo.v1.Ordo/Txn";
  private static final String PUT = "ordo.v1.Ordo/Put";
  private static final String APPEND = "ordo.v1.Streams/Append";
  private static final String STREAM = "metered";
  private static final String SUBSCRIPTION = "metered-sub";

  // The workload's own counts.
  private static final int COMMITS = 20;
  private static final int ABORTS = 7;
  private static final int INVALID = 3;
  private static final int REST_PUTS = 5;
  private static final int STREAM_APPENDS = 6;
  private static final int INGESTED = 4;
  private static final int FETCHED = 3;

  @TempDir static Path dataDir;
  static GatewayTestStack stack;
  static EmbeddedKafkaBroker broker;
  static EmbeddedExecutor executor;
  static GatewayServer gateway;
  static ManagedChannel channel;
  static HttpClient http;

  @BeforeAll
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  static void start() throws Exception {
    stack = GatewayTestStack.start(dataDir.resolve("kafka"), TOPICS,
        e -> e.withKeyRangeCount(4).withParallelism(1),
        g -> g.withMetricsPort(0)
            .withHeartbeatIntervalMs(20)
            .withDataDir(dataDir.resolve("gateway-store")));
    broker = stack.broker;
    executor = stack.executor;
    gateway = stack.gateway;
    channel = stack.channel;
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void theCountersEqualTheWorkloadsOwnCounts() throws Exception {
    // Before any transaction: live, but the executor part is not known yet.
    HealthResponse before = health(false);
    assertThat(before.getLive()).isTrue();
    assertThat(before.getStatus()).isEqualTo("SERVING");
    assertThat(before.getReady()).isFalse();
    assertThat(part(before, "executor").getDetail()).contains("ask with probe=true");

    // Warm-up: the job reads the log from its start; one Put (counted below) is answered once it
    // has caught up.
    ordo(FIRST_ANSWER_TIMEOUT_MS)
        .put(PutRequest.newBuilder().setKey("warm-up").setValue(bytes("ready")).build());

    for (int i = 0; i < COMMITS; i++) {
      TxnResult r =
          ordo(CALL_TIMEOUT_MS)
              .txn(TxnRequest.newBuilder().addOps(op("c/" + i).setPut(Put.newBuilder().setValue(bytes("v" + i)))).build())
              .getResult();
      assertThat(r.getOutcome()).isEqualTo(Outcome.COMMITTED);
    }
    for (int i = 0; i < ABORTS; i++) {
      TxnResult r =
          ordo(CALL_TIMEOUT_MS)
              .txn(
                  TxnRequest.newBuilder()
                      .addOps(op("overdrawn").setIncrement(Increment.newBuilder().setDelta(-10).setMin(0)))
                      .build())
              .getResult();
      assertThat(r.getAbortReason()).isEqualTo(AbortReason.BOUND_VIOLATED);
    }
    for (int i = 0; i < INVALID; i++) {
      try {
        ordo(CALL_TIMEOUT_MS).txn(TxnRequest.getDefaultInstance()); // no operations
        throw new AssertionError("an empty Txn was accepted");
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
      }
    }
    for (int i = 0; i < REST_PUTS; i++) {
      HttpResponse<String> put =
          send(gateway.httpPort(), "PUT", "/v1/kv/rest-" + i, "{\"value\": {\"bytes\": \"aGVsbG8=\"}}");
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    }

    // Streams: appends through the API, records through the ingest topic, a subscription that
    // fetches some of them without acking.
    streams().createStream(CreateStreamRequest.newBuilder().setName(STREAM).setShardCount(2).build());
    for (int i = 0; i < STREAM_APPENDS; i++) {
      streams()
          .append(
              AppendRequest.newBuilder()
                  .setStream(STREAM)
                  .addRecords(StreamRecord.newBuilder().setPartitionKey("k" + i).setJson("{\"n\":" + i + "}"))
                  .build());
    }
    produceToIngestTopic();
    PrometheusText ingested =
        scrapeUntil(m -> m.sum("ordo_ingest_records_appended_total", Map.of("stream", STREAM)) == INGESTED);
    assertThat(ingested.sum("ordo_ingest_records_appended_total", Map.of("stream", STREAM))).isEqualTo(INGESTED);
    scrapeUntil(
        m -> m.sum("ordo_ingest_lag_records", Map.of("stream", STREAM)) == 0
            && m.sum("ordo_store_lag_records", Map.of()) == 0);

    SubscriptionsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .createSubscription(
            CreateSubscriptionRequest.newBuilder()
                .setId(SUBSCRIPTION)
                .setStream(STREAM)
                .setAckTimeoutSeconds(600)
                .build());
    List<ReceivedRecord> fetched = new ArrayList<>();
    SubscriptionsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .fetch(
            FetchRequest.newBuilder()
                .setSubscriptionId(SUBSCRIPTION)
                .setConsumerName("metrics-it")
                .setMaxRecords(FETCHED)
                .build())
        .forEachRemaining(r -> fetched.addAll(r.getRecordsList()));
    assertThat(fetched).hasSize(FETCHED);

    PrometheusText m =
        scrapeUntil(
            t -> t.sum("ordo_subscription_backlog_records", Map.of("subscription", SUBSCRIPTION))
                    == STREAM_APPENDS + INGESTED
                && t.sum("ordo_txn_waiters", Map.of()) == 0);
    LOG.info("GET /metrics after the workload:\n{}", lastScrape);

    // Requests per method, status code and transport.
    assertThat(m.sum("ordo_grpc_server_requests_seconds_count", Map.of("method", TXN, "code", "OK", "transport", "grpc")))
        .isEqualTo(COMMITS + ABORTS);
    assertThat(m.sum("ordo_grpc_server_requests_seconds_count", Map.of("method", TXN, "code", "INVALID_ARGUMENT")))
        .isEqualTo(INVALID);
    assertThat(m.sum("ordo_grpc_server_requests_seconds_count", Map.of("method", PUT, "code", "OK", "transport", "rest")))
        .isEqualTo(REST_PUTS);
    assertThat(m.sum("ordo_grpc_server_requests_seconds_count", Map.of("method", PUT, "code", "OK", "transport", "grpc")))
        .isEqualTo(1);
    assertThat(m.sum("ordo_grpc_server_requests_seconds_count", Map.of("method", APPEND, "code", "OK")))
        .isEqualTo(STREAM_APPENDS);
    // The histogram's +Inf bucket holds every call.
    assertThat(m.sum("ordo_grpc_server_requests_seconds_bucket", Map.of("method", TXN, "code", "OK", "transport", "grpc", "le", "+Inf")))
        .isEqualTo(COMMITS + ABORTS);

    // Transaction outcomes by abort reason, under the method that ran them.
    assertThat(m.sum("ordo_txn_results_total", Map.of("method", TXN, "outcome", "COMMITTED", "reason", "none")))
        .isEqualTo(COMMITS);
    assertThat(m.sum("ordo_txn_results_total", Map.of("method", TXN, "outcome", "ABORTED", "reason", "BOUND_VIOLATED")))
        .isEqualTo(ABORTS);
    assertThat(m.sum("ordo_txn_results_total", Map.of("method", TXN))).isEqualTo(COMMITS + ABORTS);
    assertThat(m.sum("ordo_txn_results_total", Map.of("method", PUT, "outcome", "COMMITTED")))
        .isEqualTo(REST_PUTS + 1);
    assertThat(m.sum("ordo_txn_results_total", Map.of("method", "internal"))).isPositive(); // ingest
    assertThat(m.sum("ordo_txn_failures_total", Map.of())).isZero();

    // Every result came after an append; every append was timed and none failed.
    double results = m.sum("ordo_txn_results_total", Map.of());
    assertThat(m.sum("ordo_txn_append_to_result_seconds_count", Map.of())).isEqualTo(results);
    assertThat(m.sum("ordo_sequencer_append_seconds_count", Map.of())).isGreaterThanOrEqualTo(results);
    assertThat(m.sum("ordo_sequencer_append_errors_total", Map.of())).isZero();
    assertThat(m.sum("ordo_sequencer_heartbeats_sent_total", Map.of())).isPositive();
    // Clock steps of the acknowledged broker timestamps (ARCHITECTURE.md, "Clock steps").
    assertThat(m.has("ordo_log_clock_steps_back_total")).isTrue();
    assertThat(m.has("ordo_log_clock_step_back_largest_seconds")).isTrue();
    assertThat(m.has("ordo_log_clock_step_partitions")).isTrue();
    assertThat(m.sum("ordo_txn_waiters", Map.of())).isZero();

    // Streams, ingest, subscriptions, store.
    assertThat(m.sum("ordo_ingest_records_appended_total", Map.of("stream", STREAM))).isEqualTo(INGESTED);
    assertThat(m.sum("ordo_ingest_lag_records", Map.of("stream", STREAM))).isZero();
    assertThat(m.sum("ordo_subscription_unacked_records", Map.of("subscription", SUBSCRIPTION))).isEqualTo(FETCHED);
    assertThat(m.sum("ordo_store_lag_records", Map.of())).isZero();
    assertThat(m.sum("ordo_store_records_applied_total", Map.of())).isPositive();

    // JVM and process.
    assertThat(m.has("jvm_memory_used_bytes")).isTrue();
    assertThat(m.has("jvm_threads_live_threads")).isTrue();
    assertThat(m.has("jvm_gc_memory_allocated_bytes_total")).isTrue();
    assertThat(m.has("process_cpu_usage")).isTrue();
    assertThat(m.has("process_uptime_seconds")).isTrue();

    // The metrics port of its own serves the same text, and only /metrics.
    int metricsPort = gateway.metricsPort().orElseThrow();
    HttpResponse<String> own = send(metricsPort, "GET", "/metrics", null);
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(PrometheusText.parse(own.body()).sum("ordo_txn_results_total", Map.of("method", TXN)))
        .isEqualTo(COMMITS + ABORTS);
    assertThat(send(metricsPort, "GET", "/v1/health", null).statusCode()).isEqualTo(404);
    assertThat(send(gateway.httpPort(), "POST", "/metrics", "").statusCode()).isEqualTo(405);

    // Results arrived: ready, every part says so, and the standard health service agrees.
    HealthResponse after = health(false);
    assertThat(after.getReady()).as(after.toString()).isTrue();
    assertThat(after.getPartsList()).extracting(HealthPart::getName)
        .containsExactly("sequencer", "results", "store", "executor");
    assertThat(after.getPartsList()).allMatch(HealthPart::getReady);
    HealthGrpc.HealthBlockingStub standard =
        HealthGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    assertThat(standard.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(standard.check(HealthCheckRequest.newBuilder().setService(GatewayHealth.READINESS).build()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void withoutAnExecutorTheGatewayIsLiveButNotReadyAndSaysWhichPart() throws Exception {
    try (GatewayServer executorless =
        GatewayServer.start(
            GatewayConfig.defaults(broker.bootstrapServers(), EXECUTORLESS_TOPICS)
                .withPorts(0, 0)
                .withPgPort(GatewayConfig.NO_PG_PORT)
                .withHeartbeatIntervalMs(20)
                .withIngest(false))) {
      ManagedChannel ch =
          ManagedChannelBuilder.forAddress("127.0.0.1", executorless.grpcPort()).usePlaintext().build();
      try {
        HealthGrpc.HealthBlockingStub standard =
            HealthGrpc.newBlockingStub(ch).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertThat(standard.check(HealthCheckRequest.newBuilder().setService(GatewayHealth.LIVENESS).build()).getStatus())
            .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        // A readiness check sends a probe, which no executor answers.
        assertThat(standard.check(HealthCheckRequest.newBuilder().setService(GatewayHealth.READINESS).build()).getStatus())
            .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);

        HttpResponse<String> rest = send(executorless.httpPort(), "GET", "/v1/health?probe=true", null);
        assertThat(rest.statusCode()).isEqualTo(200);
        HealthResponse.Builder parsed = HealthResponse.newBuilder();
        JsonFormat.parser().merge(rest.body(), parsed);
        assertThat(parsed.getStatus()).isEqualTo("SERVING");
        assertThat(parsed.getLive()).isTrue();
        assertThat(parsed.getReady()).isFalse();
        HealthPart executorPart = part(parsed.build(), "executor");
        assertThat(executorPart.getReady()).isFalse();
        assertThat(executorPart.getDetail())
            .contains("no result of this gateway's transactions has arrived yet")
            .contains("a probe transaction is under way");
        assertThat(part(parsed.build(), "sequencer").getReady()).isTrue();
        assertThat(part(parsed.build(), "results").getReady()).isTrue();

        // The probe is one waiter and one append, counted like any transaction; no second one.
        PrometheusText m = PrometheusText.parse(executorless.scrapeMetrics());
        assertThat(m.sum("ordo_txn_waiters", Map.of())).isEqualTo(1);
        assertThat(m.sum("ordo_grpc_server_requests_seconds_count", Map.of("method", "grpc.health.v1.Health/Check", "code", "OK")))
            .isEqualTo(2);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  // ---- helpers ----

  private static String lastScrape = "";

  /** Scrapes GET /metrics on the REST port until {@code done} holds, at most POLL_BOUND_MS. */
  private static PrometheusText scrapeUntil(Predicate<PrometheusText> done) throws Exception {
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_BOUND_MS);
    while (true) {
      HttpResponse<String> response = send(gateway.httpPort(), "GET", "/metrics", null);
      assertThat(response.statusCode()).isEqualTo(200);
      lastScrape = response.body();
      PrometheusText parsed = PrometheusText.parse(response.body());
      if (done.test(parsed)) {
        return parsed;
      }
      if (System.nanoTime() - deadlineNs > 0) {
        LOG.info("last scrape:\n{}", lastScrape);
        return parsed; // the assertions that follow say what is missing
      }
      Thread.sleep(200);
    }
  }

  private static void produceToIngestTopic() throws Exception {
    String topic = IngestTopics.topic(TOPICS, STREAM);
    try (Admin admin =
        Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_BOUND_MS);
      while (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
        assertThat(System.nanoTime() - deadlineNs).as("the bridge creates " + topic).isNegative();
        Thread.sleep(100);
      }
    }
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (int i = 0; i < INGESTED; i++) {
        producer
            .send(new ProducerRecord<>(topic, ("ik" + i).getBytes(StandardCharsets.UTF_8), ("in" + i).getBytes(StandardCharsets.UTF_8)))
            .get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static HealthResponse health(boolean probe) {
    return ordo(CALL_TIMEOUT_MS).health(io.ordo.proto.HealthRequest.newBuilder().setProbe(probe).build());
  }

  private static HealthPart part(HealthResponse response, String name) {
    return response.getPartsList().stream()
        .filter(p -> p.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no part " + name + " in " + response));
  }

  private static OrdoGrpc.OrdoBlockingStub ordo(long timeoutMs) {
    return OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private static StreamsGrpc.StreamsBlockingStub streams() {
    return StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static Operation.Builder op(String key) {
    return Operation.newBuilder().setKey(key);
  }

  private static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(s)).build();
  }

  private static HttpResponse<String> send(int port, String method, String pathAndQuery, String body)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
            .timeout(Duration.ofMillis(CALL_TIMEOUT_MS))
            .method(
                method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
