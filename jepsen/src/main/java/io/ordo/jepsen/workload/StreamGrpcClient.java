package io.ordo.jepsen.workload;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.GetSubscriptionRequest;
import io.ordo.proto.ListConsumersRequest;
import io.ordo.proto.ListConsumersResponse;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.StreamingFetchRequest;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.SubscriptionDetail;
import io.ordo.proto.SubscriptionsGrpc;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A {@link StreamClient} over one plaintext gRPC channel to a gateway ({@code host:port}).
 *
 * <p>Unary calls wait for the channel to be ready within their deadline, as {@link GrpcTxnClient}
 * does, and reset the reconnect backoff after DEADLINE_EXCEEDED or UNAVAILABLE so that a gateway
 * that is back is found quickly.
 *
 * <p>A consumer is one StreamingFetch call with manual inbound flow control: it asks the gateway
 * for one message at a time and the next only once the owner has taken it, so at most {@value
 * #MESSAGES_BUFFERED_MAX} messages (each at most 500 records, see the gateway) wait in memory;
 * the gateway holds back the rest (it sends only while the call is ready).
 */
public final class StreamGrpcClient implements StreamClient, AutoCloseable {
  /** How long {@link #close} waits for in-flight calls to end, in milliseconds. */
  public static final long SHUTDOWN_WAIT_MS = 5_000;
  /** How long closing a consumer waits for the gateway to end the call after the half-close, in ms. */
  static final long CONSUMER_CLOSE_WAIT_MS = 1_000;
  /** Messages a consumer asks for before its owner takes one. */
  static final int MESSAGES_BUFFERED_MAX = 2;
  /** Acks per StreamingFetch request (the gateway accepts 10000). */
  static final int ACKS_PER_REQUEST_MAX = 5_000;

  private final ManagedChannel channel;
  private final StreamsGrpc.StreamsBlockingStub streams;
  private final SubscriptionsGrpc.SubscriptionsBlockingStub subscriptions;
  private final SubscriptionsGrpc.SubscriptionsStub subscriptionsAsync;

  private StreamGrpcClient(ManagedChannel channel) {
    this.channel = channel;
    this.streams = StreamsGrpc.newBlockingStub(channel);
    this.subscriptions = SubscriptionsGrpc.newBlockingStub(channel);
    this.subscriptionsAsync = SubscriptionsGrpc.newStub(channel);
  }

  /**
   * Opens a channel to {@code target}; connecting is lazy.
   *
   * @param target {@code host:port} of the gateway's gRPC port
   * @throws IllegalArgumentException if the target is blank
   */
  public static StreamGrpcClient connect(String target) {
    Objects.requireNonNull(target, "target");
    if (target.isBlank()) {
      throw new IllegalArgumentException("gRPC target must be host:port, got a blank string");
    }
    return new StreamGrpcClient(ManagedChannelBuilder.forTarget(target).usePlaintext().build());
  }

  @Override
  public void createStream(CreateStreamRequest request, long deadlineMs) {
    unary(deadlineMs, streams, s -> s.createStream(request));
  }

  @Override
  public ListShardsResponse listShards(String stream, long deadlineMs) {
    return unary(deadlineMs, streams, s -> s.listShards(ListShardsRequest.newBuilder().setStream(stream).build()));
  }

  @Override
  public SplitShardResponse splitShard(SplitShardRequest request, long deadlineMs) {
    return unary(deadlineMs, streams, s -> s.splitShard(request));
  }

  @Override
  public MergeShardsResponse mergeShards(MergeShardsRequest request, long deadlineMs) {
    return unary(deadlineMs, streams, s -> s.mergeShards(request));
  }

  @Override
  public AppendResponse append(AppendRequest request, long deadlineMs) {
    return unary(deadlineMs, streams, s -> s.append(request));
  }

  @Override
  public void createSubscription(CreateSubscriptionRequest request, long deadlineMs) {
    unary(deadlineMs, subscriptions, s -> s.createSubscription(request));
  }

  @Override
  public SubscriptionDetail getSubscription(String id, long deadlineMs) {
    return unary(deadlineMs, subscriptions, s -> s.getSubscription(GetSubscriptionRequest.newBuilder().setId(id).build()));
  }

  @Override
  public ListConsumersResponse listConsumers(String subscriptionId, long deadlineMs) {
    return unary(deadlineMs, subscriptions, s -> s.listConsumers(ListConsumersRequest.newBuilder().setId(subscriptionId).build()));
  }

  private <S extends io.grpc.stub.AbstractStub<S>, T> T unary(long deadlineMs, S stub, Function<S, T> call) {
    if (deadlineMs <= 0) {
      throw new IllegalArgumentException("deadlineMs must be > 0, got " + deadlineMs);
    }
    try {
      return call.apply(stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).withWaitForReady());
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.UNAVAILABLE) {
        channel.resetConnectBackoff();
      }
      throw e;
    }
  }

  @Override
  public Consumer openConsumer(String subscriptionId, String consumerName) {
    FetchConsumer consumer = new FetchConsumer(consumerName);
    subscriptionsAsync.streamingFetch(consumer);
    consumer.start(subscriptionId);
    return consumer;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * One StreamingFetch call. gRPC delivers responses on its own threads into {@link #inbox}; the
   * owner takes them in {@link #poll}. Outbound messages (the first request, acks, the half-close)
   * go out under this object's monitor, since a call's request stream is not thread-safe.
   */
  private static final class FetchConsumer implements Consumer, ClientResponseObserver<StreamingFetchRequest, StreamingFetchResponse> {
    /** An inbox entry: a message, or the end of the call (status OK for a normal end). */
    private record Event(StreamingFetchResponse message, Status end) {}

    private final String name;
    private final LinkedBlockingQueue<Event> inbox = new LinkedBlockingQueue<>();
    /** Records of the message being taken, owned by the polling thread. */
    private final ArrayDeque<ReceivedRecord> pending = new ArrayDeque<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private ClientCallStreamObserver<StreamingFetchRequest> requests; // guarded by this
    private boolean halfClosed; // guarded by this
    /** The call's end, once the owner has seen it; polls after it throw. */
    private Status seenEnd;

    FetchConsumer(String name) {
      this.name = name;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<StreamingFetchRequest> requestStream) {
      synchronized (this) {
        this.requests = requestStream;
      }
      requestStream.disableAutoRequestWithInitial(MESSAGES_BUFFERED_MAX);
    }

    synchronized void start(String subscriptionId) {
      requests.onNext(StreamingFetchRequest.newBuilder().setSubscriptionId(subscriptionId).setConsumerName(name).build());
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void onNext(StreamingFetchResponse value) {
      inbox.add(new Event(value, null));
    }

    @Override
    public void onError(Throwable t) {
      inbox.add(new Event(null, Status.fromThrowable(t)));
      ended.countDown();
    }

    @Override
    public void onCompleted() {
      inbox.add(new Event(null, Status.OK));
      ended.countDown();
    }

    @Override
    public List<ReceivedRecord> poll(long waitMs, int recordsMax) {
      if (waitMs < 0 || recordsMax <= 0) {
        throw new IllegalArgumentException("waitMs must be >= 0 and recordsMax > 0, got " + waitMs + ", " + recordsMax);
      }
      List<ReceivedRecord> out = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (out.size() < recordsMax) {
        if (!pending.isEmpty()) {
          out.add(pending.poll());
          continue;
        }
        if (seenEnd != null) {
          break;
        }
        Event e;
        try {
          // Wait only for the first record; after it, take what is already here.
          long leftNanos = out.isEmpty() ? deadline - System.nanoTime() : 0;
          e = leftNanos > 0 ? inbox.poll(leftNanos, TimeUnit.NANOSECONDS) : inbox.poll();
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw Status.CANCELLED.withDescription("interrupted while polling").asRuntimeException();
        }
        if (e == null) {
          break;
        }
        if (e.end() != null) {
          seenEnd = e.end().isOk() ? Status.CANCELLED.withDescription("the gateway ended the fetch call") : e.end();
          break;
        }
        pending.addAll(e.message().getRecordsList());
        synchronized (this) {
          requests.request(1);
        }
      }
      if (out.isEmpty() && seenEnd != null) {
        throw seenEnd.asRuntimeException();
      }
      return out;
    }

    @Override
    public synchronized void ack(List<RecordId> ids) {
      if (halfClosed || ended.getCount() == 0) {
        return;
      }
      try {
        for (int from = 0; from < ids.size(); from += ACKS_PER_REQUEST_MAX) {
          List<RecordId> chunk = ids.subList(from, Math.min(ids.size(), from + ACKS_PER_REQUEST_MAX));
          requests.onNext(StreamingFetchRequest.newBuilder().addAllAcks(chunk).build());
        }
      } catch (RuntimeException e) {
        // The call ended meanwhile (cancelled, failed): its records will be redelivered.
      }
    }

    @Override
    public void close() {
      synchronized (this) {
        if (!halfClosed) {
          halfClosed = true;
          try {
            // A half-close makes the gateway end the call after the acks sent before it. The end
            // is delivered only after the messages ahead of it, so let those in (they are dropped
            // below: unacked, the gateway redelivers them to other consumers).
            requests.onCompleted();
            requests.request(Integer.MAX_VALUE);
          } catch (RuntimeException ignored) {
            // Already ended.
          }
        }
      }
      boolean done;
      try {
        done = ended.await(CONSUMER_CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        done = false;
      }
      if (!done) {
        synchronized (this) {
          requests.cancel("consumer closed", null);
        }
      }
      inbox.clear();
    }
  }
}
