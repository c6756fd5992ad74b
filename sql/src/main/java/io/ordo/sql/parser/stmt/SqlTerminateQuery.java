package io.ordo.sql.parser.stmt;

import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code TERMINATE QUERY <id>}: ends the push query with that id ({@code SHOW QUERIES}), as
 * ksqlDB's TERMINATE ends a query.
 */
public final class SqlTerminateQuery extends SqlCall {
  private static final SqlOperator OPERATOR = new SqlSpecialOperator("TERMINATE", SqlKind.OTHER);

  private final SqlLiteral id;

  public SqlTerminateQuery(SqlParserPos pos, SqlLiteral id) {
    super(pos);
    this.id = Objects.requireNonNull(id, "id");
  }

  /** The query id as written (an unsigned integer literal). */
  public SqlLiteral id() {
    return id;
  }

  @Override
  public SqlOperator getOperator() {
    return OPERATOR;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return List.of(id);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword("TERMINATE");
    writer.keyword("QUERY");
    id.unparse(writer, leftPrec, rightPrec);
  }
}
