package io.ordo.sql.parser.ddl;

import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/** {@code PAUSE CONNECTOR name} ({@link #pause()} true) or {@code RESUME CONNECTOR name}. */
public final class SqlPauseConnector extends SqlCall {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("PAUSE CONNECTOR", SqlKind.OTHER_DDL);

  private final SqlIdentifier name;
  private final boolean pause;

  public SqlPauseConnector(SqlParserPos pos, SqlIdentifier name, boolean pause) {
    super(pos);
    this.name = Objects.requireNonNull(name, "name");
    this.pause = pause;
  }

  public SqlIdentifier name() {
    return name;
  }

  /** PAUSE (true) or RESUME (false). */
  public boolean pause() {
    return pause;
  }

  @Override
  public SqlOperator getOperator() {
    return OPERATOR;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return List.of(name);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword(pause ? "PAUSE CONNECTOR" : "RESUME CONNECTOR");
    name.unparse(writer, 0, 0);
  }
}
