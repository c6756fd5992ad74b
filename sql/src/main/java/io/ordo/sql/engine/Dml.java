package io.ordo.sql.engine;

import io.ordo.proto.StreamRecord;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;

/**
 * INSERT, UPSERT, UPDATE and DELETE into a {@link TxnBuffer}: every statement computes its rows
 * with Calcite at the statement's snapshot (a VALUES list, a query, or the rows its WHERE selects
 * with their new values), then buffers the writes; the reads it made are in the buffer's read set,
 * so the commit asserts them (OLLP).
 *
 * <p>Expressions are evaluated by Calcite inside one composed query per statement, e.g. {@code
 * UPDATE t SET b = b + ? WHERE id = ?} runs {@code SELECT "id", "b", CAST("b" + ? AS BIGINT) FROM
 * "t" WHERE "id" = ?}: the primary-key condition is pushed down to one point read, and the query
 * text is the same on every execution, so its plan is reused.
 */
final class Dml {
  private Dml() {}

  /**
   * A query composed for a statement and what its {@code ?}s take, in order: a statement
   * parameter (its Calcite index, >= 0) or a constant of the statement ({@code -1 - i} for
   * {@code constants.get(i)}).
   */
  record Composed(String sql, List<Integer> parameters, List<Object> constants) {
    Composed(String sql, List<Integer> parameters) {
      this(sql, parameters, List.of());
    }
  }

  /**
   * A string literal assigned to a column, as the value it gives: its text for a text column,
   * for other types converted as PostgreSQL converts an untyped literal (its text input form, e.g.
   * {@code '2024-01-02 03:04:05+02'} for a timestamptz, {@code '\x00ff'} for bytea); null when
   * {@code item} is not a string literal. The caller passes it as a parameter, so statements that
   * differ only in such literals share one query text and its cached plan.
   */
  private static Object literalConstant(SqlNode item, ColumnDef target) throws SqlException {
    if (!(item instanceof org.apache.calcite.sql.SqlCharStringLiteral lit)) {
      return null;
    }
    String text = lit.getValueAs(String.class);
    if (target.type() == io.ordo.sql.SqlType.VARCHAR
        || target.type() == io.ordo.sql.SqlType.TEXT) {
      return text;
    }
    try {
      return io.ordo.sql.types.PgText.parse(target.type(), text);
    } catch (SqlException e) {
      throw new SqlException(e.sqlState(), e.getMessage() + " (column \"" + target.name() + "\")");
    }
  }

  /**
   * A numeric literal, possibly negated ({@code 42}, {@code -1.50}, {@code 1e3}), as the value and
   * SQL type Calcite gives it: INTEGER (an {@link Integer}) or BIGINT (a {@link Long}) for an
   * integer that fits, DECIMAL(p, s) (a {@link java.math.BigDecimal}) for other exact numbers,
   * DOUBLE (a {@link Double}) for approximate ones.
   */
  record NumericConstant(String sqlType, Object value) {
    private static final org.apache.calcite.rel.type.RelDataTypeFactory TYPES =
        new org.apache.calcite.sql.type.SqlTypeFactoryImpl(
            org.apache.calcite.rel.type.RelDataTypeSystem.DEFAULT);

    /** The constant {@code item} is, or null when it is not a (negated) numeric literal. */
    static NumericConstant of(SqlNode item) {
      boolean negated = false;
      SqlNode node = item;
      if (item.getKind() == SqlKind.MINUS_PREFIX
          && ((SqlBasicCall) item).operandCount() == 1) {
        negated = true;
        node = ((SqlBasicCall) item).operand(0);
      }
      if (!(node instanceof org.apache.calcite.sql.SqlNumericLiteral lit)) {
        return null;
      }
      org.apache.calcite.rel.type.RelDataType type = lit.createSqlType(TYPES);
      java.math.BigDecimal v = lit.getValueAs(java.math.BigDecimal.class);
      if (negated) {
        v = v.negate();
      }
      try {
        return of(type, v);
      } catch (ArithmeticException e) {
        return null; // left to Calcite, which reports it as it always did
      }
    }

    private static NumericConstant of(
        org.apache.calcite.rel.type.RelDataType type, java.math.BigDecimal v) {
      return switch (type.getSqlTypeName()) {
        case INTEGER -> new NumericConstant("INTEGER", v.intValueExact());
        case BIGINT -> new NumericConstant("BIGINT", v.longValueExact());
        case DOUBLE -> new NumericConstant("DOUBLE", v.doubleValue());
        case DECIMAL -> type.getPrecision() <= TYPES.getTypeSystem().getMaxNumericPrecision()
                && type.getScale() >= 0 && type.getScale() <= type.getPrecision()
            ? new NumericConstant(
                "DECIMAL(" + type.getPrecision() + ", " + type.getScale() + ")", v)
            : null;
        default -> null;
      };
    }
  }

  /** The statement's result: the number of rows it wrote. */
  record Written(String tag, long rows) {}

  // ---------------------------------------------------------------------------------------
  // INSERT

  /** The columns an INSERT targets, in its order, checked against the table. */
  static List<ColumnDef> targetColumns(TableDef def, Plan.Insert ins) throws SqlException {
    if (ins.columns().isEmpty()) {
      return def.columns();
    }
    List<ColumnDef> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String name : ins.columns()) {
      ColumnDef c =
          def.column(name)
              .orElseThrow(
                  () -> new SqlException(
                      SqlState.UNDEFINED_COLUMN,
                      "column \"" + name + "\" of relation \"" + def.name() + "\" does not exist",
                      ins.position()));
      if (!seen.add(name)) {
        throw new SqlException(
            SqlState.DUPLICATE_COLUMN, "column \"" + name + "\" specified more than once",
            ins.position());
      }
      out.add(c);
    }
    return out;
  }

  /**
   * The queries producing an INSERT's rows, run in order and their rows concatenated: for a VALUES
   * list one single-row {@code VALUES} per row, each item cast to its target column's type (so
   * parameters get types and literals convert as PostgreSQL's assignment casts would); for a query
   * source the INSERT's query as it is (its values are converted afterwards).
   *
   * <p>One query per row rather than one for the list: Calcite turns a VALUES whose items are not
   * all literals into a union of one projection per row, whose planning grows faster than the row
   * count (about 8 s for 1,000 rows) and whose generated code nests one level per row (a stack
   * overflow at about 1,000). Rows of the same shape compose the same text, so one cached plan
   * serves every row of a batch and every later statement of that shape.
   *
   * @return one query per VALUES row (at least one), or the one query of a query source
   * @throws SqlException 42601 if a row has more or fewer items than target columns; a literal's
   *     conversion error (e.g. 22007 for a malformed timestamp)
   */
  static List<Composed> insertSource(List<ColumnDef> targets, SqlNode source, Catalog catalog)
      throws SqlException {
    if (source.getKind() != SqlKind.VALUES) {
      return List.of(new Composed(Unparse.sql(source), Unparse.parameters(source)));
    }
    List<SqlNode> rowNodes = ((SqlBasicCall) source).getOperandList();
    List<Composed> out = new ArrayList<>(rowNodes.size());
    for (SqlNode rowNode : rowNodes) {
      List<SqlNode> items =
          rowNode.getKind() == SqlKind.ROW
              ? ((SqlBasicCall) rowNode).getOperandList()
              : List.of(rowNode);
      if (items.size() != targets.size()) {
        throw new SqlException(
            SqlState.SYNTAX_ERROR,
            items.size() > targets.size()
                ? "INSERT has more expressions than target columns"
                : "INSERT has more target columns than expressions",
            rowNode.getParserPosition().getColumnNum());
      }
      StringBuilder sql = new StringBuilder("VALUES (");
      List<Integer> params = new ArrayList<>();
      List<Object> constants = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        SqlNode item = items.get(i);
        if (i > 0) {
          sql.append(", ");
        }
        Object constant = literalConstant(item, targets.get(i));
        NumericConstant numeric;
        if (item.getKind() == SqlKind.DEFAULT) {
          sql.append(defaultSql(targets.get(i)));
        } else if (constant != null) {
          sql.append("CAST(? AS ").append(CalciteTypes.castTarget(targets.get(i))).append(')');
          constants.add(constant);
          params.add(-constants.size());
        } else if ((numeric = NumericConstant.of(item)) != null) {
          // As a parameter of the literal's own type, so that the query text (and its cached
          // plan) is the same for every row of this shape; Calcite sees the same type and value.
          sql.append("CAST(? AS ").append(numeric.sqlType()).append(')');
          constants.add(numeric.value());
          params.add(-constants.size());
        } else {
          sql.append(assigned(item, targets.get(i)));
          params.addAll(Unparse.parameters(item));
        }
      }
      out.add(new Composed(sql.append(')').toString(), params, constants));
    }
    return out;
  }

  /**
   * An expression assigned to a column, as SQL: a bare parameter or NULL is cast to the column's
   * type (so Calcite can type it); any other expression is left as written and its value is
   * converted to the column's type afterwards ({@link CalciteTypes#coerce}), which refuses values
   * of another kind (a boolean for an integer column: 42804) as PostgreSQL's assignment does,
   * where a CAST would convert them.
   */
  static String assigned(SqlNode expr, ColumnDef target) {
    boolean untyped = expr instanceof org.apache.calcite.sql.SqlDynamicParam
        || (expr instanceof org.apache.calcite.sql.SqlLiteral lit
            && lit.getTypeName() == org.apache.calcite.sql.type.SqlTypeName.NULL);
    String sql = Unparse.sql(expr);
    return untyped ? "CAST(" + sql + " AS " + CalciteTypes.castTarget(target) + ")" : sql;
  }

  /** A column's DEFAULT as a cast expression, or a typed NULL. */
  static String defaultSql(ColumnDef c) {
    String expr = c.defaultSql().orElse("NULL");
    return "CAST(" + expr + " AS " + CalciteTypes.castTarget(c) + ")";
  }

  /**
   * Buffers the rows of an INSERT into a table.
   *
   * @param rows values in target-column order, as Calcite returned them
   * @param checkNow whether to read each key at the snapshot now (inside a transaction block, so
   *     a duplicate key fails this statement as in PostgreSQL; autocommit statements leave it to
   *     the commit's absence assert)
   */
  static long insertRows(
      ReadContext ctx,
      TableDef def,
      List<ColumnDef> targets,
      List<List<Object>> rows,
      Plan.OnConflict onConflict,
      boolean checkNow,
      ConflictUpdater updater)
      throws SqlException {
    List<Object> defaults = ctx.defaults.apply(def);
    String rowset = Encodings.rowsetKey(def.tableId());
    String tableKey = Encodings.tableKey(def.name());
    ctx.txn.useSchema(def, tableKey, ctx.catalog.tableValue(def.name()));
    long written = 0;
    for (List<Object> given : rows) {
      List<Object> row = new ArrayList<>(defaults);
      for (int i = 0; i < targets.size(); i++) {
        row.set(def.columns().indexOf(targets.get(i)), CalciteTypes.coerce(targets.get(i), given.get(i)));
      }
      checkNotNull(def, row);
      List<Object> pk = primaryKey(def, row);
      String key = Encodings.rowKey(def, pk);
      Value value = Encodings.encodeRow(def, row);
      Optional<Optional<Value>> buffered = ctx.txn.bufferedWrite(key);
      switch (onConflict) {
        case REPLACE -> {
          ctx.txn.delete(key, rowset);
          ctx.txn.put(key, value);
          written++;
        }
        case ERROR -> {
          boolean exists =
              buffered.isPresent()
                  ? buffered.get().isPresent()
                  : checkNow && ctx.read(key).isPresent();
          if (exists) {
            throw uniqueViolation(def, pk);
          }
          ctx.txn.insert(key, value, rowset, def.name(), keyText(def, pk));
          written++;
        }
        case NOTHING, UPDATE -> {
          Optional<Value> current = ctx.read(key);
          if (current.isEmpty()) {
            ctx.txn.insert(key, value, rowset, def.name(), keyText(def, pk));
            written++;
          } else if (onConflict == Plan.OnConflict.UPDATE) {
            List<Object> old = Encodings.decodeRow(def, current.get(), defaults);
            Optional<List<Object>> merged = updater.merge(old, row);
            if (merged.isPresent()) {
              List<Object> next = merged.get();
              checkNotNull(def, next);
              if (!primaryKey(def, next).equals(pk)) {
                throw new SqlException(
                    SqlState.FEATURE_NOT_SUPPORTED,
                    "ON CONFLICT DO UPDATE cannot change the primary key");
              }
              ctx.txn.put(key, Encodings.encodeRow(def, next));
              written++;
            }
          }
        }
        default -> throw new IllegalStateException("unknown conflict action " + onConflict);
      }
    }
    return written;
  }

  /** ON CONFLICT DO UPDATE: the new row from the existing one and the proposed one, or empty. */
  interface ConflictUpdater {
    Optional<List<Object>> merge(List<Object> existing, List<Object> excluded) throws SqlException;
  }

  /** Buffers an INSERT into a stream: its rows become records appended at commit. */
  static long appendRows(
      ReadContext ctx, StreamDef def, List<ColumnDef> targets, List<List<Object>> rows)
      throws SqlException {
    List<StreamRecord> records = new ArrayList<>(rows.size());
    for (List<Object> given : rows) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < def.columns().size(); i++) {
        row.add(null);
      }
      for (int i = 0; i < targets.size(); i++) {
        row.set(def.columns().indexOf(targets.get(i)), CalciteTypes.coerce(targets.get(i), given.get(i)));
      }
      for (int i = 0; i < row.size(); i++) {
        ColumnDef c = def.columns().get(i);
        if (c.notNull() && row.get(i) == null) {
          throw notNull(c, def.name());
        }
      }
      records.add(Encodings.encodeStreamRow(def, row));
    }
    if (!records.isEmpty()) {
      ctx.txn.append(def.name(), records);
    }
    return records.size();
  }

  // ---------------------------------------------------------------------------------------
  // UPDATE and DELETE

  /**
   * {@code SELECT <every column>, CAST(<expr> AS <type>)... FROM table [alias] [WHERE ...]}: the
   * rows an UPDATE (or, without assignments, a DELETE) changes, with their new values.
   */
  static Composed selectTargets(
      TableDef def, Optional<String> alias, List<Plan.Assignment> set, Optional<SqlNode> where)
      throws SqlException {
    StringBuilder sql = new StringBuilder("SELECT ");
    List<Object> constants = new ArrayList<>();
    String qualifier = quote(alias.orElse(def.name())) + ".";
    for (int i = 0; i < def.columns().size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(qualifier).append(quote(def.columns().get(i).name()));
    }
    List<Integer> params = new ArrayList<>();
    for (Plan.Assignment a : set) {
      ColumnDef c =
          def.column(a.column())
              .orElseThrow(
                  () -> new SqlException(
                      SqlState.UNDEFINED_COLUMN,
                      "column \"" + a.column() + "\" of relation \"" + def.name()
                          + "\" does not exist",
                      a.position()));
      sql.append(", ");
      Object constant = literalConstant(a.expr(), c);
      if (a.expr().getKind() == SqlKind.DEFAULT) {
        sql.append(defaultSql(c));
      } else if (constant != null) {
        sql.append("CAST(? AS ").append(CalciteTypes.castTarget(c)).append(')');
        constants.add(constant);
        params.add(-constants.size());
      } else {
        sql.append(assigned(a.expr(), c));
        params.addAll(Unparse.parameters(a.expr()));
      }
    }
    sql.append(" FROM ").append(quote(def.name()));
    if (alias.isPresent()) {
      sql.append(" AS ").append(quote(alias.get()));
    }
    if (where.isPresent()) {
      sql.append(" WHERE ").append(Unparse.sql(where.get()));
      params.addAll(Unparse.parameters(where.get()));
    }
    return new Composed(sql.toString(), params, constants);
  }

  /** Buffers an UPDATE's new rows; {@code rows} come from {@link #selectTargets}. */
  static long updateRows(
      ReadContext ctx, TableDef def, List<Plan.Assignment> set, List<List<Object>> rows)
      throws SqlException {
    String rowset = Encodings.rowsetKey(def.tableId());
    int n = def.columns().size();
    for (List<Object> r : rows) {
      List<Object> old = new ArrayList<>(r.subList(0, n));
      List<Object> next = new ArrayList<>(old);
      for (int i = 0; i < set.size(); i++) {
        ColumnDef c = def.column(set.get(i).column()).orElseThrow();
        next.set(def.columns().indexOf(c), CalciteTypes.coerce(c, r.get(n + i)));
      }
      checkNotNull(def, next);
      List<Object> oldPk = primaryKey(def, old);
      List<Object> newPk = primaryKey(def, next);
      String oldKey = Encodings.rowKey(def, oldPk);
      Value value = Encodings.encodeRow(def, next);
      if (oldPk.equals(newPk)) {
        ctx.txn.put(oldKey, value);
      } else {
        String newKey = Encodings.rowKey(def, newPk);
        Optional<Optional<Value>> buffered = ctx.txn.bufferedWrite(newKey);
        boolean exists =
            buffered.isPresent() ? buffered.get().isPresent() : ctx.read(newKey).isPresent();
        if (exists) {
          throw uniqueViolation(def, newPk);
        }
        ctx.txn.delete(oldKey, rowset);
        ctx.txn.insert(newKey, value, rowset, def.name(), keyText(def, newPk));
      }
    }
    return rows.size();
  }

  /** Buffers a DELETE of the rows {@link #selectTargets} found. */
  static long deleteRows(ReadContext ctx, TableDef def, List<List<Object>> rows)
      throws SqlException {
    String rowset = Encodings.rowsetKey(def.tableId());
    for (List<Object> r : rows) {
      ctx.txn.delete(Encodings.rowKey(def, primaryKey(def, r)), rowset);
    }
    return rows.size();
  }

  // ---------------------------------------------------------------------------------------

  static List<Object> primaryKey(TableDef def, List<Object> row) {
    List<Object> pk = new ArrayList<>();
    for (ColumnDef c : def.primaryKeyColumns()) {
      pk.add(row.get(def.columns().indexOf(c)));
    }
    return pk;
  }

  static void checkNotNull(TableDef def, List<Object> row) throws SqlException {
    for (int i = 0; i < def.columns().size(); i++) {
      ColumnDef c = def.columns().get(i);
      if (row.get(i) == null && (c.notNull() || def.primaryKey().contains(c.name()))) {
        throw notNull(c, def.name());
      }
    }
  }

  private static SqlException notNull(ColumnDef c, String relation) {
    return new SqlException(
        SqlState.NOT_NULL_VIOLATION,
        "null value in column \"" + c.name() + "\" of relation \"" + relation
            + "\" violates not-null constraint");
  }

  static SqlException uniqueViolation(TableDef def, List<Object> pk) {
    return new SqlException(
        SqlState.UNIQUE_VIOLATION,
        "duplicate key value violates unique constraint \"" + def.name() + "_pkey\": Key "
            + keyText(def, pk) + " already exists");
  }

  /** PostgreSQL's {@code (a, b)=(1, x)} form of a key, for messages. */
  static String keyText(TableDef def, List<Object> pk) {
    StringBuilder names = new StringBuilder("(");
    StringBuilder values = new StringBuilder("(");
    for (int i = 0; i < pk.size(); i++) {
      names.append(i == 0 ? "" : ", ").append(def.primaryKey().get(i));
      values.append(i == 0 ? "" : ", ").append(pk.get(i));
    }
    return names.append(")=").append(values).append(")").toString();
  }

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
