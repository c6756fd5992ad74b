/**
 * Source connectors ({@code CREATE SOURCE CONNECTOR ... FROM POSTGRESQL ... INTO STREAM s}):
 * Debezium's embedded engine reads a source database's changes, and this package appends them to
 * an Ordo stream exactly once.
 *
 * <p>{@link io.ordo.gateway.connectors.ConnectorManager} keeps the connectors of the SQL catalog
 * running: one gateway at a time runs a connector (the one holding its {@link
 * io.ordo.gateway.connectors.ConnectorLease}). {@link io.ordo.gateway.connectors.ConnectorWorker}
 * runs one Debezium engine and turns each batch of changes into one Ordo transaction that
 * appends the records AND moves the connector's source offset key, asserting the offset it
 * started from; {@link io.ordo.gateway.connectors.OrdoOffsetStore} is the engine's offset
 * storage, loaded from that key. {@link io.ordo.gateway.connectors.ChangeRecords} holds the pure
 * parts (records, offsets); {@link io.ordo.gateway.connectors.PostgresSource} what is specific to
 * PostgreSQL (options, checks, the Debezium configuration, slots).
 *
 * <p>Depends on {@code core} (transactions) and the sql module's catalog codec; nothing of the
 * gateway depends on it except the server's wiring and the SQL backend.
 */
package io.ordo.gateway.connectors;
