package io.ordo.sql.engine;

import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.util.List;

/**
 * The engine's view of the storage formats of io.ordo.sql.encoding (keys, rows, catalog entries,
 * stream rows): one place that names them, so the engine's code reads in its own terms.
 */
final class Encodings {
  private Encodings() {}

  static final String TABLE_PREFIX = "\u0000ordo/sql/catalog/table/";
  static final String STREAM_PREFIX = "\u0000ordo/sql/catalog/stream/";

  static String tableKey(String name) throws SqlException {
    throw new UnsupportedOperationException("encoding pending");
  }

  static String streamKey(String name) throws SqlException {
    throw new UnsupportedOperationException("encoding pending");
  }

  static String rowsetKey(String tableId) {
    throw new UnsupportedOperationException("encoding pending");
  }

  static Value encodeTable(TableDef def) {
    throw new UnsupportedOperationException("encoding pending");
  }

  static TableDef decodeTable(Value v) {
    throw new UnsupportedOperationException("encoding pending");
  }

  static Value encodeStream(StreamDef def) {
    throw new UnsupportedOperationException("encoding pending");
  }

  static StreamDef decodeStream(Value v) {
    throw new UnsupportedOperationException("encoding pending");
  }

  /** The row key of the row with these primary key values (in key order). */
  static String rowKey(TableDef def, List<Object> pkValues) throws SqlException {
    throw new UnsupportedOperationException("encoding pending");
  }

  /** The key prefix of rows whose first primary key columns have these values. */
  static String rowPrefix(TableDef def, List<Object> leadingPkValues) throws SqlException {
    throw new UnsupportedOperationException("encoding pending");
  }

  /** A row (values in column order, Java shapes of SqlType) as the value of its key. */
  static Value encodeRow(TableDef def, List<Object> row) throws SqlException {
    throw new UnsupportedOperationException("encoding pending");
  }

  /** A stored row, in column order; columns added after it was written get their defaults. */
  static List<Object> decodeRow(TableDef def, Value v, List<Object> defaults) {
    throw new UnsupportedOperationException("encoding pending");
  }

  static StreamRecord encodeStreamRow(StreamDef def, List<Object> row) throws SqlException {
    throw new UnsupportedOperationException("encoding pending");
  }

  static List<Object> decodeStreamRow(StreamDef def, StreamRecord record) {
    throw new UnsupportedOperationException("encoding pending");
  }
}
