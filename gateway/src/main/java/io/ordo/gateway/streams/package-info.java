/**
 * Streams: the {@code ordo.v1.Streams} gRPC service ({@link io.ordo.gateway.streams.StreamsService}),
 * the internal key layout ({@link io.ordo.gateway.streams.StreamKeys}), stream metadata read
 * through the log ({@link io.ordo.gateway.streams.StreamMetadataReader}), routing of records to
 * shards by the MD5 of their partition keys ({@link io.ordo.gateway.streams.HashRanges}), the
 * name of a stream's ingest topic ({@link io.ordo.gateway.streams.IngestTopics}), shard reads from
 * the gateway's local store, retention, and the resolution of stream operations inside client
 * {@code Txn} requests ({@link io.ordo.gateway.streams.TxnStreamOps}). It depends on {@code core}
 * only; {@code ingest} and {@code subscriptions} build on it.
 *
 * <p>Every change of a stream (create, append, split, merge, trim, delete) is a transaction
 * sequenced through the log like any client write; this package only plans those transactions
 * and reads their results.
 */
package io.ordo.gateway.streams;
