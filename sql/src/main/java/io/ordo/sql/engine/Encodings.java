package io.ordo.sql.engine;

import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.encoding.CatalogCodec;
import io.ordo.sql.encoding.KeyCodec;
import io.ordo.sql.encoding.RowCodec;
import io.ordo.sql.encoding.StreamRowCodec;
import java.util.List;

/**
 * The engine's view of the storage formats of {@link io.ordo.sql.encoding} (keys, rows, catalog
 * entries, stream rows): one place that names them, so the engine's code reads in its own terms.
 */
final class Encodings {
  private Encodings() {}

  static final String TABLE_PREFIX = CatalogCodec.TABLE_KEY_PREFIX;
  static final String STREAM_PREFIX = CatalogCodec.STREAM_KEY_PREFIX;

  static String tableKey(String name) throws SqlException {
    return CatalogCodec.tableKey(name);
  }

  static String streamKey(String name) throws SqlException {
    return CatalogCodec.streamKey(name);
  }

  static String rowsetKey(String tableId) {
    return CatalogCodec.rowsetKey(tableId);
  }

  static Value encodeTable(TableDef def) throws SqlException {
    return CatalogCodec.encodeTable(def);
  }

  static TableDef decodeTable(Value v) throws SqlException {
    return CatalogCodec.decodeTable(v);
  }

  static Value encodeStream(StreamDef def) throws SqlException {
    return CatalogCodec.encodeStream(def);
  }

  static StreamDef decodeStream(Value v) throws SqlException {
    return CatalogCodec.decodeStream(v);
  }

  /** The row key of the row with these primary key values (in key order). */
  static String rowKey(TableDef def, List<Object> pkValues) throws SqlException {
    return KeyCodec.encode(def, pkValues);
  }

  /** The key prefix of rows whose first primary key columns have these values. */
  static String rowPrefix(TableDef def, List<Object> leadingPkValues) throws SqlException {
    return KeyCodec.prefix(def, leadingPkValues);
  }

  /** A row (values in column order, Java shapes of SqlType) as the value of its key. */
  static Value encodeRow(TableDef def, List<Object> row) throws SqlException {
    return RowCodec.encode(def, row);
  }

  /** A stored row, in column order; columns added after it was written get their defaults. */
  static List<Object> decodeRow(TableDef def, Value v, List<Object> defaults) throws SqlException {
    return RowCodec.decode(def, v, defaults);
  }

  static StreamRecord encodeStreamRow(StreamDef def, List<Object> row) throws SqlException {
    return StreamRowCodec.encode(def, row);
  }

  static List<Object> decodeStreamRow(StreamDef def, StreamRecord record, long shard, long offset)
      throws SqlException {
    return StreamRowCodec.decode(def, record, shard, offset);
  }
}
