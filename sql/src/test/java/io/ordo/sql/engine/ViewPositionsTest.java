package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import org.junit.jupiter.api.Test;

/**
 * The order of a view's progress positions, which decides whether a batch is applied or skipped
 * ({@link Views#apply}): a position without a row count covers every row at it, so it is after
 * any row count at the same position.
 */
class ViewPositionsTest {
  private static int compare(String a, String b) throws SqlException {
    return Integer.signum(Views.compare(Views.parse(a), Views.parse(b)));
  }

  @Test
  void positionsOrderByTimePartitionOffsetThenRows() throws Exception {
    assertThat(compare("100:0:5", "100:0:5")).isZero();
    assertThat(compare("100:0:5", "101:0:0")).isNegative();
    assertThat(compare("100:1:0", "100:0:9")).isPositive();
    assertThat(compare("100:0:5", "100:0:6")).isNegative();
    assertThat(compare("100:0:5:2", "100:0:5:3")).isNegative();
    assertThat(compare("100:0:5:2", "100:0:5")).isNegative();
    assertThat(compare("100:0:5", "100:0:5:1000")).isPositive();
    assertThat(compare("100:0:4", "100:0:5:0")).isNegative();
  }

  @Test
  void malformedPositionsAre22P02() {
    for (String bad : new String[] {"", "1:2", "a:b:c", "1:2:3:4:5", "1:2:3:x", "-1:0:0", "1:2:3:-1"}) {
      assertThatThrownBy(() -> Views.parse(bad))
          .as(bad)
          .isInstanceOf(SqlException.class)
          .satisfies(e -> assertThat(((SqlException) e).sqlState())
              .isEqualTo(SqlState.INVALID_TEXT_REPRESENTATION));
    }
  }
}
