package io.ordo.sql.engine;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import java.util.List;

/**
 * One parsed statement of a client's text: its plan, its own text and offset in the text sent,
 * and how Calcite's dynamic parameters (numbered in text order) map to the client's parameters
 * ({@code $n}, which may repeat or come out of order).
 *
 * @param parameterOfDynamic for each dynamic parameter k (0-based), the client parameter number
 *     n (1-based)
 * @param parameterCount the number of client parameters ($1..$n): the highest n
 */
record ParsedText(
    Plan plan, String text, int offset, List<Integer> parameterOfDynamic, int parameterCount) {

  /** The value of dynamic parameter {@code k} from the client's parameter values. */
  Object parameterValue(int k, List<Object> params) throws SqlException {
    int n = k < parameterOfDynamic.size() ? parameterOfDynamic.get(k) : k + 1;
    if (n < 1 || n > params.size()) {
      throw new SqlException(
          SqlState.PROTOCOL_VIOLATION,
          "the statement uses parameter $" + n + " but " + params.size() + " were given");
    }
    return params.get(n - 1);
  }
}
