/**
 * Connectors. Sources ({@code CREATE SOURCE CONNECTOR ... FROM POSTGRESQL | MYSQL | MARIADB ...
 * INTO STREAM s | INTO TABLE t}): Debezium's embedded engine reads a source database's changes,
 * and this package appends them to an Ordo stream, or applies them to an Ordo table ({@link
 * io.ordo.gateway.connectors.TableChanges}), exactly once. Sinks ({@code CREATE SINK CONNECTOR
 * ... TO POSTGRESQL | MYSQL | MARIADB ... FROM TABLE t | FROM VIEW v | FROM STREAM s}): {@link
 * io.ordo.gateway.connectors.SinkWorker} reads a table's, view's or stream's changes with a push
 * query ({@link io.ordo.gateway.connectors.SinkSources}: the rows' shape) and {@link
 * io.ordo.gateway.connectors.JdbcSink} writes them, each batch with its position in one target
 * transaction.
 *
 * <p>{@link io.ordo.gateway.connectors.ConnectorManager} keeps the connectors of the SQL catalog
 * running: one gateway at a time runs a connector (the one holding its {@link
 * io.ordo.gateway.connectors.ConnectorLease}). {@link io.ordo.gateway.connectors.ConnectorWorker}
 * runs one Debezium engine and turns each batch of changes into one Ordo transaction that
 * appends the records AND moves the connector's source offset key, asserting the offset it
 * started from; {@link io.ordo.gateway.connectors.OrdoOffsetStore} is the engine's offset
 * storage, loaded from that key, and {@link io.ordo.gateway.connectors.OrdoSchemaHistory} the
 * MySQL connector's schema history, kept under the connector's history key. {@link
 * io.ordo.gateway.connectors.ChangeRecords} holds the pure parts (records, offsets). What is
 * specific to a source database is its {@link io.ordo.gateway.connectors.SourceDialect} ({@link
 * io.ordo.gateway.connectors.PostgresSource}, {@link io.ordo.gateway.connectors.MySqlSource}:
 * options, checks, the Debezium configuration, positions, what DROP releases), to a sink target
 * its {@link io.ordo.gateway.connectors.SinkDialect} ({@link
 * io.ordo.gateway.connectors.PostgresSink}, {@link io.ordo.gateway.connectors.MySqlSink}).
 *
 * <p>Kafka topics: {@link io.ordo.gateway.connectors.KafkaSourceWorker} appends a topic's records
 * to a stream (a plain consumer; per-partition offsets moved by the appending transaction,
 * {@link io.ordo.gateway.connectors.SourceCommits}, shared with the Debezium worker); {@link
 * io.ordo.gateway.connectors.KafkaSink} is a sink's {@link io.ordo.gateway.connectors.SinkWriter}
 * writing each batch as one Kafka transaction, resuming from the topic's committed tail.
 *
 * <p>Depends on {@code core} (transactions) and the sql module (catalog codec, push queries); nothing of the
 * gateway depends on it except the server's wiring and the SQL backend.
 */
package io.ordo.gateway.connectors;
