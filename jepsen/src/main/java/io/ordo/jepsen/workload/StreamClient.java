package io.ordo.jepsen.workload;

import io.grpc.StatusRuntimeException;
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
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.SubscriptionDetail;
import java.util.List;

/**
 * The part of the gateway's {@code ordo.v1.Streams} and {@code ordo.v1.Subscriptions} API that
 * {@link StreamWorkload} uses, in the services' own messages. Implementations are thread-safe: the
 * runner's workers call it concurrently. {@link StreamGrpcClient} talks to a gateway; tests may
 * use an in-memory model of a subscription.
 *
 * <p>Errors follow the services' gRPC contract (see {@code streams.proto}): INVALID_ARGUMENT,
 * NOT_FOUND, FAILED_PRECONDITION and ALREADY_EXISTS mean the request did not take effect;
 * DEADLINE_EXCEEDED and UNAVAILABLE leave the outcome unknown.
 */
public interface StreamClient {
  /**
   * Creates a stream.
   *
   * @param deadlineMs how long to wait, in milliseconds, > 0
   * @throws StatusRuntimeException on any gRPC error
   */
  void createStream(CreateStreamRequest request, long deadlineMs);

  /** The stream's shards as read through the log. @throws StatusRuntimeException on any gRPC error */
  ListShardsResponse listShards(String stream, long deadlineMs);

  /**
   * Splits an open shard into two children (one sequenced transaction).
   *
   * @throws StatusRuntimeException on any gRPC error
   */
  SplitShardResponse splitShard(SplitShardRequest request, long deadlineMs);

  /**
   * Merges two adjacent open shards into one child (one sequenced transaction).
   *
   * @throws StatusRuntimeException on any gRPC error
   */
  MergeShardsResponse mergeShards(MergeShardsRequest request, long deadlineMs);

  /** Appends in one sequenced transaction. @throws StatusRuntimeException on any gRPC error */
  AppendResponse append(AppendRequest request, long deadlineMs);

  /** Creates a subscription. @throws StatusRuntimeException on any gRPC error */
  void createSubscription(CreateSubscriptionRequest request, long deadlineMs);

  /** The subscription and its durable per-shard progress. @throws StatusRuntimeException on any gRPC error */
  SubscriptionDetail getSubscription(String id, long deadlineMs);

  /** The consumers of a subscription and their shards. @throws StatusRuntimeException on any gRPC error */
  ListConsumersResponse listConsumers(String subscriptionId, long deadlineMs);

  /**
   * Connects a consumer (a StreamingFetch call) to a subscription. Connecting is asynchronous: a
   * refusal (no such subscription, a consumer of that name already connected) surfaces on the
   * first {@link Consumer#poll}.
   */
  Consumer openConsumer(String subscriptionId, String consumerName);

  /**
   * One consumer of a subscription. Used by one thread at a time (its owner), apart from {@link
   * #close}, which any thread may call.
   */
  interface Consumer extends AutoCloseable {
    /** The consumer name given to {@link StreamClient#openConsumer}. */
    String name();

    /**
     * The records delivered to this consumer, in arrival order: waits up to {@code waitMs} for the
     * first one, then takes what has already arrived, at most {@code recordsMax}.
     *
     * @return possibly empty
     * @throws StatusRuntimeException when the call has ended (with its status; CANCELLED after
     *     {@link #close}) and every record that arrived before has been returned
     * @throws IllegalArgumentException for a negative wait or a non-positive recordsMax
     */
    List<ReceivedRecord> poll(long waitMs, int recordsMax);

    /**
     * Acknowledges records on the call (fire and forget: the gateway writes acks in sequenced
     * batches; a lost ack only means a redelivery). Does nothing once the call has ended.
     */
    void ack(List<RecordId> ids);

    /** Ends the call; records delivered and not acked are redelivered to other consumers. Idempotent. */
    @Override
    void close();
  }
}
