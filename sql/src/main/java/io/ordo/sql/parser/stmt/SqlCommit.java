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
 * {@code COMMIT [WORK | TRANSACTION]} or {@code END [WORK | TRANSACTION]}: ends the
 * transaction block, making its writes visible (PostgreSQL 15 "COMMIT", "END").
 */
public final class SqlCommit extends SqlCall {
  private static final SqlOperator OPERATOR = new SqlSpecialOperator("COMMIT", SqlKind.COMMIT);

  public SqlCommit(SqlParserPos pos) {
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
    writer.keyword("COMMIT");
  }
}
