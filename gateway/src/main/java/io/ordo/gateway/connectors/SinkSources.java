package io.ordo.gateway.connectors;

import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.encoding.CatalogCodec;
import io.ordo.storage.MultiVersionStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a sink reads, as the shape of the rows it writes: a table (FROM TABLE) or a materialized
 * view (FROM VIEW: its rows are the table of its name, keyed by its GROUP BY columns) as that
 * table; a stream (FROM STREAM) as a table of its SQL columns followed by the record's id and log
 * time, {@code _shard BIGINT, _offset BIGINT, _log_time TIMESTAMPTZ}, keyed by {@code (_shard,
 * _offset)}: a record is never changed and its id is unique in the stream (shards made by a split
 * or merge get new ids), so writing a record again (a replay after a crash) is an upsert of the
 * same row.
 *
 * <p>These are exactly the columns {@code SELECT * FROM <source> EMIT CHANGES} returns after
 * {@code _position} and {@code _op}. Stateless; thread-safe.
 */
final class SinkSources {
  /** The record id and log time columns a stream's target has after the stream's columns. */
  static final List<String> STREAM_META_COLUMNS = List.of("_shard", "_offset", "_log_time");

  /** The primary key of a stream's target. */
  static final List<String> STREAM_KEY = List.of("_shard", "_offset");

  private SinkSources() {}

  /**
   * The rows {@code def} reads, as a table, from the catalog in {@code store}.
   *
   * @throws IllegalStateException when the source does not exist (dropped?) or does not decode
   */
  static TableDef table(ConnectorDef def, MultiVersionStore store) {
    try {
      if (def.targetKind() == ConnectorDef.TargetKind.STREAM) {
        Optional<Value> v = store.getLatest(CatalogCodec.streamKey(def.target()));
        if (v.isEmpty()) {
          throw new IllegalStateException("stream \"" + def.target() + "\" does not exist or has"
              + " no SQL schema (dropped?)");
        }
        return streamTable(CatalogCodec.decodeStream(v.get()));
      }
      Optional<Value> v = store.getLatest(CatalogCodec.tableKey(def.target()));
      if (v.isEmpty()) {
        throw new IllegalStateException(
            (def.targetKind() == ConnectorDef.TargetKind.VIEW ? "materialized view \"" : "table \"")
                + def.target() + "\" does not exist (dropped?)");
      }
      return CatalogCodec.decodeTable(v.get());
    } catch (SqlException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * A stream's records as table rows (see the class comment); the table id is the stream's name
   * (nothing stores this table).
   */
  static TableDef streamTable(StreamDef stream) {
    List<ColumnDef> columns = new ArrayList<>();
    int id = 0;
    for (ColumnDef c : stream.columns()) {
      columns.add(c);
      id = Math.max(id, c.id());
    }
    columns.add(new ColumnDef("_shard", id + 1, SqlType.BIGINT, -1, -1, true, Optional.empty()));
    columns.add(new ColumnDef("_offset", id + 2, SqlType.BIGINT, -1, -1, true, Optional.empty()));
    columns.add(new ColumnDef(
        "_log_time", id + 3, SqlType.TIMESTAMPTZ, -1, -1, true, Optional.empty()));
    return new TableDef(stream.name(), stream.name(), columns, STREAM_KEY, 0);
  }

  /** What SHOW and messages call the source: {@code table t}, {@code view v}, {@code stream s}. */
  static String describe(ConnectorDef def) {
    return def.targetKind().name().toLowerCase(java.util.Locale.ROOT) + " \"" + def.target() + "\"";
  }
}
