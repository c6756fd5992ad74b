package io.ordo.gateway.subscriptions;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.ordo.proto.StreamingFetchResponse;
import java.util.Objects;

/**
 * One connected consumer: a StreamingFetch or Fetch call of a subscription on this gateway. Its
 * outbound stream is used only under this object's monitor, so the group's pump, a failing load
 * and the call's own handlers never write to it concurrently (gRPC observers are not
 * thread-safe).
 */
final class ConsumerSession {
  private final String subscriptionId;
  private final String name;
  private final ServerCallStreamObserver<StreamingFetchResponse> out;
  private final boolean acksOnStream;
  private final long maxRecords;
  private long delivered; // guarded by this
  private boolean finished; // guarded by this
  private volatile SubscriptionGroup group;

  /**
   * @param acksOnStream true for StreamingFetch (acks arrive on the call, so its unacked records
   *     are redelivered as soon as it leaves); false for Fetch (acks come by Ack, so its records
   *     keep their ack deadline after the call ends)
   * @param maxRecords records after which the call completes; 0 = no limit
   */
  ConsumerSession(
      String subscriptionId,
      String name,
      ServerCallStreamObserver<StreamingFetchResponse> out,
      boolean acksOnStream,
      long maxRecords) {
    this.subscriptionId = Objects.requireNonNull(subscriptionId, "subscriptionId");
    this.name = Objects.requireNonNull(name, "name");
    this.out = Objects.requireNonNull(out, "out");
    this.acksOnStream = acksOnStream;
    if (maxRecords < 0) {
      throw new IllegalArgumentException("maxRecords must be >= 0, got " + maxRecords);
    }
    this.maxRecords = maxRecords;
  }

  String subscriptionId() {
    return subscriptionId;
  }

  String name() {
    return name;
  }

  boolean acksOnStream() {
    return acksOnStream;
  }

  SubscriptionGroup group() {
    return group;
  }

  void attach(SubscriptionGroup group) {
    this.group = group;
  }

  /** Whether the call can take a message now without buffering beyond gRPC's flow-control window. */
  synchronized boolean ready() {
    return !finished && !out.isCancelled() && out.isReady();
  }

  synchronized boolean finished() {
    return finished || out.isCancelled();
  }

  /** Records this call may still receive (Long.MAX_VALUE when unlimited); 0 when done. */
  synchronized long remaining() {
    if (finished) {
      return 0;
    }
    return maxRecords == 0 ? Long.MAX_VALUE : Math.max(0, maxRecords - delivered);
  }

  /** Sends one message; returns false when the call has ended meanwhile. */
  synchronized boolean send(StreamingFetchResponse message) {
    if (finished || out.isCancelled()) {
      return false;
    }
    try {
      out.onNext(message);
    } catch (RuntimeException e) {
      // The call was cancelled between the check and the send.
      finished = true;
      return false;
    }
    delivered += message.getRecordsCount();
    return true;
  }

  /** Ends the call normally (Fetch reached max_records, or the client half-closed). */
  synchronized void complete() {
    if (finished) {
      return;
    }
    finished = true;
    try {
      out.onCompleted();
    } catch (RuntimeException ignored) {
      // Already cancelled by the client: nothing to tell it.
    }
  }

  /** Ends the call with {@code error} (a status; anything else becomes INTERNAL). */
  synchronized void fail(Throwable error) {
    if (finished) {
      return;
    }
    finished = true;
    StatusRuntimeException status =
        error instanceof StatusRuntimeException s
            ? s
            : Status.INTERNAL.withDescription(String.valueOf(error)).withCause(error).asRuntimeException();
    try {
      out.onError(status);
    } catch (RuntimeException ignored) {
      // Already cancelled by the client: nothing to tell it.
    }
  }

  @Override
  public String toString() {
    return "consumer '" + name + "' of subscription '" + subscriptionId + "'";
  }
}
