package io.ordo.jepsen.workload;

import io.ordo.jepsen.report.WorkloadChecks;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.stream.StreamChecker;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.OpType;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.Consumer;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.Position;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.Shard;
import io.ordo.proto.ShardProgress;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.SubscriptionDetail;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stream workload (name {@value #NAME}): appends to the shards of one stream and consumes
 * them through one subscription, checked by {@link StreamChecker} (Jepsen's Kafka analysis).
 *
 * <h2>Setup</h2>
 *
 * A stream named after the run's key prefix with {@code shardCount} shards (history key k = shard
 * id), and a subscription on it from EARLIEST with an ack timeout of {@code ackTimeoutSeconds}.
 *
 * <h2>Operations</h2>
 *
 * <ul>
 *   <li>{@code :send [k v]}: an Append of one record to shard k (AppendRequest.shard_id; the
 *       record's payload is v in decimal ASCII; the transaction id is the runner's). Every v is
 *       unique in the run (1, 2, 3, ... in generation order). ok {@code [k [offset v]]} with the
 *       offset the gateway returned; fail for INVALID_ARGUMENT, NOT_FOUND and FAILED_PRECONDITION
 *       (refused or aborted: certainly not appended); info otherwise (DEADLINE_EXCEEDED,
 *       UNAVAILABLE, ...: the append may still happen).
 *   <li>{@code :poll}: every worker process owns one consumer of the subscription (a StreamingFetch
 *       call, opened at the process's first poll or assign; the consumer name is unique per
 *       process). A poll takes what was delivered within {@value #POLL_WAIT_MS} ms (at most
 *       {@value #POLL_RECORDS_MAX} records), acknowledges it on the call, and completes ok with
 *       {@code {k [[offset v] ...]}} in arrival order. When the call has ended (the gateway failed
 *       it) the poll is info with the status.
 *   <li>{@code :assign []}: the consumer does not choose its shards, the gateway deals them round
 *       robin over the connected consumers; the op asks it (ListConsumers) and completes ok with
 *       the shards this process's consumer holds now, so that the checker forgets the consumer's
 *       positions on the shards it lost. Fail if the gateway cannot say.
 * </ul>
 *
 * Mix: {@value #SEND_PERCENT}% sends, {@value #ASSIGN_PERCENT}% assigns, the rest polls; shards
 * uniformly. Process rule: an op that completes info makes the runner give the worker a new process
 * id (Jepsen's rule), so the workload closes that worker's consumer (its unacked records are
 * redelivered to the others) and the new process opens its own at its next poll. The runner does
 * not pass the process id to the workload, so a consumer belongs to a worker thread and lives
 * exactly as long as that worker's process.
 *
 * <h2>Final reads</h2>
 *
 * {@link #finalReads} closes every worker's consumer and returns {@value #DRAIN_ROUNDS} drains: a
 * drain is a {@code :poll} by a fresh consumer that receives and acknowledges until every offset
 * of every shard up to its end (ListShards, read through the log when the drain starts) has been
 * received by the drain or is durably acknowledged (GetSubscription), at most {@value
 * #DRAIN_TIME_MAX_MS} ms. It completes ok with everything it received; it is info only if its call
 * failed before it received anything (so that the runner retries it). A later drain after a
 * complete one finds nothing left and reads nothing.
 *
 * <h2>Checker mode</h2>
 *
 * A subscription promises at-least-once delivery to a consumer group, so the history is checked
 * with the checker's {@code "strict"} mode plus four allowed poll-order types:
 *
 * <ul>
 *   <li>Not allowed: {@code lost-write}, {@code inconsistent-offsets}, {@code duplicate} (one value
 *       at two offsets: an append applied twice), {@code nonmonotonic-send} (a process's
 *       sequential appends to a shard must get increasing offsets), {@code G1a} (a record whose
 *       append failed), and {@code unseen}: after the drains every acknowledged append must have
 *       been delivered to some consumer, which is what at-least-once means.
 *   <li>Allowed: {@code poll-skip}, {@code nonmonotonic-poll} and their {@code int-} forms. A
 *       subscription consumer has no position of its own: unacked records are redelivered, after
 *       the ack timeout or when their consumer leaves, to whoever holds the shard then, ahead of
 *       the new ones, so a consumer legitimately goes back (a redelivery) and then jumps forward
 *       (the records in between went to, and were acked by, another consumer); and a shard can
 *       move away and back between two {@code :assign} observations. Receiving the same record
 *       (same offset, same value) again is a redelivery, which the checker does not count as a
 *       {@code duplicate}.
 * </ul>
 */
public final class StreamWorkload implements Workload {
  /** The workload's name. */
  public static final String NAME = "stream";
  /** Share of sends, in percent. */
  public static final int SEND_PERCENT = 50;
  /** Share of assigns, in percent. */
  public static final int ASSIGN_PERCENT = 5;
  /** How long a poll waits for its first record, in milliseconds. */
  public static final long POLL_WAIT_MS = 50;
  /** Records one poll takes at most. */
  public static final int POLL_RECORDS_MAX = 100;
  /** Drains {@link #finalReads} returns. */
  public static final int DRAIN_ROUNDS = 2;
  /** How long one drain runs at most, in milliseconds. */
  public static final long DRAIN_TIME_MAX_MS = 30_000;
  /** How long a drain's poll waits, in milliseconds. */
  static final long DRAIN_POLL_WAIT_MS = 100;
  /** Records one drain poll takes at most. */
  static final int DRAIN_RECORDS_PER_POLL = 1_000;
  /** Shortest time between two progress reads of a drain, in milliseconds. */
  static final long DRAIN_CHECK_INTERVAL_MS = 250;
  /** Setup calls wait at least this long (the first transactions of a fresh Ordo can be slow), in ms. */
  static final long SETUP_DEADLINE_MS_MIN = 30_000;
  /** Longest stream name the gateway accepts. */
  static final int NAME_LENGTH_MAX = 255;

  private final String streamName;
  private final String subscriptionId;
  private final int shardCount;
  private final int ackTimeoutSeconds;
  private final AtomicLong consumerSeq = new AtomicLong();
  /** The consumer of each worker thread's current process. */
  private final ThreadLocal<StreamClient.Consumer> workerConsumer = new ThreadLocal<>();
  /** Every worker consumer still open, so that {@link #finalReads} can close them. */
  private final Set<StreamClient.Consumer> openConsumers = ConcurrentHashMap.newKeySet();
  private volatile StreamClient client;
  private volatile List<Long> shardIds;
  private volatile boolean draining;
  private long lastValue; // guarded by the runner's generator lock (next is called serially)

  /**
   * @param keyPrefix the run's key prefix; the stream is named after it (characters outside
   *     [A-Za-z0-9._-] become '-'), the subscription is the stream's name plus "-sub"
   * @param shardCount shards of the stream, 1..64
   * @param ackTimeoutSeconds the subscription's ack timeout, 1..60
   * @throws IllegalArgumentException for sizes out of range or an empty name
   */
  public StreamWorkload(String keyPrefix, int shardCount, int ackTimeoutSeconds) {
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    if (shardCount < 1 || shardCount > 64) {
      throw new IllegalArgumentException("shardCount must be in 1..64, got " + shardCount);
    }
    if (ackTimeoutSeconds < 1 || ackTimeoutSeconds > 60) {
      throw new IllegalArgumentException("ackTimeoutSeconds must be in 1..60, got " + ackTimeoutSeconds);
    }
    String name = ("jepsen-stream-" + keyPrefix).replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("-+$", "");
    if (name.length() > NAME_LENGTH_MAX - 4) {
      name = name.substring(0, NAME_LENGTH_MAX - 4);
    }
    this.streamName = name;
    this.subscriptionId = name + "-sub";
    this.shardCount = shardCount;
    this.ackTimeoutSeconds = ackTimeoutSeconds;
  }

  /**
   * Sets the client every call goes through; must happen before the run (before {@link #setup}).
   * The workload does not close it.
   */
  public void bind(StreamClient streamClient) {
    this.client = Objects.requireNonNull(streamClient, "streamClient");
  }

  /**
   * Opens a {@link StreamGrpcClient} to {@code grpcTarget} and binds it; the caller closes it after
   * the run.
   */
  public StreamGrpcClient connect(String grpcTarget) {
    StreamGrpcClient c = StreamGrpcClient.connect(grpcTarget);
    bind(c);
    return c;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The stream's name. */
  public String streamName() {
    return streamName;
  }

  /** The subscription's id. */
  public String subscriptionId() {
    return subscriptionId;
  }

  private StreamClient client() {
    StreamClient c = client;
    if (c == null) {
      throw new IllegalStateException("stream workload: no StreamClient bound (call bind or connect before the run)");
    }
    return c;
  }

  /**
   * Creates the stream and the subscription and learns the shard ids. The TxnClient is not used:
   * the workload talks to the Streams and Subscriptions services.
   *
   * @throws IllegalStateException if a call fails
   */
  @Override
  public void setup(TxnClient txnClient, long deadlineMs) {
    StreamClient c = client();
    long deadline = Math.max(deadlineMs, SETUP_DEADLINE_MS_MIN);
    try {
      c.createStream(CreateStreamRequest.newBuilder().setName(streamName).setShardCount(shardCount).build(), deadline);
      List<Long> ids = new ArrayList<>();
      for (Shard s : c.listShards(streamName, deadline).getShardsList()) {
        if (s.getState() == Shard.State.OPEN) {
          ids.add(s.getId());
        }
      }
      if (ids.size() != shardCount) {
        throw new IllegalStateException("stream '" + streamName + "' has " + ids.size() + " open shards, expected " + shardCount);
      }
      ids.sort(null);
      c.createSubscription(CreateSubscriptionRequest.newBuilder().setId(subscriptionId).setStream(streamName)
          .setAckTimeoutSeconds(ackTimeoutSeconds).setFrom(ReadFrom.Special.EARLIEST).build(), deadline);
      shardIds = List.copyOf(ids);
    } catch (StatusRuntimeException e) {
      throw new IllegalStateException("stream workload setup failed: " + e.getStatus(), e);
    }
  }

  @Override
  public Invocation next(Random random) {
    List<Long> ids = shardIds;
    if (ids == null) {
      throw new IllegalStateException("stream workload: next() before setup()");
    }
    int dice = random.nextInt(100);
    if (dice < SEND_PERCENT) {
      long k = ids.get(random.nextInt(ids.size()));
      return new Invocation("send", List.of(k, ++lastValue));
    }
    if (dice < SEND_PERCENT + ASSIGN_PERCENT) {
      return new Invocation("assign", List.of());
    }
    return new Invocation("poll", null);
  }

  @Override
  public Completion execute(TxnClient txnClient, String txnId, Invocation op, long deadlineMs) {
    Completion c;
    try {
      c = switch (op.f()) {
        case "send" -> send(txnId, op, deadlineMs);
        case "poll" -> draining ? drain(deadlineMs) : poll();
        case "assign" -> assign(deadlineMs);
        default -> throw new IllegalArgumentException("stream: unknown f '" + op.f() + "' (send, poll, assign)");
      };
    } catch (RuntimeException e) {
      // The runner would record this as info too; here the worker's consumer is closed with it.
      c = new Completion(OpType.INFO, op.value(), "client error: " + e, null);
    }
    if (c.crashesProcess()) {
      closeWorkerConsumer();
    }
    return c;
  }

  private Completion send(String txnId, Invocation op, long deadlineMs) {
    List<?> kv = (List<?>) op.value();
    long k = (Long) kv.get(0);
    long v = (Long) kv.get(1);
    AppendRequest request = AppendRequest.newBuilder().setStream(streamName).setShardId(k).setId(txnId)
        .addRecords(StreamRecord.newBuilder().setRaw(ByteString.copyFrom(Long.toString(v), StandardCharsets.US_ASCII)))
        .build();
    AppendResponse response;
    try {
      response = client().append(request, deadlineMs);
    } catch (StatusRuntimeException e) {
      return appendFailure(e.getStatus(), kv);
    }
    if (response.getRecordIdsCount() != 1 || response.getRecordIds(0).getShardId() != k) {
      // The append happened, but the answer does not say where: unknown to the history.
      return new Completion(OpType.INFO, kv, "unexpected append response: " + response.getRecordIdsList(), null);
    }
    long offset = response.getRecordIds(0).getOffset();
    return new Completion(OpType.OK, List.of(k, List.of(offset, v)), null, response.hasPosition() ? response.getPosition() : null);
  }

  /** The completion of an Append that ended with {@code status}: certain refusals fail, the rest is unknown. */
  static Completion appendFailure(Status status, Object invokeValue) {
    String error = status.getCode().name() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    return switch (status.getCode()) {
      // Validated before sequencing, or aborted by the executor (a closed shard, a wrong expected
      // offset): the record was certainly not appended.
      case INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION -> new Completion(OpType.FAIL, invokeValue, error, null);
      // DEADLINE_EXCEEDED, UNAVAILABLE and anything unexpected: it may have been (or be) appended.
      default -> new Completion(OpType.INFO, invokeValue, error, null);
    };
  }

  private StreamClient.Consumer workerConsumer() {
    StreamClient.Consumer c = workerConsumer.get();
    if (c == null) {
      c = client().openConsumer(subscriptionId, streamName + "-c" + consumerSeq.incrementAndGet());
      workerConsumer.set(c);
      openConsumers.add(c);
    }
    return c;
  }

  private void closeWorkerConsumer() {
    StreamClient.Consumer c = workerConsumer.get();
    if (c != null) {
      workerConsumer.remove();
      openConsumers.remove(c);
      c.close();
    }
  }

  private Completion poll() {
    StreamClient.Consumer consumer = workerConsumer();
    List<ReceivedRecord> records;
    try {
      records = consumer.poll(POLL_WAIT_MS, POLL_RECORDS_MAX);
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      return new Completion(OpType.INFO, null, "fetch call ended: " + s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription()), null);
    }
    SortedMap<Long, List<Object>> value = new TreeMap<>();
    List<RecordId> acks = new ArrayList<>(records.size());
    for (ReceivedRecord r : records) {
      value.computeIfAbsent(r.getId().getShardId(), x -> new ArrayList<>()).add(List.of(r.getId().getOffset(), payloadValue(r)));
      acks.add(r.getId());
    }
    // Acked only once the poll's value is built: an ack is the consumer saying it has the records,
    // and they are in the history because this op completes ok whatever happens to the ack.
    consumer.ack(acks);
    return new Completion(OpType.OK, value, null, null);
  }

  /**
   * The long a record carries (decimal ASCII).
   *
   * @throws IllegalStateException for a payload this workload did not write
   */
  static long payloadValue(ReceivedRecord r) {
    StreamRecord record = r.getRecord();
    String text = record.getPayloadCase() == StreamRecord.PayloadCase.RAW ? record.getRaw().toString(StandardCharsets.US_ASCII) : null;
    try {
      return Long.parseLong(Objects.requireNonNull(text));
    } catch (RuntimeException e) {
      throw new IllegalStateException("record " + r.getId().getShardId() + "/" + r.getId().getOffset()
          + " does not hold a decimal long: " + record.getPayloadCase(), e);
    }
  }

  private Completion assign(long deadlineMs) {
    StreamClient.Consumer consumer = workerConsumer();
    List<Consumer> consumers;
    try {
      consumers = client().listConsumers(subscriptionId, deadlineMs).getConsumersList();
    } catch (StatusRuntimeException e) {
      // Nothing was changed: the consumer keeps whatever shards it has; the history learns nothing.
      return new Completion(OpType.FAIL, List.of(), "ListConsumers: " + e.getStatus().getCode(), null);
    }
    TreeSet<Long> mine = new TreeSet<>();
    for (Consumer c : consumers) {
      if (c.getName().equals(consumer.name())) {
        mine.addAll(c.getAssignedShardIdsList());
      }
    }
    return new Completion(OpType.OK, List.copyOf(mine), null, null);
  }

  /** How long a reshard call waits, in milliseconds. */
  static final long RESHARD_DEADLINE_MS = 30_000;

  /**
   * Resharding as a fault (the {@code reshard} nemesis): splits an open shard chosen by {@code
   * random} at the middle of its hash range, then points the generator at the open shards. Sends
   * already generated for the parent fail (FAILED_PRECONDITION: a closed shard) and the
   * subscription delivers the children only after the parent is fully acked, so the checks need
   * nothing new: each shard is one key of the history.
   *
   * @return for the history: {@code {:split k, :children [a b]}}
   * @throws StatusRuntimeException if a call fails (the shard list is refreshed anyway)
   * @throws IllegalStateException if no open shard can be split (every range is a single hash)
   */
  public Map<Keyword, Object> splitShard(Random random) {
    StreamClient c = client();
    try {
      List<Shard> open = openShards(c);
      List<Shard> splittable = new ArrayList<>();
      for (Shard s : open) {
        if (!s.getStartHash().equals(s.getEndHash())) {
          splittable.add(s);
        }
      }
      if (splittable.isEmpty()) {
        throw new IllegalStateException("no open shard of '" + streamName + "' can be split");
      }
      Shard parent = splittable.get(random.nextInt(splittable.size()));
      SplitShardResponse response = c.splitShard(
          SplitShardRequest.newBuilder().setStream(streamName).setShardId(parent.getId()).build(), RESHARD_DEADLINE_MS);
      List<Long> children = new ArrayList<>();
      for (Shard child : response.getChildrenList()) {
        children.add(child.getId());
      }
      Map<Keyword, Object> value = new LinkedHashMap<>();
      value.put(Keyword.of("split"), parent.getId());
      value.put(Keyword.of("children"), children);
      return value;
    } finally {
      refreshShards(c);
    }
  }

  /**
   * Resharding as a fault, the healing half: merges two adjacent open shards chosen by {@code
   * random} (adjacent: the left range ends one hash below the right one's start), then points the
   * generator at the open shards.
   *
   * @return for the history: {@code {:merge [l r], :child c}}, or {@code {:merge []}} when no two
   *     open shards are adjacent (a single shard)
   * @throws StatusRuntimeException if a call fails (the shard list is refreshed anyway)
   */
  public Map<Keyword, Object> mergeShards(Random random) {
    StreamClient c = client();
    try {
      List<Shard> open = new ArrayList<>(openShards(c));
      open.sort(java.util.Comparator.comparing((Shard s) -> new java.math.BigInteger(s.getStartHash(), 16)));
      List<Shard[]> pairs = new ArrayList<>();
      for (int i = 0; i + 1 < open.size(); i++) {
        java.math.BigInteger leftEnd = new java.math.BigInteger(open.get(i).getEndHash(), 16);
        java.math.BigInteger rightStart = new java.math.BigInteger(open.get(i + 1).getStartHash(), 16);
        if (leftEnd.add(java.math.BigInteger.ONE).equals(rightStart)) {
          pairs.add(new Shard[] {open.get(i), open.get(i + 1)});
        }
      }
      Map<Keyword, Object> value = new LinkedHashMap<>();
      if (pairs.isEmpty()) {
        value.put(Keyword.of("merge"), List.of());
        return value;
      }
      Shard[] pair = pairs.get(random.nextInt(pairs.size()));
      MergeShardsResponse response = c.mergeShards(MergeShardsRequest.newBuilder().setStream(streamName)
          .setLeft(pair[0].getId()).setRight(pair[1].getId()).build(), RESHARD_DEADLINE_MS);
      value.put(Keyword.of("merge"), List.of(pair[0].getId(), pair[1].getId()));
      value.put(Keyword.of("child"), response.getChild().getId());
      return value;
    } finally {
      refreshShards(c);
    }
  }

  /** The stream's open shards, in id order. */
  private List<Shard> openShards(StreamClient c) {
    List<Shard> open = new ArrayList<>();
    for (Shard s : c.listShards(streamName, RESHARD_DEADLINE_MS).getShardsList()) {
      if (s.getState() == Shard.State.OPEN) {
        open.add(s);
      }
    }
    open.sort(java.util.Comparator.comparingLong(Shard::getId));
    return open;
  }

  /** Points the generator at the open shards (best effort: a failed read keeps the old list). */
  private void refreshShards(StreamClient c) {
    try {
      List<Long> ids = new ArrayList<>();
      for (Shard s : openShards(c)) {
        ids.add(s.getId());
      }
      if (!ids.isEmpty()) {
        shardIds = List.copyOf(ids);
      }
    } catch (StatusRuntimeException e) {
      // Sends keep going to the shards known; those that closed fail until the next refresh.
    }
  }

  /** The open shards sends go to now (ids in order). */
  public List<Long> shardIds() {
    List<Long> ids = shardIds;
    return ids == null ? List.of() : ids;
  }

  /**
   * Closes every worker's consumer (so the drain gets every shard and the unacked records are
   * redelivered to it) and returns the drains. Called by the runner once the workers have ended.
   */
  @Override
  public List<Invocation> finalReads() {
    draining = true;
    for (StreamClient.Consumer c : new ArrayList<>(openConsumers)) {
      openConsumers.remove(c);
      c.close();
    }
    List<Invocation> out = new ArrayList<>();
    for (int i = 0; i < DRAIN_ROUNDS; i++) {
      out.add(new Invocation("poll", null));
    }
    return out;
  }

  private Completion drain(long deadlineMs) {
    StreamClient c = client();
    long startNanos = System.nanoTime();
    long endNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(DRAIN_TIME_MAX_MS);
    // Where every shard ends now: everything below was appended by an op that has completed.
    Map<Long, long[]> ranges = new TreeMap<>();
    try {
      ListShardsResponse shards = c.listShards(streamName, Math.max(deadlineMs, 1));
      for (Shard s : shards.getShardsList()) {
        ranges.put(s.getId(), new long[] {s.getStartOffset(), s.getNextOffset()});
      }
    } catch (StatusRuntimeException e) {
      return new Completion(OpType.INFO, null, "ListShards: " + e.getStatus().getCode(), null);
    }
    SortedMap<Long, List<Object>> value = new TreeMap<>();
    Map<Long, Set<Long>> received = new TreeMap<>();
    long nextCheckNanos = startNanos;
    String error = null;
    try (StreamClient.Consumer consumer = c.openConsumer(subscriptionId, streamName + "-drain" + consumerSeq.incrementAndGet())) {
      while (System.nanoTime() - endNanos < 0) {
        List<ReceivedRecord> records;
        try {
          records = consumer.poll(DRAIN_POLL_WAIT_MS, DRAIN_RECORDS_PER_POLL);
        } catch (StatusRuntimeException e) {
          error = "fetch call ended: " + e.getStatus().getCode();
          break;
        }
        List<RecordId> acks = new ArrayList<>(records.size());
        for (ReceivedRecord r : records) {
          long shard = r.getId().getShardId();
          value.computeIfAbsent(shard, x -> new ArrayList<>()).add(List.of(r.getId().getOffset(), payloadValue(r)));
          received.computeIfAbsent(shard, x -> new HashSet<>()).add(r.getId().getOffset());
          acks.add(r.getId());
        }
        consumer.ack(acks);
        long now = System.nanoTime();
        if (records.isEmpty() && now - nextCheckNanos >= 0) {
          nextCheckNanos = now + TimeUnit.MILLISECONDS.toNanos(DRAIN_CHECK_INTERVAL_MS);
          try {
            if (covered(ranges, received, c.getSubscription(subscriptionId, Math.max(deadlineMs, 1)))) {
              break;
            }
          } catch (StatusRuntimeException e) {
            // Try again at the next check; the drain's time bound ends it if it never answers.
          }
        }
      }
    }
    if (value.isEmpty() && error != null) {
      return new Completion(OpType.INFO, null, error, null);
    }
    return new Completion(OpType.OK, value, null, null);
  }

  /** Whether every offset of every shard below its end was received by the drain or is durably acked. */
  static boolean covered(Map<Long, long[]> ranges, Map<Long, Set<Long>> received, SubscriptionDetail detail) {
    Map<Long, ShardProgress> progress = new TreeMap<>();
    for (ShardProgress p : detail.getProgressList()) {
      progress.put(p.getShardId(), p);
    }
    for (Map.Entry<Long, long[]> e : ranges.entrySet()) {
      long start = e.getValue()[0];
      long end = e.getValue()[1];
      ShardProgress p = progress.get(e.getKey());
      long floor = p == null ? 0 : p.getFloor();
      Set<Long> acked = p == null ? Set.of() : new HashSet<>(p.getAckedList());
      Set<Long> got = received.getOrDefault(e.getKey(), Set.of());
      for (long o = Math.max(start, floor); o < end; o++) {
        if (!acked.contains(o) && !got.contains(o)) {
          return false;
        }
      }
    }
    return true;
  }

  /** The checker options of this workload's delivery guarantee (see the class comment). */
  public static Map<String, Object> checkerOptions() {
    Map<String, Object> opts = new LinkedHashMap<>();
    opts.put(StreamChecker.OPTION_MODE, "strict");
    opts.put(StreamChecker.OPTION_ALLOWED, List.of(StreamChecker.POLL_SKIP, StreamChecker.NONMONOTONIC_POLL,
        StreamChecker.INT_POLL_SKIP, StreamChecker.INT_NONMONOTONIC_POLL));
    return opts;
  }

  @Override
  public WorkloadChecks check(History history, Map<Long, Position> positionsByCompletion) {
    CheckResult result = new StreamChecker().check(checkerOptions(), history);
    Map<String, CheckResult> results = new LinkedHashMap<>();
    results.put(StreamChecker.NAME, result);
    return new WorkloadChecks(results, Map.of(), List.of());
  }

  @Override
  public String toString() {
    return "stream workload on '" + streamName + "' (" + shardCount + " shards, subscription '" + subscriptionId + "')";
  }
}
