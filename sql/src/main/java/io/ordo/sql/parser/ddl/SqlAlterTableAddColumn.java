package io.ordo.sql.parser.ddl;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlDdl;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] column}. The column is parsed like a CREATE
 * TABLE column; a PRIMARY KEY on it is for the engine to reject.
 */
public final class SqlAlterTableAddColumn extends SqlDdl {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("ALTER TABLE ADD COLUMN", SqlKind.ALTER_TABLE);

  private final SqlIdentifier table;
  private final boolean ifNotExists;
  private final SqlColumnDeclaration column;

  public SqlAlterTableAddColumn(SqlParserPos pos, SqlIdentifier table, boolean ifNotExists,
      SqlColumnDeclaration column) {
    super(OPERATOR, pos);
    this.table = Objects.requireNonNull(table, "table");
    this.ifNotExists = ifNotExists;
    this.column = Objects.requireNonNull(column, "column");
  }

  public SqlIdentifier table() {
    return table;
  }

  /** Whether IF NOT EXISTS was written (an existing column of that name is then no error). */
  public boolean ifNotExists() {
    return ifNotExists;
  }

  public SqlColumnDeclaration column() {
    return column;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return Arrays.asList(table, column);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword("ALTER TABLE");
    table.unparse(writer, 0, 0);
    writer.keyword("ADD COLUMN");
    if (ifNotExists) {
      writer.keyword("IF NOT EXISTS");
    }
    column.unparse(writer, 0, 0);
  }
}
