package io.ordo.sql.engine;

import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.Stream;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.storage.ChangelogMaterializer;
import io.ordo.storage.MultiVersionStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the SQL engine needs from the server it runs in (the gateway implements it): the log, the
 * gateway's materialized store and the stream catalog. Keeps the {@code sql} module free of gRPC
 * and of the gateway's classes.
 */
public interface SqlBackend {
  /**
   * Sequences {@code txn} and completes with its result. Stream appends may leave {@code
   * shard_id} unset: the backend picks the shard from the records' partition keys, as the
   * gateway's Txn API does.
   *
   * @param waitMs the longest wait for the result, in milliseconds
   * @return the result (any outcome); fails with a {@link RuntimeException} whose message says
   *     why when there is none (deadline passed with the outcome unknown, the log unavailable,
   *     the request refused)
   */
  CompletableFuture<TxnResult> execute(Transaction txn, long waitMs);

  /** The gateway's multiversion store (read-only use: getAsOf, scanAsOf). */
  MultiVersionStore store();

  /** The materializer that fills {@link #store()} (to wait until it has applied a position). */
  ChangelogMaterializer materializer();

  /** The executor's number of key ranges (the gateway's {@code --key-ranges}). */
  int keyRangeCount();

  /**
   * Creates a stream, as the Streams API's CreateStream.
   *
   * @throws RuntimeException whose message says why (exists, invalid name or counts)
   */
  Stream createStream(CreateStreamRequest request);

  /** Deletes a stream, as the Streams API's DeleteStream. */
  DeleteStreamResponse deleteStream(DeleteStreamRequest request);

  /** All streams, as the Streams API's ListStreams with an empty prefix. */
  ListStreamsResponse listStreams();

  /**
   * Reads records of a stream, as the Streams API's ReadStream, up to {@code request}'s limit
   * (bounded by the backend), without waiting for new records.
   */
  List<ReadResponse> readStream(ReadStreamRequest request);
}
