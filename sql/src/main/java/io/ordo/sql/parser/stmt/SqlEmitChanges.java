package io.ordo.sql.parser.stmt;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * A push query: {@code <query> EMIT CHANGES}, optionally followed by {@code AT POSITION
 * '<position>'} or {@code AT TIME '<timestamp>'}. Like AS OF, the clause is a suffix of the whole
 * query (PARSER.md). The parser keeps the literal as written; the engine interprets it and decides
 * which queries can be pushed.
 */
public final class SqlEmitChanges extends SqlCall {
  /** Where the changes start. */
  public enum Start {
    /** No clause: after the query's own snapshot (changes committed after it began). */
    NOW,
    /** {@code AT POSITION '<position>'}: strictly after that position. */
    POSITION,
    /** {@code AT TIME '<timestamp>'}: after the last position stamped at or before it. */
    TIME
  }

  private static final SqlOperator OPERATOR = new SqlSpecialOperator("EMIT CHANGES", SqlKind.OTHER);

  private final SqlNode query;
  private final Start start;
  private final SqlLiteral literal; // null for NOW

  public SqlEmitChanges(SqlParserPos pos, SqlNode query, Start start, SqlLiteral literal) {
    super(pos);
    this.query = Objects.requireNonNull(query, "query");
    this.start = Objects.requireNonNull(start, "start");
    if ((start == Start.NOW) != (literal == null)) {
      throw new IllegalArgumentException("a literal goes with AT POSITION and AT TIME only");
    }
    this.literal = literal;
  }

  /** The query without the clause. */
  public SqlNode query() {
    return query;
  }

  public Start start() {
    return start;
  }

  /** The literal after AT POSITION / AT TIME. */
  public Optional<SqlLiteral> literal() {
    return Optional.ofNullable(literal);
  }

  /** The literal's value, e.g. "1733560000123:2:57". */
  public Optional<String> value() {
    return literal().map(l -> l.getValueAs(String.class));
  }

  @Override
  public SqlOperator getOperator() {
    return OPERATOR;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return literal == null ? List.of(query) : Arrays.asList(query, literal);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    query.unparse(writer, 0, 0);
    writer.keyword("EMIT CHANGES");
    if (literal != null) {
      writer.keyword(start == Start.POSITION ? "AT POSITION" : "AT TIME");
      literal.unparse(writer, 0, 0);
    }
  }
}
