package io.ordo.gateway.streams;

import io.ordo.storage.MultiVersionStore;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The stream catalog (names, {@code \u0000ordo/streams}) as the gateway's periodic background work
 * reads it (the ingest reconciler): without a transaction, from the gateway's local store, which
 * the changelog materializer fills, so that a gateway nobody uses appends nothing to the log
 * (ARCHITECTURE.md, "Idle"). Such a read may lag the log by what the store has not materialized
 * yet; it is never older than a read this gateway made before, and the callers act on it only in
 * ways a later round corrects (a bridge created or removed a round late) or through transactions
 * that assert what they depend on.
 *
 * <p>A gateway without a local store reads through the log instead ({@link #throughLog}): a Get
 * transaction per call, which costs log records and heartbeats, so only a gateway with a data
 * directory (every gateway the command line starts) is quiet when idle.
 */
public final class StreamCatalogSource implements Supplier<List<String>> {
  private final Supplier<List<String>> read;
  private final boolean local;

  private StreamCatalogSource(Supplier<List<String>> read, boolean local) {
    this.read = read;
    this.local = local;
  }

  /** Reads the newest catalog the local store has materialized. */
  public static StreamCatalogSource local(MultiVersionStore store) {
    Objects.requireNonNull(store, "store");
    String key = StreamKeys.streamCatalog();
    return new StreamCatalogSource(() -> StreamMetadataReader.names(store.getLatest(key)), true);
  }

  /** Reads the catalog with a Get transaction through the log (blocks for its result). */
  public static StreamCatalogSource throughLog(StreamMetadataReader reader) {
    Objects.requireNonNull(reader, "reader");
    String key = StreamKeys.streamCatalog();
    return new StreamCatalogSource(
        () -> StreamMetadataReader.names(reader.get(List.of(key)).join().get(key)), false);
  }

  /** Whether reads come from the local store (no transaction). */
  public boolean local() {
    return local;
  }

  /**
   * The stream names, in catalog order.
   *
   * @throws RuntimeException as the store or the log read fails (a {@code StatusRuntimeException}
   *     or a {@code CompletionException} wrapping one, an {@code IllegalStateException} of a closed
   *     store)
   */
  @Override
  public List<String> get() {
    return read.get();
  }
}
