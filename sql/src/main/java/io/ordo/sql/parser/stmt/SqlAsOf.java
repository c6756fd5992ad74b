package io.ordo.sql.parser.stmt;

import java.util.Arrays;
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
 * A query read at a point in the past: {@code <query> AS OF SYSTEM TIME '<timestamp>'} or
 * {@code <query> AS OF LOG POSITION '<ts>:<partition>:<offset>'}. The clause is a suffix of the
 * whole query (after FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT and OFFSET); see PARSER.md.
 * The parser keeps the literal's text as written: interpreting it (and rejecting a malformed one)
 * is the engine's job.
 */
public final class SqlAsOf extends SqlCall {
  /** Which clock the literal is on. */
  public enum Kind {
    /** {@code AS OF SYSTEM TIME}: a timestamp. */
    SYSTEM_TIME("SYSTEM TIME"),
    /** {@code AS OF LOG POSITION}: a position in the sequenced log. */
    LOG_POSITION("LOG POSITION");

    private final String sql;

    Kind(String sql) {
      this.sql = sql;
    }

    /** The words after AS OF, e.g. "SYSTEM TIME". */
    public String sql() {
      return sql;
    }
  }

  private static final SqlOperator OPERATOR = new SqlSpecialOperator("AS OF", SqlKind.OTHER);

  private final SqlNode query;
  private final Kind kind;
  private final SqlLiteral literal;

  public SqlAsOf(SqlParserPos pos, SqlNode query, Kind kind, SqlLiteral literal) {
    super(pos);
    this.query = Objects.requireNonNull(query, "query");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.literal = Objects.requireNonNull(literal, "literal");
  }

  /** The query without the AS OF clause (a SELECT, set operation, VALUES or ORDER BY node). */
  public SqlNode query() {
    return query;
  }

  public Kind kind() {
    return kind;
  }

  /** The character literal after the clause. */
  public SqlLiteral literal() {
    return literal;
  }

  /** The literal's value, e.g. "2026-01-01 00:00:00". */
  public String value() {
    return literal.getValueAs(String.class);
  }

  @Override
  public SqlOperator getOperator() {
    return OPERATOR;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return Arrays.asList(query, literal);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    query.unparse(writer, 0, 0);
    writer.keyword("AS OF " + kind.sql());
    literal.unparse(writer, 0, 0);
  }
}
