package io.ordo.gateway.subscriptions;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Consumer;
import io.ordo.proto.Outcome;
import io.ordo.proto.RecordId;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionProgress;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.storage.MultiVersionStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumers of one subscription connected to this gateway, and the delivery state they share:
 * which shard goes to which consumer, what was delivered and not yet acknowledged, and the acks
 * waiting to be written.
 *
 * <p><b>Assignment.</b> The shards still to consume (those with progress that are not closed and
 * fully acked) are dealt round robin over the sorted consumer names ({@link ShardAssignment});
 * it is recomputed on every pump, so a joining or leaving consumer rebalances at once.
 *
 * <p><b>One gateway per subscription.</b> A group delivers only while it holds the
 * subscription's {@link DeliveryLease}: taken before loading (a group that finds another
 * gateway's unexpired lease ends its calls with FAILED_PRECONDITION naming that gateway), renewed
 * every third of the lease, released when the group closes. The group closes once it has no
 * consumers and no delivered record waits for its ack deadline here; so after the last consumer
 * leaves, the lease is held at most until the ack deadlines of records delivered by Fetch pass
 * (a StreamingFetch consumer's unacked records are due at once when it leaves). While the wall
 * clock is past the expiry last written the group delivers nothing; a renewal that finds the
 * lease taken by another gateway ends the calls with UNAVAILABLE. A gateway that takes over an
 * expired lease resumes from the durable progress and redelivers everything unacked.
 *
 * <p><b>Delivery</b> ({@link ShardDelivery}): per shard, records are read from the local store
 * from the durable progress floor, skipping acked offsets, following the tail. Each delivered
 * record is held in {@link UnackedRecords} with a deadline (now + ack timeout); past it, the
 * record is redelivered to whoever owns the shard then (a StreamingFetch consumer that leaves has
 * its records redelivered at once). Nothing new is delivered while the subscription has {@code
 * max_unacked_records} unacked here; a closed shard's children wait until every record of the
 * parent(s) is durably acked. Progress keys of shards created after the subscription
 * (split/merge children) are created here lazily (Assert absent + Put floor 0).
 *
 * <p><b>Acks</b> are batched ({@link AckBatcher}): they are written by one sequenced transaction
 * of SubscriptionAck ops (one per shard) once {@value AckBatcher#ACK_BATCH_MAX} are pending or
 * {@value AckBatcher#ACK_FLUSH_DELAY_MS} ms after the first one, one transaction at a time. The
 * durable progress (the transaction's post-state, and the progress keys as the local store
 * materializes them, which also brings in acks written by clients' own transactions or by other
 * gateways) is merged into the local view; acks whose transaction failed are retried (acks are
 * idempotent). Delivery is at-least-once: a record is redelivered until its ack is durable or seen
 * pending here.
 *
 * <p><b>Threads.</b> All state is guarded by this object's monitor. A pump runs on the shared
 * scheduler every {@value #TICK_MS} ms and whenever something happens (consumer ready, ack, join,
 * leave); transactions complete on the runner's executor and take the monitor to apply their
 * result. Sends take the session's monitor inside this one (order: group, then session).
 *
 * <p><b>Bounds:</b> consumers per subscription {@value #CONSUMERS_MAX}; unacked records at most
 * {@code max_unacked_records} (≤ 100000), kept as offsets only (a redelivery reads the record
 * from the store again); pending acks {@value AckBatcher#PENDING_ACKS_MAX}; records per message
 * {@value ShardDelivery#RECORDS_PER_MESSAGE_MAX} and about {@value
 * ShardDelivery#MESSAGE_BYTES_TARGET} bytes; messages per consumer per pump {@value
 * #MESSAGES_PER_PUMP_MAX}, and only while the call is ready (gRPC flow control), so a slow
 * consumer never makes the gateway buffer.
 */
final class SubscriptionGroup {
  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionGroup.class);

  /** Consumers of one subscription on one gateway. */
  static final int CONSUMERS_MAX = 64;

  /** How long a background transaction of the group may wait for its result, in milliseconds. */
  static final long TXN_WAIT_MS = 15_000;

  /** Period of the pump that follows the store's tail and redelivers, in milliseconds. */
  static final long TICK_MS = 20;

  /**
   * Period of the re-read of durable progress from the local store (acks written by clients' own
   * transactions or other gateways), in milliseconds.
   */
  static final long PROGRESS_REFRESH_MS = 200;

  /** Period of the re-read of the subscription and stream metadata, in milliseconds. */
  static final long METADATA_REFRESH_MS = 5_000;

  /** Shortest gap between two metadata re-reads triggered by a sealed shard, in milliseconds. */
  static final long METADATA_REFRESH_MIN_GAP_MS = 100;

  /** Messages one consumer gets per pump, so one pump cannot monopolize a scheduler thread. */
  static final int MESSAGES_PER_PUMP_MAX = 16;

  /** Acks of StreamingFetch calls that arrive while the group is still loading. */
  static final int EARLY_ACKS_MAX = 4 * SubscriptionRules.ACKS_PER_REQUEST_MAX;

  private enum State {
    NEW,
    LOADING,
    ACTIVE,
    CLOSED
  }

  private final String id;
  private final SubscriptionCatalog catalog;
  private final StreamMetadataReader reader;
  private final MultiVersionStore store;
  private final ScheduledExecutorService scheduler;
  private final LongSupplier nanoClock;
  private final DeliveryLease lease;
  private final LongSupplier wallClockMs;
  private final Runnable onClosed;

  // Everything below is guarded by this.
  private State state = State.NEW;
  private Subscription subscription;
  private final TreeMap<String, ConsumerSession> consumers = new TreeMap<>();
  private final UnackedRecords unacked = new UnackedRecords();
  private final AckBatcher acks = new AckBatcher();
  private final ShardDelivery delivery;
  private Map<String, List<Long>> assignment = Map.of();
  private boolean flushScheduled;
  private boolean pumpQueued;
  private final List<RecordId> earlyAcks = new ArrayList<>();
  private boolean refreshing;
  private long lastRefreshNanos;
  private long lastProgressReadNanos;
  private boolean seenInStore;
  private ScheduledFuture<?> tick;
  /** The lease this group holds (last value written durably); null before and after. */
  private DeliveryLease.Holder held;
  private ScheduledFuture<?> renewTask;
  private boolean renewing;
  private CompletableFuture<Void> released = CompletableFuture.completedFuture(null);

  /**
   * @param lease this gateway's delivery lease of subscription {@code id}
   * @param wallClockMs epoch milliseconds, compared with the lease's expiry
   * @param onClosed called (under this group's monitor) once the group is closed, so the
   *     registry can drop it
   */
  SubscriptionGroup(
      String id,
      SubscriptionCatalog catalog,
      StreamMetadataReader reader,
      MultiVersionStore store,
      ScheduledExecutorService scheduler,
      LongSupplier nanoClock,
      DeliveryLease lease,
      LongSupplier wallClockMs,
      Runnable onClosed) {
    this.id = id;
    this.catalog = catalog;
    this.reader = reader;
    this.store = store;
    this.scheduler = scheduler;
    this.nanoClock = nanoClock;
    this.lease = lease;
    this.wallClockMs = wallClockMs;
    this.onClosed = onClosed;
    this.delivery = new ShardDelivery(id, store, unacked, acks);
  }

  String id() {
    return id;
  }

  // ---- membership ----

  /**
   * Adds a consumer; the first one starts loading the subscription.
   *
   * @return false when this group has closed (the caller makes a new one)
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED beyond {@value #CONSUMERS_MAX} consumers,
   *     ALREADY_EXISTS when a consumer of that name is connected here
   */
  synchronized boolean join(ConsumerSession session) {
    if (state == State.CLOSED) {
      return false;
    }
    if (consumers.containsKey(session.name())) {
      throw Status.ALREADY_EXISTS
          .withDescription(
              "consumer '" + session.name() + "' of subscription '" + id
                  + "' is already connected to this gateway; use another consumer name")
          .asRuntimeException();
    }
    if (consumers.size() >= CONSUMERS_MAX) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "subscription '" + id + "' already has " + CONSUMERS_MAX
                  + " consumers on this gateway (the limit)")
          .asRuntimeException();
    }
    consumers.put(session.name(), session);
    session.attach(this);
    if (state == State.NEW) {
      state = State.LOADING;
      load();
    } else if (state == State.ACTIVE) {
      requestPump();
    }
    return true;
  }

  /** Removes a consumer (its call ended); its records are redelivered as the class comment says. */
  synchronized void leave(ConsumerSession session) {
    if (consumers.get(session.name()) != session) {
      return;
    }
    consumers.remove(session.name());
    if (session.acksOnStream()) {
      unacked.expireFor(session.name(), nanoClock.getAsLong());
    }
    requestPump();
  }

  synchronized int consumerCount() {
    return consumers.size();
  }

  /** What this group's delivery stands at now (for the gateway's metrics). */
  synchronized SubscriptionsService.DeliveryStats stats() {
    return new SubscriptionsService.DeliveryStats(
        delivery.backlog(), unacked.count(), consumers.size());
  }

  /** The consumers here: name, assigned shards and unacked records last delivered to each. */
  synchronized List<Consumer> describeConsumers() {
    Map<String, Long> unackedBy = unacked.countByConsumer();
    List<Consumer> out = new ArrayList<>();
    for (String name : consumers.keySet()) {
      out.add(
          Consumer.newBuilder()
              .setName(name)
              .addAllAssignedShardIds(assignment.getOrDefault(name, List.of()))
              .setUnacked(unackedBy.getOrDefault(name, 0L))
              .build());
    }
    return out;
  }

  /** Ends every consumer's call with {@code status} and drops the group (subscription deleted, shutdown). */
  synchronized void close(StatusRuntimeException status) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    if (tick != null) {
      tick.cancel(false);
    }
    if (renewTask != null) {
      renewTask.cancel(false);
    }
    if (held != null) {
      DeliveryLease.Holder mine = held;
      held = null;
      released = releaseLease(mine);
    }
    for (ConsumerSession session : consumers.values()) {
      session.fail(status);
    }
    consumers.clear();
    onClosed.run();
  }

  /**
   * Completes once the lease this group held is released (or the release failed: the lease then
   * expires by itself); already complete while the group is open or held no lease.
   */
  synchronized CompletableFuture<Void> released() {
    return released;
  }

  // ---- the lease ----

  /** Keeps the lease just taken, or gives it back when the group closed meanwhile. */
  private synchronized void leaseTaken(DeliveryLease.Holder holder) {
    if (state == State.CLOSED) {
      released = releaseLease(holder);
      throw shuttingDown();
    }
    held = holder;
    long everyMs = lease.settings().renewEveryMs();
    try {
      renewTask =
          scheduler.scheduleWithFixedDelay(this::renewLease, everyMs, everyMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      throw shuttingDown();
    }
  }

  private CompletableFuture<Void> releaseLease(DeliveryLease.Holder holder) {
    return offLock(() -> lease.release(holder))
        .exceptionally(
            error -> {
              LOG.debug(
                  "releasing the delivery lease of subscription '{}' failed (it expires by itself): {}",
                  id, statusOf(error).getStatus());
              return null;
            });
  }

  private synchronized void renewLease() {
    if (state == State.CLOSED || held == null || renewing) {
      return;
    }
    renewing = true;
    DeliveryLease.Holder current = held;
    offLock(() -> lease.renew(current))
        .whenComplete(
            (renewal, error) -> {
              synchronized (this) {
                renewing = false;
                if (state == State.CLOSED || held == null) {
                  return;
                }
                if (error != null) {
                  // Unknown outcome: the next round asserts the old value and reads what won.
                  LOG.debug(
                      "renewing the delivery lease of subscription '{}' failed: {}",
                      id, statusOf(error).getStatus());
                  return;
                }
                if (renewal instanceof DeliveryLease.Renewal.Held h) {
                  held = h.holder();
                  return;
                }
                Optional<DeliveryLease.Holder> now = ((DeliveryLease.Renewal.Lost) renewal).now();
                held = null;
                LOG.warn(
                    "subscription '{}' lost its delivery lease to {}; ending its calls here",
                    id, now.map(DeliveryLease.Holder::describe).orElse("nobody"));
                close(
                    Status.UNAVAILABLE
                        .withDescription(
                            "subscription '" + id + "' is no longer delivered by this gateway: its "
                                + "delivery lease "
                                + now.map(h -> "was taken by " + h.describe())
                                    .orElse("is gone")
                                + "; reconnect")
                        .asRuntimeException());
              }
            });
  }

  /** Whether this group may deliver now: it holds the lease and its clock is before the expiry. */
  private boolean leaseValid() {
    return held != null && wallClockMs.getAsLong() < held.expiresAtMs();
  }

  // ---- loading ----

  private void load() {
    offLock(lease::acquire)
        .thenAccept(this::leaseTaken)
        .thenCompose(ignored -> offLock(() -> catalog.require(id)))
        .thenCompose(
            stored ->
                stored.metadata().getPendingLatest()
                    ? catalog.completeLatest(id)
                    : CompletableFuture.completedFuture(stored))
        .thenCompose(
            stored -> {
              Subscription sub = stored.subscription();
              return reader
                  .read(sub.getStream())
                  .thenCompose(
                      snapshot -> {
                        if (!snapshot.exists()) {
                          throw Status.NOT_FOUND
                              .withDescription(
                                  "stream '" + sub.getStream() + "' of subscription '" + id
                                      + "' does not exist")
                              .asRuntimeException();
                        }
                        StreamMetadata metadata = snapshot.require();
                        List<ShardInfo> infos = SubscriptionCatalog.sortedShards(metadata);
                        List<String> keys = new ArrayList<>();
                        for (ShardInfo info : infos) {
                          keys.add(StreamKeys.progress(id, info.getId()));
                        }
                        return reader
                            .get(keys)
                            .thenAccept(values -> activate(sub, infos, values.values()));
                      });
            })
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                StatusRuntimeException status = statusOf(error);
                LOG.debug("loading subscription '{}' failed: {}", id, status.getStatus());
                close(status);
              }
            });
  }

  private synchronized void activate(
      Subscription sub, List<ShardInfo> infos, Map<String, Optional<Value>> progress) {
    if (state != State.LOADING) {
      return;
    }
    subscription = sub;
    delivery.start(sub);
    for (ShardInfo info : infos) {
      ShardCursor cursor = delivery.cursorOf(info);
      progress
          .getOrDefault(StreamKeys.progress(id, info.getId()), Optional.empty())
          .ifPresent(v -> delivery.setProgress(cursor, v.getProgress()));
    }
    state = State.ACTIVE;
    lastRefreshNanos = nanoClock.getAsLong();
    // Shard ends, for checking the acks that arrived while loading.
    refreshFromStore(lastRefreshNanos);
    List<RecordId> early = new ArrayList<>(earlyAcks);
    earlyAcks.clear();
    if (!early.isEmpty()) {
      try {
        addAcks(early);
      } catch (StatusRuntimeException e) {
        LOG.debug("dropping early acks of subscription '{}': {}", id, e.getStatus());
      }
    }
    try {
      tick = scheduler.scheduleWithFixedDelay(this::pump, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      close(shuttingDown());
      return;
    }
    requestPump();
  }

  // ---- acks ----

  /**
   * Acknowledgements from a StreamingFetch consumer: they stop redelivery at once and are written
   * in the next ack transaction.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT for a shard the stream does not have,
   *     RESOURCE_EXHAUSTED when too many acks are pending
   */
  synchronized void ack(List<RecordId> ids) {
    if (state == State.CLOSED) {
      return;
    }
    if (state != State.ACTIVE) {
      if (earlyAcks.size() + ids.size() > EARLY_ACKS_MAX) {
        throw Status.RESOURCE_EXHAUSTED
            .withDescription(
                "more than " + EARLY_ACKS_MAX + " acks arrived before subscription '" + id
                    + "' finished loading")
            .asRuntimeException();
      }
      earlyAcks.addAll(ids);
      return;
    }
    addAcks(ids);
  }

  private void addAcks(List<RecordId> ids) {
    for (RecordId ack : ids) {
      ShardCursor cursor = delivery.cursor(ack.getShardId());
      if (cursor == null) {
        throw Status.INVALID_ARGUMENT
            .withDescription(
                "ack of shard " + ack.getShardId() + " offset " + ack.getOffset()
                    + ": stream '" + subscription.getStream() + "' has no such shard")
            .asRuntimeException();
      }
      // An ack of an offset not yet appended would make the executor skip that record later.
      if (ack.getOffset() >= cursor.end) {
        throw Status.INVALID_ARGUMENT
            .withDescription(
                "ack of shard " + ack.getShardId() + " offset " + ack.getOffset()
                    + ": no such record was delivered (the shard's records end before offset "
                    + cursor.end + ")")
            .asRuntimeException();
      }
    }
    if (!acks.hasRoomFor(ids.size())) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              AckBatcher.PENDING_ACKS_MAX + " acks of subscription '" + id
                  + "' are waiting to be written; retry later")
          .asRuntimeException();
    }
    for (RecordId ack : ids) {
      ShardCursor cursor = delivery.cursor(ack.getShardId());
      long offset = ack.getOffset();
      unacked.remove(ack.getShardId(), offset);
      if (cursor.progress != null && cursor.progress.isAcked(offset)) {
        continue;
      }
      acks.add(ack.getShardId(), offset);
    }
    flushWhenDue();
    requestPump();
  }

  /**
   * Progress written by someone else (the Ack RPC on this gateway): merged at once, so records it
   * covers are not redelivered.
   */
  synchronized void applyDurable(Collection<SubscriptionProgress> progress) {
    if (state != State.ACTIVE) {
      return;
    }
    for (SubscriptionProgress p : progress) {
      ShardCursor cursor = delivery.cursor(p.getShardId());
      if (cursor != null) {
        delivery.setProgress(cursor, p);
      }
    }
    requestPump();
  }

  private void scheduleFlush(long delayMs) {
    if (flushScheduled || state == State.CLOSED) {
      return;
    }
    flushScheduled = true;
    try {
      scheduler.schedule(
          () -> {
            synchronized (this) {
              flushScheduled = false;
              flush();
            }
          },
          delayMs,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      flushScheduled = false;
    }
  }

  /** Writes a full batch of acks now, or schedules the write of a partial one. */
  private void flushWhenDue() {
    if (acks.batchFull()) {
      flush();
    } else if (acks.pendingCount() > 0) {
      scheduleFlush(AckBatcher.ACK_FLUSH_DELAY_MS);
    }
  }

  /** Writes the pending acks in one transaction (one at a time). */
  private void flush() {
    if (state != State.ACTIVE) {
      return;
    }
    // Shards whose progress key is not known to exist yet (a child another gateway delivered
    // first) keep their acks pending until it is: an ack on an absent key aborts the batch.
    SortedMap<Long, TreeSet<Long>> batch =
        acks.takeBatch(
            shardId -> {
              ShardCursor cursor = delivery.cursor(shardId);
              return cursor != null && cursor.progress != null;
            });
    if (batch.isEmpty()) {
      return;
    }
    Subscription sub = subscription;
    offLock(
            () ->
                catalog.run(
                    SubscriptionCatalog.ackTransaction(TxnRunner.newTxnId(), sub, batch),
                    TXN_WAIT_MS))
        .whenComplete((result, error) -> flushed(batch, result, error));
  }

  private synchronized void flushed(
      SortedMap<Long, TreeSet<Long>> batch, TxnResult result, Throwable error) {
    acks.batchDone();
    if (state == State.CLOSED) {
      return;
    }
    if (error == null && result.getOutcome() == Outcome.COMMITTED) {
      SortedMap<Long, SubscriptionProgress> post = SubscriptionCatalog.postStates(result);
      for (Map.Entry<Long, TreeSet<Long>> entry : batch.entrySet()) {
        ShardCursor cursor = delivery.cursor(entry.getKey());
        if (cursor == null) {
          continue;
        }
        SubscriptionProgress p = post.get(entry.getKey());
        if (p != null) {
          delivery.setProgress(cursor, p);
        } else {
          delivery.ackDurably(cursor, entry.getValue());
        }
      }
    } else if (error == null
        && result.getOutcome() == Outcome.ABORTED
        && result.getAbortReason() == AbortReason.NOT_FOUND) {
      // A progress key is gone: the subscription was deleted (on any gateway).
      close(
          Status.NOT_FOUND
              .withDescription("subscription '" + id + "' was deleted")
              .asRuntimeException());
      return;
    } else {
      // Outcome unknown or refused: acks are idempotent, so write them again.
      LOG.warn(
          "writing {} acks of subscription '{}' failed ({}); retrying in {} ms",
          batch.values().stream().mapToInt(Set::size).sum(),
          id,
          error != null ? statusOf(error).getStatus() : result.getOutcome() + " " + result.getDetail(),
          AckBatcher.ACK_RETRY_DELAY_MS);
      acks.requeue(batch);
      scheduleFlush(AckBatcher.ACK_RETRY_DELAY_MS);
      return;
    }
    flushWhenDue();
    requestPump();
  }

  // ---- delivery ----

  /** Runs the pump soon on the scheduler (coalesced). */
  void requestPump() {
    synchronized (this) {
      if (pumpQueued || state != State.ACTIVE) {
        return;
      }
      pumpQueued = true;
    }
    try {
      scheduler.execute(this::pump);
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        pumpQueued = false;
      }
    }
  }

  private synchronized void pump() {
    pumpQueued = false;
    if (state != State.ACTIVE) {
      return;
    }
    try {
      pumpOnce();
    } catch (RuntimeException e) {
      // A store failure (closed on shutdown, RocksDB error): the consumers cannot be served.
      LOG.warn("delivery of subscription '{}' failed", id, e);
      close(
          Status.UNAVAILABLE
              .withDescription("delivery of subscription '" + id + "' failed: " + e.getMessage())
              .withCause(e)
              .asRuntimeException());
    }
  }

  private void pumpOnce() {
    long now = nanoClock.getAsLong();
    boolean metadataChanged = refreshFromStore(now);
    if (!refreshing
        && (now - lastRefreshNanos >= TimeUnit.MILLISECONDS.toNanos(METADATA_REFRESH_MS)
            || (metadataChanged
                && now - lastRefreshNanos
                    >= TimeUnit.MILLISECONDS.toNanos(METADATA_REFRESH_MIN_GAP_MS)))) {
      refreshMetadata();
    }
    createMissingProgress();
    if (acks.pendingCount() > 0) {
      // Acks held back for a shard whose progress key has appeared since.
      scheduleFlush(AckBatcher.ACK_FLUSH_DELAY_MS);
    }

    assignment = ShardAssignment.assign(consumers.keySet(), delivery.liveShards());
    // Past the lease's expiry another gateway may have taken over: deliver nothing until a
    // renewal succeeds (or fails and closes the group).
    boolean mayDeliver = leaseValid();
    for (Map.Entry<String, List<Long>> entry : assignment.entrySet()) {
      if (!mayDeliver) {
        break;
      }
      ConsumerSession session = consumers.get(entry.getKey());
      for (long shardId : entry.getValue()) {
        ShardCursor cursor = delivery.cursor(shardId);
        if (!delivery.parentsFinished(cursor)) {
          continue;
        }
        for (int i = 0; i < MESSAGES_PER_PUMP_MAX; i++) {
          if (!session.ready() || !delivery.deliver(cursor, session, now)) {
            break;
          }
        }
      }
      if (session.remaining() == 0 && !session.finished()) {
        // Fetch reached max_records.
        session.complete();
      }
    }
    // Calls that ended without a cancel callback reaching us yet.
    List<ConsumerSession> ended = new ArrayList<>();
    for (ConsumerSession session : consumers.values()) {
      if (session.finished()) {
        ended.add(session);
      }
    }
    for (ConsumerSession session : ended) {
      leave(session);
    }
    if (idle(now)) {
      close(Status.CANCELLED.withDescription("no consumers").asRuntimeException());
    }
  }

  /**
   * Updates every cursor from the local store (materialized shard end, seal, start; every {@value
   * #PROGRESS_REFRESH_MS} ms the durable progress, including acks written by others); returns
   * whether the metadata this group has read looks outdated: a shard is sealed in the store but
   * not in it (a split or merge to learn about), or the subscription's metadata key has
   * disappeared from the store (deleted).
   */
  private boolean refreshFromStore(long now) {
    boolean deletedHint = false;
    boolean readProgress =
        now - lastProgressReadNanos >= TimeUnit.MILLISECONDS.toNanos(PROGRESS_REFRESH_MS);
    if (readProgress) {
      lastProgressReadNanos = now;
      // The store may not have materialized a new subscription yet: only a key once seen and
      // now gone hints at a deletion (which the re-read through the log then confirms).
      if (store.getLatest(StreamKeys.subscription(id)).isPresent()) {
        seenInStore = true;
      } else if (seenInStore) {
        deletedHint = true;
      }
    }
    boolean sealedUnknown = delivery.refreshFromStore(readProgress);
    return sealedUnknown || deletedHint;
  }

  /** Re-reads the subscription and stream metadata in one transaction (new shards, deletion). */
  private void refreshMetadata() {
    refreshing = true;
    lastRefreshNanos = nanoClock.getAsLong();
    String subKey = StreamKeys.subscription(id);
    String streamKey = StreamKeys.stream(subscription.getStream());
    offLock(() -> reader.get(List.of(subKey, streamKey)))
        .whenComplete(
            (values, error) -> {
              synchronized (this) {
                refreshing = false;
                if (state != State.ACTIVE) {
                  return;
                }
                if (error != null) {
                  LOG.debug("re-reading metadata of subscription '{}' failed: {}", id, error.toString());
                  return;
                }
                if (values.get(subKey).isEmpty()) {
                  close(
                      Status.NOT_FOUND
                          .withDescription("subscription '" + id + "' was deleted")
                          .asRuntimeException());
                  return;
                }
                Optional<Value> streamRaw = values.get(streamKey);
                if (streamRaw.isEmpty()) {
                  close(
                      Status.NOT_FOUND
                          .withDescription(
                              "stream '" + subscription.getStream() + "' of subscription '" + id
                                  + "' was deleted")
                          .asRuntimeException());
                  return;
                }
                StreamMetadata metadata =
                    StreamMetadataReader.parse(subscription.getStream(), streamRaw.get());
                for (ShardInfo info : metadata.getShardsList()) {
                  delivery.cursorOf(info);
                }
              }
              requestPump();
            });
  }

  /** Creates the progress keys of shards that have none yet (Assert absent + Put), then reads them. */
  private void createMissingProgress() {
    for (ShardCursor cursor : delivery.cursors()) {
      if (cursor.progress != null || cursor.creatingProgress) {
        continue;
      }
      cursor.creatingProgress = true;
      String key = StreamKeys.progress(id, cursor.shardId);
      Subscription sub = subscription;
      offLock(() -> catalog.ensureProgress(sub, cursor.shardId))
          .thenCompose(ignored -> reader.get(List.of(key)))
          .whenComplete(
              (values, error) -> {
                synchronized (this) {
                  cursor.creatingProgress = false;
                  if (state != State.ACTIVE) {
                    return;
                  }
                  if (error != null) {
                    LOG.debug(
                        "creating the progress of subscription '{}' over shard {} failed: {}",
                        id, cursor.shardId, error.toString());
                    return;
                  }
                  values.get(key).ifPresent(v -> delivery.setProgress(cursor, v.getProgress()));
                }
                requestPump();
              });
    }
  }

  /** No consumers, nothing to write, and no record whose ack deadline is still ahead. */
  private boolean idle(long now) {
    return consumers.isEmpty() && acks.isEmpty() && !unacked.anyAwaitingAck(now);
  }

  /**
   * Starts a transaction on the scheduler rather than under this group's monitor (appending may
   * block on the Kafka producer) and outside any client's gRPC context (a consumer that cancels
   * must not cancel work the whole group waits for).
   */
  private <T> CompletableFuture<T> offLock(Supplier<CompletableFuture<T>> start) {
    try {
      // The scheduler's threads carry no gRPC context, so the transaction gets none either.
      return CompletableFuture.supplyAsync(start, scheduler).thenCompose(f -> f);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(shuttingDown());
    }
  }

  static StatusRuntimeException statusOf(Throwable error) {
    Throwable t = error;
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof StatusRuntimeException status) {
      return status;
    }
    return Status.INTERNAL.withDescription(String.valueOf(t)).withCause(t).asRuntimeException();
  }

  static StatusRuntimeException shuttingDown() {
    return Status.UNAVAILABLE.withDescription("the gateway is shutting down").asRuntimeException();
  }

  @Override
  public String toString() {
    return "subscription group '" + id + "'";
  }

  /** For tests of the unacked bound: records delivered and not yet acked here. */
  synchronized int unackedCount() {
    return unacked.count();
  }

  /** Shard ids this group knows (for tests and ListConsumers). */
  synchronized List<Long> shardIds() {
    return delivery.shardIds();
  }
}
