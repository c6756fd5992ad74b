package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ordo.proto.SqlColumn;
import io.ordo.proto.SqlResult;
import io.ordo.proto.SqlRow;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class SqlResultPrinterTest {
  private static Value s(String v) {
    return Value.newBuilder().setStringValue(v).build();
  }

  private static Value n(double v) {
    return Value.newBuilder().setNumberValue(v).build();
  }

  private static final Value NULL = Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();

  private static final SqlResult ROWS =
      SqlResult.newBuilder()
          .setCommandTag("SELECT 2")
          .addColumns(SqlColumn.newBuilder().setName("id").setType("BIGINT").setTypeOid(20))
          .addColumns(SqlColumn.newBuilder().setName("name").setType("TEXT").setTypeOid(25))
          .addColumns(SqlColumn.newBuilder().setName("ok").setType("BOOLEAN").setTypeOid(16))
          .addColumns(SqlColumn.newBuilder().setName("score").setType("DOUBLE").setTypeOid(701))
          .addRows(
              SqlRow.newBuilder()
                  .addValues(s("12345678901234567"))
                  .addValues(s("two\nlines"))
                  .addValues(Value.newBuilder().setBoolValue(true))
                  .addValues(n(2.5)))
          .addRows(SqlRow.newBuilder().addValues(s("7")).addValues(NULL).addValues(
              Value.newBuilder().setBoolValue(false)).addValues(n(3)))
          .build();

  private static String print(SqlResult result, boolean json) {
    StringWriter text = new StringWriter();
    PrintWriter out = new PrintWriter(text);
    new SqlResultPrinter(out, json).print(result);
    out.flush();
    return text.toString();
  }

  @Test
  void rowsPrintAsAnAlignedTableWithTheirCount() {
    assertThat(print(ROWS, false))
        .isEqualTo(
            "id                 name        ok  score\n"
                + "12345678901234567  two\\nlines  t   2.5\n"
                + "7                              f   3\n"
                + "(2 rows)\n");
  }

  @Test
  void oneRowAndNoRowsAreCountedInWords() {
    SqlResult one = ROWS.toBuilder().removeRows(1).build();
    assertThat(print(one, false)).endsWith("(1 row)\n");
    SqlResult none = ROWS.toBuilder().clearRows().build();
    assertThat(print(none, false)).isEqualTo("id  name  ok  score\n(0 rows)\n");
  }

  @Test
  void aStatementWithoutRowsPrintsItsCommandTag() {
    assertThat(print(SqlResult.newBuilder().setCommandTag("INSERT 0 3").build(), false))
        .isEqualTo("INSERT 0 3\n");
  }

  @Test
  void jsonIsOneObjectPerResultWithValuesAsSent() {
    assertThat(print(ROWS, true))
        .isEqualTo(
            "{\"command\":\"SELECT 2\",\"columns\":[{\"name\":\"id\",\"type\":\"BIGINT\"},"
                + "{\"name\":\"name\",\"type\":\"TEXT\"},{\"name\":\"ok\",\"type\":\"BOOLEAN\"},"
                + "{\"name\":\"score\",\"type\":\"DOUBLE\"}],"
                + "\"rows\":[[\"12345678901234567\",\"two\\nlines\",true,2.5],[\"7\",null,false,3]]}\n");
    assertThat(print(SqlResult.newBuilder().setCommandTag("BEGIN").build(), true))
        .isEqualTo("{\"command\":\"BEGIN\",\"columns\":[],\"rows\":[]}\n");
  }

  @Test
  void jsonDocumentsPrintCompactInCells() {
    Value doc =
        Value.newBuilder()
            .setStructValue(
                Struct.newBuilder()
                    .putFields(
                        "a",
                        Value.newBuilder()
                            .setListValue(ListValue.newBuilder().addValues(n(1)).addValues(s("x")))
                            .build()))
            .build();
    assertThat(SqlResultPrinter.cell(doc)).isEqualTo("{\"a\":[1,\"x\"]}");
    assertThat(SqlResultPrinter.cell(n(1e300))).isEqualTo("1.0E300");
    assertThat(SqlResultPrinter.escape("a\tb\u0001")).isEqualTo("a\\tb\\u0001");
  }
}
