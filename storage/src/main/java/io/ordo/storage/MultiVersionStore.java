package io.ordo.storage;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.proto.Value;
import io.ordo.storage.internal.ChangeKeys;
import io.ordo.storage.internal.ChangelogRecords;
import io.ordo.storage.internal.LsnTracker;
import io.ordo.storage.internal.MetaKeys;
import io.ordo.storage.internal.ShardKeys;
import io.ordo.storage.internal.ShardLogIndexer;
import io.ordo.storage.internal.ShardProgress;
import io.ordo.storage.internal.StoredShardRecord;
import io.ordo.storage.internal.VersionKeys;
import io.ordo.storage.internal.Versions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A multiversion key-value store on RocksDB: every version of a key is kept under (key,
 * position), so reads AS OF a position see the newest version at or before it. Thread-safe.
 *
 * <p><b>Layout.</b> Column family {@code data} holds one entry per version, keyed as described in
 * {@link VersionKeys} (the escaped UTF-8 key, a terminator, then the position in {@link Position}
 * order: ts, partition, offset); its value is the {@link Value}, or a tombstone for a deletion.
 * Column family {@code meta} holds the consumer offsets and the per-key-range LSN bookkeeping
 * ({@link MetaKeys}). Keys are UTF-8 strings of 1..{@value VersionKeys#KEY_BYTES_MAX} bytes; scans
 * return them in UTF-8 byte order (= Unicode code point order).
 *
 * <p><b>Shard logs.</b> A stream shard is one key whose versions are {@code Value{shard:
 * ShardState}}; the version written by an append carries the appended records ({@code
 * appended}, the first at offset {@code next_offset - appended_count}), so the changelog of the
 * shard keys is the stream data. {@link #apply} indexes it as it writes the versions: column
 * family {@code shard_records} holds one entry per record under {@code (stream, shard id,
 * offset)} ({@link ShardKeys}; value: its position and record), column family {@code
 * shard_progress} one entry per shard (its materialized {@link ShardProgressView}). A rising
 * {@code start_offset} (TrimShard) deletes the records below it; deleting the shard key deletes
 * all of them. {@link #readShard}, {@link #shardState} and {@link #offsetAtTimestamp} read this
 * index; {@link ChangelogMaterializer#awaitShardEnd} waits for it.
 *
 * <p><b>Applying.</b> {@link #apply} writes a batch of changelog records, the consumer offsets
 * that produced them and the LSN bookkeeping in one RocksDB {@link WriteBatch}: after a crash
 * either all of it is there or none. It goes through RocksDB's write-ahead log without fsync,
 * which survives a process crash; an OS crash may lose the newest batches, but never a batch
 * without its offsets, so a consumer resuming from {@link #committedOffsets()} re-reads exactly
 * what was lost. Replayed records are dropped by (key range, LSN), see {@link #apply}.
 *
 * <p><b>Reads</b> ({@link #getLatest}, {@link #getAsOf}, {@link #scanAsOf}) run concurrently with
 * each other and with {@link #apply}; a read AS OF {@code p} is only complete once every change at
 * or before {@code p} has been applied, which the caller establishes (for example with {@link
 * ChangelogMaterializer#awaitLsn}).
 *
 * <p>Every RocksDB object this class creates (options, handles, iterators, snapshots, write
 * batches) is closed by it; {@link #close} waits for running calls and then frees the native
 * memory. Calls after {@link #close} throw {@link IllegalStateException}.
 */
public final class MultiVersionStore implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MultiVersionStore.class);

  /** The most entries one {@link #scanAsOf} returns. */
  public static final int SCAN_LIMIT_MAX = 10_000;

  /**
   * The most applied LSNs that may wait above a gap in their key range (records that arrived
   * ahead of a record of the same key range on another, slower partition), over all key ranges.
   */
  public static final long OUT_OF_ORDER_LSNS_MAX = 1L << 20;

  /** The most records one {@link #readShard} returns. */
  public static final int SHARD_READ_LIMIT_MAX = 10_000;

  private static final String DATA_CF = "data";
  private static final String META_CF = "meta";
  private static final String SHARD_RECORDS_CF = "shard_records";
  private static final String SHARD_PROGRESS_CF = "shard_progress";
  private static final String CHANGES_CF = "changes";

  /** The most index entries one {@link #changesAfter} call looks at. */
  public static final int CHANGE_SCAN_MAX = 10_000;

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions writeOptions;
  private final List<ColumnFamilyHandle> handles;
  private final RocksDB db;
  private final ColumnFamilyHandle data;
  private final ColumnFamilyHandle meta;
  private final ColumnFamilyHandle shardRecords;
  private final ColumnFamilyHandle shardProgress;
  private final ColumnFamilyHandle changes;

  /** Read lock: any call on RocksDB; write lock: {@link #close}, so no call uses a freed handle. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  /** Serializes {@link #apply}; guards {@link #lsns}. */
  private final Lock applyLock = new ReentrantLock();
  private final LsnTracker lsns;
  /** Published after each successful write: readers see a watermark only once its data is in. */
  private final ConcurrentHashMap<Integer, Long> appliedLsns = new ConcurrentHashMap<>();
  /**
   * Per key range, its frontier: every change of the range at or before it is in the store (see
   * {@link #frontierCandidate}). Known only for watermarks reached by this process (not
   * persisted); published after each write, like {@link #appliedLsns}.
   */
  private final ConcurrentHashMap<Integer, Position> appliedPositions = new ConcurrentHashMap<>();
  /**
   * Frontier candidates ({@link #frontierCandidate}) of changes applied above a gap in their key
   * range (keyed by range, then LSN), so the frontier can move to them when the gap closes. Guarded by {@link #applyLock}; bounded
   * like the tracker's out-of-order set.
   */
  private final TreeMap<Integer, TreeMap<Long, Position>> positionsAboveGaps = new TreeMap<>();
  /** Immutable, ordered; replaced after each successful write. */
  private volatile Map<Integer, Long> offsets;
  // The changelog this store is materialized from (bindSource); guarded by this.
  private String source;
  private boolean closed; // guarded by lifecycle

  private MultiVersionStore(
      Path dir,
      DBOptions dbOptions,
      ColumnFamilyOptions cfOptions,
      List<ColumnFamilyHandle> handles,
      RocksDB db) {
    this.dir = dir;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.writeOptions = new WriteOptions();
    this.handles = handles;
    this.db = db;
    this.data = handles.get(1);
    this.meta = handles.get(2);
    this.shardRecords = handles.get(3);
    this.shardProgress = handles.get(4);
    this.changes = handles.get(5);
    this.lsns = new LsnTracker(OUT_OF_ORDER_LSNS_MAX);
  }

  /**
   * Opens the store in {@code dir}, creating the directory and the database if missing.
   *
   * @throws UncheckedIOException if the directory cannot be created
   * @throws IllegalStateException if RocksDB cannot open it (for example it is already open, in
   *     this or another process) or its metadata is corrupt
   */
  public static MultiVersionStore open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path absolute = dir.toAbsolutePath();
    try {
      Files.createDirectories(absolute);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the store directory " + absolute, e);
    }
    DBOptions dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            // Bound the informational LOG files RocksDB keeps next to the data.
            .setKeepLogFileNum(5);
    ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
            new ColumnFamilyDescriptor(DATA_CF.getBytes(StandardCharsets.UTF_8), cfOptions),
            new ColumnFamilyDescriptor(META_CF.getBytes(StandardCharsets.UTF_8), cfOptions),
            // Created on open when missing, so stores written before shard logs existed open too
            // (their changelog offsets are then past shard versions that were never indexed;
            // such a store must be rebuilt from the topic to serve shard reads).
            new ColumnFamilyDescriptor(SHARD_RECORDS_CF.getBytes(StandardCharsets.UTF_8), cfOptions),
            new ColumnFamilyDescriptor(SHARD_PROGRESS_CF.getBytes(StandardCharsets.UTF_8), cfOptions),
            // The change index (position order); built from the data column family when a store
            // written before it existed is opened (see buildChangeIndex).
            new ColumnFamilyDescriptor(CHANGES_CF.getBytes(StandardCharsets.UTF_8), cfOptions));
    boolean changeIndexMissing = !hasColumnFamily(dbOptions, absolute, CHANGES_CF);
    List<ColumnFamilyHandle> handles = new ArrayList<>(descriptors.size());
    RocksDB db;
    try {
      db = RocksDB.open(dbOptions, absolute.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      handles.forEach(ColumnFamilyHandle::close);
      cfOptions.close();
      dbOptions.close();
      throw new IllegalStateException(
          "Cannot open the store in " + absolute + ": " + e.getMessage(), e);
    }
    MultiVersionStore store = new MultiVersionStore(absolute, dbOptions, cfOptions, handles, db);
    try {
      store.loadMeta();
      if (changeIndexMissing) {
        store.buildChangeIndex();
      }
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  /** Whether the database in {@code dir} exists and has the column family {@code name}. */
  private static boolean hasColumnFamily(DBOptions options, Path dir, String name) {
    if (!Files.exists(dir.resolve("CURRENT"))) {
      return false;
    }
    try (org.rocksdb.Options listOptions = new org.rocksdb.Options()) {
      for (byte[] cf : RocksDB.listColumnFamilies(listOptions, dir.toString())) {
        if (Arrays.equals(cf, name.getBytes(StandardCharsets.UTF_8))) {
          return true;
        }
      }
      return false;
    } catch (RocksDBException e) {
      throw new IllegalStateException("Cannot list the column families of " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Fills the change index from the versions of the data column family: a store written before
   * the index existed gets every change it holds indexed once, when first opened by a build that
   * has it, so {@link #changesAfter} serves its whole history. One pass over the versions.
   */
  private void buildChangeIndex() {
    long indexed = 0;
    try (RocksIterator it = db.newIterator(data);
        WriteBatch batch = new WriteBatch()) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] versionKey = it.key();
        int keyLength = VersionKeys.encodedKeyLength(versionKey);
        byte[] encodedKey = Arrays.copyOf(versionKey, keyLength);
        batch.put(changes, ChangeKeys.of(VersionKeys.decodePosition(versionKey), encodedKey), MetaKeys.EMPTY);
        indexed++;
        if (batch.count() >= 10_000) {
          db.write(writeOptions, batch);
          batch.clear();
        }
      }
      it.status();
      if (batch.count() > 0) {
        db.write(writeOptions, batch);
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException("Cannot build the change index of " + dir + ": " + e.getMessage(), e);
    }
    if (indexed > 0) {
      LOG.info("Built the change index of {} from {} stored versions", dir, indexed);
    }
  }

  private void loadMeta() {
    TreeMap<Integer, Long> loadedOffsets = new TreeMap<>();
    try (RocksIterator it = db.newIterator(meta)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        switch (key[0]) {
          case MetaKeys.OFFSET -> loadedOffsets.put(MetaKeys.id(key), MetaKeys.readLong(it.value()));
          case MetaKeys.WATERMARK -> lsns.restoreWatermark(MetaKeys.id(key), MetaKeys.readLong(it.value()));
          case MetaKeys.OUT_OF_ORDER_LSN -> lsns.restoreOutOfOrder(MetaKeys.id(key), MetaKeys.lsn(key));
          case MetaKeys.SOURCE -> source = new String(it.value(), StandardCharsets.UTF_8);
          default -> throw new IllegalStateException(
              "corrupt store " + dir + ": unknown meta key kind " + key[0]);
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw new IllegalStateException("Cannot read the metadata of " + dir + ": " + e.getMessage(), e);
    }
    appliedLsns.putAll(lsns.watermarks());
    offsets = Collections.unmodifiableMap(loadedOffsets);
  }

  /**
   * Applies a batch of changelog records atomically with the consumer offsets that produced them
   * (one WriteBatch), skipping duplicates by (key_range, lsn). Returns how many were applied.
   * Shard versions among them also update the shard-log index in the same WriteBatch (see the
   * class comment), so the index never disagrees with the versions and offsets.
   *
   * <p>A record is a duplicate when its (key range, LSN) was applied before, by an earlier batch
   * or earlier in this one; it is skipped whatever its content. Records may arrive in any order
   * across key ranges and LSNs: each becomes the version of its key at its position, and {@link
   * #appliedLsn} reports, per key range, the LSN up to which every record has been applied.
   *
   * @param records changelog records; each needs a key of 1..{@value VersionKeys#KEY_BYTES_MAX}
   *     UTF-8 bytes, a position and an LSN &gt;= 1, and a shard value must be consistent (see
   *     {@link ChangelogRecords#invalidReason}). An absent {@code after} stores a deletion.
   * @param nextOffsetsByPartition for each changelog partition the batch read from, the offset of
   *     the next record to read; each must be &gt;= 0 and not below the stored one. May be empty.
   * @return how many records were applied (not duplicates)
   * @throws IllegalArgumentException if a record or offset is invalid; nothing is written then
   * @throws IllegalStateException if the store is closed, RocksDB fails, or the batch would leave
   *     more than {@value #OUT_OF_ORDER_LSNS_MAX} LSNs waiting above gaps; nothing is written then
   */
  public int apply(List<ChangelogRecord> records, Map<Integer, Long> nextOffsetsByPartition) {
    Objects.requireNonNull(records, "records");
    Objects.requireNonNull(nextOffsetsByPartition, "nextOffsetsByPartition");
    applyLock.lock();
    try {
      lifecycle.readLock().lock();
      try {
        checkOpen();
        // Sorted so that the batch content does not depend on the caller's map iteration order.
        TreeMap<Integer, Long> sortedNextOffsets = new TreeMap<>(nextOffsetsByPartition);
        TreeMap<Integer, Long> newOffsets = new TreeMap<>(offsets);
        for (Map.Entry<Integer, Long> e : sortedNextOffsets.entrySet()) {
          checkOffset(e.getKey(), e.getValue(), newOffsets.get(e.getKey()));
          newOffsets.put(e.getKey(), e.getValue());
        }
        LsnTracker.Batch lsnBatch = lsns.newBatch();
        TreeMap<Integer, TreeMap<Long, Position>> batchPositions = new TreeMap<>();
        int applied = 0;
        try (WriteBatch batch = new WriteBatch()) {
          ShardLogIndexer shardLog = new ShardLogIndexer(db, shardRecords, shardProgress, batch);
          for (ChangelogRecord r : records) {
            String reason = ChangelogRecords.invalidReason(r);
            if (reason != null) {
              throw new IllegalArgumentException(reason);
            }
            if (!lsnBatch.offer(r.getKeyRange(), r.getLsn())) {
              continue;
            }
            byte[] key = VersionKeys.encodedKey(r.getKey().getBytes(StandardCharsets.UTF_8));
            Optional<Value> after = r.hasAfter() ? Optional.of(r.getAfter()) : Optional.empty();
            batch.put(data, VersionKeys.versionKey(key, r.getPosition()), Versions.encode(after));
            batch.put(changes, ChangeKeys.of(r.getPosition(), key), MetaKeys.EMPTY);
            batchPositions
                .computeIfAbsent(r.getKeyRange(), k -> new TreeMap<>())
                .put(r.getLsn(), frontierCandidate(r));
            shardLog.index(r);
            applied++;
          }
          List<LsnTracker.Change> changes = lsnBatch.changes();
          for (LsnTracker.Change c : changes) {
            if (c.newWatermark() != c.oldWatermark()) {
              batch.put(meta, MetaKeys.watermark(c.keyRange()), MetaKeys.longValue(c.newWatermark()));
            }
            for (long lsn : c.removedOutOfOrder()) {
              batch.delete(meta, MetaKeys.outOfOrderLsn(c.keyRange(), lsn));
            }
            for (long lsn : c.addedOutOfOrder()) {
              batch.put(meta, MetaKeys.outOfOrderLsn(c.keyRange(), lsn), MetaKeys.EMPTY);
            }
          }
          for (Map.Entry<Integer, Long> e : sortedNextOffsets.entrySet()) {
            batch.put(meta, MetaKeys.offset(e.getKey()), MetaKeys.longValue(e.getValue()));
          }
          if (batch.count() > 0) {
            db.write(writeOptions, batch);
          }
          // Published only after the write: a reader that sees a watermark finds its data.
          lsns.commit(changes);
          for (LsnTracker.Change c : changes) {
            appliedLsns.put(c.keyRange(), c.newWatermark());
            advanceFrontier(c, batchPositions.getOrDefault(c.keyRange(), new TreeMap<>()));
          }
          offsets = Collections.unmodifiableMap(newOffsets);
        } catch (RocksDBException e) {
          throw new IllegalStateException("Cannot write to the store " + dir + ": " + e.getMessage(), e);
        }
        return applied;
      } finally {
        lifecycle.readLock().unlock();
      }
    } finally {
      applyLock.unlock();
    }
  }

  /**
   * The frontier of a record's key range once its LSN is the range's watermark (every LSN up to
   * it applied). LSNs follow log order within a key range, so every change before the record's
   * position is in; those at its position too when it is the last of its transaction in the range
   * ({@code last_at_position} true). When it is not (false), the transaction's later changes at
   * the same position may still be missing (the changelog is partitioned by key and applied in
   * bounded batches), so the frontier is the position just before: {@link #predecessor}. Records
   * without the field (written by earlier builds) count as the last, as before it existed.
   */
  static Position frontierCandidate(ChangelogRecord r) {
    if (!r.hasLastAtPosition() || r.getLastAtPosition()) {
      return r.getPosition();
    }
    return predecessor(r.getPosition());
  }

  /**
   * The greatest position before {@code p} in position order (ts, partition, offset): every real
   * position before {@code p} is at or before it, so a frontier set to it never moves back past
   * an earlier frontier. Offset minus one; at offset 0 the previous partition's last offset
   * ({@code Long.MAX_VALUE}); at partition 0 and offset 0 the previous millisecond's last position
   * ({@code Integer.MAX_VALUE}, {@code Long.MAX_VALUE}).
   */
  static Position predecessor(Position p) {
    if (p.getOffset() > 0) {
      return p.toBuilder().setOffset(p.getOffset() - 1).build();
    }
    if (p.getPartition() > 0) {
      return p.toBuilder().setPartition(p.getPartition() - 1).setOffset(Long.MAX_VALUE).build();
    }
    return Position.newBuilder()
        .setTs(p.getTs() - 1)
        .setPartition(Integer.MAX_VALUE)
        .setOffset(Long.MAX_VALUE)
        .build();
  }

  /** Moves the frontier position of a key range after its watermark moved (under applyLock). */
  private void advanceFrontier(LsnTracker.Change c, TreeMap<Long, Position> fromBatch) {
    TreeMap<Long, Position> waiting =
        positionsAboveGaps.computeIfAbsent(c.keyRange(), k -> new TreeMap<>());
    for (long lsn : c.addedOutOfOrder()) {
      Position p = fromBatch.get(lsn);
      if (p != null) {
        waiting.put(lsn, p);
      }
    }
    if (c.newWatermark() != c.oldWatermark()) {
      Position atWatermark = fromBatch.get(c.newWatermark());
      if (atWatermark == null) {
        atWatermark = waiting.get(c.newWatermark());
      }
      // Unknown when the change at the watermark was applied before a restart: the frontier then
      // waits for the range's next change, which moves it on.
      if (atWatermark != null) {
        appliedPositions.put(c.keyRange(), atWatermark);
      }
      waiting.headMap(c.newWatermark(), true).clear();
    }
    if (waiting.isEmpty()) {
      positionsAboveGaps.remove(c.keyRange());
    }
  }

  /**
   * The frontier of a key range: every change of the key range at or before this position is in
   * the store. It is the position of the change at {@link #appliedLsn} when that change is the
   * last of its transaction in the range (LSNs follow log order within a key range), else the
   * position just before it (a transaction writes all its changes at one position, and a batch
   * may end among them: the position is complete only with its last change). So it may be a
   * position no log entry has, such as {@code (ts, p, o - 1)} or {@code (ts, p - 1,
   * Long.MAX_VALUE)}, which is still a valid bound for reads AS OF it. Empty until this process
   * has applied a change that moved the range's watermark.
   *
   * @throws IllegalStateException if the store is closed
   */
  public Optional<Position> appliedPosition(int keyRange) {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return Optional.ofNullable(appliedPositions.get(keyRange));
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * The key ranges this store has seen changes of, ascending (those with an applied LSN).
   *
   * @throws IllegalStateException if the store is closed
   */
  public List<Integer> keyRanges() {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return new TreeMap<>(appliedLsns).keySet().stream().toList();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private static void checkOffset(int partition, Long next, Long stored) {
    if (partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0, got " + partition);
    }
    if (next == null || next < 0) {
      throw new IllegalArgumentException(
          "next offset of partition " + partition + " must be >= 0, got " + next);
    }
    if (stored != null && next < stored) {
      throw new IllegalArgumentException(
          "next offset of partition " + partition + " would go back from " + stored + " to " + next);
    }
  }

  /**
   * The newest version of {@code key}.
   *
   * @return the value, or empty if the key never existed or its newest version is a deletion
   * @throws IllegalArgumentException if the key is null, empty or longer than {@value
   *     VersionKeys#KEY_BYTES_MAX} UTF-8 bytes
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public Optional<Value> getLatest(String key) {
    byte[] encoded = VersionKeys.encodedKey(VersionKeys.checkedUtf8(key));
    return read(encoded, VersionKeys.versionKeyMax(encoded));
  }

  /**
   * The value as of position p: newest version with position &lt;= p (Position order: ts,
   * partition, offset); empty if absent or deleted then.
   *
   * @throws IllegalArgumentException if the key is invalid (see {@link #getLatest}) or p is null
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public Optional<Value> getAsOf(String key, Position p) {
    Objects.requireNonNull(p, "position");
    byte[] encoded = VersionKeys.encodedKey(VersionKeys.checkedUtf8(key));
    return read(encoded, VersionKeys.versionKey(encoded, p));
  }

  private Optional<Value> read(byte[] encodedKey, byte[] target) {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      try (RocksIterator it = db.newIterator(data)) {
        Optional<Value> v = newestAtOrBefore(it, encodedKey, target);
        it.status();
        return v;
      } catch (RocksDBException e) {
        throw new IllegalStateException("Cannot read the store " + dir + ": " + e.getMessage(), e);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * The newest version of {@code encodedKey} at or before {@code target}, or empty. Encoded keys
   * are prefix-free, so an entry that starts with {@code encodedKey} is a version of this key.
   */
  private static Optional<Value> newestAtOrBefore(RocksIterator it, byte[] encodedKey, byte[] target) {
    it.seekForPrev(target);
    if (!it.isValid()) {
      return Optional.empty();
    }
    byte[] found = it.key();
    if (!VersionKeys.startsWith(found, encodedKey)) {
      return Optional.empty();
    }
    if (found.length != encodedKey.length + VersionKeys.POSITION_BYTES) {
      throw new IllegalStateException("corrupt version key of " + found.length + " bytes");
    }
    return Versions.decode(it.value());
  }

  /**
   * The LSN up to which every changelog record of {@code keyRange} has been applied: all records
   * with LSN 1..appliedLsn are in the store. 0 if none.
   *
   * @throws IllegalStateException if the store is closed
   */
  public long appliedLsn(int keyRange) {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return appliedLsns.getOrDefault(keyRange, 0L);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Binds the store to the changelog it is materialized from, e.g. {@code <topic>/<topic id>}: the
   * first call records it; later calls (after reopening too) must name the same source. The
   * stored offsets, LSNs and versions are meaningless for any other topic, or for a topic deleted
   * and created again under the same name (new topic id), whose offsets restart at zero.
   *
   * @throws IllegalStateException if the store is bound to another source (the message says to
   *     delete the directory so it is rebuilt from the changelog), or is closed
   * @throws IllegalArgumentException if {@code identity} is empty
   */
  public void bindSource(String identity) {
    if (identity == null || identity.isEmpty()) {
      throw new IllegalArgumentException("identity must not be empty");
    }
    lifecycle.readLock().lock();
    try {
      checkOpen();
      synchronized (this) {
        if (source == null) {
          db.put(meta, MetaKeys.SOURCE_KEY, identity.getBytes(StandardCharsets.UTF_8));
          source = identity;
        } else if (!source.equals(identity)) {
          throw new IllegalStateException(
              "the store " + dir + " was materialized from changelog " + source + ", not from "
                  + identity + " (a different topic, or one deleted and created again): delete the"
                  + " directory to rebuild it from the changelog");
        }
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException("Cannot record the source of " + dir + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** The changelog the store is bound to ({@link #bindSource}), if any. */
  public synchronized Optional<String> source() {
    return Optional.ofNullable(source);
  }

  /**
   * The consumer offsets stored with the data: partition → offset of the next record to read.
   * Partitions never given to {@link #apply} are absent.
   *
   * @return an immutable map ordered by partition
   * @throws IllegalStateException if the store is closed
   */
  public Map<Integer, Long> committedOffsets() {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return offsets;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Versions of keys with the given prefix, as of p, in key order, at most limit (bounded).
   *
   * <p>Each entry is a key that existed at p with its value then; keys that did not exist or were
   * deleted at p are left out. Key order is UTF-8 byte order. The scan reads one consistent
   * snapshot of the store.
   *
   * @param prefix the key prefix; empty scans all keys; at most {@value VersionKeys#KEY_BYTES_MAX}
   *     UTF-8 bytes
   * @param p the position to read at
   * @param limit the most entries to return, in 1..{@value #SCAN_LIMIT_MAX}
   * @return immutable entries (key, value) in key order
   * @throws IllegalArgumentException if an argument is null or out of range
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public List<Map.Entry<String, Value>> scanAsOf(String prefix, Position p, int limit) {
    return scanAsOf(prefix, null, p, limit);
  }

  /**
   * Like {@link #scanAsOf(String, Position, int)}, starting after {@code startAfter} (exclusive)
   * when it is not null: the next page of a scan whose last entry had that key.
   *
   * @throws IllegalArgumentException if an argument is out of range, or {@code startAfter} is not
   *     a valid key
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public List<Map.Entry<String, Value>> scanAsOf(
      String prefix, String startAfter, Position p, int limit) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(p, "position");
    if (limit < 1 || limit > SCAN_LIMIT_MAX) {
      throw new IllegalArgumentException(
          "limit must be in 1.." + SCAN_LIMIT_MAX + ", got " + limit);
    }
    byte[] rawPrefix = prefix.getBytes(StandardCharsets.UTF_8);
    if (rawPrefix.length > VersionKeys.KEY_BYTES_MAX) {
      throw new IllegalArgumentException(
          "prefix must be at most " + VersionKeys.KEY_BYTES_MAX + " UTF-8 bytes, got "
              + rawPrefix.length);
    }
    byte[] start = VersionKeys.escapedPrefix(rawPrefix);
    byte[] seekTo = start;
    if (startAfter != null) {
      byte[] after =
          VersionKeys.afterAllVersions(VersionKeys.encodedKey(VersionKeys.checkedUtf8(startAfter)));
      if (Arrays.compareUnsigned(after, seekTo) > 0) {
        seekTo = after;
      }
    }
    List<Map.Entry<String, Value>> out = new ArrayList<>();
    lifecycle.readLock().lock();
    try {
      checkOpen();
      Snapshot snapshot = db.getSnapshot();
      try (ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot);
          RocksIterator it = db.newIterator(data, readOptions)) {
        it.seek(seekTo);
        while (it.isValid() && out.size() < limit) {
          byte[] versionKey = it.key();
          if (!VersionKeys.startsWith(versionKey, start)) {
            break;
          }
          int keyLength = VersionKeys.encodedKeyLength(versionKey);
          byte[] encodedKey = Arrays.copyOf(versionKey, keyLength);
          Optional<Value> v =
              newestAtOrBefore(it, encodedKey, VersionKeys.versionKey(encodedKey, p));
          if (v.isPresent()) {
            out.add(Map.entry(VersionKeys.decodeKey(encodedKey, keyLength), v.get()));
          }
          // Skip the remaining versions of this key.
          it.seek(VersionKeys.afterAllVersions(encodedKey));
        }
        it.status();
      } catch (RocksDBException e) {
        throw new IllegalStateException("Cannot scan the store " + dir + ": " + e.getMessage(), e);
      } finally {
        db.releaseSnapshot(snapshot);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
    return List.copyOf(out);
  }

  /**
   * Like {@link #readShard(String, long, long, int, long)} without a byte budget.
   *
   * @throws IllegalArgumentException see {@link #readShard(String, long, long, int, long)}
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public List<ShardRecordEntry> readShard(
      String stream, long shardId, long fromOffset, int maxRecords) {
    return readShard(stream, shardId, fromOffset, maxRecords, Long.MAX_VALUE);
  }

  /**
   * Records of one shard in offset order, from {@code fromOffset}, as materialized now.
   *
   * <p>The result is gapless: offsets {@code o, o+1, ...} where {@code o = max(fromOffset,
   * startOffset)}. Records below the shard's start offset were trimmed and are not returned, so a
   * first offset above {@code fromOffset} tells the caller that what it asked for is gone (it is
   * not an error, so a reader racing a trim keeps going). The result is empty when {@code
   * fromOffset >= end} (nothing materialized there yet: see {@link
   * ChangelogMaterializer#awaitShardEnd}) and when the store knows no such shard (never created,
   * not yet materialized, or deleted). It reads one consistent snapshot.
   *
   * @param stream the stream name (1..{@value ShardKeys#STREAM_BYTES_MAX} UTF-8 bytes, no U+0000)
   * @param shardId the shard id, &gt;= 0
   * @param fromOffset the first offset wanted, &gt;= 0
   * @param maxRecords the most records to return, in 1..{@value #SHARD_READ_LIMIT_MAX}
   * @param maxBytes the most bytes of serialized {@code StreamRecord}s to return, &gt;= 1; the
   *     first record is returned whatever its size, so a reader always makes progress
   * @return immutable entries in offset order
   * @throws IllegalArgumentException if an argument is out of range
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public List<ShardRecordEntry> readShard(
      String stream, long shardId, long fromOffset, int maxRecords, long maxBytes) {
    byte[] prefix = ShardKeys.shardPrefix(stream, shardId);
    if (fromOffset < 0) {
      throw new IllegalArgumentException("fromOffset must be >= 0, got " + fromOffset);
    }
    if (maxRecords < 1 || maxRecords > SHARD_READ_LIMIT_MAX) {
      throw new IllegalArgumentException(
          "maxRecords must be in 1.." + SHARD_READ_LIMIT_MAX + ", got " + maxRecords);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be >= 1, got " + maxBytes);
    }
    List<ShardRecordEntry> out = new ArrayList<>();
    lifecycle.readLock().lock();
    try {
      checkOpen();
      Snapshot snapshot = db.getSnapshot();
      try (ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot);
          RocksIterator it = db.newIterator(shardRecords, readOptions)) {
        long bytes = 0;
        for (it.seek(ShardKeys.recordKey(prefix, fromOffset));
            it.isValid() && out.size() < maxRecords;
            it.next()) {
          byte[] key = it.key();
          if (!VersionKeys.startsWith(key, prefix)) {
            break;
          }
          StoredShardRecord stored = ShardLogIndexer.decodeRecord(it.value());
          bytes += stored.getRecord().getSerializedSize();
          if (!out.isEmpty() && bytes > maxBytes) {
            break;
          }
          out.add(
              new ShardRecordEntry(
                  ShardKeys.offset(prefix, key), stored.getPosition(), stored.getRecord()));
        }
        it.status();
      } catch (RocksDBException e) {
        throw new IllegalStateException(
            "Cannot read shard " + stream + "/" + shardId + " of the store " + dir + ": "
                + e.getMessage(), e);
      } finally {
        db.releaseSnapshot(snapshot);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
    return List.copyOf(out);
  }

  /**
   * What the store has materialized of one shard: its start offset, end and whether it is closed.
   *
   * @param stream the stream name (1..{@value ShardKeys#STREAM_BYTES_MAX} UTF-8 bytes, no U+0000)
   * @param shardId the shard id, &gt;= 0
   * @return the progress, or empty if the store knows no such shard (never created, not yet
   *     materialized, or deleted)
   * @throws IllegalArgumentException if the stream name or shard id is invalid
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public Optional<ShardProgressView> shardState(String stream, long shardId) {
    byte[] prefix = ShardKeys.shardPrefix(stream, shardId);
    lifecycle.readLock().lock();
    try {
      checkOpen();
      byte[] bytes = db.get(shardProgress, prefix);
      return bytes == null ? Optional.empty() : Optional.of(view(ShardLogIndexer.decodeProgress(bytes)));
    } catch (RocksDBException e) {
      throw new IllegalStateException(
          "Cannot read the state of shard " + stream + "/" + shardId + " of the store " + dir
              + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private static ShardProgressView view(ShardProgress p) {
    return new ShardProgressView(p.getStartOffset(), p.getEnd(), p.getClosed());
  }

  /**
   * The first offset of a shard whose record's timestamp ({@code position.ts}, ms since the epoch,
   * log time) is at or after {@code tsMs}, among the records held now ({@code [startOffset,
   * end)}).
   *
   * <p>A binary search over offsets, O(log n) seeks on one snapshot. It relies on timestamps not
   * decreasing along a shard's offsets, which holds because a shard is one key: its versions
   * commit in log order, and log positions order by ts first.
   *
   * @param stream the stream name (1..{@value ShardKeys#STREAM_BYTES_MAX} UTF-8 bytes, no U+0000)
   * @param shardId the shard id, &gt;= 0
   * @param tsMs the timestamp in ms since the epoch; any value
   * @return the offset, or empty when no record held has a timestamp at or after {@code tsMs}
   *     (none appended yet, all older, or no such shard)
   * @throws IllegalArgumentException if the stream name or shard id is invalid
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public OptionalLong offsetAtTimestamp(String stream, long shardId, long tsMs) {
    byte[] prefix = ShardKeys.shardPrefix(stream, shardId);
    lifecycle.readLock().lock();
    try {
      checkOpen();
      Snapshot snapshot = db.getSnapshot();
      try (ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot);
          RocksIterator it = db.newIterator(shardRecords, readOptions)) {
        byte[] progressBytes = db.get(shardProgress, readOptions, prefix);
        if (progressBytes == null) {
          return OptionalLong.empty();
        }
        ShardProgress progress = ShardLogIndexer.decodeProgress(progressBytes);
        // Invariant: every held offset below lo is older than tsMs; `found` (if set) is the
        // smallest held offset at or after hi whose record is at or after tsMs.
        long lo = progress.getStartOffset();
        long hi = progress.getEnd();
        long found = -1;
        while (lo < hi) {
          long mid = lo + (hi - lo) / 2;
          // Lands on the first held offset >= mid; the range is gapless, but a seek (rather than a
          // point lookup) keeps the search correct even if it were not.
          it.seek(ShardKeys.recordKey(prefix, mid));
          long offset = it.isValid() && VersionKeys.startsWith(it.key(), prefix)
              ? ShardKeys.offset(prefix, it.key())
              : Long.MAX_VALUE;
          if (offset >= hi) {
            hi = mid;
            continue;
          }
          if (ShardLogIndexer.decodeRecord(it.value()).getPosition().getTs() >= tsMs) {
            found = offset;
            hi = mid;
          } else {
            lo = offset + 1;
          }
        }
        it.status();
        return found < 0 ? OptionalLong.empty() : OptionalLong.of(found);
      } catch (RocksDBException e) {
        throw new IllegalStateException(
            "Cannot search shard " + stream + "/" + shardId + " of the store " + dir + ": "
                + e.getMessage(), e);
      } finally {
        db.releaseSnapshot(snapshot);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * The changes applied to keys starting with {@code keyPrefix}, in commit order (position, then
   * key in UTF-8 byte order), strictly after {@code (afterPosition, afterKey)} and at or before
   * {@code upTo}. Every applied changelog record is one change; its {@code before} is the key's
   * newest version older than the change. A change's entry is complete once the record is
   * applied; that every change up to {@code upTo} is applied is the caller's to establish (a
   * consistent snapshot, see {@link ChangelogMaterializer#awaitPosition}).
   *
   * <p>Bounded work: at most {@code limit} changes are returned and at most {@value
   * #CHANGE_SCAN_MAX} index entries are looked at per call; {@link ChangePage#complete} says
   * whether the scan reached {@code upTo}, else the caller continues after the page's last
   * scanned entry.
   *
   * @param afterPosition exclusive start; null to start at the beginning of the index
   * @param afterKey with {@code afterPosition}: null excludes every change at {@code
   *     afterPosition}, a key excludes the changes at {@code afterPosition} up to and including it
   * @param upTo inclusive end
   * @param keyPrefix only keys starting with it ("" for every key)
   * @param limit most changes returned, in [1, {@value #SCAN_LIMIT_MAX}]
   * @throws IllegalArgumentException if limit is out of range
   * @throws IllegalStateException if the store is closed or RocksDB fails
   */
  public ChangePage changesAfter(
      Position afterPosition, String afterKey, Position upTo, String keyPrefix, int limit) {
    Objects.requireNonNull(upTo, "upTo");
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    if (limit < 1 || limit > SCAN_LIMIT_MAX) {
      throw new IllegalArgumentException("limit must be in [1, " + SCAN_LIMIT_MAX + "], got " + limit);
    }
    byte[] prefix = VersionKeys.escapedPrefix(keyPrefix.getBytes(StandardCharsets.UTF_8));
    byte[] afterEncoded =
        afterKey == null ? null : VersionKeys.encodedKey(afterKey.getBytes(StandardCharsets.UTF_8));
    lifecycle.readLock().lock();
    try {
      checkOpen();
      List<ChangeEntry> out = new ArrayList<>();
      Position lastPosition = null;
      String lastKey = "";
      int scanned = 0;
      try (RocksIterator it = db.newIterator(changes);
          RocksIterator versions = db.newIterator(data)) {
        if (afterPosition == null) {
          it.seekToFirst();
        } else {
          it.seek(ChangeKeys.start(afterPosition));
        }
        for (; it.isValid(); it.next()) {
          byte[] indexKey = it.key();
          Position p = ChangeKeys.position(indexKey);
          byte[] encodedKey = ChangeKeys.encodedKey(indexKey);
          if (afterPosition != null && p.equals(afterPosition)
              && (afterEncoded == null || Arrays.compareUnsigned(encodedKey, afterEncoded) <= 0)) {
            continue;
          }
          if (comparePositions(p, upTo) > 0) {
            it.status();
            return new ChangePage(out, Optional.ofNullable(lastPosition), lastKey, true);
          }
          if (out.size() >= limit || scanned >= CHANGE_SCAN_MAX) {
            it.status();
            return new ChangePage(out, Optional.ofNullable(lastPosition), lastKey, false);
          }
          scanned++;
          lastPosition = p;
          lastKey = VersionKeys.decodeKey(encodedKey, encodedKey.length);
          if (!VersionKeys.startsWith(encodedKey, prefix)) {
            continue;
          }
          out.add(change(versions, p, lastKey, encodedKey));
        }
        it.status();
        return new ChangePage(out, Optional.ofNullable(lastPosition), lastKey, true);
      } catch (RocksDBException e) {
        throw new IllegalStateException("Cannot read the store " + dir + ": " + e.getMessage(), e);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** The change of a key at {@code p}: its version at p and the version before it. */
  private ChangeEntry change(RocksIterator versions, Position p, String key, byte[] encodedKey)
      throws RocksDBException {
    byte[] versionKey = VersionKeys.versionKey(encodedKey, p);
    versions.seekForPrev(versionKey);
    if (!versions.isValid() || !Arrays.equals(versions.key(), versionKey)) {
      versions.status();
      throw new IllegalStateException(
          "corrupt store " + dir + ": the change index names a version of '" + key + "' at "
              + p.getTs() + ":" + p.getPartition() + ":" + p.getOffset() + " that is missing");
    }
    Optional<Value> after = Versions.decode(versions.value());
    versions.prev();
    Optional<Value> before = Optional.empty();
    if (versions.isValid() && VersionKeys.startsWith(versions.key(), encodedKey)) {
      before = Versions.decode(versions.value());
    }
    versions.status();
    return new ChangeEntry(p, key, before, after);
  }

  /** The position of the newest change in the index (the largest), or empty when none. */
  public Optional<Position> newestChange() {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      try (RocksIterator it = db.newIterator(changes)) {
        it.seekToLast();
        if (!it.isValid()) {
          it.status();
          return Optional.empty();
        }
        return Optional.of(ChangeKeys.position(it.key()));
      } catch (RocksDBException e) {
        throw new IllegalStateException("Cannot read the store " + dir + ": " + e.getMessage(), e);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private static int comparePositions(Position a, Position b) {
    int c = Long.compare(a.getTs(), b.getTs());
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.getPartition(), b.getPartition());
    return c != 0 ? c : Long.compare(a.getOffset(), b.getOffset());
  }

  /** The store's directory (absolute). */
  public Path dir() {
    return dir;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the store " + dir + " is closed");
    }
  }

  /** Waits for running calls, then closes RocksDB and frees its native memory. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      // Handles before the database, options last: the order RocksDB's Java API requires.
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      writeOptions.close();
      cfOptions.close();
      dbOptions.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
