package io.ordo.sql.engine;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.calcite.sql.SqlDelete;
import org.apache.calcite.sql.SqlExplain;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlInsert;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlUpdate;

/** Turns parsed statements (Calcite nodes) into {@link Plan}s. */
final class Plans {
  private Plans() {}

  /**
   * The plan of one statement.
   *
   * @param node the parsed statement
   * @param offset 0-based offset of the statement in the text the client sent, added to positions
   * @throws SqlException 0A000 for statements Ordo does not run
   */
  static Plan of(SqlNode node, String text, int offset) throws SqlException {
    int position = offset + Math.max(1, QueryRunner.offset(
        text, node.getParserPosition().getLineNum(), node.getParserPosition().getColumnNum()));
    if (node.getKind().belongsTo(SqlKind.QUERY) || node.getKind() == SqlKind.ORDER_BY
        || node.getKind() == SqlKind.WITH) {
      return new Plan.Query(node, Optional.empty());
    }
    if (node instanceof SqlExplain explain) {
      return new Plan.Explain(explain.getExplicandum());
    }
    if (node instanceof SqlInsert insert) {
      return new Plan.Insert(
          name(insert.getTargetTable(), position),
          columns(insert.getTargetColumnList()),
          insert.getSource(),
          insert.isUpsert() ? Plan.OnConflict.REPLACE : Plan.OnConflict.ERROR,
          List.of(),
          Optional.empty(),
          position);
    }
    if (node instanceof SqlUpdate update) {
      List<Plan.Assignment> set = new ArrayList<>();
      SqlNodeList targets = update.getTargetColumnList();
      SqlNodeList sources = update.getSourceExpressionList();
      for (int i = 0; i < targets.size(); i++) {
        set.add(
            new Plan.Assignment(
                name(targets.get(i), position), sources.get(i), position));
      }
      return new Plan.Update(
          name(update.getTargetTable(), position),
          Optional.ofNullable(update.getAlias()).map(SqlIdentifier::getSimple),
          set,
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
        "statement " + node.getKind() + " is not supported", position);
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

  private static List<String> columns(SqlNodeList list) throws SqlException {
    List<String> out = new ArrayList<>();
    if (list != null) {
      for (SqlNode n : list) {
        out.add(name(n, 0));
      }
    }
    return out;
  }
}
