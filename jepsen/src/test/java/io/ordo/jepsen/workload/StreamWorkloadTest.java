package io.ordo.jepsen.workload;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.checker.stream.StreamChecker;
import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import io.ordo.jepsen.runner.JepsenRunner;
import io.ordo.jepsen.runner.ReshardNemesis;
import io.ordo.jepsen.runner.RunConfig;
import io.ordo.jepsen.runner.RunResult;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.ListConsumersResponse;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.Shard;
import io.ordo.proto.ShardProgress;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.SubscriptionDetail;
import io.ordo.proto.TxnRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stream workload driven by the real runner against an in-memory model of a subscription
 * (the gateway's rules: shards dealt round robin over the sorted consumer names, unacked records
 * redelivered first after the ack timeout or when their consumer leaves, acks advancing a floor),
 * with injected crashes; and against deliberately broken variants, which the check must reject.
 */
@Timeout(30)
class StreamWorkloadTest {
  private static final long RUN_MS = 800;
  private static final double RATE_OPS_PER_SEC = 400;
  private static final TxnClient NO_TXNS = (TxnRequest r, long d) -> {
    throw new AssertionError("the stream workload must not run transactions");
  };

  private static RunResult run(StreamWorkload w, long seed) throws InterruptedException {
    return new JepsenRunner().run(w, NO_TXNS,
        RunConfig.closedLoop(4, RUN_MS, seed).withRate(RATE_OPS_PER_SEC).withRecoveryWaitMs(0), "t" + seed);
  }

  private static StreamWorkload workload(ModelSubscription model) {
    StreamWorkload w = new StreamWorkload("p" + model.hashCode() + "/", 3, 1);
    w.bind(model);
    return w;
  }

  @Test
  void aFaithfulSubscriptionWithCrashesAndRedeliveriesIsValid() throws Exception {
    // Every 7th poll's call breaks (info: a new process and consumer, the old one's records are
    // redelivered) and every 11th append times out after it was applied (info, read later).
    ModelSubscription model = new ModelSubscription(Faults.none().withPollFailEvery(7).withAppendTimeoutEvery(11));
    RunResult r = run(workload(model), 1);
    CheckResult check = r.checks().results().get(StreamChecker.NAME);
    assertThat(check.valid()).as("%s", check.anomalies()).isEqualTo(Validity.TRUE);
    assertThat(r.valid()).isTrue();
    assertThat(r.okCount()).isGreaterThan(100);
    assertThat(r.infoCount()).isPositive();
    assertThat(model.redeliveries()).as("records delivered more than once").isPositive();
    // The drains left nothing unseen, and they were the last ops: polls that read what was left.
    assertThat(check.extra().get("unseen-count")).isEqualTo(0L);
    List<Op> ops = r.history().clientOps();
    Op last = ops.get(ops.size() - 1);
    assertThat(last.f()).isEqualTo("poll");
    assertThat(last.type()).isEqualTo(OpType.OK);
    long assigns = ops.stream().filter(o -> o.f().equals("assign") && o.type() == OpType.OK).count();
    assertThat(assigns).isPositive();
    assertThat(model.openConsumers()).as("every consumer closed after the drains").isZero();
  }

  @Test
  void splitsAndMergesAsANemesisMoveTheSendsToTheOpenShardsAndTheHistoryStaysValid() throws Exception {
    ModelSubscription model = new ModelSubscription(Faults.none().withPollFailEvery(13));
    StreamWorkload w = workload(model);
    RunResult r = new JepsenRunner().run(w, NO_TXNS,
        RunConfig.closedLoop(4, RUN_MS, 5).withRate(RATE_OPS_PER_SEC).withRecoveryWaitMs(0)
            .withNemeses(List.of(new ReshardNemesis(w, 5)), 60),
        "t5");
    CheckResult check = r.checks().results().get(StreamChecker.NAME);
    assertThat(check.valid()).as("%s", check.anomalies()).isEqualTo(Validity.TRUE);
    assertThat(model.splits()).isPositive();
    assertThat(model.merges()).isPositive();
    List<Op> nemesis = r.history().ops().stream().filter(o -> o.process() == Op.NEMESIS && o.type() == OpType.INFO).toList();
    assertThat(nemesis).extracting(Op::f).contains("start-reshard", "stop-reshard");
    assertThat(nemesis).allSatisfy(o -> assertThat(o.error()).isNull());
    // Sends reached shards made by the nemesis (ids above the initial 0..2), and sends to a shard
    // closed under them failed (certainly not appended).
    List<Op> okSends = r.history().clientOps().stream().filter(o -> o.f().equals("send") && o.type() == OpType.OK).toList();
    assertThat(okSends).anySatisfy(o -> assertThat((Long) ((List<?>) o.value()).get(0)).isGreaterThan(2L));
    assertThat(w.shardIds()).allSatisfy(id -> assertThat(model.listShards(w.streamName(), 1).getShardsList().stream()
        .filter(s -> s.getId() == id).findFirst().orElseThrow().getState()).isEqualTo(Shard.State.OPEN));
    assertThat(check.extra().get("unseen-count")).isEqualTo(0L);
  }

  @Test
  void aSubscriptionThatSkipsRecordsIsInvalid() throws Exception {
    // The group marks every 5th offset of a shard acked without delivering it: an acknowledged
    // append that no consumer ever gets.
    ModelSubscription model = new ModelSubscription(Faults.none().withDeliverySkipEvery(5));
    RunResult r = run(workload(model), 2);
    CheckResult check = r.checks().results().get(StreamChecker.NAME);
    assertThat(check.valid()).isEqualTo(Validity.FALSE);
    assertThat(check.anomalyTypes()).contains(StreamChecker.LOST_WRITE, StreamChecker.UNSEEN);
  }

  @Test
  void aStreamThatHandsOutAnOffsetTwiceIsInvalid() throws Exception {
    // Every 9th append is acknowledged at the next offset but not stored, so the following append
    // gets the same offset.
    ModelSubscription model = new ModelSubscription(Faults.none().withAppendLostEvery(9));
    RunResult r = run(workload(model), 3);
    CheckResult check = r.checks().results().get(StreamChecker.NAME);
    assertThat(check.valid()).isEqualTo(Validity.FALSE);
    assertThat(check.anomalyTypes()).contains(StreamChecker.INCONSISTENT_OFFSETS);
  }

  @Test
  void appendErrorsThatCertainlyDidNotAppendFailAndTheOthersAreInfo() {
    Object v = List.of(1L, 5L);
    assertThat(StreamWorkload.appendFailure(Status.FAILED_PRECONDITION.withDescription("shard 1 is closed"), v).type())
        .isEqualTo(OpType.FAIL);
    assertThat(StreamWorkload.appendFailure(Status.INVALID_ARGUMENT, v).type()).isEqualTo(OpType.FAIL);
    assertThat(StreamWorkload.appendFailure(Status.NOT_FOUND, v).type()).isEqualTo(OpType.FAIL);
    Completion timeout = StreamWorkload.appendFailure(Status.DEADLINE_EXCEEDED.withDescription("appended at 0/12"), v);
    assertThat(timeout.type()).isEqualTo(OpType.INFO);
    assertThat(timeout.error()).isEqualTo("DEADLINE_EXCEEDED: appended at 0/12");
    assertThat(timeout.value()).isEqualTo(v);
    assertThat(StreamWorkload.appendFailure(Status.UNAVAILABLE, v).type()).isEqualTo(OpType.INFO);
    assertThat(StreamWorkload.appendFailure(Status.ALREADY_EXISTS, v).type()).isEqualTo(OpType.INFO);
  }

  @Test
  void aDrainIsCompleteWhenEveryOffsetWasReceivedOrIsDurablyAcked() {
    Map<Long, long[]> ranges = new TreeMap<>(Map.of(0L, new long[] {0, 5}, 1L, new long[] {2, 4}));
    SubscriptionDetail progress = SubscriptionDetail.newBuilder()
        .addProgress(ShardProgress.newBuilder().setShardId(0).setFloor(2).addAcked(4))
        .addProgress(ShardProgress.newBuilder().setShardId(1).setFloor(0))
        .build();
    Map<Long, Set<Long>> received = new TreeMap<>(Map.of(0L, Set.of(2L), 1L, Set.of(2L, 3L)));
    assertThat(StreamWorkload.covered(ranges, received, progress)).as("offset 3 of shard 0 missing").isFalse();
    received.put(0L, Set.of(2L, 3L));
    assertThat(StreamWorkload.covered(ranges, received, progress)).isTrue();
  }

  @Test
  void theCheckAllowsRedeliveriesButNotAValueAtTwoOffsets() {
    // Process 0 reads 0..2 of shard 1, then 1 again (redelivered) and 3: valid.
    HistoryRecorder h = new HistoryRecorder(new AtomicLong()::incrementAndGet);
    for (long v = 1; v <= 4; v++) {
      h.complete(h.invoke(9, "send", List.of(1L, v)), OpType.OK, List.of(1L, List.of(v - 1, v)), null);
    }
    h.complete(h.invoke(0, "poll", null), OpType.OK, Map.of(1L, List.of(List.of(0L, 1L), List.of(1L, 2L), List.of(2L, 3L))), null);
    h.complete(h.invoke(0, "poll", null), OpType.OK, Map.of(1L, List.of(List.of(1L, 2L), List.of(3L, 4L))), null);
    StreamWorkload w = new StreamWorkload("p/", 1, 1);
    CheckResult ok = w.check(h.history(), Map.of()).results().get(StreamChecker.NAME);
    assertThat(ok.valid()).as("%s", ok.anomalies()).isEqualTo(Validity.TRUE);
    assertThat(ok.anomalyTypes()).contains(StreamChecker.NONMONOTONIC_POLL);

    // Value 4 also read at offset 4: appended twice.
    h.complete(h.invoke(1, "poll", null), OpType.OK, Map.of(1L, List.of(List.of(4L, 4L))), null);
    CheckResult bad = w.check(h.history(), Map.of()).results().get(StreamChecker.NAME);
    assertThat(bad.valid()).isEqualTo(Validity.FALSE);
    assertThat(bad.anomalyTypes()).contains(StreamChecker.DUPLICATE);
  }

  @Test
  void theWorkloadIsRegisteredAndNamesItsStreamAfterTheKeyPrefix() {
    Workload w = Workloads.create("stream", "j2a-0123abcd/");
    assertThat(Workloads.NAMES).contains("stream");
    assertThat(w).isInstanceOf(StreamWorkload.class);
    StreamWorkload s = (StreamWorkload) w;
    assertThat(s.streamName()).isEqualTo("jepsen-stream-j2a-0123abcd");
    assertThat(s.subscriptionId()).isEqualTo("jepsen-stream-j2a-0123abcd-sub");
  }

  // ------------------------------------------------------------------ the model

  /** Faults of the model: 0 = never, n = every n-th call of that kind. */
  record Faults(int pollFailEvery, int appendTimeoutEvery, int appendLostEvery, int deliverySkipEvery) {
    static Faults none() {
      return new Faults(0, 0, 0, 0);
    }

    Faults withPollFailEvery(int n) {
      return new Faults(n, appendTimeoutEvery, appendLostEvery, deliverySkipEvery);
    }

    Faults withAppendTimeoutEvery(int n) {
      return new Faults(pollFailEvery, n, appendLostEvery, deliverySkipEvery);
    }

    Faults withAppendLostEvery(int n) {
      return new Faults(pollFailEvery, appendTimeoutEvery, n, deliverySkipEvery);
    }

    Faults withDeliverySkipEvery(int n) {
      return new Faults(pollFailEvery, appendTimeoutEvery, appendLostEvery, n);
    }
  }

  /**
   * One stream with one subscription, in memory, under one lock: a small model of the gateway's
   * delivery rules (see SubscriptionGroup), not a copy of its code.
   */
  static final class ModelSubscription implements StreamClient {
    private static final long ACK_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    private final Faults faults;
    private final Object lock = new Object();
    private String stream;
    private String subscription;
    private final TreeMap<Long, List<Long>> logs = new TreeMap<>();
    private final TreeMap<Long, ShardCursor> cursors = new TreeMap<>();
    private final TreeMap<String, ModelConsumer> consumers = new TreeMap<>();
    /** Inclusive hash range [start, end] of every shard; closed shards take no appends. */
    private final TreeMap<Long, java.math.BigInteger[]> ranges = new TreeMap<>();
    private final Set<Long> closed = new TreeSet<>();
    private long splits;
    private long merges;
    private long appends;
    private long polls;
    private long redeliveries;

    ModelSubscription(Faults faults) {
      this.faults = faults;
    }

    private static final class ShardCursor {
      long next;
      long floor;
      final TreeSet<Long> acked = new TreeSet<>();
      /** offset → [consumer, deadline] of delivered, unacked records. */
      final TreeMap<Long, Object[]> unacked = new TreeMap<>();
      long delivered;

      void ack(long offset) {
        unacked.remove(offset);
        if (offset >= floor) {
          acked.add(offset);
        }
        while (acked.remove(floor)) {
          floor++;
        }
      }
    }

    long redeliveries() {
      synchronized (lock) {
        return redeliveries;
      }
    }

    int openConsumers() {
      synchronized (lock) {
        return consumers.size();
      }
    }

    @Override
    public void createStream(CreateStreamRequest request, long deadlineMs) {
      synchronized (lock) {
        stream = request.getName();
        java.math.BigInteger space = java.math.BigInteger.ONE.shiftLeft(128);
        java.math.BigInteger count = java.math.BigInteger.valueOf(request.getShardCount());
        for (long id = 0; id < request.getShardCount(); id++) {
          logs.put(id, new ArrayList<>());
          cursors.put(id, new ShardCursor());
          java.math.BigInteger start = space.multiply(java.math.BigInteger.valueOf(id)).divide(count);
          java.math.BigInteger end =
              space.multiply(java.math.BigInteger.valueOf(id + 1)).divide(count).subtract(java.math.BigInteger.ONE);
          ranges.put(id, new java.math.BigInteger[] {start, end});
        }
      }
    }

    @Override
    public ListShardsResponse listShards(String name, long deadlineMs) {
      synchronized (lock) {
        assertThat(name).isEqualTo(stream);
        ListShardsResponse.Builder out = ListShardsResponse.newBuilder();
        for (Map.Entry<Long, List<Long>> e : logs.entrySet()) {
          java.math.BigInteger[] range = ranges.get(e.getKey());
          out.addShards(Shard.newBuilder().setStream(stream).setId(e.getKey())
              .setState(closed.contains(e.getKey()) ? Shard.State.CLOSED : Shard.State.OPEN)
              .setStartHash(hex(range[0])).setEndHash(hex(range[1]))
              .setNextOffset(e.getValue().size()));
        }
        return out.build();
      }
    }

    @Override
    public AppendResponse append(AppendRequest request, long deadlineMs) {
      synchronized (lock) {
        appends++;
        long shard = request.getShardId();
        if (closed.contains(shard)) {
          throw Status.FAILED_PRECONDITION.withDescription("model: shard " + shard + " is closed").asRuntimeException();
        }
        List<Long> log = logs.get(shard);
        long offset = log.size();
        boolean lost = faults.appendLostEvery() > 0 && appends % faults.appendLostEvery() == 0;
        if (!lost) {
          log.add(Long.parseLong(request.getRecords(0).getRaw().toString(StandardCharsets.US_ASCII)));
          lock.notifyAll();
        }
        if (faults.appendTimeoutEvery() > 0 && appends % faults.appendTimeoutEvery() == 0) {
          throw Status.DEADLINE_EXCEEDED.withDescription("model: applied, answer lost").asRuntimeException();
        }
        return AppendResponse.newBuilder().addRecordIds(RecordId.newBuilder().setShardId(shard).setOffset(offset)).build();
      }
    }

    private static String hex(java.math.BigInteger value) {
      return String.format("%032x", value);
    }

    /** A new open shard over [start, end]. Under the lock. */
    private Shard addShard(java.math.BigInteger start, java.math.BigInteger end) {
      long id = logs.lastKey() + 1;
      logs.put(id, new ArrayList<>());
      cursors.put(id, new ShardCursor());
      ranges.put(id, new java.math.BigInteger[] {start, end});
      return Shard.newBuilder().setStream(stream).setId(id).setState(Shard.State.OPEN)
          .setStartHash(hex(start)).setEndHash(hex(end)).build();
    }

    /**
     * Closes the parent and opens two children halving its range. The model delivers children
     * without waiting for their parent (the gateway waits): the workload's checks do not rely on
     * that order.
     */
    @Override
    public SplitShardResponse splitShard(SplitShardRequest request, long deadlineMs) {
      synchronized (lock) {
        long id = request.getShardId();
        if (!ranges.containsKey(id) || closed.contains(id)) {
          throw Status.FAILED_PRECONDITION.withDescription("model: shard " + id + " is not open").asRuntimeException();
        }
        java.math.BigInteger[] range = ranges.get(id);
        java.math.BigInteger mid = range[0].add(range[1]).shiftRight(1);
        closed.add(id);
        splits++;
        return SplitShardResponse.newBuilder()
            .addChildren(addShard(range[0], mid))
            .addChildren(addShard(mid.add(java.math.BigInteger.ONE), range[1]))
            .build();
      }
    }

    @Override
    public MergeShardsResponse mergeShards(MergeShardsRequest request, long deadlineMs) {
      synchronized (lock) {
        long left = request.getLeft();
        long right = request.getRight();
        for (long id : new long[] {left, right}) {
          if (!ranges.containsKey(id) || closed.contains(id)) {
            throw Status.FAILED_PRECONDITION.withDescription("model: shard " + id + " is not open").asRuntimeException();
          }
        }
        if (!ranges.get(left)[1].add(java.math.BigInteger.ONE).equals(ranges.get(right)[0])) {
          throw Status.INVALID_ARGUMENT.withDescription("model: shards are not adjacent").asRuntimeException();
        }
        closed.add(left);
        closed.add(right);
        merges++;
        return MergeShardsResponse.newBuilder().setChild(addShard(ranges.get(left)[0], ranges.get(right)[1])).build();
      }
    }

    long splits() {
      synchronized (lock) {
        return splits;
      }
    }

    long merges() {
      synchronized (lock) {
        return merges;
      }
    }

    @Override
    public void createSubscription(CreateSubscriptionRequest request, long deadlineMs) {
      synchronized (lock) {
        assertThat(request.getStream()).isEqualTo(stream);
        subscription = request.getId();
      }
    }

    @Override
    public SubscriptionDetail getSubscription(String id, long deadlineMs) {
      synchronized (lock) {
        SubscriptionDetail.Builder out = SubscriptionDetail.newBuilder();
        for (Map.Entry<Long, ShardCursor> e : cursors.entrySet()) {
          out.addProgress(ShardProgress.newBuilder().setShardId(e.getKey()).setFloor(e.getValue().floor)
              .addAllAcked(e.getValue().acked));
        }
        return out.build();
      }
    }

    @Override
    public ListConsumersResponse listConsumers(String subscriptionId, long deadlineMs) {
      synchronized (lock) {
        ListConsumersResponse.Builder out = ListConsumersResponse.newBuilder();
        for (Map.Entry<String, List<Long>> e : assignment().entrySet()) {
          out.addConsumers(io.ordo.proto.Consumer.newBuilder().setName(e.getKey()).addAllAssignedShardIds(e.getValue()));
        }
        return out.build();
      }
    }

    /** Shard i goes to the i-th consumer (by name) modulo their number. Under the lock. */
    private Map<String, List<Long>> assignment() {
      Map<String, List<Long>> out = new TreeMap<>();
      List<String> names = new ArrayList<>(consumers.keySet());
      for (String n : names) {
        out.put(n, new ArrayList<>());
      }
      int i = 0;
      for (long shard : cursors.keySet()) {
        if (!names.isEmpty()) {
          out.get(names.get(i % names.size())).add(shard);
        }
        i++;
      }
      return out;
    }

    @Override
    public StreamClient.Consumer openConsumer(String subscriptionId, String consumerName) {
      synchronized (lock) {
        assertThat(subscriptionId).isEqualTo(subscription);
        ModelConsumer c = new ModelConsumer(consumerName);
        assertThat(consumers.put(consumerName, c)).as("consumer names are unique").isNull();
        lock.notifyAll();
        return c;
      }
    }

    /** Due redeliveries first, then new records, of the shards {@code name} holds. Under the lock. */
    private List<ReceivedRecord> deliver(String name, int max) {
      long now = System.nanoTime();
      List<ReceivedRecord> out = new ArrayList<>();
      for (long shard : assignment().getOrDefault(name, List.of())) {
        ShardCursor cursor = cursors.get(shard);
        List<Long> log = logs.get(shard);
        for (Map.Entry<Long, Object[]> u : cursor.unacked.entrySet()) {
          boolean ownerGone = !consumers.containsKey((String) u.getValue()[0]);
          if (out.size() < max && (ownerGone || now - (Long) u.getValue()[1] >= 0)) {
            u.setValue(new Object[] {name, now + ACK_TIMEOUT_NANOS});
            out.add(record(shard, u.getKey(), log.get(u.getKey().intValue())));
            redeliveries++;
          }
        }
        while (out.size() < max && cursor.next < log.size()) {
          long offset = cursor.next++;
          cursor.delivered++;
          if (faults.deliverySkipEvery() > 0 && cursor.delivered % faults.deliverySkipEvery() == 0) {
            cursor.ack(offset);
            continue;
          }
          cursor.unacked.put(offset, new Object[] {name, now + ACK_TIMEOUT_NANOS});
          out.add(record(shard, offset, log.get((int) offset)));
        }
      }
      return out;
    }

    private static ReceivedRecord record(long shard, long offset, long value) {
      return ReceivedRecord.newBuilder()
          .setId(RecordId.newBuilder().setShardId(shard).setOffset(offset))
          .setRecord(StreamRecord.newBuilder().setRaw(ByteString.copyFrom(Long.toString(value), StandardCharsets.US_ASCII)))
          .build();
    }

    private final class ModelConsumer implements StreamClient.Consumer {
      private final String name;
      private boolean ended; // guarded by lock

      ModelConsumer(String name) {
        this.name = name;
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public List<ReceivedRecord> poll(long waitMs, int recordsMax) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        synchronized (lock) {
          if (ended) {
            throw Status.CANCELLED.withDescription("model: call ended").asRuntimeException();
          }
          polls++;
          if (faults.pollFailEvery() > 0 && polls % faults.pollFailEvery() == 0) {
            // The call breaks with records on the wire: delivered, never received, never acked.
            deliver(name, recordsMax);
            end();
            throw Status.UNAVAILABLE.withDescription("model: call broke").asRuntimeException();
          }
          while (true) {
            List<ReceivedRecord> out = deliver(name, recordsMax);
            long left = deadline - System.nanoTime();
            if (!out.isEmpty() || left <= 0) {
              return out;
            }
            try {
              // Woken by appends and leaving consumers; redeliveries come due with time.
              TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw Status.CANCELLED.asRuntimeException();
            }
          }
        }
      }

      @Override
      public void ack(List<RecordId> ids) {
        synchronized (lock) {
          if (ended) {
            return;
          }
          for (RecordId id : ids) {
            cursors.get(id.getShardId()).ack(id.getOffset());
          }
        }
      }

      /** Under the lock: leaves the group; its unacked records become due at once (owner gone). */
      private void end() {
        ended = true;
        consumers.remove(name, this);
        lock.notifyAll();
      }

      @Override
      public void close() {
        synchronized (lock) {
          end();
        }
      }
    }

    @Override
    public String toString() {
      return "model subscription " + subscription + " (" + faults + ")";
    }
  }
}
