package io.ordo.gateway.subscriptions;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.gateway.core.OwnerProbe;
import io.ordo.gateway.core.TcpOwnerProbe;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.AbortReason;
import io.ordo.proto.AckRequest;
import io.ordo.proto.AckResponse;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.DeleteSubscriptionRequest;
import io.ordo.proto.DeleteSubscriptionResponse;
import io.ordo.proto.FetchRequest;
import io.ordo.proto.GetSubscriptionRequest;
import io.ordo.proto.ListConsumersRequest;
import io.ordo.proto.ListConsumersResponse;
import io.ordo.proto.ListSubscriptionsRequest;
import io.ordo.proto.ListSubscriptionsResponse;
import io.ordo.proto.Outcome;
import io.ordo.proto.RecordId;
import io.ordo.proto.StreamingFetchRequest;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionDetail;
import io.ordo.proto.SubscriptionsGrpc;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.storage.MultiVersionStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ordo.v1.Subscriptions} gRPC service: consumer groups with acknowledgements over
 * streams.
 *
 * <p><b>Admin RPCs</b> (Create, Get, List, Delete) are transactions through the log ({@link
 * SubscriptionCatalog}): linearizable, OLLP with bounded retries. Create validates the settings
 * (ack timeout 1..3600 s, default 30; max unacked 1..100000, default 1000; from EARLIEST or
 * LATEST) and writes the metadata, the stream's and the catalog's lists and one progress key per
 * shard in one transaction (LATEST: plus a follow-up, see {@link SubscriptionCatalog}). Delete
 * refuses with FAILED_PRECONDITION while consumers are connected to this gateway unless {@code
 * force}, which ends their calls with NOT_FOUND.
 *
 * <p><b>Delivery</b> (StreamingFetch, Fetch): every subscription with consumers on this gateway
 * has one {@link SubscriptionGroup} that shares the stream's shards among them, delivers from
 * the local store and batches acks into sequenced SubscriptionAck transactions. StreamingFetch's
 * first request names the subscription and the consumer; every request may carry acks. Fetch is
 * the REST form: records until {@code max_records} (0 = until the client goes away); its acks come
 * by {@code Ack}. Progress is durable, so a fetch after a gateway restart resumes from it;
 * delivery is at-least-once.
 *
 * <p><b>Multi-gateway.</b> One gateway at a time delivers a subscription: its group holds the
 * subscription's {@link DeliveryLease} in the key space (taken by the first consumer, renewed
 * while the group lives, released when it closes or this service closes). A fetch on another
 * gateway fails with FAILED_PRECONDITION naming the owner and its address until the lease is
 * released or expires (the owner crashed); the gateway that then takes over resumes from the
 * durable progress and redelivers what was not acked. Acks (the Ack RPC, SubscriptionAck ops in
 * a client's Txn) are accepted by every gateway.
 *
 * <p><b>Ack</b> writes one transaction (one SubscriptionAck op per shard); it is idempotent. A
 * client may also put SubscriptionAck ops into its own {@code Txn} (with KV writes and stream
 * appends) for exactly-once processing; delivery sees such acks through the local store.
 *
 * <p>Statuses: INVALID_ARGUMENT (bad input, with the reason), NOT_FOUND (no such subscription or
 * stream), ALREADY_EXISTS (create of an existing id; a consumer name already connected here; a
 * duplicate transaction id), FAILED_PRECONDITION (delete with consumers; a fetch while another
 * gateway holds the delivery lease), RESOURCE_EXHAUSTED
 * (bounds: {@value #GROUPS_MAX} subscriptions with consumers per gateway, {@value
 * SubscriptionGroup#CONSUMERS_MAX} consumers per subscription, pending acks), ABORTED (a change
 * lost to concurrent changes {@value SubscriptionCatalog#OLLP_ATTEMPTS_MAX} times), and the
 * statuses of {@link TxnRunner}.
 *
 * <p>Threads: handlers never block; delivery and ack batching run on this service's scheduler
 * ({@value #SCHEDULER_THREADS} threads), transactions complete on the runner's executor. {@link
 * #close} ends every fetch call with UNAVAILABLE, releases the leases (waiting at most {@value
 * #RELEASE_WAIT_MS} ms) and stops the scheduler.
 */
public final class SubscriptionsService extends SubscriptionsGrpc.SubscriptionsImplBase
    implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionsService.class);

  /** Subscriptions with consumers (or unacked records) on one gateway. */
  public static final int GROUPS_MAX = 1_024;

  /** Threads of the delivery scheduler. */
  public static final int SCHEDULER_THREADS = 2;

  /** How long {@link #close} waits for the delivery leases to be released, in milliseconds. */
  static final long RELEASE_WAIT_MS = 3_000;

  /** Longest transaction id of an Ack request (as TxnRequest.id). */
  static final int TXN_ID_LENGTH_MAX = 128;

  private final SubscriptionCatalog catalog;
  private final StreamMetadataReader reader;
  private final MultiVersionStore store;
  private final ScheduledExecutorService scheduler;
  private final LongSupplier nanoClock;
  private volatile DeliveryLease.Settings leaseSettings;
  private final OwnerProbe ownerProbe;
  private final TcpOwnerProbe tcpProbe; // ownerProbe when this service made it, else null
  private final LongSupplier wallClockMs;
  private final AtomicLong leaseAcquisitions = new AtomicLong();
  private final ConcurrentHashMap<String, SubscriptionGroup> groups = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param runner runs transactions through the log
   * @param reader reads stream metadata and internal keys through the log
   * @param store the gateway's local store, fed by its changelog materializer (read for shard
   *     records, shard ends and durable progress); owned by the caller, which closes it after
   *     this. Null when the gateway runs without a data directory: then the admin RPCs and Ack
   *     work, and StreamingFetch/Fetch fail with FAILED_PRECONDITION.
   *     <p>This gateway's delivery leases carry a random instance id, no address until {@link
   *     #advertise} gives one, and last {@value DeliveryLease#LEASE_MS_DEFAULT} ms; other
   *     gateways' leases are probed over TCP ({@link TcpOwnerProbe}).
   */
  public SubscriptionsService(
      TxnRunner runner, StreamMetadataReader reader, MultiVersionStore store) {
    this(runner, reader, store, DeliveryLease.Settings.defaults());
  }

  /**
   * @param leaseSettings this gateway's instance id and address and the lease length of its
   *     delivery leases (see {@link DeliveryLease})
   */
  SubscriptionsService(
      TxnRunner runner,
      StreamMetadataReader reader,
      MultiVersionStore store,
      DeliveryLease.Settings leaseSettings) {
    this(runner, reader, store, leaseSettings, null, System::nanoTime, System::currentTimeMillis);
  }

  /**
   * @param ownerProbe tells whether another lease holder still answers at its address; null for
   *     a {@link TcpOwnerProbe} owned (and closed) by this service
   */
  SubscriptionsService(
      TxnRunner runner,
      StreamMetadataReader reader,
      MultiVersionStore store,
      DeliveryLease.Settings leaseSettings,
      OwnerProbe ownerProbe,
      LongSupplier nanoClock,
      LongSupplier wallClockMs) {
    this.reader = Objects.requireNonNull(reader, "reader");
    this.catalog = new SubscriptionCatalog(Objects.requireNonNull(runner, "runner"), reader);
    this.store = store;
    this.leaseSettings = Objects.requireNonNull(leaseSettings, "leaseSettings");
    this.tcpProbe = ownerProbe == null ? new TcpOwnerProbe(TcpOwnerProbe.TIMEOUT_MS_DEFAULT) : null;
    this.ownerProbe = ownerProbe == null ? tcpProbe : ownerProbe;
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.wallClockMs = Objects.requireNonNull(wallClockMs, "wallClockMs");
    AtomicInteger count = new AtomicInteger();
    ScheduledThreadPoolExecutor pool =
        new ScheduledThreadPoolExecutor(
            SCHEDULER_THREADS,
            r -> {
              Thread t = new Thread(r, "ordo-subscriptions-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.setRemoveOnCancelPolicy(true);
    this.scheduler = Executors.unconfigurableScheduledExecutorService(pool);
  }

  /**
   * Where a subscription's delivery on this gateway stands.
   *
   * @param backlog records of its shards (as this gateway's store holds them) not acknowledged yet,
   *     delivered or not
   * @param unacked records delivered by this gateway and not acknowledged
   * @param consumers consumers connected to this gateway
   */
  public record DeliveryStats(long backlog, long unacked, int consumers) {}

  /**
   * The delivery state of every subscription this gateway delivers now (those with consumers or
   * unacked records here; a subscription delivered by another gateway is not included), by id.
   */
  public SortedMap<String, DeliveryStats> deliveryStats() {
    SortedMap<String, DeliveryStats> out = new TreeMap<>();
    for (java.util.Map.Entry<String, SubscriptionGroup> e : groups.entrySet()) {
      out.put(e.getKey(), e.getValue().stats());
    }
    return out;
  }

  // ---- admin ----

  @Override
  public void createSubscription(
      CreateSubscriptionRequest request, StreamObserver<Subscription> responses) {
    respond(responses, () -> catalog.create(SubscriptionRules.settingsOf(request)));
  }

  @Override
  public void getSubscription(
      GetSubscriptionRequest request, StreamObserver<SubscriptionDetail> responses) {
    respond(
        responses,
        () -> {
          SubscriptionRules.checkName("id", request.getId());
          return catalog.detail(request.getId());
        });
  }

  @Override
  public void listSubscriptions(
      ListSubscriptionsRequest request, StreamObserver<ListSubscriptionsResponse> responses) {
    respond(
        responses,
        () -> {
          if (!request.getStream().isEmpty()) {
            SubscriptionRules.checkName("stream", request.getStream());
          }
          return catalog
              .list(request.getStream())
              .thenApply(
                  subs -> ListSubscriptionsResponse.newBuilder().addAllSubscriptions(subs).build());
        });
  }

  @Override
  public void listConsumers(
      ListConsumersRequest request, StreamObserver<ListConsumersResponse> responses) {
    respond(
        responses,
        () -> {
          SubscriptionRules.checkName("id", request.getId());
          return catalog
              .require(request.getId())
              .thenApply(
                  stored -> {
                    SubscriptionGroup group = groups.get(request.getId());
                    ListConsumersResponse.Builder out = ListConsumersResponse.newBuilder();
                    if (group != null) {
                      out.addAllConsumers(group.describeConsumers());
                    }
                    return out.build();
                  });
        });
  }

  @Override
  public void deleteSubscription(
      DeleteSubscriptionRequest request, StreamObserver<DeleteSubscriptionResponse> responses) {
    respond(
        responses,
        () -> {
          String id = request.getId();
          SubscriptionRules.checkName("id", id);
          SubscriptionGroup group = groups.get(id);
          int connected = group == null ? 0 : group.consumerCount();
          if (connected > 0 && !request.getForce()) {
            throw Status.FAILED_PRECONDITION
                .withDescription(
                    "subscription '" + id + "' has " + connected + " consumer(s) connected to "
                        + "this gateway; disconnect them or delete with force")
                .asRuntimeException();
          }
          return catalog
              .delete(id)
              .thenApply(
                  position -> {
                    SubscriptionGroup now = groups.get(id);
                    if (now != null) {
                      now.close(
                          Status.NOT_FOUND
                              .withDescription("subscription '" + id + "' was deleted")
                              .asRuntimeException());
                    }
                    return DeleteSubscriptionResponse.newBuilder().setPosition(position).build();
                  });
        });
  }

  // ---- acks ----

  @Override
  public void ack(AckRequest request, StreamObserver<AckResponse> responses) {
    respond(
        responses,
        () -> {
          String id = request.getSubscriptionId();
          SubscriptionRules.checkName("subscription_id", id);
          SubscriptionRules.checkAcks(request.getAcksList());
          String txnId = request.getId().isEmpty() ? TxnRunner.newTxnId() : checkTxnId(request.getId());
          if (request.getAcksCount() == 0) {
            throw SubscriptionRules.invalid("acks is empty; name at least one record to acknowledge");
          }
          SortedMap<Long, TreeSet<Long>> byShard = new TreeMap<>();
          for (RecordId ack : request.getAcksList()) {
            byShard.computeIfAbsent(ack.getShardId(), k -> new TreeSet<>()).add(ack.getOffset());
          }
          List<Long> shardOrder = new ArrayList<>(byShard.keySet());
          return catalog
              .require(id)
              .thenCompose(
                  stored ->
                      checkRecordsExist(stored.subscription().getStream(), byShard)
                          .thenCompose(
                              ignored ->
                                  catalog.run(
                                      SubscriptionCatalog.ackTransaction(
                                          txnId, stored.subscription(), byShard))))
              .thenApply(
                  result -> {
                    requireAckCommitted(id, shardOrder, result);
                    SubscriptionGroup group = groups.get(id);
                    if (group != null) {
                      group.applyDurable(SubscriptionCatalog.postStates(result).values());
                    }
                    return AckResponse.newBuilder().setPosition(result.getPosition()).build();
                  });
        });
  }

  /**
   * Fails with INVALID_ARGUMENT when an ack names an offset the shard has not reached: the
   * executor would record it, and the record appended there later would then count as acked and
   * never be delivered. Shards the local store shows far enough along need no transaction; the
   * others are checked with one Get of their shard keys through the log (the store may lag).
   */
  private CompletableFuture<Void> checkRecordsExist(
      String stream, SortedMap<Long, TreeSet<Long>> byShard) {
    SortedMap<Long, Long> unsure = new TreeMap<>();
    for (var entry : byShard.entrySet()) {
      long highest = entry.getValue().last();
      boolean known =
          store != null
              && store
                  .shardState(stream, entry.getKey())
                  .map(view -> highest < view.end())
                  .orElse(false);
      if (!known) {
        unsure.put(entry.getKey(), highest);
      }
    }
    if (unsure.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    List<String> keys = new ArrayList<>();
    for (long shard : unsure.keySet()) {
      keys.add(StreamKeys.shard(stream, shard));
    }
    return reader
        .get(keys)
        .thenAccept(
            values -> {
              for (var entry : unsure.entrySet()) {
                long shard = entry.getKey();
                var value = values.get(StreamKeys.shard(stream, shard));
                if (value.isEmpty()) {
                  throw Status.NOT_FOUND
                      .withDescription("stream '" + stream + "' has no shard " + shard)
                      .asRuntimeException();
                }
                long next = value.get().getShard().getNextOffset();
                if (entry.getValue() >= next) {
                  throw SubscriptionRules.invalid(
                      "ack of shard " + shard + " offset " + entry.getValue()
                          + ": the shard has no record there yet (its next offset is " + next
                          + ")");
                }
              }
            });
  }

  private static void requireAckCommitted(String id, List<Long> shardOrder, TxnResult result) {
    if (result.getOutcome() == Outcome.ABORTED
        && result.getAbortReason() == AbortReason.NOT_FOUND) {
      int op = result.getFailedOpIndex();
      String shard = op >= 0 && op < shardOrder.size() ? " " + shardOrder.get(op) : "";
      throw Status.NOT_FOUND
          .withDescription(
              "subscription '" + id + "' has no progress for shard" + shard
                  + " (no such shard, or the subscription was deleted)")
          .asRuntimeException();
    }
    SubscriptionCatalog.requireCommitted(result, "acknowledging records of '" + id + "'");
  }

  private static String checkTxnId(String txnId) {
    if (txnId.length() > TXN_ID_LENGTH_MAX) {
      throw SubscriptionRules.invalid(
          "id is " + txnId.length() + " characters long; at most " + TXN_ID_LENGTH_MAX
              + " are allowed");
    }
    for (int i = 0; i < txnId.length(); i++) {
      char c = txnId.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == ':' || c == '-';
      if (!ok) {
        throw SubscriptionRules.invalid(
            "id has a character outside [A-Za-z0-9._:-] at index " + i);
      }
    }
    return txnId;
  }

  // ---- fetch ----

  @Override
  public StreamObserver<StreamingFetchRequest> streamingFetch(
      StreamObserver<StreamingFetchResponse> responses) {
    ServerCallStreamObserver<StreamingFetchResponse> out =
        (ServerCallStreamObserver<StreamingFetchResponse>) responses;
    SessionHolder holder = new SessionHolder();
    // Handlers must be set during this call; they act once the first request made a session.
    out.setOnReadyHandler(holder::onReady);
    out.setOnCancelHandler(holder::onGone);
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamingFetchRequest request) {
        if (holder.failed) {
          return;
        }
        try {
          ConsumerSession session = holder.session;
          if (session == null) {
            SubscriptionRules.checkName("subscription_id", request.getSubscriptionId());
            SubscriptionRules.checkName("consumer_name", request.getConsumerName());
            SubscriptionRules.checkAcks(request.getAcksList());
            session =
                new ConsumerSession(
                    request.getSubscriptionId(), request.getConsumerName(), out, true, 0);
            join(session);
            holder.session = session;
          } else {
            if (!request.getSubscriptionId().isEmpty()
                && !request.getSubscriptionId().equals(session.subscriptionId())) {
              throw SubscriptionRules.invalid(
                  "subscription_id '" + request.getSubscriptionId() + "' differs from '"
                      + session.subscriptionId() + "' named by the first request of this call");
            }
            if (!request.getConsumerName().isEmpty()
                && !request.getConsumerName().equals(session.name())) {
              throw SubscriptionRules.invalid(
                  "consumer_name '" + request.getConsumerName() + "' differs from '"
                      + session.name() + "' named by the first request of this call");
            }
            SubscriptionRules.checkAcks(request.getAcksList());
          }
          if (request.getAcksCount() > 0) {
            session.group().ack(request.getAcksList());
          }
        } catch (StatusRuntimeException e) {
          holder.failed = true;
          ConsumerSession session = holder.session;
          if (session != null) {
            // Leave first: a client that reconnects under the same consumer name as soon as it
            // sees the error must find the name free (and its unacked records due again), not
            // ALREADY_EXISTS from this call's session.
            holder.onGone();
            session.fail(e);
          } else {
            try {
              out.onError(e);
            } catch (RuntimeException ignored) {
              // The client is gone already.
            }
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        holder.onGone();
      }

      @Override
      public void onCompleted() {
        // The client half-closed: it will send no more acks, so end the call.
        ConsumerSession session = holder.session;
        holder.onGone();
        if (session != null) {
          session.complete();
        } else if (!holder.failed) {
          try {
            out.onCompleted();
          } catch (RuntimeException ignored) {
            // The client is gone already.
          }
        }
      }
    };
  }

  @Override
  public void fetch(FetchRequest request, StreamObserver<StreamingFetchResponse> responses) {
    ServerCallStreamObserver<StreamingFetchResponse> out =
        (ServerCallStreamObserver<StreamingFetchResponse>) responses;
    SessionHolder holder = new SessionHolder();
    out.setOnReadyHandler(holder::onReady);
    out.setOnCancelHandler(holder::onGone);
    try {
      SubscriptionRules.checkName("subscription_id", request.getSubscriptionId());
      SubscriptionRules.checkName("consumer_name", request.getConsumerName());
      if (request.getMaxRecords() < 0) {
        throw SubscriptionRules.invalid(
            "max_records must be >= 0 (0 = no limit), got " + request.getMaxRecords());
      }
      ConsumerSession session =
          new ConsumerSession(
              request.getSubscriptionId(),
              request.getConsumerName(),
              out,
              false,
              request.getMaxRecords());
      join(session);
      holder.session = session;
    } catch (StatusRuntimeException e) {
      out.onError(e);
    }
  }

  /** The session of one fetch call, once its first request made it. */
  private static final class SessionHolder {
    volatile ConsumerSession session;
    volatile boolean failed;

    void onReady() {
      ConsumerSession s = session;
      if (s != null && s.group() != null) {
        s.group().requestPump();
      }
    }

    void onGone() {
      ConsumerSession s = session;
      if (s != null && s.group() != null) {
        s.group().leave(s);
      }
    }
  }

  /** Adds {@code session} to its subscription's group on this gateway, making the group if needed. */
  private void join(ConsumerSession session) {
    String id = session.subscriptionId();
    if (store == null) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "this gateway has no local store (it was started without a data directory), so it "
                  + "cannot deliver records; fetch from a gateway with one")
          .asRuntimeException();
    }
    for (int attempt = 0; ; attempt++) {
      if (closed) {
        throw SubscriptionGroup.shuttingDown();
      }
      SubscriptionGroup group = groups.get(id);
      if (group == null) {
        if (groups.size() >= GROUPS_MAX) {
          throw Status.RESOURCE_EXHAUSTED
              .withDescription(
                  GROUPS_MAX + " subscriptions already have consumers on this gateway (the limit)")
              .asRuntimeException();
        }
        SubscriptionGroup[] made = new SubscriptionGroup[1];
        DeliveryLease lease =
            new DeliveryLease(
                id, leaseSettings, ownerProbe, catalog, reader, wallClockMs, leaseAcquisitions);
        made[0] =
            new SubscriptionGroup(
                id,
                catalog,
                reader,
                store,
                scheduler,
                nanoClock,
                lease,
                wallClockMs,
                () -> groups.remove(id, made[0]));
        group = groups.computeIfAbsent(id, k -> made[0]);
      }
      if (group.join(session)) {
        return;
      }
      // The group closed between the lookup and the join: drop it and make a new one.
      groups.remove(id, group);
      if (attempt > 100) {
        throw Status.UNAVAILABLE
            .withDescription("could not join subscription '" + id + "'; retry")
            .asRuntimeException();
      }
    }
  }

  /** Groups on this gateway (tests). */
  SubscriptionGroup group(String id) {
    return groups.get(id);
  }

  /** This gateway's instance id in its delivery leases. */
  String gatewayId() {
    return leaseSettings.gatewayId();
  }

  /**
   * Sets the gRPC address ({@code host:port}) this gateway's delivery leases advertise from now
   * on: a consumer refused by another gateway is told to connect there, and other gateways probe
   * it to tell a dead owner from a live one. Call once the gRPC server listens.
   *
   * @throws IllegalArgumentException if longer than {@value DeliveryLease#FIELD_LENGTH_MAX}
   *     characters
   */
  public void advertise(String address) {
    leaseSettings = leaseSettings.withAddress(Objects.requireNonNull(address, "address"));
  }

  /**
   * Ends every fetch call with UNAVAILABLE (pending acks are not written: their records will be
   * redelivered), releases the delivery leases (waiting at most {@value #RELEASE_WAIT_MS} ms; a
   * lease not released expires by itself) and stops the scheduler. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    List<CompletableFuture<Void>> releases = new ArrayList<>();
    for (SubscriptionGroup group : new ArrayList<>(groups.values())) {
      group.close(SubscriptionGroup.shuttingDown());
      releases.add(group.released());
    }
    try {
      CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new))
          .get(RELEASE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      LOG.info("not every delivery lease was released on close; they expire by themselves");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopScheduler();
    if (tcpProbe != null) {
      tcpProbe.close();
    }
  }

  /**
   * Stops this service as a crash would (tests): no call is ended, no lease released, so other
   * gateways must wait for the leases to expire.
   */
  void crashForTest() {
    closed = true;
    stopScheduler();
  }

  private void stopScheduler() {
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(2, TimeUnit.SECONDS)) {
        scheduler.shutdownNow();
      }
    } catch (InterruptedException e) {
      scheduler.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Runs {@code call} and completes {@code responses} with its value or status. */
  private static <T> void respond(
      StreamObserver<T> responses, java.util.function.Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> future;
    try {
      future = call.get();
    } catch (RuntimeException e) {
      responses.onError(SubscriptionGroup.statusOf(e));
      return;
    }
    future.whenComplete(
        (value, error) -> {
          if (error != null) {
            StatusRuntimeException status = SubscriptionGroup.statusOf(error);
            if (status.getStatus().getCode() == Status.Code.INTERNAL) {
              LOG.warn("subscriptions call failed", error);
            }
            responses.onError(status);
          } else {
            responses.onNext(value);
            responses.onCompleted();
          }
        });
  }
}
