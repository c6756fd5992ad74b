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
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.ConnectorStatus;
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

  // ---------------------------------------------------------------------------------------
  // Source connectors (CREATE SOURCE CONNECTOR). A backend without connectors refuses them.

  /**
   * Checks a connector's definition before it enters the catalog: its options, and that the
   * source answers and has what the connector needs (PostgreSQL: the table, its primary key,
   * {@code wal_level=logical}), or for a sink that the target answers and has a table with the
   * Ordo table's columns and primary key. Bounded by a few seconds.
   *
   * @throws IllegalArgumentException with the reason for bad options (unknown, missing, malformed)
   * @throws IllegalStateException with the reason when the source is unreachable or lacks what
   *     the connector needs
   * @throws UnsupportedOperationException when this server runs no connectors (the default)
   */
  default void checkConnector(ConnectorDef def) {
    throw new UnsupportedOperationException("this server runs no source connectors");
  }

  /**
   * The Ordo table that mirrors the source table of an {@code INTO TABLE} connector: its columns
   * (names as at the source, in the source's order, ids from 1, types mapped to Ordo's SQL types)
   * and the source's primary key. Called after {@link #checkConnector}; bounded by a few seconds.
   *
   * @param def the connector (its {@code target} is the table's name)
   * @param tableId the id the table gets if CREATE makes it
   * @return the table definition, version 1
   * @throws IllegalStateException with the reason when the source cannot be asked or the table
   *     has no primary key
   * @throws UnsupportedOperationException naming the column whose type Ordo cannot hold, or when
   *     this server runs no connectors (the default)
   */
  default io.ordo.sql.catalog.TableDef connectorTable(ConnectorDef def, String tableId) {
    throw new UnsupportedOperationException("this server runs no source connectors");
  }

  /** A connector was created, paused, resumed or dropped through this server: act on it soon. */
  default void connectorsChanged() {}

  /**
   * What the server knows of the connector {@code def} now (state, owner, positions, lag, last
   * error). May ask the source for its position (bounded by a few seconds).
   */
  default ConnectorStatus connectorStatus(ConnectorDef def) {
    return ConnectorStatus.of(def.paused() ? "paused" : "unassigned");
  }

  /**
   * The connector {@code def} was dropped (its catalog entry, offset and lease are deleted): stop
   * it if it runs here and release what it holds at the source (PostgreSQL: its replication slot
   * and, if the connector created it, its publication), waiting a bounded time for the gateway
   * that ran it to let go.
   *
   * @return empty, or a sentence saying what was left at the source and why
   */
  default java.util.Optional<String> connectorDropped(ConnectorDef def) {
    return java.util.Optional.empty();
  }
}
