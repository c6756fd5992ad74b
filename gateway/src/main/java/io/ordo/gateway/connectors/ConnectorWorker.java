package io.ordo.gateway.connectors;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.ChangeEvent;
import io.ordo.proto.Get;
import io.ordo.proto.Operation;
import io.ordo.proto.Put;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.encoding.CatalogCodec;
import io.ordo.sql.encoding.ConnectorCodec;
import io.ordo.gateway.streams.StreamMetadataReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one source connector on this gateway: one Debezium embedded engine on a thread of its
 * own, whose batches of changes become Ordo transactions.
 *
 * <p><b>Exactly once into Ordo.</b> Before the engine starts, the worker reads the connector's
 * offset key through the log (a Get transaction: linearizable, never a stale copy) and hands it
 * to the engine's offset storage ({@link OrdoOffsetStore}), so Debezium resumes right after the
 * last change Ordo holds. Each batch (at most {@value #BATCH_RECORDS_MAX} changes, cut further so
 * that a transaction stays below the gateway's size limit) becomes ONE transaction: {@code
 * Assert(definition == the one this worker runs)}, {@code Assert(offset == the value this worker
 * last read or wrote)} (absent before the first change), {@code Put(offset = the offset of the
 * batch's last change)} and the {@code StreamAppend} of the batch's records (routed to shards by
 * partition key). The records and the offset that covers them commit together or not at all:
 * after a crash the engine resumes from the offset, which names exactly the changes Ordo has.
 * Only after the commit are the changes marked processed, which lets Debezium confirm the
 * position to the source (PostgreSQL's slot then releases the WAL before it).
 *
 * <p><b>Failures.</b> A result that does not come (the log unavailable, a deadline) or an abort
 * other than ASSERT_FAILED is retried with the same asserts, at most {@value #ATTEMPTS_MAX}
 * times, {@value #BACKOFF_INITIAL_MS}..{@value #BACKOFF_MAX_MS} ms apart; the asserts make a
 * repeat harmless. ASSERT_FAILED means an earlier attempt committed (the offset now holds this
 * batch's value: go on) or the connector's definition or offset changed under it (paused,
 * dropped, another gateway runs it): the worker stops, marked failed, without marking the batch
 * processed. A failed worker is restarted by {@link ConnectorManager} from the stored offset.
 *
 * <p>Thread-safe getters; one worker thread and the engine's own threads.
 */
final class ConnectorWorker implements ConnectorManager.Worker {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorWorker.class);

  /** Most changes Debezium hands over in one batch (its {@code max.batch.size}). */
  static final int BATCH_RECORDS_MAX = 256;

  /** How long one transaction's result is awaited, in ms. */
  static final long TXN_WAIT_MS = SourceCommits.TXN_WAIT_MS;

  /** Attempts per batch before the worker fails. */
  static final int ATTEMPTS_MAX = SourceCommits.ATTEMPTS_MAX;

  static final long BACKOFF_INITIAL_MS = SourceCommits.BACKOFF_INITIAL_MS;
  static final long BACKOFF_MAX_MS = SourceCommits.BACKOFF_MAX_MS;

  /** How long {@link #close} waits for the engine and the thread, in ms. */
  static final long CLOSE_TIMEOUT_MS = 15_000;

  /** How often {@link #close} asks the engine again to stop, in ms. */
  private static final long CLOSE_POLL_MS = 200;

  /** What the worker runs its transactions with (the gateway's SQL backend's {@code execute}). */
  public interface Log {
    /** Runs {@code txn} (stream appends without shard ids allowed), waiting at most {@code waitMs}. */
    CompletableFuture<TxnResult> execute(Transaction txn, long waitMs);
  }

  /** What a worker is doing. */
  enum State {
    STARTING,
    SNAPSHOT,
    STREAMING,
    FAILED,
    STOPPED;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final ConnectorDef def;
  private final Value defValue;
  private final Log log;
  private final SourceCommits commits;
  private final String handle = UUID.randomUUID().toString();
  private final ChangeRecords changes;
  private final SourceDialect dialect;
  private final long txnBytesMax;
  private final TableRowKeys rowKeys;
  /**
   * Set at start when the worker resumes from a stored offset into a table: if Debezium then
   * takes its snapshot again (its last one was interrupted), the rows that snapshot put into the
   * table are deleted first (see {@link #clearBeforeSnapshot}); cleared by the first change.
   */
  private volatile boolean checkForSnapshotAgain;
  /** The target table's schema and row writes (INTO TABLE; null for a stream), set at start. */
  private volatile TableChanges table;
  private final Thread thread;

  private volatile State state = State.STARTING;
  private volatile String lastError = "";
  private volatile Optional<Value> offset = Optional.empty(); // the stored offset, as last read or written
  private volatile boolean closing;
  private volatile DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine;
  private volatile long changesAppended;

  /**
   * @param def the connector
   * @param defValue its catalog entry's value (asserted by every transaction)
   * @param log runs transactions
   * @param txnBytesMax the gateway's largest encoded transaction
   */
  ConnectorWorker(ConnectorDef def, Value defValue, Log log, long txnBytesMax,
      TableRowKeys rowKeys) throws SqlException {
    this(def, defValue, log, txnBytesMax, rowKeys, "");
  }

  /**
   * Like the other constructor, with the last error of the worker this one replaces, reported
   * by {@link #lastError} until this one appends a batch or fails itself.
   */
  ConnectorWorker(ConnectorDef def, Value defValue, Log log, long txnBytesMax,
      TableRowKeys rowKeys, String previousError) throws SqlException {
    this.def = Objects.requireNonNull(def, "def");
    this.rowKeys = Objects.requireNonNull(rowKeys, "rowKeys");
    this.defValue = Objects.requireNonNull(defValue, "defValue");
    this.log = Objects.requireNonNull(log, "log");
    this.commits = new SourceCommits(def, defValue, log, txnBytesMax);
    this.txnBytesMax = txnBytesMax;
    this.changes = new ChangeRecords(engineName(def));
    this.dialect = SourceDialect.of(def);
    this.thread = new Thread(this::run, "ordo-connector-" + def.name());
    this.thread.setDaemon(true);
    this.lastError = Objects.requireNonNull(previousError, "previousError");
  }

  /** Debezium's engine name of a connector: the namespace of its offsets. */
  static String engineName(ConnectorDef def) {
    return "ordo-" + def.connectorId();
  }

  @Override
  public void start() {
    thread.start();
  }

  @Override
  public ConnectorDef def() {
    return def;
  }

  @Override
  public Value defValue() {
    return defValue;
  }

  State state() {
    return state;
  }

  @Override
  public String stateLabel() {
    return state.label();
  }

  @Override
  public String lastError() {
    return lastError;
  }

  /** Whether the thread still runs (false once stopped or failed). */
  @Override
  public boolean isRunning() {
    return thread.isAlive() && state != State.FAILED && state != State.STOPPED;
  }

  /** The stored offset as this worker last read or wrote it. */
  Optional<Value> offset() {
    return offset;
  }

  /** Changes this worker appended (committed transactions). */
  long changesAppended() {
    return changesAppended;
  }

  private void run() {
    try {
      Optional<Value> stored = readOffset();
      offset = stored;
      if (def.targetKind() == ConnectorDef.TargetKind.TABLE) {
        String tableKey = CatalogCodec.tableKey(def.target());
        Optional<Value> tableValue = read(tableKey);
        if (tableValue.isEmpty()) {
          fail("table \"" + def.target() + "\" does not exist (dropped?); drop the connector,"
              + " or create the table with the source's columns");
          return;
        }
        table = new TableChanges(tableValue.get(), def.option("table", ""));
        checkForSnapshotAgain = stored.isPresent();
      }
      OrdoOffsetStore.register(handle, dialect.restartOffset(def, stored));
      Properties props = dialect.debezium(def);
      if (dialect.needsSchemaHistory()) {
        OrdoSchemaHistory.register(handle, new OrdoSchemaHistory.Storage(
            ConnectorCodec.historyKey(def.connectorId()), this::read, this::writeHistory,
            Math.max(1024, txnBytesMax - 4 * 1024 - 2L * defValue.getSerializedSize())));
        props.setProperty("schema.history.internal", OrdoSchemaHistory.class.getName());
        props.setProperty(OrdoSchemaHistory.HANDLE_PROPERTY, handle);
      }
      props.setProperty("name", engineName(def));
      props.setProperty("offset.storage", OrdoOffsetStore.class.getName());
      props.setProperty(OrdoOffsetStore.HANDLE_PROPERTY, handle);
      props.setProperty("offset.flush.interval.ms", "0");
      // Let a failure reach the manager (which restarts the worker) instead of retrying inside.
      props.setProperty("errors.max.retries", "1");
      props.setProperty("errors.retry.delay.initial.ms", "300");
      props.setProperty("errors.retry.delay.max.ms", "1000");
      DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> e =
          DebeziumEngine.create(Connect.class)
              .using(props)
              .notifying(this::handleBatch)
              .using(this::completed)
              .using(taskStarted(stored.isPresent()))
              .build();
      engine = e;
      if (closing) {
        return;
      }
      LOG.info("Connector '{}' starting: {} -> {} {} (offset {})", def.name(),
          dialect.describe(def), def.targetKind().name().toLowerCase(java.util.Locale.ROOT),
          def.target(),
          stored.flatMap(dialect::positionText).orElse("none: snapshot"));
      e.run();
    } catch (RuntimeException | SqlException e) {
      fail(e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      OrdoOffsetStore.unregister(handle);
      OrdoSchemaHistory.unregister(handle);
      if (state != State.FAILED) {
        state = State.STOPPED;
      }
    }
  }

  /**
   * Marks the worker as reading once Debezium's task runs: streaming when it resumes from a stored
   * offset, snapshotting when it starts without one (a committed batch refines this). Without it a
   * worker whose source stays quiet would show "starting" while it waits for changes.
   */
  private DebeziumEngine.ConnectorCallback taskStarted(boolean resumed) {
    return new DebeziumEngine.ConnectorCallback() {
      @Override
      public void taskStarted() {
        if (state == State.STARTING) {
          state = resumed ? State.STREAMING : State.SNAPSHOT;
        }
      }
    };
  }

  private void completed(boolean success, String message, Throwable error) {
    if (!closing && (!success || error != null)) {
      String why = message == null ? "" : message;
      if (error != null) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        why = why + (why.isEmpty() ? "" : ": ") + root;
      }
      fail(why.isEmpty() ? "the engine stopped" : why);
    }
  }

  private void fail(String why) {
    if (closing) {
      return;
    }
    lastError = why;
    state = State.FAILED;
    LOG.warn("Connector '{}' failed: {}", def.name(), why);
  }

  /** The offset key's value through the log. */
  private Optional<Value> readOffset() throws InterruptedException {
    return commits.readOffset();
  }

  /** A key's value through the log (a Get transaction: linearizable). */
  private Optional<Value> read(String key) throws InterruptedException {
    return commits.read(key);
  }

  /**
   * What a change writes: a {@link StreamRecord} (INTO STREAM) or a {@link
   * TableChanges.RowWrite} (INTO TABLE); empty for a record that changes nothing.
   *
   * @throws Stopped when the change does not fit the target table (the worker fails with why)
   */
  private Optional<Object> convert(SourceRecord record) {
    TableChanges t = table;
    if (t == null) {
      return changes.toStreamRecord(record).map(r -> r);
    }
    try {
      return t.toRowWrite(record).map(w -> w);
    } catch (IllegalStateException e) {
      throw stop("a change of " + def.option("table", "") + dialect.recordPosition(record)
          + " cannot be applied to table \"" + def.target() + "\": " + e.getMessage());
    }
  }

  private static long bytesOf(Object item) {
    return item instanceof StreamRecord r
        ? r.getSerializedSize() + 8L
        : ((TableChanges.RowWrite) item).bytes();
  }

  /** The operations that write {@code items} (see {@link #convert}). */
  private List<Operation> dataOps(List<Object> items) {
    TableChanges t = table;
    if (t != null) {
      return t.operations(items.stream().map(TableChanges.RowWrite.class::cast).toList());
    }
    return SourceCommits.streamAppend(
        def.target(), items.stream().map(StreamRecord.class::cast).toList());
  }

  private void handleBatch(
      List<ChangeEvent<SourceRecord, SourceRecord>> batch,
      DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
      throws InterruptedException {
    if (checkForSnapshotAgain) {
      for (ChangeEvent<SourceRecord, SourceRecord> event : batch) {
        Optional<String> op = TableChanges.op(event.value());
        if (op.isPresent()) {
          checkForSnapshotAgain = false;
          if (op.get().equals("r")) {
            clearBeforeSnapshot();
          }
          break;
        }
      }
    }
    List<ChangeEvent<SourceRecord, SourceRecord>> chunk = new ArrayList<>();
    List<Object> records = new ArrayList<>();
    long bytes = 0;
    long budget = commits.budget();
    for (ChangeEvent<SourceRecord, SourceRecord> event : batch) {
      Optional<Object> rec = convert(event.value());
      long size = rec.map(ConnectorWorker::bytesOf).orElse(0L);
      if (size > budget) {
        throw stop("a change of " + size + " bytes does not fit a transaction (at most "
            + budget + "); the connector cannot pass it");
      }
      if (!chunk.isEmpty() && bytes + size > budget) {
        commit(chunk, records, committer);
        chunk = new ArrayList<>();
        records = new ArrayList<>();
        bytes = 0;
      }
      chunk.add(event);
      rec.ifPresent(records::add);
      bytes += size;
    }
    if (!chunk.isEmpty()) {
      commit(chunk, records, committer);
    }
    committer.markBatchFinished();
  }

  /**
   * Deletes every row of the target table, in transactions of at most {@value #CLEAR_PAGE_ROWS}
   * rows, each asserting the connector's definition, its stored offset and the table's definition
   * (as a batch does) without moving the offset.
   *
   * <p>Why: Debezium takes an interrupted initial snapshot again from the start (its offset says
   * the snapshot was running), and streams only what changed after the new one. A row the first
   * attempt copied and the source deleted in between is in neither, so without this it would stay
   * in the table for good. The table holds nothing but that attempt's rows (no change was streamed
   * before a snapshot completed), so the new snapshot fills it again. A crash in between leaves the
   * same stored offset: the next worker deletes what is left and Debezium snapshots again.
   *
   * @throws Stopped when the table cannot be read, or the definitions or the offset changed
   */
  private void clearBeforeSnapshot() throws InterruptedException {
    TableChanges t = table;
    LOG.info("Connector '{}': Debezium takes the snapshot again (the last one was interrupted);"
        + " deleting the rows the interrupted one put into table \"{}\" first", def.name(),
        def.target());
    long deleted = 0;
    while (!closing) {
      List<String> keys;
      try {
        keys = rowKeys.first(t.table(), CLEAR_PAGE_ROWS);
      } catch (SqlException | IllegalStateException e) {
        throw stop("cannot read table \"" + def.target() + "\" to delete an interrupted"
            + " snapshot's rows: " + e.getMessage());
      }
      if (keys.isEmpty()) {
        break;
      }
      List<Operation> ops = new ArrayList<>();
      ops.add(StreamMetadataReader.assertUnchanged(commits.catalogKey(), Optional.of(defValue)));
      ops.add(StreamMetadataReader.assertUnchanged(commits.offsetKey(), offset));
      ops.addAll(t.operations(keys.stream()
          .map(k -> new TableChanges.RowWrite(k, Optional.empty())).toList()));
      try {
        // Nothing these deletes change is asserted, so an attempt whose result was lost cannot
        // fail the next one's asserts: ASSERT_FAILED always means someone else changed them.
        commits.run(ops, "deleting an interrupted snapshot's rows", () -> false,
            "table \"" + def.target() + "\" was altered or dropped, or the connector's definition"
                + " or offset changed (paused, dropped, or run by another gateway)",
            () -> closing, e -> lastError = e);
      } catch (Stopped s) {
        throw stop(s.getMessage());
      }
      deleted += keys.size();
    }
    LOG.info("Connector '{}': deleted {} rows of table \"{}\" before the snapshot", def.name(),
        deleted, def.target());
  }

  /** Rows deleted per transaction by {@link #clearBeforeSnapshot}. */
  static final int CLEAR_PAGE_ROWS = 1_000;

  private void commit(
      List<ChangeEvent<SourceRecord, SourceRecord>> chunk,
      List<Object> records,
      DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
      throws InterruptedException {
    SourceRecord last = chunk.get(chunk.size() - 1).value();
    Value next = changes.offsetValue(last);
    try {
      commits.commit(offset, next, dataOps(records), () -> closing, e -> lastError = e,
          table == null ? "" : "table \"" + def.target() + "\" was altered or dropped, or ");
    } catch (Stopped s) {
      throw stop(s.getMessage());
    }
    committed(chunk, records, next, last, committer);
  }

  /**
   * Moves the connector's schema history key from {@code expected} to {@code next} (asserting
   * both and the connector's definition), for {@link OrdoSchemaHistory}.
   *
   * @throws Stopped when the history or the definition changed under this worker
   */
  private void writeHistory(Optional<Value> expected, Value next) throws InterruptedException {
    String key = ConnectorCodec.historyKey(def.connectorId());
    try {
      commits.run(List.of(
          StreamMetadataReader.assertUnchanged(commits.catalogKey(), Optional.of(defValue)),
          StreamMetadataReader.assertUnchanged(key, expected),
          Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(next)).build()),
          "storing the schema history", () -> read(key).equals(Optional.of(next)),
          "the connector's definition or schema history changed (paused, dropped, or run by"
              + " another gateway)", () -> closing, e -> lastError = e);
    } catch (Stopped s) {
      throw stop(s.getMessage());
    }
  }

  private void committed(
      List<ChangeEvent<SourceRecord, SourceRecord>> chunk,
      List<Object> records,
      Value next,
      SourceRecord last,
      DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
      throws InterruptedException {
    offset = Optional.of(next);
    changesAppended += records.size();
    state = inSnapshot(last.sourceOffset()) ? State.SNAPSHOT : State.STREAMING;
    lastError = "";
    for (ChangeEvent<SourceRecord, SourceRecord> e : chunk) {
      committer.markProcessed(e);
    }
  }

  /**
   * Whether a source offset is one of a running initial snapshot, not its last record: Debezium
   * 3 writes {@code snapshot} as the snapshot's kind (e.g. {@code "INITIAL"}; earlier versions
   * {@code true}) with {@code last_snapshot_record} and {@code snapshot_completed}.
   */
  static boolean inSnapshot(java.util.Map<String, ?> sourceOffset) {
    Object snapshot = sourceOffset.get("snapshot");
    return snapshot != null && !Boolean.FALSE.equals(snapshot)
        && !"false".equalsIgnoreCase(String.valueOf(snapshot))
        && !Boolean.TRUE.equals(sourceOffset.get("last_snapshot_record"))
        && !Boolean.TRUE.equals(sourceOffset.get("snapshot_completed"));
  }

  private Stopped stop(String why) {
    fail(why);
    return new Stopped(why);
  }

  /**
   * Ends a batch without marking it processed: the engine stops, the offset stays. A {@link Log}
   * may throw it (or fail its future with it) to stop the worker at once, as a crash would.
   */
  static final class Stopped extends RuntimeException {
    Stopped(String why) {
      super(why);
    }
  }

  /** Stops the engine and waits for the thread (at most {@value #CLOSE_TIMEOUT_MS} ms). Idempotent. */
  @Override
  public void close() {
    closing = true;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MS);
    try {
      // The engine refuses to stop while its task is starting: ask again until it stops.
      while (thread.isAlive() && System.nanoTime() < deadline) {
        DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> e = engine;
        if (e != null) {
          try {
            e.close();
          } catch (IOException | RuntimeException ex) {
            LOG.debug("Connector '{}': closing the engine: {}", def.name(), ex.toString());
          }
        }
        thread.join(CLOSE_POLL_MS);
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.error("Connector '{}' did not stop within {} ms", def.name(), CLOSE_TIMEOUT_MS);
      thread.interrupt();
    }
    if (state != State.FAILED) {
      state = State.STOPPED;
    }
  }
}
