package io.ordo.sql.parser;

import java.util.Objects;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * One statement of a parsed script.
 *
 * @param node the statement's tree (Calcite's nodes, or Ordo's from io.ordo.sql.parser.ddl and
 *     io.ordo.sql.parser.stmt)
 * @param text the statement's own text, sliced from the script: from its first token to the end
 *     of its last (comments and blanks around it and the {@code ;} excluded)
 * @param offset the 1-based character position in the script of the text's first character
 * @param parameters which {@code $n} each dynamic parameter of the statement stands for
 * @param source maps positions of the statement's nodes to 1-based positions in the script
 */
public record ParsedStatement(SqlNode node, String text, int offset, ParameterMapping parameters,
    SourceMap source) {
  public ParsedStatement {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(source, "source");
  }

  /** The 1-based position in the script of a node's position (0 for an unknown one). */
  public int position(SqlParserPos pos) {
    return source.position(pos);
  }
}
