package io.ordo.sql.parser.ddl;

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
 * {@code CREATE SOURCE CONNECTOR [IF NOT EXISTS] name FROM <source> WITH (name = literal, ...)
 * INTO {STREAM | TABLE} target}, or {@code CREATE SINK CONNECTOR [IF NOT EXISTS] name TO <system>
 * WITH (...) FROM {TABLE | STREAM | VIEW} source}. The source kind and the options are kept as written (options
 * under their folded names, in order); which are valid is the engine's and the gateway's business.
 */
public final class SqlCreateConnector extends SqlCreate {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("CREATE SOURCE CONNECTOR", SqlKind.OTHER_DDL);

  private final SqlIdentifier name;
  private final SqlIdentifier sourceKind;
  private final Map<String, SqlLiteral> options;
  private final boolean intoTable;
  private final SqlIdentifier target;
  private final boolean sink;
  private final boolean view;

  public SqlCreateConnector(SqlParserPos pos, boolean ifNotExists, SqlIdentifier name,
      SqlIdentifier sourceKind, Map<String, SqlLiteral> options, boolean intoTable,
      SqlIdentifier target) {
    this(pos, ifNotExists, name, sourceKind, options, intoTable, target, false);
  }

  /**
   * Like the other constructor; {@code sink} for {@code CREATE SINK CONNECTOR name TO kind WITH
   * (...) FROM TABLE|STREAM source} (then {@code sourceKind} is the external system and {@code
   * target} the Ordo table or stream the changes come from).
   */
  public SqlCreateConnector(SqlParserPos pos, boolean ifNotExists, SqlIdentifier name,
      SqlIdentifier sourceKind, Map<String, SqlLiteral> options, boolean intoTable,
      SqlIdentifier target, boolean sink) {
    this(pos, ifNotExists, name, sourceKind, options, intoTable, target, sink, false);
  }

  /**
   * Like the other constructors; {@code view} for a sink's {@code FROM VIEW source} (a
   * materialized view; then {@code intoTable} is true as well: a view's rows are a table's).
   */
  public SqlCreateConnector(SqlParserPos pos, boolean ifNotExists, SqlIdentifier name,
      SqlIdentifier sourceKind, Map<String, SqlLiteral> options, boolean intoTable,
      SqlIdentifier target, boolean sink, boolean view) {
    super(OPERATOR, pos, false, ifNotExists);
    this.sink = sink;
    this.view = view;
    this.name = Objects.requireNonNull(name, "name");
    this.sourceKind = Objects.requireNonNull(sourceKind, "sourceKind");
    this.options = StreamOptions.copy(options);
    this.intoTable = intoTable;
    this.target = Objects.requireNonNull(target, "target");
  }

  public SqlIdentifier name() {
    return name;
  }

  public boolean ifNotExists() {
    return ifNotExists;
  }

  /** The word after FROM (e.g. POSTGRESQL), as an identifier. */
  public SqlIdentifier sourceKind() {
    return sourceKind;
  }

  /** Option name (folded as an identifier) to literal, in the order written. */
  public Map<String, SqlLiteral> options() {
    return options;
  }

  /** INTO TABLE (true) or INTO STREAM (false). */
  public boolean intoTable() {
    return intoTable;
  }

  public SqlIdentifier target() {
    return target;
  }

  /** Whether this is CREATE SINK CONNECTOR. */
  public boolean sink() {
    return sink;
  }

  /** Whether a sink reads FROM VIEW. */
  public boolean view() {
    return view;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return List.of(name, sourceKind, target);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword(sink ? "CREATE SINK CONNECTOR" : "CREATE SOURCE CONNECTOR");
    if (ifNotExists) {
      writer.keyword("IF NOT EXISTS");
    }
    name.unparse(writer, 0, 0);
    writer.keyword(sink ? "TO" : "FROM");
    sourceKind.unparse(writer, 0, 0);
    StreamOptions.unparse(writer, options);
    writer.keyword((sink ? "FROM " : "INTO ") + (view ? "VIEW" : intoTable ? "TABLE" : "STREAM"));
    target.unparse(writer, 0, 0);
  }
}
