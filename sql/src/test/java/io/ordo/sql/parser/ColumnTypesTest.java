package io.ordo.sql.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlType;
import io.ordo.sql.parser.ddl.SqlColumnDeclaration;
import io.ordo.sql.parser.ddl.SqlCreateTable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Type names in DDL map to Ordo's SqlTypes; unknown ones are 42704 with their position. */
class ColumnTypesTest {

  static ColumnTypes.ColumnType typeOf(String written) throws Exception {
    ParsedStatement st = OrdoSqlParser.parseOne("CREATE TABLE t (c " + written + ")");
    SqlColumnDeclaration c = ((SqlCreateTable) st.node()).columns().get(0);
    return ColumnTypes.of(c.type(), st.source());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "BOOLEAN | BOOLEAN | -1 | -1", "bool | BOOLEAN | -1 | -1",
      "SMALLINT | SMALLINT | -1 | -1", "INT2 | SMALLINT | -1 | -1",
      "INT | INTEGER | -1 | -1", "INTEGER | INTEGER | -1 | -1", "int4 | INTEGER | -1 | -1",
      "BIGINT | BIGINT | -1 | -1", "INT8 | BIGINT | -1 | -1",
      "DOUBLE | DOUBLE | -1 | -1", "DOUBLE PRECISION | DOUBLE | -1 | -1",
      "FLOAT8 | DOUBLE | -1 | -1", "FLOAT | DOUBLE | -1 | -1", "REAL | DOUBLE | -1 | -1",
      "DECIMAL(10, 2) | DECIMAL | 10 | 2", "NUMERIC(5) | DECIMAL | 5 | 0",
      "NUMERIC | DECIMAL | -1 | -1",
      "VARCHAR(20) | VARCHAR | 20 | -1", "CHARACTER VARYING(7) | VARCHAR | 7 | -1",
      "VARCHAR | VARCHAR | -1 | -1",
      "TEXT | TEXT | -1 | -1", "STRING | TEXT | -1 | -1", "\"text\" | TEXT | -1 | -1",
      "BYTEA | BYTEA | -1 | -1", "DATE | DATE | -1 | -1",
      "TIMESTAMP | TIMESTAMP | -1 | -1", "TIMESTAMP WITHOUT TIME ZONE | TIMESTAMP | -1 | -1",
      "TIMESTAMP(3) | TIMESTAMP | 3 | -1",
      "TIMESTAMPTZ | TIMESTAMPTZ | -1 | -1", "TIMESTAMP WITH TIME ZONE | TIMESTAMPTZ | -1 | -1",
      "JSONB | JSONB | -1 | -1", "JSON | JSONB | -1 | -1",
  })
  void mapsEverySpelling(String written, SqlType type, int precision, int scale)
      throws Exception {
    assertThat(typeOf(written)).isEqualTo(new ColumnTypes.ColumnType(type, precision, scale));
  }

  @Test
  void unknownTypeIs42704WithPosition() {
    String sql = "CREATE TABLE t (a INT,\n b widget NOT NULL)";
    SqlException e = catchThrowableOfType(SqlException.class, () -> {
      ParsedStatement st = OrdoSqlParser.parseOne(sql);
      ColumnTypes.of(((SqlCreateTable) st.node()).columns().get(1).type(), st.source());
    });
    assertThat(e.sqlState()).isEqualTo("42704");
    assertThat(e.getMessage()).isEqualTo("type \"widget\" does not exist");
    assertThat(e.position()).isEqualTo(sql.indexOf("widget") + 1);
  }

  @Test
  void quotedUpperCaseNameIsNotAType() {
    SqlException e = catchThrowableOfType(SqlException.class, () -> typeOf("\"TEXT\""));
    assertThat(e.sqlState()).isEqualTo("42704");
    assertThat(e.getMessage()).contains("\"TEXT\"");
  }

  @Test
  void calciteTypesOrdoLacksAreNotSupported() {
    for (String t : new String[] {"TIME", "TINYINT", "CHAR(3)", "INT ARRAY"}) {
      SqlException e = catchThrowableOfType(SqlException.class, () -> typeOf(t));
      assertThat(e).as(t).isNotNull();
      assertThat(e.sqlState()).as(t).isEqualTo("0A000");
    }
  }

  @Test
  void ddlSpelling() {
    assertThat(new ColumnTypes.ColumnType(SqlType.DECIMAL, 10, 2).sql()).isEqualTo("DECIMAL(10, 2)");
    assertThat(new ColumnTypes.ColumnType(SqlType.VARCHAR, 5, -1).sql()).isEqualTo("VARCHAR(5)");
    assertThat(new ColumnTypes.ColumnType(SqlType.BIGINT, -1, -1).sql()).isEqualTo("BIGINT");
  }
}
