package io.ordo.gateway.connectors;

import com.google.protobuf.ByteString;
import io.debezium.config.Configuration;
import io.debezium.document.DocumentReader;
import io.debezium.document.DocumentWriter;
import io.debezium.relational.history.AbstractSchemaHistory;
import io.debezium.relational.history.HistoryRecord;
import io.debezium.relational.history.HistoryRecordComparator;
import io.debezium.relational.history.SchemaHistoryException;
import io.debezium.relational.history.SchemaHistoryListener;
import io.ordo.proto.Value;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Debezium's schema history for a MySQL source run by Ordo ({@code schema.history.internal}
 * names this class): the DDL history the connector needs to decode the binary log lives in
 * Ordo's key space, under the connector's history key ({@code ConnectorCodec.historyKey}), so it
 * survives a gateway restart and moves with the connector to whichever gateway takes its lease.
 * A local file (Debezium's {@code FileSchemaHistory}) would be lost with the gateway, and a
 * connector resumed elsewhere from its offset could not decode the binary log.
 *
 * <p><b>Value.</b> {@code Value{bytes}}: Debezium's history records as compact JSON documents,
 * one per line (the format of Debezium's file history), at most {@code bytesMax} bytes in all
 * (only the captured table's DDL is kept: {@code store.only.captured.tables.ddl}).
 *
 * <p><b>Consistency with the offset.</b> A record is stored (one transaction asserting the
 * connector's definition and the history's previous value) when the connector meets a schema
 * change, before the changes after it are committed with their offset. After a crash the history
 * may hold records past the stored offset; Debezium's recovery skips records whose position is
 * after the offset it resumes from, and stores them again when it reads them from the binary log.
 *
 * <p>The engine instantiates this class by name, so it finds its connector through {@link
 * #HANDLE_PROPERTY}, registered with {@link #register} by the worker before the engine starts.
 * Calls come from the connector's task thread.
 */
public final class OrdoSchemaHistory extends AbstractSchemaHistory {
  /** The engine property naming the handle a worker registered. */
  public static final String HANDLE_PROPERTY = "schema.history.internal.ordo.handle";

  private static final ConcurrentHashMap<String, Storage> HANDLES = new ConcurrentHashMap<>();

  /** Reads a key through the log. */
  interface Reader {
    Optional<Value> read(String key) throws InterruptedException;
  }

  /** Moves the history key from {@code expected} to {@code next}, or throws. */
  interface Writer {
    void write(Optional<Value> expected, Value next) throws InterruptedException;
  }

  /**
   * Where a connector's history lives.
   *
   * @param key the history key
   * @param reader reads it (linearizable)
   * @param writer writes it (asserting the previous value)
   * @param bytesMax the largest history, in bytes (a transaction must hold it)
   */
  record Storage(String key, Reader reader, Writer writer, long bytesMax) {
    Storage {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(reader, "reader");
      Objects.requireNonNull(writer, "writer");
    }
  }

  private Storage storage;
  private Optional<Value> current = Optional.empty();

  /** Public no-argument constructor: Debezium creates the history by class name. */
  public OrdoSchemaHistory() {}

  static void register(String handle, Storage storage) {
    HANDLES.put(handle, storage);
  }

  static void unregister(String handle) {
    HANDLES.remove(handle);
  }

  @Override
  public void configure(Configuration config, HistoryRecordComparator comparator,
      SchemaHistoryListener listener, boolean useCatalogBeforeSchema) {
    super.configure(config, comparator, listener, useCatalogBeforeSchema);
    String h = config.getString(HANDLE_PROPERTY);
    if (h == null) {
      h = config.getString(HANDLE_PROPERTY.substring("schema.history.internal.".length()));
    }
    if (h == null) {
      throw new SchemaHistoryException(
          OrdoSchemaHistory.class.getSimpleName() + " needs the property " + HANDLE_PROPERTY);
    }
    storage = HANDLES.get(h);
    if (storage == null) {
      throw new SchemaHistoryException("no Ordo connector registered under handle " + h);
    }
  }

  @Override
  public synchronized void start() {
    super.start();
    try {
      current = storage.reader().read(storage.key());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaHistoryException("interrupted while reading the schema history", e);
    }
  }

  @Override
  protected synchronized void storeRecord(HistoryRecord record) throws SchemaHistoryException {
    String line;
    try {
      line = DocumentWriter.defaultWriter().write(record.document()) + "\n";
    } catch (IOException e) {
      throw new SchemaHistoryException("cannot write a schema history record: " + e, e);
    }
    ByteString before = current.map(Value::getBytes).orElse(ByteString.EMPTY);
    ByteString after = before.concat(ByteString.copyFromUtf8(line));
    if (after.size() > storage.bytesMax()) {
      throw new SchemaHistoryException("the schema history would hold " + after.size()
          + " bytes, more than " + storage.bytesMax() + " (too many schema changes at the source"
          + "); drop and create the connector");
    }
    write(Value.newBuilder().setBytes(after).build());
  }

  private void write(Value next) {
    try {
      storage.writer().write(current, next);
      current = Optional.of(next);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaHistoryException("interrupted while storing the schema history", e);
    } catch (RuntimeException e) {
      throw new SchemaHistoryException("storing the schema history failed: " + e.getMessage(), e);
    }
  }

  @Override
  protected synchronized void recoverRecords(Consumer<HistoryRecord> records) {
    String all = current.map(v -> v.getBytes().toString(StandardCharsets.UTF_8)).orElse("");
    for (String line : all.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        records.accept(new HistoryRecord(DocumentReader.defaultReader().read(line)));
      } catch (IOException e) {
        throw new SchemaHistoryException("a schema history record is not JSON: " + e, e);
      }
    }
  }

  /** The connector starts afresh (no offset: a snapshot): the history starts empty too. */
  @Override
  public synchronized void initializeStorage() {
    if (current.isPresent() && !current.get().getBytes().isEmpty()) {
      write(Value.newBuilder().setBytes(ByteString.EMPTY).build());
    }
  }

  @Override
  public boolean storageExists() {
    return true; // the key space
  }

  @Override
  public synchronized boolean exists() {
    return current.isPresent() && !current.get().getBytes().isEmpty();
  }

  @Override
  public String toString() {
    return "Ordo key " + (storage == null ? "?" : storage.key());
  }
}
