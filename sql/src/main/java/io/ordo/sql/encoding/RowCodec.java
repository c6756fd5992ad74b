package io.ordo.sql.encoding;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.Value;
import io.ordo.proto.state.SqlCell;
import io.ordo.proto.state.SqlDecimal;
import io.ordo.proto.state.SqlRow;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stored value of a table row: {@code Value{bytes: SqlRow}} (ordo/internal/sql_storage.proto),
 * every column (key columns included) by its stable column id, so ADD COLUMN and DROP COLUMN
 * never rewrite rows. See sql/ENCODING.md.
 *
 * <p><b>Deterministic.</b> The engine asserts rows byte-exactly ({@code Assert{equals}}), so one
 * logical row always encodes to the same bytes: values are normalized first (DECIMAL rounded to
 * the column's scale, TIMESTAMPTZ to UTC microseconds, TIMESTAMP to microseconds, every NaN to
 * one NaN, integer widths by column type), cells are written in ascending column id, NULL is an
 * absent cell, and protobuf-java writes the fields of a message without maps in field-number order.
 * Two things are kept as given rather than normalized, because PostgreSQL shows them: the scale
 * of an unconstrained DECIMAL (1.0 and 1.00 are different rows' bytes) and the sign of a DOUBLE
 * zero; JSONB text is taken as the engine formatted it.
 *
 * <p><b>Versions.</b> {@code format_version} is {@value #FORMAT_VERSION}; readers refuse others
 * (XX001). {@code max_column_id} records the table's largest column id at write time: a column
 * with a larger id was added later and takes its ADD COLUMN default; a smaller one without a cell
 * is NULL. Cells of columns no longer in the table (dropped) are ignored.
 *
 * <p>Stateless; thread-safe.
 */
public final class RowCodec {
  private RowCodec() {}

  /** The {@code SqlRow.format_version} this codec writes and reads. */
  public static final int FORMAT_VERSION = 1;

  /**
   * Encodes a row.
   *
   * @param row one value per column of {@code table.columns()}, in that order; NULL is {@code
   *     null}; Java shapes as {@link SqlType} documents (integer columns also take any of
   *     Short/Integer/Long, DOUBLE also Float, DECIMAL also Short/Integer/Long/BigInteger)
   * @return {@code Value{bytes}}, the same bytes for the same normalized values
   * @throws SqlException 23502 NULL in a NOT NULL column; 42804 wrong Java type; 22003 integer
   *     or decimal out of the column's range; 22001 text longer than a VARCHAR(n); 22021 NUL or
   *     unpaired surrogate in text; 22008 timestamp beyond ±292,000 years; 0A000 a column type
   *     that cannot be stored
   * @throws IllegalArgumentException when the row has not one value per column
   */
  public static Value encode(TableDef table, List<?> row) throws SqlException {
    return Value.newBuilder().setBytes(encodeRow(table, row).toByteString()).build();
  }

  /** The {@link SqlRow} message of {@link #encode} (before serialization), for tests and tools. */
  static SqlRow encodeRow(TableDef table, List<?> row) throws SqlException {
    List<ColumnDef> columns = table.columns();
    if (row.size() != columns.size()) {
      throw new IllegalArgumentException(
          "table " + table.name() + " has " + columns.size() + " columns, got " + row.size()
              + " values");
    }
    Integer[] order = new Integer[columns.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(columns.get(a).id(), columns.get(b).id()));
    SqlRow.Builder out = SqlRow.newBuilder().setFormatVersion(FORMAT_VERSION);
    int previousId = 0;
    for (int index : order) {
      ColumnDef column = columns.get(index);
      if (column.id() == previousId) {
        throw new IllegalArgumentException(
            "table " + table.name() + " has two columns with id " + column.id());
      }
      previousId = column.id();
      Object value = row.get(index);
      if (value == null) {
        if (column.notNull()) {
          throw SqlValues.notNull(column, table.name());
        }
        continue;
      }
      out.addCells(cell(column, value, table.name()));
    }
    return out.setMaxColumnId(previousId).build();
  }

  private static SqlCell cell(ColumnDef column, Object value, String table) throws SqlException {
    SqlValues.requireStorable(column, table);
    SqlCell.Builder cell = SqlCell.newBuilder().setColumnId(column.id());
    switch (column.type()) {
      case BOOLEAN -> cell.setBoolValue(SqlValues.bool(column, value, table));
      case SMALLINT, INTEGER, BIGINT -> cell.setIntValue(SqlValues.integer(column, value, table));
      case DATE -> cell.setIntValue(SqlValues.epochDay(column, value, table));
      case TIMESTAMP, TIMESTAMPTZ -> cell.setIntValue(SqlValues.micros(column, value, table));
      case DOUBLE -> cell.setDoubleValue(SqlValues.float8(column, value, table));
      case DECIMAL -> {
        BigDecimal d = SqlValues.decimal(column, value, table);
        cell.setDecimalValue(
            SqlDecimal.newBuilder()
                .setUnscaled(ByteString.copyFrom(d.unscaledValue().toByteArray()))
                .setScale(d.scale()));
      }
      case VARCHAR, TEXT -> cell.setStringValue(SqlValues.text(column, value, table));
      case JSONB -> cell.setStringValue(SqlValues.jsonb(column, value, table));
      case BYTEA -> cell.setBytesValue(ByteString.copyFrom(SqlValues.bytea(column, value, table)));
      default -> throw new IllegalStateException("checked by requireStorable: " + column.type());
    }
    return cell.build();
  }

  /**
   * Decodes a row; columns added after the row was written are NULL.
   *
   * @see #decode(TableDef, Value, List)
   */
  public static List<Object> decode(TableDef table, Value value) throws SqlException {
    return decode(table, value, Collections.nCopies(table.columns().size(), null));
  }

  /**
   * Decodes a row.
   *
   * @param addedDefaults one value per column of {@code table.columns()}: what a column added
   *     after the row was written holds for it (PostgreSQL's {@code attmissingval}: the DEFAULT
   *     evaluated at ADD COLUMN, not a DEFAULT set later); {@code null} for NULL. Taken as given.
   * @return one value per column of {@code table.columns()}, in that order, in the Java shapes of
   *     {@link SqlType}; an unmodifiable list that may hold nulls
   * @throws SqlException XX001 when the value is not a row this codec wrote: not bytes, not a
   *     {@code SqlRow}, an unknown format version, cells out of order, or a cell whose kind does
   *     not fit its column's type
   * @throws IllegalArgumentException when {@code addedDefaults} has not one value per column
   */
  public static List<Object> decode(TableDef table, Value value, List<?> addedDefaults)
      throws SqlException {
    List<ColumnDef> columns = table.columns();
    if (addedDefaults.size() != columns.size()) {
      throw new IllegalArgumentException(
          "table " + table.name() + " has " + columns.size() + " columns, got "
              + addedDefaults.size() + " defaults");
    }
    if (value.getKindCase() != Value.KindCase.BYTES) {
      throw SqlValues.corrupt(
          "a row of table " + table.name() + " is a " + value.getKindCase() + " value, not bytes");
    }
    SqlRow row;
    try {
      row = SqlRow.parseFrom(value.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw SqlValues.corrupt(
          "a row of table " + table.name() + " does not parse: " + e.getMessage());
    }
    if (row.getFormatVersion() != FORMAT_VERSION) {
      throw SqlValues.corrupt(
          "a row of table " + table.name() + " is in format " + row.getFormatVersion()
              + ", which this version does not read (it reads " + FORMAT_VERSION + ")");
    }
    Map<Integer, SqlCell> cells = new HashMap<>();
    long previousId = 0;
    long maxColumnId = Integer.toUnsignedLong(row.getMaxColumnId());
    for (SqlCell cell : row.getCellsList()) {
      long id = Integer.toUnsignedLong(cell.getColumnId());
      if (id <= previousId || id > maxColumnId) {
        throw SqlValues.corrupt(
            "a row of table " + table.name() + " has cells out of order or beyond its"
                + " max_column_id (column id " + id + ")");
      }
      previousId = id;
      cells.put(cell.getColumnId(), cell);
    }
    List<Object> values = new ArrayList<>(columns.size());
    for (int i = 0; i < columns.size(); i++) {
      ColumnDef column = columns.get(i);
      SqlCell cell = cells.get(column.id());
      if (cell != null) {
        values.add(fromCell(table, column, cell));
      } else if (column.id() > maxColumnId) {
        values.add(addedDefaults.get(i));
      } else {
        values.add(null);
      }
    }
    return Collections.unmodifiableList(values);
  }

  private static Object fromCell(TableDef table, ColumnDef column, SqlCell cell)
      throws SqlException {
    SqlCell.ValueCase expected =
        switch (column.type()) {
          case BOOLEAN -> SqlCell.ValueCase.BOOL_VALUE;
          case SMALLINT, INTEGER, BIGINT, DATE, TIMESTAMP, TIMESTAMPTZ -> SqlCell.ValueCase.INT_VALUE;
          case DOUBLE -> SqlCell.ValueCase.DOUBLE_VALUE;
          case DECIMAL -> SqlCell.ValueCase.DECIMAL_VALUE;
          case VARCHAR, TEXT, JSONB -> SqlCell.ValueCase.STRING_VALUE;
          case BYTEA -> SqlCell.ValueCase.BYTES_VALUE;
          default -> SqlCell.ValueCase.VALUE_NOT_SET;
        };
    if (cell.getValueCase() != expected || expected == SqlCell.ValueCase.VALUE_NOT_SET) {
      throw SqlValues.corrupt(
          "a row of table " + table.name() + " holds a " + cell.getValueCase() + " cell for "
              + SqlValues.where(column, table.name()) + " of type " + column.type().pgName());
    }
    try {
      return switch (column.type()) {
        case BOOLEAN -> cell.getBoolValue();
        case SMALLINT, INTEGER, BIGINT, DATE, TIMESTAMP, TIMESTAMPTZ ->
            SqlValues.fromLong(column, cell.getIntValue());
        case DOUBLE -> cell.getDoubleValue();
        case DECIMAL -> decimal(cell.getDecimalValue());
        case VARCHAR, TEXT, JSONB -> cell.getStringValue();
        case BYTEA -> cell.getBytesValue().toByteArray();
        default -> throw new IllegalStateException("checked above: " + column.type());
      };
    } catch (SqlException e) {
      throw SqlValues.corrupt(
          "a row of table " + table.name() + ", " + SqlValues.where(column, table.name()) + ": "
              + e.getMessage());
    }
  }

  private static BigDecimal decimal(SqlDecimal d) throws SqlException {
    if (d.getUnscaled().isEmpty() || d.getScale() < 0) {
      // The encoder never writes either; a negative scale could make printing the value huge.
      throw SqlValues.corrupt("decimal cell without digits or with a negative scale");
    }
    return new BigDecimal(new BigInteger(d.getUnscaled().toByteArray()), d.getScale());
  }
}
