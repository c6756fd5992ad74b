package io.ordo.sql.engine;

import io.ordo.sql.SqlType;
import io.ordo.sql.parser.stmt.SqlEmitChanges;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.calcite.sql.SqlNode;

/**
 * What a parsed statement asks for, in the engine's terms: the parser's nodes (Calcite's core
 * nodes and Ordo's DDL nodes) are turned into these by {@link Plans}, and {@link OrdoSession}
 * executes them. Expressions stay Calcite {@link SqlNode}s, with their parameters as Calcite
 * dynamic parameters numbered in statement order.
 */
sealed interface Plan {
  /** A query; {@code asOf} is a time-travel clause, if any. */
  record Query(SqlNode query, Optional<AsOf> asOf) implements Plan {}

  /**
   * A push query: {@code <query> EMIT CHANGES [AT POSITION '<p>' | AT TIME '<t>']}; {@code
   * literal} is the start's text (empty for NOW), {@code position} the clause's 1-based position.
   */
  record Push(SqlNode query, SqlEmitChanges.Start start, Optional<String> literal, int position)
      implements Plan {}

  /** {@code AS OF SYSTEM TIME '<timestamp>'} or {@code AS OF LOG POSITION '<ts:p:o>'}. */
  record AsOf(boolean logPosition, String literal, int position) {}

  /** {@code EXPLAIN <query>}. */
  record Explain(SqlNode query) implements Plan {}

  /**
   * {@code EXPLAIN CREATE MATERIALIZED VIEW ...}: what the CREATE would make, checked as CREATE
   * checks it, without storing anything or starting a job.
   */
  record ExplainCreateView(CreateView create) implements Plan {}

  /** {@code EXPLAIN [MATERIALIZED] VIEW name}: what an existing view runs. */
  record ExplainView(String name, int position) implements Plan {}

  /** One column in DDL. */
  record ColumnSpec(
      String name,
      SqlType type,
      int precision,
      int scale,
      boolean notNull,
      Optional<SqlNode> defaultExpr,
      boolean primaryKey,
      int position) {}

  record CreateTable(
      String name, boolean ifNotExists, List<ColumnSpec> columns, List<String> primaryKey,
      int position)
      implements Plan {}

  record DropTable(String name, boolean ifExists, int position) implements Plan {}

  record AddColumn(String table, boolean ifNotExists, ColumnSpec column, int position)
      implements Plan {}

  record CreateStream(
      String name, boolean ifNotExists, List<ColumnSpec> columns, Map<String, String> options,
      int position)
      implements Plan {}

  record AlterStreamSchema(
      String name, List<ColumnSpec> columns, Map<String, String> options, int position)
      implements Plan {}

  record DropStream(String name, boolean ifExists, int position) implements Plan {}

  record ShowTables() implements Plan {}

  /**
   * {@code CREATE SOURCE CONNECTOR} or ({@code sink}) {@code CREATE SINK CONNECTOR}; option names
   * folded, values as written; {@code target} is the Ordo table or stream (a sink's source);
   * {@code view}: a sink's FROM VIEW (then {@code intoTable} too).
   */
  record CreateConnector(
      String name, boolean ifNotExists, String sourceKind, Map<String, String> options,
      boolean intoTable, String target, boolean sink, int position, boolean view)
      implements Plan {}

  record DropConnector(String name, boolean ifExists, int position) implements Plan {}

  /** {@code PAUSE CONNECTOR} ({@code pause}) or {@code RESUME CONNECTOR}. */
  record PauseConnector(String name, boolean pause, int position) implements Plan {}

  record ShowConnectors() implements Plan {}

  /** {@code CREATE MATERIALIZED VIEW name [WITH (option = 'value', ...)] AS query}. */
  record CreateView(
      String name, boolean ifNotExists, Map<String, String> options, SqlNode query, int position)
      implements Plan {}

  /** {@code DROP [MATERIALIZED] VIEW name}. */
  record DropView(String name, boolean ifExists, int position) implements Plan {}

  record ShowViews() implements Plan {}

  /** {@code SHOW QUERIES}: the push queries running on this gateway. */
  record ShowQueries() implements Plan {}

  /** {@code TERMINATE QUERY id}. */
  record TerminateQuery(long id, int position) implements Plan {}

  record ShowStreams() implements Plan {}

  /** {@code SHOW <setting>}. */
  record ShowSetting(String name) implements Plan {}

  record Describe(String name, int position) implements Plan {}

  /** {@code SET name = value} / {@code RESET name} (value empty). */
  record SetSetting(String name, Optional<String> value) implements Plan {}

  record Begin() implements Plan {}

  record Commit() implements Plan {}

  record Rollback() implements Plan {}

  /** What an INSERT does with a row whose key exists. */
  enum OnConflict {
    ERROR,
    NOTHING,
    UPDATE,
    /** UPSERT: replace the row. */
    REPLACE
  }

  /** One {@code SET column = expr}. */
  record Assignment(String column, SqlNode expr, int position) {}

  /**
   * {@code INSERT INTO target [(columns)] source [ON CONFLICT ...]}; {@code source} is a VALUES
   * call or a query.
   */
  record Insert(
      String target,
      List<String> columns,
      SqlNode source,
      OnConflict onConflict,
      List<Assignment> conflictSet,
      Optional<SqlNode> conflictWhere,
      int position)
      implements Plan {}

  record Update(
      String table, Optional<String> alias, List<Assignment> set, Optional<SqlNode> where,
      int position)
      implements Plan {}

  record Delete(String table, Optional<String> alias, Optional<SqlNode> where, int position)
      implements Plan {}
}
