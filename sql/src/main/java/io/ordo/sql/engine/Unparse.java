package io.ordo.sql.engine;

import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.sql.SqlDynamicParam;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.util.SqlShuttle;

/**
 * Calcite nodes back to SQL text that the session's Calcite connection parses (identifiers
 * double-quoted, so their case survives), and the parameters a node uses, in text order.
 */
final class Unparse {
  private Unparse() {}

  static String sql(SqlNode node) {
    return io.ordo.sql.parser.OrdoSqlParser.unparse(node);
  }

  /** The Calcite indexes (script-wide, see ParameterMapping) of the dynamic parameters in {@code node}, in text order. */
  static List<Integer> parameters(SqlNode node) {
    List<Integer> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    node.accept(
        new SqlShuttle() {
          @Override
          public SqlNode visit(SqlDynamicParam param) {
            out.add(param.getIndex());
            return param;
          }
        });
    return out;
  }
}
