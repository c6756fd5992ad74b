package io.ordo.gateway.connectors;

import io.ordo.gateway.core.BackgroundThreads;
import io.ordo.gateway.core.LeaseTakeover;
import io.ordo.gateway.core.OwnerProbe;
import io.ordo.gateway.core.TcpOwnerProbe;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.gateway.streams.StreamMetadataReader;
import io.ordo.proto.Delete;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.ConnectorStatus;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.encoding.ConnectorCodec;
import io.ordo.storage.MultiVersionStore;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the source connectors of the SQL catalog running, each in exactly one gateway: the one
 * holding its lease ({@link ConnectorLease}).
 *
 * <p><b>Rounds.</b> Every {@code intervalMs}, and soon after this gateway changed a connector
 * ({@link #catalogChanged}: then every {@value #CATCH_UP_STEP_MS} ms for up to {@value
 * #CATCH_UP_ROUNDS_MAX} rounds, since the local store may not show the change yet), one thread
 * reads the connectors from the local store (no transaction) and:
 *
 * <ul>
 *   <li>stops the workers whose connector is gone, paused or redefined (a paused connector's
 *       lease is released);
 *   <li>for a connector this gateway runs: renews the lease every third of {@value #LEASE_MS} ms
 *       (an OLLP transaction asserting the value it wrote last, carrying the worker's state and
 *       last error so {@code SHOW CONNECTORS} on any gateway shows them); restarts a failed
 *       worker (from the stored offset) at the next round; stops the worker if the renewal
 *       fails (another gateway took over);
 *   <li>for a connector nobody runs (no lease, or one expired by this gateway's clock): takes the
 *       lease (asserting the value read and the connector's definition) and starts a {@link
 *       ConnectorWorker};
 *   <li>for a connector whose unexpired lease names another gateway instance: takes it at once if
 *       that holder is gone ({@link LeaseTakeover}: it advertised this gateway's own address, or
 *       nothing accepts a TCP connection at the address it advertised), so a connector whose
 *       gateway was killed moves within about a round instead of after its {@value #LEASE_MS} ms
 *       lease; else leaves it alone. Safe even if the holder is alive after all: every batch
 *       asserts the offset it starts from, and the holder's next renewal fails and stops it.
 * </ul>
 *
 * <p>At most {@value #CONNECTORS_MAX} connectors run per gateway. A running connector costs one
 * lease transaction per {@value #LEASE_MS}/3 ms besides its changes; a gateway with no connectors
 * appends nothing.
 *
 * <p>Thread-safe: rounds run on one thread; {@link #status}, {@link #check} and {@link #dropped}
 * may be called from statement threads.
 */
public final class ConnectorManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorManager.class);

  /** Default time between rounds, in ms. */
  public static final long DEFAULT_INTERVAL_MS = 2_000;

  /** Lease length, in ms (renewed every third of it). */
  public static final long LEASE_MS = 15_000;

  /** Most connectors one gateway runs. */
  public static final int CONNECTORS_MAX = 64;

  static final long CATCH_UP_STEP_MS = 100;
  static final int CATCH_UP_ROUNDS_MAX = 30;

  /** How long a round waits for a probe of a lease holder's address, in ms. */
  static final long PROBE_WAIT_MS = TcpOwnerProbe.TIMEOUT_MS_DEFAULT + 1_000L;

  /** How long {@link #dropped} waits for the slot to be free, in ms. */
  static final long RELEASE_WAIT_MS = 10_000;

  private static final Position LATEST =
      Position.newBuilder().setTs(Long.MAX_VALUE).setPartition(Integer.MAX_VALUE)
          .setOffset(Long.MAX_VALUE).build();

  private final MultiVersionStore store;
  private final ConnectorWorker.Log log;
  private final long txnBytesMax;
  private final long intervalMs;
  private final LongSupplier wallClockMs;
  private final String gatewayId = "gw-" + UUID.randomUUID();
  private final OwnerProbe probe;
  private final TcpOwnerProbe ownedProbe; // probe when this manager made it, else null
  private volatile String address = "";
  private final ScheduledExecutorService timer;
  private volatile SqlEngine sqlEngine; // null until attached: sinks need it

  /** Guarded by this. */
  private final TreeMap<String, Running> running = new TreeMap<>();

  /** User and database of the SQL sessions sinks read through. */
  static final String SQL_USER = "ordo-connector";
  static final String SQL_DATABASE = "ordo";

  /** What runs one connector here: a source's {@link ConnectorWorker}, a {@link SinkWorker}. */
  interface Worker extends AutoCloseable {
    ConnectorDef def();

    /** The catalog value of {@link #def} it was started with. */
    Value defValue();

    /** Its state as SHOW CONNECTORS names it ({@code starting}, {@code streaming}, ...). */
    String stateLabel();

    /** Its last error, or empty. */
    String lastError();

    /** Whether it still runs (false: the next round restarts it). */
    boolean isRunning();

    void start();

    /** Stops it, waiting a bounded time. Idempotent. */
    @Override
    void close();
  }

  /** A worker and the lease value this gateway wrote for it last. */
  private static final class Running {
    final Worker worker;
    Value lease;
    long renewedAtMs;

    Running(Worker worker, Value lease, long renewedAtMs) {
      this.worker = worker;
      this.lease = lease;
      this.renewedAtMs = renewedAtMs;
    }
  }

  /**
   * @param store the gateway's local store (the catalog, leases and offsets are read from it)
   * @param log runs transactions (with stream appends)
   * @param txnBytesMax the gateway's largest encoded transaction
   * @param intervalMs time between rounds, &gt; 0
   * @param wallClockMs the clock of lease expiry (epoch ms)
   */
  public ConnectorManager(
      MultiVersionStore store, ConnectorWorker.Log log, long txnBytesMax, long intervalMs,
      LongSupplier wallClockMs) {
    this(store, log, txnBytesMax, intervalMs, wallClockMs, null);
  }

  /**
   * As above, with the probe that tells whether another lease holder still answers at its
   * address ({@code null}: a {@link TcpOwnerProbe} of this manager's, closed with it).
   */
  public ConnectorManager(
      MultiVersionStore store, ConnectorWorker.Log log, long txnBytesMax, long intervalMs,
      LongSupplier wallClockMs, OwnerProbe probe) {
    this.ownedProbe = probe == null ? new TcpOwnerProbe(TcpOwnerProbe.TIMEOUT_MS_DEFAULT) : null;
    this.probe = probe == null ? ownedProbe : probe;
    this.store = Objects.requireNonNull(store, "store");
    this.log = Objects.requireNonNull(log, "log");
    this.txnBytesMax = txnBytesMax;
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("intervalMs must be > 0, got " + intervalMs);
    }
    this.intervalMs = intervalMs;
    this.wallClockMs = Objects.requireNonNull(wallClockMs, "wallClockMs");
    this.timer = Executors.newSingleThreadScheduledExecutor(
        BackgroundThreads.named("ordo-connector-manager"));
  }

  /** This gateway's instance id, as leases name it. */
  public String gatewayId() {
    return gatewayId;
  }

  /**
   * This gateway's gRPC address ({@code host:port}), written into the leases it takes or renews
   * from now on, so other gateways can tell when it is gone.
   */
  public void advertise(String address) {
    this.address = Objects.requireNonNull(address, "address");
  }

  /** Lets sinks run their push queries through {@code engine} (the gateway's own engine). */
  public void attachSql(SqlEngine engine) {
    this.sqlEngine = Objects.requireNonNull(engine, "engine");
  }

  /** Schedules the rounds, the first at once. */
  public void start() {
    timer.scheduleWithFixedDelay(this::roundQuietly, 0, intervalMs, TimeUnit.MILLISECONDS);
  }

  /** A connector was created, paused, resumed or dropped here: run rounds soon. */
  public void catalogChanged() {
    try {
      for (int i = 1; i <= CATCH_UP_ROUNDS_MAX; i++) {
        timer.schedule(this::roundQuietly, i * CATCH_UP_STEP_MS, TimeUnit.MILLISECONDS);
      }
    } catch (RejectedExecutionException e) {
      // Closing.
    }
  }

  /**
   * Checks a definition before CREATE: options, then the source.
   *
   * @throws IllegalArgumentException bad options
   * @throws IllegalStateException the source is unreachable or lacks what the connector needs
   */
  public void check(ConnectorDef def) {
    if (KafkaConnectors.isKafka(def)) {
      KafkaConnectors.checkOptions(def);
      if (def.sink() && sqlEngine == null) {
        throw new UnsupportedOperationException("this gateway runs no sink connectors");
      }
      KafkaConnectors.checkTopic(def);
      return;
    }
    if (!def.sink()) {
      SourceDialect source = SourceDialect.of(def);
      source.checkOptions(def);
      source.checkSource(def);
      return;
    }
    if (sqlEngine == null) {
      throw new UnsupportedOperationException("this gateway runs no sink connectors");
    }
    JdbcSink.checkOptions(def);
    TableDef rows = SinkSources.table(def, store);
    if (def.targetKind() != ConnectorDef.TargetKind.TABLE
        && def.sourceKind().equals(ConnectorDef.POSTGRESQL)) {
      PostgresSink.createTargetIfAbsent(def, rows);
    }
    JdbcSink.checkTarget(def, rows);
  }

  /**
   * The Ordo table mirroring the source table of an INTO TABLE connector (see {@link
   * SourceDialect#sourceTable}).
   *
   * @throws IllegalArgumentException a kind no source handles
   *
   * @throws IllegalStateException the source cannot be asked, or the table has no primary key
   * @throws UnsupportedOperationException a column type Ordo cannot hold
   */
  public io.ordo.sql.catalog.TableDef sourceTable(ConnectorDef def, String tableId) {
    return SourceDialect.of(def).sourceTable(def, tableId);
  }

  /** What this gateway knows of {@code def} now (see {@link ConnectorStatus}). */
  public ConnectorStatus status(ConnectorDef def) {
    if (def.sink()) {
      return sinkStatus(def);
    }
    if (KafkaConnectors.isKafka(def)) {
      return kafkaSourceStatus(def);
    }
    String state;
    Optional<String> owner = Optional.empty();
    Optional<String> error = Optional.empty();
    Optional<Value> offset;
    Running r;
    synchronized (this) {
      r = running.get(def.name());
    }
    if (def.paused()) {
      state = "paused"; // a worker here may still be stopping
      offset = store.getLatest(ConnectorCodec.offsetKey(def.connectorId()));
    } else if (r != null && r.worker.def().connectorId().equals(def.connectorId())) {
      state = r.worker.stateLabel();
      owner = Optional.of(ConnectorLease.describe(gatewayId, address));
      error = Optional.of(r.worker.lastError()).filter(s -> !s.isEmpty());
      offset = ((ConnectorWorker) r.worker).offset();
    } else {
      Optional<ConnectorLease> lease = store.getLatest(ConnectorCodec.leaseKey(def.connectorId()))
          .flatMap(ConnectorLease::decode);
      if (lease.isPresent() && lease.get().expiresMs() >= wallClockMs.getAsLong()) {
        state = lease.get().state();
        owner = Optional.of(lease.get().describe());
        error = Optional.of(lease.get().error()).filter(s -> !s.isEmpty());
      } else {
        state = "unassigned";
        error = lease.map(ConnectorLease::error).filter(s -> !s.isEmpty());
      }
      offset = store.getLatest(ConnectorCodec.offsetKey(def.connectorId()));
    }
    SourceDialect.Positions p = SourceDialect.of(def).positions(def, offset);
    if (error.isEmpty()) {
      error = p.error();
    }
    return new ConnectorStatus(state, owner, p.applied(), p.source(), p.lagBytes(), error);
  }

  /**
   * A sink's status: state, owner and error as for sources; the applied position is the one its
   * worker here last applied, else the one stored at the target (asked, bounded by the target's
   * timeouts); no source position or lag (the push query reads what Ordo committed).
   */
  private ConnectorStatus sinkStatus(ConnectorDef def) {
    Presence p = presence(def);
    String state = p.state();
    Optional<String> owner = p.owner();
    Optional<String> error = p.error();
    Optional<String> applied = p.worker() == null ? Optional.empty()
        : ((SinkWorker) p.worker()).position();
    if (applied.isEmpty() && !KafkaConnectors.isKafka(def)) {
      try {
        applied = JdbcSink.storedPosition(def);
      } catch (SQLException | RuntimeException e) {
        if (error.isEmpty()) {
          error = Optional.of("cannot ask the target for the sink's position: " + e.getMessage());
        }
      }
    }
    return new ConnectorStatus(state, owner, applied, Optional.empty(), OptionalLong.empty(), error);
  }

  /**
   * Who runs {@code def} and how it is: this gateway's worker (then {@code worker} is it), else
   * the live lease's state and owner, else {@code unassigned} with the lease's last error.
   */
  private record Presence(String state, Optional<String> owner, Optional<String> error,
      Worker worker) {}

  private Presence presence(ConnectorDef def) {
    Running r;
    synchronized (this) {
      r = running.get(def.name());
    }
    if (def.paused()) {
      return new Presence("paused", Optional.empty(), Optional.empty(), null);
    }
    if (r != null && r.worker.def().connectorId().equals(def.connectorId())) {
      return new Presence(r.worker.stateLabel(), Optional.of(ConnectorLease.describe(gatewayId, address)),
          Optional.of(r.worker.lastError()).filter(s -> !s.isEmpty()), r.worker);
    }
    Optional<ConnectorLease> lease = store.getLatest(ConnectorCodec.leaseKey(def.connectorId()))
        .flatMap(ConnectorLease::decode);
    boolean live = lease.isPresent() && lease.get().expiresMs() >= wallClockMs.getAsLong();
    return new Presence(live ? lease.get().state() : "unassigned",
        live ? Optional.of(lease.get().describe()) : Optional.empty(),
        lease.map(ConnectorLease::error).filter(s -> !s.isEmpty()), null);
  }

  /**
   * A Kafka source's status: the applied offsets ({@code partition:next offset,...}, those of
   * this gateway's worker, else the stored ones), the topic's end offsets (read_committed,
   * asked with a {@value KafkaConnectors#CHECK_TIMEOUT_MS} ms bound) and the lag in records.
   */
  private ConnectorStatus kafkaSourceStatus(ConnectorDef def) {
    Presence p = presence(def);
    Optional<String> error = p.error();
    Optional<Value> offset = p.worker() instanceof KafkaSourceWorker w ? w.offset()
        : store.getLatest(ConnectorCodec.offsetKey(def.connectorId()));
    Optional<java.util.SortedMap<Integer, Long>> applied =
        offset.map(KafkaConnectors::parseOffsets);
    Optional<java.util.SortedMap<Integer, Long>> end;
    try {
      end = Optional.of(KafkaConnectors.endOffsets(def));
    } catch (RuntimeException e) {
      end = Optional.empty();
      if (error.isEmpty()) {
        error = Optional.of("cannot ask Kafka for the topic's end offsets: " + e.getMessage());
      }
    }
    OptionalLong lag = OptionalLong.empty();
    if (applied.isPresent() && end.isPresent()) {
      long sum = 0;
      for (Map.Entry<Integer, Long> e : end.get().entrySet()) {
        sum += Math.max(0, e.getValue() - applied.get().getOrDefault(e.getKey(), 0L));
      }
      lag = OptionalLong.of(sum);
    }
    return new ConnectorStatus(p.state(), p.owner(), applied.map(KafkaConnectors::offsetsText),
        end.map(KafkaConnectors::offsetsText), lag, error);
  }

  /**
   * {@code def} was dropped: stops its worker here, if any, and drops its replication slot (and
   * the publication the connector created), waiting up to {@value #RELEASE_WAIT_MS} ms for the
   * gateway that ran it to let go.
   *
   * @return empty, or what was left at the source and why
   */
  public Optional<String> dropped(ConnectorDef def) {
    Running r;
    synchronized (this) {
      r = running.get(def.name());
      if (r != null && r.worker.def().connectorId().equals(def.connectorId())) {
        running.remove(def.name());
      } else {
        r = null;
      }
    }
    if (r != null) {
      r.worker.close();
    }
    if (KafkaConnectors.isKafka(def)) {
      return Optional.empty(); // the offsets are Ordo keys (dropped with it); the topic stays
    }
    if (def.sink()) {
      Optional<String> left = JdbcSink.release(def);
      left.ifPresent(why -> LOG.warn("Sink '{}' dropped: {}", def.name(), why));
      return left;
    }
    try {
      Optional<String> left = SourceDialect.of(def).release(def, RELEASE_WAIT_MS);
      left.ifPresent(why -> LOG.warn("Connector '{}' dropped: {}", def.name(), why));
      return left;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while dropping the replication slot");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rounds (timer thread)

  private void roundQuietly() {
    try {
      round();
    } catch (RuntimeException | SqlException e) {
      LOG.warn("connector round failed; the next round retries: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void round() throws SqlException, InterruptedException {
    TreeMap<String, Map.Entry<ConnectorDef, Value>> catalog = new TreeMap<>();
    for (Map.Entry<String, Value> e
        : store.scanAsOf(ConnectorCodec.CONNECTOR_KEY_PREFIX, LATEST, MultiVersionStore.SCAN_LIMIT_MAX)) {
      ConnectorDef def = ConnectorCodec.decode(e.getValue());
      catalog.put(def.name(), Map.entry(def, e.getValue()));
    }
    // Stop what should not run here any more.
    List<Running> toStop = new ArrayList<>();
    synchronized (this) {
      for (var it = running.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Running> e = it.next();
        Map.Entry<ConnectorDef, Value> wanted = catalog.get(e.getKey());
        if (wanted == null || !wanted.getValue().equals(e.getValue().worker.defValue())) {
          toStop.add(e.getValue());
          it.remove();
        }
      }
    }
    for (Running r : toStop) {
      LOG.info("Connector '{}' stops on this gateway (paused, dropped or redefined)",
          r.worker.def().name());
      r.worker.close();
      releaseQuietly(r);
    }
    long now = wallClockMs.getAsLong();
    Map<String, Boolean> answered = new HashMap<>(); // probes of this round, by address
    for (Map.Entry<ConnectorDef, Value> e : catalog.values()) {
      ConnectorDef def = e.getKey();
      if (def.paused()) {
        continue;
      }
      Running r;
      synchronized (this) {
        r = running.get(def.name());
      }
      if (r != null) {
        keep(r, e.getValue(), now);
      } else {
        tryTake(def, e.getValue(), now, answered);
      }
    }
  }

  /** A connector this gateway runs: renew its lease when due; restart a failed worker. */
  private void keep(Running r, Value defValue, long now) throws SqlException, InterruptedException {
    Worker w = r.worker;
    if (!w.isRunning()) {
      LOG.info("Connector '{}' restarts from its stored offset (last error: {})",
          w.def().name(), w.lastError());
      String error = w.lastError();
      w.close();
      Worker next = newWorker(w.def(), defValue, error);
      Running replaced = new Running(next, r.lease, r.renewedAtMs);
      // Report the failure in the lease before the restart hides it.
      if (!renew(replaced, now, "failed", error)) {
        synchronized (this) {
          running.remove(w.def().name());
        }
        return;
      }
      synchronized (this) {
        running.put(w.def().name(), replaced);
      }
      next.start();
      return;
    }
    if (now - r.renewedAtMs >= LEASE_MS / 3) {
      if (!renew(r, now, w.stateLabel(), w.lastError())) {
        LOG.warn("Connector '{}': lost its lease; stopping it here", w.def().name());
        synchronized (this) {
          running.remove(w.def().name());
        }
        w.close();
      }
    }
  }

  private boolean renew(Running r, long now, String state, String error)
      throws InterruptedException, SqlException {
    ConnectorLease next = new ConnectorLease(gatewayId, address, now + LEASE_MS, state, error);
    String key = ConnectorCodec.leaseKey(r.worker.def().connectorId());
    Value v = next.encode();
    Optional<Boolean> ok = run(List.of(
        StreamMetadataReader.assertUnchanged(key, Optional.of(r.lease)),
        Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(v)).build()));
    if (ok.isEmpty()) {
      return true; // unknown outcome: keep going, the next round tells
    }
    if (ok.get()) {
      r.lease = v;
      r.renewedAtMs = now;
    }
    return ok.get();
  }

  private void tryTake(ConnectorDef def, Value defValue, long now, Map<String, Boolean> answered)
      throws SqlException, InterruptedException {
    if (def.sink() && sqlEngine == null) {
      return; // a sink reads through the SQL engine: not taken before one is attached
    }
    String key = ConnectorCodec.leaseKey(def.connectorId());
    Optional<Value> current = store.getLatest(key);
    Optional<ConnectorLease> lease = current.flatMap(ConnectorLease::decode);
    if (lease.isPresent() && lease.get().expiresMs() >= now
        && !lease.get().gateway().equals(gatewayId)) {
      ConnectorLease held = lease.get();
      switch (LeaseTakeover.decide(held.address(), address)) {
        case REFUSE:
          return; // another gateway runs it, and it cannot be asked
        case TAKE:
          LOG.info("Connector '{}': its lease names an earlier run of this gateway ({}); taking it",
              def.name(), held.address());
          break;
        case PROBE:
        default:
          if (answered.computeIfAbsent(held.address(), this::answers)) {
            return; // another gateway runs it
          }
          LOG.info("Connector '{}': its lease holder {} ({}) does not answer; taking over",
              def.name(), held.gateway(), held.address());
          break;
      }
    }
    synchronized (this) {
      if (running.size() >= CONNECTORS_MAX) {
        LOG.warn("Connector '{}' not started here: this gateway runs {} connectors already",
            def.name(), CONNECTORS_MAX);
        return;
      }
    }
    Value v = new ConnectorLease(gatewayId, address, now + LEASE_MS, "starting", "").encode();
    Optional<Boolean> ok = run(List.of(
        StreamMetadataReader.assertUnchanged(key, current),
        StreamMetadataReader.assertUnchanged(ConnectorCodec.connectorKey(def.name()), Optional.of(defValue)),
        Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(v)).build()));
    if (ok.isEmpty() || !ok.get()) {
      return; // someone else was first, or the outcome is unknown: the next round looks again
    }
    Worker w = newWorker(def, defValue, "");
    synchronized (this) {
      running.put(def.name(), new Running(w, v, now));
    }
    LOG.info("Connector '{}' runs on this gateway ({})", def.name(), gatewayId);
    w.start();
  }

  /** Whether something answers at {@code address}; in doubt (slow, failed probe) it does. */
  private boolean answers(String address) {
    try {
      return probe.answers(address).get(PROBE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return true;
    }
  }

  private Worker newWorker(ConnectorDef def, Value defValue, String previousError)
      throws SqlException {
    if (!def.sink() && KafkaConnectors.isKafka(def)) {
      return new KafkaSourceWorker(def, defValue, log, txnBytesMax, previousError);
    }
    if (!def.sink()) {
      return new ConnectorWorker(def, defValue, log, txnBytesMax,
          new TableRowKeys(() -> sqlEngine), previousError);
    }
    SqlEngine engine = sqlEngine;
    if (engine == null) {
      throw new IllegalStateException("this gateway runs no sink connectors (no SQL engine)");
    }
    return new SinkWorker(def, defValue, engine, store, wallClockMs, previousError);
  }

  private void releaseQuietly(Running r) {
    try {
      String key = ConnectorCodec.leaseKey(r.worker.def().connectorId());
      Optional<Boolean> released = run(List.of(
          StreamMetadataReader.assertUnchanged(key, Optional.of(r.lease)),
          Operation.newBuilder().setKey(key).setDelete(Delete.getDefaultInstance()).build()));
      LOG.info("Connector '{}': lease {}", r.worker.def().name(),
          released.map(ok -> ok ? "released" : "not released (changed meanwhile)")
              .orElse("release outcome unknown"));
    } catch (RuntimeException e) {
      LOG.debug("releasing a connector lease failed: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs ops; true committed, false aborted, empty unknown. */
  private Optional<Boolean> run(List<Operation> ops) throws InterruptedException {
    Transaction txn = Transaction.newBuilder().setId("connector-lease-" + TxnRunner.newTxnId())
        .addAllOps(ops).build();
    try {
      TxnResult r = log.execute(txn, ConnectorWorker.TXN_WAIT_MS)
          .get(ConnectorWorker.TXN_WAIT_MS + 5_000, TimeUnit.MILLISECONDS);
      return Optional.of(r.getOutcome() == Outcome.COMMITTED);
    } catch (ExecutionException | TimeoutException e) {
      LOG.debug("connector lease transaction: outcome unknown: {}", e.toString());
      return Optional.empty();
    }
  }


  /**
   * Stops the rounds and every worker here, then releases their leases (best effort, so another
   * gateway may take over at once; a lease not released expires after {@value #LEASE_MS} ms).
   * Nothing is lost either way: the offsets only move with the changes.
   */
  @Override
  public void close() {
    BackgroundThreads.stopNow(timer, 2_000);
    List<Running> all;
    synchronized (this) {
      all = new ArrayList<>(running.values());
      running.clear();
    }
    all.parallelStream().forEach(r -> {
      r.worker.close();
      releaseQuietly(r);
    });
    if (ownedProbe != null) {
      ownedProbe.close();
    }
  }
}
