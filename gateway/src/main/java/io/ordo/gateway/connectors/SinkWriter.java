package io.ordo.gateway.connectors;

import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.util.List;
import java.util.Optional;

/**
 * Where a {@link SinkWorker} writes an Ordo table's changes: one target (a PostgreSQL table,
 * {@link JdbcSink.Writer} for PostgreSQL, MySQL or MariaDB; a Kafka topic, {@link KafkaSink.Writer}), written in batches, each
 * batch one target transaction that also records how far the sink got.
 *
 * <p>Changes are {@code [op, values...]} with the table's columns in order; op {@code insert},
 * {@code update_before}, {@code update_after} or {@code delete} (a push query's {@code _op}).
 * Not thread-safe.
 */
interface SinkWriter extends AutoCloseable {
  /**
   * The position stored at the target after which the next change comes, if any (none: the sink
   * starts with a copy of the table).
   */
  Optional<String> storedPosition() throws Exception;

  /**
   * The position of the next change {@link #write} will get: a streamed change's {@code
   * _position}, or for a row of the first copy the copy's log position. Called once per change,
   * in order, before the write; a writer may ignore it.
   */
  default void rowPosition(String position) {}

  /** Writes {@code changes} in the open target transaction (opening one if needed), in order. */
  void write(List<List<Object>> changes) throws Exception;

  /** Records {@code position} as the sink's progress and commits the open transaction. */
  void commit(String position) throws Exception;

  /** {@link #write} then {@link #commit}: one target transaction. */
  default void apply(List<List<Object>> changes, String position) throws Exception {
    write(changes);
    commit(position);
  }

  @Override
  void close();

  /** The writer of {@code def}'s target kind. */
  static SinkWriter open(ConnectorDef def, TableDef table) throws Exception {
    if (KafkaConnectors.isKafka(def)) {
      return new KafkaSink.Writer(def, table);
    }
    return new JdbcSink.Writer(def, table);
  }
}
