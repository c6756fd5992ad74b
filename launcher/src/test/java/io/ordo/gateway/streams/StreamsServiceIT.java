package io.ordo.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.GatewayServer;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sequencer.LogPosition;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.Assert;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.Get;
import io.ordo.proto.GetStreamRequest;
import io.ordo.proto.Header;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.LookupShardRequest;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.Shard;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.TrimShardRequest;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Streams service end to end on one embedded Ordo (broker, executor, gateway with its local
 * store): every RPC with good and bad input, appends read back by ReadShard and ReadStream,
 * conditional and transactional appends, split and merge under concurrent appends, retention.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamsServiceIT {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final long DEADLINE_MS = 30_000;

  @TempDir static Path dir;
  private static EmbeddedOrdo ordo;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    ordo =
        EmbeddedOrdo.start(
            EmbeddedOrdo.Options.defaults(dir)
                .withFreePorts()
                .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(1_000)));
    ordo.awaitServing(READY_TIMEOUT);
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

  static StreamsGrpc.StreamsBlockingStub streams() {
    return StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS);
  }

  static OrdoGrpc.OrdoBlockingStub kv() {
    return OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS);
  }

  static StreamRecord record(String key, String payload) {
    return StreamRecord.newBuilder()
        .setPartitionKey(key)
        .setRaw(ByteString.copyFromUtf8(payload))
        .build();
  }

  static Stream create(String name, int shards) {
    return streams().createStream(CreateStreamRequest.newBuilder().setName(name).setShardCount(shards).build());
  }

  /** Every message of a server-streaming read (the read must complete by itself). */
  static List<ReadResponse> drain(Iterator<ReadResponse> responses) {
    List<ReadResponse> out = new ArrayList<>();
    responses.forEachRemaining(out::add);
    return out;
  }

  static List<ReceivedRecord> records(List<ReadResponse> responses) {
    List<ReceivedRecord> out = new ArrayList<>();
    responses.forEach(r -> out.addAll(r.getRecordsList()));
    return out;
  }

  static List<ReceivedRecord> readShard(String stream, long shard) {
    return records(
        drain(streams().readShard(ReadShardRequest.newBuilder().setStream(stream).setShardId(shard).build())));
  }

  static void assertStatus(Runnable call, Status.Code code, String messagePart) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(messagePart);
            });
  }

  @Test
  void createGetListAndDeleteStreamsWithTheirErrors() {
    Stream created = create("catalog-a", 3);
    assertThat(created.getShardCount()).isEqualTo(3);
    assertThat(created.getIngestTopic()).isEqualTo("ordo-ingest-catalog-a");
    assertThat(streams().createStream(CreateStreamRequest.newBuilder().setName("catalog-b").build()).getShardCount())
        .as("0 shards means 1")
        .isEqualTo(1);
    assertThat(streams().getStream(GetStreamRequest.newBuilder().setName("catalog-a").build()))
        .isEqualTo(created);
    assertThat(streams().listStreams(ListStreamsRequest.newBuilder().setPrefix("catalog-").build()).getStreamsList())
        .extracting(Stream::getName)
        .containsExactly("catalog-a", "catalog-b");

    assertStatus(() -> create("catalog-a", 1), Status.Code.ALREADY_EXISTS, "already exists");
    assertStatus(() -> create("bad/name", 1), Status.Code.INVALID_ARGUMENT, "name contains '/'");
    assertStatus(() -> create("", 1), Status.Code.INVALID_ARGUMENT, "name is empty");
    assertStatus(() -> create("catalog-c", 1025), Status.Code.INVALID_ARGUMENT, "shard_count must be in [1, 1024]");
    assertStatus(
        () -> streams().createStream(
            CreateStreamRequest.newBuilder().setName("catalog-c").setRetentionSeconds(-1).build()),
        Status.Code.INVALID_ARGUMENT,
        "retention_seconds");
    assertStatus(
        () -> streams().getStream(GetStreamRequest.newBuilder().setName("catalog-zzz").build()),
        Status.Code.NOT_FOUND,
        "stream 'catalog-zzz' does not exist");

    assertThat(streams().deleteStream(DeleteStreamRequest.newBuilder().setName("catalog-b").build()).getExisted())
        .isTrue();
    assertThat(
            streams()
                .deleteStream(DeleteStreamRequest.newBuilder().setName("catalog-b").setIgnoreMissing(true).build())
                .getExisted())
        .isFalse();
    assertStatus(
        () -> streams().deleteStream(DeleteStreamRequest.newBuilder().setName("catalog-b").build()),
        Status.Code.NOT_FOUND,
        "does not exist");
    assertThat(streams().listStreams(ListStreamsRequest.newBuilder().setPrefix("catalog-").build()).getStreamsList())
        .extracting(Stream::getName)
        .containsExactly("catalog-a");
    // A deleted name can be created again, from offset 0.
    create("catalog-b", 1);
    AppendResponse appended =
        streams().append(AppendRequest.newBuilder().setStream("catalog-b").addRecords(record("k", "v")).build());
    assertThat(appended.getRecordIds(0).getOffset()).isZero();
  }

  @Test
  void shardsLookupAndBadShardRequests() {
    create("shards-a", 4);
    ListShardsResponse shards = streams().listShards(ListShardsRequest.newBuilder().setStream("shards-a").build());
    assertThat(shards.getShardsList()).hasSize(4);
    assertThat(shards.getShards(0).getStartHash()).isEqualTo("0".repeat(32));
    assertThat(shards.getShards(3).getEndHash()).isEqualTo("f".repeat(32));
    for (int i = 1; i < 4; i++) {
      assertThat(new java.math.BigInteger(shards.getShards(i).getStartHash(), 16))
          .isEqualTo(new java.math.BigInteger(shards.getShards(i - 1).getEndHash(), 16).add(java.math.BigInteger.ONE));
    }
    Shard lookedUp =
        streams().lookupShard(LookupShardRequest.newBuilder().setStream("shards-a").setPartitionKey("user-7").build());
    AppendResponse appended =
        streams().append(AppendRequest.newBuilder().setStream("shards-a").addRecords(record("user-7", "x")).build());
    assertThat(appended.getRecordIds(0).getShardId()).isEqualTo(lookedUp.getId());

    assertStatus(
        () -> streams().lookupShard(LookupShardRequest.newBuilder().setStream("shards-none").build()),
        Status.Code.NOT_FOUND,
        "stream 'shards-none' does not exist");
    assertStatus(
        () -> streams().lookupShard(LookupShardRequest.newBuilder().setStream("shards-a")
            .setPartitionKey("x".repeat(1025)).build()),
        Status.Code.INVALID_ARGUMENT,
        "partition_key is 1025 bytes");
    assertStatus(
        () -> streams().listShards(ListShardsRequest.newBuilder().setStream("bad name").build()),
        Status.Code.INVALID_ARGUMENT,
        "stream contains U+0020 at index 3");
    assertStatus(
        () -> streams().listShards(ListShardsRequest.newBuilder().setStream("shards-none").build()),
        Status.Code.NOT_FOUND,
        "does not exist");
    assertStatus(
        () -> streams().splitShard(SplitShardRequest.newBuilder().setStream("shards-a").setShardId(9).build()),
        Status.Code.NOT_FOUND,
        "has no shard 9");
    assertStatus(
        () -> streams().splitShard(
            SplitShardRequest.newBuilder().setStream("shards-a").setShardId(0).setAtHash("xyz").build()),
        Status.Code.INVALID_ARGUMENT,
        "at_hash must be 32 hex digits");
    assertStatus(
        () -> streams().splitShard(
            SplitShardRequest.newBuilder().setStream("shards-a").setShardId(1).setAtHash("0".repeat(32)).build()),
        Status.Code.INVALID_ARGUMENT,
        "at_hash must lie in");
    assertStatus(
        () -> streams().mergeShards(MergeShardsRequest.newBuilder().setStream("shards-a").setLeft(0).setRight(2).build()),
        Status.Code.FAILED_PRECONDITION,
        "not adjacent");
    assertStatus(
        () -> streams().mergeShards(MergeShardsRequest.newBuilder().setStream("shards-a").setLeft(1).setRight(1).build()),
        Status.Code.INVALID_ARGUMENT,
        "the same shard");
    assertStatus(
        () -> streams().trimShard(TrimShardRequest.newBuilder().setStream("shards-a").setShardId(0).setBeforeOffset(-1).build()),
        Status.Code.INVALID_ARGUMENT,
        "before_offset must be >= 0");
    assertStatus(
        () -> streams().trimShard(TrimShardRequest.newBuilder().setStream("shards-a").setShardId(42).build()),
        Status.Code.NOT_FOUND,
        "has no shard 42");
    assertStatus(
        () -> drain(streams().readStream(ReadStreamRequest.newBuilder().setStream("shards-a")
            .setFrom(ReadFrom.newBuilder().setOffset(3)).build())),
        Status.Code.INVALID_ARGUMENT,
        "from.offset is not allowed in ReadStream");
    assertStatus(
        () -> drain(streams().readShard(ReadShardRequest.newBuilder().setStream("shards-a").setShardId(7).build())),
        Status.Code.NOT_FOUND,
        "has no shard 7");

    // Split at the middle, then merge the children back.
    SplitShardResponse split =
        streams().splitShard(SplitShardRequest.newBuilder().setStream("shards-a").setShardId(0).build());
    assertThat(split.getChildrenList()).extracting(Shard::getId).containsExactly(4L, 5L);
    assertThat(split.getChildren(0).getStartHash()).isEqualTo(shards.getShards(0).getStartHash());
    assertThat(split.getChildren(1).getEndHash()).isEqualTo(shards.getShards(0).getEndHash());
    assertStatus(
        () -> streams().splitShard(SplitShardRequest.newBuilder().setStream("shards-a").setShardId(0).build()),
        Status.Code.FAILED_PRECONDITION,
        "is closed");
    MergeShardsResponse merged =
        streams().mergeShards(MergeShardsRequest.newBuilder().setStream("shards-a").setLeft(4).setRight(5).build());
    assertThat(merged.getChild().getId()).isEqualTo(6);
    assertThat(merged.getChild().getParentIdsList()).containsExactly(4L, 5L);
    assertThat(streams().getStream(GetStreamRequest.newBuilder().setName("shards-a").build()).getShardCount())
        .isEqualTo(4);
  }

  @Test
  void appendedRecordsAreReadBackByShardAndInCommitOrderByStream() {
    create("read-a", 2);
    List<StreamRecord> sent = new ArrayList<>();
    for (int batch = 0; batch < 3; batch++) {
      AppendRequest.Builder request = AppendRequest.newBuilder().setStream("read-a");
      for (int i = 0; i < 10; i++) {
        StreamRecord r =
            StreamRecord.newBuilder()
                .setPartitionKey("key-" + i)
                .addHeaders(Header.newBuilder().setKey("h").setValue(ByteString.copyFromUtf8("v" + i)))
                .setJson("{\"batch\":" + batch + ",\"i\":" + i + "}")
                .build();
        request.addRecords(r);
        sent.add(r);
      }
      AppendResponse response = streams().append(request.build());
      assertThat(response.getRecordIdsList()).hasSize(10);
    }
    List<ReceivedRecord> all = new ArrayList<>();
    for (long shard = 0; shard < 2; shard++) {
      List<ReceivedRecord> records = readShard("read-a", shard);
      for (int k = 0; k < records.size(); k++) {
        assertThat(records.get(k).getId().getOffset()).isEqualTo(k);
        assertThat(records.get(k).getId().getShardId()).isEqualTo(shard);
      }
      all.addAll(records);
    }
    assertThat(all).extracting(ReceivedRecord::getRecord).containsExactlyInAnyOrderElementsOf(sent);

    List<ReceivedRecord> merged =
        records(drain(streams().readStream(ReadStreamRequest.newBuilder().setStream("read-a").build())));
    // Commit order: by position (one per append), then shard id, then offset.
    assertThat(merged).extracting(ReceivedRecord::getRecord).containsExactlyInAnyOrderElementsOf(sent);
    for (int k = 1; k < merged.size(); k++) {
      ReceivedRecord before = merged.get(k - 1);
      ReceivedRecord after = merged.get(k);
      int byPosition = LogPosition.WIRE_ORDER.compare(before.getPosition(), after.getPosition());
      assertThat(byPosition).isLessThanOrEqualTo(0);
      if (byPosition == 0) {
        assertThat(before.getRecord().getJson()).startsWith(after.getRecord().getJson().substring(0, 10));
        assertThat(before.getId().getShardId() * 1000 + before.getId().getOffset())
            .isLessThan(after.getId().getShardId() * 1000 + after.getId().getOffset());
      } else {
        assertThat(before.getRecord().getJson()).isLessThan(after.getRecord().getJson());
      }
    }

    // max_records, until_offset, LATEST and a timestamp start.
    assertThat(records(drain(streams().readShard(ReadShardRequest.newBuilder().setStream("read-a")
            .setShardId(0).setMaxRecords(2).build()))))
        .hasSize(2);
    assertThat(records(drain(streams().readShard(ReadShardRequest.newBuilder().setStream("read-a")
            .setShardId(0).setFrom(ReadFrom.newBuilder().setOffset(1)).setUntilOffset(3).build()))))
        .extracting(r -> r.getId().getOffset())
        .containsExactly(1L, 2L);
    assertThat(records(drain(streams().readShard(ReadShardRequest.newBuilder().setStream("read-a")
            .setShardId(0).setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.LATEST)).build()))))
        .isEmpty();
    long lastTs = merged.get(merged.size() - 1).getPosition().getTs();
    assertThat(records(drain(streams().readStream(ReadStreamRequest.newBuilder().setStream("read-a")
            .setFrom(ReadFrom.newBuilder().setTimestampMs(lastTs)).build()))))
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.getPosition().getTs()).isGreaterThanOrEqualTo(lastTs));

    // Trim: reads start at the new start offset.
    long trimmedTo =
        streams().trimShard(TrimShardRequest.newBuilder().setStream("read-a").setShardId(0).setBeforeOffset(2).build())
            .getStartOffset();
    assertThat(trimmedTo).isEqualTo(2);
    assertThat(readShard("read-a", 0)).first().extracting(r -> r.getId().getOffset()).isEqualTo(2L);

    // Bad records.
    assertStatus(
        () -> streams().append(AppendRequest.newBuilder().setStream("read-a")
            .addRecords(StreamRecord.newBuilder().setJson("{nope")).build()),
        Status.Code.INVALID_ARGUMENT,
        "records[0].json is not a JSON document");
    assertStatus(
        () -> streams().append(AppendRequest.newBuilder().setStream("read-a").build()),
        Status.Code.INVALID_ARGUMENT,
        "records is empty");
    assertStatus(
        () -> streams().append(AppendRequest.newBuilder().setStream("read-none").addRecords(record("k", "v")).build()),
        Status.Code.NOT_FOUND,
        "does not exist");
    assertStatus(
        () -> streams().append(AppendRequest.newBuilder().setStream("read-a")
            .addRecords(StreamRecord.newBuilder().setRaw(ByteString.copyFrom(new byte[(1 << 20) + 1]))).build()),
        Status.Code.INVALID_ARGUMENT,
        "valueBytesMax");
  }

  @Test
  void conditionalAppendsCheckTheExpectedOffset() {
    create("cond-a", 2);
    AppendRequest.Builder first =
        AppendRequest.newBuilder().setStream("cond-a").setShardId(1).setExpectedOffset(0)
            .addRecords(record("a", "1")).addRecords(record("b", "2"));
    assertThat(streams().append(first.build()).getRecordIdsList())
        .extracting(r -> r.getShardId() + "/" + r.getOffset())
        .containsExactly("1/0", "1/1");
    assertStatus(
        () -> streams().append(first.build()),
        Status.Code.FAILED_PRECONDITION,
        "expected next offset 0, actual 2");
    assertThat(streams().append(first.setExpectedOffset(2).build()).getRecordIds(0).getOffset()).isEqualTo(2);
    assertStatus(
        () -> streams().append(AppendRequest.newBuilder().setStream("cond-a").setExpectedOffset(0)
            .addRecords(record("spread-0", "x")).addRecords(record("spread-1", "x"))
            .addRecords(record("spread-2", "x")).addRecords(record("spread-3", "x")).build()),
        Status.Code.INVALID_ARGUMENT,
        "expected_offset needs every record in one shard");
    assertThat(readShard("cond-a", 1)).hasSize(4);
    assertThat(readShard("cond-a", 0)).isEmpty();
  }

  @Test
  void streamAppendsInATxnCommitOrAbortWithTheKeyValueWrites() {
    create("txn-a", 3);
    Operation streamAppend =
        Operation.newBuilder()
            .setStreamAppend(
                StreamAppend.newBuilder().setStream("txn-a")
                    .addRecords(record("p-1", "one")).addRecords(record("p-2", "two"))
                    .addRecords(record("p-3", "three")))
            .build();
    Operation put =
        Operation.newBuilder().setKey("txn-a-key")
            .setPut(Put.newBuilder().setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8("done"))))
            .build();
    TxnResult committed =
        kv().txn(TxnRequest.newBuilder().addOps(put).addOps(streamAppend).build()).getResult();
    assertThat(committed.getOutcome()).as("%s", committed).isEqualTo(Outcome.COMMITTED);
    assertThat(committed.getReadsList()).allSatisfy(r -> assertThat(r.getOpIndex()).isEqualTo(1));

    Operation failingAssert =
        Operation.newBuilder().setKey("txn-a-key")
            .setAssert(Assert.newBuilder().setAbsent(true))
            .build();
    TxnResult aborted =
        kv().txn(TxnRequest.newBuilder().addOps(streamAppend).addOps(failingAssert).build()).getResult();
    assertThat(aborted.getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(aborted.getFailedOpIndex()).isEqualTo(1);

    List<ReceivedRecord> all =
        records(drain(streams().readStream(ReadStreamRequest.newBuilder().setStream("txn-a").build())));
    assertThat(all).extracting(r -> r.getRecord().getRaw().toStringUtf8())
        .containsExactlyInAnyOrder("one", "two", "three");

    // Appends to a pinned shard, and the reserved key space.
    TxnResult pinned =
        kv().txn(TxnRequest.newBuilder().addOps(Operation.newBuilder().setStreamAppend(
            StreamAppend.newBuilder().setStream("txn-a").setShardId(2).setExpectedOffset(
                readShard("txn-a", 2).size()).addRecords(record("any", "pinned")))).build()).getResult();
    assertThat(pinned.getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertStatus(
        () -> kv().txn(TxnRequest.newBuilder().addOps(Operation.newBuilder()
            .setKey(StreamKeys.stream("txn-a")).setGet(Get.getDefaultInstance())).build()),
        Status.Code.INVALID_ARGUMENT,
        "keys starting with U+0000 are reserved for streams and subscriptions");
    assertStatus(
        () -> kv().txn(TxnRequest.newBuilder().addOps(Operation.newBuilder().setStreamAppend(
            StreamAppend.newBuilder().setStream("txn-none").addRecords(record("k", "v")))).build()),
        Status.Code.NOT_FOUND,
        "stream 'txn-none' does not exist");
  }

  @Test
  void followingReadsSeeNewRecordsAndStopAtMaxRecords() throws Exception {
    create("follow-a", 1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<List<ReceivedRecord>> reader =
          pool.submit(() -> records(drain(streams().readShard(ReadShardRequest.newBuilder()
              .setStream("follow-a").setShardId(0).setFollow(true).setMaxRecords(3).build()))));
      Thread.sleep(500);
      for (int i = 0; i < 3; i++) {
        streams().append(AppendRequest.newBuilder().setStream("follow-a").addRecords(record("k", "r" + i)).build());
      }
      assertThat(reader.get(30, TimeUnit.SECONDS))
          .extracting(r -> r.getRecord().getRaw().toStringUtf8())
          .containsExactly("r0", "r1", "r2");
    } finally {
      pool.shutdownNow();
    }
    // A following read with until_timestamp_ms completes once the log has passed that time,
    // even though no newer record arrives.
    long until = System.currentTimeMillis();
    assertThat(records(drain(streams().readShard(ReadShardRequest.newBuilder().setStream("follow-a")
            .setShardId(0).setFollow(true).setUntilTimestampMs(until).build()))))
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.getPosition().getTs()).isLessThanOrEqualTo(until));
    assertThat(records(drain(streams().readStream(ReadStreamRequest.newBuilder().setStream("follow-a")
            .setFollow(true).setUntilTimestampMs(until).build()))))
        .hasSize(3);
    // A client cancel ends a following read.
    Context.CancellableContext cancellable = Context.current().withCancellation();
    Iterator<ReadResponse> following =
        cancellable.call(() -> streams().readStream(ReadStreamRequest.newBuilder()
            .setStream("follow-a").setFollow(true).build()));
    assertThat(following.next().getRecordsCount()).isEqualTo(3);
    cancellable.cancel(null);
    assertThatThrownBy(following::hasNext)
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
  }

  /**
   * Appends (8 partition keys, a sequence number each round) run while shard 0 is split and its
   * children merged again. Every append succeeds (re-routed after SHARD_CLOSED), and a reader that
   * reads each shard to its end before its children sees, per key, every sequence number once
   * and in order; ReadStream agrees.
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void splitAndMergeUnderConcurrentAppendsKeepPerKeyOrder() throws Exception {
    create("split-a", 1);
    int keys = 8;
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger rounds = new AtomicInteger();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<?> appender =
        pool.submit(
            () -> {
              while (!stop.get()) {
                int seq = rounds.get();
                AppendRequest.Builder request = AppendRequest.newBuilder().setStream("split-a");
                for (int k = 0; k < keys; k++) {
                  request.addRecords(record("key-" + k, Integer.toString(seq)));
                }
                streams().append(request.build());
                rounds.incrementAndGet();
              }
              return null;
            });
    try {
      awaitRounds(rounds, 5);
      SplitShardResponse split =
          streams().splitShard(SplitShardRequest.newBuilder().setStream("split-a").setShardId(0).build());
      awaitRounds(rounds, rounds.get() + 5);
      streams().mergeShards(MergeShardsRequest.newBuilder().setStream("split-a")
          .setLeft(split.getChildren(0).getId()).setRight(split.getChildren(1).getId()).build());
      awaitRounds(rounds, rounds.get() + 5);
    } finally {
      stop.set(true);
      appender.get(60, TimeUnit.SECONDS); // rethrows a failed append
      pool.shutdownNow();
    }
    int total = rounds.get();

    // Parents before children: a shard is read once all its parents were read to their end.
    Map<String, List<Integer>> perKey = new TreeMap<>();
    ListShardsResponse shards = streams().listShards(ListShardsRequest.newBuilder().setStream("split-a").build());
    assertThat(shards.getShardsList()).hasSize(4);
    Map<Long, Shard> byId = new TreeMap<>();
    shards.getShardsList().forEach(s -> byId.put(s.getId(), s));
    Set<Long> done = new HashSet<>();
    ArrayDeque<Long> ready = new ArrayDeque<>(List.of(0L));
    while (!ready.isEmpty()) {
      long id = ready.poll();
      List<ReadResponse> responses =
          drain(streams().readShard(ReadShardRequest.newBuilder().setStream("split-a").setShardId(id).build()));
      for (ReceivedRecord r : records(responses)) {
        perKey.computeIfAbsent(r.getRecord().getPartitionKey(), k -> new ArrayList<>())
            .add(Integer.parseInt(r.getRecord().getRaw().toStringUtf8()));
      }
      ReadResponse last = responses.get(responses.size() - 1);
      if (byId.get(id).getState() == Shard.State.CLOSED) {
        assertThat(last.hasShardEnd()).as("closed shard %s ends with ShardEnd", id).isTrue();
        assertThat(last.getShardEnd().getChildIdsList()).isEqualTo(byId.get(id).getChildIdsList());
      }
      done.add(id);
      for (long child : byId.get(id).getChildIdsList()) {
        if (done.containsAll(byId.get(child).getParentIdsList()) && !ready.contains(child)) {
          ready.add(child);
        }
      }
    }
    assertThat(done).containsExactlyInAnyOrderElementsOf(byId.keySet());
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      expected.add(i);
    }
    assertThat(perKey).hasSize(keys);
    perKey.forEach((key, seqs) -> assertThat(seqs).as("key %s", key).isEqualTo(expected));

    Map<String, List<Integer>> merged = new TreeMap<>();
    for (ReceivedRecord r :
        records(drain(streams().readStream(ReadStreamRequest.newBuilder().setStream("split-a").build())))) {
      merged.computeIfAbsent(r.getRecord().getPartitionKey(), k -> new ArrayList<>())
          .add(Integer.parseInt(r.getRecord().getRaw().toStringUtf8()));
    }
    assertThat(merged).isEqualTo(perKey);
  }

  private static void awaitRounds(AtomicInteger rounds, int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (rounds.get() < atLeast) {
      assertThat(System.nanoTime() - deadline).as("appends progress").isNegative();
      Thread.sleep(20);
    }
  }

  /**
   * A second gateway on the same topics (its own store, retention every 300 ms) trims records
   * older than a stream's retention (3 s: the new record must stay younger than it while the test
   * looks); a stream without retention keeps everything.
   */
  @Test
  void retentionTrimsRecordsOlderThanTheRetention(@TempDir Path storeDir) throws Exception {
    streams().createStream(CreateStreamRequest.newBuilder().setName("retain-a").setRetentionSeconds(3).build());
    create("retain-b", 1);
    for (String stream : List.of("retain-a", "retain-b")) {
      streams().append(AppendRequest.newBuilder().setStream(stream)
          .addRecords(record("k", "old-1")).addRecords(record("k", "old-2")).build());
    }
    try (GatewayServer second =
        GatewayServer.start(
            GatewayConfig.defaults(ordo.bootstrapServers(), ordo.topics())
                .withPorts(0, 0)
                .withPgPort(GatewayConfig.NO_PG_PORT)
                .withDataDir(storeDir)
                .withRetentionIntervalMs(300))) {
      Thread.sleep(3_200); // the old records are now older than the 3 s retention
      streams().append(AppendRequest.newBuilder().setStream("retain-a").addRecords(record("k", "new")).build());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      List<ReceivedRecord> left = readShard("retain-a", 0);
      while (left.size() != 1 && System.nanoTime() - deadline < 0) {
        Thread.sleep(200);
        left = readShard("retain-a", 0);
      }
      assertThat(left).extracting(r -> r.getRecord().getRaw().toStringUtf8()).containsExactly("new");
      assertThat(left.get(0).getId().getOffset()).isEqualTo(2);
      assertThat(readShard("retain-b", 0)).hasSize(2);
    }
  }

  /** The Streams service over REST/JSON: create, append, and a read as NDJSON. */
  @Test
  void streamsAreServedOverRest() throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + ordo.httpPort();
    java.net.http.HttpResponse<String> created =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/streams"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"rest-a\",\"shardCount\":2}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    assertThat(created.body()).contains("\"shardCount\":2");
    java.net.http.HttpResponse<String> appended =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/streams/rest-a/records"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                    "{\"records\":[{\"partitionKey\":\"k\",\"json\":\"{\\\"n\\\":1}\"}]}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(appended.statusCode()).as(appended.body()).isEqualTo(200);
    java.net.http.HttpResponse<String> read =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/streams/rest-a/records?max_records=1"))
                .GET()
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    assertThat(read.body().strip().lines()).hasSize(1);
    assertThat(read.body()).contains("{\\\"n\\\":1}");
    java.net.http.HttpResponse<String> bad =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/streams/rest-none"))
                .GET()
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(404);
  }

  /**
   * Appends routed with stale cached metadata (the split ran on another gateway) abort with
   * SHARD_CLOSED, are re-routed with fresh metadata and land in the children: both for Append
   * and for a stream append inside a Txn.
   */
  @Test
  void appendsWithStaleMetadataAreReroutedToTheChildren() throws Exception {
    create("stale-a", 1);
    assertThat(streams().append(AppendRequest.newBuilder().setStream("stale-a")
        .addRecords(record("k", "before")).build()).getRecordIds(0).getShardId()).isZero();
    try (GatewayServer other =
            GatewayServer.start(
                GatewayConfig.defaults(ordo.bootstrapServers(), ordo.topics())
                    .withPorts(0, 0)
                    .withPgPort(GatewayConfig.NO_PG_PORT));
        AutoCloseableChannel otherChannel = new AutoCloseableChannel(other.grpcPort())) {
      SplitShardResponse split =
          StreamsGrpc.newBlockingStub(otherChannel.channel)
              .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
              .splitShard(SplitShardRequest.newBuilder().setStream("stale-a").setShardId(0).build());
      // That gateway has no data directory, hence no local store: it serves no reads.
      assertStatus(
          () -> drain(StreamsGrpc.newBlockingStub(otherChannel.channel)
              .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
              .readShard(ReadShardRequest.newBuilder().setStream("stale-a").setShardId(0).build())),
          Status.Code.FAILED_PRECONDITION,
          "no local store");
      long childOfK =
          holds(split.getChildren(1), "k") ? split.getChildren(1).getId() : split.getChildren(0).getId();
      // This gateway still has the metadata from before the split cached.
      AppendResponse appended =
          streams().append(AppendRequest.newBuilder().setStream("stale-a").addRecords(record("k", "after")).build());
      assertThat(appended.getRecordIds(0).getShardId()).isEqualTo(childOfK);
      assertThat(appended.getRecordIds(0).getOffset()).isZero();

      // Split the child elsewhere again, then append through a Txn with the stale cache.
      SplitShardResponse second =
          StreamsGrpc.newBlockingStub(otherChannel.channel)
              .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
              .splitShard(SplitShardRequest.newBuilder().setStream("stale-a").setShardId(childOfK).build());
      TxnResult txn =
          kv().txn(TxnRequest.newBuilder().setId("stale-txn").addOps(Operation.newBuilder().setStreamAppend(
              StreamAppend.newBuilder().setStream("stale-a").addRecords(record("k", "in-txn")))).build())
              .getResult();
      assertThat(txn.getOutcome()).as("%s", txn).isEqualTo(Outcome.COMMITTED);
      assertThat(txn.getTxnId()).isEqualTo("stale-txn.r1");
      assertThat(txn.getReads(0).getValue().getShard().getShardId())
          .isIn(second.getChildren(0).getId(), second.getChildren(1).getId());
    }
    assertThat(readShard("stale-a", 0)).extracting(r -> r.getRecord().getRaw().toStringUtf8())
        .containsExactly("before");
  }

  /** Whether MD5({@code key}) lies in {@code shard}'s hash range. */
  private static boolean holds(Shard shard, String key) {
    return HashRanges.contains(
        io.ordo.proto.state.ShardInfo.newBuilder()
            .setStartHash(HashRanges.parseHex(shard.getStartHash(), "start"))
            .setEndHash(HashRanges.parseHex(shard.getEndHash(), "end"))
            .build(),
        HashRanges.hash(key));
  }

  /** A plaintext channel to a local port, closed with the test. */
  private static final class AutoCloseableChannel implements AutoCloseable {
    final ManagedChannel channel;

    AutoCloseableChannel(int port) {
      this.channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Records a stock Kafka producer writes to a stream's ingest topic are appended to it. */
  @Test
  void recordsOfTheIngestTopicAreAppended() throws Exception {
    Stream stream = create("ingest-a", 2);
    java.util.Properties props = new java.util.Properties();
    props.put("bootstrap.servers", ordo.bootstrapServers());
    props.put("key.serializer", org.apache.kafka.common.serialization.StringSerializer.class.getName());
    props.put("value.serializer", org.apache.kafka.common.serialization.StringSerializer.class.getName());
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(stream.getIngestTopic())) {
        assertThat(System.nanoTime() - deadline).as("the bridge creates the ingest topic").isNegative();
        Thread.sleep(100);
      }
    }
    try (org.apache.kafka.clients.producer.KafkaProducer<String, String> producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(props)) {
      for (int i = 0; i < 4; i++) {
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
            stream.getIngestTopic(), "key-" + i, "ingested-" + i)).get(10, TimeUnit.SECONDS);
      }
    }
    List<ReceivedRecord> read =
        records(drain(streams().withDeadlineAfter(60, TimeUnit.SECONDS).readStream(
            ReadStreamRequest.newBuilder().setStream("ingest-a").setFollow(true).setMaxRecords(4).build())));
    assertThat(read).extracting(r -> r.getRecord().getRaw().toStringUtf8())
        .containsExactlyInAnyOrder("ingested-0", "ingested-1", "ingested-2", "ingested-3");
    assertThat(read).allSatisfy(r -> assertThat(r.getRecord().getPartitionKey()).startsWith("key-"));
  }
}
