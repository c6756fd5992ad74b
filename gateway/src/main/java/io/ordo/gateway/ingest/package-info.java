/**
 * Kafka ingest: a stock Kafka producer writes a stream's records to its ingest topic {@code
 * <prefix>-ingest-<stream>} (key = partition key, value = payload, headers = headers), and the
 * gateway appends them to the stream through the log, exactly once.
 *
 * <p>{@link io.ordo.gateway.ingest.IngestBridge} consumes one stream's ingest topic and turns each
 * polled batch of one partition into one transaction that asserts and advances the partition's
 * ingest counter ({@code \u0000ordo/ingest/<stream>/<partition>}) and appends the records to their
 * shards; {@link io.ordo.gateway.ingest.IngestManager} keeps one bridge per stream, and {@link
 * io.ordo.gateway.ingest.IngestReconciler} keeps the bridges in line with the stream catalog.
 * {@link io.ordo.gateway.ingest.IngestBatches} holds the pure parts (conversion, routing,
 * chunking, the transaction).
 *
 * <p>Depends on {@code streams} (keys, metadata, hash routing, the ingest topic's name) and never
 * the other way: the stream service tells the reconciler about catalog changes through the
 * callback it is given.
 */
package io.ordo.gateway.ingest;
