package io.ordo.storage.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamRecord;
import java.util.Arrays;
import java.util.Optional;
import java.util.TreeMap;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the shard versions of one batch of changelog records into writes of the shard-log index,
 * added to the batch's {@link WriteBatch} so that the index and the versions are written together.
 *
 * <p>For each changelog record (already checked by {@link ChangelogRecords#invalidReason} and not a
 * duplicate):
 *
 * <ul>
 *   <li>{@code after} is a shard (ShardState): its {@code appended} records are put under their
 *       offsets (the first at {@code next_offset - appended_count}), except those below the
 *       shard's start offset; when the start offset rises, the records below it are removed with
 *       one {@code deleteRange}; the progress entry becomes {@code end = max(end, next_offset)},
 *       {@code start = max(start, start_offset)}, {@code closed = closed || closed}. Taking maxima
 *       makes a re-delivered old version harmless: it cannot move the progress back, and its
 *       records are the same bytes under the same keys (or, if trimmed since, are not written).
 *   <li>{@code after} is absent or not a shard while {@code before} is a shard: the shard was
 *       deleted; all its records and its progress entry are removed.
 * </ul>
 *
 * <p>Several versions of one shard may be in one batch, so the progress is kept in an overlay
 * that later records of the batch read before the database. Not thread-safe; one per batch, used
 * under the store's apply lock.
 */
public final class ShardLogIndexer {
  private static final Logger LOG = LoggerFactory.getLogger(ShardLogIndexer.class);

  private final RocksDB db;
  private final ColumnFamilyHandle records;
  private final ColumnFamilyHandle progress;
  private final WriteBatch batch;
  /** Progress of the shards this batch touched, by prefix; empty = deleted by this batch. */
  private final TreeMap<byte[], Optional<ShardProgress>> overlay =
      new TreeMap<>(Arrays::compareUnsigned);

  /**
   * @param db the database, to read progress entries this batch has not written yet
   * @param records the column family of shard records
   * @param progress the column family of shard progress entries
   * @param batch the batch the writes are added to
   */
  public ShardLogIndexer(
      RocksDB db, ColumnFamilyHandle records, ColumnFamilyHandle progress, WriteBatch batch) {
    this.db = db;
    this.records = records;
    this.progress = progress;
    this.batch = batch;
  }

  /** Adds the index writes of one valid, non-duplicate changelog record to the batch. */
  public void index(ChangelogRecord r) throws RocksDBException {
    if (r.hasAfter() && r.getAfter().hasShard()) {
      putVersion(r, r.getAfter().getShard());
    } else if (r.hasBefore() && r.getBefore().hasShard()) {
      ShardState gone = r.getBefore().getShard();
      byte[] prefix = ShardKeys.shardPrefix(gone.getStream(), gone.getShardId());
      batch.deleteRange(records, ShardKeys.recordKey(prefix, 0), ShardKeys.afterAllRecords(prefix));
      batch.delete(progress, prefix);
      overlay.put(prefix, Optional.empty());
    }
  }

  private void putVersion(ChangelogRecord r, ShardState s) throws RocksDBException {
    byte[] prefix = ShardKeys.shardPrefix(s.getStream(), s.getShardId());
    Optional<ShardProgress> known = current(prefix);
    ShardProgress old = known.orElse(ShardProgress.getDefaultInstance());
    long start = Math.max(old.getStartOffset(), s.getStartOffset());
    if (start > old.getStartOffset()) {
      // Records are never written below the start offset, so everything below it lies in
      // [old start, new start): one range tombstone, disjoint from the earlier ones.
      batch.deleteRange(
          records,
          ShardKeys.recordKey(prefix, old.getStartOffset()),
          ShardKeys.recordKey(prefix, start));
    }
    long first = s.getNextOffset() - s.getAppendedCount();
    if (s.getAppendedCount() > 0 && first > old.getEnd()) {
      // Versions of one key arrive in order, so this means changelog records are missing (for
      // example the topic deleted old segments): the index has a hole it cannot fill.
      LOG.warn(
          "Shard {}/{}: records {}..{} appended by txn {} at lsn {} follow materialized end {};"
              + " offsets {}..{} are missing from the changelog",
          s.getStream(), s.getShardId(), first, s.getNextOffset() - 1, r.getTxnId(), r.getLsn(),
          old.getEnd(), old.getEnd(), first - 1);
    }
    for (int i = 0; i < s.getAppendedCount(); i++) {
      long offset = first + i;
      if (offset < start) {
        continue; // Trimmed since (a re-delivered old version): must not come back.
      }
      StreamRecord record = s.getAppended(i);
      StoredShardRecord stored =
          StoredShardRecord.newBuilder().setPosition(r.getPosition()).setRecord(record).build();
      batch.put(records, ShardKeys.recordKey(prefix, offset), stored.toByteArray());
    }
    ShardProgress next =
        ShardProgress.newBuilder()
            .setEnd(Math.max(old.getEnd(), s.getNextOffset()))
            .setStartOffset(start)
            .setClosed(old.getClosed() || s.getClosed())
            .build();
    if (known.isEmpty() || !next.equals(old)) {
      batch.put(progress, prefix, next.toByteArray());
    }
    overlay.put(prefix, Optional.of(next));
  }

  private Optional<ShardProgress> current(byte[] prefix) throws RocksDBException {
    Optional<ShardProgress> inBatch = overlay.get(prefix);
    if (inBatch != null) {
      return inBatch;
    }
    byte[] bytes = db.get(progress, prefix);
    return bytes == null ? Optional.empty() : Optional.of(decodeProgress(bytes));
  }

  /**
   * Decodes a progress entry.
   *
   * @throws IllegalStateException if the bytes are not one (store corruption)
   */
  public static ShardProgress decodeProgress(byte[] bytes) {
    try {
      return ShardProgress.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt shard progress entry: " + e.getMessage(), e);
    }
  }

  /**
   * Decodes a shard record entry.
   *
   * @throws IllegalStateException if the bytes are not one (store corruption)
   */
  public static StoredShardRecord decodeRecord(byte[] bytes) {
    try {
      return StoredShardRecord.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt shard record entry: " + e.getMessage(), e);
    }
  }
}
