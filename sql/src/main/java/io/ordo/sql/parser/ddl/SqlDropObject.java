package io.ordo.sql.parser.ddl;

import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlDrop;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code DROP <kind> [IF EXISTS] name}: what {@link SqlDropTable} and {@link SqlDropStream} share;
 * the operator's name is the statement's leading keywords.
 */
public abstract class SqlDropObject extends SqlDrop {
  private final SqlIdentifier name;

  SqlDropObject(SqlOperator operator, SqlParserPos pos, boolean ifExists, SqlIdentifier name) {
    super(operator, pos, ifExists);
    this.name = Objects.requireNonNull(name, "name");
  }

  /** The object's name as written. */
  public SqlIdentifier name() {
    return name;
  }

  /** Whether IF EXISTS was written (a missing object is then no error). */
  public boolean ifExists() {
    return ifExists;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return List.of(name);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword(getOperator().getName());
    if (ifExists) {
      writer.keyword("IF EXISTS");
    }
    name.unparse(writer, 0, 0);
  }
}
