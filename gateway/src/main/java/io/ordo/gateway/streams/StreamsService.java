package io.ordo.gateway.streams;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.GetStreamRequest;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.LookupShardRequest;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.Shard;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.TrimShardRequest;
import io.ordo.proto.TrimShardResponse;
import io.ordo.sequencer.TopicLayout;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ordo.v1.Streams} gRPC service: streams, their shards and records, on top of
 * transactions through the log ({@link TxnRunner}) and, for reads, the gateway's local store. It
 * only dispatches: the streams themselves are {@link StreamCatalog}'s, the shards {@link
 * StreamShards}', appends {@link StreamAppends}', reads {@link ShardReads}', and every failure
 * becomes a status as {@link StreamStatuses} says.
 *
 * <p><b>Statuses</b>: INVALID_ARGUMENT (bad input, with the reason), NOT_FOUND (no such stream or
 * shard), ALREADY_EXISTS (CreateStream of an existing name; an id already sequenced),
 * FAILED_PRECONDITION (a closed shard, a wrong expected offset, subscriptions on a deleted stream
 * without force, reads on a gateway without a local store), RESOURCE_EXHAUSTED (too many calls
 * in progress), UNAVAILABLE (retries exhausted, the log unavailable), OUT_OF_RANGE (an append
 * whose offsets would pass 2^63 - 1), DEADLINE_EXCEEDED (as {@code OrdoService}).
 *
 * <p><b>Threads</b>: Append never blocks (its futures run under the caller's gRPC context). The
 * other unary calls (metadata changes, rare) run on a pool of {@value #UNARY_THREADS} threads
 * (queue {@value #UNARY_QUEUE_MAX}; RESOURCE_EXHAUSTED past it) under the caller's context and
 * block on results, which the {@link TxnRunner} completes on its own executor, never on this
 * pool. Reads run on {@link ShardReads}' own threads.
 */
public final class StreamsService extends StreamsGrpc.StreamsImplBase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsService.class);

  /** Threads running unary calls. */
  public static final int UNARY_THREADS = 8;

  /** Unary calls that may wait for a thread. */
  public static final int UNARY_QUEUE_MAX = 1_024;

  private final StreamCatalog catalog;
  private final StreamShards shards;
  private final StreamAppends appends;
  private final ShardReads reads;
  private final ThreadPoolExecutor unaryPool;

  /**
   * @param runner runs transactions through the log
   * @param reader reads and caches stream metadata (shared with the Txn path)
   * @param limits request bounds (record sizes: valueBytesMax per record; the whole append as a
   *     transaction: txnBytesMax)
   * @param topics names the ingest topics ({@code <prefix>-ingest-<stream>})
   * @param reads serves ReadShard/ReadStream; null when this gateway has no local store (reads
   *     then fail with FAILED_PRECONDITION)
   * @param catalogChanged called after this service created or deleted a stream (the ingest
   *     package's reconciler runs a round on it, so that this package need not know ingest);
   *     must not block
   */
  public StreamsService(
      TxnRunner runner,
      StreamMetadataReader reader,
      Limits limits,
      TopicLayout topics,
      ShardReads reads,
      Runnable catalogChanged) {
    this.catalog = new StreamCatalog(runner, reader, limits, topics, catalogChanged);
    this.shards = new StreamShards(runner, reader, limits);
    this.appends = new StreamAppends(runner, reader, limits);
    this.reads = reads;
    AtomicInteger count = new AtomicInteger();
    this.unaryPool =
        new ThreadPoolExecutor(
            UNARY_THREADS,
            UNARY_THREADS,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(UNARY_QUEUE_MAX),
            runnable -> {
              Thread thread = new Thread(runnable, "ordo-streams-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    unaryPool.allowCoreThreadTimeOut(true);
  }

  @Override
  public void createStream(CreateStreamRequest request, StreamObserver<Stream> observer) {
    unary(observer, () -> catalog.createStream(request));
  }

  @Override
  public void getStream(GetStreamRequest request, StreamObserver<Stream> observer) {
    unary(observer, () -> catalog.getStream(request));
  }

  @Override
  public void listStreams(ListStreamsRequest request, StreamObserver<ListStreamsResponse> observer) {
    unary(observer, () -> catalog.listStreams(request));
  }

  @Override
  public void deleteStream(
      DeleteStreamRequest request, StreamObserver<DeleteStreamResponse> observer) {
    unary(observer, () -> catalog.deleteStream(request));
  }

  @Override
  public void listShards(ListShardsRequest request, StreamObserver<ListShardsResponse> observer) {
    unary(observer, () -> shards.listShards(request));
  }

  @Override
  public void lookupShard(LookupShardRequest request, StreamObserver<Shard> observer) {
    unary(observer, () -> shards.lookupShard(request));
  }

  @Override
  public void splitShard(SplitShardRequest request, StreamObserver<SplitShardResponse> observer) {
    unary(observer, () -> shards.splitShard(request));
  }

  @Override
  public void mergeShards(MergeShardsRequest request, StreamObserver<MergeShardsResponse> observer) {
    unary(observer, () -> shards.mergeShards(request));
  }

  @Override
  public void trimShard(TrimShardRequest request, StreamObserver<TrimShardResponse> observer) {
    unary(observer, () -> shards.trimShard(request));
  }

  @Override
  public void append(AppendRequest request, StreamObserver<AppendResponse> observer) {
    // The hot path: asynchronous from validation to answer, so concurrent appends are bounded by
    // the results listener's waiters, not by a pool of blocked threads.
    appends
        .append(Context.current(), request)
        .whenComplete(
            (response, error) ->
                safely(
                    () -> {
                      if (error != null) {
                        observer.onError(StreamStatuses.toStatus(error));
                      } else {
                        observer.onNext(response);
                        observer.onCompleted();
                      }
                    }));
  }

  @Override
  public void readShard(ReadShardRequest request, StreamObserver<ReadResponse> observer) {
    if (reads == null) {
      observer.onError(StreamStatuses.noStore());
      return;
    }
    reads.readShard(request, observer, shards);
  }

  @Override
  public void readStream(ReadStreamRequest request, StreamObserver<ReadResponse> observer) {
    if (reads == null) {
      observer.onError(StreamStatuses.noStore());
      return;
    }
    reads.readStream(request, observer, shards);
  }

  // ---- the same logic for callers in this process (the SQL backend) ----
  // Each runs on the calling thread, under its gRPC context if it has one (deadline, cancel), and
  // fails with the StatusRuntimeException the RPC would answer with (StreamStatuses).

  /** CreateStream, on the calling thread (blocks on transactions). */
  public Stream createStreamInProcess(CreateStreamRequest request) {
    return inProcess(() -> catalog.createStream(request));
  }

  /** DeleteStream, on the calling thread (blocks on transactions). */
  public DeleteStreamResponse deleteStreamInProcess(DeleteStreamRequest request) {
    return inProcess(() -> catalog.deleteStream(request));
  }

  /** ListStreams, on the calling thread (blocks on transactions). */
  public ListStreamsResponse listStreamsInProcess(ListStreamsRequest request) {
    return inProcess(() -> catalog.listStreams(request));
  }

  /**
   * ReadStream without following the tail, collected on the calling thread: see {@link
   * ShardReads}; at most {@code recordsMax} records and {@code bytesMax} bytes of messages
   * (RESOURCE_EXHAUSTED beyond). FAILED_PRECONDITION on a gateway without a local store.
   */
  public List<ReadResponse> readStreamInProcess(
      ReadStreamRequest request, long recordsMax, long bytesMax) {
    if (reads == null) {
      throw StreamStatuses.noStore();
    }
    return reads.collectStream(request, shards, recordsMax, bytesMax);
  }

  private static <R> R inProcess(Callable<R> body) {
    try {
      return body.call();
    } catch (Exception e) {
      throw StreamStatuses.toStatus(e);
    }
  }

  /** Stops the unary pool (calls in progress get at most a few seconds). */
  @Override
  public void close() {
    unaryPool.shutdown();
    try {
      if (!unaryPool.awaitTermination(2, TimeUnit.SECONDS)) {
        unaryPool.shutdownNow();
      }
    } catch (InterruptedException e) {
      unaryPool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs {@code body} on the unary pool under the caller's gRPC context and answers once: with its
   * result or with the status its failure maps to.
   */
  private <R> void unary(StreamObserver<R> observer, Callable<R> body) {
    Context context = Context.current();
    Runnable task =
        () -> {
          R response;
          try {
            response = body.call();
          } catch (Exception e) {
            safely(() -> observer.onError(StreamStatuses.toStatus(e)));
            return;
          }
          safely(
              () -> {
                observer.onNext(response);
                observer.onCompleted();
              });
        };
    try {
      unaryPool.execute(context.wrap(task));
    } catch (RejectedExecutionException e) {
      observer.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  UNARY_QUEUE_MAX + " stream calls already wait on this gateway; retry later")
              .asRuntimeException());
    }
  }

  private static void safely(Runnable answer) {
    try {
      answer.run();
    } catch (RuntimeException e) {
      // The call was cancelled meanwhile (the client left); nothing is left to answer.
      LOG.debug("could not answer a streams call: {}", e.toString());
    }
  }
}
