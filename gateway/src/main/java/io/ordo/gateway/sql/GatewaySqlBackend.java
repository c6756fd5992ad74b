package io.ordo.gateway.sql;

import io.grpc.Context;
import io.grpc.Status;
import io.ordo.gateway.connectors.ConnectorManager;
import io.ordo.gateway.core.Limits;
import io.ordo.gateway.core.OrdoService;
import io.ordo.gateway.core.StreamOpsResolver;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.core.Validation;
import io.ordo.gateway.streams.StreamsService;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.Operation;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.Stream;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.Sequencer;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.ConnectorStatus;
import io.ordo.sql.engine.SqlBackend;
import io.ordo.storage.ChangelogMaterializer;
import io.ordo.storage.MultiVersionStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The SQL engine's view of this gateway ({@link SqlBackend}): transactions go through the
 * gateway's {@link TxnRunner} (those with stream operations through the same {@link
 * StreamOpsResolver} as the Txn API, which routes appends without a shard id by partition key),
 * reads of tables go to the gateway's local store, and stream DDL and reads call the Streams
 * service's logic in this process (no gRPC round trip).
 *
 * <p>Without a local store (a gateway without a data directory) {@link #store()} and {@link
 * #materializer()} throw {@link IllegalStateException} and stream reads fail with
 * FAILED_PRECONDITION. Failures of {@link #execute} complete the future with a {@link
 * io.grpc.StatusRuntimeException} whose description says why (deadline with the outcome
 * unknown, log unavailable, too many transactions waiting, transaction or id too large: the
 * encoded transaction within {@code txnBytesMax}, the id within the log's 128 bytes); the other
 * methods throw the StatusRuntimeException the Streams API would answer with.
 *
 * <p>Thread-safe. Holds one timer thread (the deadlines of transactions with stream operations);
 * {@link #close} stops it.
 */
public final class GatewaySqlBackend implements SqlBackend, AutoCloseable {
  /** Most bytes of records one {@link #readStream} returns (RESOURCE_EXHAUSTED beyond). */
  public static final long READ_BYTES_MAX = 64L << 20;

  private final TxnRunner runner;
  private final StreamOpsResolver streamOps;
  private final StreamsService streams;
  private final MultiVersionStore store; // null without a local store
  private final ChangelogMaterializer materializer; // null without a local store
  private final int keyRangeCount;
  private final Limits limits;
  private final long readRecordsMax;
  private final ScheduledExecutorService deadlines;
  private volatile ConnectorManager connectors; // null: this gateway runs no connectors

  /**
   * @param runner runs transactions through the log
   * @param streamOps resolves and runs transactions with stream operations (the Txn API's)
   * @param streams the Streams service, whose logic stream DDL and reads call
   * @param store the gateway's local store, or null when it has none
   * @param materializer fills {@code store}, or null when there is none
   * @param keyRangeCount the executor's number of key ranges
   * @param limits bounds on transactions (the encoded size)
   * @param readRecordsMax most records one {@link #readStream} returns (the engine's row limit
   *     plus one, so that it can tell a result that is too large)
   */
  public GatewaySqlBackend(
      TxnRunner runner,
      StreamOpsResolver streamOps,
      StreamsService streams,
      MultiVersionStore store,
      ChangelogMaterializer materializer,
      int keyRangeCount,
      Limits limits,
      long readRecordsMax) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.streamOps = Objects.requireNonNull(streamOps, "streamOps");
    this.streams = Objects.requireNonNull(streams, "streams");
    if ((store == null) != (materializer == null)) {
      throw new IllegalArgumentException("store and materializer must both be given or both null");
    }
    this.store = store;
    this.materializer = materializer;
    KeyRanges.rangeOf("", keyRangeCount); // checks the count
    this.keyRangeCount = keyRangeCount;
    this.limits = Objects.requireNonNull(limits, "limits");
    if (readRecordsMax < 1) {
      throw new IllegalArgumentException("readRecordsMax must be > 0, got " + readRecordsMax);
    }
    this.readRecordsMax = readRecordsMax;
    this.deadlines =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ordo-sql-deadlines");
              thread.setDaemon(true);
              return thread;
            });
  }

  @Override
  public CompletableFuture<TxnResult> execute(Transaction txn, long waitMs) {
    Transaction withId =
        txn.getId().isEmpty() ? txn.toBuilder().setId(TxnRunner.newTxnId()).build() : txn;
    try {
      // The engine's ids need not follow the client API's charset, only the log's bound.
      int idBytes = withId.getId().getBytes(StandardCharsets.UTF_8).length;
      if (idBytes > Sequencer.TXN_ID_BYTES_MAX) {
        throw new IllegalArgumentException(
            "transaction id is " + idBytes + " UTF-8 bytes; at most " + Sequencer.TXN_ID_BYTES_MAX
                + " are allowed");
      }
      Validation.checkEncodedSize(withId, limits);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    }
    if (!hasStreamOps(withId)) {
      return runner.execute(withId, waitMs);
    }
    if (waitMs <= 0) {
      return CompletableFuture.failedFuture(
          Status.DEADLINE_EXCEEDED
              .withDescription(
                  "no time was left to run transaction '" + withId.getId() + "'; it was not run")
              .asRuntimeException());
    }
    // The resolver takes its wait from the current context's deadline (as for a Txn call); give
    // it one under which it waits exactly waitMs, and drop the timer once the result is in.
    Context.CancellableContext context =
        Context.current()
            .withDeadlineAfter(
                OrdoService.deadlineMsForWaitMs(Math.min(waitMs, TxnRunner.DEADLINE_MS_MAX)),
                TimeUnit.MILLISECONDS,
                deadlines);
    Context previous = context.attach();
    CompletableFuture<TxnResult> result;
    try {
      result = streamOps.execute(withId);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    } finally {
      context.detach(previous);
    }
    return result.whenComplete((r, e) -> context.cancel(null));
  }

  private static boolean hasStreamOps(Transaction txn) {
    for (Operation op : txn.getOpsList()) {
      if (op.getOpCase() == Operation.OpCase.STREAM_APPEND
          || op.getOpCase() == Operation.OpCase.ACK) {
        return true;
      }
    }
    return false;
  }

  /** Lets SQL's connector statements reach {@code manager} (a gateway with a local store). */
  public void attachConnectors(ConnectorManager manager) {
    this.connectors = Objects.requireNonNull(manager, "manager");
  }

  /** Stops the attached connectors, if any (the server's close, while the log still answers). */
  public void closeConnectors() {
    ConnectorManager m = connectors;
    if (m != null) {
      m.close();
    }
  }

  @Override
  public void checkConnector(ConnectorDef def) {
    ConnectorManager m = connectors;
    if (m == null) {
      throw new UnsupportedOperationException(
          "source connectors need a gateway with a data directory");
    }
    m.check(def);
  }

  @Override
  public io.ordo.sql.catalog.TableDef connectorTable(ConnectorDef def, String tableId) {
    ConnectorManager m = connectors;
    if (m == null) {
      throw new UnsupportedOperationException(
          "source connectors need a gateway with a data directory");
    }
    return m.sourceTable(def, tableId);
  }

  @Override
  public void connectorsChanged() {
    ConnectorManager m = connectors;
    if (m != null) {
      m.catalogChanged();
    }
  }

  @Override
  public ConnectorStatus connectorStatus(ConnectorDef def) {
    ConnectorManager m = connectors;
    return m == null ? SqlBackend.super.connectorStatus(def) : m.status(def);
  }

  @Override
  public java.util.Optional<String> connectorDropped(ConnectorDef def) {
    ConnectorManager m = connectors;
    return m == null ? java.util.Optional.empty() : m.dropped(def);
  }

  @Override
  public MultiVersionStore store() {
    if (store == null) {
      throw new IllegalStateException(
          "this gateway has no local store (start it with a data directory to query tables)");
    }
    return store;
  }

  @Override
  public ChangelogMaterializer materializer() {
    if (materializer == null) {
      throw new IllegalStateException(
          "this gateway has no local store (start it with a data directory to query tables)");
    }
    return materializer;
  }

  @Override
  public int keyRangeCount() {
    return keyRangeCount;
  }

  @Override
  public Stream createStream(CreateStreamRequest request) {
    return streams.createStreamInProcess(request);
  }

  @Override
  public DeleteStreamResponse deleteStream(DeleteStreamRequest request) {
    return streams.deleteStreamInProcess(request);
  }

  @Override
  public ListStreamsResponse listStreams() {
    return streams.listStreamsInProcess(ListStreamsRequest.getDefaultInstance());
  }

  @Override
  public List<ReadResponse> readStream(ReadStreamRequest request) {
    return streams.readStreamInProcess(request, readRecordsMax, READ_BYTES_MAX);
  }

  /** Stops the deadline timer. */
  @Override
  public void close() {
    deadlines.shutdownNow();
  }
}
