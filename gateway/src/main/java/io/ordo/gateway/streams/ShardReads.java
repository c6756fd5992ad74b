package io.ordo.gateway.streams;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.gateway.core.BackgroundThreads;
import io.ordo.gateway.core.Validation;
import io.ordo.proto.Position;
import io.ordo.sequencer.LogPosition;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.ShardEnd;
import io.ordo.proto.ShardState;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.storage.ChangelogMaterializer;
import io.ordo.storage.MultiVersionStore;
import io.ordo.storage.ShardProgressView;
import io.ordo.storage.ShardRecordEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves ReadShard and ReadStream from the gateway's local store (a {@link MultiVersionStore} fed
 * by a {@link ChangelogMaterializer} from the changelog topic).
 *
 * <p><b>No false end.</b> Where a shard ends "now" is read through the log: a Get transaction of
 * the stream's metadata and shard keys (position P). The read then waits, at most {@value
 * #STORE_WAIT_MS_MAX} ms (UNAVAILABLE after that), until the local store has materialized every
 * record up to the next offsets read at P, so a non-following read returns exactly the records
 * committed before P, never fewer because the store lags.
 *
 * <p><b>ReadShard</b> sends a shard's records in offset order from {@code from}: EARLIEST = the
 * start offset; LATEST = the next offset at P; an offset (below the start offset, reading starts
 * at the start offset: those records were trimmed); a timestamp = the first record whose log
 * timestamp is at or after it. It stops at {@code until_offset} (exclusive), before the first
 * record newer than {@code until_timestamp_ms}, after {@code max_records}, at the next offset read
 * at P when {@code follow} is false, and otherwise follows the live tail until the client
 * cancels (with {@code until_timestamp_ms}, a following read whose shard gets no newer record asks
 * the log every {@value #UNTIL_CHECK_INTERVAL_MS} ms whether its time has passed that, and then
 * completes). When it reaches the end of a closed shard (split or merged, sealed) it sends a final
 * message with {@link ShardEnd} naming the children and completes.
 *
 * <p><b>ReadStream</b> merges every shard the stream ever had in commit order (position, then
 * shard id, then offset) round by round: a Get transaction at P_n fixes, per shard, the next
 * offset; all records below those (= every record with position &lt;= P_n) are merged and sent;
 * with {@code follow}, the next round starts once the store shows new records or a sealed shard.
 * Records of round n+1 have positions after P_n, so the concatenation of rounds is in commit order.
 * Children created by a split or merge are read from their first offset.
 *
 * <p><b>Bounds.</b> At most {@value #READ_CALLS_MAX} read calls run at once per gateway (one
 * thread each; RESOURCE_EXHAUSTED beyond). Each message holds at most {@value #BATCH_RECORDS_MAX}
 * records and about {@value #BATCH_BYTES_MAX} bytes; a ReadStream buffers at most one batch per
 * shard. A message is sent only while the call is ready (gRPC flow control), so a slow client
 * holds the reader back rather than gateway memory. Cancellation (client gone, deadline) ends the
 * read within {@value #WAIT_SLICE_MS} ms.
 */
public final class ShardReads implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardReads.class);

  /** Most read calls served at once. */
  public static final int READ_CALLS_MAX = 64;

  /** Most records per message. */
  public static final int BATCH_RECORDS_MAX = 500;

  /** Byte budget of one message's records (the first record always goes). */
  public static final long BATCH_BYTES_MAX = 4L << 20;

  /** How long a read waits for the local store to reach what the log says, in ms. */
  public static final long STORE_WAIT_MS_MAX = 30_000;

  /** How often waits re-check cancellation and other shards, in ms. */
  public static final long WAIT_SLICE_MS = 200;

  /**
   * How often a following read with {@code until_timestamp_ms} and no new records asks the log
   * whether it has passed that time (so it completes without waiting for a newer record), in ms.
   */
  public static final long UNTIL_CHECK_INTERVAL_MS = 1_000;

  private final MultiVersionStore store;
  private final ChangelogMaterializer materializer;
  private final ThreadPoolExecutor pool;

  /**
   * @param store the local store (closed by its owner after this)
   * @param materializer fills {@code store} from the changelog
   */
  public ShardReads(MultiVersionStore store, ChangelogMaterializer materializer) {
    this.store = Objects.requireNonNull(store, "store");
    this.materializer = Objects.requireNonNull(materializer, "materializer");
    AtomicInteger count = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            0,
            READ_CALLS_MAX,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            runnable -> {
              Thread thread = new Thread(runnable, "ordo-stream-read-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  /** The local store. */
  public MultiVersionStore store() {
    return store;
  }

  /** The materializer feeding the store. */
  public ChangelogMaterializer materializer() {
    return materializer;
  }

  /** Stops the read threads (their calls end with CANCELLED). */
  @Override
  public void close() {
    BackgroundThreads.stopNow(pool, 2_000);
  }

  void readShard(
      ReadShardRequest request, StreamObserver<ReadResponse> observer, StreamShards shards) {
    Sender sender = new Sender(observer);
    start(sender, () -> readShard(request, sender, shards));
  }

  void readStream(
      ReadStreamRequest request, StreamObserver<ReadResponse> observer, StreamShards shards) {
    Sender sender = new Sender(observer);
    start(sender, () -> readStream(request, sender, shards));
  }

  /** A read's body: returns normally when the read is complete. */
  private interface Body {
    void run() throws InterruptedException;
  }

  private void start(Sender sender, Body body) {
    Context context = Context.current();
    Runnable task =
        () -> {
          try {
            body.run();
            sender.complete();
          } catch (Cancelled e) {
            // The client left or its deadline passed: nothing to answer.
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sender.fail(Status.UNAVAILABLE.withDescription("the gateway is stopping").asRuntimeException());
          } catch (Exception e) {
            sender.fail(StreamStatuses.toStatus(e));
          }
        };
    try {
      pool.execute(context.wrap(task));
    } catch (RejectedExecutionException e) {
      sender.fail(
          Status.RESOURCE_EXHAUSTED
              .withDescription(READ_CALLS_MAX + " reads are already running on this gateway; retry later")
              .asRuntimeException());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ReadShard

  private void readShard(ReadShardRequest request, Sink sender, StreamShards shards)
      throws InterruptedException {
    Validation.checkNoUnknownFields(request, "request");
    String stream = request.getStream();
    Validation.checkName(stream, "stream");
    long shardId = request.getShardId();
    StreamStatuses.checkShardId(shardId, "shard_id");
    checkFrom(request.getFrom(), true);
    if (request.hasUntilOffset() && request.getUntilOffset() < 0) {
      throw new IllegalArgumentException("until_offset must be >= 0, got " + request.getUntilOffset());
    }
    if (request.getMaxRecords() < 0) {
      throw new IllegalArgumentException("max_records must be >= 0 (0 = no limit), got " + request.getMaxRecords());
    }
    StreamShards.ShardStates read = shards.readShardStates(stream);
    ShardInfo info = StreamStatuses.requireShard(read.metadata(), shardId);
    ShardState state = read.states().get(shardId);
    if (state == null) {
      throw StreamStatuses.noSuchShard(stream, shardId);
    }
    long logEnd = state.getNextOffset();
    awaitStore(stream, shardId, logEnd, sender);

    long fromTs = Long.MIN_VALUE;
    long offset;
    ReadFrom from = request.getFrom();
    switch (from.getAtCase()) {
      case OFFSET -> offset = from.getOffset();
      case TIMESTAMP_MS -> {
        fromTs = from.getTimestampMs();
        OptionalLong at = store.offsetAtTimestamp(stream, shardId, fromTs);
        offset = at.isPresent() ? at.getAsLong() : logEnd;
      }
      case SPECIAL -> offset = from.getSpecial() == ReadFrom.Special.LATEST ? logEnd : state.getStartOffset();
      default -> offset = state.getStartOffset();
    }
    long stopAt = request.getFollow() && !state.getClosed() ? Long.MAX_VALUE : logEnd;
    if (request.hasUntilOffset()) {
      stopAt = Math.min(stopAt, request.getUntilOffset());
    }
    long remaining = request.getMaxRecords() == 0 ? Long.MAX_VALUE : request.getMaxRecords();
    boolean closed = state.getClosed();
    List<Long> children = info.getChildIdsList();
    long nextUntilCheckNs = System.nanoTime();

    while (offset < stopAt && remaining > 0) {
      sender.checkCancelled();
      Optional<ShardProgressView> progress = store.shardState(stream, shardId);
      long storeEnd = progress.map(ShardProgressView::end).orElse(0L);
      if (storeEnd <= offset) {
        if (offset < logEnd) {
          awaitStore(stream, shardId, offset + 1, sender);
          continue;
        }
        // Following the live tail past what the log said at the start.
        if (progress.isPresent() && progress.get().closed()) {
          closed = true;
          children = StreamStatuses.await(shards.reader().read(stream))
              .metadata()
              .flatMap(m -> StreamMetadataReader.shard(m, shardId))
              .map(ShardInfo::getChildIdsList)
              .orElse(List.of());
          break;
        }
        if (progress.isEmpty()) {
          // awaitStore saw the shard at the start, so it was deleted since.
          throw Status.NOT_FOUND
              .withDescription("shard " + shardId + " of stream '" + stream + "' was deleted")
              .asRuntimeException();
        }
        if (request.hasUntilTimestampMs() && System.nanoTime() - nextUntilCheckNs >= 0) {
          // No record may come for a long time: ask the log whether it has moved past
          // until_timestamp_ms; every record after the shard's next offset there is newer.
          nextUntilCheckNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNTIL_CHECK_INTERVAL_MS);
          StreamShards.ShardStates now = shards.readShardStates(stream);
          if (now.position().getTs() > request.getUntilTimestampMs()) {
            ShardState later = now.states().get(shardId);
            logEnd = later == null ? offset : later.getNextOffset();
            stopAt = Math.min(stopAt, logEnd);
            continue;
          }
        }
        materializer.awaitShardEnd(stream, shardId, offset + 1, WAIT_SLICE_MS);
        continue;
      }
      int want = (int) Math.min(BATCH_RECORDS_MAX, Math.min(remaining, stopAt - offset));
      List<ShardRecordEntry> batch = store.readShard(stream, shardId, offset, want, BATCH_BYTES_MAX);
      if (batch.isEmpty()) {
        // Everything from offset on was trimmed meanwhile: continue at the start offset.
        offset = Math.max(offset + 1, progress.get().startOffset());
        continue;
      }
      ReadResponse.Builder message = ReadResponse.newBuilder();
      boolean pastUntil = false;
      for (ShardRecordEntry entry : batch) {
        if (entry.offset() >= stopAt) {
          break;
        }
        if (request.hasUntilTimestampMs() && entry.position().getTs() > request.getUntilTimestampMs()) {
          pastUntil = true;
          break;
        }
        offset = entry.offset() + 1;
        if (entry.position().getTs() < fromTs) {
          continue; // before the requested timestamp (possible only at the live tail)
        }
        message.addRecords(received(shardId, entry));
        remaining--;
      }
      if (message.getRecordsCount() > 0) {
        sender.send(message.build());
      }
      if (pastUntil) {
        return;
      }
    }
    if (closed && remaining > 0) {
      long end = finalEnd(stream, shardId, logEnd, state.getClosed());
      boolean cutByUntil = request.hasUntilOffset() && request.getUntilOffset() < end;
      if (offset >= end && !cutByUntil) {
        sender.send(
            ReadResponse.newBuilder()
                .setShardEnd(
                    ShardEnd.newBuilder()
                        .setShardId(shardId)
                        .setNextOffset(end)
                        .addAllChildIds(children))
                .build());
      }
    }
  }

  /** One past the final offset of a closed shard. */
  private long finalEnd(String stream, long shardId, long logEnd, boolean closedAtStart) {
    if (closedAtStart) {
      return logEnd;
    }
    return store.shardState(stream, shardId).map(ShardProgressView::end).orElse(logEnd);
  }

  // ---------------------------------------------------------------------------------------------
  // ReadStream

  /** Reading position in one shard during a ReadStream. */
  private static final class Cursor {
    final long shardId;
    long next; // the next offset to take from the store
    long target; // read up to here (exclusive) in this round
    long fromTs = Long.MIN_VALUE;
    boolean closed;
    final ArrayDeque<ShardRecordEntry> buffer = new ArrayDeque<>();

    Cursor(long shardId) {
      this.shardId = shardId;
    }
  }

  private record Head(Cursor cursor, ShardRecordEntry entry) {}

  private static final Comparator<Head> COMMIT_ORDER =
      Comparator.<Head, Position>comparing(h -> h.entry().position(), LogPosition.WIRE_ORDER)
          .thenComparingLong(h -> h.cursor().shardId)
          .thenComparingLong(h -> h.entry().offset());

  private void readStream(ReadStreamRequest request, Sink sender, StreamShards shards)
      throws InterruptedException {
    Validation.checkNoUnknownFields(request, "request");
    String stream = request.getStream();
    Validation.checkName(stream, "stream");
    checkFrom(request.getFrom(), false);
    if (request.getMaxRecords() < 0) {
      throw new IllegalArgumentException("max_records must be >= 0 (0 = no limit), got " + request.getMaxRecords());
    }
    long[] remaining = {request.getMaxRecords() == 0 ? Long.MAX_VALUE : request.getMaxRecords()};
    Map<Long, Cursor> cursors = new TreeMap<>();
    boolean first = true;
    while (true) {
      StreamShards.ShardStates read = shards.readShardStates(stream);
      StreamMetadata metadata = read.metadata();
      for (ShardInfo shard : metadata.getShardsList()) {
        ShardState state = read.states().get(shard.getId());
        if (state == null) {
          continue;
        }
        Cursor cursor = cursors.get(shard.getId());
        if (cursor == null) {
          cursor = new Cursor(shard.getId());
          awaitStore(stream, shard.getId(), state.getNextOffset(), sender);
          cursor.next = first ? startOffset(request.getFrom(), stream, state, cursor) : state.getStartOffset();
          cursors.put(shard.getId(), cursor);
        }
        cursor.target = state.getNextOffset();
        cursor.closed = state.getClosed();
      }
      for (Cursor cursor : cursors.values()) {
        awaitStore(stream, cursor.shardId, cursor.target, sender);
      }
      if (!mergeRound(stream, cursors, request, remaining, sender)) {
        return; // until_timestamp_ms passed or max_records reached
      }
      first = false;
      if (!request.getFollow()) {
        return;
      }
      if (request.hasUntilTimestampMs() && read.position().getTs() > request.getUntilTimestampMs()) {
        return; // every later record is newer than until_timestamp_ms
      }
      awaitChange(
          stream, cursors, sender, request.hasUntilTimestampMs() ? UNTIL_CHECK_INTERVAL_MS : Long.MAX_VALUE);
    }
  }

  private long startOffset(ReadFrom from, String stream, ShardState state, Cursor cursor) {
    return switch (from.getAtCase()) {
      case TIMESTAMP_MS -> {
        cursor.fromTs = from.getTimestampMs();
        OptionalLong at = store.offsetAtTimestamp(stream, state.getShardId(), from.getTimestampMs());
        yield at.isPresent() ? at.getAsLong() : state.getNextOffset();
      }
      case SPECIAL ->
          from.getSpecial() == ReadFrom.Special.LATEST ? state.getNextOffset() : state.getStartOffset();
      default -> state.getStartOffset();
    };
  }

  /**
   * Merges and sends every record below each cursor's target. Returns false when the read is
   * complete (max_records reached or a record newer than until_timestamp_ms met).
   */
  private boolean mergeRound(
      String stream,
      Map<Long, Cursor> cursors,
      ReadStreamRequest request,
      long[] remaining,
      Sink sender)
      throws InterruptedException {
    long bytesPerCursor = Math.max(1, BATCH_BYTES_MAX / Math.max(1, cursors.size()));
    PriorityQueue<Head> heads = new PriorityQueue<>(COMMIT_ORDER);
    for (Cursor cursor : cursors.values()) {
      refill(stream, cursor, bytesPerCursor).ifPresent(heads::add);
    }
    ReadResponse.Builder message = ReadResponse.newBuilder();
    while (!heads.isEmpty()) {
      Head head = heads.poll();
      Cursor cursor = head.cursor();
      ShardRecordEntry entry = head.entry();
      if (request.hasUntilTimestampMs() && entry.position().getTs() > request.getUntilTimestampMs()) {
        flush(message, sender);
        return false;
      }
      if (entry.position().getTs() >= cursor.fromTs) {
        message.addRecords(received(cursor.shardId, entry));
        remaining[0]--;
      }
      if (remaining[0] == 0) {
        flush(message, sender);
        return false;
      }
      if (message.getRecordsCount() >= BATCH_RECORDS_MAX) {
        flush(message, sender);
      }
      refill(stream, cursor, bytesPerCursor).ifPresent(heads::add);
    }
    flush(message, sender);
    return true;
  }

  /** The cursor's next record below its target (reading a batch from the store if needed). */
  private Optional<Head> refill(String stream, Cursor cursor, long bytes) {
    if (cursor.buffer.isEmpty() && cursor.next < cursor.target) {
      int want = (int) Math.min(BATCH_RECORDS_MAX, cursor.target - cursor.next);
      List<ShardRecordEntry> batch = store.readShard(stream, cursor.shardId, cursor.next, want, bytes);
      for (ShardRecordEntry entry : batch) {
        if (entry.offset() < cursor.target) {
          cursor.buffer.add(entry);
        }
      }
      if (cursor.buffer.isEmpty()) {
        cursor.next = cursor.target; // trimmed meanwhile (or deleted): nothing left this round
      }
    }
    ShardRecordEntry entry = cursor.buffer.poll();
    if (entry == null) {
      return Optional.empty();
    }
    cursor.next = entry.offset() + 1;
    return Optional.of(new Head(cursor, entry));
  }

  private static void flush(ReadResponse.Builder message, Sink sender) throws InterruptedException {
    if (message.getRecordsCount() > 0) {
      sender.send(message.build());
      message.clear();
    }
  }

  /**
   * Waits until the store shows a record past some cursor's target or a shard sealed since the
   * last round (which means children exist), or {@code maxWaitMs} passed; re-checks every
   * {@value #WAIT_SLICE_MS} ms.
   */
  private void awaitChange(String stream, Map<Long, Cursor> cursors, Sink sender, long maxWaitMs)
      throws InterruptedException {
    long startNs = System.nanoTime();
    while (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) < maxWaitMs) {
      sender.checkCancelled();
      Cursor waitOn = null;
      for (Cursor cursor : cursors.values()) {
        Optional<ShardProgressView> progress = store.shardState(stream, cursor.shardId);
        if (progress.isEmpty()) {
          continue;
        }
        if (progress.get().end() > cursor.target || progress.get().closed() != cursor.closed) {
          return;
        }
        if (waitOn == null && !cursor.closed) {
          waitOn = cursor;
        }
      }
      if (waitOn == null) {
        // No open shard is known (all deleted?): the next round's read through the log decides.
        Thread.sleep(WAIT_SLICE_MS);
        return;
      }
      materializer.awaitShardEnd(stream, waitOn.shardId, waitOn.target + 1, WAIT_SLICE_MS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Common

  private static void checkFrom(ReadFrom from, boolean offsetsAllowed) {
    Validation.checkNoUnknownFields(from, "from");
    switch (from.getAtCase()) {
      case OFFSET -> {
        if (!offsetsAllowed) {
          throw new IllegalArgumentException(
              "from.offset is not allowed in ReadStream (offsets are per shard; use from.special"
                  + " or from.timestamp_ms)");
        }
        if (from.getOffset() < 0) {
          throw new IllegalArgumentException("from.offset must be >= 0, got " + from.getOffset());
        }
      }
      case SPECIAL -> {
        if (from.getSpecial() == ReadFrom.Special.UNRECOGNIZED) {
          throw new IllegalArgumentException("from.special has an unknown value");
        }
      }
      default -> {
        // A timestamp may be any value; unset means EARLIEST.
      }
    }
  }

  /**
   * Waits until the store has materialized {@code shardId} up to {@code end} (exclusive); the
   * "no false end" step. UNAVAILABLE after {@value #STORE_WAIT_MS_MAX} ms.
   */
  private void awaitStore(String stream, long shardId, long end, Sink sender)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STORE_WAIT_MS_MAX);
    while (true) {
      sender.checkCancelled();
      Optional<ShardProgressView> progress = store.shardState(stream, shardId);
      if (progress.isPresent() && progress.get().end() >= end) {
        return;
      }
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (leftMs <= 0) {
        throw Status.UNAVAILABLE
            .withDescription(
                "the gateway's local store has not materialized shard " + shardId + " of stream '"
                    + stream + "' up to offset " + end + " within " + STORE_WAIT_MS_MAX
                    + " ms (it has " + progress.map(p -> "up to " + p.end()).orElse("nothing")
                    + "); retry later")
            .asRuntimeException();
      }
      materializer.awaitShardEnd(stream, shardId, end, Math.min(leftMs, WAIT_SLICE_MS));
    }
  }

  /**
   * The API view of a record of shard {@code shardId} read from the store: its id (shard,
   * offset), its position in the log and the record (subscriptions deliver the same view).
   */
  public static ReceivedRecord received(long shardId, ShardRecordEntry entry) {
    return ReceivedRecord.newBuilder()
        .setId(RecordId.newBuilder().setShardId(shardId).setOffset(entry.offset()))
        .setPosition(entry.position())
        .setRecord(entry.record())
        .build();
  }

  /**
   * ReadStream for a caller in this process (the SQL backend): the same merge in commit order,
   * run on the calling thread, never following the tail ({@code follow} is ignored: the read
   * ends at each shard's end read through the log when it starts), at most {@code recordsMax}
   * records (fewer when {@code request.max_records} is smaller). Cancelled with the current gRPC
   * context (if any).
   *
   * @param bytesMax bound on the records' encoded size, in bytes
   * @return the messages, each of at most {@value #BATCH_RECORDS_MAX} records
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED past {@code bytesMax}, CANCELLED
   *     when the context was cancelled, or the statuses of ReadStream (INVALID_ARGUMENT,
   *     NOT_FOUND, UNAVAILABLE)
   */
  List<ReadResponse> collectStream(
      ReadStreamRequest request, StreamShards shards, long recordsMax, long bytesMax) {
    if (recordsMax < 1 || bytesMax < 1) {
      throw new IllegalArgumentException("recordsMax and bytesMax must be > 0");
    }
    long max = request.getMaxRecords() == 0 ? recordsMax : Math.min(request.getMaxRecords(), recordsMax);
    ReadStreamRequest bounded = request.toBuilder().setFollow(false).setMaxRecords(max).build();
    Collector collector = new Collector(bytesMax);
    try {
      readStream(bounded, collector, shards);
    } catch (Cancelled e) {
      throw Status.CANCELLED.withDescription("the read was cancelled").asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("the read was interrupted").asRuntimeException();
    } catch (RuntimeException e) {
      throw StreamStatuses.toStatus(e);
    }
    return collector.messages;
  }

  /** Where a read's messages go: a gRPC call, or a list. */
  private interface Sink {
    /** Throws {@link Cancelled} when the read should stop. */
    void checkCancelled();

    void send(ReadResponse message) throws InterruptedException;
  }

  /** Collects the messages of a read in this process, within a byte budget. */
  private static final class Collector implements Sink {
    private final long bytesMax;
    private final List<ReadResponse> messages = new ArrayList<>();
    private long bytes;

    Collector(long bytesMax) {
      this.bytesMax = bytesMax;
    }

    @Override
    public void checkCancelled() {
      if (Context.current().isCancelled()) {
        throw new Cancelled();
      }
    }

    @Override
    public void send(ReadResponse message) {
      bytes += message.getSerializedSize();
      if (bytes > bytesMax) {
        throw Status.RESOURCE_EXHAUSTED
            .withDescription("the records read exceed " + bytesMax + " bytes")
            .asRuntimeException();
      }
      messages.add(message);
    }
  }

  /** The client cancelled, or its deadline passed. */
  private static final class Cancelled extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Cancelled() {
      super("the call was cancelled", null, false, false);
    }
  }

  /**
   * Sends messages of one call with gRPC flow control: waits while the transport is not ready,
   * wakes on its ready and cancel signals.
   */
  private static final class Sender implements Sink {
    private final ServerCallStreamObserver<ReadResponse> call;
    private final Object ready = new Object();
    private volatile boolean cancelled;

    Sender(StreamObserver<ReadResponse> observer) {
      this.call = (ServerCallStreamObserver<ReadResponse>) observer;
      // Both handlers must be set before the handler method returns (gRPC's rule).
      call.setOnReadyHandler(this::wake);
      call.setOnCancelHandler(
          () -> {
            cancelled = true;
            wake();
          });
    }

    private void wake() {
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    @Override
    public void checkCancelled() {
      if (cancelled || Context.current().isCancelled()) {
        throw new Cancelled();
      }
    }

    @Override
    public void send(ReadResponse message) throws InterruptedException {
      synchronized (ready) {
        while (!call.isReady()) {
          checkCancelled();
          ready.wait(WAIT_SLICE_MS);
        }
      }
      checkCancelled();
      call.onNext(message);
    }

    void complete() {
      try {
        call.onCompleted();
      } catch (RuntimeException e) {
        LOG.debug("could not complete a read: {}", e.toString());
      }
    }

    void fail(StatusRuntimeException status) {
      try {
        call.onError(status);
      } catch (RuntimeException e) {
        LOG.debug("could not fail a read: {}", e.toString());
      }
    }
  }
}
