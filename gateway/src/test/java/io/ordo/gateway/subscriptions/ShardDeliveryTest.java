package io.ordo.gateway.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionProgress;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.storage.MultiVersionStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ShardDelivery} over a real local store, filled with changelog records written as the
 * executor writes them for shard keys (one key range, gapless LSNs): what a message holds, the
 * unacked bound, redelivery after the ack timeout, what is skipped, and the shard topology.
 */
class ShardDeliveryTest {
  private static final String SUB = "sub";
  private static final String STREAM = "s";
  private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

  @TempDir Path dir;
  private MultiVersionStore store;
  private final UnackedRecords unacked = new UnackedRecords();
  private final AckBatcher acks = new AckBatcher();
  private ShardDelivery delivery;
  /** Shard id → its stored state (without appended records). */
  private final Map<Long, ShardState> shards = new TreeMap<>();
  private long lsn;
  private long logOffset;

  @BeforeEach
  void open() {
    store = MultiVersionStore.open(dir);
    delivery = new ShardDelivery(SUB, store, unacked, acks);
    delivery.start(subscription(3));
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void deliversFromTheFloorInOffsetOrderUpToMaxUnackedThenRedeliversWhenDue() {
    ShardCursor cursor = shardWithRecords(0, 5);
    delivery.setProgress(cursor, progress(0, 1));
    FakeCall a = new FakeCall();
    FakeCall b = new FakeCall();
    ConsumerSession first = a.session("a");

    assertThat(delivery.deliver(cursor, first, 0)).isTrue();
    assertThat(a.offsets()).containsExactly(1L, 2L, 3L);
    assertThat(unacked.count()).isEqualTo(3);
    assertThat(delivery.deliver(cursor, first, 0)).as("max_unacked_records reached").isFalse();

    // An ack (pending, not yet written) frees a slot: the next new record goes.
    unacked.remove(0, 2);
    acks.add(0, 2);
    assertThat(delivery.deliver(cursor, first, 0)).isTrue();
    assertThat(a.offsets()).containsExactly(1L, 2L, 3L, 4L);

    // Past the ack timeout the unacked ones go again, to whoever delivers now, in offset order.
    assertThat(delivery.deliver(cursor, b.session("b"), TIMEOUT_NANOS - 1)).isFalse();
    assertThat(delivery.deliver(cursor, b.session("b"), TIMEOUT_NANOS)).isTrue();
    assertThat(b.offsets()).containsExactly(1L, 3L, 4L);
    assertThat(unacked.countByConsumer()).isEqualTo(Map.of("b", 3L));
    assertThat(a.messages.get(0).getRecords(0).getRecord().getRaw().toStringUtf8()).isEqualTo("r1");
  }

  @Test
  void recordsAckedDurablyOrPendingAreSkippedAndTrimmedOnesAreNotRedelivered() {
    ShardCursor cursor = shardWithRecords(0, 5);
    delivery.start(subscription(100));
    storeProgress(0, progress(0, 0, 1L));
    acks.add(0, 3);
    assertThat(delivery.refreshFromStore(true)).isFalse();
    assertThat(cursor.progress.acked()).as("durable progress read from the store").containsExactly(1L);

    FakeCall a = new FakeCall();
    assertThat(delivery.deliver(cursor, a.session("a"), 0)).isTrue();
    assertThat(a.offsets()).containsExactly(0L, 2L, 4L);

    trim(0, 3);
    delivery.refreshFromStore(false);
    assertThat(cursor.start).isEqualTo(3);
    FakeCall b = new FakeCall();
    assertThat(delivery.deliver(cursor, b.session("b"), TIMEOUT_NANOS)).isTrue();
    assertThat(b.offsets()).as("0 and 2 were trimmed: nothing to redeliver").containsExactly(4L);
    assertThat(unacked.count()).isEqualTo(1);
  }

  @Test
  void aFetchGetsNoMoreThanItsRemainingRecords() {
    ShardCursor cursor = shardWithRecords(0, 5);
    delivery.setProgress(cursor, progress(0, 0));
    FakeCall a = new FakeCall();
    ConsumerSession fetch = new ConsumerSession(SUB, "f", a, false, 2);
    assertThat(delivery.deliver(cursor, fetch, 0)).isTrue();
    assertThat(a.offsets()).containsExactly(0L, 1L);
    assertThat(delivery.deliver(cursor, fetch, 0)).isFalse();
  }

  @Test
  void childrenWaitUntilTheirParentIsFinishedAndAnUnknownSealIsReported() {
    ShardCursor parent = shardWithRecords(0, 2);
    delivery.setProgress(parent, progress(0, 0));
    seal(0);
    create(1);
    ShardCursor child =
        delivery.cursorOf(ShardInfo.newBuilder().setId(1).addParentIds(0).build());
    delivery.setProgress(child, progress(1, 0));

    assertThat(delivery.refreshFromStore(false)).as("sealed in the store, open in the metadata").isTrue();
    delivery.cursorOf(ShardInfo.newBuilder().setId(0).setClosed(true).addChildIds(1).build());
    assertThat(delivery.refreshFromStore(false)).isFalse();
    assertThat(delivery.parentsFinished(child)).isFalse();
    assertThat(delivery.liveShards()).containsExactly(0L, 1L);

    delivery.setProgress(parent, progress(0, 2));
    assertThat(parent.finished()).isTrue();
    assertThat(delivery.parentsFinished(child)).isTrue();
    assertThat(delivery.liveShards()).containsExactly(1L);
    assertThat(delivery.shardIds()).containsExactly(0L, 1L);
  }

  // ---- the store, written as the executor writes the changelog of shard keys ----

  private ShardCursor shardWithRecords(long shardId, int records) {
    create(shardId);
    List<StreamRecord> appended = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      appended.add(
          StreamRecord.newBuilder()
              .setPartitionKey("k" + i)
              .setRaw(ByteString.copyFromUtf8("r" + i))
              .build());
    }
    ShardState old = shards.get(shardId);
    ShardState after =
        old.toBuilder().setNextOffset(old.getNextOffset() + records).addAllAppended(appended).build();
    commit(shardId, after, after.toBuilder().clearAppended().build());
    ShardCursor cursor = delivery.cursorOf(ShardInfo.newBuilder().setId(shardId).build());
    delivery.refreshFromStore(false);
    return cursor;
  }

  private void create(long shardId) {
    ShardState state = ShardState.newBuilder().setStream(STREAM).setShardId(shardId).build();
    commit(shardId, state, state);
  }

  private void trim(long shardId, long beforeOffset) {
    ShardState after = shards.get(shardId).toBuilder().setStartOffset(beforeOffset).build();
    commit(shardId, after, after);
  }

  private void seal(long shardId) {
    ShardState after = shards.get(shardId).toBuilder().setClosed(true).build();
    commit(shardId, after, after);
  }

  private void commit(long shardId, ShardState after, ShardState stored) {
    Optional<ShardState> before = Optional.ofNullable(shards.put(shardId, stored));
    ChangelogRecord.Builder record = change(StreamKeys.shard(STREAM, shardId));
    before.ifPresent(b -> record.setBefore(Value.newBuilder().setShard(b)));
    record.setAfter(Value.newBuilder().setShard(after));
    store.apply(List.of(record.build()), Map.of());
  }

  private void storeProgress(long shardId, SubscriptionProgress progress) {
    ChangelogRecord record =
        change(StreamKeys.progress(SUB, shardId))
            .setAfter(Value.newBuilder().setProgress(progress))
            .build();
    store.apply(List.of(record), Map.of());
  }

  private ChangelogRecord.Builder change(String key) {
    Position position = Position.newBuilder().setTs(1_000 + logOffset).setOffset(logOffset++).build();
    return ChangelogRecord.newBuilder()
        .setKey(key)
        .setPosition(position)
        .setTxnId("t-" + position.getOffset())
        .setKeyRange(0)
        .setLsn(++lsn);
  }

  private static SubscriptionProgress progress(long shardId, long floor, Long... acked) {
    return SubscriptionProgress.newBuilder()
        .setSubscription(SUB)
        .setStream(STREAM)
        .setShardId(shardId)
        .setFloor(floor)
        .addAllAcked(List.of(acked))
        .build();
  }

  private static Subscription subscription(int maxUnacked) {
    return Subscription.newBuilder()
        .setId(SUB)
        .setStream(STREAM)
        .setAckTimeoutSeconds(1)
        .setMaxUnackedRecords(maxUnacked)
        .build();
  }

  /** A consumer's call that is always ready and keeps what it is sent. */
  private static final class FakeCall extends ServerCallStreamObserver<StreamingFetchResponse> {
    final List<StreamingFetchResponse> messages = new ArrayList<>();

    ConsumerSession session(String name) {
      return new ConsumerSession(SUB, name, this, true, 0);
    }

    List<Long> offsets() {
      List<Long> out = new ArrayList<>();
      for (StreamingFetchResponse message : messages) {
        for (ReceivedRecord record : message.getRecordsList()) {
          out.add(record.getId().getOffset());
        }
      }
      return out;
    }

    @Override
    public void onNext(StreamingFetchResponse value) {
      messages.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }
}
