package io.ordo.gateway.ingest;

import io.ordo.gateway.core.TxnRunner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One {@link IngestBridge} per stream, for the stream service: {@link #ensure} when a stream
 * exists (at start for every stream, and after CreateStream), {@link #remove} when it is deleted,
 * {@link #close} with the gateway.
 *
 * <p>Every gateway may run a bridge for every stream: the bridges of one stream share the consumer
 * group {@code <prefix>-ingest}, so Kafka spreads the ingest topic's partitions over them, and the
 * counter keys keep each record appended once even while partitions move. At most {@value
 * #BRIDGES_MAX} bridges run per manager (each is a thread and a consumer).
 *
 * <p>Thread-safe. {@link #remove} and {@link #close} wait for the bridges' threads (at most
 * {@value IngestBridge#CLOSE_TIMEOUT_MS} ms each) outside the manager's lock.
 */
public final class IngestManager implements AutoCloseable {
  /** Most bridges one manager runs. */
  public static final int BRIDGES_MAX = 256;

  private final IngestBridge.Settings settings;
  private final TxnRunner runner;
  private final TreeMap<String, IngestBridge> bridges = new TreeMap<>(); // guarded by this
  private boolean closed; // guarded by this

  /**
   * @param settings where Kafka is and how bridges run
   * @param runner runs the bridges' transactions through the log
   */
  public IngestManager(IngestBridge.Settings settings, TxnRunner runner) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  /**
   * Makes sure a bridge runs for {@code stream}: starts one if there is none or if the one there
   * stopped on an error. Returns at once; idempotent.
   *
   * @return true if a bridge was started, false if one was running already
   * @throws IllegalArgumentException if the stream name is invalid or makes an illegal topic name
   * @throws IllegalStateException if the manager is closed or already runs {@value #BRIDGES_MAX}
   *     bridges
   */
  public boolean ensure(String stream) {
    IngestBridge stopped;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the ingest manager is closed");
      }
      IngestBridge existing = bridges.get(stream);
      if (existing != null && existing.isRunning()) {
        return false;
      }
      if (existing == null && bridges.size() >= BRIDGES_MAX) {
        throw new IllegalStateException(
            "cannot ingest stream '" + stream + "': this gateway already runs " + BRIDGES_MAX
                + " ingest bridges");
      }
      stopped = existing;
      bridges.put(stream, IngestBridge.start(settings, stream, runner));
    }
    if (stopped != null) {
      stopped.close(); // Its thread has ended; this only releases what is left.
    }
    return true;
  }

  /**
   * Stops the bridge of {@code stream}, if any, and waits for it.
   *
   * @return whether there was one
   */
  public boolean remove(String stream) {
    IngestBridge bridge;
    synchronized (this) {
      bridge = bridges.remove(stream);
    }
    if (bridge == null) {
      return false;
    }
    bridge.close();
    return true;
  }

  /** The streams with a bridge (running or stopped on an error), sorted. */
  public synchronized SortedSet<String> streams() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(bridges.keySet()));
  }

  /** The bridge of {@code stream}, if any. */
  public synchronized Optional<IngestBridge> bridge(String stream) {
    return Optional.ofNullable(bridges.get(stream));
  }

  /** Stops every bridge; later {@link #ensure} calls fail. Idempotent. */
  @Override
  public void close() {
    List<IngestBridge> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(bridges.values());
      bridges.clear();
    }
    // Signal all first so their threads stop in parallel, then wait for each.
    all.parallelStream().forEach(IngestBridge::close);
  }
}
