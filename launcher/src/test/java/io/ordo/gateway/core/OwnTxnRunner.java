package io.ordo.gateway.core;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sequencer.HeartbeatService;
import io.ordo.sequencer.Sequencer;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A test's own {@link TxnRunner} over an embedded Ordo's log, as a second gateway or a bridge
 * would have: its own {@link Sequencer} with a {@link HeartbeatService} of its own (every appender
 * needs heartbeats: the gateway's go quiet while it is idle, and the executor's watermark waits for
 * every partition), its own results listener and worker pool; {@link #close} stops them all.
 */
public final class OwnTxnRunner implements AutoCloseable {
  private final Sequencer sequencer;
  private final HeartbeatService heartbeats;
  private final ResultListener results;
  private final ExecutorService workers;
  private final TxnRunner runner;

  private OwnTxnRunner(Sequencer sequencer, HeartbeatService heartbeats, ResultListener results, ExecutorService workers,
      TxnRunner runner) {
    this.sequencer = sequencer;
    this.heartbeats = heartbeats;
    this.results = results;
    this.workers = workers;
    this.runner = runner;
  }

  /**
   * Starts one.
   *
   * @param name names the heartbeat thread
   * @param waitMs the runner's bound on waiting for a result, in ms
   * @param inFlightTxnMax the results listener's bound on waiters
   * @param workerThreads threads of the runner's worker pool
   */
  public static OwnTxnRunner start(EmbeddedOrdo ordo, String name, long waitMs, int inFlightTxnMax, int workerThreads)
      throws Exception {
    Sequencer sequencer = new Sequencer(ordo.bootstrapServers(), ordo.topics());
    HeartbeatService heartbeats = null;
    ResultListener results = null;
    try {
      heartbeats = new HeartbeatService(sequencer, HeartbeatService.DEFAULT_INTERVAL_MS, name);
      heartbeats.start();
      results = ResultListener.start(ordo.bootstrapServers(), ordo.topics().resultsTopic(), inFlightTxnMax, Duration.ofSeconds(60));
      ExecutorService workers = Executors.newFixedThreadPool(workerThreads);
      return new OwnTxnRunner(sequencer, heartbeats, results, workers,
          new TxnRunner(sequencer, results, new SequencerHealth(null), waitMs, workers));
    } catch (Exception | Error e) {
      if (heartbeats != null) {
        heartbeats.close();
      }
      sequencer.close();
      throw e;
    }
  }

  /** The runner. */
  public TxnRunner runner() {
    return runner;
  }

  @Override
  public void close() {
    heartbeats.close();
    results.close();
    sequencer.close();
    workers.shutdownNow();
  }
}
