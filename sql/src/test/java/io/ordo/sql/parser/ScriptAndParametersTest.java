package io.ordo.sql.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlException;
import io.ordo.sql.parser.ddl.SqlCreateTable;
import io.ordo.sql.parser.stmt.SqlBegin;
import io.ordo.sql.parser.stmt.SqlCommit;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.sql.SqlDynamicParam;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.util.SqlBasicVisitor;
import org.junit.jupiter.api.Test;

/** Splitting scripts into statements, their texts and offsets, and the $n → ? mapping. */
class ScriptAndParametersTest {

  /** The dynamic parameters of a tree, in text order (by position). */
  static List<SqlDynamicParam> dynamicParams(SqlNode node) {
    List<SqlDynamicParam> out = new ArrayList<>();
    node.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlDynamicParam param) {
        out.add(param);
        return null;
      }
    });
    out.sort((a, b) -> Integer.compare(a.getIndex(), b.getIndex()));
    return out;
  }

  /** For each dynamic parameter of the statement in text order, the $n it stands for. */
  static List<Integer> mapping(ParsedStatement st) {
    List<Integer> out = new ArrayList<>();
    for (SqlDynamicParam p : dynamicParams(st.node())) {
      out.add(st.parameters().parameterIndexOfDynamicParam(p.getIndex()));
    }
    return out;
  }

  @Test
  void emptyScriptsGiveNoStatements() throws Exception {
    assertThat(OrdoSqlParser.parse("")).isEmpty();
    assertThat(OrdoSqlParser.parse("  \n\t")).isEmpty();
    assertThat(OrdoSqlParser.parse(";; ;")).isEmpty();
    assertThat(OrdoSqlParser.parse("-- just a comment\n/* and another */;")).isEmpty();
  }

  @Test
  void scriptOfSeveralStatementsWithTextsAndOffsets() throws Exception {
    String script = "BEGIN;\n  INSERT INTO t VALUES (1, 'a;b');  -- first\n"
        + ";; /* c; */ SELECT \"x;y\" FROM t ;\nCOMMIT";
    List<ParsedStatement> st = OrdoSqlParser.parse(script);
    assertThat(st).hasSize(4);
    assertThat(st.get(0).node()).isInstanceOf(SqlBegin.class);
    assertThat(st.get(0).text()).isEqualTo("BEGIN");
    assertThat(st.get(0).offset()).isEqualTo(1);
    assertThat(st.get(1).text()).isEqualTo("INSERT INTO t VALUES (1, 'a;b')");
    assertThat(st.get(1).offset()).isEqualTo(script.indexOf("INSERT") + 1);
    assertThat(st.get(2).text()).isEqualTo("SELECT \"x;y\" FROM t");
    assertThat(st.get(2).offset()).isEqualTo(script.indexOf("SELECT") + 1);
    assertThat(st.get(3).node()).isInstanceOf(SqlCommit.class);
    assertThat(st.get(3).offset()).isEqualTo(script.indexOf("COMMIT") + 1);
    // Each statement's text parses on its own to the same kind of node.
    for (ParsedStatement p : st) {
      assertThat(OrdoSqlParser.parseOne(p.text()).node().getClass())
          .isEqualTo(p.node().getClass());
    }
  }

  @Test
  void leadingAndTrailingSemicolons() throws Exception {
    String script = ";SELECT 1;;SELECT 2;";
    List<ParsedStatement> st = OrdoSqlParser.parse(script);
    assertThat(st).extracting(ParsedStatement::text).containsExactly("SELECT 1", "SELECT 2");
    assertThat(st).extracting(ParsedStatement::offset).containsExactly(2, 12);
  }

  @Test
  void nodePositionsMapToScriptPositions() throws Exception {
    String script = "SELECT 1;\nCREATE TABLE t (a INT,\n  b TEXT)";
    ParsedStatement create = OrdoSqlParser.parse(script).get(1);
    SqlCreateTable t = (SqlCreateTable) create.node();
    int bType = create.position(t.columns().get(1).type().getParserPosition());
    assertThat(bType).isEqualTo(script.indexOf("TEXT") + 1);
  }

  @Test
  void dollarParametersInOrder() throws Exception {
    ParsedStatement st = OrdoSqlParser.parseOne("SELECT * FROM t WHERE a = $1 AND b = $2");
    assertThat(mapping(st)).containsExactly(1, 2);
    assertThat(st.parameters().parameterCount()).isEqualTo(2);
    assertThat(st.parameters().dynamicParamCount()).isEqualTo(2);
  }

  @Test
  void dollarParametersOutOfOrderAndReused() throws Exception {
    ParsedStatement st = OrdoSqlParser.parseOne(
        "UPDATE t SET a = $2, b = $1 WHERE c = $2 OR d = $3");
    assertThat(mapping(st)).containsExactly(2, 1, 2, 3);
    assertThat(st.parameters().parameterCount()).isEqualTo(3);
    assertThat(st.parameters().dynamicParamCount()).isEqualTo(4);
  }

  @Test
  void sameParameterTwiceAndAGap() throws Exception {
    ParsedStatement st = OrdoSqlParser.parseOne("SELECT $1, $1, $4");
    assertThat(mapping(st)).containsExactly(1, 1, 4);
    // The client declares parameters 1..4 even if 2 and 3 are unused, as PostgreSQL counts them.
    assertThat(st.parameters().parameterCount()).isEqualTo(4);
  }

  @Test
  void dollarInsideLiteralsCommentsAndIdentifiersIsUntouched() throws Exception {
    ParsedStatement st = OrdoSqlParser.parseOne(
        "SELECT '$1', \"$2\", a$3, E'\\'$4', $5 -- $6\n /* $7 */ FROM t");
    assertThat(mapping(st)).containsExactly(5);
    SqlSelect s = (SqlSelect) st.node();
    assertThat(((SqlLiteral) s.getSelectList().get(0)).getValueAs(String.class)).isEqualTo("$1");
    assertThat(s.getSelectList().get(1).toString()).contains("$2");
    assertThat(s.getSelectList().get(2).toString()).contains("a$3");
    assertThat(st.parameters().parameterCount()).isEqualTo(5);
  }

  @Test
  void plainQuestionMarksNumberInOrder() throws Exception {
    ParsedStatement st = OrdoSqlParser.parseOne("INSERT INTO t VALUES (?, ?, ?)");
    assertThat(mapping(st)).containsExactly(1, 2, 3);
    assertThat(st.parameters().parameterCount()).isEqualTo(3);
  }

  @Test
  void parametersPerStatementOfAScript() throws Exception {
    List<ParsedStatement> st = OrdoSqlParser.parse("SELECT $2, $1; SELECT $1; SELECT ?, ?");
    assertThat(mapping(st.get(0))).containsExactly(2, 1);
    assertThat(mapping(st.get(1))).containsExactly(1);
    assertThat(mapping(st.get(2))).containsExactly(1, 2);
    assertThat(st.get(1).parameters().firstDynamicParamIndex()).isEqualTo(2);
    assertThatThrownBy(() -> st.get(1).parameters().parameterIndexOfDynamicParam(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void badParameters() {
    assertThatThrownBy(() -> OrdoSqlParser.parse("SELECT $0"))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo("42601");
          assertThat(e.position()).isEqualTo(8);
        });
    assertThatThrownBy(() -> OrdoSqlParser.parse("SELECT $99999999999"))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo("42601"));
    assertThatThrownBy(() -> OrdoSqlParser.parse("SELECT $1, ?"))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo("42601");
          assertThat(e.position()).isEqualTo(12);
        });
  }

  @Test
  void parseOneRejectsSeveral() {
    assertThatThrownBy(() -> OrdoSqlParser.parseOne("SELECT 1; SELECT 2"))
        .isInstanceOfSatisfying(SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo("42601");
          assertThat(e.position()).isEqualTo(11);
        });
  }
}
