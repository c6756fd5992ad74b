package io.ordo.sql.parser.ddl;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlDataTypeSpec;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * One column of CREATE TABLE, ALTER TABLE ADD COLUMN, CREATE STREAM or ALTER STREAM SET SCHEMA:
 * {@code name type [NOT NULL | NULL] [DEFAULT expr] [PRIMARY KEY]} (clauses in any order, each at
 * most once; stream columns take only NOT NULL / NULL). The type is as written; {@code
 * io.ordo.sql.parser.ColumnTypes} maps it to an Ordo type.
 */
public final class SqlColumnDeclaration extends SqlCall {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("COLUMN_DECL", SqlKind.COLUMN_DECL);

  private final SqlIdentifier name;
  private final SqlDataTypeSpec type;
  private final Boolean nullable;
  private final SqlNode defaultValue;
  private final boolean primaryKey;

  /**
   * @param nullable FALSE for NOT NULL, TRUE for NULL, null when neither was written
   * @param defaultValue the DEFAULT expression, or null
   * @param primaryKey whether the column carries PRIMARY KEY itself
   */
  public SqlColumnDeclaration(SqlParserPos pos, SqlIdentifier name, SqlDataTypeSpec type,
      Boolean nullable, SqlNode defaultValue, boolean primaryKey) {
    super(pos);
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.nullable = nullable;
    this.defaultValue = defaultValue;
    this.primaryKey = primaryKey;
  }

  public SqlIdentifier name() {
    return name;
  }

  /** The column's name as a string (after identifier folding). */
  public String nameString() {
    return name.getSimple();
  }

  public SqlDataTypeSpec type() {
    return type;
  }

  /** FALSE for NOT NULL, TRUE for an explicit NULL, null when neither was written. */
  public Boolean nullability() {
    return nullable;
  }

  /** Whether NOT NULL was written (PRIMARY KEY implies it too, which the engine applies). */
  public boolean notNull() {
    return Boolean.FALSE.equals(nullable);
  }

  /** The DEFAULT expression, or null. */
  public SqlNode defaultValue() {
    return defaultValue;
  }

  /** Whether PRIMARY KEY was written on this column. */
  public boolean primaryKey() {
    return primaryKey;
  }

  @Override
  public SqlOperator getOperator() {
    return OPERATOR;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return Arrays.asList(name, type, defaultValue);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    name.unparse(writer, 0, 0);
    type.unparse(writer, 0, 0);
    if (nullable != null) {
      writer.keyword(nullable ? "NULL" : "NOT NULL");
    }
    if (defaultValue != null) {
      writer.keyword("DEFAULT");
      defaultValue.unparse(writer, 0, 0);
    }
    if (primaryKey) {
      writer.keyword("PRIMARY KEY");
    }
  }

  /** Unparses {@code columns} as a parenthesized, comma-separated list. */
  static void unparseList(SqlWriter writer, Iterable<? extends SqlNode> columns) {
    SqlWriter.Frame frame = writer.startList("(", ")");
    for (SqlNode c : columns) {
      writer.sep(",");
      c.unparse(writer, 0, 0);
    }
    writer.endList(frame);
  }

  /** The declarations in {@code list} (every element is one; the parser builds no other). */
  static List<SqlColumnDeclaration> declarations(Iterable<SqlNode> list) {
    List<SqlColumnDeclaration> out = new java.util.ArrayList<>();
    for (SqlNode n : list) {
      out.add((SqlColumnDeclaration) n);
    }
    return List.copyOf(out);
  }
}
