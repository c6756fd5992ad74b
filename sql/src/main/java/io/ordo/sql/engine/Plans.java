package io.ordo.sql.engine;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.parser.ColumnTypes;
import io.ordo.sql.parser.ParsedStatement;
import io.ordo.sql.parser.ddl.SqlAlterStreamSetSchema;
import io.ordo.sql.parser.ddl.SqlAlterTableAddColumn;
import io.ordo.sql.parser.ddl.SqlColumnDeclaration;
import io.ordo.sql.parser.ddl.SqlCreateConnector;
import io.ordo.sql.parser.ddl.SqlCreateMaterializedView;
import io.ordo.sql.parser.ddl.SqlCreateStream;
import io.ordo.sql.parser.ddl.SqlCreateTable;
import io.ordo.sql.parser.ddl.SqlDropConnector;
import io.ordo.sql.parser.ddl.SqlDropStream;
import io.ordo.sql.parser.ddl.SqlDropTable;
import io.ordo.sql.parser.ddl.SqlDropView;
import io.ordo.sql.parser.ddl.SqlPauseConnector;
import io.ordo.sql.parser.stmt.SqlAsOf;
import io.ordo.sql.parser.stmt.SqlBegin;
import io.ordo.sql.parser.stmt.SqlCommit;
import io.ordo.sql.parser.stmt.SqlEmitChanges;
import io.ordo.sql.parser.stmt.SqlExplainView;
import io.ordo.sql.parser.stmt.SqlInsertOnConflict;
import io.ordo.sql.parser.stmt.SqlRollback;
import io.ordo.sql.parser.stmt.SqlTerminateQuery;
import io.ordo.sql.parser.stmt.SqlSetTransaction;
import io.ordo.sql.parser.stmt.SqlShow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.calcite.sql.SqlCharStringLiteral;
import org.apache.calcite.sql.SqlDelete;
import org.apache.calcite.sql.SqlDescribeTable;
import org.apache.calcite.sql.SqlExplain;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlInsert;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlSetOption;
import org.apache.calcite.sql.SqlUpdate;

/** Turns the parser's statements (Calcite's and Ordo's nodes) into {@link Plan}s. */
final class Plans {
  private Plans() {}

  /**
   * The plan of one parsed statement.
   *
   * @throws SqlException 0A000 for statements Ordo does not run, 42704 for unknown types
   */
  static Plan of(ParsedStatement p) throws SqlException {
    SqlNode node = p.node();
    int position = Math.max(1, p.position(node.getParserPosition()));
    if (node instanceof SqlEmitChanges push) {
      int at = Math.max(1, p.position(push.getParserPosition()));
      return new Plan.Push(
          push.query(), push.start(), push.value(),
          push.literal().map(l -> Math.max(1, p.position(l.getParserPosition()))).orElse(at));
    }
    if (node instanceof SqlAsOf asOf) {
      return new Plan.Query(
          asOf.query(),
          Optional.of(new Plan.AsOf(
              asOf.kind() == SqlAsOf.Kind.LOG_POSITION, asOf.value(),
              Math.max(1, p.position(asOf.literal().getParserPosition())))));
    }
    if (node.getKind().belongsTo(SqlKind.QUERY) || node.getKind() == SqlKind.ORDER_BY
        || node.getKind() == SqlKind.WITH) {
      return new Plan.Query(node, Optional.empty());
    }
    if (node instanceof SqlExplain explain) {
      SqlNode target = explain.getExplicandum();
      if (target instanceof SqlCreateMaterializedView) {
        // The same plan CREATE runs, its position the CREATE's own (errors point into it).
        ParsedStatement create = new ParsedStatement(target, p.text(), p.offset(), p.parameters(), p.source());
        return new Plan.ExplainCreateView((Plan.CreateView) of(create));
      }
      if (!(target.getKind().belongsTo(SqlKind.QUERY) || target.getKind() == SqlKind.ORDER_BY
          || target.getKind() == SqlKind.WITH)) {
        throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED,
            "EXPLAIN is supported for queries, CREATE MATERIALIZED VIEW and VIEW <name> only",
            position);
      }
      return new Plan.Explain(target);
    }
    if (node instanceof SqlExplainView ev) {
      return new Plan.ExplainView(name(ev.name(), position), position);
    }
    if (node instanceof SqlBegin) {
      return new Plan.Begin();
    }
    if (node instanceof SqlCommit) {
      return new Plan.Commit();
    }
    if (node instanceof SqlRollback) {
      return new Plan.Rollback();
    }
    if (node instanceof SqlShow show) {
      return switch (show.kind()) {
        case TABLES -> new Plan.ShowTables();
        case STREAMS -> new Plan.ShowStreams();
        case CONNECTORS -> new Plan.ShowConnectors();
        case VIEWS -> new Plan.ShowViews();
        case QUERIES -> new Plan.ShowQueries();
        case SETTING -> new Plan.ShowSetting(show.settingName());
      };
    }
    if (node instanceof SqlDescribeTable describe) {
      return new Plan.Describe(name(describe.getTable(), position), position);
    }
    if (node instanceof SqlSetOption set) {
      String name = String.join(".", set.getName().names);
      SqlNode value = set.getValue();
      return new Plan.SetSetting(name, Optional.ofNullable(value).map(Plans::settingText));
    }
    if (node instanceof SqlSetTransaction) {
      // Every Ordo transaction is serializable, which satisfies any level asked for.
      return new Plan.SetSetting("transaction_isolation", Optional.of("serializable"));
    }
    if (node instanceof SqlCreateTable c) {
      return new Plan.CreateTable(
          name(c.name(), position), c.ifNotExists(), columns(p, c.columns()),
          c.primaryKeyColumnNames(), position);
    }
    if (node instanceof SqlDropTable d) {
      return new Plan.DropTable(name(d.name(), position), d.ifExists(), position);
    }
    if (node instanceof SqlAlterTableAddColumn a) {
      return new Plan.AddColumn(
          name(a.table(), position), a.ifNotExists(), column(p, a.column()), position);
    }
    if (node instanceof SqlCreateStream c) {
      return new Plan.CreateStream(
          name(c.name(), position), c.ifNotExists(), columns(p, c.columns()),
          options(c.options()), position);
    }
    if (node instanceof SqlAlterStreamSetSchema a) {
      return new Plan.AlterStreamSchema(
          name(a.name(), position), columns(p, a.columns()), options(a.options()), position);
    }
    if (node instanceof SqlCreateConnector c) {
      return new Plan.CreateConnector(
          name(c.name(), position), c.ifNotExists(), c.sourceKind().getSimple(),
          options(c.options()), c.intoTable(), name(c.target(), position), c.sink(), position,
          c.view());
    }
    if (node instanceof SqlCreateMaterializedView v) {
      return new Plan.CreateView(name(v.name(), position), v.ifNotExists(), options(v.options()),
          v.query(), position);
    }
    if (node instanceof SqlDropView d) {
      return new Plan.DropView(name(d.name(), position), d.ifExists(), position);
    }
    if (node instanceof SqlDropConnector d) {
      return new Plan.DropConnector(name(d.name(), position), d.ifExists(), position);
    }
    if (node instanceof SqlTerminateQuery t) {
      long id;
      try {
        id = t.id().bigDecimalValue().longValueExact();
      } catch (ArithmeticException e) {
        throw new SqlException(
            SqlState.INVALID_PARAMETER_VALUE, "a query id is a whole number, got " + t.id(), position);
      }
      return new Plan.TerminateQuery(id, position);
    }
    if (node instanceof SqlPauseConnector pc) {
      return new Plan.PauseConnector(name(pc.name(), position), pc.pause(), position);
    }
    if (node instanceof SqlDropStream d) {
      return new Plan.DropStream(name(d.name(), position), d.ifExists(), position);
    }
    if (node instanceof SqlInsertOnConflict ioc) {
      SqlInsert insert = ioc.insert();
      List<Plan.Assignment> set = new ArrayList<>();
      if (ioc.action() == SqlInsertOnConflict.Action.DO_UPDATE) {
        set = assignments(p, ioc.updateColumns(), ioc.updateValues());
      }
      return new Plan.Insert(
          name(insert.getTargetTable(), position),
          columnNames(insert.getTargetColumnList()),
          insert.getSource(),
          ioc.action() == SqlInsertOnConflict.Action.DO_UPDATE
              ? Plan.OnConflict.UPDATE : Plan.OnConflict.NOTHING,
          set,
          Optional.ofNullable(ioc.updateCondition()),
          position);
    }
    if (node instanceof SqlInsert insert) {
      return new Plan.Insert(
          name(insert.getTargetTable(), position),
          columnNames(insert.getTargetColumnList()),
          insert.getSource(),
          insert.isUpsert() ? Plan.OnConflict.REPLACE : Plan.OnConflict.ERROR,
          List.of(),
          Optional.empty(),
          position);
    }
    if (node instanceof SqlUpdate update) {
      return new Plan.Update(
          name(update.getTargetTable(), position),
          Optional.ofNullable(update.getAlias()).map(SqlIdentifier::getSimple),
          assignments(p, update.getTargetColumnList(), update.getSourceExpressionList()),
          Optional.ofNullable(update.getCondition()),
          position);
    }
    if (node instanceof SqlDelete delete) {
      return new Plan.Delete(
          name(delete.getTargetTable(), position),
          Optional.ofNullable(delete.getAlias()).map(SqlIdentifier::getSimple),
          Optional.ofNullable(delete.getCondition()),
          position);
    }
    throw new SqlException(
        SqlState.FEATURE_NOT_SUPPORTED,
        "statement " + node.getKind() + " is not supported by Ordo", position);
  }

  private static List<Plan.Assignment> assignments(
      ParsedStatement p, SqlNodeList columns, SqlNodeList values) throws SqlException {
    List<Plan.Assignment> out = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      int at = Math.max(1, p.position(columns.get(i).getParserPosition()));
      out.add(new Plan.Assignment(name(columns.get(i), at), values.get(i), at));
    }
    return out;
  }

  private static List<Plan.ColumnSpec> columns(ParsedStatement p, List<SqlColumnDeclaration> decls)
      throws SqlException {
    List<Plan.ColumnSpec> out = new ArrayList<>();
    for (SqlColumnDeclaration d : decls) {
      out.add(column(p, d));
    }
    return out;
  }

  private static Plan.ColumnSpec column(ParsedStatement p, SqlColumnDeclaration d)
      throws SqlException {
    ColumnTypes.ColumnType t = ColumnTypes.of(d.type(), p.source());
    return new Plan.ColumnSpec(
        d.nameString(), t.type(), t.precision(), t.scale(), d.notNull() || d.primaryKey(),
        Optional.ofNullable(d.defaultValue()), d.primaryKey(),
        Math.max(1, p.position(d.getParserPosition())));
  }

  private static Map<String, String> options(Map<String, SqlLiteral> options) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, SqlLiteral> e : options.entrySet()) {
      SqlLiteral v = e.getValue();
      out.put(e.getKey(), v instanceof SqlCharStringLiteral s ? s.getValueAs(String.class)
          : v.toValue());
    }
    return out;
  }

  /** A SET value as text: a string literal's content, else the node's SQL. */
  private static String settingText(SqlNode value) {
    if (value instanceof SqlCharStringLiteral s) {
      return s.getValueAs(String.class);
    }
    if (value instanceof SqlLiteral l) {
      return String.valueOf(l.toValue());
    }
    if (value instanceof SqlIdentifier id) {
      return String.join(".", id.names);
    }
    return value.toString();
  }

  /** A table or column name: one identifier part (schema {@code public} may qualify a table). */
  static String name(SqlNode node, int position) throws SqlException {
    if (node instanceof SqlIdentifier id) {
      if (id.names.size() == 1) {
        return id.getSimple();
      }
      if (id.names.size() == 2 && id.names.get(0).equals("public")) {
        return id.names.get(1);
      }
    }
    throw new SqlException(
        SqlState.UNDEFINED_TABLE, "relation \"" + node + "\" does not exist", position);
  }

  private static List<String> columnNames(SqlNodeList list) throws SqlException {
    List<String> out = new ArrayList<>();
    if (list != null) {
      for (SqlNode n : list) {
        out.add(name(n, 0));
      }
    }
    return out;
  }
}
