package io.ordo.sql.parser.stmt;

import java.util.List;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code ROLLBACK [WORK | TRANSACTION]} or {@code ABORT [WORK | TRANSACTION]}: ends the
 * transaction block, discarding its writes (PostgreSQL 15 "ROLLBACK", "ABORT").
 */
public final class SqlRollback extends SqlCall {
  private static final SqlOperator OPERATOR = new SqlSpecialOperator("ROLLBACK", SqlKind.ROLLBACK);

  public SqlRollback(SqlParserPos pos) {
    super(pos);
  }

  @Override
  public SqlOperator getOperator() {
    return OPERATOR;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return List.of();
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword("ROLLBACK");
  }
}
