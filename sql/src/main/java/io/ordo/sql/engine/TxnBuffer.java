package io.ordo.sql.engine;

import io.ordo.proto.AbortReason;
import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The read set and write set of one SQL transaction (an interactive {@code BEGIN ... COMMIT}
 * block, or one autocommit statement), and the Ordo transaction that commits it.
 *
 * <p><b>OLLP</b> (Thomson and Abadi, "The case for determinism in database systems", VLDB 2010;
 * Calvin, SIGMOD 2012, §3.2.1): reads run at a snapshot; the commit is one deterministic
 * transaction that <em>asserts</em> every row it read still has the value it read (or is still
 * absent), that the schema of every table it used is unchanged and, for every table it scanned
 * by more than a full primary key, that the table's row set is unchanged (the table's rowset key,
 * which every insert and delete increments: phantom protection at table granularity). The
 * transaction then commits exactly when executing it at its commit position would have read the
 * same values: serializable, and strict because the commit position is after every read. A
 * failed assert of a read is a serialization failure (40001); a failed absence assert of an
 * INSERT's key is a unique violation (23505).
 *
 * <p>Writes are buffered here, in key order, and are visible to the transaction's own later reads
 * ({@link #overlay}). Everything is kept in sorted maps, so the same statements always build the
 * same operations in the same order. Not thread-safe (one per session).
 */
final class TxnBuffer {
  /** What a failed assert means. */
  enum AssertKind {
    /** A row, rowset or schema read at the snapshot changed: retry / 40001. */
    READ,
    /** An inserted key exists: 23505. */
    UNIQUE
  }

  private record Observed(Optional<Value> value) {}

  private final TreeMap<String, Optional<Value>> writes = new TreeMap<>();
  private final TreeMap<String, Observed> reads = new TreeMap<>();
  /** Inserted keys that must be absent at commit, with the table and key text for 23505. */
  private final TreeMap<String, String[]> uniqueChecks = new TreeMap<>();
  /** Table name → its definition's value as used (asserted unchanged at commit). */
  private final TreeMap<String, Value> schemas = new TreeMap<>();
  private final TreeMap<String, String> schemaKeys = new TreeMap<>();
  /** Rowset key → its value at the snapshot, for tables scanned by a key prefix or fully. */
  private final TreeMap<String, Observed> rowsets = new TreeMap<>();
  /** Rowset keys of tables whose row set this transaction changes. */
  private final TreeSet<String> rowsetChanges = new TreeSet<>();
  private final List<Operation> streamAppends = new ArrayList<>();

  /** Whether nothing was read or written. */
  boolean isEmpty() {
    return writes.isEmpty() && reads.isEmpty() && uniqueChecks.isEmpty() && rowsets.isEmpty()
        && streamAppends.isEmpty() && schemas.isEmpty();
  }

  /** Whether the transaction writes anything. */
  boolean hasWrites() {
    return !writes.isEmpty() || !streamAppends.isEmpty();
  }

  /** The buffered write of {@code key}: empty if none, else the new value (empty = deleted). */
  Optional<Optional<Value>> bufferedWrite(String key) {
    return writes.containsKey(key) ? Optional.of(writes.get(key)) : Optional.empty();
  }

  /** Buffered writes of keys with this prefix, in key order (a scan's overlay). */
  NavigableMap<String, Optional<Value>> overlay(String prefix) {
    return writes.subMap(prefix, true, prefix + Character.MAX_VALUE, false);
  }

  /** Records that {@code key} read {@code value} at the snapshot (the first read counts). */
  void observe(String key, Optional<Value> value) {
    if (!writes.containsKey(key) && !uniqueChecks.containsKey(key)) {
      reads.putIfAbsent(key, new Observed(value));
    }
  }

  /** Records a scan of a table by less than its full key: its rowset value at the snapshot. */
  void observeRowset(String rowsetKey, Optional<Value> value) {
    rowsets.putIfAbsent(rowsetKey, new Observed(value));
  }

  /** Records the definition of a table the transaction uses (asserted unchanged at commit). */
  void useSchema(TableDef def, String catalogKey, Value defValue) {
    schemas.putIfAbsent(def.name(), defValue);
    schemaKeys.putIfAbsent(def.name(), catalogKey);
  }

  /** Buffers a put; {@code rowsetKey} is incremented at commit when the row is new. */
  void put(String key, Value value) {
    writes.put(key, Optional.of(value));
  }

  /** Buffers the insert of a new row: its key must be absent at commit. */
  void insert(String key, Value value, String rowsetKey, String table, String keyText) {
    Optional<Optional<Value>> earlier = bufferedWrite(key);
    if (earlier.isEmpty() || earlier.get().isPresent()) {
      // Not deleted earlier by this transaction (that delete asserted the row it removed).
      uniqueChecks.put(key, new String[] {table, keyText});
      reads.remove(key);
    }
    writes.put(key, Optional.of(value));
    rowsetChanges.add(rowsetKey);
  }

  /** Buffers the delete of a row. */
  void delete(String key, String rowsetKey) {
    writes.put(key, Optional.empty());
    rowsetChanges.add(rowsetKey);
  }

  /** Buffers a stream append (records of one stream; the gateway picks the shards). */
  void append(String stream, List<StreamRecord> records) {
    streamAppends.add(
        Operation.newBuilder()
            .setStreamAppend(StreamAppend.newBuilder().setStream(stream).addAllRecords(records))
            .build());
  }

  /** The Ordo transaction that commits this buffer, and what each assert means. */
  record Commit(Transaction txn, List<AssertKind> assertKinds, List<String[]> uniqueInfo) {}

  /**
   * Builds the commit transaction.
   *
   * @param opsMax the most operations allowed
   * @throws SqlException 54000 when it would exceed {@code opsMax}
   */
  Commit build(String txnId, int opsMax) throws SqlException {
    List<Operation> ops = new ArrayList<>();
    List<AssertKind> kinds = new ArrayList<>();
    List<String[]> unique = new ArrayList<>();
    for (Map.Entry<String, Value> e : schemas.entrySet()) {
      ops.add(assertOp(schemaKeys.get(e.getKey()), Optional.of(e.getValue())));
      kinds.add(AssertKind.READ);
      unique.add(null);
    }
    for (Map.Entry<String, Observed> e : rowsets.entrySet()) {
      ops.add(assertOp(e.getKey(), e.getValue().value()));
      kinds.add(AssertKind.READ);
      unique.add(null);
    }
    for (Map.Entry<String, Observed> e : reads.entrySet()) {
      ops.add(assertOp(e.getKey(), e.getValue().value()));
      kinds.add(AssertKind.READ);
      unique.add(null);
    }
    for (Map.Entry<String, String[]> e : uniqueChecks.entrySet()) {
      ops.add(assertOp(e.getKey(), Optional.empty()));
      kinds.add(AssertKind.UNIQUE);
      unique.add(e.getValue());
    }
    for (Map.Entry<String, Optional<Value>> e : writes.entrySet()) {
      Operation.Builder op = Operation.newBuilder().setKey(e.getKey());
      if (e.getValue().isPresent()) {
        op.setPut(Put.newBuilder().setValue(e.getValue().get()));
      } else {
        op.setDelete(Delete.getDefaultInstance());
      }
      ops.add(op.build());
    }
    for (String rowsetKey : rowsetChanges) {
      ops.add(
          Operation.newBuilder()
              .setKey(rowsetKey)
              .setIncrement(Increment.newBuilder().setDelta(1))
              .build());
    }
    ops.addAll(streamAppends);
    if (ops.size() > opsMax) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "the transaction would need " + ops.size() + " operations (rows read and written),"
              + " over the limit of " + opsMax);
    }
    return new Commit(
        Transaction.newBuilder().setId(txnId).addAllOps(ops).build(), kinds, unique);
  }

  private static Operation assertOp(String key, Optional<Value> expected) {
    Assert.Builder a = Assert.newBuilder();
    if (expected.isPresent()) {
      a.setEquals(expected.get());
    } else {
      a.setAbsent(true);
    }
    return Operation.newBuilder().setKey(key).setAssert(a).build();
  }

  /**
   * Maps a non-committed result of {@link #build}'s transaction to the SQL error.
   *
   * @return 40001 for a changed read (retriable), 23505 for an existing inserted key, else the
   *     abort reason as a data exception or internal error
   */
  static SqlException failure(Commit commit, TxnResult result) {
    if (result.getOutcome() == Outcome.DUPLICATE) {
      return new SqlException(
          SqlState.INTERNAL_ERROR, "transaction id " + result.getTxnId() + " was used before");
    }
    int failed = result.getFailedOpIndex();
    if (result.getAbortReason() == AbortReason.ASSERT_FAILED
        && failed >= 0
        && failed < commit.assertKinds().size()) {
      if (commit.assertKinds().get(failed) == AssertKind.UNIQUE) {
        String[] info = commit.uniqueInfo().get(failed);
        return new SqlException(
            SqlState.UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"" + info[0] + "_pkey\": Key "
                + info[1] + " already exists");
      }
      return new SqlException(
          SqlState.SERIALIZATION_FAILURE,
          "could not serialize access due to concurrent update");
    }
    return switch (result.getAbortReason()) {
      case OUT_OF_RANGE -> new SqlException(
          SqlState.NUMERIC_VALUE_OUT_OF_RANGE, result.getDetail());
      case NOT_FOUND -> new SqlException(SqlState.UNDEFINED_TABLE, result.getDetail());
      case SHARD_CLOSED -> new SqlException(SqlState.SERIALIZATION_FAILURE, result.getDetail());
      default -> new SqlException(
          SqlState.INTERNAL_ERROR,
          "the transaction aborted: " + result.getAbortReason() + " " + result.getDetail());
    };
  }
}
