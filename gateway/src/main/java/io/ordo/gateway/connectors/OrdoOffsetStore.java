package io.ordo.gateway.connectors;

import io.ordo.proto.Value;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;
import org.apache.kafka.connect.util.Callback;

/**
 * Debezium's offset storage for a connector run by Ordo ({@code offset.storage} names this
 * class): the offsets live in Ordo's key space, under the connector's offset key, and only move
 * in the transactions that append the changes they cover ({@link ConnectorWorker}).
 *
 * <p>The engine instantiates this class by name, so it finds its connector through {@link
 * #HANDLE_PROPERTY} in the engine's configuration, registered with {@link #register} by the
 * worker before the engine starts. {@link #start} loads the offset the worker read through the
 * log (a linearizable Get, so a restart never resumes from a stale value). {@link #set} (the
 * engine's periodic offset commit, after records were marked processed) only updates the copy
 * in memory: what it commits was already written with the data, and writing it again outside
 * those transactions could move the stored offset back behind a batch committed meanwhile. The
 * engine then confirms the position to PostgreSQL (the slot's {@code confirmed_flush_lsn}); that
 * is safe because every change up to it is in Ordo already.
 *
 * <p>Thread-safe (Connect calls it from the engine's threads).
 */
public final class OrdoOffsetStore extends MemoryOffsetBackingStore {
  /** The engine property naming the handle a worker registered. */
  public static final String HANDLE_PROPERTY = "ordo.connector.handle";

  private static final ConcurrentHashMap<String, Optional<Value>> HANDLES =
      new ConcurrentHashMap<>();

  private String handle;

  /** Public no-argument constructor: the engine creates the store by class name. */
  public OrdoOffsetStore() {}

  /** Makes {@code stored} (the offset key's value, if any) what the store under {@code handle} loads. */
  static void register(String handle, Optional<Value> stored) {
    HANDLES.put(handle, stored);
  }

  /** Forgets a handle (the worker stopped). */
  static void unregister(String handle) {
    HANDLES.remove(handle);
  }

  @Override
  public void configure(WorkerConfig config) {
    super.configure(config);
    Object h = config.originalsStrings().get(HANDLE_PROPERTY);
    if (h == null) {
      throw new IllegalStateException(
          OrdoOffsetStore.class.getSimpleName() + " needs the engine property " + HANDLE_PROPERTY);
    }
    this.handle = h.toString();
  }

  @Override
  public synchronized void start() {
    super.start();
    Optional<Value> stored = HANDLES.get(handle);
    if (stored == null) {
      throw new IllegalStateException("no Ordo connector registered under handle " + handle);
    }
    if (stored.isPresent()) {
      Map.Entry<byte[], byte[]> kv = ChangeRecords.parseOffset(stored.get());
      data.put(ByteBuffer.wrap(kv.getKey()), ByteBuffer.wrap(kv.getValue()));
    }
  }

  @Override
  public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
    synchronized (this) {
      data.putAll(new HashMap<>(values));
    }
    if (callback != null) {
      callback.onCompletion(null, null);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Set<Map<String, Object>> connectorPartitions(String connectorName) {
    return Set.of();
  }
}
