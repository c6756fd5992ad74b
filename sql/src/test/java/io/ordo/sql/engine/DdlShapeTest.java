package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Whether an existing table may be an INTO TABLE connector's target ({@code Ddl.shapeDifference}). */
class DdlShapeTest {
  private static ColumnDef col(String name, int id, SqlType type, int precision, int scale,
      boolean notNull) {
    return new ColumnDef(name, id, type, precision, scale, notNull, Optional.empty());
  }

  private static final TableDef SOURCE = new TableDef("orders", "0000000000000001", List.of(
      col("id", 1, SqlType.INTEGER, -1, -1, true),
      col("price", 2, SqlType.DECIMAL, 10, 2, false),
      col("code", 3, SqlType.VARCHAR, 20, -1, false)), List.of("id"), 1);

  @Test
  void theSameColumnsTypesAndKeyMatchWhateverTheOrderIdsAndConstraints() {
    TableDef existing = new TableDef("orders", "00000000000000ff", List.of(
        col("code", 7, SqlType.VARCHAR, 20, -1, true),
        col("id", 1, SqlType.INTEGER, -1, -1, true),
        col("price", 4, SqlType.DECIMAL, 10, 2, false)), List.of("id"), 3);
    assertThat(Ddl.shapeDifference(existing, SOURCE)).isEmpty();
  }

  @Test
  void eachDifferenceIsNamed() {
    TableDef otherKey = new TableDef("orders", "2", SOURCE.columns(), List.of("code"), 1);
    assertThat(Ddl.shapeDifference(otherKey, SOURCE))
        .contains("its primary key is [code], the source's [id]");
    TableDef fewer = new TableDef("orders", "2", SOURCE.columns().subList(0, 2), List.of("id"), 1);
    assertThat(Ddl.shapeDifference(fewer, SOURCE))
        .contains("its columns are [id, price], the source's [id, price, code]");
    TableDef otherType = new TableDef("orders", "2", List.of(SOURCE.columns().get(0),
        col("price", 2, SqlType.DECIMAL, 12, 2, false), SOURCE.columns().get(2)), List.of("id"), 1);
    assertThat(Ddl.shapeDifference(otherType, SOURCE))
        .contains("column \"price\" is numeric(12,2), at the source numeric(10,2)");
  }
}
