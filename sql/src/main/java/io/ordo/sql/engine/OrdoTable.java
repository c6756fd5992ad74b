package io.ordo.sql.engine;

import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.schema.ProjectableFilterableTable;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.SqlKind;

/**
 * A SQL table as Calcite sees it: its rows are the keys under the table's prefix as of the
 * statement's snapshot, merged with the transaction's own writes.
 *
 * <p><b>Push-down.</b> Equality conditions on the leading primary key columns (with a literal or
 * a parameter) narrow the scan: all key columns → one point read of one key; the first k →
 * a scan of the key prefix, which is one store seek since keys encode order-preserving. Calcite
 * still applies every condition to what comes back, so a condition that is not pushed down is
 * only slower, never wrong. A point read records the key in the read set (absent included); a
 * prefix or full scan records every row read and the table's row set (phantoms).
 */
final class OrdoTable extends AbstractTable implements ProjectableFilterableTable {
  private final TableDef def;

  OrdoTable(TableDef def) {
    this.def = def;
  }

  TableDef def() {
    return def;
  }

  @Override
  public RelDataType getRowType(RelDataTypeFactory f) {
    RelDataTypeFactory.Builder b = f.builder();
    for (ColumnDef c : def.columns()) {
      b.add(c.name(), CalciteTypes.relType(f, c));
    }
    return b.build();
  }

  @Override
  public Enumerable<Object[]> scan(DataContext root, List<RexNode> filters, int[] projects) {
    ReadContext ctx = ReadContext.current();
    try {
      List<RexNode> used = new ArrayList<>();
      List<List<Object>> rows = read(ctx, leadingKeyValues(root, filters, used));
      // The conditions the key read guarantees leave the list (the contract of
      // ProjectableFilterableTable): Calcite's interpreter compiles the remaining ones with Janino
      // on every execution, so a primary-key lookup then costs no compilation at all.
      try {
        filters.removeAll(used);
      } catch (UnsupportedOperationException e) {
        // A caller that passes a fixed list applies every filter itself: correct, only slower.
      }
      List<Object[]> out = new ArrayList<>(rows.size());
      for (List<Object> row : rows) {
        int n = projects == null ? row.size() : projects.length;
        Object[] r = new Object[n];
        for (int i = 0; i < n; i++) {
          int col = projects == null ? i : projects[i];
          r[i] = CalciteTypes.toCalcite(def.columns().get(col).type(), row.get(col));
        }
        out.add(r);
      }
      return Linq4j.asEnumerable(out);
    } catch (SqlException e) {
      throw new SqlRuntimeException(e);
    }
  }

  /** Rows in key order, each in column order (Java shapes). */
  List<List<Object>> read(ReadContext ctx, List<Object> leading) throws SqlException {
    if (ctx.txn != null) {
      ctx.txn.useSchema(def, Encodings.tableKey(def.name()), ctx.catalog.tableValue(def.name()));
    }
    List<Object> defaults = ctx.defaults.apply(def);
    List<List<Object>> rows = new ArrayList<>();
    if (leading.size() == def.primaryKey().size()) {
      Optional<Value> v = ctx.read(Encodings.rowKey(def, leading));
      if (v.isPresent()) {
        rows.add(Encodings.decodeRow(def, v.get(), defaults));
      }
      return rows;
    }
    String prefix = Encodings.rowPrefix(def, leading);
    for (Map.Entry<String, Value> e : ctx.scan(prefix, Encodings.rowsetKey(def.tableId()))) {
      rows.add(Encodings.decodeRow(def, e.getValue(), defaults));
    }
    return rows;
  }

  /**
   * The values of the longest run of leading primary key columns that {@code filters} fix by
   * equality with a literal or parameter.
   */
  private List<Object> leadingKeyValues(DataContext root, List<RexNode> filters, List<RexNode> used) {
    List<Object> values = new ArrayList<>();
    for (ColumnDef key : def.primaryKeyColumns()) {
      int index = def.columns().indexOf(key);
      Object found = null;
      for (RexNode f : filters) {
        found = equalityValue(root, f, index, key.type());
        if (found != null) {
          used.add(f);
          break;
        }
      }
      if (found == null) {
        break;
      }
      values.add(found);
    }
    return values;
  }

  private static Object equalityValue(DataContext root, RexNode f, int column, SqlType type) {
    if (f.getKind() != SqlKind.EQUALS || !(f instanceof RexCall call)) {
      return null;
    }
    RexNode a = call.getOperands().get(0);
    RexNode b = call.getOperands().get(1);
    if (isColumn(b, column)) {
      RexNode t = a;
      a = b;
      b = t;
    }
    if (!isColumn(a, column)) {
      return null;
    }
    return operandKeyValue(root, b, type);
  }

  /**
   * The value of the right-hand side of {@code key = operand} as the key column's Java shape, when
   * it is a literal, a parameter, or a parameter or literal under a value-preserving cast; null
   * otherwise (no push-down). Parameters of a known type reach here as {@code CAST(? AS type)}
   * (see {@link Unparse}); a cast to an exact integer type keeps an integral value that fits it,
   * and a cast to a VARCHAR without a length or to BOOLEAN keeps a string or boolean, so such a
   * cast is looked through. Any other cast (a bounded VARCHAR truncates, CHAR pads, a decimal
   * rounds) is not, since the key would then differ from what Calcite compares.
   */
  static Object operandKeyValue(DataContext root, RexNode operand, SqlType type) {
    RexNode inner = operand;
    RelDataType castType = null;
    if (operand.getKind() == SqlKind.CAST && operand instanceof RexCall cast) {
      castType = cast.getType();
      inner = cast.getOperands().get(0);
    }
    Object raw;
    if (inner instanceof RexLiteral lit) {
      raw = lit.getValue2();
    } else if (inner instanceof RexDynamicParam p) {
      raw = root.get("?" + p.getIndex());
    } else {
      return null;
    }
    if (castType != null && !castKeeps(castType, raw)) {
      return null;
    }
    return keyValue(raw, type);
  }

  /** Whether casting {@code raw} to {@code castType} leaves its value as it is. */
  private static boolean castKeeps(RelDataType castType, Object raw) {
    return switch (castType.getSqlTypeName()) {
      case TINYINT -> raw instanceof Number n && fits(n, Byte.MIN_VALUE, Byte.MAX_VALUE);
      case SMALLINT -> raw instanceof Number n && fits(n, Short.MIN_VALUE, Short.MAX_VALUE);
      case INTEGER -> raw instanceof Number n && fits(n, Integer.MIN_VALUE, Integer.MAX_VALUE);
      case BIGINT -> raw instanceof Number n && fits(n, Long.MIN_VALUE, Long.MAX_VALUE);
      case VARCHAR -> raw instanceof String
          && castType.getPrecision() == RelDataType.PRECISION_NOT_SPECIFIED;
      case BOOLEAN -> raw instanceof Boolean;
      default -> false;
    };
  }

  private static boolean isColumn(RexNode n, int column) {
    return n instanceof RexInputRef ref && ref.getIndex() == column;
  }

  /** A literal or parameter value as the key column's Java shape; null when it is not one. */
  private static Object keyValue(Object raw, SqlType type) {
    if (raw == null) {
      return null;
    }
    return switch (type) {
      case SMALLINT -> raw instanceof Number n && fits(n, Short.MIN_VALUE, Short.MAX_VALUE)
          ? (Object) n.shortValue() : null;
      case INTEGER -> raw instanceof Number n && fits(n, Integer.MIN_VALUE, Integer.MAX_VALUE)
          ? (Object) n.intValue() : null;
      case BIGINT -> raw instanceof Number n && fits(n, Long.MIN_VALUE, Long.MAX_VALUE)
          ? (Object) n.longValue() : null;
      case VARCHAR, TEXT -> raw instanceof String s ? s : null;
      case BOOLEAN -> raw instanceof Boolean bool ? bool : null;
      default -> null;
    };
  }

  /** Whether an integral number lies in [min, max] (fractions never match an integer key). */
  private static boolean fits(Number n, long min, long max) {
    if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
      return n.longValue() >= min && n.longValue() <= max;
    }
    if (n instanceof java.math.BigDecimal d) {
      return d.stripTrailingZeros().scale() <= 0
          && d.compareTo(java.math.BigDecimal.valueOf(min)) >= 0
          && d.compareTo(java.math.BigDecimal.valueOf(max)) <= 0;
    }
    return false;
  }
}
