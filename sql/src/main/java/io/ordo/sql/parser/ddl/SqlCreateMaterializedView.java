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
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code CREATE MATERIALIZED VIEW [IF NOT EXISTS] v [WITH (name = literal, ...)] AS <query>}.
 * The options are kept as written (the engine checks them); the query is kept as parsed;
 * which queries a view may have is the engine's business (ARCHITECTURE.md "Materialized views").
 */
public final class SqlCreateMaterializedView extends SqlCreate {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("CREATE MATERIALIZED VIEW", SqlKind.OTHER_DDL);

  private final SqlIdentifier name;
  private final Map<String, SqlLiteral> options;
  private final SqlNode query;

  public SqlCreateMaterializedView(SqlParserPos pos, boolean ifNotExists, SqlIdentifier name,
      Map<String, SqlLiteral> options, SqlNode query) {
    super(OPERATOR, pos, false, ifNotExists);
    this.name = Objects.requireNonNull(name, "name");
    this.options = StreamOptions.copy(options);
    this.query = Objects.requireNonNull(query, "query");
  }

  /** The {@code WITH} options in the order written (names unique). */
  public Map<String, SqlLiteral> options() {
    return options;
  }

  public SqlIdentifier name() {
    return name;
  }

  public boolean ifNotExists() {
    return ifNotExists;
  }

  /** The view's query (a SELECT, possibly under ORDER BY / set operations as parsed). */
  public SqlNode query() {
    return query;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return Arrays.asList(name, query);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword("CREATE MATERIALIZED VIEW");
    if (ifNotExists) {
      writer.keyword("IF NOT EXISTS");
    }
    name.unparse(writer, 0, 0);
    StreamOptions.unparse(writer, options);
    writer.keyword("AS");
    query.unparse(writer, 0, 0);
  }
}
