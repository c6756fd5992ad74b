package io.ordo.gateway.subscriptions;

import static io.ordo.gateway.subscriptions.SubscriptionsIT.RECEIVE_TIMEOUT_MS;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.appendToShard;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.await;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.createStream;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.createSubscription;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.payloads;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.subs;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.GatewayServer;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.gateway.core.OwnTxnRunner;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.DeleteSubscriptionRequest;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.Value;
import io.ordo.storage.ChangelogMaterializer;
import io.ordo.storage.MultiVersionStore;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One gateway at a time delivers a subscription ({@link DeliveryLease}), on one embedded Ordo
 * with a second {@link GatewayServer} on the same broker and executor: a fetch on the other
 * gateway is refused naming the owner; a released lease lets the other gateway deliver; after a
 * crash another gateway takes over with the unacked records, at once when nothing answers at the
 * owner's address and after the lease expired when it advertised none; an owner whose
 * lease was taken ends its calls with UNAVAILABLE; deleting the subscription deletes the lease.
 * The crashing gateway is a {@link SubscriptionsService} with a 1.5 s lease, its own store and
 * changelog materializer, served in-process (a GatewayServer always uses the default lease and
 * releases on close).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SubscriptionLeaseIT {
  private static final long SHORT_LEASE_MS = 1_500;

  @TempDir static Path dir;

  private static EmbeddedOrdo ordo;
  private static ManagedChannel channelA;
  private static GatewayServer gatewayB;
  private static ManagedChannel channelB;
  private static OwnTxnRunner own;
  private static TxnRunner runner;
  private static StreamMetadataReader reader;

  @BeforeAll
  static void start() throws Exception {
    ordo = EmbeddedOrdo.start(SubscriptionsIT.options(dir));
    ordo.awaitServing(Duration.ofSeconds(60));
    channelA = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
    gatewayB =
        GatewayServer.start(
            GatewayConfig.defaults(ordo.bootstrapServers(), ordo.topics())
                .withPorts(0, 0)
                .withPgPort(GatewayConfig.NO_PG_PORT)
                .withDataDir(Files.createDirectories(dir.resolve("second-gateway"))));
    channelB =
        ManagedChannelBuilder.forAddress("127.0.0.1", gatewayB.grpcPort()).usePlaintext().build();
    // Appends the short-lease gateway's transactions.
    own = OwnTxnRunner.start(ordo, "lease-it", 30_000, 100, 2);
    runner = own.runner();
    reader = new StreamMetadataReader(runner);
  }

  @AfterAll
  static void stop() throws Exception {
    if (own != null) {
      own.close();
    }
    for (ManagedChannel channel : new ManagedChannel[] {channelA, channelB}) {
      if (channel != null) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    if (gatewayB != null) {
      gatewayB.close();
    }
    if (ordo != null) {
      ordo.close();
    }
  }

  @Test
  void theSecondGatewayIsRefusedWhileTheFirstDeliversAndDeliversOnceItReleased() throws Exception {
    createStream(channelA, "lease-s", 1);
    createSubscription(channelA, "lease-sub", "lease-s", 0, 0);
    appendToShard(channelA, "lease-s", 0, "k", 0, 3);
    try (FetchClient onA = new FetchClient(channelA, "lease-sub", "a")) {
      List<ReceivedRecord> got = onA.take(3, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(got)).containsExactly("k:0", "k:1", "k:2");
      DeliveryLease.Holder owner = lease("lease-sub").orElseThrow();

      FetchClient onB = new FetchClient(channelB, "lease-sub", "b");
      Status refused = onB.awaitEnd(RECEIVE_TIMEOUT_MS);
      assertThat(refused).isNotNull();
      assertThat(refused.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(refused.getDescription())
          .contains("subscription 'lease-sub' is being delivered by gateway " + owner.gatewayId())
          .contains("connect there or retry after the lease expires");
      // A stays the owner and goes on delivering.
      appendToShard(channelA, "lease-s", 0, "k", 3, 4);
      List<ReceivedRecord> more = onA.take(1, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(more)).containsExactly("k:3");
      onA.ack(got);
      onA.ack(more);
      await("the acks to become durable", 10_000,
          () -> SubscriptionsIT.floors(channelA, "lease-sub").equals(java.util.Map.of(0L, 4L)));
    }
    // The last consumer left A: its group closes and releases the lease.
    await("A to release the lease", 10_000, () -> lease("lease-sub").isEmpty());
    appendToShard(channelA, "lease-s", 0, "k", 4, 6);
    try (FetchClient onB = new FetchClient(channelB, "lease-sub", "b")) {
      assertThat(payloads(onB.take(2, RECEIVE_TIMEOUT_MS))).containsExactly("k:4", "k:5");
      DeliveryLease.Holder owner = lease("lease-sub").orElseThrow();
      // Now A is the one refused, naming B.
      FetchClient onA = new FetchClient(channelA, "lease-sub", "a");
      Status refused = onA.awaitEnd(RECEIVE_TIMEOUT_MS);
      assertThat(refused).as("A's fetch ended").isNotNull();
      assertThat(refused.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(refused.getDescription()).contains("by gateway " + owner.gatewayId());
      assertThat(onB.drainFor(300)).isEmpty();
    }
  }

  @Test
  void afterAnOwnerWithoutAddressCrashesTheLeaseExpiresAndAnotherGatewayRedeliversTheUnackedRecords()
      throws Exception {
    crashAndTakeOver("crash", false);
  }

  @Test
  void afterAnOwnerWithAnAddressCrashesAnotherGatewayTakesOverAtOnceWithTheUnackedRecords()
      throws Exception {
    crashAndTakeOver("gone", true);
  }

  /**
   * A gateway delivers, is refused elsewhere while it lives, crashes; gateway A then redelivers
   * what was not acked: after the lease expired when the owner advertised no address, at once
   * (its address refuses connections, its 60 s lease far from expired) when it did.
   */
  private static void crashAndTakeOver(String prefix, boolean withAddress) throws Exception {
    String stream = prefix + "-s";
    String sub = prefix + "-sub";
    createStream(channelA, stream, 2);
    createSubscription(channelA, sub, stream, 0, 0);
    appendToShard(channelA, stream, 0, "a", 0, 3);
    appendToShard(channelA, stream, 1, "b", 0, 2);
    long leaseMs = withAddress ? 60_000 : SHORT_LEASE_MS;
    try (ShortLeaseGateway crashing =
        new ShortLeaseGateway(dir.resolve(prefix + "-gateway"), withAddress, leaseMs)) {
      FetchClient onCrashing = new FetchClient(crashing.channel, sub, "c");
      List<ReceivedRecord> got = onCrashing.take(5, RECEIVE_TIMEOUT_MS);
      assertThat(payloads(got)).containsExactlyInAnyOrder("a:0", "a:1", "a:2", "b:0", "b:1");
      onCrashing.ack(got.stream().filter(r -> payloads(List.of(r)).get(0).equals("a:0")).toList());
      await("the ack of a:0 to become durable", 10_000,
          () -> SubscriptionsIT.floors(channelA, sub).equals(java.util.Map.of(0L, 1L, 1L, 0L)));
      // Outlives several renewals of the short lease.
      Thread.sleep(2 * SHORT_LEASE_MS);
      DeliveryLease.Holder owner = lease(sub).orElseThrow();
      assertThat(owner.gatewayId()).isEqualTo(crashing.service.gatewayId());
      assertThat(owner.address()).isEqualTo(crashing.address);
      assertThat(owner.expiresAtMs()).as("renewed").isGreaterThan(System.currentTimeMillis());

      // While the owner lives (its address accepts connections), A refuses, naming it.
      FetchClient refusedOnA = new FetchClient(channelA, sub, "a");
      Status refused = refusedOnA.awaitEnd(RECEIVE_TIMEOUT_MS);
      assertThat(refused).as("A's fetch ended").isNotNull();
      assertThat(refused.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(refused.getDescription())
          .contains("by gateway " + crashing.service.gatewayId() + " ("
              + (withAddress ? crashing.address : "address unknown") + ")");

      crashing.crash();
      long crashedAtMs = System.currentTimeMillis();
      List<ReceivedRecord> redelivered = List.of();
      int refusals = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (redelivered.isEmpty()) {
        assertThat(System.nanoTime() - deadline).as("A took over in time").isNegative();
        FetchClient onA = new FetchClient(channelA, sub, "a");
        List<ReceivedRecord> first = onA.take(1, 1_000);
        if (first.isEmpty()) {
          Status ended = onA.awaitEnd(5_000);
          assertThat(ended).as("a fetch that delivers nothing was refused").isNotNull();
          assertThat(ended.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          refusals++;
          Thread.sleep(200);
          continue;
        }
        long tookOverAtMs = System.currentTimeMillis();
        if (withAddress) {
          assertThat(refusals).as("no refusal once the owner's address is dead").isZero();
          assertThat(tookOverAtMs).as("long before the lease expires").isLessThan(owner.expiresAtMs());
        } else {
          assertThat(tookOverAtMs).isGreaterThanOrEqualTo(owner.expiresAtMs());
        }
        List<ReceivedRecord> rest = onA.take(3, RECEIVE_TIMEOUT_MS);
        redelivered = new java.util.ArrayList<>(first);
        redelivered.addAll(rest);
        assertThat(onA.drainFor(300)).isEmpty();
        onA.close();
      }
      assertThat(payloads(redelivered)).containsExactlyInAnyOrder("a:1", "a:2", "b:0", "b:1");
      assertThat(System.currentTimeMillis() - crashedAtMs).isLessThan(30_000);
    }
  }

  @Test
  void anOwnerWhoseLeaseWasTakenEndsItsCallsWithUnavailable() throws Exception {
    createStream(channelA, "lost-s", 1);
    createSubscription(channelA, "lost-sub", "lost-s", 0, 0);
    appendToShard(channelA, "lost-s", 0, "k", 0, 1);
    try (ShortLeaseGateway owner =
        new ShortLeaseGateway(dir.resolve("losing-gateway"), false, SHORT_LEASE_MS)) {
      FetchClient consumer = new FetchClient(owner.channel, "lost-sub", "c");
      assertThat(consumer.take(1, RECEIVE_TIMEOUT_MS)).hasSize(1);
      // As if another gateway had found the lease expired (the owner paused) and taken it.
      DeliveryLease.Holder thief =
          new DeliveryLease.Holder("gw-thief", "thief:1", System.currentTimeMillis() + 60_000, 1);
      Transaction steal =
          Transaction.newBuilder()
              .setId(TxnRunner.newTxnId())
              .addOps(Operation.newBuilder().setKey(StreamKeys.subscriptionOwner("lost-sub"))
                  .setPut(Put.newBuilder().setValue(thief.value())))
              .build();
      assertThat(runner.execute(steal, 30_000).get(30, TimeUnit.SECONDS).getOutcome())
          .isEqualTo(Outcome.COMMITTED);
      Status ended = consumer.awaitEnd(RECEIVE_TIMEOUT_MS);
      assertThat(ended).isNotNull();
      assertThat(ended.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(ended.getDescription()).contains("was taken by gateway gw-thief (thief:1)");
      // The loser does not delete the thief's lease; deleting the subscription does.
      Thread.sleep(SHORT_LEASE_MS);
      assertThat(lease("lost-sub")).contains(thief);
      subs(channelA).deleteSubscription(DeleteSubscriptionRequest.newBuilder().setId("lost-sub").build());
      assertThat(lease("lost-sub")).isEmpty();
    }
  }

  // ---- helpers ----

  /** The delivery lease of {@code id}, read through the log. */
  private static Optional<DeliveryLease.Holder> lease(String id) {
    try {
      Optional<Value> raw =
          reader.get(List.of(StreamKeys.subscriptionOwner(id))).get(30, TimeUnit.SECONDS)
              .get(StreamKeys.subscriptionOwner(id));
      if (raw.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(DeliveryLease.Holder.decode(raw.get().getBytes()));
    } catch (Exception e) {
      throw new AssertionError("reading the lease of " + id, e);
    }
  }

  /**
   * A gateway's subscriptions service with its own lease length and store, served in-process;
   * with an address, a TCP listener on a free loopback port stands for its gRPC port (accepting
   * while it lives, closed by {@link #crash}).
   */
  private static final class ShortLeaseGateway implements AutoCloseable {
    final MultiVersionStore store;
    final ChangelogMaterializer materializer;
    final SubscriptionsService service;
    final Server server;
    final ManagedChannel channel;
    final String address;
    private final ServerSocket listener;
    private boolean crashed;

    ShortLeaseGateway(Path storeDir, boolean withAddress, long leaseMs) throws Exception {
      store = MultiVersionStore.open(Files.createDirectories(storeDir));
      materializer =
          new ChangelogMaterializer(ordo.bootstrapServers(), ordo.topics().changelogTopic(), store);
      materializer.start();
      listener = withAddress ? new ServerSocket(0, 50, InetAddress.getLoopbackAddress()) : null;
      address = withAddress ? "127.0.0.1:" + listener.getLocalPort() : "";
      service =
          new SubscriptionsService(
              runner,
              reader,
              store,
              new DeliveryLease.Settings("gw-short-" + UUID.randomUUID(), address, leaseMs));
      String name = "lease-it-" + UUID.randomUUID();
      server = InProcessServerBuilder.forName(name).addService(service).build().start();
      channel = InProcessChannelBuilder.forName(name).build();
    }

    /** Stops delivering without ending calls or releasing leases. */
    void crash() throws Exception {
      crashed = true;
      if (listener != null) {
        listener.close();
      }
      service.crashForTest();
      channel.shutdownNow();
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
      if (!crashed) {
        service.close();
        channel.shutdownNow();
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
      if (listener != null) {
        listener.close();
      }
      materializer.close();
      store.close();
    }
  }
}
