package io.ordo.sql.parser.stmt;

import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlAlter;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code SET TRANSACTION modes} (the current transaction) or
 * {@code SET SESSION CHARACTERISTICS AS TRANSACTION modes} (the session's default; pgjdbc sends
 * it from {@code Connection.setTransactionIsolation} and {@code setReadOnly}). PostgreSQL 15
 * "SET TRANSACTION".
 */
public final class SqlSetTransaction extends SqlAlter {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("SET TRANSACTION", SqlKind.OTHER);

  private final TransactionModes modes;
  private final boolean sessionDefault;

  public SqlSetTransaction(SqlParserPos pos, String scope, TransactionModes modes,
      boolean sessionDefault) {
    super(pos, scope);
    this.modes = Objects.requireNonNull(modes, "modes");
    this.sessionDefault = sessionDefault;
  }

  /** The modes set. */
  public TransactionModes modes() {
    return modes;
  }

  /** True for SESSION CHARACTERISTICS (the default of later transactions), false for this one. */
  public boolean sessionDefault() {
    return sessionDefault;
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
    unparseAlterOperation(writer, leftPrec, rightPrec);
  }

  @Override
  protected void unparseAlterOperation(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword("SET");
    writer.keyword(sessionDefault ? "SESSION CHARACTERISTICS AS TRANSACTION" : "TRANSACTION");
    writer.keyword(modes.toSql());
  }
}
