package io.ordo.gateway.connectors;

import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Get;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.encoding.ConnectorCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ordo side of every source connector (Debezium's {@link ConnectorWorker}, Kafka's {@link
 * KafkaSourceWorker}): linearizable reads of the connector's keys, and the one transaction per
 * batch that appends the batch's changes AND moves the connector's offset key from the value the
 * worker last read or wrote to the batch's end.
 *
 * <p>Each batch's transaction is {@code Assert(definition == the one the worker runs)}, {@code
 * Assert(offset == expected)} (absent before the first batch), {@code Put(offset = next)} and the
 * batch's data operations. A result that does not come or an abort other than ASSERT_FAILED is
 * retried with the same asserts, at most {@value #ATTEMPTS_MAX} times, {@value
 * #BACKOFF_INITIAL_MS}..{@value #BACKOFF_MAX_MS} ms apart: the asserts make a repeat harmless.
 * ASSERT_FAILED means an earlier attempt committed (the offset now holds {@code next}: done) or
 * the definition or the offset changed under the worker (paused, dropped, run by another
 * gateway): {@link ConnectorWorker.Stopped} with the reason.
 *
 * <p>Stateless apart from its constructor's arguments; thread-safe.
 */
final class SourceCommits {
  private static final Logger LOG = LoggerFactory.getLogger(SourceCommits.class);

  /** How long one transaction's result is awaited, in ms. */
  static final long TXN_WAIT_MS = 20_000;

  /** Attempts per batch before the worker fails. */
  static final int ATTEMPTS_MAX = 5;

  static final long BACKOFF_INITIAL_MS = 200;
  static final long BACKOFF_MAX_MS = 3_000;

  private final ConnectorDef def;
  private final Value defValue;
  private final ConnectorWorker.Log log;
  private final long txnBytesMax;
  private final String offsetKey;
  private final String catalogKey;

  SourceCommits(ConnectorDef def, Value defValue, ConnectorWorker.Log log, long txnBytesMax)
      throws io.ordo.sql.SqlException {
    this.def = Objects.requireNonNull(def, "def");
    this.defValue = Objects.requireNonNull(defValue, "defValue");
    this.log = Objects.requireNonNull(log, "log");
    this.txnBytesMax = txnBytesMax;
    this.offsetKey = ConnectorCodec.offsetKey(def.connectorId());
    this.catalogKey = ConnectorCodec.connectorKey(def.name());
  }

  /**
   * Most bytes of data one batch's transaction may carry: the gateway's limit less room for the
   * asserts, the offset and the transaction's framing.
   */
  long budget() {
    return Math.max(1024, txnBytesMax - 4 * 1024 - 2L * defValue.getSerializedSize());
  }

  /** The catalog key of the connector's definition. */
  String catalogKey() {
    return catalogKey;
  }

  /** The connector's offset key's value through the log. */
  /** The key of the connector's stored offset. */
  String offsetKey() {
    return offsetKey;
  }

  Optional<Value> readOffset() throws InterruptedException {
    return read(offsetKey);
  }

  /** A key's value through the log (a Get transaction: linearizable). */
  Optional<Value> read(String key) throws InterruptedException {
    Transaction get = Transaction.newBuilder()
        .setId(TxnRunner.newTxnId())
        .addOps(Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()))
        .build();
    TxnResult r = await(log.execute(get, TXN_WAIT_MS));
    return StreamMetadataReader.valuesOf(List.of(key), r).get(key);
  }

  /** The operation appending {@code records} to stream {@code stream} (none when empty). */
  static List<Operation> streamAppend(String stream, List<StreamRecord> records) {
    if (records.isEmpty()) {
      return List.of();
    }
    return List.of(Operation.newBuilder()
        .setStreamAppend(StreamAppend.newBuilder().setStream(stream).addAllRecords(records))
        .build());
  }

  /**
   * Commits {@code dataOps} with the offset moving from {@code expected} to {@code next} (see the
   * class comment); returns once committed.
   *
   * @param closing true once the worker closes (then no further attempt)
   * @param attemptFailed told the reason of each failed attempt
   * @param conflictHint prefixed to the reason of an ASSERT_FAILED that is not an earlier commit
   * @throws ConnectorWorker.Stopped when it cannot commit, with the reason
   */
  void commit(
      Optional<Value> expected, Value next, List<Operation> dataOps, BooleanSupplier closing,
      Consumer<String> attemptFailed, String conflictHint) throws InterruptedException {
    List<Operation> ops = new ArrayList<>();
    ops.add(StreamMetadataReader.assertUnchanged(catalogKey, Optional.of(defValue)));
    ops.add(StreamMetadataReader.assertUnchanged(offsetKey, expected));
    ops.add(Operation.newBuilder().setKey(offsetKey)
        .setPut(Put.newBuilder().setValue(next)).build());
    ops.addAll(dataOps);
    run(ops, "appending changes", () -> {
      Optional<Value> now = readOffset();
      return now.isPresent() && now.get().equals(next);
    }, conflictHint + "the connector's definition or offset changed (paused, dropped, or run by"
        + " another gateway)", closing, attemptFailed);
  }

  /** Whether a transaction whose asserts failed had committed in an earlier attempt. */
  interface CommittedBefore {
    boolean check() throws InterruptedException;
  }

  /**
   * Runs {@code ops} (which assert what the worker last read or wrote) until they commit: a
   * result that does not come or an abort other than ASSERT_FAILED is retried, at most {@value
   * #ATTEMPTS_MAX} times; ASSERT_FAILED is success when {@code before} finds the transaction's
   * effect (an earlier attempt committed), else the worker stops with {@code changedWhy}.
   *
   * @param what what the transaction does, for messages
   * @param closing true once the worker closes (then no further attempt)
   * @param attemptFailed told the reason of each failed attempt
   * @throws ConnectorWorker.Stopped when it cannot commit, with the reason
   */
  void run(List<Operation> ops, String what, CommittedBefore before, String changedWhy,
      BooleanSupplier closing, Consumer<String> attemptFailed) throws InterruptedException {
    long backoff = BACKOFF_INITIAL_MS;
    String why = "";
    for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      if (closing.getAsBoolean()) {
        throw new ConnectorWorker.Stopped("closing");
      }
      Transaction txn = Transaction.newBuilder()
          .setId("connector-" + def.name() + "-" + TxnRunner.newTxnId()).addAllOps(ops).build();
      try {
        TxnResult r = await(log.execute(txn, TXN_WAIT_MS));
        if (r.getOutcome() == Outcome.COMMITTED) {
          return;
        }
        if (r.getAbortReason() == AbortReason.ASSERT_FAILED) {
          if (before.check()) {
            return; // an earlier attempt committed
          }
          throw new ConnectorWorker.Stopped(changedWhy + ": " + r.getDetail());
        }
        why = r.getAbortReason() + " " + r.getDetail();
      } catch (RuntimeException e) {
        if (e instanceof ConnectorWorker.Stopped s) {
          throw s;
        }
        why = e.getMessage() == null ? e.toString() : e.getMessage();
      }
      attemptFailed.accept("attempt " + attempt + " failed: " + why);
      LOG.warn("Connector '{}': {} failed (attempt {}): {}", def.name(), what, attempt, why);
      Thread.sleep(backoff);
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
    }
    throw new ConnectorWorker.Stopped(what + " failed " + ATTEMPTS_MAX + " times: " + why);
  }

  private static TxnResult await(CompletableFuture<TxnResult> f) throws InterruptedException {
    try {
      return f.get(TXN_WAIT_MS + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new IllegalStateException("no result within " + (TXN_WAIT_MS + 5_000) + " ms");
    }
  }
}
