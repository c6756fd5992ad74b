package io.ordo.sql.parser;

import java.util.Arrays;

/**
 * Which PostgreSQL parameter each Calcite dynamic parameter of one statement stands for.
 *
 * <p>Clients send {@code $1, $2, ...} (PostgreSQL 15 §4.2.2; reused or out of order, e.g.
 * {@code $2 ... $1 ... $2}); the parser sees each occurrence as a {@code ?}, a
 * {@link org.apache.calcite.sql.SqlDynamicParam} whose {@code getIndex()} counts the {@code ?}s of
 * the whole script from 0, in text order. For a statement written with plain {@code ?}, the k-th
 * {@code ?} of the statement is parameter k.
 */
public final class ParameterMapping {
  private final int firstDynamicParamIndex;
  private final int[] parameterOf;
  private final int parameterCount;

  ParameterMapping(int firstDynamicParamIndex, int[] parameterOf) {
    this.firstDynamicParamIndex = firstDynamicParamIndex;
    this.parameterOf = parameterOf.clone();
    this.parameterCount = Arrays.stream(parameterOf).max().orElse(0);
  }

  /** The number of parameters the statement takes: the highest n of its {@code $n}. */
  public int parameterCount() {
    return parameterCount;
  }

  /** How many {@code ?} (dynamic parameters) the statement contains. */
  public int dynamicParamCount() {
    return parameterOf.length;
  }

  /** The {@code getIndex()} of the statement's first dynamic parameter (0 for a lone statement). */
  public int firstDynamicParamIndex() {
    return firstDynamicParamIndex;
  }

  /**
   * The 1-based parameter number (the n of {@code $n}) of the dynamic parameter with this
   * {@code SqlDynamicParam.getIndex()}.
   *
   * @throws IllegalArgumentException if no dynamic parameter of this statement has that index
   */
  public int parameterIndexOfDynamicParam(int dynamicParamIndex) {
    int k = dynamicParamIndex - firstDynamicParamIndex;
    if (k < 0 || k >= parameterOf.length) {
      throw new IllegalArgumentException("dynamic parameter " + dynamicParamIndex
          + " is not in this statement (its indexes are " + firstDynamicParamIndex + " to "
          + (firstDynamicParamIndex + parameterOf.length - 1) + ")");
    }
    return parameterOf[k];
  }

  @Override
  public String toString() {
    return "ParameterMapping{first=" + firstDynamicParamIndex + ", parameters="
        + Arrays.toString(parameterOf) + "}";
  }
}
