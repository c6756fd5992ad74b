package io.ordo.gateway.subscriptions;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.gateway.core.LeaseTakeover;
import io.ordo.gateway.core.OwnerProbe;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamKeys;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.Delete;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The lease that makes one gateway at a time deliver a subscription. Consumer groups live in the
 * gateway their consumers connect to ({@link SubscriptionGroup}); without this lease, consumers
 * of one subscription on two gateways would each be dealt every shard (silent double delivery).
 *
 * <p>The lease is the key {@link StreamKeys#subscriptionOwner} holding bytes of a {@link Holder}:
 * the owning gateway's instance id (random per start), its gRPC address when known, the expiry in
 * epoch milliseconds, and an acquisition number (unique per group on that gateway, so a group's
 * release never deletes the lease a later group on the same gateway took). Every change is an
 * OLLP transaction through the log that asserts the value it read (or its absence):
 *
 * <ul>
 *   <li>{@link #acquire}: when a group is made. Absent, expired, or held by this gateway (an
 *       earlier group of it, closed) → Put a new holder, asserting the subscription's metadata
 *       too, so no lease is left behind by a subscription deleted meanwhile. Held by another
 *       gateway instance and unexpired ({@link #takeover}): taken at once if that instance
 *       advertised this gateway's own address (an earlier run of it) or if nothing accepts a
 *       connection at its address ({@link OwnerProbe}: killed, host down), so consumers that
 *       move to another gateway resume within about a second, not after the lease; otherwise,
 *       and when its address is unknown, FAILED_PRECONDITION naming it and its address.
 *   <li>{@link #renew}: every {@code leaseMs / 3} while the group lives: Put a later expiry,
 *       asserting the value last written.
 *   <li>{@link #release}: when the group closes: Delete, asserting the value read, if it is still
 *       this group's.
 * </ul>
 *
 * <p><b>Clocks.</b> Expiry is wall-clock time: the owner writes {@code now + leaseMs} by its
 * clock, and another gateway compares it with its own. This is a gateway-side lease and decides
 * nothing the executor outputs; it assumes the gateways' clocks differ by much less than the
 * lease (15 s by default). A skew of {@code d} lets another gateway take over up to {@code d}
 * early, i.e. both deliver for up to {@code d}: records may be delivered twice, which
 * at-least-once delivery allows, and none is lost because progress only moves by durable acks.
 * The owner stops delivering once its own clock passes the expiry it last wrote durably, until a
 * renewal succeeds, so a paused gateway does not deliver on a lease it may have lost.
 *
 * <p>Thread-safe: the methods only start transactions; their futures complete on the runner's
 * executor.
 */
final class DeliveryLease {
  /** Default lease length, in milliseconds. */
  static final long LEASE_MS_DEFAULT = 15_000;

  /** Shortest lease accepted, in milliseconds (renewal runs every third of it). */
  static final long LEASE_MS_MIN = 300;

  /** Longest lease accepted, in milliseconds. */
  static final long LEASE_MS_MAX = 10 * 60_000;

  /** Longest gateway id and address written into a lease, in characters. */
  static final int FIELD_LENGTH_MAX = 256;

  /**
   * Who this gateway is, and how long its leases last.
   *
   * @param gatewayId this gateway's instance id, 1..{@value #FIELD_LENGTH_MAX} characters,
   *     different for every start
   * @param address this gateway's advertised gRPC address ({@code host:port}), or empty when
   *     unknown; at most {@value #FIELD_LENGTH_MAX} characters
   * @param leaseMs lease length in milliseconds, {@value #LEASE_MS_MIN}..{@value #LEASE_MS_MAX}
   */
  record Settings(String gatewayId, String address, long leaseMs) {
    Settings {
      Objects.requireNonNull(gatewayId, "gatewayId");
      Objects.requireNonNull(address, "address");
      if (gatewayId.isEmpty() || gatewayId.length() > FIELD_LENGTH_MAX) {
        throw new IllegalArgumentException(
            "gatewayId must have 1.." + FIELD_LENGTH_MAX + " characters, got " + gatewayId.length());
      }
      if (address.length() > FIELD_LENGTH_MAX) {
        throw new IllegalArgumentException(
            "address must have at most " + FIELD_LENGTH_MAX + " characters, got " + address.length());
      }
      if (leaseMs < LEASE_MS_MIN || leaseMs > LEASE_MS_MAX) {
        throw new IllegalArgumentException(
            "leaseMs must be in " + LEASE_MS_MIN + ".." + LEASE_MS_MAX + ", got " + leaseMs);
      }
    }

    /** A fresh random instance id, no known address, the default lease. */
    static Settings defaults() {
      return new Settings("gw-" + UUID.randomUUID(), "", LEASE_MS_DEFAULT);
    }

    /** These settings with another advertised address (checked like the constructor's). */
    Settings withAddress(String address) {
      return new Settings(gatewayId, address, leaseMs);
    }

    /** Period of renewal, in milliseconds. */
    long renewEveryMs() {
      return leaseMs / 3;
    }
  }

  /**
   * One lease value. Encoded in protobuf wire format as fields 1 (gateway_id, string), 2
   * (address, string), 3 (expires_at_ms, int64) and 4 (acquisition, int64), so a proto message
   * with those fields reads it.
   */
  record Holder(String gatewayId, String address, long expiresAtMs, long acquisition) {
    ByteString encode() {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      try {
        out.writeString(1, gatewayId);
        if (!address.isEmpty()) {
          out.writeString(2, address);
        }
        out.writeInt64(3, expiresAtMs);
        out.writeInt64(4, acquisition);
        out.flush();
      } catch (IOException e) {
        throw new IllegalStateException("encoding to memory cannot fail", e);
      }
      return ByteString.copyFrom(bytes.toByteArray());
    }

    Value value() {
      return Value.newBuilder().setBytes(encode()).build();
    }

    /** Decodes a lease; unknown fields are skipped. */
    static Holder decode(ByteString bytes) throws IOException {
      CodedInputStream in = bytes.newCodedInput();
      String gatewayId = "";
      String address = "";
      long expiresAtMs = 0;
      long acquisition = 0;
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> gatewayId = in.readString();
          case 2 -> address = in.readString();
          case 3 -> expiresAtMs = in.readInt64();
          case 4 -> acquisition = in.readInt64();
          default -> in.skipField(tag);
        }
      }
      return new Holder(gatewayId, address, expiresAtMs, acquisition);
    }

    /** "gateway <id> (<address>)", for messages. */
    String describe() {
      return "gateway " + gatewayId + " (" + (address.isEmpty() ? "address unknown" : address) + ")";
    }
  }

  /**
   * Decides how to treat {@code current}, an unexpired lease of another gateway instance, when
   * this gateway ({@code mine}) wants to deliver ({@link LeaseTakeover#decide}).
   */
  static LeaseTakeover takeover(Holder current, Settings mine) {
    return LeaseTakeover.decide(current.address(), mine.address());
  }

  private final String id;
  private final Settings settings;
  private final OwnerProbe probe;
  private final SubscriptionCatalog catalog;
  private final StreamMetadataReader reader;
  private final LongSupplier wallClockMs;
  private final AtomicLong acquisitions;
  private final String key;

  /**
   * @param id the subscription
   * @param probe tells whether another lease holder's gateway still answers at its address
   * @param acquisitions counter shared by the groups of one gateway, for acquisition numbers
   * @param wallClockMs epoch milliseconds
   */
  DeliveryLease(
      String id,
      Settings settings,
      OwnerProbe probe,
      SubscriptionCatalog catalog,
      StreamMetadataReader reader,
      LongSupplier wallClockMs,
      AtomicLong acquisitions) {
    this.id = id;
    this.settings = settings;
    this.probe = Objects.requireNonNull(probe, "probe");
    this.catalog = catalog;
    this.reader = reader;
    this.wallClockMs = wallClockMs;
    this.acquisitions = acquisitions;
    this.key = StreamKeys.subscriptionOwner(id);
  }

  Settings settings() {
    return settings;
  }

  /** Whether {@code holder} is this gateway's (any of its groups). */
  boolean isThisGateway(Holder holder) {
    return holder.gatewayId().equals(settings.gatewayId());
  }

  /**
   * Takes the lease for a new group.
   *
   * @return (in the future) the holder written
   * @throws StatusRuntimeException (in the future) FAILED_PRECONDITION when another gateway holds
   *     an unexpired lease, NOT_FOUND when the subscription does not exist, ABORTED after
   *     {@value SubscriptionCatalog#OLLP_ATTEMPTS_MAX} lost races, INTERNAL for a lease that
   *     does not parse, and the runner's statuses
   */
  CompletableFuture<Holder> acquire() {
    return acquireAttempt(acquisitions.incrementAndGet(), 1);
  }

  private CompletableFuture<Holder> acquireAttempt(long acquisition, int attempt) {
    String subKey = StreamKeys.subscription(id);
    return reader
        .get(List.of(subKey, key))
        .thenCompose(
            read -> {
              Optional<Value> sub = read.get(subKey);
              if (sub.isEmpty()) {
                throw SubscriptionCatalog.notFound(id);
              }
              Optional<Value> raw = read.get(key);
              if (raw.isPresent()) {
                Holder current = parse(raw.get());
                if (!isThisGateway(current) && current.expiresAtMs() > wallClockMs.getAsLong()) {
                  return switch (takeover(current, settings)) {
                    case REFUSE -> throw heldElsewhere(current);
                    case TAKE -> write(subKey, sub, raw, acquisition, attempt);
                    case PROBE ->
                        probe
                            .answers(current.address())
                            .thenCompose(
                                answers -> {
                                  if (answers) {
                                    throw heldElsewhere(current);
                                  }
                                  // Nothing listens where the owner said it serves: it is gone
                                  // (killed, host down) or cut off; either way waiting out its
                                  // lease only delays delivery. Taking over early is safe under
                                  // at-least-once: progress moves only by durable acks, and an
                                  // owner that is alive after all loses the lease at its next
                                  // renewal (whose assert fails) and ends its calls.
                                  return write(subKey, sub, raw, acquisition, attempt);
                                });
                  };
                }
              }
              return write(subKey, sub, raw, acquisition, attempt);
            });
  }

  /** Puts this group's holder, asserting the subscription and the lease value read. */
  private CompletableFuture<Holder> write(
      String subKey, Optional<Value> sub, Optional<Value> raw, long acquisition, int attempt) {
    Holder mine =
        new Holder(
            settings.gatewayId(),
            settings.address(),
            wallClockMs.getAsLong() + settings.leaseMs(),
            acquisition);
    Transaction txn =
        Transaction.newBuilder()
            .setId(TxnRunner.newTxnId())
            .addOps(StreamMetadataReader.assertUnchanged(subKey, sub))
            .addOps(StreamMetadataReader.assertUnchanged(key, raw))
            .addOps(put(mine))
            .build();
    return catalog
        .run(txn, SubscriptionGroup.TXN_WAIT_MS)
        .thenCompose(
            result -> {
              if (SubscriptionCatalog.isAssertFailed(result)
                  && attempt < SubscriptionCatalog.OLLP_ATTEMPTS_MAX) {
                return acquireAttempt(acquisition, attempt + 1);
              }
              SubscriptionCatalog.requireCommitted(
                  result, "taking the delivery lease of subscription '" + id + "'");
              return CompletableFuture.completedFuture(mine);
            });
  }

  /** The outcome of a renewal. */
  sealed interface Renewal {
    /** The lease is this group's until {@code holder.expiresAtMs()}. */
    record Held(Holder holder) implements Renewal {}

    /** Another gateway (or nobody: released, subscription deleted) has the lease now. */
    record Lost(Optional<Holder> now) implements Renewal {}
  }

  /**
   * Extends {@code held} (the value this group last wrote) to now + lease. When the assert fails
   * the key is read again: a value of this group (an earlier renewal whose outcome was unknown
   * committed after all) is kept and renewed on the next round; anything else means the lease
   * was lost.
   *
   * @throws StatusRuntimeException (in the future) the runner's statuses when the outcome is
   *     unknown; the caller retries on its next round
   */
  CompletableFuture<Renewal> renew(Holder held) {
    Holder next =
        new Holder(
            held.gatewayId(),
            held.address(),
            wallClockMs.getAsLong() + settings.leaseMs(),
            held.acquisition());
    Transaction txn =
        Transaction.newBuilder()
            .setId(TxnRunner.newTxnId())
            .addOps(StreamMetadataReader.assertUnchanged(key, Optional.of(held.value())))
            .addOps(put(next))
            .build();
    return catalog
        .run(txn, SubscriptionGroup.TXN_WAIT_MS)
        .thenCompose(
            result -> {
              if (result.getOutcome() == Outcome.COMMITTED) {
                return CompletableFuture.completedFuture((Renewal) new Renewal.Held(next));
              }
              if (!SubscriptionCatalog.isAssertFailed(result)) {
                SubscriptionCatalog.requireCommitted(
                    result, "renewing the delivery lease of subscription '" + id + "'");
              }
              return reader
                  .get(List.of(key))
                  .thenApply(
                      read -> {
                        Optional<Holder> now = read.get(key).map(DeliveryLease.this::parse);
                        if (now.isPresent() && sameGroup(now.get(), held)) {
                          return new Renewal.Held(now.get());
                        }
                        return new Renewal.Lost(now);
                      });
            });
  }

  /**
   * Deletes the lease if it is still the one of the group that took {@code held} (same gateway,
   * same acquisition; any expiry). Completes normally when it is not (nothing to release).
   */
  CompletableFuture<Void> release(Holder held) {
    return releaseAttempt(held, 1);
  }

  private CompletableFuture<Void> releaseAttempt(Holder held, int attempt) {
    return reader
        .get(List.of(key))
        .thenCompose(
            read -> {
              Optional<Value> raw = read.get(key);
              if (raw.isEmpty() || !sameGroup(parse(raw.get()), held)) {
                return CompletableFuture.completedFuture(null);
              }
              Transaction txn =
                  Transaction.newBuilder()
                      .setId(TxnRunner.newTxnId())
                      .addOps(StreamMetadataReader.assertUnchanged(key, raw))
                      .addOps(
                          Operation.newBuilder().setKey(key).setDelete(Delete.getDefaultInstance()))
                      .build();
              return catalog
                  .run(txn, SubscriptionGroup.TXN_WAIT_MS)
                  .thenCompose(
                      (TxnResult result) -> {
                        if (SubscriptionCatalog.isAssertFailed(result)
                            && attempt < SubscriptionCatalog.OLLP_ATTEMPTS_MAX) {
                          return releaseAttempt(held, attempt + 1);
                        }
                        SubscriptionCatalog.requireCommitted(
                            result, "releasing the delivery lease of subscription '" + id + "'");
                        return CompletableFuture.<Void>completedFuture(null);
                      });
            });
  }

  private static boolean sameGroup(Holder a, Holder b) {
    return a.gatewayId().equals(b.gatewayId()) && a.acquisition() == b.acquisition();
  }

  /** FAILED_PRECONDITION naming the gateway that delivers the subscription. */
  StatusRuntimeException heldElsewhere(Holder holder) {
    return Status.FAILED_PRECONDITION
        .withDescription(
            "subscription '" + id + "' is being delivered by " + holder.describe() + " until "
                + Instant.ofEpochMilli(holder.expiresAtMs())
                + "; connect there or retry after the lease expires")
        .asRuntimeException();
  }

  private Operation put(Holder holder) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(holder.value())).build();
  }

  private Holder parse(Value value) {
    if (value.getKindCase() != Value.KindCase.BYTES) {
      throw Status.INTERNAL
          .withDescription(
              "the delivery lease of subscription '" + id + "' holds a " + value.getKindCase())
          .asRuntimeException();
    }
    try {
      return Holder.decode(value.getBytes());
    } catch (IOException e) {
      throw Status.INTERNAL
          .withDescription(
              "the delivery lease of subscription '" + id + "' does not parse: " + e.getMessage())
          .asRuntimeException();
    }
  }
}
