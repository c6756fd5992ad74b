package io.ordo.sql.parser.ddl;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.calcite.sql.SqlDdl;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code ALTER STREAM s SET SCHEMA (col type [NOT NULL], ...) [WITH (key = 'col', ...)]}: gives an
 * existing stream a schema. Options as in {@link SqlCreateStream}.
 */
public final class SqlAlterStreamSetSchema extends SqlDdl {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("ALTER STREAM SET SCHEMA", SqlKind.OTHER_DDL);

  private final SqlIdentifier name;
  private final SqlNodeList columns;
  private final Map<String, SqlLiteral> options;

  public SqlAlterStreamSetSchema(SqlParserPos pos, SqlIdentifier name, SqlNodeList columns,
      Map<String, SqlLiteral> options) {
    super(OPERATOR, pos);
    this.name = Objects.requireNonNull(name, "name");
    this.columns = Objects.requireNonNull(columns, "columns");
    this.options = StreamOptions.copy(options);
  }

  public SqlIdentifier name() {
    return name;
  }

  /** The columns of the new schema, in order. */
  public List<SqlColumnDeclaration> columns() {
    return SqlColumnDeclaration.declarations(columns);
  }

  /** Option name (folded as an identifier) to literal, in the order written. */
  public Map<String, SqlLiteral> options() {
    return options;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return Arrays.asList(name, columns);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword("ALTER STREAM");
    name.unparse(writer, 0, 0);
    writer.keyword("SET SCHEMA");
    SqlColumnDeclaration.unparseList(writer, columns);
    StreamOptions.unparse(writer, options);
  }
}
