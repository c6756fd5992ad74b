package io.ordo.sql.parser.ddl;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.calcite.sql.SqlCreate;
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
 * {@code CREATE STREAM [IF NOT EXISTS] s [(col type [NOT NULL], ...)] [WITH (name = literal, ...)]}.
 * Options (e.g. {@code shards = 4, retention = '7d', key = 'col'}) are kept as written, in
 * order, under their folded names; which names and values are valid is the engine's business.
 */
public final class SqlCreateStream extends SqlCreate {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("CREATE STREAM", SqlKind.OTHER_DDL);

  private final SqlIdentifier name;
  private final SqlNodeList columns;
  private final Map<String, SqlLiteral> options;

  /** @param columns the declared columns, or null for a stream without a schema */
  public SqlCreateStream(SqlParserPos pos, boolean ifNotExists, SqlIdentifier name,
      SqlNodeList columns, Map<String, SqlLiteral> options) {
    super(OPERATOR, pos, false, ifNotExists);
    this.name = Objects.requireNonNull(name, "name");
    this.columns = columns;
    this.options = StreamOptions.copy(options);
  }

  public SqlIdentifier name() {
    return name;
  }

  public boolean ifNotExists() {
    return ifNotExists;
  }

  /** Whether a column list was given. */
  public boolean hasSchema() {
    return columns != null;
  }

  /** The declared columns in order; empty when no column list was given. */
  public List<SqlColumnDeclaration> columns() {
    return columns == null ? List.of() : SqlColumnDeclaration.declarations(columns);
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
    writer.keyword("CREATE STREAM");
    if (ifNotExists) {
      writer.keyword("IF NOT EXISTS");
    }
    name.unparse(writer, 0, 0);
    if (columns != null) {
      SqlColumnDeclaration.unparseList(writer, columns);
    }
    StreamOptions.unparse(writer, options);
  }
}
