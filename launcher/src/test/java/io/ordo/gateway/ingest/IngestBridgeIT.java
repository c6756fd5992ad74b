package io.ordo.gateway.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.gateway.core.Limits;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.gateway.core.OwnTxnRunner;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.Shard;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sequencer.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest bridge on one embedded Ordo: records written with a plain KafkaProducer to a
 * stream's ingest topic are appended to its shards exactly once, checked through Get
 * transactions (counters, shard states) and ReadShard (the records).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class IngestBridgeIT {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final long WAIT_MS = 60_000;
  private static final int TOPIC_PARTITIONS = 3;
  /**
   * The embedded gateway runs its own bridges (over {@code <prefix>-ingest-<stream>}); the bridges
   * under test read the ingest topics of another prefix, so the records they count are theirs
   * alone. They append to the same streams with the same counters through the same log.
   */
  private static final TopicLayout BRIDGE_TOPICS = TopicLayout.withPrefix("ingest-it");

  @TempDir static Path dir;
  static EmbeddedOrdo ordo;
  static ManagedChannel channel;
  static OwnTxnRunner own;
  static TxnRunner runner;
  static Admin admin;
  static KafkaProducer<byte[], byte[]> producer;

  @BeforeAll
  static void start() throws Exception {
    ordo =
        EmbeddedOrdo.start(
            EmbeddedOrdo.Options.defaults(dir)
                .withFreePorts()
                .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(1_000)));
    ordo.awaitServing(READY_TIMEOUT);
    channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
    // The bridge runs on its own TxnRunner over the same log, as a gateway's services do.
    own = OwnTxnRunner.start(ordo, "ingest-it", WAIT_MS, 10_000, 2);
    runner = own.runner();
    admin = Admin.create(
        Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ordo.bootstrapServers()));
    producer =
        new KafkaProducer<>(
            Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ordo.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  @AfterAll
  static void stop() throws Exception {
    if (own != null) {
      own.close();
    }
    if (producer != null) {
      producer.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (ordo != null) {
      ordo.close();
    }
  }

  static StreamsGrpc.StreamsBlockingStub streams() {
    return StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  static IngestBridge.Settings settings() {
    return IngestBridge.Settings.of(ordo.bootstrapServers(), BRIDGE_TOPICS, Limits.defaults())
        .withTopicPartitions(TOPIC_PARTITIONS);
  }

  @Test
  void recordsAreAppendedOnceInKafkaOrderPerKeyAcrossRestartsAndRacingBridges() throws Exception {
    String stream = "ing-a";
    streams().createStream(CreateStreamRequest.newBuilder().setName(stream).setShardCount(2).build());
    String topic = IngestTopics.topic(BRIDGE_TOPICS, stream);
    List<String> sent = new ArrayList<>();

    try (IngestManager manager = new IngestManager(settings(), runner)) {
      assertThat(manager.ensure(stream)).isTrue();
      assertThat(manager.ensure(stream)).isFalse();
      awaitTopic(topic);
      send(topic, sent, 0, 60);
      awaitIngested(stream, sent.size());
      IngestBridge bridge = manager.bridge(stream).orElseThrow();
      assertThat(bridge.recordsAppended()).isEqualTo(60);
      assertThat(bridge.recordsSkipped()).isZero();
      assertThat(bridge.failure()).isEmpty();
    }
    checkStream(stream, sent);

    // Written while no bridge runs; then two bridges in different groups race over every
    // partition: the counters let exactly one of them append each batch.
    send(topic, sent, 60, 80);
    IngestBridge one = IngestBridge.start(settings(), stream, runner);
    IngestBridge two = IngestBridge.start(settings().withGroupId("ingest-it-other"), stream, runner);
    try {
      send(topic, sent, 80, 140);
      awaitIngested(stream, sent.size());
      // Nothing more arrives later: a late duplicate would show up in the counts.
      Thread.sleep(1_000);
      // The first group resumed at its committed offsets; the second started from the earliest
      // record and was moved to the counters.
      assertThat(one.recordsAppended() + two.recordsAppended()).isEqualTo(80);
      assertThat(one.failure()).isEmpty();
      assertThat(two.failure()).isEmpty();
    } finally {
      one.close();
      two.close();
    }
    checkStream(stream, sent);
  }

  @Test
  void aSplitDuringIngestRoutesLaterRecordsToTheChildren() throws Exception {
    String stream = "ing-split";
    streams().createStream(CreateStreamRequest.newBuilder().setName(stream).setShardCount(1).build());
    String topic = IngestTopics.topic(BRIDGE_TOPICS, stream);
    List<String> sent = new ArrayList<>();
    try (IngestManager manager = new IngestManager(settings(), runner)) {
      manager.ensure(stream);
      awaitTopic(topic);
      send(topic, sent, 0, 40);
      awaitIngested(stream, 40);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<?> more = pool.submit(() -> {
          send(topic, sent, 40, 120);
          return null;
        });
        streams().splitShard(SplitShardRequest.newBuilder().setStream(stream).setShardId(0).build());
        more.get(WAIT_MS, TimeUnit.MILLISECONDS);
      } finally {
        pool.shutdownNow();
      }
      awaitIngested(stream, 120);
      assertThat(manager.bridge(stream).orElseThrow().recordsAppended()).isEqualTo(120);
    }
    List<Shard> shards = streams().listShards(ListShardsRequest.newBuilder().setStream(stream).build())
        .getShardsList();
    assertThat(shards).hasSize(3);
    assertThat(shards.get(0).getState()).isEqualTo(Shard.State.CLOSED);
    checkStream(stream, sent);
  }

  @Test
  void recordsAnAppendWouldRefuseArePassedOverAndTheRestFlows() throws Exception {
    String stream = "ing-bad";
    streams().createStream(CreateStreamRequest.newBuilder().setName(stream).setShardCount(1).build());
    String topic = IngestTopics.topic(BRIDGE_TOPICS, stream);
    try (IngestManager manager = new IngestManager(settings(), runner)) {
      manager.ensure(stream);
      awaitTopic(topic);
      List<String> sent = new ArrayList<>();
      send(topic, sent, 0, 5);
      ProducerRecord<byte[], byte[]> bad =
          new ProducerRecord<>(topic, 0, bytes("k"), bytes("bad"));
      bad.headers().add(new RecordHeader("", bytes("empty header keys are refused")));
      producer.send(bad).get(WAIT_MS, TimeUnit.MILLISECONDS);
      send(topic, sent, 5, 10);
      awaitIngested(stream, 10);
      IngestBridge bridge = manager.bridge(stream).orElseThrow();
      awaitTrue(() -> bridge.recordsSkipped() == 1, "the refused record to be counted");
      assertThat(bridge.lastError()).contains("cannot be appended").contains("headers[0].key");
      checkStream(stream, sent);
      // Every record of the topic, the refused one included, is behind the counters.
      assertThat(counters(stream).values().stream().mapToLong(Long::longValue).sum())
          .isEqualTo(endOffsets(topic));
    }
  }

  @Test
  void badNamesAndAClosedManagerAreRefused() {
    IngestManager manager = new IngestManager(settings(), runner);
    assertThatThrownBy(() -> manager.ensure("no/slash")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.ensure("x".repeat(250)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topic");
    assertThat(manager.remove("absent")).isFalse();
    manager.close();
    assertThatThrownBy(() -> manager.ensure("s")).isInstanceOf(IllegalStateException.class);
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Sends records {@code from..to-1}: key {@code k<i % 7>}, value {@code <stream-independent
   * payload i>}, one header; records {@code i} go to partition {@code i % partitions} so that
   * every partition sees several keys. Appends the payloads to {@code sent}.
   */
  static void send(String topic, List<String> sent, int from, int to) throws Exception {
    List<Future<?>> acks = new ArrayList<>();
    for (int i = from; i < to; i++) {
      String payload = "p" + i;
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(topic, i % TOPIC_PARTITIONS, bytes("k" + (i % 7)), bytes(payload));
      r.headers().add(new RecordHeader("seq", bytes(Integer.toString(i))));
      acks.add(producer.send(r));
      synchronized (sent) {
        sent.add(payload);
      }
    }
    for (Future<?> ack : acks) {
      ack.get(WAIT_MS, TimeUnit.MILLISECONDS);
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Every sent record is in the stream exactly once, in the shard its key routes to, and the
   * records of one key and one ingest partition keep their Kafka order.
   */
  static void checkStream(String stream, List<String> sent) {
    List<Shard> shards = streams().listShards(ListShardsRequest.newBuilder().setStream(stream).build())
        .getShardsList();
    List<String> seen = new ArrayList<>();
    TreeMap<String, Integer> lastSeqByKeyAndPartition = new TreeMap<>();
    long total = 0;
    for (Shard shard : shards) {
      List<ReceivedRecord> records = new ArrayList<>();
      streams().readShard(ReadShardRequest.newBuilder().setStream(stream).setShardId(shard.getId()).build())
          .forEachRemaining((ReadResponse r) -> records.addAll(r.getRecordsList()));
      assertThat(records).as("shard %d", shard.getId()).hasSize((int) shard.getNextOffset());
      total += shard.getNextOffset();
      for (ReceivedRecord r : records) {
        seen.add(r.getRecord().getRaw().toStringUtf8());
        int seq = Integer.parseInt(r.getRecord().getHeaders(0).getValue().toStringUtf8());
        assertThat(r.getRecord().getHeaders(0).getKey()).isEqualTo("seq");
        assertThat(r.getRecord().getPartitionKey()).isEqualTo("k" + (seq % 7));
        // Per key and ingest partition, sequence numbers rise along the shard the key routes to,
        // and on from a parent to its child (ids, and so the list, put children after parents).
        String order = r.getRecord().getPartitionKey() + "/" + (seq % TOPIC_PARTITIONS);
        Integer before = lastSeqByKeyAndPartition.put(order, seq);
        if (before != null) {
          assertThat(seq).as(order).isGreaterThan(before);
        }
      }
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(sent);
    assertThat(total).isEqualTo(sent.size());
  }

  /** Waits until the stream's shards hold {@code count} records (read through the log). */
  static void awaitIngested(String stream, long count) throws InterruptedException {
    awaitTrue(() -> {
      long total = 0;
      for (Shard shard : streams().listShards(ListShardsRequest.newBuilder().setStream(stream).build())
          .getShardsList()) {
        Value v = get(StreamKeys.shard(stream, shard.getId()));
        total += v == null ? 0 : v.getShard().getNextOffset();
      }
      return total >= count;
    }, count + " records in stream " + stream);
  }

  /** The ingest counters of the stream, by partition, read through a Get transaction. */
  static Map<Integer, Long> counters(String stream) {
    Map<Integer, Long> out = new TreeMap<>();
    for (int p = 0; p < TOPIC_PARTITIONS; p++) {
      Value v = get(StreamKeys.ingest(stream, p));
      out.put(p, v == null ? 0 : v.getCounter());
    }
    return out;
  }

  /** The value of an internal key, read with a Get transaction through the log; null if absent. */
  static Value get(String key) {
    Transaction txn = Transaction.newBuilder().setId(TxnRunner.newTxnId())
        .addOps(Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance())).build();
    TxnResult result;
    try {
      result = runner.execute(txn, WAIT_MS).get(WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("reading " + key + " failed", e);
    }
    assertThat(result.getOutcome()).isEqualTo(Outcome.COMMITTED);
    for (KeyRead read : result.getReadsList()) {
      if (read.getOpIndex() == 0 && !read.getPostState() && read.getFound()) {
        return read.getValue();
      }
    }
    return null;
  }

  static long endOffsets(String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> request = new TreeMap<>(
        (a, b) -> Integer.compare(a.partition(), b.partition()));
    for (int p = 0; p < TOPIC_PARTITIONS; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    return admin.listOffsets(request).all().get(WAIT_MS, TimeUnit.MILLISECONDS).values().stream()
        .mapToLong(info -> info.offset()).sum();
  }

  /** Waits until the bridge created the topic and every partition serves offsets. */
  static void awaitTopic(String topic) throws InterruptedException {
    awaitTrue(() -> {
      try {
        return endOffsets(topic) >= 0;
      } catch (Exception e) {
        return false;
      }
    }, "topic " + topic);
  }

  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadlineNs > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
