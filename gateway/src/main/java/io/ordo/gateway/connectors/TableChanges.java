package io.ordo.gateway.connectors;

import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Put;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import io.ordo.sql.encoding.CatalogCodec;
import io.ordo.sql.encoding.KeyCodec;
import io.ordo.sql.encoding.RowCodec;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * The pure part of an INTO TABLE connector: a Debezium change of the source table as a write of
 * one row of the Ordo table that mirrors it, and a batch of such writes as transaction
 * operations.
 *
 * <p><b>A change.</b> {@code r} (snapshot), {@code c} and {@code u}: put the row {@code after}
 * under its primary key (an upsert, so a change applied to a row in any state leaves the source's
 * row); {@code d}: delete the row under the change's key. A primary key update reaches Debezium
 * as a delete of the old key and a create of the new one. Records without a row change
 * (heartbeats) write nothing; TRUNCATE is not delivered (Debezium skips it by default).
 *
 * <p><b>Schema.</b> The change's columns must be exactly the table's (by name), and each value of
 * the Debezium type that the column's Ordo type expects ({@link #javaValue}); otherwise the change
 * is refused with an {@link IllegalStateException} naming the difference (a column added,
 * dropped or retyped at the source, or the Ordo table altered): the worker stops and reports it.
 *
 * <p><b>A batch</b> ({@link #operations}): {@code Assert(table definition == the one read at
 * start)}, then one Put or Delete per row key (the last change of a key within the batch wins,
 * keys in order of their first change), then {@code Increment(row-set counter)} as SQL's DML
 * does, so transactions that scanned the table see it changed.
 *
 * <p>Immutable; thread-safe.
 */
final class TableChanges {
  /** What Debezium writes for a value it does not have (an unchanged TOASTed column). */
  static final String UNAVAILABLE = "__debezium_unavailable_value";

  private final TableDef table;
  private final Value tableValue;
  private final String tableKey;
  private final String source;

  /** One row written: its key, and the row value or empty for a delete. */
  record RowWrite(String key, Optional<Value> value) {
    long bytes() {
      return key.length() * 3L + value.map(Value::getSerializedSize).orElse(0) + 16;
    }
  }

  /**
   * @param tableValue the table's catalog value (decoded here, asserted by every batch)
   * @param source the source table's name, for messages
   */
  TableChanges(Value tableValue, String source) throws SqlException {
    this.tableValue = Objects.requireNonNull(tableValue, "tableValue");
    this.table = CatalogCodec.decodeTable(tableValue);
    this.tableKey = CatalogCodec.tableKey(table.name());
    this.source = Objects.requireNonNull(source, "source");
  }

  TableDef table() {
    return table;
  }

  /**
   * A change record's Debezium {@code op} ({@code r} for a snapshot read, {@code c}, {@code u},
   * {@code d}), or empty for a record that is not a row change (e.g. a heartbeat).
   */
  static Optional<String> op(SourceRecord record) {
    if (!(record.value() instanceof Struct envelope)
        || envelope.schema().field("op") == null || envelope.get("op") == null) {
      return Optional.empty();
    }
    return Optional.of(envelope.getString("op"));
  }

  /**
   * The row write of a change, or empty for a record that changes no row.
   *
   * @throws IllegalStateException when the change does not fit the table (its reason)
   */
  Optional<RowWrite> toRowWrite(SourceRecord record) {
    Optional<String> kind = op(record);
    if (kind.isEmpty()) {
      return Optional.empty();
    }
    Struct envelope = (Struct) record.value();
    String op = kind.get();
    try {
      switch (op) {
        case "r", "c", "u" -> {
          Struct after = envelope.getStruct("after");
          if (after == null) {
            throw new IllegalStateException("a change (op " + op + ") without the new row");
          }
          List<Object> row = row(after);
          List<Object> key = new ArrayList<>();
          for (String k : table.primaryKey()) {
            key.add(row.get(table.columns().indexOf(table.column(k).orElseThrow())));
          }
          return Optional.of(new RowWrite(
              KeyCodec.encode(table, key), Optional.of(RowCodec.encode(table, row))));
        }
        case "d" -> {
          if (!(record.key() instanceof Struct keyStruct)) {
            throw new IllegalStateException("a delete without the row's key");
          }
          return Optional.of(new RowWrite(KeyCodec.encode(table, key(keyStruct)), Optional.empty()));
        }
        default -> throw new IllegalStateException(
            "a change of kind '" + op + "', which a table connector does not apply");
      }
    } catch (SqlException e) {
      throw new IllegalStateException(e.getMessage() + " (SQLSTATE " + e.sqlState() + ")", e);
    }
  }

  /**
   * The operations of one batch of writes (see the class comment).
   *
   * @param writes in source order
   */
  List<Operation> operations(List<RowWrite> writes) {
    Map<String, Optional<Value>> last = new LinkedHashMap<>();
    for (RowWrite w : writes) {
      last.put(w.key(), w.value());
    }
    List<Operation> ops = new ArrayList<>();
    ops.add(Operation.newBuilder().setKey(tableKey)
        .setAssert(Assert.newBuilder().setEquals(tableValue)).build());
    for (Map.Entry<String, Optional<Value>> e : last.entrySet()) {
      Operation.Builder op = Operation.newBuilder().setKey(e.getKey());
      if (e.getValue().isPresent()) {
        op.setPut(Put.newBuilder().setValue(e.getValue().get()));
      } else {
        op.setDelete(Delete.getDefaultInstance());
      }
      ops.add(op.build());
    }
    if (!last.isEmpty()) {
      ops.add(Operation.newBuilder().setKey(CatalogCodec.rowsetKey(table.tableId()))
          .setIncrement(Increment.newBuilder().setDelta(1)).build());
    }
    return ops;
  }

  /** The table's catalog key (asserted by every batch). */
  String tableKey() {
    return tableKey;
  }

  private List<Object> row(Struct after) {
    checkColumns(after.schema(), table.columns().stream().map(ColumnDef::name).toList(), "row");
    List<Object> row = new ArrayList<>();
    for (ColumnDef c : table.columns()) {
      Field f = after.schema().field(c.name());
      row.add(javaValue(c, f.schema(), after.get(f)));
    }
    return row;
  }

  private List<Object> key(Struct keyStruct) {
    checkColumns(keyStruct.schema(), table.primaryKey(), "primary key");
    List<Object> key = new ArrayList<>();
    for (ColumnDef c : table.primaryKeyColumns()) {
      Field f = keyStruct.schema().field(c.name());
      key.add(javaValue(c, f.schema(), keyStruct.get(f)));
    }
    return key;
  }

  private void checkColumns(Schema schema, List<String> expected, String what) {
    TreeSet<String> have = new TreeSet<>();
    for (Field f : schema.fields()) {
      have.add(f.name());
    }
    TreeSet<String> want = new TreeSet<>(expected);
    if (!have.equals(want)) {
      TreeSet<String> extra = new TreeSet<>(have);
      extra.removeAll(want);
      TreeSet<String> missing = new TreeSet<>(want);
      missing.removeAll(have);
      throw new IllegalStateException("the " + what + " of " + source + " has "
          + (extra.isEmpty() ? "" : "columns " + extra + " that table \"" + table.name()
              + "\" lacks")
          + (!extra.isEmpty() && !missing.isEmpty() ? " and " : "")
          + (missing.isEmpty() ? "" : "no columns " + missing + " that table \"" + table.name()
              + "\" has")
          + " (a schema change at the source or in Ordo; the table must match the source)");
    }
  }

  /**
   * A Debezium value (PostgreSQL and MySQL connectors, {@code decimal.handling.mode=string},
   * adaptive time precision) as the Java value of an Ordo column ({@link io.ordo.sql.SqlType}'s shapes).
   * Timestamps are cut to milliseconds, the precision Ordo's SQL writes and reads them at, so a
   * mirrored row is the row an INSERT of the same values would store (and a timestamp key is
   * found by a query naming it).
   *
   * @throws IllegalStateException when the value is not of the type the column expects
   */
  static Object javaValue(ColumnDef column, Schema schema, Object v) {
    if (v == null) {
      return null;
    }
    if (UNAVAILABLE.equals(v)) {
      throw new IllegalStateException("the source did not send column \"" + column.name()
          + "\" of an update (an unchanged TOASTed value); set REPLICA IDENTITY FULL on the"
          + " source table");
    }
    String name = schema.name() == null ? "" : schema.name();
    try {
      switch (column.type()) {
        case BOOLEAN:
          if (v instanceof Boolean) {
            return v;
          }
          // MySQL's bool is a tinyint(1): 0 or 1 are false and true; any other value is not
          // a boolean, and a mirror that changed it would not be one.
          if ((v instanceof Short || v instanceof Integer) && ((Number) v).intValue() >= 0
              && ((Number) v).intValue() <= 1) {
            return ((Number) v).intValue() == 1;
          }
          break;
        case SMALLINT:
        case INTEGER:
        case BIGINT:
          if (v instanceof Short || v instanceof Integer || v instanceof Long) {
            return v;
          }
          break;
        case DOUBLE:
          if (v instanceof Double || v instanceof Float) {
            return v;
          }
          break;
        case DECIMAL:
          if (v instanceof String s) {
            return new BigDecimal(s);
          }
          if (v instanceof BigDecimal || v instanceof Short || v instanceof Integer
              || v instanceof Long) {
            return v;
          }
          break;
        case VARCHAR:
        case TEXT:
        case JSONB:
          if (v instanceof String) {
            return v;
          }
          break;
        case BYTEA:
          if (v instanceof byte[]) {
            return v;
          }
          if (v instanceof ByteBuffer b) {
            byte[] out = new byte[b.remaining()];
            b.duplicate().get(out);
            return out;
          }
          break;
        case DATE:
          if (v instanceof Integer days) {
            return LocalDate.ofEpochDay(days);
          }
          break;
        case TIMESTAMP:
          if (v instanceof Long n) {
            Instant at = switch (name) {
              case "io.debezium.time.Timestamp" -> Instant.ofEpochMilli(n);
              case "io.debezium.time.MicroTimestamp" ->
                  Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000L),
                      Math.floorMod(n, 1_000_000L) * 1_000L);
              case "io.debezium.time.NanoTimestamp" ->
                  Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L),
                      Math.floorMod(n, 1_000_000_000L));
              default -> null;
            };
            if (at != null) {
              return LocalDateTime.ofInstant(at.truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
            }
          }
          break;
        case TIMESTAMPTZ:
          if (v instanceof String s) {
            return OffsetDateTime.parse(s).withOffsetSameInstant(ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.MILLIS);
          }
          break;
        default:
          break;
      }
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalStateException("column \"" + column.name() + "\": the source sent '" + v
          + "', which is not a " + column.type().sqlName() + " value", e);
    }
    throw new IllegalStateException("column \"" + column.name() + "\" is "
        + column.type().sqlName() + " in Ordo, but the source sent a "
        + v.getClass().getSimpleName() + (name.isEmpty() ? "" : " (" + name + ")")
        + " (its type changed at the source?)");
  }
}
