package io.ordo.sql.engine;

import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.AbstractEnumerable;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Enumerator;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.ScannableTable;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A SQL stream as Calcite sees it: its records from the earliest retained one, each as its
 * columns followed by {@code _shard}, {@code _offset} and {@code _log_time} (the record's id and
 * log time). Reads what the store holds when the statement runs (streams are logs: a record, once
 * there, never changes).
 *
 * <p>Bounded by the statement's row limit ({@code SqlConfig.rowsMax}): a scan reads one record
 * more than the limit, yields at most the limit, and fails with 54000 when the query asks for the
 * next one, so {@code LIMIT n} over a long stream works while {@code count(*)} or a filter over
 * more records than the limit is refused rather than answered from a silently cut prefix.
 */
final class StreamTable extends AbstractTable implements ScannableTable {
  static final List<String> META_COLUMNS = List.of("_shard", "_offset", "_log_time");

  private final StreamDef def;

  StreamTable(StreamDef def) {
    this.def = def;
  }

  @Override
  public RelDataType getRowType(RelDataTypeFactory f) {
    RelDataTypeFactory.Builder b = f.builder();
    for (ColumnDef c : def.columns()) {
      b.add(c.name(), CalciteTypes.relType(f, c));
    }
    b.add(META_COLUMNS.get(0), f.createSqlType(SqlTypeName.BIGINT));
    b.add(META_COLUMNS.get(1), f.createSqlType(SqlTypeName.BIGINT));
    b.add(META_COLUMNS.get(2), f.createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, 3));
    return b.build();
  }

  @Override
  public Enumerable<Object[]> scan(DataContext root) {
    ReadContext ctx = ReadContext.current();
    int recordsMax = ctx.streamRecordsMax;
    List<ReadResponse> pages =
        ctx.backend.readStream(
            ReadStreamRequest.newBuilder()
                .setStream(def.name())
                .setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.EARLIEST))
                .setMaxRecords(recordsMax + 1L)
                .build());
    List<Object[]> out = new ArrayList<>();
    for (ReadResponse page : pages) {
      for (ReceivedRecord r : page.getRecordsList()) {
        List<Object> values;
        try {
          values = Encodings.decodeStreamRow(
              def, r.getRecord(), r.getId().getShardId(), r.getId().getOffset());
        } catch (io.ordo.sql.SqlException e) {
          throw new SqlRuntimeException(e);
        }
        Object[] row = new Object[def.columns().size() + META_COLUMNS.size()];
        for (int i = 0; i < def.columns().size(); i++) {
          row[i] = CalciteTypes.toCalcite(def.columns().get(i).type(), values.get(i));
        }
        int n = def.columns().size();
        row[n] = r.getId().getShardId();
        row[n + 1] = r.getId().getOffset();
        row[n + 2] =
            CalciteTypes.toCalcite(
                SqlType.TIMESTAMPTZ,
                OffsetDateTime.ofInstant(
                    Instant.ofEpochMilli(r.getPosition().getTs()), ZoneOffset.UTC));
        out.add(row);
      }
    }
    if (out.size() <= recordsMax) {
      return Linq4j.asEnumerable(out);
    }
    return truncated(out.subList(0, recordsMax), recordsMax);
  }

  /** Yields {@code rows}, then fails with 54000 instead of ending: the stream holds more. */
  private Enumerable<Object[]> truncated(List<Object[]> rows, int recordsMax) {
    return new AbstractEnumerable<Object[]>() {
      @Override
      public Enumerator<Object[]> enumerator() {
        return new Enumerator<Object[]>() {
          private int next = -1;

          @Override
          public Object[] current() {
            return rows.get(next);
          }

          @Override
          public boolean moveNext() {
            if (next + 1 >= rows.size()) {
              throw new SqlRuntimeException(
                  new io.ordo.sql.SqlException(
                      io.ordo.sql.SqlState.PROGRAM_LIMIT_EXCEEDED,
                      "stream '" + def.name() + "' holds more than " + recordsMax
                          + " records and a statement reads at most that many of a stream; add"
                          + " LIMIT, or follow it with EMIT CHANGES or the Streams API"));
            }
            next++;
            return true;
          }

          @Override
          public void reset() {
            next = -1;
          }

          @Override
          public void close() {}
        };
      }
    };
  }
}
