package io.ordo.sql.parser.stmt;

import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code SHOW TABLES}, {@code SHOW STREAMS}, {@code SHOW CONNECTORS}, {@code SHOW VIEWS}, {@code SHOW QUERIES}, or PostgreSQL's {@code SHOW name} of a run-time
 * setting (PostgreSQL 15 "SHOW"): {@code SHOW server_version}, {@code SHOW ALL} (setting "all"),
 * {@code SHOW TIME ZONE} (setting "timezone"), {@code SHOW TRANSACTION ISOLATION LEVEL} (setting
 * "transaction_isolation").
 */
public final class SqlShow extends SqlCall {
  /** What is shown. */
  public enum Kind {
    TABLES,
    STREAMS,
    /** SHOW CONNECTORS. */
    CONNECTORS,
    /** SHOW VIEWS (materialized views). */
    VIEWS,
    /** SHOW QUERIES (the push queries running on this gateway). */
    QUERIES,
    /** A setting, named by {@link #settingName()}. */
    SETTING
  }

  private static final SqlOperator OPERATOR = new SqlSpecialOperator("SHOW", SqlKind.OTHER);

  private final Kind kind;
  private final String settingName;

  private SqlShow(SqlParserPos pos, Kind kind, String settingName) {
    super(pos);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.settingName = settingName;
  }

  /** SHOW TABLES. */
  public static SqlShow tables(SqlParserPos pos) {
    return new SqlShow(pos, Kind.TABLES, null);
  }

  /** SHOW STREAMS. */
  public static SqlShow streams(SqlParserPos pos) {
    return new SqlShow(pos, Kind.STREAMS, null);
  }

  /** SHOW CONNECTORS. */
  public static SqlShow connectors(SqlParserPos pos) {
    return new SqlShow(pos, Kind.CONNECTORS, null);
  }

  /** SHOW VIEWS. */
  public static SqlShow views(SqlParserPos pos) {
    return new SqlShow(pos, Kind.VIEWS, null);
  }

  /** SHOW QUERIES. */
  public static SqlShow queries(SqlParserPos pos) {
    return new SqlShow(pos, Kind.QUERIES, null);
  }

  /**
   * SHOW of a setting; {@code name} as written after identifier folding (unquoted names are lower
   * case), parts of a dotted name joined by ".".
   */
  public static SqlShow setting(SqlParserPos pos, String name) {
    return new SqlShow(pos, Kind.SETTING, Objects.requireNonNull(name, "name"));
  }

  public Kind kind() {
    return kind;
  }

  /** The setting's name for {@link Kind#SETTING}, null otherwise. */
  public String settingName() {
    return settingName;
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
    writer.keyword("SHOW");
    switch (kind) {
      case TABLES -> writer.keyword("TABLES");
      case STREAMS -> writer.keyword("STREAMS");
      case CONNECTORS -> writer.keyword("CONNECTORS");
      case VIEWS -> writer.keyword("VIEWS");
      case QUERIES -> writer.keyword("QUERIES");
      default -> writer.identifier(settingName, true);
    }
  }
}
