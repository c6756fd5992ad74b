package io.ordo.gateway.streams;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.NameList;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Reads stream metadata ({@code \u0000ordo/stream/<name>}, bytes of {@link StreamMetadata}) and
 * other internal keys with Get transactions through the log, so every read is linearizable; keeps
 * the latest metadata per stream in a bounded cache for append routing.
 *
 * <p>The cache may be stale: routing with stale metadata is safe because an append to a shard that
 * was sealed meanwhile aborts with SHARD_CLOSED (or NOT_FOUND after a delete), and the caller then
 * calls {@link #invalidate} and reads again. Metadata changes (split, merge, delete) are OLLP
 * transactions that {@link #assertUnchanged assert} the exact value they planned with.
 *
 * <p>Thread-safe. Futures complete on the {@link TxnRunner}'s response executor; failures are the
 * runner's {@code StatusRuntimeException}s.
 */
public final class StreamMetadataReader {
  /** Most streams whose metadata is cached; the least recently used is dropped beyond it. */
  public static final int CACHE_ENTRIES_MAX = 10_000;

  /**
   * What one read found.
   *
   * @param stream the stream name
   * @param raw the value as stored (the exact value to assert), or empty when the stream does not
   *     exist
   * @param metadata {@code raw} parsed
   * @param position where in the log it was read
   */
  public record Snapshot(
      String stream, Optional<Value> raw, Optional<StreamMetadata> metadata, Position position) {
    /** Whether the stream exists. */
    public boolean exists() {
      return metadata.isPresent();
    }

    /** The metadata; NOT_FOUND status when the stream does not exist. */
    public StreamMetadata require() {
      return metadata.orElseThrow(
          () -> Status.NOT_FOUND
              .withDescription("stream '" + stream + "' does not exist")
              .asRuntimeException());
    }
  }

  /**
   * Values of keys read in one transaction.
   *
   * @param values by key, in the order asked; empty when the key is absent
   * @param position the transaction's position
   */
  public record KeyValues(Map<String, Optional<Value>> values, Position position) {
    /** The value of {@code key}; empty when absent or not asked. */
    public Optional<Value> get(String key) {
      return values.getOrDefault(key, Optional.empty());
    }
  }

  private final TxnRunner runner;
  private final Map<String, Snapshot> cache =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Snapshot> eldest) {
          return size() > CACHE_ENTRIES_MAX;
        }
      }; // guarded by itself

  /** @param runner runs the Get transactions */
  public StreamMetadataReader(TxnRunner runner) {
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  /** Reads the metadata of {@code stream} through the log and caches it. */
  public CompletableFuture<Snapshot> read(String stream) {
    String key = StreamKeys.stream(stream);
    return get(List.of(key))
        .thenApply(
            values -> {
              Snapshot snapshot = snapshotOf(stream, values.get(key), values.position());
              remember(snapshot);
              return snapshot;
            });
  }

  /** The cached metadata of {@code stream}, or a fresh {@link #read} when none is cached. */
  public CompletableFuture<Snapshot> cachedOrRead(String stream) {
    Snapshot cached;
    synchronized (cache) {
      cached = cache.get(stream);
    }
    return cached != null ? CompletableFuture.completedFuture(cached) : read(stream);
  }

  /** Drops the cached metadata of {@code stream} (after SHARD_CLOSED / NOT_FOUND, or a change). */
  public void invalidate(String stream) {
    synchronized (cache) {
      cache.remove(stream);
    }
  }

  /** Caches {@code snapshot} (e.g. the metadata a committed change wrote). */
  public void remember(Snapshot snapshot) {
    synchronized (cache) {
      if (snapshot.exists()) {
        cache.put(snapshot.stream(), snapshot);
      } else {
        cache.remove(snapshot.stream());
      }
    }
  }

  /**
   * Reads {@code keys} (at most a transaction's worth) in one Get transaction.
   *
   * @throws io.grpc.StatusRuntimeException (in the future) as {@link TxnRunner} fails, or
   *     INTERNAL when the read did not commit
   */
  public CompletableFuture<KeyValues> get(List<String> keys) {
    Transaction.Builder txn = Transaction.newBuilder().setId(TxnRunner.newTxnId());
    for (String key : keys) {
      txn.addOps(Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()));
    }
    return runner.execute(txn.build()).thenApply(result -> valuesOf(keys, result));
  }

  /** The values read by the first {@code keys.size()} operations (Gets of {@code keys}) of a result. */
  public static KeyValues valuesOf(List<String> keys, TxnResult result) {
    if (result.getOutcome() != Outcome.COMMITTED) {
      if (result.getOutcome() != Outcome.ABORTED) {
        throw TxnRunner.duplicateOrUnknown(result);
      }
      throw Status.INTERNAL
          .withDescription(
              "read transaction '" + result.getTxnId() + "' aborted (" + result.getAbortReason()
                  + "): " + result.getDetail())
          .asRuntimeException();
    }
    Map<String, Optional<Value>> values = new LinkedHashMap<>();
    for (String key : keys) {
      values.put(key, Optional.empty());
    }
    for (KeyRead read : result.getReadsList()) {
      if (!read.getPostState() && read.getOpIndex() < keys.size() && read.getFound()) {
        values.put(keys.get(read.getOpIndex()), Optional.of(read.getValue()));
      }
    }
    return new KeyValues(Collections.unmodifiableMap(values), result.getPosition());
  }

  /** A snapshot from a value read at {@code position}. */
  public static Snapshot snapshotOf(String stream, Optional<Value> raw, Position position) {
    return new Snapshot(stream, raw, raw.map(v -> parse(stream, v)), position);
  }

  /** Parses a stream metadata value; INTERNAL status when it is not one. */
  public static StreamMetadata parse(String stream, Value value) {
    if (value.getKindCase() != Value.KindCase.BYTES) {
      throw Status.INTERNAL
          .withDescription("the metadata key of stream '" + stream + "' holds a " + value.getKindCase())
          .asRuntimeException();
    }
    try {
      return StreamMetadata.parseFrom(value.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL
          .withDescription("the metadata of stream '" + stream + "' does not parse: " + e.getMessage())
          .asRuntimeException();
    }
  }

  /** The value to store for {@code metadata}. */
  public static Value valueOf(StreamMetadata metadata) {
    return Value.newBuilder().setBytes(metadata.toByteString()).build();
  }

  /**
   * An assert that {@code key} still holds {@code raw} exactly (or is still absent): the OLLP check
   * of a transaction planned with that read.
   */
  public static Operation assertUnchanged(String key, Optional<Value> raw) {
    Assert.Builder check = Assert.newBuilder();
    if (raw.isPresent()) {
      check.setEquals(raw.get());
    } else {
      check.setAbsent(true);
    }
    return Operation.newBuilder().setKey(key).setAssert(check).build();
  }

  /** A Put of {@code value} under {@code key}: the write half of an OLLP change. */
  public static Operation put(String key, Value value) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(value)).build();
  }

  /** A Delete of {@code key}. */
  public static Operation delete(String key) {
    return Operation.newBuilder().setKey(key).setDelete(Delete.getDefaultInstance()).build();
  }

  /** The shard of {@code metadata} with id {@code shardId}, if any. */
  public static Optional<ShardInfo> shard(StreamMetadata metadata, long shardId) {
    for (ShardInfo shard : metadata.getShardsList()) {
      if (shard.getId() == shardId) {
        return Optional.of(shard);
      }
    }
    return Optional.empty();
  }

  /** The open shards of {@code metadata}, in id order. */
  public static List<ShardInfo> openShards(StreamMetadata metadata) {
    List<ShardInfo> open = new ArrayList<>();
    for (ShardInfo shard : metadata.getShardsList()) {
      if (!shard.getClosed()) {
        open.add(shard);
      }
    }
    open.sort((a, b) -> Long.compare(a.getId(), b.getId()));
    return open;
  }

  /**
   * The open shard whose range holds MD5({@code partitionKey}); FAILED_PRECONDITION status when no
   * open shard covers it (corrupt metadata: open shards always cover the whole space).
   */
  public static ShardInfo route(StreamMetadata metadata, String partitionKey) {
    return route(metadata, HashRanges.hash(partitionKey));
  }

  /** As {@link #route(StreamMetadata, String)} for a hash already computed. */
  public static ShardInfo route(StreamMetadata metadata, byte[] hash) {
    for (ShardInfo shard : metadata.getShardsList()) {
      if (!shard.getClosed() && HashRanges.contains(shard, hash)) {
        return shard;
      }
    }
    throw Status.FAILED_PRECONDITION
        .withDescription(
            "no open shard of stream '" + metadata.getName() + "' covers hash "
                + HashRanges.hex(com.google.protobuf.ByteString.copyFrom(hash)))
        .asRuntimeException();
  }

  /** The catalog value of {@code names} (bytes of NameList; the inverse of {@link #names}). */
  public static Value nameList(List<String> names) {
    return Value.newBuilder()
        .setBytes(NameList.newBuilder().addAllNames(names).build().toByteString())
        .build();
  }

  /** The names of a catalog value (bytes of NameList); empty when absent. */
  public static List<String> names(Optional<Value> catalog) {
    if (catalog.isEmpty()) {
      return List.of();
    }
    try {
      return NameList.parseFrom(catalog.get().getBytes()).getNamesList();
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL
          .withDescription("a catalog key does not hold a name list: " + e.getMessage())
          .asRuntimeException();
    }
  }
}
