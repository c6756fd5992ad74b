package io.ordo.sql.encoding;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.Value;
import io.ordo.proto.state.SqlColumnDef;
import io.ordo.proto.state.SqlStreamDef;
import io.ordo.proto.state.SqlTableDef;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Catalog entries in the store: one key per table and per stream, holding {@code Value{bytes}}
 * of {@code SqlTableDef} / {@code SqlStreamDef} (ordo/internal/sql_storage.proto), and the
 * per-table row-set counter key. See sql/ENCODING.md.
 *
 * <ul>
 *   <li>{@code "\u0000ordo/sql/catalog/table/" + name}: the table's {@link TableDef}
 *   <li>{@code "\u0000ordo/sql/catalog/stream/" + name}: the stream's {@link StreamDef}
 *   <li>{@code "\u0000ordo/sql/rowset/" + tableId}: a counter the engine increments whenever a
 *       row of the table is inserted or deleted and asserts after a scan, so a transaction that
 *       scanned the table fails if rows appeared or vanished since (phantoms, at table
 *       granularity)
 * </ul>
 *
 * <p>Encodings are deterministic (fields in number order, lists in catalog order), so the engine
 * may assert a catalog entry byte-exactly. A column's type is stored as its PostgreSQL OID, which
 * never changes, rather than a Java enum name. Encoding validates the definition (it is cheaper to
 * refuse a bad definition than to store one no reader accepts); decoding refuses anything the
 * encoder would not write with XX001.
 *
 * <p>Stateless; thread-safe.
 */
public final class CatalogCodec {
  private CatalogCodec() {}

  /** The {@code format_version} of catalog entries this codec writes and reads. */
  public static final int FORMAT_VERSION = 1;

  /** Prefix of every table's catalog key (scan it to list tables). */
  public static final String TABLE_KEY_PREFIX = "\u0000ordo/sql/catalog/table/";
  /** Prefix of every stream's catalog key (scan it to list SQL streams). */
  public static final String STREAM_KEY_PREFIX = "\u0000ordo/sql/catalog/stream/";
  /** Prefix of the row-set counter keys. */
  public static final String ROWSET_KEY_PREFIX = "\u0000ordo/sql/rowset/";

  /** PostgreSQL's largest DECIMAL precision (and scale). */
  public static final int DECIMAL_PRECISION_MAX = 1000;

  /** PostgreSQL's largest VARCHAR length, in characters. */
  public static final int VARCHAR_LENGTH_MAX = 10_485_760;

  /**
   * The catalog key of the table {@code name}.
   *
   * @throws SqlException 42622 when the key would exceed 1024 UTF-8 bytes; 42602 for an empty
   *     name; 22021 for a name with NUL or an unpaired surrogate
   */
  public static String tableKey(String name) throws SqlException {
    return key(TABLE_KEY_PREFIX, name, "table");
  }

  /**
   * The catalog key of the stream {@code name}.
   *
   * @throws SqlException as {@link #tableKey}
   */
  public static String streamKey(String name) throws SqlException {
    return key(STREAM_KEY_PREFIX, name, "stream");
  }

  /**
   * The row-set counter key of the table {@code tableId}.
   *
   * @throws IllegalArgumentException when {@code tableId} is not 16 lower-case hex digits
   */
  public static String rowsetKey(String tableId) {
    KeyCodec.checkTableId(tableId);
    return ROWSET_KEY_PREFIX + tableId;
  }

  private static String key(String prefix, String name, String kind) throws SqlException {
    checkName(name, kind + " name");
    String key = prefix + name;
    int bytes = SqlValues.utf8Length(key);
    if (bytes > SqlValues.KEY_BYTES_MAX) {
      throw new SqlException(
          SqlValues.NAME_TOO_LONG,
          kind + " name is too long: " + SqlValues.utf8Length(name) + " bytes in UTF-8, at most "
              + (SqlValues.KEY_BYTES_MAX - SqlValues.utf8Length(prefix)) + " are allowed");
    }
    return key;
  }

  private static void checkName(String name, String what) throws SqlException {
    if (name.isEmpty()) {
      throw new SqlException(SqlValues.INVALID_NAME, what + " is empty");
    }
    SqlValues.checkText(name, what + " \"" + name + "\"");
  }

  /**
   * Encodes a table definition.
   *
   * @throws SqlException 42P16 for a definition no reader could use (duplicate column names or
   *     ids, a primary key naming a missing or repeated column, a malformed table id, DECIMAL
   *     precision or scale out of 0..1000); 0A000 for a column type that cannot be stored or a
   *     JSONB key column; 42602/22021/42622 for bad names (as {@link #tableKey})
   */
  public static Value encodeTable(TableDef table) throws SqlException {
    tableKey(table.name());
    if (!KeyCodec.isTableId(table.tableId())) {
      throw invalid("table " + table.name() + " has table id '" + table.tableId()
          + "', not 16 lower-case hex digits");
    }
    checkColumns(table.columns(), table.name());
    Set<String> keyNames = new HashSet<>();
    for (String keyName : table.primaryKey()) {
      ColumnDef column =
          table.column(keyName).orElseThrow(
              () -> invalid("primary key column " + keyName + " is not a column of table "
                  + table.name()));
      if (!keyNames.add(keyName)) {
        throw invalid("primary key of table " + table.name() + " names " + keyName + " twice");
      }
      KeyCodec.checkKeyColumn(column, table.name());
    }
    SqlTableDef.Builder out =
        SqlTableDef.newBuilder()
            .setFormatVersion(FORMAT_VERSION)
            .setName(table.name())
            .setTableId(table.tableId())
            .addAllPrimaryKey(table.primaryKey())
            .setVersion(table.version());
    for (ColumnDef column : table.columns()) {
      out.addColumns(column(column));
    }
    return Value.newBuilder().setBytes(out.build().toByteString()).build();
  }

  /**
   * Decodes a table definition written by {@link #encodeTable}.
   *
   * @throws SqlException XX001 when the value is not one
   */
  public static TableDef decodeTable(Value value) throws SqlException {
    SqlTableDef def;
    try {
      def = SqlTableDef.parseFrom(bytes(value, "table"));
    } catch (InvalidProtocolBufferException e) {
      throw SqlValues.corrupt("a table catalog entry does not parse: " + e.getMessage());
    }
    checkVersion(def.getFormatVersion(), "table " + def.getName());
    List<ColumnDef> columns = new ArrayList<>(def.getColumnsCount());
    for (SqlColumnDef column : def.getColumnsList()) {
      columns.add(column(column, "table " + def.getName()));
    }
    TableDef table;
    try {
      table = new TableDef(
          def.getName(), def.getTableId(), columns, def.getPrimaryKeyList(), def.getVersion());
    } catch (IllegalArgumentException e) {
      throw SqlValues.corrupt("catalog entry of table " + def.getName() + ": " + e.getMessage());
    }
    try {
      encodeTable(table);
    } catch (SqlException e) {
      // Whatever the encoder refuses was not written by it.
      throw SqlValues.corrupt(
          "catalog entry of table " + def.getName() + " is invalid: " + e.getMessage());
    }
    return table;
  }

  /**
   * Encodes a stream definition.
   *
   * @throws SqlException 42P16 for duplicate column names or ids, a key column that is not a
   *     column, DECIMAL precision or scale out of range; 0A000 for a column type that cannot be
   *     stored; 42602/22021/42622 for bad names (as {@link #streamKey})
   */
  public static Value encodeStream(StreamDef stream) throws SqlException {
    streamKey(stream.name());
    checkColumns(stream.columns(), stream.name());
    if (stream.keyColumn().isPresent()
        && stream.columns().stream().noneMatch(c -> c.name().equals(stream.keyColumn().get()))) {
      throw invalid("key column " + stream.keyColumn().get() + " is not a column of stream "
          + stream.name());
    }
    SqlStreamDef.Builder out =
        SqlStreamDef.newBuilder().setFormatVersion(FORMAT_VERSION).setName(stream.name());
    for (ColumnDef column : stream.columns()) {
      out.addColumns(column(column));
    }
    stream.keyColumn().ifPresent(out::setKeyColumn);
    return Value.newBuilder().setBytes(out.build().toByteString()).build();
  }

  /**
   * Decodes a stream definition written by {@link #encodeStream}.
   *
   * @throws SqlException XX001 when the value is not one
   */
  public static StreamDef decodeStream(Value value) throws SqlException {
    SqlStreamDef def;
    try {
      def = SqlStreamDef.parseFrom(bytes(value, "stream"));
    } catch (InvalidProtocolBufferException e) {
      throw SqlValues.corrupt("a stream catalog entry does not parse: " + e.getMessage());
    }
    checkVersion(def.getFormatVersion(), "stream " + def.getName());
    List<ColumnDef> columns = new ArrayList<>(def.getColumnsCount());
    for (SqlColumnDef column : def.getColumnsList()) {
      columns.add(column(column, "stream " + def.getName()));
    }
    StreamDef stream =
        new StreamDef(
            def.getName(),
            columns,
            def.hasKeyColumn() ? Optional.of(def.getKeyColumn()) : Optional.empty());
    try {
      encodeStream(stream);
    } catch (SqlException e) {
      throw SqlValues.corrupt(
          "catalog entry of stream " + def.getName() + " is invalid: " + e.getMessage());
    }
    return stream;
  }

  private static SqlColumnDef column(ColumnDef column) {
    SqlColumnDef.Builder out =
        SqlColumnDef.newBuilder()
            .setName(column.name())
            .setId(column.id())
            .setTypeOid(column.type().oid())
            .setPrecision(column.precision())
            .setScale(column.scale())
            .setNotNull(column.notNull());
    column.defaultSql().ifPresent(out::setDefaultSql);
    return out.build();
  }

  private static ColumnDef column(SqlColumnDef column, String owner) throws SqlException {
    SqlType type = SqlType.ofOid(column.getTypeOid());
    if (type.oid() != column.getTypeOid() || !SqlValues.STORABLE.contains(type)) {
      throw SqlValues.corrupt(
          "catalog entry of " + owner + ": column " + column.getName() + " has type OID "
              + Integer.toUnsignedString(column.getTypeOid()) + ", not a column type");
    }
    try {
      return new ColumnDef(
          column.getName(),
          column.getId(),
          type,
          column.getPrecision(),
          column.getScale(),
          column.getNotNull(),
          column.hasDefaultSql() ? Optional.of(column.getDefaultSql()) : Optional.empty());
    } catch (IllegalArgumentException e) {
      throw SqlValues.corrupt("catalog entry of " + owner + ": " + e.getMessage());
    }
  }

  private static void checkColumns(List<ColumnDef> columns, String owner) throws SqlException {
    Set<String> names = new HashSet<>();
    Set<Integer> ids = new HashSet<>();
    for (ColumnDef column : columns) {
      checkName(column.name(), "column name");
      if (!names.add(column.name())) {
        throw new SqlException(
            SqlState.DUPLICATE_COLUMN,
            "column \"" + column.name() + "\" specified more than once in " + owner);
      }
      if (!ids.add(column.id())) {
        throw invalid("two columns of " + owner + " have id " + column.id());
      }
      SqlValues.requireStorable(column, owner);
      if (column.defaultSql().isPresent() && !SqlValues.isValidText(column.defaultSql().get())) {
        throw invalid("the default of " + SqlValues.where(column, owner)
            + " contains NUL or an unpaired surrogate");
      }
      if (column.type() == SqlType.VARCHAR
          && column.precision() != -1
          && (column.precision() < 1 || column.precision() > VARCHAR_LENGTH_MAX)) {
        throw invalid(SqlValues.where(column, owner) + " has length " + column.precision()
            + "; the length for type varchar must be between 1 and " + VARCHAR_LENGTH_MAX);
      }
      if (column.type() == SqlType.DECIMAL) {
        boolean precisionOk = column.precision() == -1
            || (column.precision() >= 1 && column.precision() <= DECIMAL_PRECISION_MAX);
        boolean scaleOk = column.scale() == -1
            || (column.scale() >= 0 && column.scale() <= DECIMAL_PRECISION_MAX
                && (column.precision() == -1 || column.scale() <= column.precision()));
        if (!precisionOk || !scaleOk) {
          throw invalid(SqlValues.where(column, owner) + " has precision " + column.precision()
              + " and scale " + column.scale() + "; NUMERIC precision must be between 1 and "
              + DECIMAL_PRECISION_MAX + " and the scale between 0 and the precision");
        }
      }
    }
  }

  private static ByteString bytes(Value value, String kind)
      throws SqlException {
    if (value.getKindCase() != Value.KindCase.BYTES) {
      throw SqlValues.corrupt(
          "a " + kind + " catalog entry is a " + value.getKindCase() + " value, not bytes");
    }
    return value.getBytes();
  }

  private static void checkVersion(int version, String what) throws SqlException {
    if (version != FORMAT_VERSION) {
      throw SqlValues.corrupt(
          "catalog entry of " + what + " is in format " + Integer.toUnsignedString(version)
              + ", which this version does not read (it reads " + FORMAT_VERSION + ")");
    }
  }

  private static SqlException invalid(String message) {
    return new SqlException(SqlState.INVALID_TABLE_DEFINITION, message);
  }
}
