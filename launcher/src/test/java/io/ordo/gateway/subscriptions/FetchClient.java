package io.ordo.gateway.subscriptions;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.StreamingFetchRequest;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.SubscriptionsGrpc;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A StreamingFetch consumer for tests: received records queue up; acks are sent on the call. */
final class FetchClient implements AutoCloseable {
  private final LinkedBlockingQueue<ReceivedRecord> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Status> ended = new CompletableFuture<>();
  private final StreamObserver<StreamingFetchRequest> requests;

  FetchClient(Channel channel, String subscription, String consumer) {
    requests =
        SubscriptionsGrpc.newStub(channel)
            .streamingFetch(
                new StreamObserver<>() {
                  @Override
                  public void onNext(StreamingFetchResponse value) {
                    received.addAll(value.getRecordsList());
                  }

                  @Override
                  public void onError(Throwable t) {
                    ended.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    ended.complete(Status.OK);
                  }
                });
    synchronized (this) {
      requests.onNext(
          StreamingFetchRequest.newBuilder()
              .setSubscriptionId(subscription)
              .setConsumerName(consumer)
              .build());
    }
  }

  /** The next record, or null after {@code timeoutMs}. */
  ReceivedRecord poll(long timeoutMs) throws InterruptedException {
    return received.poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Exactly {@code n} records, waiting at most {@code timeoutMs} in all; fewer when it runs out. */
  List<ReceivedRecord> take(int n, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    List<ReceivedRecord> out = new ArrayList<>();
    while (out.size() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      ReceivedRecord r = received.poll(left, TimeUnit.NANOSECONDS);
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /** Everything received within {@code ms} from now. */
  List<ReceivedRecord> drainFor(long ms) throws InterruptedException {
    Thread.sleep(ms);
    List<ReceivedRecord> out = new ArrayList<>();
    received.drainTo(out);
    return out;
  }

  synchronized void ack(Collection<ReceivedRecord> records) {
    StreamingFetchRequest.Builder request = StreamingFetchRequest.newBuilder();
    for (ReceivedRecord r : records) {
      request.addAcks(r.getId());
    }
    requests.onNext(request.build());
  }

  synchronized void ackIds(Collection<RecordId> ids) {
    requests.onNext(StreamingFetchRequest.newBuilder().addAllAcks(ids).build());
  }

  /** How the call ended; null if it has not ended within {@code timeoutMs}. */
  Status awaitEnd(long timeoutMs) throws Exception {
    try {
      return ended.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return null;
    }
  }

  /** Half-closes the call; the server then ends it. */
  @Override
  public synchronized void close() {
    if (!ended.isDone()) {
      try {
        requests.onCompleted();
      } catch (RuntimeException ignored) {
        // Already ended.
      }
    }
  }
}
