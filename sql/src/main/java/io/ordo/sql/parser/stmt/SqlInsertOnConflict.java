package io.ordo.sql.parser.stmt;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlInsert;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code INSERT INTO t ... ON CONFLICT [(cols)] DO NOTHING} or
 * {@code ... ON CONFLICT [(cols)] DO UPDATE SET c = expr [, ...] [WHERE cond]} (PostgreSQL 15
 * "INSERT", "ON CONFLICT Clause"). The INSERT itself is Calcite's {@link SqlInsert}; values of
 * DO UPDATE may name {@code EXCLUDED.col} (a compound identifier) for the row proposed for
 * insertion. An INSERT without ON CONFLICT is a plain {@link SqlInsert}.
 */
public final class SqlInsertOnConflict extends SqlCall {
  /** What to do with a row whose key is already present. */
  public enum Action {
    DO_NOTHING,
    DO_UPDATE
  }

  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("INSERT ON CONFLICT", SqlKind.OTHER);

  private final SqlInsert insert;
  private final SqlNodeList conflictTarget;
  private final Action action;
  private final SqlNodeList updateColumns;
  private final SqlNodeList updateValues;
  private final SqlNode updateCondition;

  /**
   * @param conflictTarget the columns in parentheses after ON CONFLICT, or null
   * @param updateColumns for DO UPDATE, the assigned columns (simple identifiers); null otherwise
   * @param updateValues for DO UPDATE, the assigned expressions, one per column; null otherwise
   * @param updateCondition the WHERE of DO UPDATE, or null
   */
  public SqlInsertOnConflict(SqlParserPos pos, SqlInsert insert, SqlNodeList conflictTarget,
      Action action, SqlNodeList updateColumns, SqlNodeList updateValues,
      SqlNode updateCondition) {
    super(pos);
    this.insert = Objects.requireNonNull(insert, "insert");
    this.conflictTarget = conflictTarget;
    this.action = Objects.requireNonNull(action, "action");
    if ((action == Action.DO_UPDATE)
        != (updateColumns != null && updateValues != null)) {
      throw new IllegalArgumentException("DO UPDATE needs columns and values, DO NOTHING none");
    }
    if (updateColumns != null && updateColumns.size() != updateValues.size()) {
      throw new IllegalArgumentException("one value per updated column");
    }
    this.updateColumns = updateColumns;
    this.updateValues = updateValues;
    this.updateCondition = updateCondition;
  }

  /** The INSERT (or UPSERT) statement. */
  public SqlInsert insert() {
    return insert;
  }

  /** The conflict target columns, or null when ON CONFLICT names none. */
  public SqlNodeList conflictTarget() {
    return conflictTarget;
  }

  public Action action() {
    return action;
  }

  /** The columns DO UPDATE assigns (simple identifiers), or null for DO NOTHING. */
  public SqlNodeList updateColumns() {
    return updateColumns;
  }

  /** The values DO UPDATE assigns, one per {@link #updateColumns()}, or null for DO NOTHING. */
  public SqlNodeList updateValues() {
    return updateValues;
  }

  /** The WHERE condition of DO UPDATE, or null. */
  public SqlNode updateCondition() {
    return updateCondition;
  }

  @Override
  public SqlOperator getOperator() {
    return OPERATOR;
  }

  @Override
  public List<SqlNode> getOperandList() {
    List<SqlNode> operands = new ArrayList<>();
    operands.add(insert);
    operands.add(conflictTarget);
    operands.add(updateColumns);
    operands.add(updateValues);
    operands.add(updateCondition);
    return operands;
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    insert.unparse(writer, 0, 0);
    writer.keyword("ON CONFLICT");
    if (conflictTarget != null) {
      SqlWriter.Frame frame = writer.startList("(", ")");
      for (SqlNode c : conflictTarget) {
        writer.sep(",");
        c.unparse(writer, 0, 0);
      }
      writer.endList(frame);
    }
    if (action == Action.DO_NOTHING) {
      writer.keyword("DO NOTHING");
      return;
    }
    writer.keyword("DO UPDATE SET");
    for (int i = 0; i < updateColumns.size(); i++) {
      if (i > 0) {
        writer.sep(",");
      }
      updateColumns.get(i).unparse(writer, 0, 0);
      writer.keyword("=");
      updateValues.get(i).unparse(writer, 0, 0);
    }
    if (updateCondition != null) {
      writer.keyword("WHERE");
      updateCondition.unparse(writer, 0, 0);
    }
  }
}
