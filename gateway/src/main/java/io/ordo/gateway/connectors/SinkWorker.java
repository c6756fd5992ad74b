package io.ordo.gateway.connectors;

import io.ordo.proto.Value;
import io.ordo.sql.Column;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.StatementResult;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.engine.Positions;
import io.ordo.sql.engine.SqlConfig;
import io.ordo.storage.MultiVersionStore;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one sink connector on this gateway: the committed changes of an Ordo table, materialized
 * view or stream, read by a push query ({@code SELECT * FROM t EMIT CHANGES AT POSITION '<p>'}:
 * every change in commit order, resumable exactly after a position), written to a PostgreSQL or
 * MySQL table ({@link JdbcSink}) in the shape {@link SinkSources} gives (a stream's records are
 * inserts keyed by their {@code (_shard, _offset)}).
 *
 * <p><b>Exactly once in the target.</b> Each batch (at most {@value #BATCH_ROWS_MAX} rows, or
 * what came before the query caught up) is ONE target transaction: the rows' upserts and deletes
 * by primary key and the position after the batch's last row in the progress table. Nothing else
 * records where the sink is: on every start the worker reads that position from the target and
 * resumes the push query after it, so a batch is applied with its position or not at all, and
 * after any crash (gateway, worker, target, between the target's commit and anything else) the
 * next batch starts exactly after the last one applied. Two workers at once (a lease taken over
 * early) would each apply in order from the stored position; the progress row's update makes
 * the second wait for the first's transaction, and both write the same rows in the same order.
 *
 * <p><b>First start.</b> Without a stored position, the table's rows as of a log position (a
 * little behind this gateway's clock, so it is not in the log's future) are copied, in pages of
 * {@value #PAGE_ROWS} by primary key, in ONE target transaction with that position; the push
 * query then starts after it. The position chosen changes only where the copy ends and the
 * changes begin, not what the target ends up holding. A stream has nothing to copy: its first
 * start reads the records from the oldest position the change history keeps (the SQL history
 * retention less {@value #STREAM_START_MARGIN_MS} ms), of every shard (those made by splits and
 * merges too) in commit order; older records, which only the Streams API still reads, are not
 * written.
 *
 * <p><b>Failures.</b> An unreachable or refusing target, a failed statement or a failed query:
 * the worker shows state {@code retrying} with the reason and tries again after {@value
 * #BACKOFF_INITIAL_MS} ms, doubling up to {@value #BACKOFF_MAX_MS} ms, from the stored
 * position; a batch applied resets the wait. Nothing else of the gateway waits on it.
 *
 * <p>Thread-safe getters; one worker thread.
 */
final class SinkWorker implements ConnectorManager.Worker {
  private static final Logger LOG = LoggerFactory.getLogger(SinkWorker.class);

  /** Most rows one target transaction applies. */
  static final int BATCH_ROWS_MAX = 500;

  /** Rows per page of the first start's copy. */
  static final int PAGE_ROWS = 1_000;

  static final long BACKOFF_INITIAL_MS = 200;
  static final long BACKOFF_MAX_MS = 10_000;

  /** How far behind this gateway's clock the first copy reads, in ms. */
  static final long COPY_BEHIND_MS = 1_000;

  /**
   * How far inside the history retention a FROM STREAM sink's first start reads from, in ms (the
   * push query refuses a start older than the retention, measured on its own clock).
   */
  static final long STREAM_START_MARGIN_MS = 3_600_000;

  /** Least time between two progress-only writes (no rows) to the target, in ms. */
  static final long PROGRESS_EVERY_MS = 1_000;

  /** How long {@link #close} waits for the thread, in ms. */
  static final long CLOSE_TIMEOUT_MS = 15_000;

  private final ConnectorDef def;
  private final Value defValue;
  private final SqlEngine engine;
  private final MultiVersionStore store;
  private final LongSupplier wallClockMs;
  private final Thread thread;

  private volatile String state = "starting";
  private volatile String lastError;
  private volatile Optional<String> position = Optional.empty();
  private volatile boolean closing;
  private volatile SqlSession session;
  private volatile long rowsApplied;
  private long backoffMs = BACKOFF_INITIAL_MS;

  /**
   * @param def the sink
   * @param defValue its catalog entry's value
   * @param engine runs the push query and the first copy
   * @param store the gateway's local store (the table's definition)
   * @param wallClockMs the clock the first copy's position is taken behind
   * @param previousError the last error of the worker this one replaces, or empty
   */
  SinkWorker(ConnectorDef def, Value defValue, SqlEngine engine, MultiVersionStore store,
      LongSupplier wallClockMs, String previousError) {
    this.def = Objects.requireNonNull(def, "def");
    this.defValue = Objects.requireNonNull(defValue, "defValue");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.store = Objects.requireNonNull(store, "store");
    this.wallClockMs = Objects.requireNonNull(wallClockMs, "wallClockMs");
    this.lastError = Objects.requireNonNull(previousError, "previousError");
    this.thread = new Thread(this::run, "ordo-sink-" + def.name());
    this.thread.setDaemon(true);
  }

  @Override
  public ConnectorDef def() {
    return def;
  }

  @Override
  public Value defValue() {
    return defValue;
  }

  @Override
  public String stateLabel() {
    return state;
  }

  @Override
  public String lastError() {
    return lastError;
  }

  @Override
  public boolean isRunning() {
    return thread.isAlive();
  }

  @Override
  public void start() {
    thread.start();
  }

  /** The position after the last batch this worker applied or read from the target. */
  Optional<String> position() {
    return position;
  }

  /** Rows this worker applied to the target. */
  long rowsApplied() {
    return rowsApplied;
  }

  private void run() {
    while (!closing) {
      try {
        runOnce();
      } catch (InterruptedException e) {
        break;
      } catch (Exception e) {
        if (closing) {
          break;
        }
        String why = describe(e);
        lastError = why;
        state = "retrying";
        LOG.warn("Sink '{}' failed, retrying in {} ms: {}", def.name(), backoffMs, why);
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException ie) {
          break;
        }
        backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
      }
    }
    state = "stopped";
  }

  /** The reason of a failure: the target's own error when there is one in the causes. */
  private static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException s) {
        return "the target" + (s.getSQLState() == null ? "" : " (SQLSTATE " + s.getSQLState() + ")")
            + ": " + s.getMessage();
      }
    }
    String why = e.getMessage() == null ? e.toString() : e.getMessage();
    return e instanceof Failed && e.getCause() != null ? why + ": " + describe(e.getCause()) : why;
  }

  private void runOnce() throws Exception {
    TableDef table;
    try {
      table = SinkSources.table(def, store);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "; drop the sink", e);
    }
    try (SinkWriter w = SinkWriter.open(def, table)) {
      Optional<String> stored = w.storedPosition();
      String from;
      if (stored.isPresent()) {
        from = stored.get();
      } else if (def.targetKind() == ConnectorDef.TargetKind.STREAM) {
        // A stream's records never change, so there is nothing to copy: its records are read
        // from the oldest position the history holds (its change index), stored first so that
        // a restart before the first batch starts from the same place.
        from = Positions.format(Positions.endOf(wallClockMs.getAsLong()
            - SqlConfig.DEFAULTS.historyRetentionMs() + STREAM_START_MARGIN_MS));
        w.commit(from);
      } else {
        state = "snapshot";
        from = copy(w, table);
      }
      position = Optional.of(from);
      state = "streaming";
      try (SqlSession s = engine.openSession(ConnectorManager.SQL_USER, ConnectorManager.SQL_DATABASE)) {
        session = s;
        if (closing) {
          return;
        }
        s.prepare("SELECT * FROM " + quote(table.name()) + " EMIT CHANGES AT POSITION '" + from
            + "'", List.of()).get(0).push(List.of(), new Batches(w, table));
      } finally {
        session = null;
      }
    }
  }

  /** The first start: the table's rows as of one position, in one target transaction. */
  private String copy(SinkWriter w, TableDef table) throws Exception {
    String at = Positions.format(Positions.endOf(wallClockMs.getAsLong() - COPY_BEHIND_MS));
    String order = table.primaryKey().stream().map(SinkWorker::quote)
        .collect(Collectors.joining(", "));
    long rows = 0;
    try (SqlSession s = engine.openSession(ConnectorManager.SQL_USER, ConnectorManager.SQL_DATABASE)) {
      session = s;
      for (long offset = 0; !closing; offset += PAGE_ROWS) {
        StatementResult page = s.prepare("SELECT * FROM " + quote(table.name()) + " ORDER BY "
            + order + " LIMIT " + PAGE_ROWS + " OFFSET " + offset + " AS OF LOG POSITION '" + at
            + "'", List.of()).get(0).execute(List.of());
        List<List<Object>> changes = new ArrayList<>();
        for (List<Object> row : page.rows()) {
          List<Object> ch = new ArrayList<>(row.size() + 1);
          ch.add("insert");
          ch.addAll(row);
          w.rowPosition(at);
          changes.add(ch);
        }
        w.write(changes);
        rows += changes.size();
        if (page.rows().size() < PAGE_ROWS) {
          break;
        }
      }
    } finally {
      session = null;
    }
    if (closing) {
      throw new InterruptedException("closing");
    }
    w.commit(at);
    rowsApplied += rows;
    LOG.info("Sink '{}' copied {} rows of table {} as of {}", def.name(), rows, table.name(), at);
    return at;
  }

  /** Takes the push query's rows and applies them in batches with their position. */
  private final class Batches implements PushSink {
    private final SinkWriter w;
    private final TableDef table;
    private final List<List<Object>> pending = new ArrayList<>();
    private String pendingPosition;
    private long lastProgressNanos = System.nanoTime();

    Batches(SinkWriter w, TableDef table) {
      this.w = w;
      this.table = table;
    }

    @Override
    public void start(List<Column> columns) {
      List<String> names = columns.stream().map(Column::name).toList();
      List<String> expected = new ArrayList<>(List.of("_position", "_op"));
      expected.addAll(table.columns().stream().map(ColumnDef::name).toList());
      if (!names.equals(expected)) {
        throw new Failed(SinkSources.describe(def) + " changed (its columns are now "
            + names.subList(Math.min(2, names.size()), names.size()) + "); drop and create the"
            + " sink", null);
      }
    }

    @Override
    public void row(List<Object> row) throws InterruptedException {
      w.rowPosition((String) row.get(0));
      pending.add(row.subList(1, row.size()));
      pendingPosition = (String) row.get(0);
      if (pending.size() >= BATCH_ROWS_MAX) {
        flush(pendingPosition);
      }
    }

    @Override
    public void progress(String p) throws InterruptedException {
      // Caught up: apply what came. A mark without rows only moves the stored position, at
      // most once per PROGRESS_EVERY_MS (marks can come with every applied log batch).
      if (!pending.isEmpty()
          || System.nanoTime() - lastProgressNanos >= TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS)) {
        flush(p);
      }
    }

    private void flush(String p) throws InterruptedException {
      if (closing) {
        throw new InterruptedException("closing");
      }
      if (pending.isEmpty() && position.equals(Optional.of(p))) {
        return;
      }
      try {
        w.apply(pending, p);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new Failed("applying " + pending.size() + " changes", e);
      }
      rowsApplied += pending.size();
      pending.clear();
      position = Optional.of(p);
      lastProgressNanos = System.nanoTime();
      lastError = "";
      state = "streaming";
      backoffMs = BACKOFF_INITIAL_MS;
    }
  }

  /** Ends the push query with the reason (its cause, if any, says more). */
  private static final class Failed extends RuntimeException {
    Failed(String why, Throwable cause) {
      super(why, cause);
    }
  }

  /** A SQL identifier in double quotes (embedded quotes doubled). */
  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** Stops the query and waits for the thread (at most {@value #CLOSE_TIMEOUT_MS} ms). Idempotent. */
  @Override
  public void close() {
    closing = true;
    SqlSession s = session;
    if (s != null) {
      s.cancel();
    }
    thread.interrupt();
    try {
      thread.join(CLOSE_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.error("Sink '{}' did not stop within {} ms", def.name(), CLOSE_TIMEOUT_MS);
    }
    state = "stopped";
  }
}
