package io.ordo.sql.parser.grammar;

import org.apache.calcite.runtime.CalciteContextException;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.validate.SqlValidatorException;

/**
 * Errors raised by Ordo's grammar actions (duplicate clauses, misplaced AS OF, ...). They take
 * the shape Calcite's generated parser already converts into a {@code SqlParseException} with a
 * position (a {@link CalciteContextException} around the message), so they reach
 * {@link io.ordo.sql.parser.OrdoSqlParser} like any syntax error and become SQLSTATE 42601.
 *
 * <p>Public only because the generated parser (package {@code io.ordo.sql.parser.impl}) calls
 * it.
 */
public final class OrdoParserErrors {
  private OrdoParserErrors() {}

  /** An error at {@code pos} (line/column in the parsed text) with this message. */
  public static CalciteContextException error(SqlParserPos pos, String message) {
    return new CalciteContextException(message, new SqlValidatorException(message, null),
        pos.getLineNum(), pos.getColumnNum(), pos.getEndLineNum(), pos.getEndColumnNum());
  }

  /**
   * The value of a clause that may be given once: {@code value} if {@code current} is still
   * unset, else an error at {@code pos} (where the second of them was written).
   */
  public static Boolean once(Boolean current, Boolean value, SqlParserPos pos) {
    if (current != null) {
      throw error(pos, "conflicting or redundant NULL / NOT NULL declarations");
    }
    return value;
  }
}
