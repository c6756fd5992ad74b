package io.ordo.gateway.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.gateway.core.OwnTxnRunner;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.AckRequest;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.Assert;
import io.ordo.proto.Consumer;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteSubscriptionRequest;
import io.ordo.proto.FetchRequest;
import io.ordo.proto.Get;
import io.ordo.proto.GetSubscriptionRequest;
import io.ordo.proto.ListConsumersRequest;
import io.ordo.proto.ListSubscriptionsRequest;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.ShardProgress;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.SubscriptionDetail;
import io.ordo.proto.SubscriptionsGrpc;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.SubscriptionMetadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Subscriptions service end to end on one embedded Ordo (broker, executor job, gateway with
 * its local store): admin calls and bad input, delivery and acks, redelivery after the ack
 * timeout, the max-unacked bound, shard assignment across consumers, exactly-once acks inside a
 * client transaction, and per-key order across a split. Every test uses its own stream and
 * subscription names.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SubscriptionsIT {
  static final long CALL_TIMEOUT_MS = 30_000;
  static final long RECEIVE_TIMEOUT_MS = 20_000;

  @TempDir static Path dir;
  private static EmbeddedOrdo ordo;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    ordo = EmbeddedOrdo.start(options(dir));
    ordo.awaitServing(Duration.ofSeconds(60));
    channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (ordo != null) {
      ordo.close();
    }
  }

  static EmbeddedOrdo.Options options(Path dataDir) {
    return EmbeddedOrdo.Options.defaults(dataDir)
        .withFreePorts()
        .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(500));
  }

  // ---- helpers (shared with SubscriptionsRestartIT) ----

  static SubscriptionsGrpc.SubscriptionsBlockingStub subs(ManagedChannel channel) {
    return SubscriptionsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  static StreamsGrpc.StreamsBlockingStub streams(ManagedChannel channel) {
    return StreamsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  static void createStream(ManagedChannel channel, String name, int shards) {
    streams(channel).createStream(
        CreateStreamRequest.newBuilder().setName(name).setShardCount(shards).build());
  }

  static StreamRecord record(String key, String payload) {
    return StreamRecord.newBuilder()
        .setPartitionKey(key)
        .setRaw(ByteString.copyFromUtf8(payload))
        .build();
  }

  /** Appends records {@code key:i} for i in [from, to) to one shard. */
  static AppendResponse appendToShard(
      ManagedChannel channel, String stream, long shard, String key, int from, int to) {
    AppendRequest.Builder request = AppendRequest.newBuilder().setStream(stream).setShardId(shard);
    for (int i = from; i < to; i++) {
      request.addRecords(record(key, key + ":" + i));
    }
    return streams(channel).append(request.build());
  }

  static Subscription createSubscription(
      ManagedChannel channel, String id, String stream, int ackTimeoutSeconds, int maxUnacked) {
    return subs(channel).createSubscription(
        CreateSubscriptionRequest.newBuilder()
            .setId(id)
            .setStream(stream)
            .setAckTimeoutSeconds(ackTimeoutSeconds)
            .setMaxUnackedRecords(maxUnacked)
            .build());
  }

  static String payload(ReceivedRecord r) {
    return r.getRecord().getRaw().toStringUtf8();
  }

  static List<String> payloads(List<ReceivedRecord> records) {
    return records.stream().map(SubscriptionsIT::payload).toList();
  }

  static Status.Code codeOf(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
    return Status.Code.OK;
  }

  /** Waits until {@code condition} holds, polling; fails after {@code timeoutMs}. */
  static void await(String what, long timeoutMs, Supplier<Boolean> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!condition.get()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  static Map<Long, Long> floors(ManagedChannel channel, String id) {
    SubscriptionDetail detail =
        subs(channel).getSubscription(GetSubscriptionRequest.newBuilder().setId(id).build());
    Map<Long, Long> out = new TreeMap<>();
    for (ShardProgress p : detail.getProgressList()) {
      out.put(p.getShardId(), p.getFloor());
    }
    return out;
  }

  // ---- admin ----

  @Test
  void createGetListAndDeleteWithTheirErrors() {
    createStream(channel, "admin-s", 2);
    Subscription created = subs(channel).createSubscription(
        CreateSubscriptionRequest.newBuilder().setId("admin-sub").setStream("admin-s").build());
    assertThat(created.getAckTimeoutSeconds()).isEqualTo(30);
    assertThat(created.getMaxUnackedRecords()).isEqualTo(1000);
    assertThat(created.getFrom()).isEqualTo(ReadFrom.Special.EARLIEST);
    createSubscription(channel, "admin-sub2", "admin-s", 5, 10);

    SubscriptionDetail detail =
        subs(channel).getSubscription(GetSubscriptionRequest.newBuilder().setId("admin-sub").build());
    assertThat(detail.getSubscription()).isEqualTo(created);
    assertThat(detail.getProgressList())
        .extracting(ShardProgress::getShardId, ShardProgress::getFloor)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(0L, 0L), org.assertj.core.groups.Tuple.tuple(1L, 0L));

    assertThat(subs(channel).listSubscriptions(
            ListSubscriptionsRequest.newBuilder().setStream("admin-s").build())
        .getSubscriptionsList())
        .extracting(Subscription::getId)
        .containsExactly("admin-sub", "admin-sub2");
    assertThat(subs(channel).listSubscriptions(ListSubscriptionsRequest.getDefaultInstance())
        .getSubscriptionsList())
        .extracting(Subscription::getId)
        .contains("admin-sub", "admin-sub2");

    // Bad input and conflicts.
    assertThat(codeOf(() -> subs(channel).createSubscription(
            CreateSubscriptionRequest.newBuilder().setId("admin-sub").setStream("admin-s").build())))
        .isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(codeOf(() -> subs(channel).createSubscription(
            CreateSubscriptionRequest.newBuilder().setId("admin-x").setStream("no-such").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThatThrownBy(() -> subs(channel).createSubscription(
            CreateSubscriptionRequest.newBuilder().setId("admin-x").setStream("admin-s")
                .setAckTimeoutSeconds(3601).build()))
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("ack_timeout_seconds must be in 1..3600");
    assertThat(codeOf(() -> subs(channel).createSubscription(
            CreateSubscriptionRequest.newBuilder().setId("a/b").setStream("admin-s").build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(() -> subs(channel).getSubscription(
            GetSubscriptionRequest.newBuilder().setId("admin-none").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(() -> subs(channel).listConsumers(
            ListConsumersRequest.newBuilder().setId("admin-none").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(() -> subs(channel).ack(AckRequest.newBuilder()
            .setSubscriptionId("admin-sub")
            .addAcks(RecordId.newBuilder().setShardId(7).setOffset(0))
            .build())))
        .as("ack of a shard the stream does not have")
        .isEqualTo(Status.Code.NOT_FOUND);

    subs(channel).deleteSubscription(DeleteSubscriptionRequest.newBuilder().setId("admin-sub").build());
    assertThat(codeOf(() -> subs(channel).getSubscription(
            GetSubscriptionRequest.newBuilder().setId("admin-sub").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(() -> subs(channel).deleteSubscription(
            DeleteSubscriptionRequest.newBuilder().setId("admin-sub").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(subs(channel).listSubscriptions(
            ListSubscriptionsRequest.newBuilder().setStream("admin-s").build())
        .getSubscriptionsList())
        .extracting(Subscription::getId)
        .containsExactly("admin-sub2");
    // The id is free again.
    createSubscription(channel, "admin-sub", "admin-s", 0, 0);
  }

  @Test
  void streamingFetchRejectsBadRequestsWithTheReason() throws Exception {
    createStream(channel, "badfetch-s", 1);
    createSubscription(channel, "badfetch-sub", "badfetch-s", 0, 0);
    try (FetchClient noName = new FetchClient(channel, "badfetch-sub", "")) {
      Status end = noName.awaitEnd(10_000);
      assertThat(end.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(end.getDescription()).contains("consumer_name is required");
    }
    try (FetchClient unknown = new FetchClient(channel, "badfetch-none", "c")) {
      Status end = unknown.awaitEnd(10_000);
      assertThat(end.getCode()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(end.getDescription()).contains("subscription 'badfetch-none' does not exist");
    }
    try (FetchClient badAck = new FetchClient(channel, "badfetch-sub", "c")) {
      appendToShard(channel, "badfetch-s", 0, "k", 0, 1);
      assertThat(badAck.take(1, RECEIVE_TIMEOUT_MS)).hasSize(1);
      badAck.ackIds(List.of(RecordId.newBuilder().setShardId(9).setOffset(0).build()));
      Status end = badAck.awaitEnd(10_000);
      assertThat(end.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(end.getDescription()).contains("has no such shard");
    }
    try (FetchClient futureAck = new FetchClient(channel, "badfetch-sub", "c")) {
      assertThat(futureAck.take(1, RECEIVE_TIMEOUT_MS)).hasSize(1);
      futureAck.ackIds(List.of(RecordId.newBuilder().setShardId(0).setOffset(1).build()));
      Status end = futureAck.awaitEnd(10_000);
      assertThat(end.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(end.getDescription()).contains("no such record was delivered");
    }
  }

  @Test
  void deleteRefusesWhileConsumersAreConnectedUnlessForced() throws Exception {
    createStream(channel, "del-s", 1);
    createSubscription(channel, "del-sub", "del-s", 0, 0);
    appendToShard(channel, "del-s", 0, "k", 0, 1);
    try (FetchClient consumer = new FetchClient(channel, "del-sub", "c1")) {
      assertThat(consumer.take(1, RECEIVE_TIMEOUT_MS)).hasSize(1);
      assertThat(subs(channel).listConsumers(ListConsumersRequest.newBuilder().setId("del-sub").build())
          .getConsumersList())
          .extracting(Consumer::getName, Consumer::getUnacked)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("c1", 1L));
      assertThatThrownBy(() -> subs(channel).deleteSubscription(
              DeleteSubscriptionRequest.newBuilder().setId("del-sub").build()))
          .hasMessageContaining("FAILED_PRECONDITION")
          .hasMessageContaining("1 consumer(s) connected");
      subs(channel).deleteSubscription(
          DeleteSubscriptionRequest.newBuilder().setId("del-sub").setForce(true).build());
      Status end = consumer.awaitEnd(10_000);
      assertThat(end).isNotNull();
      assertThat(end.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }
  }

  @Test
  void deletingTheStreamEndsItsConsumersCalls() throws Exception {
    createStream(channel, "gone-s", 1);
    createSubscription(channel, "gone-sub", "gone-s", 0, 0);
    appendToShard(channel, "gone-s", 0, "k", 0, 1);
    try (FetchClient consumer = new FetchClient(channel, "gone-sub", "c")) {
      assertThat(consumer.take(1, RECEIVE_TIMEOUT_MS)).hasSize(1);
      streams(channel).deleteStream(
          DeleteStreamRequest.newBuilder().setName("gone-s").setForce(true).build());
      Status end = consumer.awaitEnd(15_000);
      assertThat(end).as("the call ended").isNotNull();
      assertThat(end.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }
    assertThat(codeOf(() -> subs(channel).getSubscription(
            GetSubscriptionRequest.newBuilder().setId("gone-sub").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void latestSkipsRecordsAppendedBeforeTheSubscription() throws Exception {
    createStream(channel, "latest-s", 2);
    appendToShard(channel, "latest-s", 0, "old", 0, 3);
    appendToShard(channel, "latest-s", 1, "old1", 0, 2);
    subs(channel).createSubscription(
        CreateSubscriptionRequest.newBuilder()
            .setId("latest-sub")
            .setStream("latest-s")
            .setFrom(ReadFrom.Special.LATEST)
            .build());
    assertThat(floors(channel, "latest-sub")).containsExactly(Map.entry(0L, 3L), Map.entry(1L, 2L));
    appendToShard(channel, "latest-s", 1, "new", 0, 2);
    try (FetchClient consumer = new FetchClient(channel, "latest-sub", "c")) {
      List<ReceivedRecord> got = consumer.take(2, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(got)).containsExactly("new:0", "new:1");
      assertThat(got).extracting(r -> r.getId().getOffset()).containsExactly(2L, 3L);
      assertThat(consumer.drainFor(500)).isEmpty();
    }
  }

  /**
   * A gateway that died between a LATEST subscription's create transaction and its follow-up
   * leaves the metadata marked pending_latest with every floor 0. The first fetch completes the
   * follow-up: the subscription starts where the shards were then, not at offset 0.
   */
  @Test
  void aLatestSubscriptionLeftPendingByACrashIsCompletedByTheFirstFetch() throws Exception {
    createStream(channel, "pending-s", 1);
    appendToShard(channel, "pending-s", 0, "before", 0, 3);
    try (OwnTxnRunner own = OwnTxnRunner.start(ordo, "subscriptions-it", 30_000, 100, 1)) {
      TxnRunner runner = own.runner();
      StreamMetadataReader reader = new StreamMetadataReader(runner);
      StreamMetadataReader.Snapshot stream = reader.read("pending-s").get(30, TimeUnit.SECONDS);
      Subscription settings = Subscription.newBuilder()
          .setId("pending-sub").setStream("pending-s").setAckTimeoutSeconds(30)
          .setMaxUnackedRecords(1000).setFrom(ReadFrom.Special.LATEST).build();
      // Only the create transaction of SubscriptionCatalog.create, as if the gateway then died.
      String streamKey = StreamKeys.stream("pending-s");
      Transaction create = Transaction.newBuilder()
          .setId(TxnRunner.newTxnId())
          .addOps(StreamMetadataReader.assertUnchanged(streamKey, stream.raw()))
          .addOps(Operation.newBuilder().setKey(streamKey).setPut(Put.newBuilder().setValue(
              StreamMetadataReader.valueOf(stream.require().toBuilder()
                  .addSubscriptions("pending-sub")
                  .setVersion(stream.require().getVersion() + 1).build()))))
          .addOps(Operation.newBuilder().setKey(StreamKeys.subscription("pending-sub"))
              .setPut(Put.newBuilder().setValue(SubscriptionCatalog.valueOf(
                  SubscriptionMetadata.newBuilder().setSubscription(settings)
                      .setPendingLatest(true).build()))))
          .addOps(Operation.newBuilder().setKey(StreamKeys.progress("pending-sub", 0))
              .setPut(Put.newBuilder().setValue(
                  SubscriptionCatalog.progressValue(settings, 0, 0, List.of()))))
          .build();
      assertThat(runner.execute(create, 30_000).get(30, TimeUnit.SECONDS).getOutcome())
          .isEqualTo(Outcome.COMMITTED);
    }
    assertThat(floors(channel, "pending-sub")).containsExactly(Map.entry(0L, 0L));
    appendToShard(channel, "pending-s", 0, "between", 0, 2);
    try (FetchClient consumer = new FetchClient(channel, "pending-sub", "c")) {
      await("the first fetch to set the floor", 10_000,
          () -> floors(channel, "pending-sub").equals(Map.of(0L, 5L)));
      appendToShard(channel, "pending-s", 0, "after", 0, 1);
      assertThat(payloads(consumer.take(1, RECEIVE_TIMEOUT_MS))).containsExactly("after:0");
      assertThat(consumer.drainFor(300)).isEmpty();
    }
  }

  // ---- delivery ----

  @Test
  void fetchDeliversEveryRecordOnceAndAcksBecomeDurableProgress() throws Exception {
    createStream(channel, "ack-s", 2);
    createSubscription(channel, "ack-sub", "ack-s", 0, 0);
    appendToShard(channel, "ack-s", 0, "a", 0, 10);
    appendToShard(channel, "ack-s", 1, "b", 0, 5);
    try (FetchClient consumer = new FetchClient(channel, "ack-sub", "c")) {
      List<ReceivedRecord> got = consumer.take(15, RECEIVE_TIMEOUT_MS);
      assertThat(got).hasSize(15);
      Map<Long, List<String>> byShard = new TreeMap<>();
      for (ReceivedRecord r : got) {
        byShard.computeIfAbsent(r.getId().getShardId(), k -> new ArrayList<>()).add(payload(r));
        assertThat(r.getPosition().getTs()).isPositive();
      }
      assertThat(byShard.get(0L)).containsExactly(
          "a:0", "a:1", "a:2", "a:3", "a:4", "a:5", "a:6", "a:7", "a:8", "a:9");
      assertThat(byShard.get(1L)).containsExactly("b:0", "b:1", "b:2", "b:3", "b:4");
      consumer.ack(got);
      await("acks to become durable", 10_000,
          () -> floors(channel, "ack-sub").equals(Map.of(0L, 10L, 1L, 5L)));
      // Live tail: a record appended now arrives.
      appendToShard(channel, "ack-s", 1, "b", 5, 6);
      List<ReceivedRecord> tail = consumer.take(1, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(tail)).containsExactly("b:5");
      consumer.ack(tail);
    }
    // A later consumer starts from the durable progress.
    await("the last ack to become durable", 10_000,
        () -> floors(channel, "ack-sub").equals(Map.of(0L, 10L, 1L, 6L)));
    appendToShard(channel, "ack-s", 0, "a", 10, 11);
    try (FetchClient consumer = new FetchClient(channel, "ack-sub", "c")) {
      assertThat(payloads(consumer.take(1, RECEIVE_TIMEOUT_MS))).containsExactly("a:10");
      assertThat(consumer.drainFor(300)).isEmpty();
    }
  }

  @Test
  void unackedRecordsAreRedeliveredAfterTheAckTimeout() throws Exception {
    createStream(channel, "redeliver-s", 1);
    createSubscription(channel, "redeliver-sub", "redeliver-s", 1, 0);
    appendToShard(channel, "redeliver-s", 0, "r", 0, 3);
    try (FetchClient consumer = new FetchClient(channel, "redeliver-sub", "c")) {
      List<ReceivedRecord> first = consumer.take(3, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(first)).containsExactly("r:0", "r:1", "r:2");
      consumer.ack(first.subList(0, 1));
      long sent = System.nanoTime();
      List<ReceivedRecord> again = consumer.take(2, 10_000);
      long afterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
      assertThat(payloads(again)).containsExactly("r:1", "r:2");
      assertThat(afterMs).as("redelivered after about the 1 s ack timeout").isGreaterThan(300);
      consumer.ack(again);
      assertThat(consumer.drainFor(2_500)).as("nothing after the acks").isEmpty();
    }
  }

  @Test
  void deliveryStopsAtMaxUnackedAndResumesOnAcks() throws Exception {
    createStream(channel, "max-s", 1);
    createSubscription(channel, "max-sub", "max-s", 0, 5);
    appendToShard(channel, "max-s", 0, "m", 0, 12);
    try (FetchClient consumer = new FetchClient(channel, "max-sub", "c")) {
      List<ReceivedRecord> first = consumer.take(5, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(first)).containsExactly("m:0", "m:1", "m:2", "m:3", "m:4");
      assertThat(consumer.drainFor(1_000)).as("no sixth record while 5 are unacked").isEmpty();
      consumer.ack(first.subList(0, 2));
      List<ReceivedRecord> next = consumer.take(2, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(next)).containsExactly("m:5", "m:6");
      assertThat(consumer.drainFor(500)).isEmpty();
    }
  }

  @Test
  void consumersShareTheShardsAndRebalanceWhenOneLeaves() throws Exception {
    createStream(channel, "group-s", 4);
    createSubscription(channel, "group-sub", "group-s", 0, 0);
    try (FetchClient a = new FetchClient(channel, "group-sub", "a")) {
      FetchClient b = new FetchClient(channel, "group-sub", "b");
      await("both consumers to be assigned", 10_000, () -> {
        List<Consumer> consumers = subs(channel)
            .listConsumers(ListConsumersRequest.newBuilder().setId("group-sub").build())
            .getConsumersList();
        return consumers.size() == 2
            && consumers.get(0).getAssignedShardIdsList().equals(List.of(0L, 2L))
            && consumers.get(1).getAssignedShardIdsList().equals(List.of(1L, 3L));
      });
      for (long shard = 0; shard < 4; shard++) {
        appendToShard(channel, "group-s", shard, "s" + shard, 0, 2);
      }
      List<ReceivedRecord> gotA = a.take(4, RECEIVE_TIMEOUT_MS);
      List<ReceivedRecord> gotB = b.take(4, RECEIVE_TIMEOUT_MS);
      assertThat(gotA).extracting(r -> r.getId().getShardId()).containsOnly(0L, 2L).hasSize(4);
      assertThat(gotB).extracting(r -> r.getId().getShardId()).containsOnly(1L, 3L).hasSize(4);
      a.ack(gotA);
      // b leaves without acking: its records go to a at once, and a now owns every shard.
      b.close();
      assertThat(b.awaitEnd(10_000)).isEqualTo(Status.OK);
      List<ReceivedRecord> moved = a.take(4, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(moved)).containsExactlyInAnyOrderElementsOf(payloads(gotB));
      a.ack(moved);
      await("a to own every shard", 10_000, () -> {
        List<Consumer> consumers = subs(channel)
            .listConsumers(ListConsumersRequest.newBuilder().setId("group-sub").build())
            .getConsumersList();
        return consumers.size() == 1
            && consumers.get(0).getAssignedShardIdsList().equals(List.of(0L, 1L, 2L, 3L));
      });
      appendToShard(channel, "group-s", 3, "s3", 2, 3);
      assertThat(payloads(a.take(1, RECEIVE_TIMEOUT_MS))).containsExactly("s3:2");
      // A second consumer with a name already connected is refused.
      FetchClient dup = new FetchClient(channel, "group-sub", "a");
      Status dupEnd = dup.awaitEnd(10_000);
      assertThat(dupEnd).isNotNull();
      assertThat(dupEnd.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    }
  }

  @Test
  void restFormFetchStopsAtMaxRecordsAndTakesAcksByAck() throws Exception {
    createStream(channel, "rest-s", 1);
    createSubscription(channel, "rest-sub", "rest-s", 0, 0);
    appendToShard(channel, "rest-s", 0, "f", 0, 4);
    Iterator<StreamingFetchResponse> responses =
        SubscriptionsGrpc.newBlockingStub(channel)
            .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .fetch(FetchRequest.newBuilder()
                .setSubscriptionId("rest-sub").setConsumerName("rest").setMaxRecords(3).build());
    List<ReceivedRecord> got = new ArrayList<>();
    responses.forEachRemaining(r -> got.addAll(r.getRecordsList()));
    assertThat(payloads(got)).containsExactly("f:0", "f:1", "f:2");
    AckRequest.Builder ack = AckRequest.newBuilder().setSubscriptionId("rest-sub");
    got.forEach(r -> ack.addAcks(r.getId()));
    assertThat(subs(channel).ack(ack.build()).getPosition().getTs()).isPositive();
    assertThat(floors(channel, "rest-sub")).containsExactly(Map.entry(0L, 3L));
    // Acks are idempotent.
    subs(channel).ack(ack.build());
    assertThat(floors(channel, "rest-sub")).containsExactly(Map.entry(0L, 3L));
    assertThat(codeOf(() -> subs(channel).ack(
            AckRequest.newBuilder().setSubscriptionId("rest-sub").build())))
        .as("an Ack without acks")
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThatThrownBy(() -> subs(channel).ack(AckRequest.newBuilder()
            .setSubscriptionId("rest-sub")
            .addAcks(RecordId.newBuilder().setShardId(0).setOffset(4))
            .build()))
        .as("an ack of an offset not appended yet")
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("its next offset is 4");
    Iterator<StreamingFetchResponse> rest =
        SubscriptionsGrpc.newBlockingStub(channel)
            .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .fetch(FetchRequest.newBuilder()
                .setSubscriptionId("rest-sub").setConsumerName("rest").setMaxRecords(1).build());
    List<ReceivedRecord> next = new ArrayList<>();
    rest.forEachRemaining(r -> next.addAll(r.getRecordsList()));
    assertThat(payloads(next)).containsExactly("f:3");
    assertThat(codeOf(() -> SubscriptionsGrpc.newBlockingStub(channel)
            .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .fetch(FetchRequest.newBuilder().setSubscriptionId("rest-none").setConsumerName("x")
                .setMaxRecords(1).build())
            .forEachRemaining(r -> { })))
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  // ---- exactly-once ----

  private static TxnResult txn(TxnRequest request) {
    return OrdoGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .txn(request)
        .getResult();
  }

  private static Operation ackOp(String sub, RecordId id) {
    return Operation.newBuilder()
        .setAck(SubscriptionAck.newBuilder()
            .setSubscription(sub)
            .setStream("eo-s")
            .setShardId(id.getShardId())
            .addOffsets(id.getOffset()))
        .build();
  }

  private static Operation putOp(String key, String value) {
    return Operation.newBuilder()
        .setKey(key)
        .setPut(Put.newBuilder().setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8(value))))
        .build();
  }

  @Test
  void anAckInsideAClientTransactionCommitsWithItsWritesOrNotAtAll() throws Exception {
    createStream(channel, "eo-s", 1);
    createSubscription(channel, "eo-sub", "eo-s", 1, 0);
    appendToShard(channel, "eo-s", 0, "e", 0, 2);
    try (FetchClient consumer = new FetchClient(channel, "eo-sub", "c")) {
      List<ReceivedRecord> got = consumer.take(2, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(got)).containsExactly("e:0", "e:1");

      // An aborting transaction: neither the output nor the ack.
      TxnResult aborted = txn(TxnRequest.newBuilder()
          .addOps(putOp("eo-out-0", "processed e:0"))
          .addOps(ackOp("eo-sub", got.get(0).getId()))
          .addOps(Operation.newBuilder().setKey("eo-guard")
              .setAssert(Assert.newBuilder().setEquals(
                  Value.newBuilder().setBytes(ByteString.copyFromUtf8("never")))))
          .build());
      assertThat(aborted.getOutcome()).isEqualTo(Outcome.ABORTED);
      TxnResult read = txn(TxnRequest.newBuilder()
          .addOps(Operation.newBuilder().setKey("eo-out-0").setGet(Get.getDefaultInstance()))
          .build());
      assertThat(read.getReads(0).getFound()).isFalse();
      assertThat(floors(channel, "eo-sub")).containsExactly(Map.entry(0L, 0L));

      // The record is redelivered (1 s timeout); this time the transaction commits both.
      List<ReceivedRecord> again = consumer.take(2, 10_000);
      assertThat(payloads(again)).containsExactly("e:0", "e:1");
      TxnResult committed = txn(TxnRequest.newBuilder()
          .addOps(putOp("eo-out-0", "processed e:0"))
          .addOps(putOp("eo-out-1", "processed e:1"))
          .addOps(ackOp("eo-sub", again.get(0).getId()))
          .addOps(ackOp("eo-sub", again.get(1).getId()))
          .build());
      assertThat(committed.getOutcome()).as("%s", committed).isEqualTo(Outcome.COMMITTED);
      assertThat(txn(TxnRequest.newBuilder()
              .addOps(Operation.newBuilder().setKey("eo-out-1").setGet(Get.getDefaultInstance()))
              .build()).getReads(0).getValue().getBytes().toStringUtf8())
          .isEqualTo("processed e:1");
      assertThat(floors(channel, "eo-sub")).containsExactly(Map.entry(0L, 2L));
      // Acked through the client's own transaction: not redelivered after the timeout.
      assertThat(consumer.drainFor(2_500)).isEmpty();
    }
  }

  // ---- splits ----

  @Test
  void acrossASplitEachKeysRecordsArriveInOrderAndNoneIsLost() throws Exception {
    createStream(channel, "split-s", 1);
    createSubscription(channel, "split-sub", "split-s", 60, 0);
    int keys = 8;
    int perKey = 30;
    AtomicReference<Throwable> writerError = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < perKey; i++) {
          AppendRequest.Builder request = AppendRequest.newBuilder().setStream("split-s");
          for (int k = 0; k < keys; k++) {
            request.addRecords(record("key" + k, "key" + k + ":" + i));
          }
          streams(channel).append(request.build());
        }
      } catch (Throwable t) {
        writerError.set(t);
      }
    }, "split-writer");
    Map<String, List<Integer>> seen = new HashMap<>();
    Set<String> distinct = new HashSet<>();
    shardsSeen.clear();
    try (FetchClient consumer = new FetchClient(channel, "split-sub", "c")) {
      writer.start();
      // Split while the writer appends; then split a child too.
      List<ReceivedRecord> early = consumer.take(8, RECEIVE_TIMEOUT_MS);
      consumer.ack(early);
      record(early, seen, distinct);
      streams(channel).splitShard(SplitShardRequest.newBuilder().setStream("split-s").setShardId(0).build());
      List<ReceivedRecord> mid = consumer.take(16, RECEIVE_TIMEOUT_MS);
      consumer.ack(mid);
      record(mid, seen, distinct);
      streams(channel).splitShard(SplitShardRequest.newBuilder().setStream("split-s").setShardId(1).build());
      writer.join(60_000);
      assertThat(writerError.get()).isNull();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while (distinct.size() < keys * perKey && System.nanoTime() < deadline) {
        List<ReceivedRecord> batch = consumer.take(50, 500);
        consumer.ack(batch);
        record(batch, seen, distinct);
      }
    }
    assertThat(distinct).hasSize(keys * perKey);
    assertThat(shardsSeen)
        .as("records came from the parent and from children of both splits")
        .contains(0L)
        .hasSizeGreaterThanOrEqualTo(3);
    for (int k = 0; k < keys; k++) {
      List<Integer> order = seen.get("key" + k);
      List<Integer> expected = java.util.stream.IntStream.range(0, perKey).boxed().toList();
      assertThat(order).as("records of key%d in arrival order", k).isEqualTo(expected);
    }
  }

  private static final Set<Long> shardsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static void record(
      List<ReceivedRecord> batch, Map<String, List<Integer>> seen, Set<String> distinct) {
    for (ReceivedRecord r : batch) {
      shardsSeen.add(r.getId().getShardId());
      String p = payload(r);
      if (distinct.add(p)) {
        String[] parts = p.split(":");
        seen.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Integer.parseInt(parts[1]));
      }
    }
  }
}
