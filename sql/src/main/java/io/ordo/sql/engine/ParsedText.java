package io.ordo.sql.engine;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.parser.ParameterMapping;
import io.ordo.sql.parser.ParsedStatement;

/**
 * One parsed statement of a client's text with its plan.
 *
 * @param plan what the statement does
 * @param parsed the parser's statement: its own text, offset, source positions and which client
 *     parameter ({@code $n}) each Calcite dynamic parameter stands for
 */
record ParsedText(Plan plan, ParsedStatement parsed) {
  String text() {
    return parsed.text();
  }

  int parameterCount() {
    return parsed.parameters().parameterCount();
  }

  /** The client parameter number (1-based) of the dynamic parameter with this Calcite index. */
  int parameterOf(int dynamicIndex) {
    ParameterMapping m = parsed.parameters();
    return m.parameterIndexOfDynamicParam(dynamicIndex);
  }

  /** The value of the dynamic parameter with Calcite index {@code k}. */
  Object parameterValue(int k, java.util.List<Object> params) throws SqlException {
    int n = parameterOf(k);
    if (n < 1 || n > params.size()) {
      throw new SqlException(
          SqlState.PROTOCOL_VIOLATION,
          "the statement uses parameter $" + n + " but " + params.size() + " were given");
    }
    return params.get(n - 1);
  }
}
