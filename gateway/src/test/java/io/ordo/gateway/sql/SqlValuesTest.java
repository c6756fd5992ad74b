package io.ordo.gateway.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlValuesTest {
  private static Value number(double d) {
    return Value.newBuilder().setNumberValue(d).build();
  }

  @Test
  void integralNumbersBecomeLongsAndOthersExactDecimalsOfTheirShortestForm() throws Exception {
    assertThat(SqlValues.params(List.of(number(-5), number(0.1), number(1e15), number(0x1p63), number(-0x1p63))))
        .containsExactly(
            -5L, new BigDecimal("0.1"), 1_000_000_000_000_000L, new BigDecimal("9.223372036854776E+18"),
            Long.MIN_VALUE);
    assertThat(SqlValues.params(List.of(number(Double.NaN)))).containsExactly(Double.NaN);
  }

  @Test
  void structsAreRejectedNamingTheParameter() {
    assertThatThrownBy(
            () ->
                SqlValues.params(
                    List.of(number(1), Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())))
        .isInstanceOf(SqlException.class)
        .hasMessageContaining("$2")
        .hasMessageContaining("object")
        .satisfies(e -> assertThat(((SqlException) e).sqlState()).isEqualTo("22023"));
  }

  @Test
  void nonFiniteDoublesAndWideIntegersBecomeStrings() {
    assertThat(SqlValues.value(Double.POSITIVE_INFINITY, SqlType.DOUBLE).getStringValue()).isEqualTo("Infinity");
    assertThat(SqlValues.value(Double.NaN, SqlType.DOUBLE).getStringValue()).isEqualTo("NaN");
    assertThat(SqlValues.value(Long.MAX_VALUE, SqlType.BIGINT).getStringValue())
        .isEqualTo("9223372036854775807");
    assertThat(SqlValues.value(new BigDecimal("1E+3"), SqlType.DECIMAL).getStringValue()).isEqualTo("1000");
    assertThat(SqlValues.value(5, SqlType.BIGINT).getStringValue()).isEqualTo("5");
    assertThat(SqlValues.value("not json", SqlType.JSONB).getStringValue()).isEqualTo("not json");
  }
}
