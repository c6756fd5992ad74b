package io.ordo.gateway;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ordo.gateway.core.GatewayMetrics;
import io.ordo.gateway.core.KafkaOffsets;
import io.ordo.gateway.core.ResultListener;
import io.ordo.gateway.ingest.IngestBridge;
import io.ordo.gateway.ingest.IngestManager;
import io.ordo.gateway.subscriptions.SubscriptionsService;
import io.ordo.storage.ChangelogMaterializer;
import io.ordo.storage.MultiVersionStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's gauges over the state of its parts, and the scrape: JVM and process meters,
 * waiters in flight, the local store's materialization lag, ingest lag and records per stream,
 * and backlog, unacked records and consumers per subscription (docs/metrics.md).
 *
 * <p>Lags need Kafka's end offsets and the ingest group's committed offsets: they are read when
 * metrics are scraped ({@link #scrape}), at most once per {@value #REFRESH_MIN_INTERVAL_MS} ms
 * (scrapes in between see the previous values), each admin call bounded by {@link
 * KafkaOffsets#CALL_TIMEOUT_MS}. A refresh that fails leaves the lags unknown (NaN) and counts
 * {@value #REFRESH_ERRORS}. Nothing here runs on a timer, so a gateway nobody scrapes does no
 * work for its metrics. Function meters reference objects the gateway keeps for its whole life
 * (Micrometer holds them weakly). Thread-safe.
 */
final class GatewayMeters implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayMeters.class);

  static final String STORE_LAG = "ordo.store.lag";
  static final String STORE_RECORDS_APPLIED = "ordo.store.records.applied";
  static final String INGEST_LAG = "ordo.ingest.lag";
  static final String INGEST_RECORDS = "ordo.ingest.records.appended";
  static final String SUBSCRIPTION_BACKLOG = "ordo.subscription.backlog";
  static final String SUBSCRIPTION_UNACKED = "ordo.subscription.unacked";
  static final String SUBSCRIPTION_CONSUMERS = "ordo.subscription.consumers";
  static final String REFRESH_ERRORS = "ordo.metrics.refresh.errors";

  /** Shortest interval between two reads of Kafka offsets for the lag gauges. */
  static final long REFRESH_MIN_INTERVAL_MS = 1_000;

  private final PrometheusMeterRegistry registry;
  private final GatewayConfig config;
  private final KafkaOffsets offsets;
  private final MultiVersionStore store; // null without a data directory
  private final IngestManager ingest; // null without ingest
  private final SubscriptionsService subscriptions;
  private final LongSupplier nanoClock;
  private final JvmGcMetrics gc;
  private final MultiGauge ingestLag;
  private final MultiGauge backlog;
  private final MultiGauge unacked;
  private final MultiGauge consumers;
  private final io.micrometer.core.instrument.Counter refreshErrors;
  private final Map<String, Meter> ingestCounters = new HashMap<>(); // guarded by this
  private volatile double storeLag = Double.NaN;
  private long lastRefreshNanos; // guarded by this
  private boolean refreshed; // guarded by this

  GatewayMeters(
      PrometheusMeterRegistry registry,
      GatewayConfig config,
      ResultListener results,
      MultiVersionStore store,
      IngestManager ingest,
      SubscriptionsService subscriptions,
      ChangelogMaterializer materializer) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.config = Objects.requireNonNull(config, "config");
    this.offsets = new KafkaOffsets(config.kafka());
    this.store = store;
    this.ingest = ingest;
    this.subscriptions = Objects.requireNonNull(subscriptions, "subscriptions");
    this.nanoClock = System::nanoTime;

    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);

    Gauge.builder(GatewayMetrics.TXN_WAITERS, results, ResultListener::waiting)
        .description("requests waiting for their transaction's result now")
        .register(registry);
    Gauge.builder(GatewayMetrics.TXN_WAITERS_LIMIT, () -> config.limits().inFlightTxnMax())
        .description("the most requests that may wait for results at once (inFlightTxnMax)")
        .strongReference(true)
        .register(registry);
    if (store != null && materializer != null) {
      Gauge.builder(STORE_LAG, this, m -> m.storeLag)
          .description(
              "changelog records not yet materialized in the local store (changelog end offsets"
                  + " minus the store's offsets, summed over partitions; read at scrape time)")
          .baseUnit("records")
          .register(registry);
      FunctionCounter.builder(
              STORE_RECORDS_APPLIED, materializer, ChangelogMaterializer::recordsApplied)
          .description("changelog records the local store applied since the gateway started")
          .register(registry);
    }
    ingestLag =
        MultiGauge.builder(INGEST_LAG)
            .description(
                "records of a stream's ingest topic not yet appended (end offsets minus the"
                    + " ingest group's committed offsets; read at scrape time)")
            .baseUnit("records")
            .register(registry);
    backlog =
        MultiGauge.builder(SUBSCRIPTION_BACKLOG)
            .description("records of a subscription's shards not acknowledged yet, delivered or not")
            .baseUnit("records")
            .register(registry);
    unacked =
        MultiGauge.builder(SUBSCRIPTION_UNACKED)
            .description("records of a subscription delivered by this gateway and not acknowledged")
            .baseUnit("records")
            .register(registry);
    consumers =
        MultiGauge.builder(SUBSCRIPTION_CONSUMERS)
            .description("consumers of a subscription connected to this gateway")
            .register(registry);
    refreshErrors =
        io.micrometer.core.instrument.Counter.builder(REFRESH_ERRORS)
            .description("scrapes whose reads of Kafka offsets (for the lag gauges) failed")
            .register(registry);
  }

  /** Refreshes the gauges that need it, then renders every meter as Prometheus text. */
  String scrape() {
    refresh();
    return registry.scrape();
  }

  private synchronized void refresh() {
    long now = nanoClock.getAsLong();
    if (refreshed && now - lastRefreshNanos < TimeUnit.MILLISECONDS.toNanos(REFRESH_MIN_INTERVAL_MS)) {
      return;
    }
    refreshed = true;
    lastRefreshNanos = now;
    refreshSubscriptions();
    SortedSet<String> streams = ingest == null ? new TreeSet<>() : ingest.streams();
    refreshIngestCounters(streams);
    try {
      refreshLags(streams);
    } catch (RuntimeException e) {
      refreshErrors.increment();
      storeLag = Double.NaN;
      ingestLag.register(List.of(), true);
      LOG.debug("reading Kafka offsets for the lag gauges failed: {}", e.toString());
    }
  }

  private void refreshSubscriptions() {
    List<MultiGauge.Row<?>> backlogRows = new ArrayList<>();
    List<MultiGauge.Row<?>> unackedRows = new ArrayList<>();
    List<MultiGauge.Row<?>> consumerRows = new ArrayList<>();
    for (Map.Entry<String, SubscriptionsService.DeliveryStats> e :
        subscriptions.deliveryStats().entrySet()) {
      Tags tags = Tags.of("subscription", e.getKey());
      backlogRows.add(MultiGauge.Row.of(tags, e.getValue().backlog()));
      unackedRows.add(MultiGauge.Row.of(tags, e.getValue().unacked()));
      consumerRows.add(MultiGauge.Row.of(tags, e.getValue().consumers()));
    }
    backlog.register(backlogRows, true);
    unacked.register(unackedRows, true);
    consumers.register(consumerRows, true);
  }

  private void refreshIngestCounters(Set<String> streams) {
    for (String stream : streams) {
      ingestCounters.computeIfAbsent(
          stream,
          s ->
              FunctionCounter.builder(
                      INGEST_RECORDS,
                      ingest,
                      m -> m.bridge(s).map(IngestBridge::recordsAppended).orElse(0L))
                  .description(
                      "records this gateway's ingest bridge appended to a stream (since the bridge started)")
                  .tags("stream", s)
                  .register(registry));
    }
    ingestCounters
        .entrySet()
        .removeIf(
            e -> {
              if (streams.contains(e.getKey())) {
                return false;
              }
              registry.remove(e.getValue());
              return true;
            });
  }

  private void refreshLags(SortedSet<String> streams) {
    Map<String, String> topicOf = new TreeMap<>();
    if (ingest != null) {
      for (String stream : streams) {
        ingest.bridge(stream).ifPresent(b -> topicOf.put(stream, b.topic()));
      }
    }
    List<String> topics = new ArrayList<>(topicOf.values());
    if (store != null) {
      topics.add(config.topics().changelogTopic());
    }
    if (topics.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> ends = offsets.endOffsets(topics);
    if (store != null) {
      String changelog = config.topics().changelogTopic();
      Map<TopicPartition, Long> positions = new HashMap<>();
      store.committedOffsets().forEach((p, o) -> positions.put(new TopicPartition(changelog, p), o));
      storeLag = KafkaOffsets.lag(changelog, ends, positions, Map.of());
    }
    if (!topicOf.isEmpty()) {
      Map<TopicPartition, Long> committed =
          offsets.committedOffsets(IngestBridge.groupId(config.topics()));
      Map<TopicPartition, Long> starts = Map.of();
      boolean someUncommitted =
          ends.keySet().stream()
              .anyMatch(tp -> topicOf.containsValue(tp.topic()) && !committed.containsKey(tp));
      if (someUncommitted) {
        starts = offsets.earliestOffsets(topicOf.values());
      }
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      for (Map.Entry<String, String> e : topicOf.entrySet()) {
        rows.add(
            MultiGauge.Row.of(
                Tags.of("stream", e.getKey()),
                KafkaOffsets.lag(e.getValue(), ends, committed, starts)));
      }
      ingestLag.register(rows, true);
    } else {
      ingestLag.register(List.of(), true);
    }
  }

  @Override
  public void close() {
    gc.close();
    offsets.close();
  }
}
