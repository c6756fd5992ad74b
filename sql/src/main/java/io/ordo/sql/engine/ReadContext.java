package io.ordo.sql.engine;

import io.ordo.proto.Position;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.storage.MultiVersionStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the table scans of one statement read: the snapshot position, the catalog as of it, and
 * the transaction buffer whose writes they see and whose read set they fill. Calcite calls the
 * scans on the statement's thread, so the context travels in a thread-local set around each
 * execution ({@link #bind}).
 */
final class ReadContext {
  private static final ThreadLocal<ReadContext> CURRENT = new ThreadLocal<>();

  /** How many rows a scan reads from the store per call. */
  static final int PAGE_ROWS = 1_000;

  final MultiVersionStore store;
  final Position snapshot;
  final Catalog catalog;
  /** Null for reads that assert nothing (autocommit queries at a fresh snapshot). */
  final TxnBuffer txn;
  final long scanRowsMax;
  /** Most records one stream scan yields ({@link StreamTable}); 54000 past them. */
  final int streamRecordsMax;
  final AtomicBoolean cancelled;
  /** The backend, for stream reads. */
  final SqlBackend backend;
  /** Each table's column defaults, in column order (for rows written before a column existed). */
  final java.util.function.Function<io.ordo.sql.catalog.TableDef, List<Object>> defaults;
  private long scanned;

  ReadContext(
      MultiVersionStore store,
      Position snapshot,
      Catalog catalog,
      TxnBuffer txn,
      long scanRowsMax,
      int streamRecordsMax,
      AtomicBoolean cancelled,
      SqlBackend backend,
      java.util.function.Function<io.ordo.sql.catalog.TableDef, List<Object>> defaults) {
    this.backend = backend;
    this.defaults = defaults;
    this.store = store;
    this.snapshot = snapshot;
    this.catalog = catalog;
    this.txn = txn;
    this.scanRowsMax = scanRowsMax;
    this.streamRecordsMax = streamRecordsMax;
    this.cancelled = cancelled;
  }

  /** Sets this context for the calling thread until the returned handle is closed. */
  Bound bind() {
    ReadContext previous = CURRENT.get();
    CURRENT.set(this);
    return () -> {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    };
  }

  /** Restores the previous context; never throws. */
  interface Bound extends AutoCloseable {
    @Override
    void close();
  }

  /** The calling thread's context. */
  static ReadContext current() {
    ReadContext c = CURRENT.get();
    if (c == null) {
      throw new IllegalStateException("no SQL read context on this thread");
    }
    return c;
  }

  /** The value of {@code key} as this transaction sees it, recorded in its read set. */
  Optional<Value> read(String key) throws SqlException {
    checkCancelled();
    if (txn != null) {
      Optional<Optional<Value>> buffered = txn.bufferedWrite(key);
      if (buffered.isPresent()) {
        return buffered.get();
      }
    }
    Optional<Value> v = store.getAsOf(key, snapshot);
    if (txn != null) {
      txn.observe(key, v);
    }
    count(1);
    return v;
  }

  /**
   * The rows under {@code prefix} as this transaction sees them, in key order; each recorded in
   * its read set, and the table's row set recorded too (phantoms).
   *
   * @throws SqlException 54000 past the scan bound, 57014 when cancelled
   */
  List<Map.Entry<String, Value>> scan(String prefix, String rowsetKey) throws SqlException {
    if (txn != null) {
      txn.observeRowset(rowsetKey, store.getAsOf(rowsetKey, snapshot));
    }
    List<Map.Entry<String, Value>> out = new ArrayList<>();
    NavigableMap<String, Optional<Value>> overlay =
        txn == null ? Collections.emptyNavigableMap() : txn.overlay(prefix);
    Iterator<Map.Entry<String, Optional<Value>>> pending = overlay.entrySet().iterator();
    Map.Entry<String, Optional<Value>> next = pending.hasNext() ? pending.next() : null;
    String after = null;
    while (true) {
      checkCancelled();
      List<Map.Entry<String, Value>> page = store.scanAsOf(prefix, after, snapshot, PAGE_ROWS);
      for (Map.Entry<String, Value> stored : page) {
        // Buffered writes of keys before this one come first, in key order.
        while (next != null && next.getKey().compareTo(stored.getKey()) < 0) {
          addIfPresent(out, next.getKey(), next.getValue());
          next = pending.hasNext() ? pending.next() : null;
        }
        if (next != null && next.getKey().equals(stored.getKey())) {
          // The transaction wrote this row: it sees its own write (its read was recorded when
          // the statement that wrote it read it).
          addIfPresent(out, next.getKey(), next.getValue());
          next = pending.hasNext() ? pending.next() : null;
        } else {
          if (txn != null) {
            txn.observe(stored.getKey(), Optional.of(stored.getValue()));
          }
          out.add(stored);
        }
        count(1);
      }
      if (page.size() < PAGE_ROWS) {
        break;
      }
      after = page.get(page.size() - 1).getKey();
    }
    while (next != null) {
      addIfPresent(out, next.getKey(), next.getValue());
      next = pending.hasNext() ? pending.next() : null;
    }
    return out;
  }

  private static void addIfPresent(
      List<Map.Entry<String, Value>> out, String key, Optional<Value> value) {
    value.ifPresent(v -> out.add(Map.entry(key, v)));
  }

  private void count(long rows) throws SqlException {
    scanned += rows;
    if (scanned > scanRowsMax) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "the statement reads more than " + scanRowsMax + " rows; narrow it with a primary key"
              + " condition or LIMIT");
    }
  }

  void checkCancelled() throws SqlException {
    if (cancelled.get()) {
      throw new SqlException(SqlState.QUERY_CANCELED, "canceling statement due to user request");
    }
  }
}
