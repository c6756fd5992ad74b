package io.ordo.sql.parser.ddl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.calcite.sql.SqlCreate;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlSpecialOperator;
import org.apache.calcite.sql.SqlWriter;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code CREATE TABLE [IF NOT EXISTS] t (column, ..., [[CONSTRAINT name] PRIMARY KEY (a, b)])}.
 * The parser checks only the syntax: duplicate columns, unknown key columns, several primary keys
 * or none are for the engine to reject (with their own SQLSTATEs).
 */
public final class SqlCreateTable extends SqlCreate {
  private static final SqlOperator OPERATOR =
      new SqlSpecialOperator("CREATE TABLE", SqlKind.CREATE_TABLE);

  private final SqlIdentifier name;
  private final SqlNodeList columns;
  private final List<SqlNodeList> primaryKeyConstraints;

  /**
   * @param columns the column declarations ({@link SqlColumnDeclaration}), in order
   * @param primaryKeyConstraints each table-level PRIMARY KEY (...) list, in order (usually 0 or 1)
   */
  public SqlCreateTable(SqlParserPos pos, boolean ifNotExists, SqlIdentifier name,
      SqlNodeList columns, List<SqlNodeList> primaryKeyConstraints) {
    super(OPERATOR, pos, false, ifNotExists);
    this.name = Objects.requireNonNull(name, "name");
    this.columns = Objects.requireNonNull(columns, "columns");
    this.primaryKeyConstraints = List.copyOf(primaryKeyConstraints);
  }

  public SqlIdentifier name() {
    return name;
  }

  public boolean ifNotExists() {
    return ifNotExists;
  }

  /** The column declarations in the order written. */
  public List<SqlColumnDeclaration> columns() {
    return SqlColumnDeclaration.declarations(columns);
  }

  /** The table-level {@code PRIMARY KEY (...)} lists, in order; empty when there is none. */
  public List<SqlNodeList> primaryKeyConstraints() {
    return primaryKeyConstraints;
  }

  /**
   * The key's column names: the columns marked PRIMARY KEY (in column order) followed by those of
   * the table-level constraints (in the order written), without repeats. Empty when there is no
   * key. Whether more than one declaration was given is {@link #primaryKeyDeclarationCount()}.
   */
  public List<String> primaryKeyColumnNames() {
    Set<String> names = new LinkedHashSet<>();
    for (SqlColumnDeclaration c : columns()) {
      if (c.primaryKey()) {
        names.add(c.nameString());
      }
    }
    for (SqlNodeList key : primaryKeyConstraints) {
      for (SqlNode id : key) {
        names.add(((SqlIdentifier) id).getSimple());
      }
    }
    return List.copyOf(new ArrayList<>(names));
  }

  /** How many PRIMARY KEY declarations were written (column and table level); more than 1 is an error. */
  public int primaryKeyDeclarationCount() {
    int n = primaryKeyConstraints.size();
    for (SqlColumnDeclaration c : columns()) {
      n += c.primaryKey() ? 1 : 0;
    }
    return n;
  }

  @Override
  public List<SqlNode> getOperandList() {
    return Arrays.asList(name, columns);
  }

  @Override
  public void unparse(SqlWriter writer, int leftPrec, int rightPrec) {
    writer.keyword("CREATE TABLE");
    if (ifNotExists) {
      writer.keyword("IF NOT EXISTS");
    }
    name.unparse(writer, 0, 0);
    SqlWriter.Frame frame = writer.startList("(", ")");
    for (SqlNode c : columns) {
      writer.sep(",");
      c.unparse(writer, 0, 0);
    }
    for (SqlNodeList key : primaryKeyConstraints) {
      writer.sep(",");
      writer.keyword("PRIMARY KEY");
      SqlColumnDeclaration.unparseList(writer, key);
    }
    writer.endList(frame);
  }
}
