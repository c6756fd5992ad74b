package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.SqlType;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import org.apache.calcite.DataContext;
import org.apache.calcite.adapter.java.JavaTypeFactory;
import org.apache.calcite.jdbc.JavaTypeFactoryImpl;
import org.apache.calcite.linq4j.QueryProvider;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.schema.SchemaPlus;
import org.apache.calcite.sql.type.SqlTypeName;
import org.junit.jupiter.api.Test;

/**
 * Which right-hand sides of {@code key = ...} become a key for the push-down: parameters of a
 * known type arrive as {@code CAST(? AS type)}, and a point read must still be chosen for them
 * whenever the cast keeps the value (else every keyed UPDATE scans its whole table).
 */
class OrdoTablePushDownTest {
  private final JavaTypeFactory types = new JavaTypeFactoryImpl();
  private final RexBuilder rex = new RexBuilder(types);
  private final Map<String, Object> parameters = new HashMap<>();
  private final DataContext root = new DataContext() {
    @Override
    public SchemaPlus getRootSchema() {
      return null;
    }

    @Override
    public JavaTypeFactory getTypeFactory() {
      return types;
    }

    @Override
    public QueryProvider getQueryProvider() {
      return null;
    }

    @Override
    public Object get(String name) {
      return parameters.get(name);
    }
  };

  private RelDataType type(SqlTypeName name) {
    return types.createTypeWithNullability(types.createSqlType(name), true);
  }

  private RexNode param(int index, SqlTypeName name) {
    return rex.makeDynamicParam(type(name), index);
  }

  private RexNode cast(RelDataType to, RexNode operand) {
    return rex.makeAbstractCast(to, operand);
  }

  @Test
  void castParameterOfAnIntegerKeyIsPushedDown() {
    parameters.put("?1", 42L);
    RexNode p = cast(type(SqlTypeName.BIGINT), param(1, SqlTypeName.BIGINT));
    assertThat(OrdoTable.operandKeyValue(root, p, SqlType.BIGINT)).isEqualTo(42L);
    parameters.put("?1", 7);
    RexNode toInt = cast(type(SqlTypeName.INTEGER), param(1, SqlTypeName.INTEGER));
    assertThat(OrdoTable.operandKeyValue(root, toInt, SqlType.BIGINT)).isEqualTo(7L);
    assertThat(OrdoTable.operandKeyValue(root, toInt, SqlType.INTEGER)).isEqualTo(7);
  }

  @Test
  void bareParameterAndLiteralArePushedDown() {
    parameters.put("?0", 3L);
    assertThat(OrdoTable.operandKeyValue(root, param(0, SqlTypeName.BIGINT), SqlType.BIGINT))
        .isEqualTo(3L);
    RexNode literal = rex.makeExactLiteral(BigDecimal.valueOf(9), type(SqlTypeName.BIGINT));
    assertThat(OrdoTable.operandKeyValue(root, literal, SqlType.BIGINT)).isEqualTo(9L);
  }

  @Test
  void castThatWouldChangeTheValueIsNotLookedThrough() {
    // 40000 does not fit a SMALLINT: the cast fails or wraps, so the key is not 40000.
    parameters.put("?0", 40_000L);
    RexNode toSmall = cast(type(SqlTypeName.SMALLINT), param(0, SqlTypeName.BIGINT));
    assertThat(OrdoTable.operandKeyValue(root, toSmall, SqlType.BIGINT)).isNull();
    // A bounded VARCHAR truncates: 'abcd' cast to VARCHAR(3) is 'abc'.
    parameters.put("?1", "abcd");
    RexNode bounded = cast(types.createSqlType(SqlTypeName.VARCHAR, 3),
        param(1, SqlTypeName.VARCHAR));
    assertThat(OrdoTable.operandKeyValue(root, bounded, SqlType.TEXT)).isNull();
    RexNode unbounded = cast(types.createSqlType(SqlTypeName.VARCHAR),
        param(1, SqlTypeName.VARCHAR));
    assertThat(OrdoTable.operandKeyValue(root, unbounded, SqlType.TEXT)).isEqualTo("abcd");
    // A fraction cast to an integer rounds: not a key.
    parameters.put("?2", new BigDecimal("2.5"));
    RexNode fraction = cast(type(SqlTypeName.BIGINT), param(2, SqlTypeName.DECIMAL));
    assertThat(OrdoTable.operandKeyValue(root, fraction, SqlType.BIGINT)).isNull();
  }

  @Test
  void otherExpressionsAreNotPushedDown() {
    parameters.put("?0", 1L);
    RexNode sum = rex.makeCall(org.apache.calcite.sql.fun.SqlStdOperatorTable.PLUS,
        param(0, SqlTypeName.BIGINT), param(0, SqlTypeName.BIGINT));
    assertThat(OrdoTable.operandKeyValue(root, sum, SqlType.BIGINT)).isNull();
    parameters.put("?0", null);
    assertThat(OrdoTable.operandKeyValue(root, param(0, SqlTypeName.BIGINT), SqlType.BIGINT))
        .isNull();
  }
}
