package io.ordo.sql.engine;

import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;

/**
 * Consistent snapshots of the gateway's store: positions of the log at which every key range's
 * changes are all in the store, so that reads AS OF such a position see one serial state.
 *
 * <p><b>Why a sync transaction.</b> The store knows, per key range, the position up to which it
 * has applied every change (its frontier, {@link
 * io.ordo.storage.MultiVersionStore#appliedPosition}: a transaction's position only once its last
 * change in the range is in, else the position just before); a key range that has had no change for a
 * while has an old frontier although it is complete up to now. To find a fresh position every key
 * range has applied, a snapshot appends one <em>sync</em> transaction: an increment of one marker
 * key in every key range. Its position {@code P} is after the request began (so the snapshot
 * includes every transaction that committed before, which makes reads strictly serializable and
 * gives read-your-writes), and once every key range's frontier reaches {@code P} — its marker
 * change is there, and LSNs follow log order within a key range — the store holds every change at
 * or before {@code P}.
 *
 * <p><b>Group sync.</b> Any sync appended after a request arrived serves it, so concurrent
 * requests share one: while a sync is in flight, new requests join the next one, which starts when
 * the current one completes (group commit). Under load this costs one sync per sync round trip,
 * whatever the number of sessions; an idle Ordo appends none.
 *
 * <p>Thread-safe.
 */
public final class Snapshots {
  /** Marker keys, one per key range: internal keys the KV API refuses to clients. */
  static final String MARKER_PREFIX = "\u0000ordo/sql/sync/";

  private final SqlBackend backend;
  private final List<String> markers;
  private final List<Integer> keyRanges;
  private CompletableFuture<Position> inFlight; // guarded by this
  private CompletableFuture<Position> next; // guarded by this

  public Snapshots(SqlBackend backend) {
    this.backend = Objects.requireNonNull(backend, "backend");
    int count = backend.keyRangeCount();
    this.markers = markerKeys(count);
    this.keyRanges = IntStream.range(0, count).boxed().toList();
  }

  /**
   * One marker key per key range, the first names {@code <prefix><n>} (n = 0, 1, ...) that fall
   * in each range, so the same count always gives the same keys.
   */
  static List<String> markerKeys(int keyRangeCount) {
    String[] found = new String[keyRangeCount];
    int missing = keyRangeCount;
    for (long n = 0; missing > 0; n++) {
      String key = MARKER_PREFIX + n;
      int range = KeyRanges.rangeOf(key, keyRangeCount);
      if (found[range] == null) {
        found[range] = key;
        missing--;
      }
    }
    return List.of(found);
  }

  /**
   * A fresh consistent snapshot: a position after this call began at which the store holds every
   * change, waiting for the store to reach it.
   *
   * @param timeoutMs the longest wait, in milliseconds
   * @throws SqlException 57014 on timeout, 57P03 when the log or the store cannot answer
   * @throws InterruptedException when the calling thread is interrupted
   */
  public Position fresh(long timeoutMs) throws SqlException, InterruptedException {
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    Position p = await(join(timeoutMs), deadlineNs);
    awaitApplied(p, deadlineNs);
    return p;
  }

  /**
   * Waits until the store holds every change at or before {@code p} (for AS OF a position that
   * lies after the newest sync the store has applied, or a session's own commit).
   *
   * @throws SqlException 57014 on timeout, 57P03 when the store failed
   */
  public void awaitApplied(Position p, long deadlineNs) throws SqlException, InterruptedException {
    long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
    boolean reached;
    try {
      reached = backend.materializer().awaitPosition(keyRanges, p, Math.max(0, remainingMs));
    } catch (IllegalStateException e) {
      throw new SqlException(SqlState.UNAVAILABLE, "the store cannot be read: " + e.getMessage());
    }
    if (!reached) {
      throw new SqlException(
          SqlState.QUERY_CANCELED,
          "canceling statement due to statement timeout: the store did not reach log position "
              + Positions.format(p) + " in time");
    }
  }

  /** Whether the store already holds every change at or before {@code p}. */
  public boolean applied(Position p) {
    for (int r : keyRanges) {
      var frontier = backend.store().appliedPosition(r);
      if (frontier.isEmpty() || Positions.ORDER.compare(frontier.get(), p) < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The newest consistent snapshot the store already holds, without a sync: the smallest
   * frontier over all key ranges (each range is complete up to its frontier, so all are complete
   * up to the smallest). Empty while some key range has no known frontier (after a restart,
   * until a change or a sync reaches it). It may be older than transactions that already
   * committed: only for reads whose commit asserts them.
   */
  public java.util.Optional<Position> latestComplete() {
    Position min = null;
    for (int r : keyRanges) {
      var frontier = backend.store().appliedPosition(r);
      if (frontier.isEmpty()) {
        return java.util.Optional.empty();
      }
      if (min == null || Positions.ORDER.compare(frontier.get(), min) < 0) {
        min = frontier.get();
      }
    }
    return java.util.Optional.ofNullable(min);
  }

  /**
   * Whether the store holds a change (of any key) positioned after {@code p}: then a snapshot at
   * {@code p} misses changes the store already applied.
   */
  public boolean storeHoldsChangesAfter(Position p) {
    return storeHoldsChangesAfter(p, "");
  }

  /** Like {@link #storeHoldsChangesAfter(Position)}, for keys starting with {@code keyPrefix}. */
  public boolean storeHoldsChangesAfter(Position p, String keyPrefix) {
    io.ordo.storage.ChangePage page =
        backend.store().changesAfter(p, null, Positions.endOf(Long.MAX_VALUE), keyPrefix, 1);
    return !page.entries().isEmpty() || !page.complete();
  }

  private CompletableFuture<Position> join(long timeoutMs) {
    CompletableFuture<Position> started;
    synchronized (this) {
      if (inFlight != null) {
        if (next == null) {
          next = new CompletableFuture<>();
        }
        return next;
      }
      started = new CompletableFuture<>();
      inFlight = started;
    }
    // Outside the lock and after inFlight is set: the sync may complete at once (a refused
    // append fails synchronously), and its completion must find itself in flight.
    launch(started, timeoutMs);
    return started;
  }

  /** Appends one sync and completes {@code out} with its position (or its failure). */
  private void launch(CompletableFuture<Position> out, long timeoutMs) {
    List<Operation> ops = new ArrayList<>(markers.size());
    for (String marker : markers) {
      ops.add(
          Operation.newBuilder()
              .setKey(marker)
              .setIncrement(Increment.newBuilder().setDelta(1))
              .build());
    }
    Transaction sync =
        Transaction.newBuilder().setId("sql-sync-" + UUID.randomUUID()).addAllOps(ops).build();
    CompletableFuture<TxnResult> result;
    try {
      result = backend.execute(sync, timeoutMs);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    result.whenComplete(
        (r, error) -> {
          if (error != null) {
            out.completeExceptionally(error);
          } else if (r.getOutcome() != Outcome.COMMITTED) {
            out.completeExceptionally(
                new IllegalStateException("the snapshot sync did not commit: " + r.getOutcome()
                    + " " + r.getAbortReason() + " " + r.getDetail()));
          } else {
            out.complete(r.getPosition());
          }
          finished(out, timeoutMs);
        });
  }

  /** The sync {@code done} finished: the waiting group's sync, if any, starts now. */
  private void finished(CompletableFuture<Position> done, long timeoutMs) {
    CompletableFuture<Position> waiting;
    synchronized (this) {
      if (inFlight != done) {
        return;
      }
      waiting = next;
      next = null;
      inFlight = waiting;
    }
    if (waiting != null) {
      launch(waiting, timeoutMs);
    }
  }

  private static Position await(CompletableFuture<Position> f, long deadlineNs)
      throws SqlException, InterruptedException {
    try {
      return f.get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new SqlException(
          SqlState.QUERY_CANCELED,
          "canceling statement due to statement timeout: no snapshot of the log in time");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new SqlException(
          SqlState.UNAVAILABLE, "cannot take a snapshot of the log: " + cause.getMessage(), 0,
          cause);
    }
  }
}
